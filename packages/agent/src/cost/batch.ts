// Batching (`spec.cost.batch`): model calls that are ready together — from several runs of agents that
// share a model — go to the provider as one batch, through the model's `batch` capability.
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import { AgentError, AgentErrorCode } from '../errors.js';
import { type BatchCapability, capabilitiesOf, withCapabilities } from '../models/capabilities.js';

export interface BatchOptions {
  /** Calls in one batch at most (also capped by the model's own `maxBatchSize`). */
  readonly maxBatchSize: number;
  /** How long the first call of a batch waits for others, in ms. */
  readonly maxWaitMs: number;
}

export interface BatchStats {
  /** Batches sent. */
  readonly batches: number;
  /** Calls sent in them. */
  readonly calls: number;
  /** Largest batch. */
  readonly largest: number;
}

interface Waiting {
  readonly options: LanguageModelV3CallOptions;
  resolve(result: LanguageModelV3GenerateResult): void;
  reject(error: unknown): void;
}

/** The `providerMetadata.charter.batched` flag on an answer that came from a batch (priced at the batch factor). */
export function wasBatched(result: LanguageModelV3GenerateResult): boolean {
  return result.providerMetadata?.charter?.batched === true;
}

/**
 * A micro-batcher in front of one model: `doGenerate` queues the call; the queue goes out as one
 * `doGenerateBatch` when it holds `maxBatchSize` calls or `maxWaitMs` after its first call. A call
 * aborted while it waits leaves the queue. Its answers carry `providerMetadata.charter.batched`.
 */
export class MicroBatcher {
  readonly model: LanguageModelV3;
  readonly #batch: BatchCapability;
  readonly #max: number;
  readonly #waitMs: number;
  #queue: Waiting[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #batches = 0;
  #calls = 0;
  #largest = 0;

  constructor(model: LanguageModelV3, options: BatchOptions) {
    const batch = capabilitiesOf(model).batch;
    if (batch === undefined)
      throw new AgentError(
        AgentErrorCode.BadOptions,
        `spec.cost.batch is declared but the model ${model.provider}/${model.modelId} has no batch capability (its provider takes one call at a time): remove spec.cost.batch or use a model that declares it`,
      );
    this.#batch = batch;
    this.#max = Math.max(1, Math.min(options.maxBatchSize, batch.maxBatchSize));
    this.#waitMs = options.maxWaitMs;
    const inner = model;
    const wrapped: LanguageModelV3 = {
      specificationVersion: 'v3',
      provider: inner.provider,
      modelId: inner.modelId,
      supportedUrls: inner.supportedUrls,
      doGenerate: (call) => this.#enqueue(call),
      doStream: (call) => inner.doStream(call),
    };
    this.model = withCapabilities(wrapped, capabilitiesOf(inner));
  }

  stats(): BatchStats {
    return { batches: this.#batches, calls: this.#calls, largest: this.#largest };
  }

  #enqueue(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const signal = options.abortSignal;
    if (signal?.aborted === true) return Promise.reject((signal.reason as Error | undefined) ?? new Error('aborted'));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#queue.indexOf(waiting);
        if (index < 0) return;
        this.#queue.splice(index, 1);
        reject((signal?.reason as Error | undefined) ?? new Error('aborted'));
      };
      // The listener goes when the call settles: a run's signal serves all of its calls.
      const waiting: Waiting = {
        options,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      this.#queue.push(waiting);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.#queue.length >= this.#max) this.#flush();
      else
        this.#timer ??= setTimeout(() => {
          this.#flush();
        }, this.#waitMs);
    });
  }

  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0, this.#max);
      this.#batches++;
      this.#calls += group.length;
      this.#largest = Math.max(this.#largest, group.length);
      this.#batch.doGenerateBatch(group.map((waiting) => waiting.options)).then(
        (results) => {
          group.forEach((waiting, index) => {
            const result = results[index];
            if (result === undefined) waiting.reject(new Error(`the batch answered ${results.length} of ${group.length} calls`));
            else
              waiting.resolve({
                ...result,
                providerMetadata: { ...result.providerMetadata, charter: { ...result.providerMetadata?.charter, batched: true } },
              });
          });
        },
        (error: unknown) => {
          for (const waiting of group) waiting.reject(error);
        },
      );
    }
  }
}

const batchers = new WeakMap<LanguageModelV3, MicroBatcher>();

/**
 * The batching front of `model`: one per model object, so agents that share a model object share its
 * batches (the batch settings of the first agent apply).
 */
export function batcherFor(model: LanguageModelV3, options: BatchOptions): MicroBatcher {
  let batcher = batchers.get(model);
  if (batcher === undefined) {
    batcher = new MicroBatcher(model, options);
    batchers.set(model, batcher);
  }
  return batcher;
}
