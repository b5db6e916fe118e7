// One model turn with the cost controls in front: the decision cache, then the cascade (small model
// first), then the agent's model with its fallback (fallback.ts).
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import { canonicalKey } from '../canonical.js';
import { generate, type Generation } from '../fallback.js';
import { capabilitiesOf } from '../models/capabilities.js';
import type { Runtime } from '../runtime.js';
import type { RunState } from '../state.js';
import { wasBatched } from './batch.js';
import { digest } from './cache.js';
import { selfReported, verify } from './cascade.js';

type CallOptions = Omit<LanguageModelV3CallOptions, 'abortSignal'>;

const FREE = { inputPerMTokUsd: 0, outputPerMTokUsd: 0 };
const NOTHING = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** Tokens and cost of one answer: the `pricing` option, else the model's declared price; a batched answer at the batch factor. */
export function callCost(
  rt: Runtime,
  model: LanguageModelV3,
  result: LanguageModelV3GenerateResult,
): { inputTokens: number; outputTokens: number; costUsd: number } {
  const inputTokens = result.usage.inputTokens.total ?? 0;
  const outputTokens = result.usage.outputTokens.total ?? 0;
  if (result.providerMetadata?.charter?.cached === true) return { inputTokens, outputTokens, costUsd: 0 };
  const capabilities = capabilitiesOf(model);
  const price = rt.cost.pricing ?? capabilities.pricing ?? FREE;
  const factor = wasBatched(result) ? (capabilities.batch?.priceFactor ?? 1) : 1;
  const costUsd = ((inputTokens * price.inputPerMTokUsd + outputTokens * price.outputPerMTokUsd) / 1e6) * factor;
  return { inputTokens, outputTokens, costUsd };
}

function scopeOf(scope: 'tenant' | 'user' | 'agent', state: RunState): string | undefined {
  if (scope === 'agent') return '*';
  if (state.tenant === undefined) return undefined;
  if (scope === 'tenant') return `t:${state.tenant}`;
  return state.user === undefined ? undefined : `u:${state.tenant}\n${state.user}`;
}

/**
 * The model's answer for this step. A cache hit costs nothing (usage 0) and is flagged
 * `providerMetadata.charter.cached`; the caller handles it like any answer, guardrails included.
 */
export function modelTurn(rt: Runtime, state: RunState, step: number, options: CallOptions, signal: AbortSignal): Promise<Generation> {
  // Without a cache or a cascade the turn is the model call itself: no async layer around it.
  if (rt.cost.cache === undefined && rt.cost.cascade === undefined) return generate(rt, state, step, options, signal);
  return costedTurn(rt, state, step, options, signal);
}

async function costedTurn(rt: Runtime, state: RunState, step: number, options: CallOptions, signal: AbortSignal): Promise<Generation> {
  const { cache } = rt.cost;
  const callId = `${state.runId}:m${step}`;
  let key: string | undefined;
  if (cache !== undefined) {
    const scope = scopeOf(cache.scope, state);
    if (options.temperature !== 0 || scope === undefined) {
      cache.store.bypass();
      rt.observer.modelCache(state.runId, callId, rt.model, 'bypass', NOTHING);
    } else {
      // Inputs: the fixed part (tools, params, policy…), the scope, the model, the prompt and every
      // guardrail decision of the run so far — a run whose input was redacted or flagged differently
      // never shares an answer with one whose input was not.
      key = digest(
        `${cache.fixed}\n${scope}\n${rt.model.provider}/${rt.model.modelId}\n${canonicalKey(state.messages)}\n${canonicalKey(state.decisions)}`,
      );
      let hit = cache.store.get(key);
      if (hit === undefined) {
        const pending = cache.store.pending(key);
        if (pending !== undefined) {
          hit = await pending;
          if (hit !== undefined) cache.store.joined(hit);
        }
      }
      if (hit !== undefined) {
        rt.observer.modelCache(state.runId, callId, { provider: hit.provider, modelId: hit.modelId }, 'hit', hit);
        const result: LanguageModelV3GenerateResult = {
          content: [...hit.content],
          finishReason: hit.finishReason,
          // The tokens count toward the run's token budget (a run behaves the same whether its answers
          // came from the cache or not); the cost is 0 (`cached`: callCost).
          usage: {
            inputTokens: { total: hit.inputTokens, noCache: 0, cacheRead: hit.inputTokens, cacheWrite: 0 },
            outputTokens: { total: hit.outputTokens, text: hit.outputTokens, reasoning: 0 },
          },
          warnings: [],
          providerMetadata: { charter: { cached: true } },
        };
        return { ok: true, call: { model: rt.model, callId, result, startedAt: rt.clock() } };
      }
      rt.observer.modelCache(state.runId, callId, rt.model, 'miss', NOTHING);
    }
  }
  const settle = key === undefined || cache === undefined ? undefined : cache.store.begin(key);
  let generation: Generation | undefined;
  try {
    generation =
      rt.cost.cascade === undefined ? await generate(rt, state, step, options, signal) : await cascade(rt, state, step, options, signal);
  } finally {
    if (settle !== undefined) {
      const call = generation?.ok === true ? generation.call : undefined;
      settle(
        call === undefined
          ? undefined
          : {
              content: call.result.content,
              finishReason: call.result.finishReason,
              provider: call.model.provider,
              modelId: call.model.modelId,
              ...callCost(rt, call.model, call.result),
            },
      );
    }
  }
  return generation;
}

/**
 * The cascade: the small model answers first; at or above the threshold its answer is the step's
 * (the caller accounts it), below it — or when it fails or reports no confidence — its cost is
 * accounted here and the agent's model (with its fallback) answers.
 */
async function cascade(rt: Runtime, state: RunState, step: number, options: CallOptions, signal: AbortSignal): Promise<Generation> {
  const spec = rt.cost.cascade;
  if (spec === undefined) return generate(rt, state, step, options, signal);
  const small = spec.model;
  const callId = `${state.runId}:m${step}:small`;
  rt.observer.modelRequest(state.runId, callId, small.provider, small.modelId, step, () => state.messages);
  const startedAt = rt.clock();
  let confidence: number | undefined;
  try {
    const result = await small.doGenerate({ abortSignal: signal, ...options });
    const reported = spec.verifier === undefined ? selfReported(result) : undefined;
    confidence = spec.verifier === undefined ? reported?.confidence : await verify(spec.verifier, result.content, options.prompt);
    const content = reported?.content ?? result.content;
    if (confidence !== undefined && confidence >= spec.threshold) {
      rt.observer.modelCascade(state.runId, callId, small, rt.model, 'accepted', confidence, spec.threshold);
      return { ok: true, call: { model: small, callId, result: { ...result, content }, startedAt } };
    }
    const spent = callCost(rt, small, result);
    state.usage.inputTokens += spent.inputTokens;
    state.usage.outputTokens += spent.outputTokens;
    state.usage.costUsd += spent.costUsd;
    rt.observer.modelResponse(
      state.runId,
      callId,
      small.provider,
      small.modelId,
      spent,
      rt.clock() - startedAt,
      result.finishReason.unified,
      () => content,
    );
  } catch {
    if (signal.aborted) return { ok: false, message: 'the run was aborted' };
    rt.observer.modelResponse(state.runId, callId, small.provider, small.modelId, NOTHING, rt.clock() - startedAt, 'error', () => null);
  }
  rt.observer.modelCascade(state.runId, callId, small, rt.model, 'escalated', confidence, spec.threshold);
  return generate(rt, state, step, options, signal);
}
