// The Playbook schema (the front matter of playbooks/<id>.md). Kept apart from the loader in
// playbook.ts so that kinds.ts can import it without a cycle (kinds → playbook → loader → kinds).
import { z } from 'zod';
import { API_VERSION, DnsLabel, Duration, GroupRef } from './common.js';
import { EscalationReason } from './values.js';

/**
 * The machine actions a playbook mitigation may name. An operator (or the rollout controller) runs
 * them; `charter validate` rejects any other name.
 */
export const PLAYBOOK_ACTIONS = [
  'rollout.abort',
  'rollout.set-weight',
  'tool.disable',
  'model.switch-fallback',
  'agent.kill-switch',
  'approvals.require-all',
] as const;
export const PlaybookActionType = z.enum(PLAYBOOK_ACTIONS);
export type PlaybookActionType = z.infer<typeof PlaybookActionType>;

/** The rollout-analysis thresholds (fields of `spec.rollout.analysis`) a playbook may be triggered by. */
export const ROLLOUT_CHECKS = ['maxErrorRateIncrease', 'maxLatencyIncreasePct', 'maxDisagreementRate'] as const;

/** A tool name, or `$tool` to take it from the alert's `tool` label. */
const ToolArgument = z
  .string()
  .regex(/^\$?[a-z][a-z0-9_-]{0,63}$/, { error: 'must be a tool name such as "lookup_order", or "$tool" to take it from the alert label' });

/** A machine-readable action: `type` plus the arguments that type needs. */
export const PlaybookAction = z
  .strictObject({
    type: PlaybookActionType,
    /** `rollout.set-weight`: the traffic share to set, 0-100. */
    weight: z.number().min(0).max(100).optional(),
    /** `tool.disable`: the tool to disable. */
    tool: ToolArgument.optional(),
  })
  .superRefine((action, ctx) => {
    if (action.type === 'rollout.set-weight' && action.weight === undefined) {
      ctx.addIssue({ code: 'custom', path: ['weight'], message: 'rollout.set-weight needs "weight" (0-100)' });
    }
    if (action.type !== 'rollout.set-weight' && action.weight !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['weight'], message: `"weight" belongs to rollout.set-weight, not ${action.type}: remove it` });
    }
    if (action.type === 'tool.disable' && action.tool === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tool'],
        message: 'tool.disable needs "tool" (a tool name, or "$tool" for the alert\'s tool label)',
      });
    }
    if (action.type !== 'tool.disable' && action.tool !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tool'], message: `"tool" belongs to tool.disable, not ${action.type}: remove it` });
    }
  });
export type PlaybookAction = z.infer<typeof PlaybookAction>;

const Text = z.string().min(3).max(2000);

/**
 * What starts the playbook: alert names, escalation reasons, guardrail rule ids, error codes,
 * rollout-analysis checks. The triggers are the routing table: `playbookRoutes` derives from them
 * which playbook an alert's `runbook_url` opens and which one an escalation's context packet names.
 */
export const PlaybookTriggers = z
  .strictObject({
    /** Alert names as `charter alerts` generates them, e.g. `CharterAgentErrorBudgetBurn`. */
    alerts: z
      .array(z.string().regex(/^[A-Z][A-Za-z0-9]{0,127}$/, { error: 'alert names are UpperCamelCase, e.g. "CharterAgentErrorBudgetBurn"' }))
      .default([]),
    /** Escalation reasons (`ESCALATION_REASONS`): the context packet of a run escalated for one names this playbook. */
    escalations: z.array(EscalationReason).default([]),
    /** Guardrail rule ids (the `rule` label of `charter_guardrail_trips_total`). */
    guardrailRules: z
      .array(z.string().regex(/^[a-z][a-z0-9._:-]{0,127}$/, { error: 'guardrail rule ids are lower-case, e.g. "prompt-injection"' }))
      .default([]),
    /** Error codes from a package's exported code map, e.g. `TOOL_TIMEOUT`. */
    errorCodes: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, { error: 'error codes are UPPER_SNAKE_CASE, e.g. "TOOL_TIMEOUT"' }))
      .default([]),
    /** Rollout-analysis thresholds (`spec.rollout.analysis`) whose breach starts this playbook. */
    rolloutChecks: z.array(z.enum(ROLLOUT_CHECKS)).default([]),
  })
  .superRefine((triggers, ctx) => {
    const named =
      triggers.alerts.length +
      triggers.escalations.length +
      triggers.guardrailRules.length +
      triggers.errorCodes.length +
      triggers.rolloutChecks.length;
    if (named === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'name at least one trigger: an alert, an escalation reason, a guardrail rule, an error code or a rollout check',
      });
    }
  });

/** One diagnosis step: what to look at, the query or command that shows it, and what it decides. */
export const DiagnosisStep = z.strictObject({
  step: Text,
  /** PromQL over the metric names of `@charter/telemetry`. */
  query: z.string().min(3).max(2000).optional(),
  /** A shell command to run. */
  command: z.string().min(2).max(2000).optional(),
  /** The decision this step makes, with its threshold: "above 20 % → go to mitigation 2". */
  decide: Text.optional(),
});

/** One mitigation: the human step and, where one exists, the machine action that does it. */
export const Mitigation = z.strictObject({
  step: Text,
  /** When to take this step (a threshold or the outcome of a diagnosis step). */
  when: Text.optional(),
  action: PlaybookAction.optional(),
});

/** An exit criterion: the incident is over when every check holds. */
export const VerificationCheck = z.strictObject({
  check: Text,
  query: z.string().min(3).max(2000).optional(),
  /** How long the check must hold before closing, e.g. `30m`. */
  holdFor: Duration.optional(),
});

export const Communication = z.strictObject({
  /** Where the incident is run, e.g. `#agent-incidents`. */
  channel: z.string().min(1).max(200),
  /** Who is told, e.g. the owning team, support leads, the security team. */
  notify: z.array(z.string().min(1).max(200)).min(1),
  /** How often stakeholders get an update while the incident is open. */
  updateEvery: Duration,
  /** The first message, ready to paste. */
  template: z.string().min(10).max(4000).optional(),
});

/** When a postmortem is required: always, or once any threshold is crossed. */
export const PostmortemThreshold = z
  .strictObject({
    always: z.boolean().default(false),
    /** Incident longer than this many minutes. */
    durationMinutes: z.int().positive().optional(),
    /** More than this share (percent) of the 30-day error budget spent. */
    budgetSpentPct: z.number().gt(0).max(100).optional(),
    /** More than this many customers (conversations) affected. */
    customersAffected: z.int().positive().optional(),
  })
  .superRefine((postmortem, ctx) => {
    if (
      !postmortem.always &&
      postmortem.durationMinutes === undefined &&
      postmortem.budgetSpentPct === undefined &&
      postmortem.customersAffected === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'set "always: true" or at least one threshold (durationMinutes, budgetSpentPct, customersAffected)',
      });
    }
  });

export const PlaybookSpec = z.strictObject({
  /** `sev1` (customer harm now) to `sev4` (no customer impact). */
  severity: z.enum(['sev1', 'sev2', 'sev3', 'sev4']),
  triggers: PlaybookTriggers,
  diagnosis: z.array(DiagnosisStep).min(1),
  mitigations: z.array(Mitigation).min(1),
  verification: z.array(VerificationCheck).min(1),
  communication: Communication,
  postmortem: PostmortemThreshold,
});

/** Playbook metadata: `name` is the playbook id (and the file name); `title` is required. */
export const PlaybookMetadata = z.strictObject({
  name: DnsLabel,
  title: z.string().min(1).max(120),
  description: z.string().min(1).max(2000).optional(),
  owner: GroupRef,
  tags: z
    .array(z.string().regex(/^[a-z0-9][-a-z0-9]{0,62}$/, { error: 'tags are lower-case words joined by "-"' }))
    .max(20)
    .default([]),
});

/** `kind: Playbook`: the front matter of `playbooks/<id>.md`. */
export const Playbook = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Playbook'),
  metadata: PlaybookMetadata,
  spec: PlaybookSpec,
});
export type Playbook = z.infer<typeof Playbook>;
export type PlaybookInput = z.input<typeof Playbook>;
