import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3ToolResultOutput,
} from '@ai-sdk/provider';
import type { Pricing } from '../types.js';
import { OFFLINE_BATCH_PRICE_FACTOR, withCapabilities } from './capabilities.js';

/** What an offline model answers for one prompt. */
export type Respond = (options: LanguageModelV3CallOptions) => LanguageModelV3Content[];

/** Rough token estimate (4 characters a token), deterministic so budgets are reproducible. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function promptChars(prompt: LanguageModelV3Prompt): number {
  let n = 0;
  for (const message of prompt) {
    if (typeof message.content === 'string') n += message.content.length;
    else for (const part of message.content) n += JSON.stringify(part).length;
  }
  return n;
}

export interface OfflineModelOptions {
  /** Declared list prices (`OFFLINE_PRICING.large` or `.small`); without them the model costs nothing. */
  readonly pricing?: Pricing;
}

/**
 * Builds a real `LanguageModelV3` around a pure respond function: `doGenerate` and `doStream`. It
 * declares the `batch` capability (a batch answers each call in order, at `OFFLINE_BATCH_PRICE_FACTOR`
 * of the list price) and, when given, its prices.
 */
export function offlineModel(provider: string, modelId: string, respond: Respond, options: OfflineModelOptions = {}): LanguageModelV3 {
  async function doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    if (options.abortSignal?.aborted === true) throw options.abortSignal.reason ?? new Error('aborted');
    const content = respond(options);
    const hasCalls = content.some((part) => part.type === 'tool-call');
    const outChars = content.reduce(
      (n, part) => n + (part.type === 'text' ? part.text.length : part.type === 'tool-call' ? part.input.length + part.toolName.length : 0),
      0,
    );
    const input = Math.ceil(promptChars(options.prompt) / 4);
    const output = Math.ceil(outChars / 4);
    return Promise.resolve({
      content,
      finishReason: { unified: hasCalls ? 'tool-calls' : 'stop', raw: hasCalls ? 'tool_calls' : 'stop' },
      usage: {
        inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: output, text: output, reasoning: 0 },
      },
      warnings: [],
    });
  }
  const model: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider,
    modelId,
    supportedUrls: {},
    doGenerate,
    async doStream(options) {
      const result = await doGenerate(options);
      const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      let id = 0;
      for (const part of result.content) {
        if (part.type === 'text') {
          const textId = `t${id++}`;
          parts.push(
            { type: 'text-start', id: textId },
            { type: 'text-delta', id: textId, delta: part.text },
            { type: 'text-end', id: textId },
          );
        } else {
          parts.push(part as LanguageModelV3StreamPart);
        }
      }
      parts.push({ type: 'finish', finishReason: result.finishReason, usage: result.usage });
      return {
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
  return withCapabilities(model, {
    ...(options.pricing === undefined ? {} : { pricing: options.pricing }),
    batch: {
      maxBatchSize: 64,
      priceFactor: OFFLINE_BATCH_PRICE_FACTOR,
      doGenerateBatch: (calls) => Promise.all(calls.map((call) => doGenerate(call))),
    },
  });
}

/** The text of a tool result output as the model sees it. */
export function outputText(output: LanguageModelV3ToolResultOutput): string {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value);
    case 'execution-denied':
      return `denied: ${output.reason ?? ''}`;
    default:
      return '';
  }
}

/** The last tool result in the prompt, if the last message is a tool message. */
export function lastToolResult(prompt: LanguageModelV3Prompt): { tool: string; ok: boolean; text: string } | undefined {
  const last = prompt.at(-1);
  if (last?.role !== 'tool') return undefined;
  const results = last.content.filter((part) => part.type === 'tool-result');
  const part = results.at(-1);
  if (part === undefined) return undefined;
  const ok = part.output.type === 'text' || part.output.type === 'json';
  return { tool: part.toolName, ok, text: outputText(part.output) };
}

/** How many assistant turns the prompt already holds: the index of the next turn. */
export function turnIndex(prompt: LanguageModelV3Prompt): number {
  let n = 0;
  for (const message of prompt) if (message.role === 'assistant') n++;
  return n;
}
