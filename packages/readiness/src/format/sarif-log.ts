import { isAbsolute, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DimensionId, Report, RuleReferences, RuleResult, Severity, SourceLocation } from '../types.js';
import { verdict, type FormatOptions } from './common.js';

/** What SARIF's `tool.driver.rules` says of a rule: the registry's text (RULES), or a copy kept by the result cache. */
export interface SarifRule {
  readonly id: string;
  readonly dimension: DimensionId;
  readonly severity: Severity;
  readonly title: string;
  readonly rationale: string;
  readonly passes: string;
  readonly remediation: string;
  readonly references: RuleReferences;
}

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

function region(location: SourceLocation) {
  return {
    startLine: location.line,
    startColumn: location.column,
    // SARIF regions must not end before they start; a zero-width range ends where it starts.
    endLine: Math.max(location.endLine, location.line),
    endColumn: location.endLine > location.line ? Math.max(1, location.endColumn) : Math.max(location.endColumn, location.column),
  };
}

/**
 * SARIF 2.1.0 with `rules` as `tool.driver.rules` (`renderSarif` passes the registry): one run, one result per rule that does not pass
 * (failing and missing-evidence at the rule's severity: blocker → error, warning → warning; waived ones
 * carry an accepted external suppression), located at the manifest, policy or source line it concerns,
 * relative to `repoRoot` (`%SRCROOT%`), so code scanning annotates the lines.
 */
export function renderSarifWith(report: Report, options: FormatOptions, rules: readonly SarifRule[]): string {
  const root = options.repoRoot ?? report.dir;
  const uri = (location: SourceLocation): string => {
    const absolute = isAbsolute(location.file) ? location.file : join(report.dir, location.file);
    return (relative(root, absolute) || absolute).split(sep).join('/');
  };
  const physical = (location: SourceLocation) => ({
    physicalLocation: { artifactLocation: { uri: uri(location), uriBaseId: '%SRCROOT%' }, region: region(location) },
  });
  const index = new Map(rules.map((rule, i) => [rule.id, i]));
  const results = report.results
    .filter((result): result is RuleResult & { status: 'fail' | 'missing-evidence' | 'waived' } => result.status !== 'pass')
    .map((result) => {
      const status = result.status === 'waived' ? (result.waivedStatus ?? 'fail') : result.status;
      const text = `${status === 'missing-evidence' ? 'Missing evidence: ' : ''}${result.message}. Remediation: ${result.remediation}`;
      return {
        ruleId: result.ruleId,
        ruleIndex: index.get(result.ruleId) ?? 0,
        kind: 'fail',
        level: result.severity === 'blocker' ? 'error' : 'warning',
        message: { text },
        ...(result.location ? { locations: [physical(result.location)] } : {}),
        properties: { status: result.status, dimension: result.dimension, severity: result.severity, evidence: [...result.evidence] },
        ...(result.status === 'waived' && result.waiver
          ? {
              suppressions: [
                {
                  kind: 'external',
                  status: 'accepted',
                  justification: `${result.waiver.reason} (approved by ${result.waiver.approver}, expires ${result.waiver.expires})`,
                  location: physical(result.waiver.location),
                },
              ],
            }
          : {}),
      };
    });
  const notifications = report.waivers
    .filter((waiver) => waiver.state === 'expired')
    .map((waiver) => ({
      level: 'error',
      message: { text: `The waiver for ${waiver.rule} expired on ${waiver.expires} (approved by ${waiver.approver}): renew or remove it.` },
      locations: [physical(waiver.location)],
      descriptor: { id: 'waiver-expired' },
    }));
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'charter-readiness',
            fullName: 'Charter production-readiness gate',
            ...(options.version === undefined ? {} : { version: options.version }),
            informationUri: 'https://charter.dev/docs/standards/production-readiness/',
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.id.replace('-', ''),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.rationale },
              help: {
                text: `Passes when: ${rule.passes.replaceAll('`', '')}. Remediation: ${rule.remediation}`,
                markdown: `**Passes when** ${rule.passes}\n\n**Remediation** ${rule.remediation}`,
              },
              defaultConfiguration: { level: rule.severity === 'blocker' ? 'error' : 'warning' },
              properties: {
                tags: [
                  rule.dimension,
                  ...rule.references.owaspLlm,
                  ...rule.references.owaspAgentic.map((id) => `OWASP-Agentic-${id}`),
                  ...rule.references.nistAiRmf,
                ],
                severity: rule.severity,
              },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(root.endsWith(sep) ? root : `${root}${sep}`).href } },
        invocations: [
          {
            executionSuccessful: true,
            endTimeUtc: report.evaluatedAt,
            ...(notifications.length === 0 ? {} : { toolExecutionNotifications: notifications }),
            properties: { ready: report.ready, verdict: verdict(report), commit: report.commit, score: report.score },
          },
        ],
        versionControlProvenance: [{ repositoryUri: pathToFileURL(root).href, revisionId: report.commit }],
        results,
        properties: { agent: report.agent.name, dimensions: report.dimensions },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
