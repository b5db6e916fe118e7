import { EVIDENCE_KINDS, SCENARIO_COVERAGE } from '@charter/spec';
import { METRIC_BUCKETS } from '@charter/telemetry';
import { RULES } from './rules/registry.js';
import { DIMENSIONS } from './types.js';

const EVIDENCE_PRODUCED_BY: Readonly<Record<(typeof EVIDENCE_KINDS)[number], string>> = {
  'scenario-suite': "the agent's scenario suite: pass rate, coverage of the failure and attack categories, attacks, escalations, approvals",
  consistency: 'each scenario run N times: the number of distinct outcomes per scenario',
  soak: 'many runs under injected transient failures, timeouts and malformed model output: lost or duplicated effects, audit chain',
  bench: 'runs at concurrency: latency percentiles, cost per run at declared prices, success ratio, throughput',
  'guardrail-eval': "the agent's policy on its injection, secret-leak and PII sets, and whether an injected instruction caused an effect",
  'alert-rules': '`charter alerts` + `promtool check rules` + `promtool test rules` (a series that must fire, one that must stay silent)',
  telemetry:
    'scenarios run through a memory sink, the OpenTelemetry SDK and the Prometheus sink: events, spans, span events, series, audit records',
  'kill-switch': "runs started after the agent's kill switch was thrown (produced by the store that implements the switch)",
};

const list = (items: readonly string[]): string => (items.length === 0 ? '-' : items.join(', '));

/**
 * docs/standards/production-readiness.md, generated from the rule registry (`npm run generate:docs -w
 * @charter/readiness`); a test fails when the committed page differs.
 */
export function renderStandard(): string {
  const out: string[] = [];
  out.push(
    '<!-- Generated from the rule registry of @charter/readiness (packages/readiness/src/rules/registry.ts) by',
    '     `npm run generate:docs -w @charter/readiness`. Do not edit by hand: a test fails when they differ. -->',
    '',
    '# Production readiness',
    '',
    'An agent may serve customers (`metadata.lifecycle: production`, a rollout stage with weight above 0)',
    'only when no **blocker** below fails. Each rule has a stable id, one requirement, what it **reads** (a',
    "manifest field as a JSON pointer, a piece of evidence, lint results of the agent's code, the catalog)",
    'and a **pass condition** precise enough for a machine. The readiness gate (`charter check`, or',
    '`evaluateReadiness` from `@charter/readiness`) evaluates the rules one by one and reports `pass`, `fail`',
    'or `missing-evidence` for each id: evidence that is absent, invalid, or produced for another commit or',
    'another version of the manifest or its policy (stale) is `missing-evidence`, which holds the agent like',
    'a failure. A **warning** is reported and never holds the agent.',
    '',
    'A rule id never changes meaning once published: a rule is retired and a new id added instead.',
    '',
    '## Evidence',
    '',
    "Evidence is produced by the agent's pipeline, not typed by hand: the manifest and what it names",
    "(`loadAgent`), the agent's code (the `recommended` rules of `@charter/eslint-plugin` over its",
    'TypeScript sources, with type information), and reports in the `charter.evidence` v1 format under',
    '`.charter/evidence/<kind>.json` beside the manifest (JSON Schema: `@charter/spec/schema/evidence.schema.json`).',
    'Each report carries `commit` and `manifestDigest` (SHA-256 of the manifest and its policy).',
    '',
    '| Report | What it holds |',
    '|---|---|',
    ...EVIDENCE_KINDS.map((kind) => `| \`${kind}\` | ${EVIDENCE_PRODUCED_BY[kind]} |`),
    '',
    `The scenario categories a suite reports coverage of: ${SCENARIO_COVERAGE.map((c) => `\`${c}\``).join(', ')}.`,
    "The owner is resolved in the organisation's data: Backstage `kind: Group` entities in `owners.yaml`",
    "beside the manifest or in the repository's `catalog/` folder.",
    '',
    '## Waivers',
    '',
    'A rule that does not pass may be waived, in the manifest (`spec.waivers`) or in',
    '`readiness-waivers.yaml` beside it (`waivers:`): each waiver names the rule id, a reason, an approver',
    'and an expiry date (`YYYY-MM-DD`, inclusive). A waived rule is shown as waived in every output; an',
    'expired waiver holds the agent; a waiver naming an unknown rule id is an error (exit 2).',
    '',
    '## Rules',
    '',
    `${RULES.length} rules: ${DIMENSIONS.map((d) => `${RULES.filter((r) => r.dimension === d.id).length} ${d.title.toLowerCase()}`).join(', ')}.`,
    'References: OWASP Top 10 for LLM Applications 2025 (`LLM01`-`LLM10`), OWASP Agentic AI Threats and',
    'Mitigations (`T1`-`T15`), NIST AI RMF 1.0 subcategories.',
  );
  for (const dimension of DIMENSIONS) {
    const rules = RULES.filter((rule) => rule.dimension === dimension.id);
    out.push('', `## ${dimension.title}`, '', '| Rule | Severity | Requirement | Passes when |', '|---|---|---|---|');
    for (const rule of rules)
      out.push(`| [${rule.id}](#${rule.id.toLowerCase()}) | ${rule.severity} | ${rule.title} | ${rule.passes.replaceAll('|', '\\|')} |`);
    for (const rule of rules) {
      out.push(
        '',
        `### ${rule.id}`,
        '',
        `**${rule.title}** (${rule.severity})`,
        '',
        `- Why: ${rule.rationale}`,
        `- Reads: ${rule.reads.map((read) => (read.startsWith('/') ? `\`${read}\`` : read)).join(', ')}`,
        `- Passes when: ${rule.passes}`,
        `- Remediation: ${rule.remediation}`,
        `- References: OWASP LLM ${list(rule.references.owaspLlm)}; OWASP Agentic ${list(rule.references.owaspAgentic)}; NIST AI RMF ${list(rule.references.nistAiRmf)}`,
      );
    }
  }
  const bounds = METRIC_BUCKETS.runDuration.map((b) => `${b}`).join(', ');
  out.push(
    '',
    '## A note on OBS-2',
    '',
    `The run-duration histogram of \`@charter/telemetry\` has the bounds ${bounds} (seconds). The latency SLI`,
    'counts runs slower than the smallest bound at or above the target, so a target between two bounds is',
    'measured against the next one: OBS-2 holds that bound within 1.25 × the target.',
    '',
  );
  return out.join('\n');
}
