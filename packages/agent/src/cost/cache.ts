// The decision cache (`spec.cost.cache`): answers a deterministic model call whose inputs equal an
// earlier call's. It sits in front of the model only — the loop treats a cached answer like a fresh
// one, so output guardrails, tool-call rules, approvals and provenance all run on it again.
import type { LanguageModelV3Content, LanguageModelV3FinishReason } from '@ai-sdk/provider';
import { AgentError, AgentErrorCode } from '../errors.js';
import { nodeCrypto } from '../store.js';

/** A model answer as the cache keeps it, with what it cost when it was made. */
export interface CachedDecision {
  readonly content: readonly LanguageModelV3Content[];
  readonly finishReason: LanguageModelV3FinishReason;
  readonly provider: string;
  readonly modelId: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface DecisionCacheOptions {
  /** How long an answer stays usable, in ms. */
  readonly ttlMs: number;
  /** Answers kept at most; the least recently used is dropped first. */
  readonly maxEntries: number;
  /** Epoch-millisecond clock (tests). */
  readonly clock?: () => number;
}

export interface DecisionCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly bypasses: number;
  readonly size: number;
  readonly savedInputTokens: number;
  readonly savedOutputTokens: number;
  readonly savedUsd: number;
}

interface Entry {
  readonly value: CachedDecision;
  readonly expires: number;
}

/**
 * An in-memory LRU of model answers with a TTL. One per agent by default; pass one to several
 * agents (`createAgent({ decisionCache })`) to share it — keys hold the scope (tenant, user), the
 * model, the prompt, the tool set, the params, the policy and the run's guardrail decisions, so a
 * shared cache never answers across any of them.
 */
export class DecisionCache {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<CachedDecision | undefined>>();
  #hits = 0;
  #misses = 0;
  #bypasses = 0;
  #savedIn = 0;
  #savedOut = 0;
  #savedUsd = 0;

  constructor(options: DecisionCacheOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0)
      throw new AgentError(AgentErrorCode.BadOptions, `the decision cache's ttlMs must be a positive number, got ${String(options.ttlMs)}`);
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1)
      throw new AgentError(
        AgentErrorCode.BadOptions,
        `the decision cache's maxEntries must be an integer ≥ 1, got ${String(options.maxEntries)}`,
      );
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries;
    this.#clock = options.clock ?? Date.now;
  }

  /** The answer stored under `key`, if it has not expired (a hit makes it the most recently used). */
  get(key: string): CachedDecision | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#entries.delete(key);
    if (this.#clock() >= entry.expires) {
      this.#misses++;
      return undefined;
    }
    this.#entries.set(key, entry);
    this.#hits++;
    this.#savedIn += entry.value.inputTokens;
    this.#savedOut += entry.value.outputTokens;
    this.#savedUsd += entry.value.costUsd;
    return entry.value;
  }

  set(key: string, value: CachedDecision): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.#clock() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  /**
   * The answer of a call with this key that is being made right now, if any (single flight: a burst
   * of identical calls makes one model call). Settles undefined when that call fails.
   */
  pending(key: string): Promise<CachedDecision | undefined> | undefined {
    return this.#inFlight.get(key);
  }

  /** Marks a call with this key as being made; `settle` stores its answer (or nothing) and wakes the waiters. */
  begin(key: string): (value: CachedDecision | undefined) => void {
    let wake: (value: CachedDecision | undefined) => void = () => undefined;
    this.#inFlight.set(
      key,
      new Promise((resolve) => {
        wake = resolve;
      }),
    );
    return (value) => {
      this.#inFlight.delete(key);
      if (value !== undefined) this.set(key, value);
      wake(value);
    };
  }

  /** Counts a hit that waited for a call in flight. */
  joined(value: CachedDecision): void {
    this.#hits++;
    this.#misses--;
    this.#savedIn += value.inputTokens;
    this.#savedOut += value.outputTokens;
    this.#savedUsd += value.costUsd;
  }

  /** Counts a call that could not be cached (not deterministic, or no scope). */
  bypass(): void {
    this.#bypasses++;
  }

  get size(): number {
    return this.#entries.size;
  }

  stats(): DecisionCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      bypasses: this.#bypasses,
      size: this.#entries.size,
      savedInputTokens: this.#savedIn,
      savedOutputTokens: this.#savedOut,
      savedUsd: this.#savedUsd,
    };
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** SHA-256 (hex) of a canonical string: the cache key of one call. */
export function digest(text: string): string {
  return nodeCrypto().createHash('sha256').update(text).digest('hex');
}
