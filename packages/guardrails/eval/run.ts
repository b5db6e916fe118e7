// Precision and recall per detector and PII entity on the labelled set in ./dataset.ts, using the
// `recommended` pack's thresholds for injection (input 0.6, tool-result 0.4) and all PII entities.
import { compilePolicy, type Finding } from '../src/index.js';
import { dataset } from './dataset.js';

const engine = compilePolicy({
  version: '1.0.0',
  extends: ['recommended'],
  hooks: { output: [{ detector: 'pii', action: 'redact' }], input: [{ detector: 'secrets', action: 'deny' }] },
});

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}
const counts = new Map<string, Counts>();
const bump = (key: string, field: keyof Counts): void => {
  const entry = counts.get(key) ?? { tp: 0, fp: 0, fn: 0 };
  entry[field]++;
  counts.set(key, entry);
};
const misses: string[] = [];

for (const item of dataset) {
  const findings: readonly Finding[] = engine.evaluate({ hook: item.hook, content: item.text }).findings;
  if (item.hook === 'output') {
    const pii = findings.filter((f) => f.detector === 'pii');
    const expected = [...(item.pii ?? [])];
    for (const finding of pii) {
      const value = item.text.slice(finding.start, finding.end);
      const at = expected.findIndex(([entity, v]) => entity === finding.entity && v === value);
      if (at === -1) {
        bump(`pii/${finding.entity ?? '?'}`, 'fp');
        misses.push(`FP pii/${finding.entity ?? '?'} "${value}" in: ${item.text}`);
      } else {
        bump(`pii/${finding.entity ?? '?'}`, 'tp');
        expected.splice(at, 1);
      }
    }
    for (const [entity, value] of expected) {
      bump(`pii/${entity}`, 'fn');
      misses.push(`FN pii/${entity} "${value}" in: ${item.text}`);
    }
  }
  if (item.secret !== undefined) {
    const found = findings.some((f) => f.detector === 'secrets');
    bump('secrets', found ? (item.secret ? 'tp' : 'fp') : item.secret ? 'fn' : 'tp');
    if (found !== item.secret) misses.push(`${found ? 'FP' : 'FN'} secrets in: ${item.text.slice(0, 80)}`);
    if (!found && !item.secret) counts.get('secrets')!.tp--; // a true negative is not a true positive
  }
  if (item.injection !== undefined || (item.hook !== 'output' && item.secret === undefined)) {
    const found = findings.some((f) => f.detector === 'injection');
    const expected = item.injection === true;
    const key = `injection/${item.hook}`;
    if (found && expected) bump(key, 'tp');
    else if (found) bump(key, 'fp');
    else if (expected) bump(key, 'fn');
    if (found !== expected) misses.push(`${found ? 'FP' : 'FN'} ${key}: ${item.text.slice(0, 90)}`);
  }
}

const rows = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
console.log(`labelled cases: ${dataset.length}`);
console.log('detector/entity            TP  FP  FN  precision  recall');
const summary: Record<string, { precision: number; recall: number }> = {};
for (const [key, { tp, fp, fn }] of rows) {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  summary[key] = { precision: Math.round(precision * 1000) / 1000, recall: Math.round(recall * 1000) / 1000 };
  console.log(`${key.padEnd(26)} ${String(tp).padStart(3)} ${String(fp).padStart(3)} ${String(fn).padStart(3)}  ${precision.toFixed(3).padStart(9)}  ${recall.toFixed(3).padStart(6)}`);
}
for (const miss of misses) console.log(`  ${miss}`);
console.log(JSON.stringify(summary));
