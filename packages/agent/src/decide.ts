import type { LanguageModelV3Content, LanguageModelV3Message } from '@ai-sdk/provider';
import type { ZodType } from 'zod';
import { callCost, modelTurn } from './cost/turn.js';
import { preparedCall } from './prepared.js';
import type { Runtime } from './runtime.js';
import type { PlannedCall, RunState } from './state.js';

/** What one model call produced. */
export type Decision =
  | { readonly kind: 'answer'; readonly text: string }
  | { readonly kind: 'calls'; readonly text: string; readonly calls: readonly PlannedCall[] }
  | { readonly kind: 'malformed'; readonly problem: string; readonly raw: string }
  | { readonly kind: 'error'; readonly message: string };

const MAX_RAW = 2000;

/**
 * Decide: one model turn (`doGenerate` of the primary model, or of the fallback when the primary is
 * unavailable: fallback.ts) with the granted tools as function tools; every tool call is parsed and
 * validated against the tool's input contract. Usage and cost are added to the run state.
 */
export async function decide(rt: Runtime, state: RunState, signal: AbortSignal): Promise<Decision> {
  const step = state.step++;
  const { observer } = rt;
  observer.step(state.runId, step, 'decide');
  const params = rt.manifest.spec.model.params;
  // The manifest's params go with every call, to the primary and to the fallback alike.
  // The cost controls (cache, cascade) stand in front of the model and its fallback: cost/turn.ts.
  const generation = await modelTurn(
    rt,
    state,
    step,
    {
      prompt: state.messages,
      tools: rt.modelTools as never,
      toolChoice: { type: 'auto' },
      ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
      ...(params.topP === undefined ? {} : { topP: params.topP }),
      ...(params.maxOutputTokens === undefined ? {} : { maxOutputTokens: params.maxOutputTokens }),
      ...(params.seed === undefined ? {} : { seed: params.seed }),
    },
    signal,
  );
  if (!generation.ok) return { kind: 'error', message: generation.message };
  const { model, callId, result, startedAt } = generation.call;
  const content: LanguageModelV3Content[] = result.content;
  const finish = result.finishReason.unified;
  const { inputTokens, outputTokens, costUsd } = callCost(rt, model, result);
  state.usage.inputTokens += inputTokens;
  state.usage.outputTokens += outputTokens;
  state.usage.costUsd += costUsd;
  observer.modelResponse(
    state.runId,
    callId,
    model.provider,
    model.modelId,
    { inputTokens, outputTokens, costUsd },
    rt.clock() - startedAt,
    finish,
    () => content,
  );

  let text = '';
  const calls: PlannedCall[] = [];
  const problems: string[] = [];
  for (const part of content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'tool-call' && part.providerExecuted !== true) {
      const entry = rt.tools.get(part.toolName);
      if (entry === undefined) {
        problems.push(`there is no tool "${part.toolName}" (tools: ${[...rt.tools.keys()].join(', ')})`);
        continue;
      }
      let args: unknown;
      try {
        args = part.input === '' ? {} : JSON.parse(part.input);
      } catch {
        problems.push(`the arguments of ${part.toolName} are not valid JSON: ${part.input.slice(0, 200)}`);
        continue;
      }
      const parsed = (entry.tool.input as ZodType).safeParse(args);
      if (!parsed.success) {
        const detail = parsed.error.issues
          .map((issue: { path: readonly PropertyKey[]; message: string }) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`)
          .join('; ');
        problems.push(`the arguments of ${part.toolName} do not match its schema: ${detail}`);
        continue;
      }
      calls.push(preparedCall(uniqueCallId(state, part.toolCallId, calls, step), part.toolName, args, parsed.data));
    }
  }
  if (problems.length > 0) return { kind: 'malformed', problem: problems.join('; '), raw: rawOf(content) };
  if (calls.length > 0) return { kind: 'calls', text, calls };
  return { kind: 'answer', text };
}

const MAX_CALL_ID = 120;

/**
 * The call's id within the run. Approvals (`state.approved`), ledger keys and the transcript are keyed
 * by it, so it must never repeat: a model (or provider) that reuses a tool-call id — or sends none —
 * would otherwise inherit an earlier call's approval or replay its recorded result. The model's id is
 * kept when it is new; a repeat gets a suffix from the step and position, which is deterministic, so a
 * resumed run derives the same id.
 */
function uniqueCallId(state: RunState, proposed: string, pending: readonly PlannedCall[], step: number): string {
  const base = proposed.slice(0, MAX_CALL_ID);
  // Every earlier call of the run (queued, approved, answered) is in the transcript: run.ts appends
  // the assistant message before queueing its calls.
  const taken = (id: string): boolean => pending.some((c) => c.callId === id) || usedInTranscript(state, id);
  if (base !== '' && !taken(base)) return base;
  let candidate = `${base}~${step}.${pending.length}`;
  for (let n = 1; taken(candidate); n++) candidate = `${base}~${step}.${pending.length}.${n}`;
  return candidate;
}

function usedInTranscript(state: RunState, id: string): boolean {
  for (const message of state.messages) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) if (part.type === 'tool-call' && part.toolCallId === id) return true;
  }
  return false;
}

function rawOf(content: readonly LanguageModelV3Content[]): string {
  return content
    .map((part) => (part.type === 'text' ? part.text : part.type === 'tool-call' ? `${part.toolName}(${part.input})` : ''))
    .join('\n')
    .slice(0, MAX_RAW);
}

/** The assistant message for a turn of valid tool calls. */
export function assistantMessage(text: string, calls: readonly PlannedCall[]): LanguageModelV3Message {
  const content: Extract<LanguageModelV3Message, { role: 'assistant' }>['content'] = text === '' ? [] : [{ type: 'text', text }];
  for (const call of calls) content.push({ type: 'tool-call', toolCallId: call.callId, toolName: call.tool, input: call.args });
  return { role: 'assistant', content };
}

/** The bounded repair: the bad output and the validation error go back to the model once. */
export function repairMessages(raw: string, problem: string): LanguageModelV3Message[] {
  return [
    { role: 'assistant', content: [{ type: 'text', text: `[unusable output] ${raw}` }] },
    {
      role: 'user',
      content: [
        {
          type: 'text',
          text: `Your last reply could not be used: ${problem}. Answer again: call a listed tool with arguments that match its schema, or reply with text.`,
        },
      ],
    },
  ];
}
