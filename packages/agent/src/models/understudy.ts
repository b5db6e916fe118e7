import type { LanguageModelV3, LanguageModelV3Content, LanguageModelV3GenerateResult, LanguageModelV3Prompt } from '@ai-sdk/provider';
import type { Pricing } from '../types.js';
import { capabilitiesOf, OFFLINE_BATCH_PRICE_FACTOR, OFFLINE_PRICING, withCapabilities } from './capabilities.js';
import { estimateTokens, lastToolResult } from './common.js';

export interface UnderstudyOptions {
  /** Default `understudy`. */
  readonly modelId?: string;
  /** Default `OFFLINE_PRICING.small`. */
  readonly pricing?: Pricing;
  /**
   * The tools it knows how to call: a turn of the model it stands in for that calls only these is
   * answered the same, with confidence `confident`. Default: none.
   */
  readonly knownTools?: readonly string[];
  /** Self-reported confidence of an answer it knows. Default 0.9. */
  readonly confident?: number;
  /** Self-reported confidence of a guess. Default 0.4. */
  readonly unsure?: number;
  /** What it says when it guesses (a wrong answer: the cascade must not take it). */
  readonly guess?: string;
}

/**
 * An offline small model for cascades: it stands in for `model` (usually a scripted one) and reports
 * its confidence in `providerMetadata.charter.confidence`. On a turn it knows — a text answer that
 * does not follow a failed tool call, or calls of `knownTools` only — it answers as `model` does,
 * confidently. On any other turn it guesses: a short text answer that is wrong for the scenario,
 * with low confidence. So a cascade whose threshold sits between the two keeps the outcomes of
 * `model` alone, and one whose threshold is too low changes them.
 */
export function understudy(model: LanguageModelV3, options: UnderstudyOptions = {}): LanguageModelV3 {
  const known = new Set(options.knownTools ?? []);
  const confident = options.confident ?? 0.9;
  const unsure = options.unsure ?? 0.4;
  const guess = options.guess ?? 'I believe that is all sorted for you.';
  const knows = (prompt: LanguageModelV3Prompt, content: readonly LanguageModelV3Content[]): boolean => {
    const calls = content.filter((part) => part.type === 'tool-call');
    if (calls.length > 0) return calls.every((call) => known.has(call.toolName));
    return lastToolResult(prompt)?.ok !== false;
  };
  async function doGenerate(call: Parameters<LanguageModelV3['doGenerate']>[0]): Promise<LanguageModelV3GenerateResult> {
    const answer = await model.doGenerate(call);
    const sure = knows(call.prompt, answer.content);
    const content: LanguageModelV3Content[] = sure ? answer.content : [{ type: 'text', text: guess }];
    const output = sure ? (answer.usage.outputTokens.total ?? 0) : estimateTokens(guess);
    return {
      ...answer,
      content,
      finishReason: sure ? answer.finishReason : { unified: 'stop', raw: 'stop' },
      usage: { inputTokens: answer.usage.inputTokens, outputTokens: { total: output, text: output, reasoning: 0 } },
      providerMetadata: { ...answer.providerMetadata, charter: { confidence: sure ? confident : unsure } },
    };
  }
  const wrapped: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: 'charter.understudy',
    modelId: options.modelId ?? 'understudy',
    supportedUrls: {},
    doGenerate,
    doStream: () => Promise.reject(new Error('the understudy model answers doGenerate only')),
  };
  const inner = capabilitiesOf(model).batch;
  return withCapabilities(wrapped, {
    pricing: options.pricing ?? OFFLINE_PRICING.small,
    batch: {
      maxBatchSize: inner?.maxBatchSize ?? 64,
      priceFactor: inner?.priceFactor ?? OFFLINE_BATCH_PRICE_FACTOR,
      doGenerateBatch: (calls) => Promise.all(calls.map((one) => doGenerate(one))),
    },
  });
}
