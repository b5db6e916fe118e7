// Feedback on a run: what a person said about it (a rating, the expected outcome, why), and the
// decisions of a human that overrode the agent (an approval denied, an escalation resolved
// differently). The state stores keep it with the run (`@charter/state` recordFeedback), the service
// takes it over HTTP (`POST /v1/runs/{id}/feedback`), and `charter eval` turns the corrections into
// its labelled set. One schema, read by all three.
import { z } from 'zod';
import { FinalRunStatus } from './values.js';

/** Where a feedback came from: a person rating a run, or a human decision that overrode the agent. */
export const FEEDBACK_KINDS = ['rating', 'approval-denied', 'escalation-override'] as const;
export const FeedbackKind = z.enum(FEEDBACK_KINDS);
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

const Id = z.string().regex(/^[\w.:-]{1,200}$/, { error: 'an id of 1-200 letters, digits, "_", ".", ":" or "-"' });
const ToolName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, { error: 'a tool name such as "refund_order"' });

/**
 * The labelled expectation: what the run should have done. Every field is optional, at least one is
 * set; `charter eval` checks each field that is set against a replay of the run.
 */
export const FeedbackCorrection = z
  .strictObject({
    /** The outcome the run should have had. */
    status: FinalRunStatus.optional(),
    /** The escalation reason (or error code) it should have ended with. */
    reason: z.string().min(1).max(64).optional(),
    /** Text a correct answer contains (compared case- and whitespace-insensitively). */
    answer: z.string().min(1).max(20_000).optional(),
    /** Tools that should have run (outcome ok). */
    mustRun: z.array(ToolName).max(32).optional(),
    /** Tools that should not have run. */
    mustNotRun: z.array(ToolName).max(32).optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), {
    error: 'a correction names at least one of status, reason, answer, mustRun or mustNotRun',
  });
export type FeedbackCorrection = z.infer<typeof FeedbackCorrection>;

/** What a caller submits about a run (`recordFeedback`, `POST /v1/runs/{id}/feedback`). */
export const FeedbackInput = z
  .strictObject({
    runId: Id,
    /** `metadata.name` of the agent that ran. */
    agent: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: 'the agent name (metadata.name)' }),
    tenant: Id.optional(),
    kind: FeedbackKind.default('rating'),
    /** Satisfaction, 1 (bad) to 5 (good). */
    rating: z.int().min(1).max(5).optional(),
    correction: FeedbackCorrection.optional(),
    /** Why (free text; shown to whoever reads the failure patterns). */
    reason: z.string().max(2000).optional(),
    /** Scenario category the run belongs to (default `feedback`): `charter eval` reports accuracy per category. */
    category: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/)
      .optional(),
    /** Who gave it (a user id, an approver, `tenant:<id>`). */
    by: z.string().min(1).max(200),
  })
  .refine((f) => f.rating !== undefined || f.correction !== undefined, {
    error: 'feedback carries a rating (1-5), a correction, or both',
  });
export type FeedbackInput = z.input<typeof FeedbackInput>;

/** A stored feedback: the input plus its id and time. */
export const Feedback = z.strictObject({
  id: z.string().min(1).max(200),
  runId: Id,
  agent: z.string().min(1).max(63),
  tenant: Id.optional(),
  kind: FeedbackKind,
  rating: z.int().min(1).max(5).optional(),
  correction: FeedbackCorrection.optional(),
  reason: z.string().max(2000).optional(),
  category: z.string().max(64).optional(),
  by: z.string().min(1).max(200),
  /** ISO 8601, UTC. */
  at: z.iso.datetime(),
});
export type Feedback = z.infer<typeof Feedback>;
