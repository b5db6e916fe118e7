// The report of `charter eval` (format `charter.eval`, `v: 1`): an agent's offline accuracy over its
// scenario suite and over recorded runs labelled by feedback, per category with a Wilson interval,
// optionally compared with a baseline report (a one-sided exact test per category) and with its
// failures clustered into patterns. The readiness gate or a rollout's shadow stage reads it; its JSON
// Schema is `packages/spec/schema/eval-report.schema.json`.
import { z } from 'zod';

export const EVAL_REPORT_FORMAT = 'charter.eval';
export const EVAL_REPORT_VERSION = 1;

const Count = z.int().nonnegative();
const Ratio = z.number().min(0).max(1);
const Text = z.string().max(2000);
const Key = z.string().min(1).max(200);

/** A proportion with its Wilson score interval at `level`. */
export const EvalProportion = z.strictObject({
  passed: Count,
  total: Count,
  /** passed / total (0 when total is 0). */
  accuracy: Ratio,
  low: Ratio,
  high: Ratio,
});
export type EvalProportion = z.infer<typeof EvalProportion>;

/** One labelled case as it ran: a scenario of the suite, or a recorded run replayed against its feedback. */
export const EvalCase = z.strictObject({
  id: Key,
  source: z.enum(['scenario', 'feedback']),
  category: Key,
  passed: z.boolean(),
  /** Each way the run missed its expectation, in words. */
  failures: z.array(Text),
  status: z.string().min(1).max(32),
  reason: z.string().max(64).optional(),
  /** Guardrail rule ids of the decisions that were not `allow`. */
  ruleIds: z.array(Key),
  /** Error codes of tool calls that failed. */
  errorCodes: z.array(Key),
  costUsd: z.number().nonnegative(),
  /** The feedback that labelled the case (source `feedback`). */
  feedbackId: Key.optional(),
});
export type EvalCase = z.infer<typeof EvalCase>;

export const EvalCategory = EvalProportion.extend({ category: Key });
export type EvalCategory = z.infer<typeof EvalCategory>;

/** One category compared with the baseline. */
export const EvalComparisonRow = z.strictObject({
  category: Key,
  baseline: z.strictObject({ passed: Count, total: Count }),
  current: z.strictObject({ passed: Count, total: Count }),
  /** current accuracy − baseline accuracy. */
  delta: z.number().min(-1).max(1),
  /** One-sided p-value of "the current version fails more often" (Fisher's exact test). */
  pValue: Ratio,
  /** The p-value after the correction over every compared category (equal to `pValue` with `none`). */
  adjustedP: Ratio,
  regressed: z.boolean(),
  /** Whether this category could show a regression at all: every current case failing would reach significance. */
  detectable: z.boolean(),
});
export type EvalComparisonRow = z.infer<typeof EvalComparisonRow>;

export const EvalComparison = z.strictObject({
  baseline: z.strictObject({ agent: Key, version: Key.optional(), producedAt: z.iso.datetime() }),
  test: z.literal('fisher-exact-one-sided'),
  /** `none`: each category tested at `alpha`; `holm`: the family of categories at `alpha` (Holm's step-down). */
  correction: z.enum(['none', 'holm']),
  alpha: z.number().gt(0).lt(1),
  regressed: z.boolean(),
  categories: z.array(EvalComparisonRow),
});
export type EvalComparison = z.infer<typeof EvalComparison>;

/** What failures share: a guardrail rule, a tool error code, an escalation reason, or a scenario category. */
export const EVAL_PATTERN_KINDS = ['rule', 'error-code', 'escalation', 'category'] as const;
export const EvalPatternKind = z.enum(EVAL_PATTERN_KINDS);
export type EvalPatternKind = (typeof EVAL_PATTERN_KINDS)[number];

export const EvalPattern = z.strictObject({
  kind: EvalPatternKind,
  value: Key,
  /** Failed cases in the cluster. */
  count: Count,
  /** What those failed runs cost (model spend). */
  costUsd: z.number().nonnegative(),
  /** The rank key: count × cost (count alone when the runs cost nothing). */
  score: z.number().nonnegative(),
  /** Failed cases, by id (at most 20). */
  cases: z.array(Key).max(20),
  /** The playbooks whose triggers cover it; empty when none does. */
  playbooks: z.array(Key),
});
export type EvalPattern = z.infer<typeof EvalPattern>;

export const EvalReport = z.strictObject({
  format: z.literal(EVAL_REPORT_FORMAT),
  v: z.literal(EVAL_REPORT_VERSION),
  /** `metadata.name` of the agent. */
  agent: Key,
  /** What was evaluated, e.g. a git commit or a policy version (`--label`). */
  version: Key.optional(),
  producedAt: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  /** Confidence level of every interval (0.95). */
  level: z.number().gt(0).lt(1),
  overall: EvalProportion,
  categories: z.array(EvalCategory),
  /** The feedback set: labelled runs replayed, and what could not be used. */
  feedback: z.strictObject({
    records: Count,
    labelled: Count,
    replayed: Count,
    /** Labelled runs without a recording to replay (`--recordings`). */
    missingRecording: z.array(Key),
    /** Feedback with neither a correction nor a positive rating: no expectation to check. */
    unlabelled: Count,
  }),
  cases: z.array(EvalCase),
  comparison: EvalComparison.optional(),
  patterns: z.array(EvalPattern).optional(),
});
export type EvalReport = z.infer<typeof EvalReport>;

/** The JSON Schema of an eval report (draft 2020-12). */
export function evalReportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(EvalReport, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }),
    $id: 'https://charter.dev/schema/v1alpha1/eval-report.schema.json',
    title: 'Charter eval report',
  };
}

// The contract between `charter eval` and an eval subject (an agent module): plain types, declared
// here so that the judge and every subject read one definition.

/** What a run should have done (a scenario's expectation, a feedback's correction): every field that is set is checked. */
export interface EvalExpectation {
  /** Any of these statuses. */
  readonly status?: readonly string[];
  /** The escalation reason (or error code). */
  readonly reason?: string;
  /** Text the answer contains (case- and whitespace-insensitive). */
  readonly answer?: string;
  /** Text the answer must not contain. */
  readonly answerExcludes?: string;
  /** Tools that ran with outcome ok. */
  readonly mustRun?: readonly string[];
  /** Tools that did not run (no ok outcome, no downstream effect). */
  readonly mustNotRun?: readonly string[];
  /** Guardrail rule ids (or prefixes ending in `.`) that fired. */
  readonly rules?: readonly string[];
  /** At least one of these rule ids (or prefixes) fired. */
  readonly rulesAny?: readonly string[];
  /** Whether the run paused for an approval first. */
  readonly paused?: boolean;
}

/** What a run did, as an eval subject observed it (the agent's side of `charter eval`). */
export interface EvalObservation {
  readonly status: string;
  readonly reason?: string | undefined;
  readonly output?: string | undefined;
  /** Tool calls and their outcomes (`ok`, `error`, `denied`, …) with the error code of a failed one. */
  readonly actions: readonly { readonly tool: string; readonly outcome: string; readonly errorCode?: string | undefined }[];
  /** Rule ids of the guardrail decisions that were not `allow`. */
  readonly ruleIds: readonly string[];
  readonly costUsd: number;
  readonly paused?: boolean | undefined;
  /** Tools whose side effect happened downstream (what the subject's fakes saw), when it knows. */
  readonly effects?: readonly string[] | undefined;
  /** Failures only the subject can see (e.g. an attack that reached its goal). */
  readonly violations?: readonly string[] | undefined;
}
