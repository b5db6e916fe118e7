// The model fallback: which model answers a step, and the circuit breakers that remember a failing one.
//
// Without `spec.model.fallback` a step is one call of the primary, as it always was. With one, a step
// goes to the primary unless its breaker is open; when the primary times out (`modelTimeoutMs`),
// answers 5xx, 429 or another retryable error (network, 408, 409), the same prompt goes to the
// fallback and a `model.fallback` event says why. A model's breaker opens after `failureThreshold`
// such failures in a row and then sends every call straight to the fallback for `cooldownMs`; after
// that one call (the probe) tries the model again: success closes the breaker, failure opens it for
// another cool-down. Other errors (400, 401, a bug) neither switch nor count: the run escalates
// `model_error` as before.
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import type { AgentManifest } from '@charter/spec';
import type { ModelFallbackReason } from '@charter/telemetry';
import { AgentError, AgentErrorCode } from './errors.js';
import { resolveModel } from './models/registry.js';
import type { Runtime } from './runtime.js';
import type { RunState } from './state.js';
import type { AgentOptions } from './types.js';

/** A model as breakers know it: `provider` and `modelId` of a `LanguageModelV3`. */
export interface ModelKey {
  readonly provider: string;
  readonly modelId: string;
}

export interface ModelBreakerOptions {
  /** Failures in a row (timeouts, 5xx, 429, other retryable errors) that open a model's breaker. Default 3. */
  readonly failureThreshold?: number;
  /** How long an open breaker keeps calls away from its model before one probe call may try it. Default 30 000 ms. */
  readonly cooldownMs?: number;
  /** Epoch-millisecond clock (tests). */
  readonly clock?: () => number;
}

/** Where a model's breaker stands: `open` sends calls to the fallback until `until`, then the next call probes (`half-open`). */
export interface ModelBreakerState {
  readonly state: 'closed' | 'open' | 'half-open';
  /** Failures in a row so far. */
  readonly failures: number;
  /** While open: when the next probe may go (epoch ms). */
  readonly until: number | undefined;
  /** Opened by hand (`hold`, the `model.switch-fallback` action) rather than by failures. */
  readonly held: boolean;
}

interface Entry {
  failures: number;
  openUntil: number | undefined;
  probing: boolean;
  held: boolean;
}

/** How a call settled, for its model's breaker: `none` (aborted, or an error that says nothing about availability) changes nothing. */
type Outcome = 'success' | 'failure' | 'none';

/**
 * Circuit breakers of models, one per `provider/modelId`. An agent makes its own; pass one
 * `ModelBreakers` to several agents (`createAgent({ modelBreakers })`) so that they share what they
 * learn about a provider. `hold` and `reset` are the hand controls the `model-provider-outage`
 * playbook uses.
 */
export class ModelBreakers {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: ModelBreakerOptions = {}) {
    const threshold = options.failureThreshold ?? 3;
    const cooldown = options.cooldownMs ?? 30_000;
    if (!Number.isInteger(threshold) || threshold < 1)
      throw new AgentError(AgentErrorCode.BadOptions, `failureThreshold must be an integer ≥ 1, got ${String(threshold)}`);
    if (!Number.isFinite(cooldown) || cooldown < 0)
      throw new AgentError(AgentErrorCode.BadOptions, `cooldownMs must be a finite number ≥ 0, got ${String(cooldown)}`);
    this.failureThreshold = threshold;
    this.cooldownMs = cooldown;
    this.#clock = options.clock ?? Date.now;
  }

  /** The breaker of `model`. */
  state(model: ModelKey): ModelBreakerState {
    const entry = this.#entries.get(keyOf(model));
    if (entry?.openUntil === undefined) return { state: 'closed', failures: entry?.failures ?? 0, until: undefined, held: false };
    return {
      state: this.#clock() < entry.openUntil ? 'open' : 'half-open',
      failures: entry.failures,
      until: entry.openUntil,
      held: entry.held,
    };
  }

  /**
   * Opens the breaker of `model` by hand for `forMs`: every call goes to the fallback and no probe
   * tries the model before the time is up (the `model.switch-fallback` playbook action). After it,
   * the next call probes as after any cool-down.
   */
  hold(model: ModelKey, forMs: number): void {
    if (!Number.isFinite(forMs) || forMs <= 0)
      throw new AgentError(AgentErrorCode.BadOptions, `hold needs a duration > 0 ms, got ${String(forMs)}`);
    const entry = this.#entry(keyOf(model));
    entry.openUntil = this.#clock() + forMs;
    entry.held = true;
  }

  /** Closes the breaker of `model` by hand: the next call goes to it (switching back without waiting for a probe). */
  reset(model: ModelKey): void {
    this.#entries.delete(keyOf(model));
  }

  /** Whether a call may go to `model`: `call` (closed), `probe` (the one call after a cool-down) or `skip` (open). */
  admit(model: ModelKey): 'call' | 'probe' | 'skip' {
    const entry = this.#entries.get(keyOf(model));
    if (entry?.openUntil === undefined) return 'call';
    if (this.#clock() < entry.openUntil || entry.probing) return 'skip';
    entry.probing = true;
    return 'probe';
  }

  /** Records how an admitted call ended. */
  settle(model: ModelKey, outcome: Outcome, probe: boolean): void {
    const key = keyOf(model);
    const entry = this.#entries.get(key);
    if (outcome === 'success') {
      if (entry !== undefined) this.#entries.delete(key);
      return;
    }
    if (outcome === 'none') {
      if (entry !== undefined && probe) entry.probing = false;
      return;
    }
    const failed = entry ?? this.#entry(key);
    if (probe) failed.probing = false;
    failed.failures += 1;
    if (probe || failed.failures >= this.failureThreshold) {
      failed.openUntil = this.#clock() + this.cooldownMs;
      failed.held = false;
    }
  }

  #entry(key: string): Entry {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { failures: 0, openUntil: undefined, probing: false, held: false };
      this.#entries.set(key, entry);
    }
    return entry;
  }
}

function keyOf(model: ModelKey): string {
  return `${model.provider}/${model.modelId}`;
}

/** One successful model call: which model answered and under which call id. */
export interface ModelCall {
  readonly model: LanguageModelV3;
  readonly callId: string;
  readonly result: LanguageModelV3GenerateResult;
  readonly startedAt: number;
}

export type Generation = { readonly ok: true; readonly call: ModelCall } | { readonly ok: false; readonly message: string };

type CallOptions = Omit<LanguageModelV3CallOptions, 'abortSignal'>;

type Attempt =
  | { readonly ok: true; readonly call: ModelCall }
  | { readonly ok: false; readonly error: unknown; readonly timedOut: boolean; readonly message: string };

/**
 * One model turn of the run: the primary, or the fallback when the primary's breaker is open or the
 * primary failed in a way that says it is unavailable. Emits `model.request` for every call,
 * `model.response` for failed ones (the caller emits it for the answer, with usage) and
 * `model.fallback` before a call goes to the fallback.
 */
export function generate(rt: Runtime, state: RunState, step: number, options: CallOptions, signal: AbortSignal): Promise<Generation> {
  const callId = `${state.runId}:m${step}`;
  // Without a fallback the turn is the one attempt: its promise is the turn's, with no async layer around it.
  if (rt.fallbackModel === undefined) return attempt(rt, state, step, rt.model, callId, options, signal, undefined);
  return withFallback(rt, state, step, options, signal, callId, rt.fallbackModel);
}

async function withFallback(
  rt: Runtime,
  state: RunState,
  step: number,
  options: CallOptions,
  signal: AbortSignal,
  callId: string,
  fallback: LanguageModelV3,
): Promise<Generation> {
  const primary = rt.model;

  let reason: ModelFallbackReason;
  let detail: string;
  const gate = rt.breakers.admit(primary);
  if (gate === 'skip') {
    reason = 'breaker_open';
    const until = rt.breakers.state(primary).until;
    detail = `circuit breaker open${until === undefined ? '' : ` until ${new Date(until).toISOString()}`}`;
  } else {
    const first = await attempt(rt, state, step, primary, callId, options, signal, rt.modelTimeoutMs);
    if (first.ok) {
      rt.breakers.settle(primary, 'success', gate === 'probe');
      return first;
    }
    const failure = signal.aborted ? undefined : classifyModelFailure(first.error, first.timedOut, rt.modelTimeoutMs);
    rt.breakers.settle(primary, failure === undefined ? 'none' : 'failure', gate === 'probe');
    if (failure === undefined) return { ok: false, message: first.message };
    ({ reason, detail } = failure);
  }

  const fallbackGate = rt.breakers.admit(fallback);
  if (fallbackGate === 'skip')
    return {
      ok: false,
      message: `the primary model ${label(primary)} is unavailable (${detail}) and the circuit breaker of the fallback ${label(fallback)} is open too`,
    };
  const fallbackCallId = `${callId}:fallback`;
  rt.observer.modelFallback(state.runId, callId, fallbackCallId, primary, fallback, reason, detail);
  const second = await attempt(rt, state, step, fallback, fallbackCallId, options, signal, undefined);
  if (second.ok) {
    rt.breakers.settle(fallback, 'success', fallbackGate === 'probe');
    return second;
  }
  const fallbackFailure = signal.aborted ? undefined : classifyModelFailure(second.error, second.timedOut, undefined);
  rt.breakers.settle(fallback, fallbackFailure === undefined ? 'none' : 'failure', fallbackGate === 'probe');
  return {
    ok: false,
    message: `the primary model ${label(primary)} is unavailable (${detail}) and the fallback failed too: ${second.message}`,
  };
}

function label(model: LanguageModelV3): string {
  return `${model.provider}/${model.modelId}`;
}

/** One call of one model; a failed call gets its `model.response` (finish reason `error`) here. */
async function attempt(
  rt: Runtime,
  state: RunState,
  step: number,
  model: LanguageModelV3,
  callId: string,
  options: CallOptions,
  signal: AbortSignal,
  timeoutMs: number | undefined,
): Promise<Attempt> {
  rt.observer.modelRequest(state.runId, callId, model.provider, model.modelId, step, () => state.messages);
  const startedAt = rt.clock();
  const timer = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const abortSignal = timer === undefined ? signal : AbortSignal.any([signal, timer]);
  try {
    // Without a timeout the model gets the run's signal, as ever; with one, the race also ends a
    // call whose model ignores its abort signal.
    // The signal first: `{ ...options, abortSignal }` (a spread, then a property) costs ≈ 0.6 µs a call on Node 20's V8.
    const pending = model.doGenerate({ abortSignal, ...options });
    const result = timer === undefined ? await pending : await raceAbort(pending, abortSignal);
    return { ok: true, call: { model, callId, result, startedAt } };
  } catch (error) {
    rt.observer.modelResponse(
      state.runId,
      callId,
      model.provider,
      model.modelId,
      { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      rt.clock() - startedAt,
      'error',
      () => null,
    );
    const timedOut = timer?.aborted === true && !signal.aborted;
    const message = timedOut ? `no answer within ${timeoutMs ?? 0} ms` : error instanceof Error ? error.message : String(error);
    return { ok: false, error, timedOut, message };
  }
}

/** Settles with the promise, or rejects when the signal aborts first (a later rejection of the promise is then ignored). */
async function raceAbort<T>(pending: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  const promise = Promise.resolve(pending);
  promise.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(signal.reason as Error);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

const API_CALL_ERROR = Symbol.for('vercel.ai.error.AI_APICallError');
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * Whether a failed call says its model is unavailable, and why (a `model.fallback` reason and a
 * detail without content). Undefined for errors that do not: a 4xx other than 408/409/429, an
 * invalid request, a bug.
 */
export function classifyModelFailure(
  error: unknown,
  timedOut: boolean,
  timeoutMs: number | undefined,
): { readonly reason: ModelFallbackReason; readonly detail: string } | undefined {
  if (timedOut) return { reason: 'timeout', detail: `no answer within ${timeoutMs ?? 0} ms` };
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as { statusCode?: unknown; status?: unknown; isRetryable?: unknown; code?: unknown; cause?: unknown };
  const status = typeof fields.statusCode === 'number' ? fields.statusCode : typeof fields.status === 'number' ? fields.status : undefined;
  if (status !== undefined && status >= 500 && status <= 599) return { reason: 'server_error', detail: `HTTP ${status}` };
  if (status === 429) return { reason: 'rate_limited', detail: 'HTTP 429' };
  if (status === 408 || status === 409) return { reason: 'unavailable', detail: `HTTP ${status}` };
  if (API_CALL_ERROR in error && fields.isRetryable === true) return { reason: 'unavailable', detail: 'the API call failed (retryable)' };
  const code = typeof fields.code === 'string' ? fields.code : (fields.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { reason: 'unavailable', detail: `network error ${code}` };
  return undefined;
}

/** The model part of the runtime: primary, fallback, breakers and the primary's call timeout. */
export interface ModelSetup {
  readonly model: LanguageModelV3;
  readonly fallbackModel: LanguageModelV3 | undefined;
  readonly breakers: ModelBreakers;
  readonly modelTimeoutMs: number;
}

function checkModel(value: unknown, option: string): LanguageModelV3 {
  if (typeof value !== 'object' || value === null || (value as { specificationVersion?: unknown }).specificationVersion !== 'v3')
    throw new AgentError(
      AgentErrorCode.BadOptions,
      `createAgent's \`${option}\` must be an AI SDK LanguageModelV3 (specificationVersion "v3")`,
    );
  return value as LanguageModelV3;
}

/**
 * The models of an agent: the `model` option (which replaces `spec.model` whole), else `spec.model`
 * and its fallback through the model registry; `fallbackModel` overrides the fallback. Throws
 * `ModelConfigError` when the manifest's model cannot be built, `AGENT_BAD_OPTIONS` for bad options.
 */
export function modelSetup(options: AgentOptions, manifest: AgentManifest): ModelSetup {
  const resolveOptions = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.models === undefined ? {} : { registry: options.models }),
  };
  const model = options.model === undefined ? resolveModel(manifest.spec.model, resolveOptions) : checkModel(options.model, 'model');
  const declared = manifest.spec.model.fallback;
  const fallbackModel =
    options.fallbackModel !== undefined
      ? checkModel(options.fallbackModel, 'fallbackModel')
      : options.model === undefined && declared !== undefined
        ? resolveModel(declared, resolveOptions)
        : undefined;
  const timeout = options.modelTimeoutMs ?? Math.min(30_000, Math.max(1, Math.floor(manifest.spec.budgets.timeoutMs / 2)));
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new AgentError(AgentErrorCode.BadOptions, `modelTimeoutMs must be a positive number of milliseconds, got ${String(timeout)}`);
  const breakers = options.modelBreakers ?? new ModelBreakers();
  if (!(breakers instanceof ModelBreakers))
    throw new AgentError(
      AgentErrorCode.BadOptions,
      'modelBreakers must be a ModelBreakers (new ModelBreakers({ failureThreshold, cooldownMs }))',
    );
  return { model, fallbackModel, breakers, modelTimeoutMs: timeout };
}
