// The OpenFeature server provider (`@charter/rollout/openfeature`): this entry point needs
// @openfeature/server-sdk (an optional peer dependency); the rest of the package does not.
import { ErrorCode, type EvaluationContext, type JsonValue, type Provider, type ResolutionDetails } from '@openfeature/server-sdk';
import { flagKeyOf, route, type Variant } from './router.js';
import type { RoutingSource } from './source.js';

/** One agent whose rollout the provider answers for: its name and where its routing comes from. */
export interface RolloutFlagSource {
  readonly agent: string;
  /** A controller (`controller.routing()` in this process) or `storeRoutingSource(store, id)` (any process). */
  readonly source: RoutingSource;
}

/**
 * An OpenFeature server provider answering `agent.<name>.variant` — `control`, `shadow` or
 * `candidate` — from the rollout state, bucketing `context.targetingKey` exactly as flagd's
 * `fractional` does. The routing is read at every evaluation: after an abort the next evaluation
 * answers `control`. Without a targeting key a split answers `control` (reason `DEFAULT`), as flagd
 * falls back to its default variant. Other flag keys are `FLAG_NOT_FOUND`; non-string evaluations of
 * a rollout flag are `TYPE_MISMATCH`.
 */
export class RolloutProvider implements Provider {
  readonly metadata = { name: 'charter-rollout' } as const;
  readonly runsOn = 'server' as const;
  readonly #sources = new Map<string, RoutingSource>();

  constructor(sources: RolloutFlagSource | readonly RolloutFlagSource[]) {
    for (const entry of Array.isArray(sources) ? (sources as readonly RolloutFlagSource[]) : [sources as RolloutFlagSource])
      this.#sources.set(flagKeyOf(entry.agent), entry.source);
  }

  /** The flag keys this provider answers. */
  get flagKeys(): readonly string[] {
    return [...this.#sources.keys()];
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    const source = this.#sources.get(flagKey);
    if (source === undefined) return notFound(flagKey, defaultValue);
    const routing = await source.routing();
    const key = typeof context.targetingKey === 'string' ? context.targetingKey : undefined;
    const variant: Variant = route(routing, flagKey, key);
    const reason = routing.mode !== 'split' ? 'STATIC' : key === undefined || key === '' ? 'DEFAULT' : 'SPLIT';
    return { value: variant, variant, reason, flagMetadata: { mode: routing.mode, candidateBuckets: routing.candidateBuckets } };
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.#mismatch(flagKey, defaultValue));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.#mismatch(flagKey, defaultValue));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.#mismatch(flagKey, defaultValue));
  }

  #mismatch<T>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    if (!this.#sources.has(flagKey)) return notFound(flagKey, defaultValue);
    return {
      value: defaultValue,
      reason: 'ERROR',
      errorCode: ErrorCode.TYPE_MISMATCH,
      errorMessage: `${flagKey} is a string flag (control, shadow or candidate)`,
    };
  }
}

function notFound<T>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
  return {
    value: defaultValue,
    reason: 'ERROR',
    errorCode: ErrorCode.FLAG_NOT_FOUND,
    errorMessage: `${flagKey} is not a rollout flag of this provider (flags are agent.<name>.variant)`,
  };
}
