// The model cascade's confidence signals (`spec.cost.cascade.signal`).
import type { LanguageModelV3Content, LanguageModelV3GenerateResult, LanguageModelV3Prompt } from '@ai-sdk/provider';

/** What the small model proposed: its text and its tool calls (arguments parsed when they are JSON). */
export interface CascadeCandidate {
  readonly text: string;
  readonly toolCalls: readonly { readonly tool: string; readonly args: unknown }[];
}

/**
 * A verifier (`signal: verifier`): scores the small model's answer to the prompt, 0 (wrong) to 1
 * (certainly right). Registered by name: `createAgent({ verifiers: { [name]: fn } })`. A verifier
 * that throws or returns something other than a number in [0, 1] counts as 0 (the large model answers).
 */
export type ConfidenceVerifier = (
  candidate: CascadeCandidate,
  context: { readonly prompt: LanguageModelV3Prompt },
) => number | Promise<number>;

// A last line such as "Confidence: 0.85" (bounded, anchored at the end of a capped tail).
const MARKER = /(?:^|\n)[ \t]{0,8}confidence[ \t]{0,4}[:=][ \t]{0,4}(0(?:\.\d{1,6})?|1(?:\.0{1,6})?|\.\d{1,6})[ \t]{0,8}\n?$/i;
const TAIL = 200;

/**
 * The self-reported confidence of an answer: `providerMetadata.charter.confidence`, else a last line
 * `confidence: <0-1>` of its text (removed from the answer, so it never reaches the user). Undefined
 * when the model reported none (the cascade then escalates).
 */
export function selfReported(result: LanguageModelV3GenerateResult): { confidence: number | undefined; content: LanguageModelV3Content[] } {
  const meta = result.providerMetadata?.charter?.confidence;
  if (typeof meta === 'number' && meta >= 0 && meta <= 1) return { confidence: meta, content: result.content };
  const content = [...result.content];
  for (let i = content.length - 1; i >= 0; i--) {
    const part = content[i];
    if (part?.type !== 'text') continue;
    const tail = part.text.slice(-TAIL);
    const match = MARKER.exec(tail);
    if (match === null) return { confidence: undefined, content: result.content };
    const value = Number(match[1]);
    content[i] = { ...part, text: part.text.slice(0, part.text.length - tail.length + match.index).trimEnd() };
    return { confidence: value, content };
  }
  return { confidence: undefined, content: result.content };
}

/** The candidate a verifier sees. */
export function candidateOf(content: readonly LanguageModelV3Content[]): CascadeCandidate {
  let text = '';
  const toolCalls: { tool: string; args: unknown }[] = [];
  for (const part of content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'tool-call') {
      let args: unknown = part.input;
      try {
        args = part.input === '' ? {} : JSON.parse(part.input);
      } catch {
        // left as the raw string: the verifier sees what the model sent
      }
      toolCalls.push({ tool: part.toolName, args });
    }
  }
  return { text, toolCalls };
}

/** Runs a verifier; anything but a number in [0, 1] is 0. */
export async function verify(
  verifier: ConfidenceVerifier,
  content: readonly LanguageModelV3Content[],
  prompt: LanguageModelV3Prompt,
): Promise<number> {
  try {
    const score = await verifier(candidateOf(content), { prompt });
    return typeof score === 'number' && score >= 0 && score <= 1 ? score : 0;
  } catch {
    return 0;
  }
}
