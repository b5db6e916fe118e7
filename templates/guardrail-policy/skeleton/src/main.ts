// `npm run eval`: runs the labelled set, prints one line per case that is decided otherwise and one per
// label, writes eval/report.json, and exits 1 when any case fails.
import { writeFileSync } from 'node:fs';
import { evaluate } from './evaluate.js';

const report = evaluate();
for (const result of report.cases.filter((item) => !item.ok))
  console.log(
    `FAIL ${result.id} (${result.label}, ${result.hook}): expected ${result.expected}, got ${result.actual}${result.ruleId === undefined ? '' : ` [${result.ruleId}]`}`,
  );
for (const { label, cases, passed } of report.labels) console.log(`${label.padEnd(12)} ${passed}/${cases}`);
writeFileSync(new URL('../eval/report.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
console.log(`${report.policy.name} ${report.policy.version} (${report.policy.mode}): ${report.passed}/${report.total} cases as labelled`);
process.exitCode = report.passed === report.total ? 0 : 1;
