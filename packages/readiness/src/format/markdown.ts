import type { Report, RuleResult } from '../types.js';
import { age, holding, pathFrom, percent, STATUS_LABEL, warnings, type FormatOptions } from './common.js';

/** A table cell: pipes escaped, lines joined. */
const cell = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
const code = (text: string): string => `\`${text.replaceAll('`', "'")}\``;

/** A pull-request comment: verdict, score per dimension, blockers with where and what to do, waivers, evidence. */
export function renderMarkdown(report: Report, options: FormatOptions = {}): string {
  const out: string[] = [];
  const where = (result: RuleResult) =>
    result.location ? code(`${pathFrom(report, result.location, options.cwd)}:${result.location.line}:${result.location.column}`) : '';
  out.push(
    report.ready ? `## ✅ ${report.agent.name} is ready for production` : `## ⛔ ${report.agent.name} is held in staging`,
    '',
    `Score **${report.score.passed}/${report.score.total}** (${percent(report.score.score)}) · commit ${code(report.commit.slice(0, 12))} · ${code(report.manifest)} · owner ${code(report.agent.owner)}`,
    '',
    '| Dimension | Passed | Score | Status |',
    '|---|---|---|---|',
  );
  for (const d of report.dimensions) {
    const notes = [
      d.failed > 0 ? `${d.failed} failing` : '',
      d.missing > 0 ? `${d.missing} missing evidence` : '',
      d.waived > 0 ? `${d.waived} waived` : '',
    ]
      .filter(Boolean)
      .join(', ');
    out.push(`| ${d.title} | ${d.passed}/${d.total} | ${percent(d.score)} | ${d.ready ? '✅' : '⛔'}${notes ? ` ${notes}` : ''} |`);
  }
  const errors = report.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) {
    out.push('', `### The manifest does not validate (${errors.length})`, '');
    for (const issue of errors) out.push(`- ${code(`${issue.file}:${issue.line}:${issue.column}`)} ${cell(issue.message)} (${issue.code})`);
  }
  const block = holding(report);
  if (block.length > 0) {
    out.push('', `### Blockers (${block.length})`, '', '| Rule | Status | Where | Finding | Remediation |', '|---|---|---|---|---|');
    for (const r of block)
      out.push(
        `| **${r.ruleId}** ${cell(r.title)} | ${STATUS_LABEL[r.status]} | ${where(r)} | ${cell(r.message)} | ${cell(r.remediation)} |`,
      );
  }
  const warn = warnings(report);
  if (warn.length > 0) {
    out.push('', `### Warnings (${warn.length})`, '', '| Rule | Status | Finding | Remediation |', '|---|---|---|---|');
    for (const r of warn)
      out.push(`| **${r.ruleId}** ${cell(r.title)} | ${STATUS_LABEL[r.status]} | ${cell(r.message)} | ${cell(r.remediation)} |`);
  }
  if (report.waivers.length > 0) {
    out.push('', `### Waivers (${report.waivers.length})`, '', '| Rule | State | Expires | Approver | Reason |', '|---|---|---|---|---|');
    for (const w of report.waivers)
      out.push(
        `| ${w.rule} | ${w.state === 'expired' ? '⛔ expired' : w.state} | ${w.expires} | ${cell(w.approver)} | ${cell(w.reason)} |`,
      );
  }
  out.push('', '### Evidence', '', '| Report | State | Age | Note |', '|---|---|---|---|');
  for (const e of report.evidence)
    out.push(
      `| ${e.kind} | ${e.state} | ${e.state === 'missing' ? '-' : age(e.ageMs)} | ${cell(e.state === 'fresh' ? '' : (e.reason ?? ''))} |`,
    );
  out.push('', '<details><summary>All rules</summary>', '', '| Rule | Severity | Status | Result |', '|---|---|---|---|');
  for (const r of report.results) out.push(`| ${r.ruleId} | ${r.severity} | ${STATUS_LABEL[r.status]} | ${cell(r.message)} |`);
  out.push('', '</details>', '');
  return `${out.join('\n')}\n`;
}
