import { SideEffects } from '@charter/spec/values';
import { semver } from './semver-lazy.js';
import { z } from 'zod';
import type { Credentials } from './credentials.js';
import { ToolDefinitionError } from './errors.js';

// What a call may change in the world: the manifest grants the same value, stated once in @charter/spec.
export type { SideEffects } from '@charter/spec/values';

/** Retries of transient failures: exponential backoff with full jitter, bounded in attempts and total time. */
export interface RetryOptions {
  /** Attempts including the first (1 = no retry). */
  readonly attempts: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** No retry starts when it would end after this many ms since the call began. */
  readonly maxTotalMs: number;
}

/** Per-tool circuit breaker over a sliding window of the last `windowSize` attempts. */
export interface BreakerOptions {
  readonly windowSize: number;
  /** The breaker never opens before it has seen this many attempts. */
  readonly minimumCalls: number;
  /** Opens when failures / attempts in the window reach this rate (0-1]. */
  readonly failureRateThreshold: number;
  /** How long it stays open before letting one probe through (half-open). */
  readonly openMs: number;
}

/** What the executor hands to `execute` / `simulate` for one attempt. */
export interface ToolContext {
  /** Aborted on timeout or when the caller aborts: pass it to fetch and friends. */
  readonly signal: AbortSignal;
  readonly runId: string;
  readonly callId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** The call's idempotency key: send it downstream (e.g. as an `Idempotency-Key` header). */
  readonly idempotencyKey: string | undefined;
  /** Only the scopes the tool declares and the manifest grants. */
  readonly credentials: Credentials;
  readonly mode: 'live' | 'simulate';
}

/** What `reconcile` found out about an in-doubt call (started, never acknowledged). */
export type Reconciliation<O> = { readonly done: true; readonly value: O } | { readonly done: false };

/** The argument of `defineTool`. */
export interface ToolDefinition<I extends z.ZodType, O extends z.ZodType> {
  /** Lower snake/kebab case, as in the manifest's `spec.tools[].name`. */
  readonly name: string;
  /** Semver of the tool's contract: bump major on a breaking schema change (`charter tools diff`). */
  readonly version: string;
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly sideEffects: SideEffects;
  /** Credential scopes the tool needs, e.g. `payments:refund`. */
  readonly scopes?: readonly string[];
  /** Per attempt; default 10 000. */
  readonly timeoutMs?: number;
  /** Partial options merge with the defaults; `false` disables retries. */
  readonly retry?: Partial<RetryOptions> | false;
  /** Bulkhead: concurrent calls of this tool per executor; default 16. */
  readonly maxConcurrent?: number;
  /** `false` disables the breaker. */
  readonly breaker?: Partial<BreakerOptions> | false;
  /** Names the side effect of an input, e.g. `refund:${orderId}`: the ledger executes one key once. */
  idempotencyKey?(input: z.output<I>): string;
  /** Used instead of `execute` in simulate mode (shadow traffic); must not change anything. */
  simulate?(input: z.output<I>, ctx: ToolContext): z.input<O> | Promise<z.input<O>>;
  /** Asked when the ledger holds a started-but-unacknowledged call with this key: did it happen? */
  reconcile?(input: z.output<I>, ctx: ToolContext): Reconciliation<z.input<O>> | Promise<Reconciliation<z.input<O>>>;
  execute(input: z.output<I>, ctx: ToolContext): z.input<O> | Promise<z.input<O>>;
}

/** A defined tool: the definition with every default applied. Run it through an executor. */
export interface Tool<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> extends ToolDefinition<I, O> {
  readonly scopes: readonly string[];
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
  readonly maxConcurrent: number;
  readonly breaker: BreakerOptions | false;
}

/** Any tool, whatever its schemas. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a heterogeneous list of tools needs the widest type
export type AnyTool = Tool<any, any>;
/** The parsed input type of a tool (what `execute` receives). */
export type ToolInput<T extends AnyTool> = z.output<T['input']>;
/** The raw input type a caller may pass. */
export type ToolInputArg<T extends AnyTool> = z.input<T['input']>;
/** The validated output type of a tool (what a successful result carries). */
export type ToolOutput<T extends AnyTool> = z.output<T['output']>;

export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000, maxTotalMs: 15_000 };
export const DEFAULT_BREAKER: BreakerOptions = { windowSize: 20, minimumCalls: 10, failureRateThreshold: 0.5, openMs: 30_000 };
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONCURRENT = 16;

// The definition schema is built by the first `defineTool`, not at import: constructing zod schemas
// is the main top-level work of this package's import.
function buildDefinitionShape() {
  const ToolName = z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}$/, { error: 'use a-z, 0-9, "_" and "-", starting with a letter, at most 64 characters' });
  const Scope = z.string().regex(/^[a-z][a-z0-9_-]{0,31}(?::[a-z][a-z0-9_-]{0,31}){0,3}$/, { error: 'a scope reads like "orders:read"' });
  const PositiveMs = z.int().min(1).max(3_600_000);

  return z.object({
    name: ToolName,
    version: z
      .string()
      .max(64)
      .refine((v) => semver.valid(v) !== null, { error: 'must be a semver version such as "1.0.0"' }),
    description: z.string().min(1).max(2000),
    sideEffects: SideEffects,
    scopes: z.array(Scope).max(32).optional(),
    timeoutMs: PositiveMs.optional(),
    retry: z
      .union([
        z.literal(false),
        z.strictObject({
          attempts: z.int().min(1).max(20).optional(),
          baseDelayMs: z.int().min(0).max(600_000).optional(),
          maxDelayMs: z.int().min(0).max(600_000).optional(),
          maxTotalMs: PositiveMs.optional(),
        }),
      ])
      .optional(),
    maxConcurrent: z.int().min(1).max(100_000).optional(),
    breaker: z
      .union([
        z.literal(false),
        z.strictObject({
          windowSize: z.int().min(1).max(10_000).optional(),
          minimumCalls: z.int().min(1).max(10_000).optional(),
          failureRateThreshold: z.number().gt(0).max(1).optional(),
          openMs: PositiveMs.optional(),
        }),
      ])
      .optional(),
  });
}
let definitionShape: ReturnType<typeof buildDefinitionShape> | undefined;

function isSchema(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

/**
 * Defines a tool: a versioned contract (zod input and output), its side effects, the credential scopes
 * it needs and its reliability limits. Throws `ToolDefinitionError` listing every invalid field.
 */
export function defineTool<I extends z.ZodType, O extends z.ZodType>(definition: ToolDefinition<I, O>): Tool<I, O> {
  const problems: string[] = [];
  const parsed = (definitionShape ??= buildDefinitionShape()).safeParse(definition);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || '(definition)'}: ${issue.message}`);
  }
  if (!isSchema(definition.input)) problems.push('input: must be a zod schema');
  if (!isSchema(definition.output)) problems.push('output: must be a zod schema');
  if (typeof definition.execute !== 'function') problems.push('execute: must be a function');
  for (const key of ['idempotencyKey', 'simulate', 'reconcile'] as const) {
    if (definition[key] !== undefined && typeof definition[key] !== 'function') problems.push(`${key}: must be a function`);
  }
  if (definition.reconcile !== undefined && definition.idempotencyKey === undefined) {
    problems.push('reconcile: only meaningful with an idempotencyKey');
  }
  const name = typeof definition.name === 'string' ? definition.name : '?';
  if (problems.length > 0) throw new ToolDefinitionError(`invalid tool "${name}": ${problems.join('; ')}`);
  const retry = definition.retry === false ? { ...DEFAULT_RETRY, attempts: 1 } : { ...DEFAULT_RETRY, ...definition.retry };
  if (retry.maxDelayMs < retry.baseDelayMs)
    throw new ToolDefinitionError(`invalid tool "${name}": retry.maxDelayMs is below retry.baseDelayMs`);
  const breaker = definition.breaker === false ? false : { ...DEFAULT_BREAKER, ...definition.breaker };
  if (breaker && breaker.minimumCalls > breaker.windowSize) {
    throw new ToolDefinitionError(`invalid tool "${name}": breaker.minimumCalls exceeds breaker.windowSize`);
  }
  return Object.freeze({
    ...definition,
    scopes: Object.freeze([...(definition.scopes ?? [])]),
    timeoutMs: definition.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry: Object.freeze(retry),
    maxConcurrent: definition.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
    breaker: breaker === false ? false : Object.freeze(breaker),
  });
}
