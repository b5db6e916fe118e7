// Precision, recall and F1 per detector and PII entity, using the `recommended` pack's thresholds for
// injection (input 0.6, tool-result 0.4) and all PII entities, on labelled sets:
//   dev       ./dataset.ts  — in-sample: the detectors were tuned while looking at it (a regression gate)
//   heldout   ./heldout.ts  — out-of-sample: written without reading the detectors or the dev cases
//   heldout2  its batch 2 alone (issue 21), written and committed before the detectors changed for it
// Injection recall and false-positive rate come with 95% Wilson score intervals (the sets are small).
// Usage: tsx --conditions=@charter/source eval/run.ts [--set heldout|heldout2|dev|all]
//   (no --set: dev, heldout and heldout2 reported separately; `all`: dev and heldout as one set)
// Ends with one JSON line of headline figures (ratios 0-1, counts of cases).
import { compilePolicy, type Finding } from '../src/index.js';
import { dataset, type EvalCase } from './dataset.js';
import { heldout, heldoutBatch2 } from './heldout.js';

const engine = compilePolicy({
  version: '1.0.0',
  extends: ['recommended'],
  hooks: { output: [{ detector: 'pii', action: 'redact' }], input: [{ detector: 'secrets', action: 'deny' }] },
});

interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}
interface Score {
  readonly counts: Map<string, Counts>;
  readonly misses: string[];
}

const SET_NAMES = ['heldout', 'heldout2', 'dev', 'all'] as const;
type SetName = (typeof SET_NAMES)[number];
const SETS: Readonly<Record<SetName, readonly EvalCase[]>> = {
  heldout,
  heldout2: heldoutBatch2,
  dev: dataset,
  all: [...dataset, ...heldout],
};

const parseSets = (argv: readonly string[]): SetName[] => {
  const at = argv.findIndex((arg) => arg === '--set' || arg.startsWith('--set='));
  if (at === -1) return ['dev', 'heldout', 'heldout2'];
  const arg = argv[at] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  const name = SET_NAMES.find((n) => n === value);
  if (name === undefined) {
    console.error(`eval: --set must be one of ${SET_NAMES.join(', ')} (got ${value ?? 'nothing'})`);
    process.exit(2);
  }
  return [name];
};

const short = (text: string, max = 110): string => {
  const flat = text.replace(/\n/g, '⏎');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

/** Fails loudly on a mislabelled case: every expected PII value must occur in its text. */
const validate = (name: string, cases: readonly EvalCase[]): void => {
  for (const item of cases) {
    for (const [entity, value] of item.pii ?? []) {
      if (!item.text.includes(value)) throw new Error(`${name}: ${entity} "${value}" is not in: ${item.text}`);
    }
  }
};

const score = (cases: readonly EvalCase[]): Score => {
  const counts = new Map<string, Counts>();
  const misses: string[] = [];
  const bump = (key: string, field: keyof Counts): void => {
    for (const k of key.includes('/') ? [key, key.slice(0, key.indexOf('/'))] : [key]) {
      const entry = counts.get(k) ?? { tp: 0, fp: 0, fn: 0, tn: 0 };
      entry[field]++;
      counts.set(k, entry);
    }
  };
  for (const item of cases) {
    const findings: readonly Finding[] = engine.evaluate({ hook: item.hook, content: item.text }).findings;
    if (item.hook === 'output') {
      const pii = findings.filter((f) => f.detector === 'pii');
      const expected = [...(item.pii ?? [])];
      const unmatched: Finding[] = [];
      for (const finding of pii) {
        const value = item.text.slice(finding.start, finding.end);
        const at = expected.findIndex(([entity, v]) => entity === finding.entity && v === value);
        if (at === -1) {
          unmatched.push(finding);
          bump(`pii/${finding.entity ?? '?'}`, 'fp');
        } else {
          bump(`pii/${finding.entity ?? '?'}`, 'tp');
          expected.splice(at, 1);
        }
      }
      for (const finding of unmatched) {
        const value = item.text.slice(finding.start, finding.end);
        const overlaps = (item.pii ?? []).some(([, v]) => {
          const start = item.text.indexOf(v);
          return start < finding.end && finding.start < start + v.length;
        });
        misses.push(
          `FP pii/${finding.entity ?? '?'} "${value}"${overlaps ? ' (overlaps a labelled value: boundary, entity or duplicate)' : ''} in: ${short(item.text)}`,
        );
      }
      for (const [entity, value] of expected) {
        bump(`pii/${entity}`, 'fn');
        misses.push(`FN pii/${entity} "${value}" in: ${short(item.text)}`);
      }
      if ((item.pii ?? []).length === 0 && pii.length === 0) bump('pii', 'tn');
    }
    if (item.secret !== undefined) {
      const found = findings.some((f) => f.detector === 'secrets');
      bump('secrets', found ? (item.secret ? 'tp' : 'fp') : item.secret ? 'fn' : 'tn');
      if (found !== item.secret) misses.push(`${found ? 'FP' : 'FN'} secrets: ${short(item.text)}`);
    }
    if (item.injection !== undefined || (item.hook !== 'output' && item.secret === undefined)) {
      const found = findings.some((f) => f.detector === 'injection');
      const expected = item.injection === true;
      const key = `injection/${item.hook}`;
      bump(key, found ? (expected ? 'tp' : 'fp') : expected ? 'fn' : 'tn');
      if (found !== expected) {
        const top = Math.max(0, ...findings.filter((f) => f.detector === 'injection').map((f) => f.score ?? 0));
        misses.push(`${found ? 'FP' : 'FN'} ${key}${found ? ` (score ${top.toFixed(2)})` : ''}: ${short(item.text)}`);
      }
    }
  }
  return { counts, misses };
};

const ratios = ({ tp, fp, fn }: Counts): { precision: number; recall: number; f1: number } => {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
};
const round = (value: number): number => Math.round(value * 1000) / 1000;

/** 95% Wilson score interval of `successes` out of `n` (z = 1.96); [0, 1] when n is 0. */
export function wilson(successes: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
const interval = ([lo, hi]: [number, number]): string => `[${lo.toFixed(2)}-${hi.toFixed(2)}]`;
const camel = (key: string): string =>
  key
    .split(/[/-]/)
    .map((part) =>
      part === 'pii'
        ? 'Pii'
        : part.includes('_') || part === part.toUpperCase()
          ? part
              .split('_')
              .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
              .join('')
          : part.charAt(0).toUpperCase() + part.slice(1),
    )
    .join('');

const headline: Record<string, number> = {};
for (const name of parseSets(process.argv.slice(2))) {
  const cases = SETS[name];
  validate(name, cases);
  const { counts, misses } = score(cases);
  const benign = cases.filter((c) => (c.pii ?? []).length === 0 && c.secret !== true && c.injection !== true).length;
  console.log(`\n== ${name}: ${cases.length} labelled cases (${benign} with nothing to find) ==`);
  console.log('detector/entity             TP  FP  FN  TN  precision  recall     F1');
  const rows = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [key, c] of rows) {
    const { precision, recall, f1 } = ratios(c);
    const tn = key.startsWith('pii/') ? '  -' : String(c.tn).padStart(3);
    console.log(
      `${key.padEnd(26)} ${String(c.tp).padStart(3)} ${String(c.fp).padStart(3)} ${String(c.fn).padStart(3)} ${tn}  ${precision.toFixed(3).padStart(9)}  ${recall.toFixed(3).padStart(6)}  ${f1.toFixed(3)}`,
    );
  }
  console.log('(pii = micro-average over entities, TN = benign output cases with no PII finding; injection = both hooks)');
  console.log('injection, 95% Wilson intervals:');
  for (const key of ['injection', 'injection/input', 'injection/tool-result']) {
    const c = counts.get(key);
    if (c === undefined) continue;
    const recall = wilson(c.tp, c.tp + c.fn);
    const fpr = wilson(c.fp, c.fp + c.tn);
    console.log(
      `  ${key.padEnd(22)} recall ${c.tp}/${c.tp + c.fn} = ${(c.tp / Math.max(1, c.tp + c.fn)).toFixed(3)} ${interval(recall)}   false-positive rate ${c.fp}/${c.fp + c.tn} = ${(c.fp / Math.max(1, c.fp + c.tn)).toFixed(3)} ${interval(fpr)}`,
    );
    headline[`${name}${camel(key)}RecallLow`] = round(recall[0]);
    headline[`${name}${camel(key)}RecallHigh`] = round(recall[1]);
    headline[`${name}${camel(key)}FalsePositiveRate`] = round(c.fp / Math.max(1, c.fp + c.tn));
    headline[`${name}${camel(key)}FalsePositiveRateLow`] = round(fpr[0]);
    headline[`${name}${camel(key)}FalsePositiveRateHigh`] = round(fpr[1]);
  }
  if (name !== 'dev' || misses.length > 0) {
    console.log(`misses (${misses.length}):`);
    for (const miss of misses) console.log(`  ${miss}`);
  }
  headline[`${name}Cases`] = cases.length;
  for (const key of [
    'pii',
    'pii/CREDIT_CARD',
    'pii/PHONE',
    'pii/IBAN',
    'secrets',
    'injection',
    'injection/input',
    'injection/tool-result',
  ]) {
    const c = counts.get(key);
    if (c === undefined) continue;
    const { precision, recall, f1 } = ratios(c);
    headline[`${name}${camel(key)}Precision`] = round(precision);
    headline[`${name}${camel(key)}Recall`] = round(recall);
    headline[`${name}${camel(key)}F1`] = round(f1);
  }
}
console.log(JSON.stringify(headline));
