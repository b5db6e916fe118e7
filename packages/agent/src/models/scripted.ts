import type { LanguageModelV3, LanguageModelV3Content } from '@ai-sdk/provider';
import { z } from 'zod';
import { AgentError, AgentErrorCode } from '../errors.js';
import type { Pricing } from '../types.js';
import { lastToolResult, offlineModel, turnIndex } from './common.js';

// The schemas are built by the first parse (z.lazy), not when the module is imported: the model
// registry of the main entry names the offline models, and building these costs milliseconds.
function buildScript() {
  const ToolCallSpec = z.strictObject({
    tool: z.string().min(1).max(64),
    args: z.record(z.string(), z.unknown()).default({}),
  });

  const ReplyShape = {
    /** The final answer (or text before tool calls). */
    text: z.string().max(20_000).optional(),
    toolCalls: z.array(ToolCallSpec).max(16).optional(),
    /** A broken tool call: `input` is sent verbatim (e.g. truncated JSON) to exercise repair. */
    malformed: z.strictObject({ tool: z.string().min(1).max(64), input: z.string().max(2000) }).optional(),
  };

  /** A condition on the last tool result. */
  const When = z.strictObject({
    tool: z.string().optional(),
    ok: z.boolean().optional(),
    /** The result text contains this (case-sensitive). */
    includes: z.string().max(200).optional(),
  });

  const Turn = z.strictObject({
    ...ReplyShape,
    cases: z
      .array(z.strictObject({ when: When, ...ReplyShape }))
      .max(16)
      .optional(),
  });

  return z.strictObject({
    turns: z.array(Turn).min(1).max(200),
    /** Said once the turns run out; default "Is there anything else I can help with?". */
    fallback: z.string().max(2000).optional(),
  });
}

/** A scripted conversation: turn n answers the prompt that already holds n assistant messages. */
export const Script = z.lazy(buildScript);
export type Script = z.infer<typeof Script>;
export type ScriptInput = z.input<typeof Script>;
type ReplyValue = Script['turns'][number];

/**
 * A deterministic offline model: the answer depends only on the prompt (how many assistant turns it
 * holds and the last tool result), so a run resumed in another process gets the same answers. Throws
 * `AGENT_BAD_SCRIPT` for an invalid script.
 */
export function scripted(script: ScriptInput, options: { readonly modelId?: string; readonly pricing?: Pricing } = {}): LanguageModelV3 {
  const parsed = Script.safeParse(script);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(script)'}: ${issue.message}`).join('; ');
    throw new AgentError(AgentErrorCode.BadScript, `invalid scripted model: ${detail}`);
  }
  const { turns, fallback } = parsed.data;
  return offlineModel(
    'charter.scripted',
    options.modelId ?? 'scripted',
    ({ prompt }) => {
      const index = turnIndex(prompt);
      const turn = turns[index];
      if (turn === undefined) return [{ type: 'text', text: fallback ?? 'Is there anything else I can help with?' }];
      const last = lastToolResult(prompt);
      const match = turn.cases?.find(
        ({ when }) =>
          last !== undefined &&
          (when.tool === undefined || when.tool === last.tool) &&
          (when.ok === undefined || when.ok === last.ok) &&
          (when.includes === undefined || last.text.includes(when.includes)),
      );
      return render(match ?? turn, index);
    },
    options.pricing === undefined ? {} : { pricing: options.pricing },
  );
}

function render(reply: ReplyValue, index: number): LanguageModelV3Content[] {
  const content: LanguageModelV3Content[] = [];
  if (reply.text !== undefined) content.push({ type: 'text', text: reply.text });
  reply.toolCalls?.forEach((call, n) => {
    content.push({ type: 'tool-call', toolCallId: `call_${index}_${n}`, toolName: call.tool, input: JSON.stringify(call.args) });
  });
  if (reply.malformed !== undefined)
    content.push({ type: 'tool-call', toolCallId: `call_${index}_m`, toolName: reply.malformed.tool, input: reply.malformed.input });
  if (content.length === 0) content.push({ type: 'text', text: '' });
  return content;
}
