import { resolve as resolvePath } from 'node:path';
import type { z } from 'zod';
import { type BreakerPermit, type BreakerState, CircuitBreaker } from './breaker.js';
import { classifyError, type ToolFailure, toJson } from './classify.js';
import { CallCredentials, type CredentialProvider, envCredentials } from './credentials.js';
import type { AnyTool, SideEffects, ToolContext } from './define.js';
import { ToolError, ToolErrorCode, type ToolIssue } from './errors.js';
import { FileLedger, type IdempotencyLedger, type LedgerRecord } from './ledger.js';
import { type ResolvedToolset, toolsetOf } from './registry.js';

/** Per call: who calls, how, and how to cancel. */
export interface ExecuteContext {
  readonly runId: string;
  /** Defaults to `<runId>#<n>`. */
  readonly callId?: string;
  /** Aborts the call (and any backoff wait) when the caller gives up. */
  readonly signal?: AbortSignal;
  /** `simulate` (shadow traffic): side-effecting tools run `simulate` or are refused. Default `live`. */
  readonly mode?: 'live' | 'simulate';
  /** Overrides the tool's `idempotencyKey(input)` for this call (e.g. derived from runId and step). */
  readonly idempotencyKey?: string;
  /**
   * The caller has validated the input against this tool's `input` schema and passes the schema's
   * output (`safeParse(raw).data`): the executor does not validate it a second time. The agent loop
   * sets it for a model's call it validated when it read it; anything else (a resumed call, rewritten
   * arguments) goes through the contract.
   */
  readonly inputValidated?: boolean;
}

/** How a call went, on success and failure alike. */
export interface CallMeta {
  readonly tool: string;
  readonly version: string;
  /** Attempts that reached the tool (0 when refused or replayed before any attempt). */
  attempts: number;
  durationMs: number;
  /** The value came from the idempotency ledger or a concurrent identical call, not a new execution. */
  replayed: boolean;
  /** The value came from the tool's `simulate`. */
  simulated: boolean;
  /** The breaker's state when the call finished. */
  breaker: BreakerState;
}

/** What `execute` resolves to. It never throws for a tool failure. */
export type ToolResult<T = unknown> =
  | { readonly ok: true; readonly value: T; readonly meta: CallMeta }
  | { readonly ok: false; readonly error: ToolFailure; readonly meta: CallMeta };

/** What hooks see of a call. `input` is the validated input. */
export interface ToolCall {
  readonly tool: string;
  readonly version: string;
  readonly sideEffects: SideEffects;
  /** The granted credential scopes. */
  readonly scopes: readonly string[];
  /** The manifest's approval policy text, when resolved from a manifest. */
  readonly approval: string | undefined;
  readonly input: unknown;
  readonly runId: string;
  readonly callId: string;
  readonly mode: 'live' | 'simulate';
  readonly idempotencyKey: string | undefined;
}

/** A `before` hook's answer: nothing (proceed) or a refusal. Return a promise to pause (approvals). */
export type BeforeDecision = undefined | { readonly action: 'allow' } | { readonly action: 'refuse'; readonly reason: string };

/**
 * Where guardrails, approvals and telemetry plug in. Only `before` may be async. Errors thrown by
 * `before` refuse the call (fail closed); errors thrown by the others are passed to `onHookError`
 * and never change the result.
 */
export interface ToolHooks {
  before?(call: ToolCall): BeforeDecision | Promise<BeforeDecision>;
  after?(call: ToolCall, result: ToolResult): void;
  onRetry?(call: ToolCall, retry: { readonly attempt: number; readonly delayMs: number; readonly error: ToolFailure }): void;
  onBreakerStateChange?(change: { readonly tool: string; readonly from: BreakerState; readonly to: BreakerState }): void;
  onHookError?(hook: 'after' | 'onRetry' | 'onBreakerStateChange', error: unknown): void;
}

export interface ExecutorOptions {
  /** Default: a `FileLedger` at `<cwd>/.charter/idempotency.jsonl`, opened on the first keyed call. */
  readonly ledger?: IdempotencyLedger;
  /** Default: `envCredentials()`. */
  readonly credentials?: CredentialProvider;
  readonly hooks?: ToolHooks;
  /** Monotonic milliseconds (tests); default `performance.now`. */
  readonly now?: () => number;
  /** Uniform [0, 1) for backoff jitter (tests); default `Math.random`. */
  readonly random?: () => number;
}

/** Runs tools: the only way tools run. */
export interface Executor {
  /** Validates, runs and reports one call; resolves `{ ok: false, error }` for every failure. */
  execute(name: string, input: unknown, context: ExecuteContext): Promise<ToolResult>;
  /** Names of the tools this executor runs. */
  readonly names: readonly string[];
  /** What a tool is and what it was granted, for the agent and guardrails; undefined when unknown. */
  describe(name: string): ToolDescription | undefined;
  breakerState(name: string): BreakerState | undefined;
  /** Closes the ledger. */
  close(): Promise<void>;
}

export interface ToolDescription {
  readonly tool: AnyTool;
  readonly sideEffects: SideEffects;
  readonly scopes: readonly string[];
  readonly approval: string | undefined;
}

interface Entry {
  readonly tool: AnyTool;
  readonly scopes: readonly string[];
  readonly approval: string | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly noCredentials: CallCredentials;
  readonly pending: Map<string, Promise<ToolResult>>;
  active: number;
}

/** Why an attempt did not produce a value. */
class AttemptInterrupted extends Error {}
const TIMEOUT = new AttemptInterrupted('timeout');
const ABORTED = new AttemptInterrupted('aborted');

const noProvider: CredentialProvider = { get: () => undefined };

/** Creates the executor for a resolved toolset (or plain tools, which are granted no scopes). */
export function createExecutor(toolset: ResolvedToolset | readonly AnyTool[], options: ExecutorOptions = {}): Executor {
  return new ToolExecutor(Array.isArray(toolset) ? toolsetOf(toolset) : (toolset as ResolvedToolset), options);
}

class ToolExecutor implements Executor {
  readonly names: readonly string[];
  readonly #entries = new Map<string, Entry>();
  readonly #hooks: ToolHooks | undefined;
  readonly #needsCall: boolean;
  readonly #provider: CredentialProvider;
  readonly #now: () => number;
  readonly #random: () => number;
  #ledger: IdempotencyLedger | undefined;
  #seq = 0;

  constructor(toolset: ResolvedToolset, options: ExecutorOptions) {
    this.#hooks = options.hooks;
    const hooks = options.hooks;
    this.#needsCall = hooks !== undefined && (hooks.before !== undefined || hooks.after !== undefined || hooks.onRetry !== undefined);
    this.#provider = options.credentials ?? envCredentials();
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    this.#ledger = options.ledger;
    for (const [name, resolved] of toolset.tools) {
      const tool = resolved.tool;
      const breaker =
        tool.breaker === false
          ? undefined
          : new CircuitBreaker(tool.breaker, this.#now, (from, to) => {
              this.#safeHook('onBreakerStateChange', () => hooks?.onBreakerStateChange?.({ tool: name, from, to }));
            });
      this.#entries.set(name, {
        tool,
        scopes: resolved.scopes,
        approval: resolved.grant?.approval,
        breaker,
        noCredentials: new CallCredentials(name, '', [], noProvider),
        pending: new Map(),
        active: 0,
      });
    }
    this.names = Object.freeze([...this.#entries.keys()]);
  }

  describe(name: string): ToolDescription | undefined {
    const entry = this.#entries.get(name);
    if (entry === undefined) return undefined;
    return { tool: entry.tool, sideEffects: entry.tool.sideEffects, scopes: entry.scopes, approval: entry.approval };
  }

  breakerState(name: string): BreakerState | undefined {
    const entry = this.#entries.get(name);
    return entry === undefined ? undefined : (entry.breaker?.state ?? 'closed');
  }

  async close(): Promise<void> {
    await this.#ledger?.close();
  }

  async execute(name: string, input: unknown, context: ExecuteContext): Promise<ToolResult> {
    const started = this.#now();
    const entry = this.#entries.get(name);
    if (entry === undefined) {
      const meta: CallMeta = { tool: name, version: '', attempts: 0, durationMs: 0, replayed: false, simulated: false, breaker: 'closed' };
      const known = [...this.#entries.keys()].join(', ');
      return {
        ok: false,
        error: { code: ToolErrorCode.NotFound, retriable: false, message: `no tool "${name}" in this executor (tools: ${known})` },
        meta,
      };
    }
    const tool = entry.tool;
    const meta: CallMeta = {
      tool: tool.name,
      version: tool.version,
      attempts: 0,
      durationMs: 0,
      replayed: false,
      simulated: false,
      breaker: 'closed',
    };
    let call: ToolCall | undefined;
    let result: ToolResult;
    try {
      // 1. The input contract (checked by the caller when it says so).
      let parsed: z.ZodSafeParseResult<unknown>;
      try {
        parsed = context.inputValidated === true ? { success: true, data: input } : (tool.input as z.ZodType).safeParse(input);
      } catch (error) {
        return this.#end(
          entry,
          meta,
          started,
          undefined,
          failed(ToolErrorCode.Input, `invalid input for tool "${name}": ${String(error)}`),
        );
      }
      if (!parsed.success) {
        const issues = toIssues(parsed.error.issues);
        return this.#end(entry, meta, started, undefined, {
          code: ToolErrorCode.Input,
          retriable: false,
          message: `invalid input for tool "${name}": ${issues.map((i) => `${i.path.length === 0 ? '(root)' : i.path.join('.')}: ${i.message}`).join('; ')}`,
          issues,
        });
      }
      const value: unknown = parsed.data;
      const mode = context.mode ?? 'live';
      const simulate = mode === 'simulate' && tool.sideEffects !== 'none';
      if (simulate && tool.simulate === undefined) {
        return this.#end(
          entry,
          meta,
          started,
          undefined,
          failed(
            ToolErrorCode.SimulationUnavailable,
            `tool "${name}" has side effects (${tool.sideEffects}) and no simulate function: refused in simulate mode`,
          ),
        );
      }
      let key: string | undefined;
      if (!simulate && tool.sideEffects !== 'none') {
        const own = context.idempotencyKey ?? tool.idempotencyKey?.(value);
        if (own !== undefined) key = `${tool.name}:${own}`;
      }
      const callId = context.callId ?? `${context.runId}#${++this.#seq}`;
      if (this.#needsCall) {
        call = {
          tool: tool.name,
          version: tool.version,
          sideEffects: tool.sideEffects,
          scopes: entry.scopes,
          approval: entry.approval,
          input: value,
          runId: context.runId,
          callId,
          mode,
          idempotencyKey: key,
        };
      }
      // 2. Guardrails and approvals.
      const hooks = this.#hooks;
      if (hooks?.before !== undefined && call !== undefined) {
        let decision: BeforeDecision;
        try {
          decision = await hooks.before(call);
        } catch (error) {
          return this.#end(
            entry,
            meta,
            started,
            call,
            failed(ToolErrorCode.Refused, `the before hook of "${name}" failed, so the call is refused: ${String(error)}`),
          );
        }
        if (decision?.action === 'refuse')
          return this.#end(entry, meta, started, call, failed(ToolErrorCode.Refused, `call to "${name}" refused: ${decision.reason}`));
      }
      if (context.signal?.aborted === true)
        return this.#end(entry, meta, started, call, failed(ToolErrorCode.Aborted, `call to "${name}" aborted by the caller`));
      // 3. Idempotency, then attempts.
      if (key === undefined) {
        result = await this.#attempts(entry, value, context, callId, meta, started, call, undefined, simulate);
      } else {
        const pending = entry.pending.get(key);
        if (pending !== undefined) {
          const first = await pending;
          meta.replayed = true;
          result = first.ok ? { ok: true, value: first.value, meta } : { ok: false, error: first.error, meta };
        } else {
          const run = this.#keyed(entry, value, key, context, callId, meta, started, call);
          entry.pending.set(key, run);
          try {
            result = await run;
          } finally {
            entry.pending.delete(key);
          }
        }
      }
    } catch (error) {
      result = { ok: false, error: classifyError(name, error), meta };
    }
    return this.#end(entry, meta, started, call, result);
  }

  /**
   * A keyed call. With a ledger that can lock, the call holds `lock(key)` — the lease of the key's one
   * owner — from "read the latest record" through deciding, appending `started`, running the tool and
   * appending `completed` or `failed`, so an identical call elsewhere (another executor, another
   * process) waits for it and then replays its result instead of taking its `started` record for one in
   * doubt. The wait is bounded by the tool's own budget for a call (`inFlightWaitMs`) and the caller's
   * signal; past it the call fails with `TOOL_IN_FLIGHT` (retriable). A `started` record found under the
   * lock has no live owner any more: that is what goes to `reconcile` or `TOOL_IN_DOUBT`.
   */
  async #keyed(
    entry: Entry,
    value: unknown,
    key: string,
    context: ExecuteContext,
    callId: string,
    meta: CallMeta,
    started: number,
    call: ToolCall | undefined,
  ): Promise<ToolResult> {
    const ledger = this.#getLedger();
    if (ledger.lock === undefined) return this.#decide(entry, ledger, value, key, context, callId, meta, started, call);
    const tool = entry.tool;
    let release: () => Promise<void>;
    try {
      release = await ledger.lock(key, { waitMs: inFlightWaitMs(tool), signal: context.signal });
    } catch (error) {
      if (context.signal?.aborted === true)
        return {
          ok: false,
          error: failed(ToolErrorCode.Aborted, `call to "${tool.name}" aborted by the caller while an identical call was in flight`),
          meta,
        };
      if (ToolError.isInstance(error) && error.code === ToolErrorCode.InFlight)
        return { ok: false, error: failed(ToolErrorCode.InFlight, `call to "${tool.name}": ${error.message}`, true), meta };
      throw error;
    }
    try {
      return await this.#decide(entry, ledger, value, key, context, callId, meta, started, call);
    } finally {
      await release().catch(() => undefined);
    }
  }

  async #decide(
    entry: Entry,
    ledger: IdempotencyLedger,
    value: unknown,
    key: string,
    context: ExecuteContext,
    callId: string,
    meta: CallMeta,
    started: number,
    call: ToolCall | undefined,
  ): Promise<ToolResult> {
    const tool = entry.tool;
    const record = await ledger.get(key);
    if (record?.state === 'completed') {
      meta.replayed = true;
      if (record.code !== undefined)
        return {
          ok: false,
          error: failed(record.code as ToolErrorCode, `the recorded call with key "${key}" failed with ${record.code}`),
          meta,
        };
      return this.#validated(entry, record.value, meta, undefined);
    }
    if (record?.state === 'started') {
      if (tool.reconcile === undefined) {
        return {
          ok: false,
          error: failed(
            ToolErrorCode.InDoubt,
            `an earlier call of "${tool.name}" with idempotency key "${key}" (run ${record.runId}, ${record.at}) started and was never acknowledged, and nothing is running it any more (it timed out, was aborted or its process died): its effect may have happened. Check the downstream system, then give the tool a reconcile function or clear the key`,
          ),
          meta,
        };
      }
      const credentials =
        entry.scopes.length === 0 ? entry.noCredentials : new CallCredentials(tool.name, context.runId, entry.scopes, this.#provider);
      const ctx = new AttemptContext(context.runId, callId, 0, key, credentials, 'live');
      const outcome = await runAttempt(tool, 'reconcile', value, ctx, context.signal).catch((error: unknown) => ({ error }));
      if (typeof outcome === 'object' && outcome !== null && 'error' in outcome) {
        return { ok: false, error: attemptFailure(tool, outcome.error, true, credentials), meta };
      }
      const reconciliation = outcome as { done?: unknown; value?: unknown } | undefined;
      if (reconciliation?.done === true) {
        meta.replayed = true;
        const result = this.#validated(entry, reconciliation.value, meta, credentials);
        if (result.ok) await ledger.append(this.#record(entry, key, context.runId, 'completed', result.value, undefined));
        return result;
      }
    }
    return this.#attempts(entry, value, context, callId, meta, started, call, key, false);
  }

  async #attempts(
    entry: Entry,
    value: unknown,
    context: ExecuteContext,
    callId: string,
    meta: CallMeta,
    started: number,
    call: ToolCall | undefined,
    key: string | undefined,
    simulate: boolean,
  ): Promise<ToolResult> {
    const tool = entry.tool;
    if (entry.active >= tool.maxConcurrent) {
      return {
        ok: false,
        error: failed(
          ToolErrorCode.Busy,
          `tool "${tool.name}" already runs ${tool.maxConcurrent} calls (bulkhead full): try again later`,
          true,
        ),
        meta,
      };
    }
    entry.active += 1;
    try {
      const safeToRetry = simulate || tool.sideEffects === 'none' || key !== undefined;
      const maxAttempts = safeToRetry ? tool.retry.attempts : 1;
      const credentials =
        entry.scopes.length === 0 ? entry.noCredentials : new CallCredentials(tool.name, context.runId, entry.scopes, this.#provider);
      const breaker = entry.breaker;
      let recordedStart = false;
      let inDoubt = false;
      for (let attempt = 1; ; attempt += 1) {
        const permit: BreakerPermit = breaker === undefined ? 1 : breaker.acquire();
        if (permit === 0) {
          const retryAfter = breaker?.retryAfterMs() ?? 0;
          return await this.#settleKey(entry, key, context, meta, inDoubt, {
            ok: false,
            error: failed(
              ToolErrorCode.Unavailable,
              `tool "${tool.name}" is unavailable (circuit ${breaker?.state ?? 'open'}): try again in ${Math.ceil(retryAfter)} ms`,
              true,
            ),
            meta,
          });
        }
        if (key !== undefined && !recordedStart) {
          try {
            await this.#getLedger().append(this.#record(entry, key, context.runId, 'started', undefined, undefined));
          } catch (error) {
            breaker?.release(permit);
            throw error;
          }
          recordedStart = true;
        }
        meta.attempts = attempt;
        const ctx = new AttemptContext(context.runId, callId, attempt, key, credentials, simulate ? 'simulate' : (context.mode ?? 'live'));
        let raw: unknown;
        let failure: ToolFailure | undefined;
        try {
          const returned = invoke(tool, simulate ? 'simulate' : 'execute', value, ctx);
          // A synchronous tool needs no timer: nothing can interrupt it anyway.
          raw = isThenable(returned) ? await guard(tool, returned, ctx, context.signal) : returned;
        } catch (error) {
          if (error === ABORTED) {
            breaker?.release(permit);
            inDoubt ||= !simulate;
            return await this.#settleKey(entry, key, context, meta, inDoubt, {
              ok: false,
              error: failed(ToolErrorCode.Aborted, `call to "${tool.name}" aborted by the caller`),
              meta,
            });
          }
          if (error === TIMEOUT) inDoubt ||= !simulate;
          failure = attemptFailure(tool, error, safeToRetry, credentials);
        }
        if (failure === undefined) {
          breaker?.record(permit, false);
          meta.simulated = simulate;
          const result = this.#validated(entry, raw, meta, credentials);
          return key === undefined ? result : await this.#settleKey(entry, key, context, meta, false, result);
        }
        breaker?.record(permit, failure.retriable || failure.code === ToolErrorCode.Timeout);
        const elapsed = this.#now() - started;
        if (!failure.retriable || attempt >= maxAttempts)
          return await this.#settleKey(entry, key, context, meta, inDoubt, { ok: false, error: failure, meta });
        const cap = Math.min(tool.retry.maxDelayMs, tool.retry.baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.floor(this.#random() * cap);
        if (elapsed + delayMs >= tool.retry.maxTotalMs) {
          return await this.#settleKey(entry, key, context, meta, inDoubt, { ok: false, error: failure, meta });
        }
        const hooks = this.#hooks;
        if (hooks?.onRetry !== undefined && call !== undefined) {
          const info = { attempt, delayMs, error: failure };
          this.#safeHook('onRetry', () => {
            hooks.onRetry?.(call, info);
          });
        }
        if (!(await sleep(delayMs, context.signal))) {
          return await this.#settleKey(entry, key, context, meta, inDoubt, {
            ok: false,
            error: failed(ToolErrorCode.Aborted, `call to "${tool.name}" aborted by the caller during backoff`),
            meta,
          });
        }
      }
    } finally {
      entry.active -= 1;
    }
  }

  /** Writes the end of a keyed call: completed on success, failed when the tool said so, nothing when in doubt. */
  async #settleKey(
    entry: Entry,
    key: string | undefined,
    context: ExecuteContext,
    meta: CallMeta,
    inDoubt: boolean,
    result: ToolResult,
  ): Promise<ToolResult> {
    if (key === undefined || meta.attempts === 0) return result;
    if (result.ok) {
      await this.#getLedger().append(this.#record(entry, key, context.runId, 'completed', result.value, undefined));
    } else if (result.error.code === ToolErrorCode.CredentialLeak || result.error.code === ToolErrorCode.Output) {
      // The effect happened but the result is unusable: never run it again, never store the value.
      await this.#getLedger().append(this.#record(entry, key, context.runId, 'completed', undefined, result.error.code));
    } else if (!inDoubt) {
      await this.#getLedger().append(this.#record(entry, key, context.runId, 'failed', undefined, result.error.code));
    }
    return result;
  }

  #validated(entry: Entry, raw: unknown, meta: CallMeta, credentials: CallCredentials | undefined): ToolResult {
    const tool = entry.tool;
    let out: z.ZodSafeParseResult<unknown>;
    try {
      out = (tool.output as z.ZodType).safeParse(raw);
    } catch (error) {
      return { ok: false, error: failed(ToolErrorCode.Output, `tool "${tool.name}" broke its output contract: ${String(error)}`), meta };
    }
    if (!out.success) {
      const issues = toIssues(out.error.issues);
      const message = `tool "${tool.name}" broke its output contract: ${issues.map((i) => `${i.path.length === 0 ? '(root)' : i.path.join('.')}: ${i.message}`).join('; ')}`;
      return {
        ok: false,
        error: { code: ToolErrorCode.Output, retriable: false, message: credentials ? credentials.redact(message) : message, issues },
        meta,
      };
    }
    if (credentials?.issuedAny === true) {
      let text: string;
      try {
        text = toJson(out.data) ?? '';
      } catch {
        text = String(out.data);
      }
      if (credentials.leaksInto(text)) {
        return {
          ok: false,
          error: failed(ToolErrorCode.CredentialLeak, `tool "${tool.name}" returned one of its credentials: the result is withheld`),
          meta,
        };
      }
    }
    return { ok: true, value: out.data, meta };
  }

  #end(entry: Entry, meta: CallMeta, started: number, call: ToolCall | undefined, outcome: ToolResult | ToolFailure): ToolResult {
    meta.durationMs = this.#now() - started;
    meta.breaker = entry.breaker?.state ?? 'closed';
    const result: ToolResult = 'meta' in outcome ? outcome : { ok: false, error: outcome, meta };
    const hooks = this.#hooks;
    if (hooks?.after !== undefined && call !== undefined) {
      this.#safeHook('after', () => {
        hooks.after?.(call, result);
      });
    }
    return result;
  }

  #record(entry: Entry, key: string, runId: string, state: LedgerRecord['state'], value: unknown, code: string | undefined): LedgerRecord {
    const record: { -readonly [K in keyof LedgerRecord]: LedgerRecord[K] } = {
      key,
      state,
      tool: entry.tool.name,
      version: entry.tool.version,
      runId,
      at: isoNow(),
    };
    if (state === 'completed' && code === undefined) record.value = value;
    if (code !== undefined) record.code = code;
    return record;
  }

  #getLedger(): IdempotencyLedger {
    this.#ledger ??= new FileLedger(resolvePath('.charter', 'idempotency.jsonl'));
    return this.#ledger;
  }

  #safeHook(hook: 'after' | 'onRetry' | 'onBreakerStateChange', run: () => void): void {
    try {
      run();
    } catch (error) {
      try {
        this.#hooks?.onHookError?.(hook, error);
      } catch {
        // A failing error reporter must not fail the call.
      }
    }
  }
}

/**
 * How long a keyed call waits for an identical call in flight: as long as that call may run. A reconcile
 * and the first attempt take up to `timeoutMs` each; a retry starts no later than `retry.maxTotalMs`
 * into the call and takes up to `timeoutMs`.
 */
function inFlightWaitMs(tool: AnyTool): number {
  return tool.timeoutMs + Math.max(tool.timeoutMs, tool.retry.attempts > 1 ? tool.retry.maxTotalMs : 0);
}

// A side-effecting call writes two ledger records (started, completed) in the same millisecond or
// two: the ISO time is formatted once per millisecond, not per record.
let isoMs = Number.NaN;
let isoText = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

function failed(code: ToolErrorCode, message: string, retriable = false): ToolFailure {
  return { code, retriable, message };
}

function toIssues(issues: readonly z.core.$ZodIssue[]): ToolIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    message: issue.message,
    code: issue.code,
  }));
}

function attemptFailure(tool: AnyTool, error: unknown, safeToRetry: boolean, credentials: CallCredentials): ToolFailure {
  if (error === TIMEOUT) {
    return failed(
      ToolErrorCode.Timeout,
      `tool "${tool.name}" did not finish within ${tool.timeoutMs} ms${safeToRetry ? '' : ': its effect is in doubt, so it is not retried'}`,
      safeToRetry,
    );
  }
  const failure = classifyError(tool.name, error);
  const message = credentials.redact(failure.message);
  // A tool with side effects and no idempotency key is never retried: a retry could repeat the effect.
  const retriable = failure.retriable && safeToRetry;
  return failure.issues === undefined
    ? { code: failure.code, retriable, message }
    : { code: failure.code, retriable, message, issues: failure.issues };
}

/**
 * The context of one attempt. The AbortController is created only when the tool reads `signal`
 * (most calls never do): creating one costs about a microsecond on the hot path.
 */
class AttemptContext implements ToolContext {
  readonly runId: string;
  readonly callId: string;
  readonly attempt: number;
  readonly idempotencyKey: string | undefined;
  readonly credentials: CallCredentials;
  readonly mode: 'live' | 'simulate';
  #controller: AbortController | undefined;
  #reason: Error | undefined;

  constructor(
    runId: string,
    callId: string,
    attempt: number,
    idempotencyKey: string | undefined,
    credentials: CallCredentials,
    mode: 'live' | 'simulate',
  ) {
    this.runId = runId;
    this.callId = callId;
    this.attempt = attempt;
    this.idempotencyKey = idempotencyKey;
    this.credentials = credentials;
    this.mode = mode;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: Error): void {
    this.#reason ??= reason;
    this.#controller?.abort(reason);
  }
}

function invoke(tool: AnyTool, which: 'execute' | 'simulate' | 'reconcile', input: unknown, ctx: AttemptContext): unknown {
  return which === 'execute' ? tool.execute(input, ctx) : which === 'simulate' ? tool.simulate?.(input, ctx) : tool.reconcile?.(input, ctx);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Runs one attempt under the tool's timeout and the caller's signal. */
function runAttempt(
  tool: AnyTool,
  which: 'execute' | 'simulate' | 'reconcile',
  input: unknown,
  ctx: AttemptContext,
  caller: AbortSignal | undefined,
): Promise<unknown> {
  let returned: unknown;
  try {
    returned = invoke(tool, which, input, ctx);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on exactly what the tool threw
    return Promise.reject(error);
  }
  return isThenable(returned) ? guard(tool, returned, ctx, caller) : Promise.resolve(returned);
}

/**
 * Settles with the tool's promise, or rejects with TIMEOUT or ABORTED (the tool's own promise is left
 * to settle; its signal is aborted so well-behaved tools stop).
 */
function guard(tool: AnyTool, returned: PromiseLike<unknown>, ctx: AttemptContext, caller: AbortSignal | undefined): Promise<unknown> {
  const name = tool.name;
  const timeoutMs = tool.timeoutMs;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (finish()) {
        ctx.abort(new Error(`call to "${name}" aborted by the caller`));
        reject(ABORTED);
      }
    };
    const timer = setTimeout(() => {
      if (finish()) {
        ctx.abort(new Error(`tool "${name}" timed out after ${timeoutMs} ms`));
        reject(TIMEOUT);
      }
    }, timeoutMs);
    caller?.addEventListener('abort', onAbort, { once: true });
    returned.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on exactly what the tool rejected with
        if (finish()) reject(error);
      },
    );
  });
}

/** Resolves true after `ms`, false when the signal aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
