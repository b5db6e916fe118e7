import { canonicalKey } from './canonical.js';
import { argumentsKey } from './prepared.js';
import type { Runtime } from './runtime.js';
import type { EscalationReason, PlannedCall, RunState } from './state.js';

/** The same tool with the same arguments this many times in one run is a loop. */
export const LOOP_LIMIT = 3;

/** Wall time of the run so far, across pauses. */
export function elapsed(rt: Runtime, state: RunState, segmentStart: number): number {
  return state.elapsedMs + (rt.clock() - segmentStart);
}

/**
 * Reflect on budgets before the next model call: steps, tokens, cost and wall time from the
 * manifest's `spec.budgets`. Returns the escalation reason of the first budget used up.
 */
export function checkBudgets(rt: Runtime, state: RunState, segmentStart: number): EscalationReason | undefined {
  const budgets = rt.manifest.spec.budgets;
  const { observer } = rt;
  const tokens = state.usage.inputTokens + state.usage.outputTokens;
  if (state.step >= budgets.maxSteps) {
    observer.budgetExceeded(state.runId, 'steps', budgets.maxSteps, state.step);
    return 'budget_steps';
  }
  if (tokens > budgets.maxTokens) {
    observer.budgetExceeded(state.runId, 'tokens', budgets.maxTokens, tokens);
    return 'budget_tokens';
  }
  if (state.usage.costUsd > budgets.maxCostUsd) {
    observer.budgetExceeded(state.runId, 'cost', budgets.maxCostUsd, state.usage.costUsd);
    return 'budget_cost';
  }
  const time = elapsed(rt, state, segmentStart);
  if (time > budgets.timeoutMs) {
    observer.budgetExceeded(state.runId, 'time', budgets.timeoutMs, time);
    return 'budget_time';
  }
  return undefined;
}

/** Counts each call's signature; true when one reaches `limit` (`spec.cost.earlyExit.repeatedCall`, default `LOOP_LIMIT`). */
export function detectLoop(state: RunState, calls: readonly PlannedCall[], limit: number = LOOP_LIMIT): boolean {
  let loop = false;
  for (const call of calls) {
    // The same text as canonicalKey for plain JSON arguments (all a model's calls), kept for the call's argsHash.
    const key = `${call.tool}:${argumentsKey(call) ?? canonicalKey(call.args)}`;
    const count = (state.signatures[key] ?? 0) + 1;
    state.signatures[key] = count;
    if (count >= limit) loop = true;
  }
  return loop;
}

export type OutputVerdict =
  { readonly kind: 'ok'; readonly text: string } | { readonly kind: 'denied' | 'review'; readonly ruleIds: readonly string[] };

/** Output guardrails on the final answer: `redact` rewrites it, `deny` withholds it, `needs-approval` sends it to a human. */
export async function reflectOutput(rt: Runtime, state: RunState, text: string): Promise<OutputVerdict> {
  rt.observer.step(state.runId, state.step, 'reflect');
  const decision = await rt.guard.session(state).evaluate({ hook: 'output', content: text });
  if (decision.wouldBe !== 'allow') {
    state.decisions.push({
      step: state.step,
      hook: 'output',
      action: decision.wouldBe,
      ruleIds: decision.ruleIds,
      enforced: decision.enforced,
    });
    rt.observer.guardrail(state.runId, 'output', decision.action, decision.ruleIds, decision.enforced);
  }
  if (decision.action === 'deny') return { kind: 'denied', ruleIds: decision.ruleIds };
  if (decision.action === 'needs-approval') return { kind: 'review', ruleIds: decision.ruleIds };
  if (decision.action === 'redact' && typeof decision.content === 'string') return { kind: 'ok', text: decision.content };
  return { kind: 'ok', text };
}
