import type { Report, RuleResult } from '../types.js';
import { pathFrom, STATUS_LABEL, type FormatOptions } from './common.js';

const escape = (text: string): string =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    // XML 1.0 forbids most control characters even as references.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\v\f\u000E-\u001F]/g, '');

/**
 * JUnit XML: one `testsuite` per dimension, one `testcase` per rule. Blockers that fail or lack
 * evidence are `<failure>`; waived rules and warnings that do not pass are `<skipped>` with the reason
 * (they do not hold the agent). A last suite lists the waivers; an expired one is a failure.
 */
export function renderJunit(report: Report, options: FormatOptions = {}): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = (result: RuleResult) =>
    result.severity === 'blocker' && (result.status === 'fail' || result.status === 'missing-evidence');
  const skipped = (result: RuleResult) => !failures(result) && result.status !== 'pass';
  const expired = report.waivers.filter((waiver) => waiver.state === 'expired');
  const totalFailures = report.results.filter(failures).length + expired.length;
  const totalSkipped = report.results.filter(skipped).length;
  const seconds = (report.durationMs / 1000).toFixed(3);
  lines.push(
    `<testsuites name="${escape(`charter readiness: ${report.agent.name}`)}" tests="${report.results.length + report.waivers.length}" failures="${totalFailures}" errors="0" skipped="${totalSkipped}" time="${seconds}" timestamp="${escape(report.evaluatedAt)}">`,
  );
  for (const dimension of report.dimensions) {
    const own = report.results.filter((result) => result.dimension === dimension.id);
    lines.push(
      `  <testsuite name="${escape(dimension.title)}" tests="${own.length}" failures="${own.filter(failures).length}" errors="0" skipped="${own.filter(skipped).length}" time="0">`,
    );
    for (const result of own) {
      const where = result.location
        ? `${pathFrom(report, result.location, options.cwd)}:${result.location.line}:${result.location.column}`
        : '';
      const attributes = `classname="charter.readiness.${dimension.id}" name="${escape(`${result.ruleId} ${result.title}`)}"${result.location ? ` file="${escape(pathFrom(report, result.location, options.cwd))}" line="${result.location.line}"` : ''} time="0"`;
      if (result.status === 'pass') {
        lines.push(`    <testcase ${attributes}/>`);
        continue;
      }
      lines.push(`    <testcase ${attributes}>`);
      if (failures(result)) {
        lines.push(
          `      <failure type="${escape(result.status)}" message="${escape(`${STATUS_LABEL[result.status]}: ${result.message}`)}">${escape(`${where} ${result.message}\nRemediation: ${result.remediation}`)}</failure>`,
        );
      } else if (result.status === 'waived' && result.waiver) {
        lines.push(
          `      <skipped message="${escape(`waived until ${result.waiver.expires} by ${result.waiver.approver}: ${result.waiver.reason}`)}"/>`,
        );
      } else {
        lines.push(
          `      <skipped message="${escape(`warning (${STATUS_LABEL[result.status]}, does not hold the agent): ${result.message}`)}"/>`,
        );
      }
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push(`  <testsuite name="Waivers" tests="${report.waivers.length}" failures="${expired.length}" errors="0" skipped="0" time="0">`);
  for (const waiver of report.waivers) {
    const attributes = `classname="charter.readiness.waivers" name="${escape(`${waiver.rule} waiver until ${waiver.expires}`)}" file="${escape(pathFrom(report, waiver.location, options.cwd))}" line="${waiver.location.line}" time="0"`;
    if (waiver.state !== 'expired') {
      lines.push(
        `    <testcase ${attributes}><system-out>${escape(`${waiver.state}: ${waiver.reason} (approved by ${waiver.approver})`)}</system-out></testcase>`,
      );
    } else {
      lines.push(
        `    <testcase ${attributes}><failure type="waiver-expired" message="${escape(`the waiver for ${waiver.rule} expired on ${waiver.expires}`)}">${escape('Renew it with a new expiry date and approver, or remove it.')}</failure></testcase>`,
      );
    }
  }
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
