import type { Report, RuleResult } from '../types.js';
import { age, holding, pathFrom, percent, STATUS_LABEL, verdict, warnings, type FormatOptions } from './common.js';

const wrap = (open: number, close: number, on: boolean) => (text: string) => (on ? `\u001b[${open}m${text}\u001b[${close}m` : text);

/** The scorecard for a terminal: verdict, blockers first (file:line:column and remediation), then each dimension. */
export function renderTerminal(report: Report, options: FormatOptions = {}): string {
  const on = options.color === true;
  const red = wrap(31, 39, on);
  const green = wrap(32, 39, on);
  const yellow = wrap(33, 39, on);
  const bold = wrap(1, 22, on);
  const dim = wrap(2, 22, on);
  const out: string[] = [];
  const where = (result: RuleResult) =>
    result.location ? `${pathFrom(report, result.location, options.cwd)}:${result.location.line}:${result.location.column}` : '';
  const mark = (result: RuleResult) =>
    result.status === 'pass'
      ? green('✔')
      : result.status === 'waived'
        ? yellow('~')
        : result.severity === 'warning'
          ? yellow('!')
          : red('✖');

  const name = report.agent.title === undefined ? report.agent.name : `${report.agent.name} (${report.agent.title})`;
  out.push(
    `${bold(name)}: ${report.ready ? green(bold(verdict(report).toUpperCase())) : red(bold(verdict(report).toUpperCase()))}  score ${report.score.passed}/${report.score.total} (${percent(report.score.score)})`,
  );
  out.push(
    dim(`commit ${report.commit.slice(0, 12)} · ${report.manifest} · owner ${report.agent.owner} · evaluated ${report.evaluatedAt}`),
  );

  const errors = report.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) {
    out.push('', bold(red(`The manifest does not validate (${errors.length})`)));
    for (const issue of errors)
      out.push(`  ${red('✖')} ${issue.file}:${issue.line}:${issue.column} ${issue.message} ${dim(`[${issue.code}]`)}`);
  }

  const block = holding(report);
  if (block.length > 0) {
    out.push('', bold(red(`Blockers (${block.length})`)));
    for (const result of block) {
      out.push(`  ${red('✖')} ${bold(result.ruleId)} ${result.title} ${dim(`[${STATUS_LABEL[result.status]}]`)}`);
      out.push(`      ${where(result)} ${result.message}`);
      out.push(`      ${dim('→')} ${result.remediation}`);
    }
  }
  const expired = report.waivers.filter((waiver) => waiver.state === 'expired');
  if (expired.length > 0) {
    out.push('', bold(red(`Expired waivers (${expired.length})`)));
    for (const waiver of expired)
      out.push(
        `  ${red('✖')} ${waiver.rule} expired ${waiver.expires} (${waiver.approver}) at ${pathFrom(report, waiver.location, options.cwd)}:${waiver.location.line}:${waiver.location.column}: renew it with a new date and approver, or remove it`,
      );
  }
  const warn = warnings(report);
  if (warn.length > 0) {
    out.push('', bold(yellow(`Warnings (${warn.length})`)));
    for (const result of warn) {
      out.push(`  ${yellow('!')} ${bold(result.ruleId)} ${result.title} ${dim(`[${STATUS_LABEL[result.status]}]`)}`);
      out.push(`      ${where(result)} ${result.message}`);
      out.push(`      ${dim('→')} ${result.remediation}`);
    }
  }
  const active = report.waivers.filter((waiver) => waiver.state === 'active' || waiver.state === 'unused');
  if (active.length > 0) {
    out.push('', bold(`Waivers (${active.length})`));
    for (const waiver of active)
      out.push(
        `  ${yellow('~')} ${waiver.rule} ${waiver.state === 'unused' ? '(unused: the rule passes) ' : ''}until ${waiver.expires}, approved by ${waiver.approver}: ${waiver.reason}`,
      );
  }

  out.push('', bold('Scorecard'));
  for (const dimension of report.dimensions) {
    out.push(
      `  ${dimension.ready ? green('✔') : red('✖')} ${bold(dimension.title.padEnd(24))} ${`${dimension.passed}/${dimension.total}`.padStart(5)} ${dim(percent(dimension.score).padStart(5))}`,
    );
    for (const result of report.results.filter((r) => r.dimension === dimension.id))
      out.push(`      ${mark(result)} ${result.ruleId.padEnd(7)} ${result.status === 'pass' ? dim(result.message) : result.message}`);
  }
  out.push('', bold('Evidence'));
  for (const evidence of report.evidence) {
    const state =
      evidence.state === 'fresh' ? green(evidence.state) : evidence.state === 'missing' ? yellow(evidence.state) : red(evidence.state);
    out.push(
      `  ${evidence.kind.padEnd(15)} ${state.padEnd(on ? 16 : 8)} ${dim(evidence.state === 'fresh' ? `age ${age(evidence.ageMs)}` : (evidence.reason ?? ''))}`,
    );
  }
  out.push(
    dim(
      `  lint: ${report.lint.ran ? `${report.lint.files} files, ${report.lint.problems} problem(s)${report.lint.cached ? ', cached' : ''}, ${report.lint.durationMs} ms` : `not run (${report.lint.reason ?? ''})`}`,
    ),
  );
  out.push(
    '',
    report.ready
      ? green(`${report.agent.name} is ready for production.`)
      : red(`${report.agent.name} is held in staging until the blockers above are fixed or waived.`),
  );
  return `${out.join('\n')}\n`;
}
