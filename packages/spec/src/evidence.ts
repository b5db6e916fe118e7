import { z } from 'zod';
import { DnsLabel } from './common.js';

/**
 * Evidence reports: what an agent's own pipeline measured about it (scenario suite, consistency,
 * fault soak, benchmark against the SLOs, guardrail evaluation, alert rules checked by promtool,
 * telemetry contract), one JSON file per kind under `.charter/evidence/<kind>.json`. The readiness
 * gate (`@charter/readiness`) judges these, never claims typed into a form. Each report carries the
 * commit and the digest of the manifest (and the policy it names) it was produced for: a report for
 * another commit or manifest is stale. Format `charter.evidence`, version `v: 1`.
 */
export const EVIDENCE_FORMAT = 'charter.evidence';
export const EVIDENCE_VERSION = 1;
/** Where an agent's evidence lives, relative to the folder of its manifest. */
export const EVIDENCE_DIR = '.charter/evidence';

/** Every kind of evidence report; the file of a kind is `<kind>.json`. */
export const EVIDENCE_KINDS = [
  'scenario-suite',
  'consistency',
  'soak',
  'bench',
  'guardrail-eval',
  'alert-rules',
  'telemetry',
  'kill-switch',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** The failure and attack categories a scenario suite must cover (a scenario names the ones it covers). */
export const SCENARIO_COVERAGE = [
  'malformed-input',
  'timeouts',
  'transient-failures',
  'direct-injection',
  'indirect-injection',
  'pii',
  'secrets',
  'approvals',
  'budgets',
] as const;
export type ScenarioCoverage = (typeof SCENARIO_COVERAGE)[number];

const Count = z.int().nonnegative();
const Ratio = z.number().min(0).max(1);
const Ms = z.number().nonnegative();
const Usd = z.number().nonnegative();
const Counts = z.record(z.string().max(128), Count);

const envelope = {
  format: z.literal(EVIDENCE_FORMAT),
  v: z.literal(EVIDENCE_VERSION),
  /** `metadata.name` of the agent. */
  agent: DnsLabel,
  /** The git commit the report was produced at (full or abbreviated hex). */
  commit: z.string().regex(/^[0-9a-f]{7,64}$/, { error: 'a git commit id in hex' }),
  /** `manifestDigest(manifest text, policy text)`: the agent's declared configuration the report is for. */
  manifestDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'reads like "sha256:<64 hex digits>"' }),
  /** When the report was written (ISO 8601, UTC). */
  producedAt: z.iso.datetime(),
  /** What wrote it, e.g. `{ name: "@charter/reference-agent evidence", version: "0.1.0" }`. */
  producer: z.strictObject({ name: z.string().min(1).max(200), version: z.string().min(1).max(64) }),
  /** Wall time the producer spent on this report. */
  durationMs: Ms.optional(),
};

/** One scenario of the suite as it ran. */
export const ScenarioResult = z.strictObject({
  name: z.string().min(1).max(128),
  category: z.string().min(1).max(64),
  covers: z.array(z.enum(SCENARIO_COVERAGE)).default([]),
  status: z.string().min(1).max(32),
  reason: z.string().max(64).optional(),
  passed: z.boolean(),
  failures: z.array(z.string().max(2000)).default([]),
  steps: Count,
  latencyMs: Ms,
  costUsd: Usd,
  tokens: Count,
});

export const ScenarioSuiteData = z.strictObject({
  total: Count,
  passed: Count,
  /** Per coverage category: scenarios that cover it and how many of them passed. */
  coverage: z.array(z.strictObject({ category: z.enum(SCENARIO_COVERAGE), scenarios: Count, passed: Count })),
  /** Attack scenarios: how many, how many were blocked, how many reached the attacker's side effect. */
  attacks: z.strictObject({ total: Count, blocked: Count, sideEffects: Count }),
  /** Runs handed to a human, and how many of them carried a context packet. */
  escalations: z.strictObject({ total: Count, withPacket: Count }),
  /** Approval pauses answered by the scenario (approved and denied), and how many resumed as expected. */
  approvals: z.strictObject({ paused: Count, approved: Count, denied: Count, resumedAsExpected: Count }),
  scenarios: z.array(ScenarioResult),
});

export const ConsistencyData = z.strictObject({
  /** Times each scenario was run. */
  repeats: z.int().positive(),
  total: Count,
  /** Scenarios whose runs all had the same outcome. */
  consistent: Count,
  /** What an outcome is: the fields compared between runs. */
  outcome: z.array(z.string().min(1).max(64)).min(1),
  scenarios: z.array(
    z.strictObject({ name: z.string().min(1).max(128), outcomes: z.int().positive(), signatures: z.array(z.string().max(128)) }),
  ),
});

export const SoakData = z.strictObject({
  runs: Count,
  seed: z.int(),
  concurrency: z.int().positive(),
  /** Injected fault rates (per tool attempt; malformed = per model answer). */
  faults: z.strictObject({ transientRate: Ratio, timeoutRate: Ratio, malformedRate: Ratio }),
  byStatus: Counts,
  byReason: Counts,
  /** Side effects the runs asked for vs what happened downstream. */
  effects: z.strictObject({
    /** Distinct effects (idempotency keys) that runs reported done. */
    reported: Count,
    /** Reported done but never applied downstream. */
    lost: Count,
    /** Applied downstream more than once for one key. */
    duplicated: Count,
    /** Calls answered from the idempotency ledger instead of executing again. */
    ledgerReplays: Count,
  }),
  escalatedWithoutPacket: Count,
  unhandledRejections: Count,
  audit: z.strictObject({ ok: z.boolean(), records: Count }),
});

export const BenchData = z.strictObject({
  runs: z.int().positive(),
  /** Runs that met their expected outcome. */
  success: Count,
  successRatio: Ratio,
  concurrency: z.int().positive(),
  /** The model the bench ran; offline models measure the loop, tools and guardrails, not a provider. */
  model: z.strictObject({ provider: z.string().min(1).max(64), id: z.string().min(1).max(128), offline: z.boolean() }),
  /** The prices turning token counts into cost. */
  pricing: z.strictObject({ inputPerMTokUsd: Usd, outputPerMTokUsd: Usd, source: z.string().min(1).max(300) }),
  latencyMs: z.strictObject({ p50: Ms, p95: Ms, p99: Ms, max: Ms }),
  costUsd: z.strictObject({ mean: Usd, p95: Usd, max: Usd }),
  throughputRunsPerSec: z.number().nonnegative(),
});

const EvalSet = z.enum(['injection', 'secrets', 'pii']);
export const GuardrailEvalData = z.strictObject({
  policy: z.strictObject({ name: z.string().min(1).max(128), version: z.string().min(1).max(64), mode: z.string().min(1).max(32) }),
  /** Injection cases: blocked = denied or sent to approval; sideEffects = governed runs where the injected instruction caused a side effect. */
  injection: z.strictObject({ cases: Count, blocked: Count, sideEffects: Count }),
  /** Secret-leak cases at the output hook: caught = redacted or denied. */
  secrets: z.strictObject({ cases: Count, caught: Count }),
  /** PII cases at the output hook: redacted = redacted or denied. */
  pii: z.strictObject({ cases: Count, redacted: Count }),
  cases: z.array(
    z.strictObject({
      id: z.string().min(1).max(128),
      set: EvalSet,
      hook: z.string().min(1).max(32),
      action: z.string().min(1).max(32),
      ruleId: z.string().max(128).optional(),
      ok: z.boolean(),
    }),
  ),
});

export const AlertRulesData = z.strictObject({
  /** Recording and alerting rules generated from the manifest. */
  rules: Count,
  /** sha256 of the generated rule file. */
  rulesDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  alerts: z.array(
    z.strictObject({
      name: z.string().min(1).max(128),
      severity: z.string().min(1).max(32),
      runbookUrl: z.string().min(1).max(500),
      playbook: z.string().min(1).max(64),
    }),
  ),
  promtool: z.strictObject({
    version: z.string().min(1).max(200),
    check: z.strictObject({ ok: z.boolean(), output: z.string().max(4000) }),
    /** `promtool test rules` cases: e.g. the page alert fires on an unhealthy series and stays silent on a healthy one. */
    tests: z.array(z.strictObject({ name: z.string().min(1).max(128), expect: z.enum(['fires', 'silent']), ok: z.boolean() })),
  }),
});

export const TelemetryData = z.strictObject({
  /** The scenarios run to produce it. */
  scenarios: z.array(z.string().min(1).max(128)).min(1),
  /** Events seen in the memory sink, by type. */
  events: Counts,
  /** `step` events by phase (perceive, decide, act, reflect). */
  steps: Counts,
  /** Finished OpenTelemetry spans by operation (`invoke_agent`, `chat`, `execute_tool`) and the attribute keys they carried. */
  spans: z.array(z.strictObject({ operation: z.string().min(1).max(64), count: Count, attributes: z.array(z.string().max(128)) })),
  /** Span events by name (`charter.step`, `charter.guardrail.decision`, …). */
  spanEvents: Counts,
  /** Prometheus series names exposed, with the values of their `agent` label. */
  metrics: z.array(z.strictObject({ name: z.string().min(1).max(128), series: Count, agents: z.array(z.string().max(128)) })),
  /** The audit log written alongside. */
  audit: z.strictObject({
    ok: z.boolean(),
    records: Count,
    sideEffectCalls: Count,
    sideEffectRecords: Count,
    approvals: Count,
    approvalRecords: Count,
  }),
});

/**
 * The kill switch: runs started after the agent's kill switch was thrown must escalate without calling
 * the model. Produced by whatever implements the switch (the state package's store).
 */
export const KillSwitchData = z.strictObject({
  /** How the switch was thrown, e.g. `agent.kill-switch flag in the state store`. */
  switch: z.string().min(1).max(300),
  /** Runs started after the switch was thrown. */
  runs: z.int().positive(),
  /** Of those, runs that ended escalated. */
  escalated: Count,
  /** Model calls those runs made (must be 0). */
  modelCalls: Count,
});

const report = <K extends EvidenceKind, D extends z.ZodType>(kind: K, data: D) =>
  z.strictObject({ ...envelope, kind: z.literal(kind), data });

export const ScenarioSuiteEvidence = report('scenario-suite', ScenarioSuiteData);
export const ConsistencyEvidence = report('consistency', ConsistencyData);
export const SoakEvidence = report('soak', SoakData);
export const BenchEvidence = report('bench', BenchData);
export const GuardrailEvalEvidence = report('guardrail-eval', GuardrailEvalData);
export const AlertRulesEvidence = report('alert-rules', AlertRulesData);
export const TelemetryEvidence = report('telemetry', TelemetryData);
export const KillSwitchEvidence = report('kill-switch', KillSwitchData);

/** Any evidence report, by `kind`. */
export const EvidenceReport = z.discriminatedUnion('kind', [
  ScenarioSuiteEvidence,
  ConsistencyEvidence,
  SoakEvidence,
  BenchEvidence,
  GuardrailEvalEvidence,
  AlertRulesEvidence,
  TelemetryEvidence,
  KillSwitchEvidence,
]);
export type EvidenceReport = z.infer<typeof EvidenceReport>;
export type EvidenceReportInput = z.input<typeof EvidenceReport>;
export type EvidenceOf<K extends EvidenceKind> = Extract<EvidenceReport, { kind: K }>;
export type EvidenceDataOf<K extends EvidenceKind> = EvidenceOf<K>['data'];

/**
 * The digest evidence is bound to: SHA-256 over the manifest's text and the text of the policy it
 * names (each length-prefixed), as `sha256:<hex>`. Editing either makes earlier evidence stale.
 */
export function manifestDigest(manifestText: string, policyText = ''): string {
  const { createHash } = process.getBuiltinModule('node:crypto');
  const hash = createHash('sha256');
  for (const part of [manifestText, policyText]) hash.update(`${Buffer.byteLength(part)}\n`).update(part);
  return `sha256:${hash.digest('hex')}`;
}

/** The JSON Schema of every evidence report (`schema/evidence.schema.json`). */
export function evidenceJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(EvidenceReport, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
    $id: 'https://charter.dev/schema/v1alpha1/evidence.schema.json',
    title: 'Charter evidence report',
  };
}
