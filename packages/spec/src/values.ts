// The small value sets every package shares: each is stated once here, as an `as const` list (for
// loops and messages), a zod enum (for schemas) and a type. Nothing else may restate them. This module
// imports zod alone, so a package that needs only these values can import `@charter/spec/values`
// without loading the manifest schemas.
import { z } from 'zod';

/** What a tool call may change in the world: a manifest grant, a tool definition and telemetry name the same value. */
export const SIDE_EFFECTS = ['none', 'reversible', 'irreversible'] as const;
export const SideEffects = z.enum(SIDE_EFFECTS);
export type SideEffects = (typeof SIDE_EFFECTS)[number];

/** Where a guardrail check runs: user → agent, agent → user, before a tool call, on what a tool returned. */
export const GUARDRAIL_HOOKS = ['input', 'output', 'tool-call', 'tool-result'] as const;
export const GuardrailHook = z.enum(GUARDRAIL_HOOKS);
export type GuardrailHook = (typeof GUARDRAIL_HOOKS)[number];

/** What a guardrail (policy) decides, least to most severe; the most severe action of all findings wins. */
export const GUARDRAIL_ACTIONS = ['allow', 'redact', 'needs-approval', 'deny'] as const;
export const GuardrailAction = z.enum(GUARDRAIL_ACTIONS);
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];

/** How a run ended (`completed`, `escalated`, `denied`, `failed`), or `paused` while it waits for an approval. */
export const RUN_STATUSES = ['completed', 'escalated', 'denied', 'failed', 'paused'] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses that end a run (every run status but `paused`). */
export const FINAL_RUN_STATUSES = ['completed', 'escalated', 'denied', 'failed'] as const satisfies readonly RunStatus[];
export const FinalRunStatus = z.enum(FINAL_RUN_STATUSES);
export type FinalRunStatus = (typeof FINAL_RUN_STATUSES)[number];

/**
 * Why a run was handed to a human: a low-cardinality code (the `reason` label of the escalation
 * metric, the `reason` of a context packet, a playbook's `triggers.escalations`).
 */
export const ESCALATION_REASONS = [
  /** A human denied an approval. */
  'approval_denied',
  /** The step, token, cost or wall-time budget of `spec.budgets` ran out. */
  'budget_steps',
  'budget_tokens',
  'budget_cost',
  'budget_time',
  /** The model repeated the same tool call with the same arguments. */
  'loop_detected',
  /** The model's output stayed unusable after the repair attempt. */
  'malformed_output',
  /** Tool calls kept failing after their retries. */
  'tool_failure',
  /** Guardrails refused the model's tool calls too often. */
  'guardrail_denied',
  /** The model call failed (and the fallback model, if any, failed too or could not be used). */
  'model_error',
  /** The model handed the conversation to a human (the manifest's handoff tool). */
  'handoff',
  /** An input or answer guardrail decided `needs-approval`: a human answers. */
  'review_required',
  /** An operator's kill switch (`charter control kill`) stopped the run before its next step. */
  'kill_switch',
] as const;
export const EscalationReason = z.enum(ESCALATION_REASONS);
export type EscalationReason = (typeof ESCALATION_REASONS)[number];
