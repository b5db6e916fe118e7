// Test helpers: seeded randomness and fault injection for models. Unstable API.
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';

/** A small, fast, seeded PRNG (mulberry32): uniform [0, 1). Same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed derived from a string (FNV-1a), e.g. a run id, so each run has its own reproducible stream. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface FaultyModelOptions {
  /** Probability that a response is replaced by a malformed tool call (unparseable arguments). */
  readonly malformedRate: number;
  readonly random: () => number;
}

/** Wraps a model so that some of its responses are malformed: exercises the bounded repair. */
export function faultyModel(model: LanguageModelV3, options: FaultyModelOptions): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: model.provider,
    modelId: model.modelId,
    supportedUrls: model.supportedUrls,
    async doGenerate(call: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
      const result = await model.doGenerate(call);
      if (options.random() >= options.malformedRate) return result;
      const tool = call.tools?.[0]?.name ?? 'unknown';
      return {
        ...result,
        content: [{ type: 'tool-call', toolCallId: 'malformed', toolName: tool, input: '{"truncated": ' }],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
      };
    },
    doStream: (call) => model.doStream(call),
  };
}
