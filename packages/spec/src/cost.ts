// `spec.cost`: the cost controls an agent runs with. Each section is optional; a section that is
// absent leaves the loop as it was (no cache, no cascade, the built-in loop limit, one call at a time).
import { z } from 'zod';
import { Duration, Identifier } from './common.js';

/** A model as `spec.model` names one: a provider of the model registry and its model id. */
const CostModelRef = z.strictObject({
  provider: z.string().min(1).max(64),
  id: z.string().min(1).max(128),
});

/**
 * The decision cache: a model call whose inputs (model, instructions, messages, tool set with
 * versions, params, the policy and the guardrail decisions of the run so far) equal an earlier one's
 * is answered from the cache — only when the call is deterministic (`spec.model.params.temperature: 0`).
 * The answer still goes through the output guardrails and the tool-call rules like a fresh one.
 */
export const CostCache = z.strictObject({
  enabled: z.boolean().default(true),
  /**
   * Who shares cached answers: `tenant` (runs of the same tenant; a run without a tenant is not
   * cached), `user` (the same tenant and user; a run without a user is not cached) or `agent` (every run of the agent).
   */
  scope: z.enum(['tenant', 'user', 'agent']).default('tenant'),
  /** How long an answer stays usable. */
  ttl: Duration.default('1h'),
  /** At most this many answers are kept; the least recently used goes first. */
  maxEntries: z.int().positive().max(1_000_000).default(10_000),
});
export type CostCache = z.infer<typeof CostCache>;

/**
 * The model cascade: `model` (a small, cheaper model) answers first with a confidence signal; the
 * agent's `spec.model` (with its fallback) is called only when the confidence is below `threshold`.
 */
export const CostCascade = z.strictObject({
  model: CostModelRef,
  /** Confidence (0-1) at or above which the small model's answer is used. */
  threshold: z.number().min(0).max(1),
  /**
   * Where the confidence comes from: `self-reported` (the model's `providerMetadata.charter.confidence`,
   * or a last line `confidence: 0.9` of its text, which is removed), or `verifier` (a function the
   * host registers under `verifier`: `createAgent({ verifiers: { [name]: fn } })`).
   */
  signal: z.enum(['self-reported', 'verifier']).default('self-reported'),
  verifier: Identifier.optional(),
});
export type CostCascade = z.infer<typeof CostCascade>;

/**
 * Early exits. A step whose answer is final (no tool call, output guardrails pass) always ends the
 * run; this section sets when a run that repeats itself without progress ends early (escalated,
 * reason `loop_detected`).
 */
export const CostEarlyExit = z.strictObject({
  /** The same tool with the same arguments this many times in one run ends it. Default 3 (the loop's built-in limit). */
  repeatedCall: z.int().min(2).max(20).default(3),
  /** This many tool turns in a row whose results all repeat earlier results (no new information) end the run. Off when absent. */
  stalledTurns: z.int().min(1).max(20).optional(),
});
export type CostEarlyExit = z.infer<typeof CostEarlyExit>;

/**
 * Batching: model calls of several runs that are ready together go to the provider as one batch,
 * when the model declares the `batch` capability (the offline models do; see the agent README for
 * the providers that allow it). A model without it makes createAgent fail rather than run unbatched.
 */
export const CostBatch = z.strictObject({
  /** Calls in one batch at most. */
  maxBatchSize: z.int().min(2).max(1000).default(16),
  /** How long the first call of a batch waits for others. */
  maxWaitMs: z.int().min(0).max(1000).default(5),
});
export type CostBatch = z.infer<typeof CostBatch>;

export const CostSpec = z.strictObject({
  cache: CostCache.optional(),
  cascade: CostCascade.optional(),
  earlyExit: CostEarlyExit.optional(),
  batch: CostBatch.optional(),
});
export type CostSpec = z.infer<typeof CostSpec>;

/** What the cross-checks of `spec.cost` read from the rest of the manifest. */
export interface CostContext {
  readonly model: { readonly provider: string; readonly id: string; readonly params: { readonly temperature?: number | undefined } };
  readonly budgets: { readonly timeoutMs: number };
}

/** A contradiction between `spec.cost` and another field: the path (under the manifest) and what to do. */
export interface CostIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The contradictions between `spec.cost` and the rest of the manifest (the manifest schema reports them with file:line). */
export function costIssues(cost: CostSpec, spec: CostContext): CostIssue[] {
  const issues: CostIssue[] = [];
  const at = (...path: (string | number)[]) => ['spec', 'cost', ...path];
  const temperature = spec.model.params.temperature;
  if (cost.cache?.enabled === true && temperature !== 0) {
    issues.push({
      path: at('cache'),
      message: `the decision cache answers only deterministic calls, but spec.model.params.temperature is ${temperature === undefined ? 'not set (the provider default)' : String(temperature)}: set it to 0 or disable the cache`,
    });
  }
  const cascade = cost.cascade;
  if (cascade !== undefined) {
    if (cascade.model.provider === spec.model.provider && cascade.model.id === spec.model.id) {
      issues.push({
        path: at('cascade', 'model'),
        message: `the cascade's small model is spec.model itself (${spec.model.provider}/${spec.model.id}): name a smaller, cheaper model`,
      });
    }
    if (cascade.signal === 'verifier' && cascade.verifier === undefined)
      issues.push({
        path: at('cascade', 'verifier'),
        message: 'signal: verifier needs the name of the verifier the host registers (verifier: <name>)',
      });
    if (cascade.signal !== 'verifier' && cascade.verifier !== undefined)
      issues.push({
        path: at('cascade', 'verifier'),
        message: `a verifier is named but signal is ${cascade.signal}: set signal: verifier or remove verifier`,
      });
  }
  if (cost.batch !== undefined && cost.batch.maxWaitMs >= spec.budgets.timeoutMs) {
    issues.push({
      path: at('batch', 'maxWaitMs'),
      message: `a batch waits ${cost.batch.maxWaitMs} ms, not less than the run timeout budgets.timeoutMs (${spec.budgets.timeoutMs} ms): lower maxWaitMs`,
    });
  }
  return issues;
}
