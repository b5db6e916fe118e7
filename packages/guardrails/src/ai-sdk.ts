// Vercel AI SDK adapter (`ai` 6, `@ai-sdk/provider` 3): a language-model middleware for the input
// and output hooks, and a tool wrapper for the tool-call and tool-result hooks.
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3Middleware,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import type { GuardrailEngine, GuardrailRun } from './engine.js';
import { GuardrailBlockedError } from './errors.js';
import type { Decision, GuardrailHook, GuardrailRequest } from './types.js';

export { GuardrailBlockedError } from './errors.js';

export interface AiSdkGuardrailOptions {
  /** Per-run state (placeholders, tool-call limits, context facts). Default: one run per `createAiSdkGuardrails` call. */
  readonly run?: GuardrailRun;
  /** Called with every decision (also `allow`), e.g. to record telemetry. */
  readonly onDecision?: (decision: Decision, request: GuardrailRequest) => void;
  /** Asked when a tool call `needs-approval`; resolve true to run it. Without it such calls are blocked. */
  readonly approve?: (request: GuardrailRequest, decision: Decision) => boolean | Promise<boolean>;
}

/** The text of the last user message of a prompt (text parts joined with a newline). */
export function lastUserText(prompt: LanguageModelV3Prompt): { index: number; text: string } | undefined {
  for (let index = prompt.length - 1; index >= 0; index--) {
    const message = prompt[index];
    if (message?.role !== 'user') continue;
    const texts = message.content.filter((part) => part.type === 'text').map((part) => part.text);
    return { index, text: texts.join('\n') };
  }
  return undefined;
}

interface ToolLike {
  execute?: (input: never, options: never) => unknown;
}

export interface AiSdkGuardrails {
  readonly run: GuardrailRun;
  /** Pass to `wrapLanguageModel({ model, middleware })`. */
  readonly middleware: LanguageModelV3Middleware;
  /** Wraps each tool's `execute` with the tool-call and tool-result hooks. */
  wrapTools<TOOLS extends Record<string, ToolLike>>(tools: TOOLS): TOOLS;
}

/**
 * Guards an AI SDK model and its tools with a compiled policy. `deny` (and `needs-approval` without an
 * approver) throws `GuardrailBlockedError`; `redact` rewrites the prompt text, the generated text or the
 * tool arguments/result. Streams are buffered until the model finishes, then checked and replayed.
 */
export function createAiSdkGuardrails(engine: GuardrailEngine, options: AiSdkGuardrailOptions = {}): AiSdkGuardrails {
  const run = options.run ?? engine.createRun();
  const evaluate = async (request: GuardrailRequest): Promise<Decision> => {
    const decision = engine.hasAsync ? await engine.evaluateAsync(request, run) : engine.evaluate(request, run);
    options.onDecision?.(decision, request);
    return decision;
  };
  const block = async (request: GuardrailRequest, decision: Decision): Promise<void> => {
    if (decision.action === 'deny') throw new GuardrailBlockedError(decision);
    if (decision.action === 'needs-approval') {
      const approved = options.approve ? await options.approve(request, decision) : false;
      if (!approved) throw new GuardrailBlockedError(decision);
    }
  };

  const checkText = async (hook: GuardrailHook, text: string): Promise<string> => {
    const request: GuardrailRequest = { hook, content: text };
    const decision = await evaluate(request);
    await block(request, decision);
    return decision.action === 'redact' && typeof decision.content === 'string' ? decision.content : text;
  };

  const checkOutputContent = async (content: readonly LanguageModelV3Content[]): Promise<LanguageModelV3Content[]> => {
    const text = content
      .filter((part) => part.type === 'text')
      .map((part) => part.text)
      .join('');
    if (text.length === 0) return [...content];
    const checked = await checkText('output', text);
    if (checked === text) return [...content];
    let placed = false;
    const out: LanguageModelV3Content[] = [];
    for (const part of content) {
      if (part.type !== 'text') out.push(part);
      else if (!placed) {
        out.push({ ...part, text: checked });
        placed = true;
      }
    }
    return out;
  };

  const checkedInputs = new Map<string, string>();
  const middleware: LanguageModelV3Middleware = {
    specificationVersion: 'v3',
    async transformParams({ params }): Promise<LanguageModelV3CallOptions> {
      const last = lastUserText(params.prompt);
      if (!last || last.text.length === 0) return params;
      // Each step of a multi-step call resends the same user message: check it once per run.
      let checked = checkedInputs.get(last.text);
      if (checked === undefined) {
        checked = await checkText('input', last.text);
        checkedInputs.set(last.text, checked);
      }
      if (checked === last.text) return params;
      const prompt = params.prompt.map((message, index) => {
        if (index !== last.index || message.role !== 'user') return message;
        const others = message.content.filter((part) => part.type !== 'text');
        return { ...message, content: [{ type: 'text' as const, text: checked }, ...others] };
      });
      return { ...params, prompt };
    },
    async wrapGenerate({ doGenerate }) {
      const result = await doGenerate();
      return { ...result, content: await checkOutputContent(result.content) };
    },
    async wrapStream({ doStream }) {
      const { stream, ...rest } = await doStream();
      const parts: LanguageModelV3StreamPart[] = [];
      const reader = stream.getReader();
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        parts.push(next.value);
      }
      const text = parts.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('');
      const checked = text.length > 0 ? await checkText('output', text) : text;
      let replaced = false;
      const replay = parts.flatMap((part): LanguageModelV3StreamPart[] => {
        if (part.type !== 'text-delta' || checked === text) return [part];
        if (replaced) return [];
        replaced = true;
        return [{ ...part, delta: checked }];
      });
      return {
        ...rest,
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          start(controller) {
            for (const part of replay) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };

  const wrapTools = <TOOLS extends Record<string, ToolLike>>(tools: TOOLS): TOOLS => {
    const wrapped: Record<string, ToolLike> = {};
    for (const [name, tool] of Object.entries(tools)) {
      const execute = tool.execute;
      if (!execute) {
        wrapped[name] = tool;
        continue;
      }
      wrapped[name] = {
        ...tool,
        execute: async (input: unknown, callOptions: unknown) => {
          const callRequest: GuardrailRequest = { hook: 'tool-call', toolCall: { name, args: input } };
          const callDecision = await evaluate(callRequest);
          await block(callRequest, callDecision);
          const args = callDecision.action === 'redact' ? callDecision.args : input;
          const output: unknown = await (execute as (input: unknown, options: unknown) => unknown)(args, callOptions);
          const resultRequest: GuardrailRequest = { hook: 'tool-result', content: output, toolCall: { name, args } };
          const resultDecision = await evaluate(resultRequest);
          await block(resultRequest, resultDecision);
          return resultDecision.action === 'redact' ? resultDecision.content : output;
        },
      };
    }
    return wrapped as TOOLS;
  };

  return { run, middleware, wrapTools };
}
