// The only module that talks to @charter/telemetry: an API change there touches this file alone.
import type { GuardrailAction as Action, GuardrailHook as Hook, SideEffects } from '@charter/spec';
import type { JsonValue, ModelFallbackReason, Telemetry } from '@charter/telemetry';
import { AgentError, AgentErrorCode } from './errors.js';

// @charter/telemetry is optional (`AgentOptions.telemetry`) and the loop needs two functions of it,
// `hashArguments` and `sha256Hex`, only when a telemetry is given: they are imported by the first run or
// resume of an agent with telemetry, not by `import '@charter/agent'` (its 15 modules cost ≈ 30 ms
// there). Whoever passes a telemetry has imported @charter/telemetry to create it, so this import finds
// it loaded.
let hashArguments: ((args: unknown) => string) | undefined;
let sha256Hex: ((text: string) => string) | undefined;
let loading: Promise<void> | undefined;

type Json = JsonValue;

/** Emits the loop's events; every method is a no-op without telemetry. */
export class Observer {
  readonly #t: Telemetry | undefined;
  readonly content: boolean;

  constructor(telemetry: Telemetry | undefined) {
    this.#t = telemetry;
    this.content = telemetry?.captureContent ?? false;
  }

  get enabled(): boolean {
    return this.#t !== undefined;
  }

  /**
   * Settles once what the events need is loaded; `undefined` when there is nothing to wait for
   * (no telemetry, or loaded already), so the hot path does not await. `run` and `resume` call it
   * before the first event.
   */
  ready(): Promise<void> | undefined {
    if (this.#t === undefined || hashArguments !== undefined) return undefined;
    loading ??= import('@charter/telemetry').then((telemetry) => {
      sha256Hex = telemetry.sha256Hex;
      hashArguments = telemetry.hashArguments;
    });
    return loading;
  }

  /**
   * SHA-256 of the canonical arguments: what the audit log and approvals identify a call by. `key`,
   * when given, is the arguments' `jsonKey` (the same text as telemetry's canonical JSON), which loop
   * detection already wrote for a model's call; without it `hashArguments` writes it (and rejects
   * what canonical JSON cannot represent).
   */
  hash(args: unknown, key?: string): string {
    if (hashArguments === undefined || sha256Hex === undefined)
      throw new AgentError(
        AgentErrorCode.BadOptions,
        'internal: an event was emitted before `await observer.ready()` loaded @charter/telemetry',
      );
    return key === undefined ? hashArguments(args) : sha256Hex(key);
  }

  runStarted(runId: string, model: { provider: string; id: string }, input: string, tenant?: string): void {
    this.#t?.emit({ type: 'run.started', runId, model, ...(tenant === undefined ? {} : { tenant }), ...(this.content ? { input } : {}) });
  }

  step(runId: string, step: number, phase: 'perceive' | 'decide' | 'act' | 'reflect'): void {
    this.#t?.emit({ type: 'step', runId, step, phase });
  }

  modelRequest(runId: string, callId: string, provider: string, model: string, step: number, messages: () => unknown): void {
    this.#t?.emit({
      type: 'model.request',
      runId,
      callId,
      provider,
      model,
      step,
      ...(this.content ? { messages: messages() as Json } : {}),
    });
  }

  modelResponse(
    runId: string,
    callId: string,
    provider: string,
    model: string,
    usage: { inputTokens: number; outputTokens: number; costUsd: number },
    latencyMs: number,
    finishReason: string,
    output: () => unknown,
  ): void {
    this.#t?.emit({
      type: 'model.response',
      runId,
      callId,
      provider,
      model,
      ...usage,
      latencyMs,
      finishReason,
      ...(this.content ? { output: output() as Json } : {}),
    });
  }

  /** A model call sent to the fallback instead of the primary (also the metric `charter_model_fallbacks_total`). */
  modelFallback(
    runId: string,
    callId: string,
    fallbackCallId: string,
    primary: { readonly provider: string; readonly modelId: string },
    fallback: { readonly provider: string; readonly modelId: string },
    reason: ModelFallbackReason,
    error: string | undefined,
  ): void {
    this.#t?.emit({
      type: 'model.fallback',
      runId,
      callId,
      fallbackCallId,
      provider: primary.provider,
      model: primary.modelId,
      fallbackProvider: fallback.provider,
      fallbackModel: fallback.modelId,
      reason,
      ...(error === undefined ? {} : { error: error.slice(0, 500) }),
    });
  }

  /** A decision-cache lookup (`spec.cost.cache`; metrics `charter_model_cache_lookups_total`, `charter_model_cache_savings_usd_total`). */
  modelCache(
    runId: string,
    callId: string,
    model: { readonly provider: string; readonly modelId: string },
    outcome: 'hit' | 'miss' | 'bypass',
    saved: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number },
  ): void {
    this.#t?.emit({
      type: 'model.cache',
      runId,
      callId,
      provider: model.provider,
      model: model.modelId,
      outcome,
      savedInputTokens: saved.inputTokens,
      savedOutputTokens: saved.outputTokens,
      savedUsd: saved.costUsd,
    });
  }

  /** A model-cascade step (`spec.cost.cascade`; metric `charter_model_cascade_total`). */
  modelCascade(
    runId: string,
    callId: string,
    small: { readonly provider: string; readonly modelId: string },
    large: { readonly provider: string; readonly modelId: string },
    outcome: 'accepted' | 'escalated',
    confidence: number | undefined,
    threshold: number,
  ): void {
    this.#t?.emit({
      type: 'model.cascade',
      runId,
      callId,
      provider: small.provider,
      model: small.modelId,
      largeProvider: large.provider,
      largeModel: large.modelId,
      outcome,
      ...(confidence === undefined ? {} : { confidence }),
      threshold,
    });
  }

  /** `argsKey`: the `jsonKey` of `args` when the caller has it (see `hash`). */
  toolCall(
    runId: string,
    callId: string,
    name: string,
    version: string,
    sideEffects: SideEffects,
    args: unknown,
    argsKey: string | undefined,
  ): void {
    if (this.#t === undefined) return;
    this.#t.emit({
      type: 'tool.call',
      runId,
      callId,
      name,
      version,
      sideEffects,
      argsHash: this.hash(args, argsKey),
      ...(this.content ? { args: args as Json } : {}),
    });
  }

  toolResult(
    runId: string,
    callId: string,
    name: string,
    version: string,
    durationMs: number,
    ok: boolean,
    retries: number,
    errorCode: string | undefined,
    result: unknown,
  ): void {
    this.#t?.emit({
      type: 'tool.result',
      runId,
      callId,
      name,
      version: version === '' ? '0.0.0' : version,
      durationMs,
      outcome: ok ? 'ok' : 'error',
      retries,
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(this.content && result !== undefined ? { result: result as Json } : {}),
    });
  }

  guardrail(runId: string, hook: Hook, action: Action, ruleIds: readonly string[], enforced: boolean, callId?: string): void {
    this.#t?.emit({
      type: 'guardrail.decision',
      runId,
      hook,
      action,
      ruleIds: ruleIds.slice(0, 64),
      mode: enforced ? 'enforce' : 'monitor',
      ...(callId === undefined ? {} : { callId }),
    });
  }

  approvalRequested(
    runId: string,
    approvalId: string,
    tool: string,
    toolVersion: string,
    sideEffects: SideEffects,
    callId: string,
    args: unknown,
    reason: string,
  ): void {
    if (this.#t === undefined) return;
    this.#t.emit({
      type: 'approval.requested',
      runId,
      approvalId,
      tool,
      toolVersion,
      sideEffects,
      callId,
      argsHash: this.hash(args),
      reason: reason.slice(0, 500),
    });
  }

  approvalGranted(runId: string, approvalId: string, approver: string): void {
    this.#t?.emit({ type: 'approval.granted', runId, approvalId, approver });
  }

  approvalDenied(runId: string, approvalId: string, approver: string, reason: string | undefined): void {
    this.#t?.emit({
      type: 'approval.denied',
      runId,
      approvalId,
      approver,
      ...(reason === undefined ? {} : { reason: reason.slice(0, 500) }),
    });
  }

  budgetExceeded(runId: string, budget: 'steps' | 'tokens' | 'cost' | 'time', limit: number, used: number): void {
    this.#t?.emit({ type: 'budget.exceeded', runId, budget, limit, used });
  }

  escalation(runId: string, reason: string, channel: string | undefined): void {
    this.#t?.emit({ type: 'escalation', runId, reason, ...(channel === undefined ? {} : { channel }) });
  }

  completed(
    runId: string,
    status: 'completed' | 'denied',
    durationMs: number,
    steps: number,
    costUsd: number,
    output: string | undefined,
  ): void {
    this.#t?.emit({
      type: 'run.completed',
      runId,
      status,
      durationMs,
      steps,
      costUsd,
      ...(this.content && output !== undefined ? { output } : {}),
    });
  }

  escalated(runId: string, durationMs: number, reason: string): void {
    this.#t?.emit({ type: 'run.escalated', runId, durationMs, reason });
  }

  failed(runId: string, durationMs: number, errorCode: string, message: string): void {
    this.#t?.emit({ type: 'run.failed', runId, durationMs, errorCode, message: message.slice(0, 2000) });
  }

  /** Telemetry must never break a run: errors from sinks surface through `onSinkError` of the telemetry. */
  flush(): Promise<void> {
    return this.#t?.flush() ?? Promise.resolve();
  }
}
