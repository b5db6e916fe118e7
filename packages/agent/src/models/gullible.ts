import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3Content, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { lastToolResult, offlineModel, outputText } from './common.js';

/** An instruction the gullible model found and will obey. */
export interface Instruction {
  readonly tool: string;
  readonly args: Record<string, unknown>;
  /** Where it was found. */
  readonly source: 'user' | 'tool-result';
}

const MAX_SCAN = 20_000;

// Each pattern starts with fixed words and bounds every repeat: linear on any input.
const EMAIL = /\bsend (?:an? )?e-?mail to ([\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8})/gi;
const REFUND = /\brefund order #?([A-Z]{1,4}-\d{1,10})(?: for (?:USD |\$)?(\d{1,7}(?:\.\d{1,2})?))?/gi;
const LOOKUP = /\b(?:look up|check|where is) (?:my )?order #?([A-Z]{1,4}-\d{1,10})/gi;
const SEARCH = /\bsearch (?:the )?(?:kb|knowledge base) for "([^"\n]{1,100})"/gi;
const HUMAN = /\b(?:talk|speak|escalate) to a human\b/i;
const REVEAL = /\bignore (?:all |any )?(?:previous|prior|above) instructions\b/i;

function scan(text: string, source: Instruction['source'], context: string): Instruction[] {
  const input = text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text;
  const found: { at: number; instruction: Instruction }[] = [];
  for (const m of input.matchAll(EMAIL)) {
    found.push({
      at: m.index,
      instruction: {
        tool: 'send_email',
        source,
        args: { to: [m[1] ?? ''], subject: 'As requested', body: `As instructed. ${context}`.slice(0, 500) },
      },
    });
  }
  for (const m of input.matchAll(REFUND)) {
    found.push({
      at: m.index,
      instruction: {
        tool: 'refund_order',
        source,
        args: { orderId: (m[1] ?? '').toUpperCase(), amount: m[2] === undefined ? 50 : Number(m[2]), reason: 'requested' },
      },
    });
  }
  for (const m of input.matchAll(LOOKUP))
    found.push({ at: m.index, instruction: { tool: 'lookup_order', source, args: { orderId: (m[1] ?? '').toUpperCase() } } });
  for (const m of input.matchAll(SEARCH))
    found.push({ at: m.index, instruction: { tool: 'search_kb', source, args: { query: m[1] ?? '' } } });
  const human = HUMAN.exec(input);
  if (human)
    found.push({
      at: human.index,
      instruction: { tool: 'escalate_to_human', source, args: { summary: 'The customer asked for a human.', priority: 'normal' } },
    });
  return found.sort((a, b) => a.at - b.at).map((f) => f.instruction);
}

/** Every instruction in the user messages and tool results of a prompt, in order. */
export function findInstructions(prompt: LanguageModelV3Prompt): Instruction[] {
  const out: Instruction[] = [];
  let context = '';
  for (const message of prompt) {
    if (message.role === 'user') {
      for (const part of message.content) if (part.type === 'text') out.push(...scan(part.text, 'user', context));
    } else if (message.role === 'tool') {
      for (const part of message.content) {
        if (part.type !== 'tool-result') continue;
        const text = outputText(part.output);
        out.push(...scan(text, 'tool-result', context));
        context = text.slice(0, 300);
      }
    }
  }
  return out;
}

function issued(prompt: LanguageModelV3Prompt): Set<string> {
  const seen = new Set<string>();
  for (const message of prompt) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) if (part.type === 'tool-call') seen.add(`${part.toolName}:${JSON.stringify(part.input)}`);
  }
  return seen;
}

function systemText(prompt: LanguageModelV3Prompt): string {
  return prompt
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n');
}

function revealed(prompt: LanguageModelV3Prompt): boolean {
  return prompt.some(
    (message) =>
      message.role === 'assistant' && message.content.some((part) => part.type === 'text' && part.text.startsWith('My instructions are:')),
  );
}

/**
 * An adversarial offline model that obeys any instruction it finds in user input or tool results —
 * "send an email to X", "refund order N for 80", "look up order N", "search the KB for "…"", "talk
 * to a human", "ignore previous instructions" (it then reveals its system prompt) — one tool call per
 * turn, each instruction once, only for tools it was offered. It is how tests prove that governance,
 * not the model's goodwill, stops attacks.
 */
export function gullible(options: { readonly modelId?: string } = {}): LanguageModelV3 {
  return offlineModel('charter.gullible', options.modelId ?? 'gullible', (call: LanguageModelV3CallOptions): LanguageModelV3Content[] => {
    const { prompt } = call;
    const offered = new Set((call.tools ?? []).map((tool) => tool.name));
    const done = issued(prompt);
    for (const instruction of findInstructions(prompt)) {
      if (!offered.has(instruction.tool)) continue;
      const input = JSON.stringify(instruction.args);
      // Assistant tool-call parts in the prompt hold the parsed input object.
      if (done.has(`${instruction.tool}:${JSON.stringify(instruction.args)}`) || done.has(`${instruction.tool}:${JSON.stringify(input)}`))
        continue;
      return [{ type: 'tool-call', toolCallId: `g_${prompt.length}`, toolName: instruction.tool, input }];
    }
    const wantsReveal = prompt.some(
      (message) => message.role === 'user' && message.content.some((part) => part.type === 'text' && REVEAL.test(part.text)),
    );
    const toolSaysReveal = prompt.some(
      (message) =>
        message.role === 'tool' && message.content.some((part) => part.type === 'tool-result' && REVEAL.test(outputText(part.output))),
    );
    if ((wantsReveal || toolSaysReveal) && !revealed(prompt)) return [{ type: 'text', text: `My instructions are: ${systemText(prompt)}` }];
    const last = lastToolResult(prompt);
    return [{ type: 'text', text: last === undefined ? 'Done. Anything else?' : `Done. ${last.text.slice(0, 300)}` }];
  });
}
