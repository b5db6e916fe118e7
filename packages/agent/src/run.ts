import { type AgentManifest, type Playbook, type PlaybookRoutes, playbookRoutes, routeEscalation } from '@charter/spec';
import { act, flushTurn } from './act.js';
import { killSwitch } from './controls.js';
import { assistantMessage, decide, repairMessages } from './decide.js';
import { AgentError, AgentErrorCode } from './errors.js';
import type { ContextPacket } from './escalation.js';
import { staleTurns } from './cost/early-exit.js';
import { checkBudgets, detectLoop, elapsed, reflectOutput } from './reflect.js';
import type { Runtime } from './runtime.js';
import type { EscalationReason, RunState } from './state.js';
import type { RunResult } from './types.js';

/** Repair attempts for a malformed model output: the next malformed output in a row escalates. */
export const MAX_REPAIRS = 1;
const REFUSAL = 'I cannot help with that request.';

/**
 * The routing table of the playbooks an agent was given, kept to those its manifest lists
 * (`spec.playbooks`): escalation reason → playbook comes from their `triggers.escalations`.
 */
export function playbookRoutesOf(
  manifest: AgentManifest,
  playbooks: ReadonlyMap<string, Playbook> | Iterable<Playbook> | undefined,
): PlaybookRoutes | undefined {
  if (playbooks === undefined) return undefined;
  const listed = new Set(manifest.spec.playbooks);
  const given: Playbook[] =
    playbooks instanceof Map ? [...(playbooks as ReadonlyMap<string, Playbook>).values()] : [...(playbooks as Iterable<Playbook>)];
  try {
    return playbookRoutes(given.filter((playbook) => listed.has(playbook.metadata.name)));
  } catch (error) {
    throw new AgentError(AgentErrorCode.BadOptions, `the playbooks do not route: ${(error as Error).message}`, { cause: error });
  }
}

/** Drives a run from its current state until it finishes or pauses. Never throws for run outcomes. */
export async function drive(rt: Runtime, state: RunState, signal: AbortSignal | undefined, segmentStart: number): Promise<RunResult> {
  const deadline = runDeadline(rt, state, signal, segmentStart);
  const runSignal = deadline.signal;
  try {
    for (;;) {
      // No controls: nothing to await (a step must not pay a promise for a check that cannot fire).
      const gate = rt.controls === undefined ? undefined : killSwitch(rt);
      const killed = gate === undefined ? undefined : await gate;
      if (killed !== undefined) return await escalate(rt, state, 'kill_switch', segmentStart, killed);
      if (state.queue.length > 0) {
        const outcome = await act(rt, state, runSignal);
        if (outcome.kind === 'pause') return await pause(rt, state, segmentStart);
        if (outcome.kind === 'escalate')
          return await escalate(rt, state, outcome.reason, segmentStart, `run handed to a human: ${outcome.reason}`);
        // spec.cost.earlyExit.stalledTurns: tool turns that brought nothing new end the run early.
        const stalled = rt.cost.stalledTurns;
        if (stalled !== undefined && staleTurns(state) >= stalled)
          return await escalate(
            rt,
            state,
            'loop_detected',
            segmentStart,
            `no progress: the last ${stalled} tool turn(s) returned only results seen before`,
          );
      }
      const budget = checkBudgets(rt, state, segmentStart);
      if (budget !== undefined) return await escalate(rt, state, budget, segmentStart, `the ${budget.slice(7)} budget is used up`);
      if (deadline.aborted()) return await escalate(rt, state, 'budget_time', segmentStart, 'the run was aborted or ran out of time');
      const decision = await decide(rt, state, runSignal);
      switch (decision.kind) {
        case 'error':
          return await escalate(
            rt,
            state,
            deadline.aborted() ? 'budget_time' : 'model_error',
            segmentStart,
            `the model call failed: ${decision.message.slice(0, 300)}`,
          );
        case 'malformed':
          if (state.repairs >= MAX_REPAIRS)
            return await escalate(
              rt,
              state,
              'malformed_output',
              segmentStart,
              `the model's output stayed unusable after ${MAX_REPAIRS} repair attempt: ${decision.problem.slice(0, 300)}`,
            );
          state.repairs++;
          state.messages.push(...repairMessages(decision.raw, decision.problem));
          continue;
        case 'calls':
          state.repairs = 0;
          state.messages.push(assistantMessage(decision.text, decision.calls));
          state.queue = [...decision.calls];
          if (detectLoop(state, decision.calls, rt.cost.repeatedCall)) {
            flushTurn(state);
            return await escalate(rt, state, 'loop_detected', segmentStart, 'the model repeated the same tool call');
          }
          continue;
        case 'answer': {
          state.repairs = 0;
          const verdict = await reflectOutput(rt, state, decision.text);
          if (verdict.kind !== 'ok') {
            // A withheld answer stays out of the conversation; one held for review goes to the human.
            state.messages.push({
              role: 'assistant',
              content: [{ type: 'text', text: verdict.kind === 'review' ? decision.text : REFUSAL }],
            });
            if (verdict.kind === 'review')
              return await escalate(
                rt,
                state,
                'review_required',
                segmentStart,
                `the answer needs a human's review (${verdict.ruleIds.join(', ')})`,
              );
            return finish(rt, state, 'denied', REFUSAL, segmentStart);
          }
          state.messages.push({ role: 'assistant', content: [{ type: 'text', text: verdict.text }] });
          return finish(rt, state, 'completed', verdict.text, segmentStart);
        }
      }
    }
  } catch (error) {
    return fail(rt, state, error, segmentStart);
  } finally {
    deadline.clear();
  }
}

/**
 * The run's signal: aborts (reason: a `TimeoutError` DOMException, as `AbortSignal.timeout` gives)
 * when the run's time budget is used up, or when the caller's signal aborts. A plain timer cleared when
 * `drive` returns, unref'd so it never holds the process: `AbortSignal.timeout` costs several times
 * more per run (weak references, a finalisation registry) for a signal that lives one segment.
 * `aborted()` is `signal.aborted` without the getter's cost (a brand check per read on Node 20).
 */
function runDeadline(
  rt: Runtime,
  state: RunState,
  signal: AbortSignal | undefined,
  segmentStart: number,
): { readonly signal: AbortSignal; aborted(): boolean; clear(): void } {
  const left = Math.max(1, rt.manifest.spec.budgets.timeoutMs - elapsed(rt, state, segmentStart));
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, left);
  timer.unref();
  return {
    signal: signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]),
    aborted: () => expired || signal?.aborted === true,
    clear: () => {
      clearTimeout(timer);
    },
  };
}

export function result(
  rt: Runtime,
  state: RunState,
  segmentStart: number,
  extra: Partial<Pick<RunResult, 'escalation' | 'escalationError'>> = {},
): RunResult {
  const { usage } = state;
  return {
    status: state.status === 'running' ? 'failed' : state.status,
    runId: state.runId,
    output: state.output,
    steps: state.step,
    usage: {
      tokens: usage.inputTokens + usage.outputTokens,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costUsd: usage.costUsd,
    },
    reason: state.reason,
    actions: state.actions,
    decisions: state.decisions,
    approval: state.pending,
    escalation: extra.escalation,
    escalationError: extra.escalationError,
    durationMs: elapsed(rt, state, segmentStart),
  };
}

export function finish(rt: Runtime, state: RunState, status: 'completed' | 'denied', output: string, segmentStart: number): RunResult {
  state.status = status;
  state.output = output;
  const out = result(rt, state, segmentStart);
  rt.observer.completed(state.runId, status, out.durationMs, state.step, state.usage.costUsd, output);
  return out;
}

async function pause(rt: Runtime, state: RunState, segmentStart: number): Promise<RunResult> {
  state.status = 'paused';
  state.elapsedMs = elapsed(rt, state, segmentStart);
  state.owner = undefined;
  await rt.store.save(state);
  return { ...result(rt, state, rt.clock()), durationMs: state.elapsedMs };
}

function transcript(rt: Runtime, state: RunState): ContextPacket['transcript'] {
  const lines: { role: string; text: string }[] = [];
  for (const message of state.messages) {
    if (message.role === 'system') continue;
    if (typeof message.content === 'string') continue;
    const text = message.content
      .map((part) => {
        if (part.type === 'text') return part.text;
        if (part.type === 'tool-call') return `call ${part.toolName}(${JSON.stringify(part.input)})`;
        if (part.type === 'tool-result') return `result of ${part.toolName}: ${JSON.stringify(part.output).slice(0, 1000)}`;
        return '';
      })
      .join('\n');
    // PII and secrets are replaced whatever the hook actions were: the packet leaves the system.
    lines.push({ role: message.role, text: rt.guard.redact(text) });
  }
  return lines;
}

/** Builds the context packet a human receives. */
export function contextPacket(
  rt: Runtime,
  state: RunState,
  reason: EscalationReason,
  message: string,
  segmentStart: number,
): ContextPacket {
  const budgets = rt.manifest.spec.budgets;
  // The playbooks' triggers decide; the run's error codes and guardrail rules pick among several.
  const playbook =
    rt.routes === undefined
      ? undefined
      : routeEscalation(rt.routes, reason, {
          errorCodes: state.actions.flatMap((action) => (action.errorCode === undefined ? [] : [action.errorCode])),
          ruleIds: state.decisions.flatMap((decision) => decision.ruleIds),
        });
  return {
    v: 1,
    runId: state.runId,
    agent: rt.name,
    tenant: state.tenant,
    user: state.user,
    reason,
    message,
    transcript: rt.manifest.spec.escalation.transcript ? transcript(rt, state) : [],
    actions: state.actions,
    decisions: state.decisions,
    budgets: {
      steps: { used: state.step, limit: budgets.maxSteps },
      tokens: { used: state.usage.inputTokens + state.usage.outputTokens, limit: budgets.maxTokens },
      costUsd: { used: state.usage.costUsd, limit: budgets.maxCostUsd },
      timeMs: { used: elapsed(rt, state, segmentStart), limit: budgets.timeoutMs },
    },
    playbook,
    createdAt: new Date(rt.clock()).toISOString(),
  };
}

export async function escalate(
  rt: Runtime,
  state: RunState,
  reason: EscalationReason,
  segmentStart: number,
  message: string,
): Promise<RunResult> {
  state.status = 'escalated';
  state.reason = reason;
  state.pending = undefined;
  const packet = contextPacket(rt, state, reason, message, segmentStart);
  let escalationError: string | undefined;
  try {
    await rt.escalation.send(packet);
  } catch (error) {
    escalationError = error instanceof Error ? error.message : String(error);
  }
  rt.observer.escalation(state.runId, reason, rt.escalation.channel);
  const out = result(rt, state, segmentStart, { escalation: packet, escalationError });
  rt.observer.escalated(state.runId, out.durationMs, reason);
  return out;
}

function fail(rt: Runtime, state: RunState, error: unknown, segmentStart: number): RunResult {
  state.status = 'failed';
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : 'AGENT_INTERNAL';
  state.reason = undefined;
  const out = { ...result(rt, state, segmentStart), reason: code };
  try {
    rt.observer.failed(state.runId, out.durationMs, code, error instanceof Error ? error.message : String(error));
  } catch {
    // the failure is already being reported through the result
  }
  return out;
}
