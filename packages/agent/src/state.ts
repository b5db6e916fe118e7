import type { LanguageModelV3Message } from '@ai-sdk/provider';
import { type EscalationReason, type GuardrailAction, type GuardrailHook, RUN_STATUSES, type RunStatus } from '@charter/spec';
import { z } from 'zod';
import { AgentError, AgentErrorCode } from './errors.js';
import type { Ungrounded } from './provenance.js';
import type { ContextFact } from './types.js';

/** Version of the checkpoint format; bump on a breaking change. */
export const STATE_VERSION = 1;

// How a run ended (or `paused`) and why a run was handed to a human: shared values of @charter/spec.
export type { EscalationReason, RunStatus };

/** A tool call the model asked for, validated against the tool's input contract. */
export interface PlannedCall {
  readonly callId: string;
  readonly tool: string;
  readonly args: unknown;
}

/** What happened to one tool call. */
export interface ActionRecord {
  readonly step: number;
  readonly callId: string;
  readonly tool: string;
  /** ok: ran; error: failed (errorCode); refused: a guardrail denied it; approval-denied: a human did. */
  readonly outcome: 'ok' | 'error' | 'refused' | 'approval-denied';
  readonly errorCode?: string;
  readonly ruleIds?: readonly string[];
  /** The value came from the idempotency ledger: the side effect did not run again. */
  readonly replayed?: boolean;
}

/** One guardrail decision other than a plain allow, with the rules behind it. */
export interface DecisionRecord {
  readonly step: number;
  readonly hook: GuardrailHook;
  readonly action: GuardrailAction;
  readonly ruleIds: readonly string[];
  readonly callId?: string;
  /** False when the policy runs in monitor mode (recorded, not enforced). */
  readonly enforced: boolean;
  /** Why the call was not grounded in trusted context (rule `provenance.ungrounded`), naming the untrusted source. */
  readonly provenance?: readonly Ungrounded[];
}

/** The approval a paused run waits for. */
export interface PendingApproval {
  readonly approvalId: string;
  readonly callId: string;
  readonly tool: string;
  readonly args: unknown;
  /** Why: the manifest policy (`when amount > 100`) or the guardrail rule ids. */
  readonly reason: string;
  readonly ruleIds: readonly string[];
  readonly requestedAt: number;
  /** Set when the call is not grounded in trusted context: each reason names the untrusted content. */
  readonly provenance?: readonly Ungrounded[];
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/**
 * Everything a run needs to continue in another process: plain JSON (`JSON.parse(JSON.stringify(s))`
 * gives an equal state), so any store can checkpoint it.
 */
export interface RunState {
  v: typeof STATE_VERSION;
  runId: string;
  agent: string;
  tenant: string | undefined;
  user: string | undefined;
  /** Facts guardrail argument rules read (e.g. `customerEmail`). */
  context: Record<string, ContextFact>;
  status: RunStatus | 'running';
  /** The model conversation (AI SDK prompt format), already redacted and marked. */
  messages: LanguageModelV3Message[];
  /** Model calls made so far. */
  step: number;
  usage: Usage;
  startedAt: number;
  /** Wall time spent in earlier segments (before a pause). */
  elapsedMs: number;
  /** Repair attempts since the last usable model output. */
  repairs: number;
  actions: ActionRecord[];
  decisions: DecisionRecord[];
  /** Tool-call signatures seen (name + canonical args) and how often: loop detection. */
  signatures: Record<string, number>;
  /** Calls of the current model turn not yet executed (the first may be the pending one). */
  queue: PlannedCall[];
  /** Tool results of the current turn gathered before a pause. */
  turnResults: LanguageModelV3Message[];
  pending: PendingApproval | undefined;
  /** The approval granted for a call id (set by `resume`). */
  approved: Record<string, string>;
  output: string | undefined;
  reason: EscalationReason | undefined;
  /** The process that holds the run while it is `running` (lets a new process take over a dead one). */
  owner: number | undefined;
}

// The checkpoint schema is built by the first `parseState`, not when @charter/agent is imported.
function buildStateSchema() {
  const Json = z.json();
  return z.looseObject({
    v: z.literal(STATE_VERSION),
    runId: z.string().min(1).max(200),
    agent: z.string().min(1),
    status: z.enum([...RUN_STATUSES, 'running']),
    messages: z.array(z.looseObject({ role: z.enum(['system', 'user', 'assistant', 'tool']) })),
    step: z.int().nonnegative(),
    usage: z.strictObject({
      inputTokens: z.number().nonnegative(),
      outputTokens: z.number().nonnegative(),
      costUsd: z.number().nonnegative(),
    }),
    startedAt: z.number(),
    elapsedMs: z.number().nonnegative(),
    repairs: z.int().nonnegative(),
    actions: z.array(z.looseObject({ callId: z.string(), tool: z.string(), outcome: z.string() })),
    decisions: z.array(z.looseObject({ hook: z.string(), action: z.string() })),
    signatures: z.record(z.string(), z.number()),
    queue: z.array(z.looseObject({ callId: z.string(), tool: z.string(), args: Json })),
    turnResults: z.array(z.looseObject({ role: z.string() })),
    approved: z.record(z.string(), z.string()),
    context: z.record(z.string().max(64), z.union([z.string().max(4096), z.array(z.string().max(256)).max(1000)])),
  });
}
let stateSchema: ReturnType<typeof buildStateSchema> | undefined;

/** Serialises a run state for a store. */
export function serializeState(state: RunState): string {
  return JSON.stringify(state);
}

/** Parses and checks a checkpoint; throws `AGENT_BAD_STATE` naming the first problem. */
export function parseState(text: string, where: string): RunState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AgentError(AgentErrorCode.BadState, `checkpoint ${where} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = (stateSchema ??= buildStateSchema()).safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AgentError(
      AgentErrorCode.BadState,
      `checkpoint ${where} is not a run state (${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}); it may be from another version`,
    );
  }
  // JSON drops `undefined`: restore the optional fields as explicit undefined.
  const state = raw as RunState;
  state.tenant ??= undefined;
  state.user ??= undefined;
  state.pending ??= undefined;
  state.output ??= undefined;
  state.reason ??= undefined;
  state.owner ??= undefined;
  return state;
}
