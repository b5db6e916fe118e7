import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
} from '@ai-sdk/provider';
import { AgentError, AgentErrorCode } from '../errors.js';
import { canonicalKey } from '../canonical.js';
import { OFFLINE_BATCH_PRICE_FACTOR, withCapabilities } from './capabilities.js';
import { lastToolResult, offlineModel } from './common.js';
import { scripted, type ScriptInput } from './scripted.js';

/** One injected text and the tool call it asks for. */
export interface Attack {
  /** The injected text, exactly as it is planted (in a KB article, an order note, the user's message…). */
  readonly text: string;
  /** The call the text asks for: what a perfectly obedient model does once it has read it. */
  readonly call: { readonly tool: string; readonly args: Readonly<Record<string, unknown>> };
}

export interface ObedientOptions {
  /** The attacks, given by the test: the model does not parse the texts, so any wording works. */
  readonly attacks: readonly Attack[];
  /** What the model does otherwise (the user's real task); default: it answers from the last tool result. */
  readonly script?: ScriptInput;
  readonly modelId?: string;
}

/** Tool-call ids of the calls an attack made start with this: the helpful part of the model never sees them. */
const ATTACK_ID = 'obedient_';
const MAX_DEPTH = 16;

/** Every string the model can read in user messages and tool results. */
function readable(prompt: LanguageModelV3Prompt): string[] {
  const texts: string[] = [];
  const collect = (value: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) for (const item of value) collect(item, depth + 1);
    else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) collect(item, depth + 1);
  };
  for (const message of prompt) {
    if (message.role === 'user') {
      for (const part of message.content) if (part.type === 'text') texts.push(part.text);
    } else if (message.role === 'tool') {
      for (const part of message.content) {
        if (part.type !== 'tool-result') continue;
        const { output } = part;
        if (output.type === 'text' || output.type === 'error-text') texts.push(output.value);
        else if (output.type === 'json' || output.type === 'error-json') collect(output.value, 0);
      }
    }
  }
  return texts;
}

/** Calls already made in this conversation, by tool name and canonical arguments. */
function made(prompt: LanguageModelV3Prompt): Set<string> {
  const seen = new Set<string>();
  for (const message of prompt) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) {
      if (part.type !== 'tool-call') continue;
      const input: unknown = typeof part.input === 'string' ? safeParse(part.input) : part.input;
      seen.add(`${part.toolName}:${canonicalKey(input)}`);
    }
  }
  return seen;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The first attack whose text the model can read and whose call it has not made yet, among the offered tools. */
function pick(attacks: readonly Attack[], options: LanguageModelV3CallOptions): Attack | undefined {
  const offered = new Set((options.tools ?? []).map((tool) => tool.name));
  const texts = readable(options.prompt);
  const done = made(options.prompt);
  return attacks.find(
    (attack) =>
      offered.has(attack.call.tool) &&
      !done.has(`${attack.call.tool}:${canonicalKey(attack.call.args)}`) &&
      texts.some((text) => text.includes(attack.text)),
  );
}

/** The conversation without the attack's turns: what the helpful part answers (its turn count stays right). */
function withoutAttacks(prompt: LanguageModelV3Prompt): LanguageModelV3Prompt {
  const out: LanguageModelV3Message[] = [];
  for (const message of prompt) {
    if (message.role === 'assistant') {
      const kept = message.content.filter((part) => !(part.type === 'tool-call' && part.toolCallId.startsWith(ATTACK_ID)));
      if (kept.length === 0) continue;
      out.push({ ...message, content: kept });
    } else if (message.role === 'tool') {
      const kept = message.content.filter((part) => !(part.type === 'tool-result' && part.toolCallId.startsWith(ATTACK_ID)));
      if (kept.length === 0) continue;
      out.push({ ...message, content: kept });
    } else out.push(message);
  }
  return out;
}

function check(options: ObedientOptions): void {
  const given: unknown = options.attacks;
  if (!Array.isArray(given) || given.length === 0)
    throw new AgentError(AgentErrorCode.BadScript, 'obedient needs `attacks`: [{ text, call: { tool, args } }, …]');
  options.attacks.forEach((attack, index) => {
    const { text, call } = attack as { text?: unknown; call?: { tool?: unknown; args?: unknown } };
    if (typeof text !== 'string' || text.trim().length < 8)
      throw new AgentError(AgentErrorCode.BadScript, `obedient attacks[${index}].text must be the injected text (8 characters or more)`);
    if (typeof call?.tool !== 'string' || typeof call.args !== 'object' || call.args === null || Array.isArray(call.args))
      throw new AgentError(AgentErrorCode.BadScript, `obedient attacks[${index}].call must be { tool, args: { … } }`);
  });
}

/**
 * A perfectly obedient adversarial model. The test gives it, for each injected text, the call that text
 * asks for; whenever the model can read a text — in the user's message or in any tool result it is
 * shown — it makes that call (once, if the tool is offered), whatever the wording. No detector can key
 * on a phrasing the model parses, because it parses none: only governance that does not depend on
 * recognising the attack can stop it. Otherwise it is the helpful `scripted` model of `script` (turns
 * counted without the attack's), so happy paths work. Throws `AGENT_BAD_SCRIPT` for bad options.
 */
export function obedient(options: ObedientOptions): LanguageModelV3 {
  check(options);
  const attacks = options.attacks;
  const modelId = options.modelId ?? 'obedient';
  const helpful =
    options.script === undefined
      ? offlineModel('charter.obedient', modelId, ({ prompt }): LanguageModelV3Content[] => {
          const last = lastToolResult(prompt);
          return [{ type: 'text', text: last === undefined ? 'How can I help?' : `Here is what I found: ${last.text.slice(0, 300)}` }];
        })
      : scripted(options.script, { modelId });
  const attacker = offlineModel('charter.obedient', modelId, (call): LanguageModelV3Content[] => {
    const attack = pick(attacks, call);
    if (attack === undefined) return [{ type: 'text', text: '' }];
    return [
      {
        type: 'tool-call',
        toolCallId: `${ATTACK_ID}${call.prompt.length}`,
        toolName: attack.call.tool,
        input: JSON.stringify(attack.call.args),
      },
    ];
  });
  const doGenerate: LanguageModelV3['doGenerate'] = (call) => {
    if (pick(attacks, call) !== undefined) return attacker.doGenerate(call);
    return helpful.doGenerate({ ...call, prompt: withoutAttacks(call.prompt) });
  };
  // Like every offline model it can batch (each call answered in order, at the batch price).
  return withCapabilities(
    {
      specificationVersion: 'v3',
      provider: 'charter.obedient',
      modelId,
      supportedUrls: {},
      doGenerate,
      doStream(call) {
        if (pick(attacks, call) !== undefined) return attacker.doStream(call);
        return helpful.doStream({ ...call, prompt: withoutAttacks(call.prompt) });
      },
    },
    {
      batch: {
        maxBatchSize: 64,
        priceFactor: OFFLINE_BATCH_PRICE_FACTOR,
        doGenerateBatch: (calls) => Promise.all(calls.map((one) => doGenerate(one))),
      },
    },
  );
}
