import { AgentError, AgentErrorCode } from './errors.js';
import type { Runtime } from './runtime.js';
import type { RunState } from './state.js';

/** Normalises the input to a non-empty string within the cap; throws `AGENT_BAD_INPUT` otherwise. */
export function normaliseInput(input: unknown, maxChars: number): string {
  const text =
    typeof input === 'string'
      ? input
      : typeof input === 'object' && input !== null && typeof (input as { text?: unknown }).text === 'string'
        ? (input as { text: string }).text
        : undefined;
  if (text === undefined) throw new AgentError(AgentErrorCode.BadInput, 'run input must be a string or { text: string }');
  const trimmed = text.normalize('NFC').trim();
  if (trimmed.length === 0) throw new AgentError(AgentErrorCode.BadInput, 'run input is empty: give the user message');
  if (trimmed.length > maxChars)
    throw new AgentError(
      AgentErrorCode.BadInput,
      `run input has ${trimmed.length} characters, more than the ${maxChars} allowed (maxInputChars)`,
    );
  return trimmed;
}

export type Perception = { readonly kind: 'continue' } | { readonly kind: 'denied' | 'review'; readonly ruleIds: readonly string[] };

/**
 * Perceive: input guardrails, then the conversation starts. A `redact` decision replaces the text
 * the model sees (PII and pasted secrets never reach it); `deny` ends the run `denied`;
 * `needs-approval` hands it to a human (`review_required`). A denied input is kept only redacted.
 */
export async function perceive(rt: Runtime, state: RunState, text: string): Promise<Perception> {
  const decision = await rt.guard.session(state).evaluate({ hook: 'input', content: text });
  let seen = text;
  if (decision.wouldBe !== 'allow') {
    state.decisions.push({ step: 0, hook: 'input', action: decision.wouldBe, ruleIds: decision.ruleIds, enforced: decision.enforced });
    rt.observer.guardrail(state.runId, 'input', decision.action, decision.ruleIds, decision.enforced);
  }
  if (decision.action === 'redact' && typeof decision.content === 'string') seen = decision.content;
  else if (decision.action !== 'allow') seen = rt.guard.redact(text);
  if (rt.instructions !== '') state.messages.push({ role: 'system', content: rt.instructions });
  state.messages.push({ role: 'user', content: [{ type: 'text', text: seen }] });
  if (decision.action === 'deny') return { kind: 'denied', ruleIds: decision.ruleIds };
  // needs-approval on input (e.g. a legal threat): a human answers, not the model.
  if (decision.action === 'needs-approval') return { kind: 'review', ruleIds: decision.ruleIds };
  return { kind: 'continue' };
}
