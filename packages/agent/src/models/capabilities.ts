// What a model adapter can declare beyond the AI SDK's `LanguageModelV3`: its prices and whether its
// provider takes several calls as one batch. Declared on the model object under a registered symbol,
// so any adapter (or a wrapper around one) can add them without a new interface version.
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import type { Pricing } from '../types.js';

/** The property a model's capabilities sit under (`Symbol.for`, so two copies of this package agree). */
export const MODEL_CAPABILITIES: unique symbol = Symbol.for('charter.model.capabilities') as never;

/**
 * Batching: the provider answers several calls in one request. `priceFactor` is what a batched call
 * costs relative to the list price (0.5 where the provider halves batch prices).
 */
export interface BatchCapability {
  /** Most calls one batch may hold. */
  readonly maxBatchSize: number;
  /** Price of a batched call relative to the list price, in (0, 1]. */
  readonly priceFactor: number;
  /** Answers every call, in order; a failed call rejects the whole batch. */
  doGenerateBatch(calls: readonly LanguageModelV3CallOptions[]): Promise<LanguageModelV3GenerateResult[]>;
}

export interface ModelCapabilities {
  /** List prices; the agent uses them when `createAgent` has no `pricing` option. */
  readonly pricing?: Pricing;
  readonly batch?: BatchCapability;
}

/** The capabilities a model declares (none for a plain `LanguageModelV3`). */
export function capabilitiesOf(model: LanguageModelV3): ModelCapabilities {
  const declared = (model as unknown as Record<symbol, unknown>)[MODEL_CAPABILITIES];
  return typeof declared === 'object' && declared !== null ? declared : {};
}

/** The same model object with `capabilities` declared (merged over what it declared before). */
export function withCapabilities<M extends LanguageModelV3>(model: M, capabilities: ModelCapabilities): M {
  Object.defineProperty(model, MODEL_CAPABILITIES, {
    value: Object.freeze({ ...capabilitiesOf(model), ...capabilities }),
    enumerable: false,
    configurable: true,
  });
  return model;
}

/**
 * Declared list prices of the offline models (USD per million tokens), so that cost is measurable
 * offline: `large` is priced like a mid-size hosted model, `small` like its small sibling (about a
 * sixth). They are not any provider's current prices.
 */
export const OFFLINE_PRICING = Object.freeze({
  large: Object.freeze({ inputPerMTokUsd: 0.6, outputPerMTokUsd: 2.4 }),
  small: Object.freeze({ inputPerMTokUsd: 0.1, outputPerMTokUsd: 0.4 }),
}) satisfies Readonly<Record<string, Pricing>>;

/** The batch price of the offline models: half the list price, as the batch APIs of hosted providers charge. */
export const OFFLINE_BATCH_PRICE_FACTOR = 0.5;
