// Comparing what a run did with what it should have done. A scenario states its expectation; a
// feedback's correction is one; a positive rating without a correction labels the recorded outcome
// itself as right.
import type { EvalExpectation as Expectation, EvalObservation as Observation, Feedback } from '@charter/spec';
import type { Recording } from '@charter/telemetry';

/** The eval subject's contract, declared in @charter/spec. */
export type { Expectation, Observation };

const normalise = (text: string): string => text.replace(/\s+/g, ' ').trim().toLowerCase();
const ruleMatches = (rule: string, id: string): boolean => id === rule || (rule.endsWith('.') && id.startsWith(rule));

/** Every way `observed` misses `expected`, in words; empty when it meets it. */
export function judge(expected: Expectation, observed: Observation): string[] {
  const failures: string[] = [];
  if (expected.status !== undefined && !expected.status.includes(observed.status))
    failures.push(
      `status ${observed.status}${observed.reason === undefined ? '' : ` (${observed.reason})`}, expected ${expected.status.join(' or ')}`,
    );
  if (expected.reason !== undefined && observed.reason !== expected.reason)
    failures.push(`reason ${observed.reason ?? 'none'}, expected ${expected.reason}`);
  const output = normalise(observed.output ?? '');
  if (expected.answer !== undefined && !output.includes(normalise(expected.answer)))
    failures.push(`answer lacks "${expected.answer.slice(0, 120)}"`);
  if (expected.answerExcludes !== undefined && output.includes(normalise(expected.answerExcludes)))
    failures.push(`answer contains "${expected.answerExcludes.slice(0, 120)}"`);
  for (const tool of expected.mustRun ?? [])
    if (!observed.actions.some((a) => a.tool === tool && a.outcome === 'ok')) failures.push(`${tool} did not run`);
  for (const tool of expected.mustNotRun ?? [])
    if (observed.actions.some((a) => a.tool === tool && a.outcome === 'ok') || (observed.effects ?? []).includes(tool))
      failures.push(`${tool} ran but must not`);
  for (const rule of expected.rules ?? [])
    if (!observed.ruleIds.some((id) => ruleMatches(rule, id)))
      failures.push(`guardrail rule ${rule} did not fire (fired: ${observed.ruleIds.join(', ') || 'none'})`);
  const any = expected.rulesAny ?? [];
  if (any.length > 0 && !any.some((rule) => observed.ruleIds.some((id) => ruleMatches(rule, id))))
    failures.push(`none of ${any.join(', ')} fired (fired: ${observed.ruleIds.join(', ') || 'none'})`);
  if (expected.paused === true && observed.paused !== true) failures.push('the run did not pause for approval');
  if (expected.paused === false && observed.paused === true) failures.push('the run paused for approval unexpectedly');
  failures.push(...(observed.violations ?? []));
  return failures;
}

/** The category a feedback's run is reported under: its own, else by kind. */
export function feedbackCategory(feedback: Feedback): string {
  if (feedback.category !== undefined) return feedback.category;
  if (feedback.kind === 'approval-denied') return 'approval-override';
  if (feedback.kind === 'escalation-override') return 'escalation-override';
  return 'feedback';
}

/**
 * The labelled expectation of a feedback: its correction; else, for a rating of 4 or 5, the recorded
 * outcome (status and the tools that ran) — the person said the run was right. Undefined for a low
 * rating without a correction: it says the run was wrong, not what right is.
 */
export function expectationOf(feedback: Feedback, recording: Recording | undefined): Expectation | undefined {
  const correction = feedback.correction;
  if (correction !== undefined)
    return {
      ...(correction.status === undefined ? {} : { status: [correction.status] }),
      ...(correction.reason === undefined ? {} : { reason: correction.reason }),
      ...(correction.answer === undefined ? {} : { answer: correction.answer }),
      ...(correction.mustRun === undefined ? {} : { mustRun: correction.mustRun }),
      ...(correction.mustNotRun === undefined ? {} : { mustNotRun: correction.mustNotRun }),
    };
  if (feedback.rating !== undefined && feedback.rating >= 4) {
    if (recording === undefined) return { status: [] };
    const ran = [...new Set(recording.toolResults.filter((t) => t.outcome === 'ok').map((t) => t.name))];
    return { status: [recording.status], mustRun: ran };
  }
  return undefined;
}

/** True when a feedback labels its run (a correction, or a rating of 4 or 5). */
export function isLabelled(feedback: Feedback): boolean {
  return feedback.correction !== undefined || (feedback.rating !== undefined && feedback.rating >= 4);
}
