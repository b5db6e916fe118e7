// The terminal table of an eval report.
import type { EvalReport } from '@charter/spec';

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const pad = (text: string, width: number): string => (text.length >= width ? text : text + ' '.repeat(width - text.length));
const p = (x: number): string => (x < 0.0001 ? x.toExponential(1) : x.toFixed(4));

/** Accuracy per category with its interval; the comparison and the patterns when the report has them. */
export function formatEvalReport(report: EvalReport): string {
  const lines: string[] = [];
  const level = Math.round(report.level * 100);
  lines.push(
    `${report.agent}${report.version === undefined ? '' : ` ${report.version}`}: ${report.overall.passed}/${report.overall.total} cases pass`,
  );
  const width = Math.max(10, ...report.categories.map((c) => c.category.length)) + 2;
  lines.push('', `${pad('category', width)}${pad('passed', 10)}${pad('accuracy', 10)}${level} % interval (Wilson)`);
  for (const c of [...report.categories, { category: 'overall', ...report.overall }])
    lines.push(`${pad(c.category, width)}${pad(`${c.passed}/${c.total}`, 10)}${pad(pct(c.accuracy), 10)}${pct(c.low)} – ${pct(c.high)}`);
  const f = report.feedback;
  lines.push(
    '',
    `feedback: ${f.records} record(s), ${f.labelled} labelled run(s), ${f.replayed} replayed` +
      (f.missingRecording.length === 0
        ? ''
        : `, ${f.missingRecording.length} without a recording (${f.missingRecording.slice(0, 5).join(', ')})`) +
      (f.unlabelled === 0 ? '' : `, ${f.unlabelled} unlabelled`),
  );
  const failed = report.cases.filter((c) => !c.passed);
  if (failed.length > 0) {
    lines.push('', 'failed cases:');
    for (const c of failed.slice(0, 20)) lines.push(`  ${c.id} [${c.category}]: ${c.failures.join('; ')}`);
    if (failed.length > 20) lines.push(`  … and ${failed.length - 20} more (--json lists every case)`);
  }
  const cmp = report.comparison;
  if (cmp !== undefined) {
    lines.push(
      '',
      `against the baseline${cmp.baseline.version === undefined ? '' : ` ${cmp.baseline.version}`} (${cmp.baseline.producedAt}): one-sided Fisher exact test per category, alpha ${cmp.alpha}, correction ${cmp.correction}`,
      `${pad('category', width)}${pad('baseline', 10)}${pad('current', 10)}${pad('delta', 10)}${pad('p', 10)}verdict`,
    );
    for (const r of cmp.categories)
      lines.push(
        `${pad(r.category, width)}${pad(`${r.baseline.passed}/${r.baseline.total}`, 10)}${pad(`${r.current.passed}/${r.current.total}`, 10)}${pad(`${r.delta >= 0 ? '+' : ''}${(r.delta * 100).toFixed(1)}`, 10)}${pad(p(r.adjustedP), 10)}${r.regressed ? 'REGRESSED' : r.delta < 0 ? (r.detectable ? 'worse, not significant' : 'worse, too few cases to tell') : 'ok'}`,
      );
    lines.push('', cmp.regressed ? 'significant regression: exit 1' : 'no significant regression');
  }
  if (report.patterns !== undefined) {
    lines.push('', 'failure patterns (frequency × cost):');
    if (report.patterns.length === 0) lines.push('  none: every case passed');
    for (const [i, pat] of report.patterns.slice(0, 15).entries())
      lines.push(
        `  ${i + 1}. ${pat.kind} ${pat.value}: ${pat.count} failure(s), $${pat.costUsd.toFixed(6)} → ${pat.playbooks.length === 0 ? 'NO PLAYBOOK covers it' : `playbook ${pat.playbooks.join(', ')}`}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
