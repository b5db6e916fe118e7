// The only module that runs tools (through the @charter/tools executor).
import type { LanguageModelV3ToolResultOutput, LanguageModelV3ToolResultPart } from '@ai-sdk/provider';
import { callControl, withControl } from './controls.js';
import { AgentError, AgentErrorCode } from './errors.js';
import { argumentsKey, validatedInput } from './prepared.js';
import type { Ungrounded } from './provenance.js';
import type { Runtime } from './runtime.js';
import type { PlannedCall, RunState } from './state.js';

/** The rule id of a call not grounded in trusted context (`PROVENANCE_RULE` of @charter/guardrails). */
const PROVENANCE_RULE = 'provenance.ungrounded';

export type ActOutcome =
  | { readonly kind: 'continue' }
  | { readonly kind: 'pause' }
  | { readonly kind: 'escalate'; readonly reason: 'tool_failure' | 'handoff' | 'guardrail_denied' };

/** Codes of failures that retries did not cure: two of them in a run hand it to a human. */
const EXHAUSTED = new Set(['TOOL_TIMEOUT', 'TOOL_UNAVAILABLE', 'TOOL_TRANSIENT', 'TOOL_BUSY', 'TOOL_IN_DOUBT', 'TOOL_IN_FLIGHT']);
const MAX_EXHAUSTED = 2;
const MAX_REFUSED = 3;

/**
 * Act: runs the queued calls of the current turn in order. Per call: the tool-call guardrail
 * (deny → the model is told; redact → arguments rewritten; `needs-approval` — the manifest grant's
 * approval condition, decided by the engine, or a rule's violation → the run pauses), then the executor (timeouts,
 * retries, breaker, idempotency ledger), then the tool-result guardrail, whose output reaches the
 * model marked as untrusted data.
 */
export async function act(rt: Runtime, state: RunState, signal: AbortSignal): Promise<ActOutcome> {
  rt.observer.step(state.runId, state.step, 'act');
  while (state.queue.length > 0) {
    const call = state.queue[0];
    if (call === undefined) break;
    const entry = rt.tools.get(call.tool);
    if (entry === undefined)
      throw new AgentError(
        AgentErrorCode.BadState,
        `the queued call names "${call.tool}", which this agent does not have: was the checkpoint made by another agent?`,
      );
    const { tool } = entry;
    let args = call.args;
    const approvedBy = state.approved[call.callId];
    // Awaited only when there is something to await: without controls or async guardrails a call pays no extra promises.
    const control = rt.controls === undefined ? undefined : await callControl(rt, call.tool, tool.sideEffects, approvedBy !== undefined);
    if (approvedBy === undefined || control !== undefined) {
      // Provenance: is a side-effecting call grounded in trusted context? The engine gives the answer the policy's action.
      let ungrounded: Ungrounded[] = [];
      if (approvedBy === undefined && rt.provenance !== undefined && tool.sideEffects !== 'none') {
        const loaded = rt.provenance.get();
        ungrounded = (loaded instanceof Promise ? await loaded : loaded).check(state, call);
      }
      const evaluated =
        approvedBy === undefined
          ? rt.guard
              .session(state)
              .evaluate({ hook: 'tool-call', toolCall: { name: call.tool, args, ...(ungrounded.length > 0 ? { ungrounded } : {}) } })
          : undefined;
      const guard = evaluated instanceof Promise ? await evaluated : evaluated;
      const decision = withControl(control, guard);
      const flagged = ungrounded.length > 0 && decision.ruleIds.includes(PROVENANCE_RULE) ? ungrounded : undefined;
      if (decision.wouldBe !== 'allow') {
        state.decisions.push({
          step: state.step,
          hook: 'tool-call',
          action: decision.wouldBe,
          ruleIds: decision.ruleIds,
          callId: call.callId,
          enforced: decision.enforced,
          ...(flagged === undefined ? {} : { provenance: flagged }),
        });
        rt.observer.guardrail(state.runId, 'tool-call', decision.action, decision.ruleIds, decision.enforced, call.callId);
      }
      if (decision.action === 'deny') {
        state.actions.push({ step: state.step, callId: call.callId, tool: call.tool, outcome: 'refused', ruleIds: decision.ruleIds });
        finishCall(state, call, { type: 'execution-denied', reason: `refused by policy (${decision.ruleIds.join(', ') || 'guardrails'})` });
        if (state.actions.filter((a) => a.outcome === 'refused').length >= MAX_REFUSED)
          return { kind: 'escalate', reason: 'guardrail_denied' };
        continue;
      }
      if (decision.action === 'redact' && decision.args !== undefined) {
        args = decision.args;
        state.queue[0] = { ...call, args };
      }
      if (decision.action === 'needs-approval') {
        const approvals = [...(decision.approvals ?? []), ...(flagged ?? []).map((reason) => reason.message)];
        const others = decision.ruleIds.filter((id) => id !== 'tool.approval' && (flagged === undefined || id !== PROVENANCE_RULE));
        const reason = [
          ...approvals,
          ...(others.length > 0 || approvals.length === 0 ? [`guardrail rules: ${others.join(', ')}`] : []),
        ].join('; ');
        const approvalId = `${state.runId}:${call.callId}`;
        state.pending = {
          approvalId,
          callId: call.callId,
          tool: call.tool,
          args,
          reason,
          ruleIds: decision.ruleIds,
          requestedAt: rt.clock(),
          ...(flagged === undefined ? {} : { provenance: flagged }),
        };
        rt.observer.approvalRequested(state.runId, approvalId, tool.name, tool.version, tool.sideEffects, call.callId, args, reason);
        return { kind: 'pause' };
      }
    }

    // The ledger key makes a resumed or retried call run at most once.
    const ownKey = tool.idempotencyKey === undefined && tool.sideEffects !== 'none' ? `${state.runId}:${call.callId}` : undefined;
    const current = state.queue[0] ?? call;
    rt.observer.toolCall(state.runId, call.callId, tool.name, tool.version, tool.sideEffects, args, argumentsKey(current));
    // Arguments decide validated (and nothing rewrote since) run as the schema parsed them, not validated twice.
    const parsed = validatedInput(current);
    const result = await rt.executor.execute(call.tool, parsed === undefined ? args : parsed.value, {
      runId: state.runId,
      callId: `${state.runId}:${call.callId}`,
      signal,
      ...(ownKey === undefined ? {} : { idempotencyKey: ownKey }),
      ...(parsed === undefined ? {} : { inputValidated: true }),
    });
    const retries = Math.max(0, result.meta.attempts - 1);
    if (!result.ok) {
      rt.observer.toolResult(
        state.runId,
        call.callId,
        tool.name,
        tool.version,
        result.meta.durationMs,
        false,
        retries,
        result.error.code,
        undefined,
      );
      state.actions.push({ step: state.step, callId: call.callId, tool: call.tool, outcome: 'error', errorCode: result.error.code });
      finishCall(state, call, { type: 'error-text', value: `${result.error.code}: ${result.error.message}` });
      if (
        state.actions.filter((a) => a.outcome === 'error' && a.errorCode !== undefined && EXHAUSTED.has(a.errorCode)).length >=
        MAX_EXHAUSTED
      ) {
        flushTurn(state);
        return { kind: 'escalate', reason: 'tool_failure' };
      }
      continue;
    }
    rt.observer.toolResult(
      state.runId,
      call.callId,
      tool.name,
      tool.version,
      result.meta.durationMs,
      true,
      retries,
      undefined,
      result.value,
    );
    state.actions.push({
      step: state.step,
      callId: call.callId,
      tool: call.tool,
      outcome: 'ok',
      ...(result.meta.replayed ? { replayed: true } : {}),
    });

    const checked = rt.guard.session(state).evaluate({ hook: 'tool-result', content: result.value, toolCall: { name: call.tool, args } });
    const check = checked instanceof Promise ? await checked : checked;
    let value: unknown = result.value;
    if (check.wouldBe !== 'allow') {
      state.decisions.push({
        step: state.step,
        hook: 'tool-result',
        action: check.wouldBe,
        ruleIds: check.ruleIds,
        callId: call.callId,
        enforced: check.enforced,
      });
      rt.observer.guardrail(state.runId, 'tool-result', check.action, check.ruleIds, check.enforced, call.callId);
    }
    if (check.action === 'deny' || check.action === 'needs-approval') {
      value = `[withheld: the tool result was blocked by ${check.ruleIds.join(', ') || 'guardrails'}]`;
    } else if (check.action === 'redact' && check.content !== undefined) {
      value = check.content;
    }
    // Tool output is data, never instructions: the model receives it wrapped and labelled.
    finishCall(state, call, { type: 'json', value: { untrusted: true, source: call.tool, data: (value ?? null) as never } });
    if (rt.handoffTool === call.tool) {
      flushTurn(state);
      return { kind: 'escalate', reason: 'handoff' };
    }
  }
  flushTurn(state);
  return { kind: 'continue' };
}

function finishCall(state: RunState, call: PlannedCall, output: LanguageModelV3ToolResultOutput): void {
  const part: LanguageModelV3ToolResultPart = { type: 'tool-result', toolCallId: call.callId, toolName: call.tool, output };
  const last = state.turnResults.at(-1);
  if (last?.role === 'tool') last.content.push(part);
  else state.turnResults.push({ role: 'tool', content: [part] });
  state.queue.shift();
  if (state.pending?.callId === call.callId) state.pending = undefined;
}

/** Moves the turn's results into the conversation (after the assistant message that asked for them). */
export function flushTurn(state: RunState): void {
  // Calls never run (the turn ended early) still need a result for the conversation to stay valid.
  for (const call of state.queue) {
    const part: LanguageModelV3ToolResultPart = {
      type: 'tool-result',
      toolCallId: call.callId,
      toolName: call.tool,
      output: { type: 'execution-denied', reason: 'not run: the turn ended' },
    };
    const last = state.turnResults.at(-1);
    if (last?.role === 'tool') last.content.push(part);
    else state.turnResults.push({ role: 'tool', content: [part] });
  }
  state.queue = [];
  state.messages.push(...state.turnResults);
  state.turnResults = [];
}

/** Records a human's refusal of the pending call. */
export function denyPending(state: RunState, approver: string, reason: string | undefined): void {
  const pending = state.pending;
  const call = state.queue[0];
  if (pending === undefined || call === undefined) return;
  state.actions.push({ step: state.step, callId: call.callId, tool: call.tool, outcome: 'approval-denied' });
  finishCall(state, call, { type: 'execution-denied', reason: `denied by ${approver}${reason === undefined ? '' : `: ${reason}`}` });
  flushTurn(state);
}
