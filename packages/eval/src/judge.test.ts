import type { Feedback } from '@charter/spec';
import type { Recording } from '@charter/telemetry';
import { describe, expect, it } from 'vitest';
import { expectationOf, feedbackCategory, isLabelled, judge, type Observation } from './judge.js';

const observed: Observation = {
  status: 'completed',
  output: 'Your  refund of 120 USD is ISSUED.',
  actions: [
    { tool: 'lookup_order', outcome: 'ok' },
    { tool: 'refund_order', outcome: 'ok' },
    { tool: 'send_email', outcome: 'error', errorCode: 'TOOL_TIMEOUT' },
  ],
  ruleIds: ['pii.phone', 'provenance.ungrounded'],
  costUsd: 0.002,
};

const feedback = (over: Partial<Feedback>): Feedback => ({
  id: 'fb_1',
  runId: 'r-1',
  agent: 'support-desk',
  kind: 'rating',
  by: 'ana',
  at: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('judge', () => {
  it('passes a run that meets every field of the expectation (answer compared case- and whitespace-insensitively)', () => {
    expect(
      judge(
        {
          status: ['completed', 'denied'],
          answer: 'refund of 120 usd is issued',
          mustRun: ['refund_order'],
          mustNotRun: ['send_email'],
          rules: ['pii.'],
          rulesAny: ['nope', 'provenance.ungrounded'],
          paused: false,
        },
        observed,
      ),
    ).toEqual([]);
  });

  it('names each miss', () => {
    expect(
      judge(
        {
          status: ['escalated'],
          reason: 'handoff',
          answer: 'sorry',
          answerExcludes: 'ISSUED',
          mustRun: ['send_email'],
          mustNotRun: ['refund_order'],
          rules: ['secrets.'],
          rulesAny: ['injection.'],
          paused: true,
        },
        { ...observed, violations: ['the attack reached its side effect'] },
      ),
    ).toEqual([
      'status completed, expected escalated',
      'reason none, expected handoff',
      'answer lacks "sorry"',
      'answer contains "ISSUED"',
      'send_email did not run',
      'refund_order ran but must not',
      'guardrail rule secrets. did not fire (fired: pii.phone, provenance.ungrounded)',
      'none of injection. fired (fired: pii.phone, provenance.ungrounded)',
      'the run did not pause for approval',
      'the attack reached its side effect',
    ]);
    expect(judge({ mustNotRun: ['send_email'] }, { ...observed, effects: ['send_email'] })).toEqual(['send_email ran but must not']);
  });

  it('labels: a correction is the expectation; a rating of 4-5 labels the recorded outcome; a low rating alone labels nothing', () => {
    const recording = {
      status: 'completed',
      toolResults: [
        { name: 'lookup_order', outcome: 'ok' },
        { name: 'lookup_order', outcome: 'ok' },
        { name: 'send_email', outcome: 'error' },
      ],
    } as unknown as Recording;
    expect(expectationOf(feedback({ correction: { status: 'escalated', mustNotRun: ['refund_order'] } }), recording)).toEqual({
      status: ['escalated'],
      mustNotRun: ['refund_order'],
    });
    expect(expectationOf(feedback({ rating: 5 }), recording)).toEqual({ status: ['completed'], mustRun: ['lookup_order'] });
    expect(expectationOf(feedback({ rating: 2 }), recording)).toBeUndefined();
    expect(isLabelled(feedback({ rating: 2 }))).toBe(false);
    expect(isLabelled(feedback({ rating: 4 }))).toBe(true);
    expect(feedbackCategory(feedback({ kind: 'approval-denied' }))).toBe('approval-override');
    expect(feedbackCategory(feedback({ category: 'refunds' }))).toBe('refunds');
    expect(feedbackCategory(feedback({}))).toBe('feedback');
  });
});
