import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceManifest } from './__fixtures__/reference.js';
import { planFromManifest } from './plan.js';
import { ALL_CONTROL } from './router.js';
import {
  initialState,
  isActive,
  isTerminal,
  ROLLOUT_EVENTS,
  ROLLOUT_STATUSES,
  routingOf,
  transition,
  type RolloutEventType,
  type RolloutState,
  type RolloutStatus,
} from './state.js';

const plan = planFromManifest(referenceManifest());

/** The legal transitions, written out independently of the implementation. */
function legalTargets(state: RolloutState, event: RolloutEventType, weight: number): RolloutStatus[] {
  const status = state.status;
  if (status === 'complete' || status === 'aborted' || status === 'rolled-back') return [];
  const planned = plan.stages[state.stage]?.weight ?? 0;
  switch (event) {
    case 'start':
      return status === 'pending' ? [plan.stages[0]?.kind === 'shadow' ? 'shadow' : 'canary'] : [];
    case 'promote':
      if (!isActive(status)) return [];
      if (state.stage + 1 >= plan.stages.length) return ['complete'];
      return [plan.stages[state.stage + 1]?.kind === 'canary' ? 'canary' : 'ramp'];
    case 'pause':
      return isActive(status) ? ['paused'] : [];
    case 'resume':
      return status === 'paused' ? [state.pausedFrom ?? 'ramp'] : [];
    case 'set-weight':
      return status !== 'pending' && weight >= 0 && weight <= planned ? ['paused'] : [];
    case 'abort':
      return ['aborted'];
    case 'rollback':
      return status === 'pending' ? [] : ['rolled-back'];
  }
}

/** Any state the machine can reach: a random walk of legal events from pending. */
const reachable = fc
  .array(fc.tuple(fc.constantFrom(...ROLLOUT_EVENTS), fc.integer({ min: 0, max: 100 })), { maxLength: 14 })
  .map((walk) => {
    let state = initialState(plan, 'p', 0);
    let at = 0;
    for (const [type, weight] of walk) {
      const next = transition(plan, state, { type, weight }, ++at, type);
      if (next.ok) state = next.next;
    }
    return state;
  });

describe('state machine', () => {
  it('from any reachable state and any event: allowed exactly when legal, to the legal state, with consistent fields', () => {
    fc.assert(
      fc.property(reachable, fc.constantFrom(...ROLLOUT_EVENTS), fc.integer({ min: -5, max: 105 }), (state, type, weight) => {
        const result = transition(plan, state, { type, weight }, 1e6, 'why');
        const legal = legalTargets(state, type, weight);
        if (!result.ok) {
          expect(legal).toEqual([]);
          expect(result.reason).toMatch(new RegExp(`^${type} is not allowed from `));
          return;
        }
        const next = result.next;
        expect(legal).toContain(next.status);
        expect(next.seq).toBe(state.seq + 1);
        expect(next.version).toBe(state.version);
        expect(ROLLOUT_STATUSES).toContain(next.status);
        // Traffic never exceeds what the plan allows for the stage, and the kill switches send none.
        if (next.status !== 'complete') expect(next.weight).toBeLessThanOrEqual(plan.stages[next.stage]?.weight ?? 0);
        if (next.status === 'aborted' || next.status === 'rolled-back') expect(routingOf(next)).toEqual(ALL_CONTROL);
        if (next.status === 'paused') expect(next.pausedFrom).toBeDefined();
        else expect(next.pausedFrom).toBeUndefined();
        // Only promote moves to another stage, one at a time; it resets the stage's statistics.
        if (type === 'promote') expect(next.stage === state.stage + 1 || next.status === 'complete').toBe(true);
        else if (type !== 'start') expect(next.stage).toBe(state.stage);
      }),
      { numRuns: 5_000 },
    );
  });

  it('terminal states accept no event', () => {
    fc.assert(
      fc.property(reachable, (state) => {
        if (!isTerminal(state.status)) return;
        for (const type of ROLLOUT_EVENTS) expect(transition(plan, state, { type, weight: 0 }, 1, 'x').ok).toBe(false);
      }),
    );
  });

  it('walks the reference plan: shadow → canary 5 → ramp 10, 25, 50, 100 → complete', () => {
    let state = initialState(plan, 'p', 0);
    const path: string[] = [];
    for (const type of ['start', 'promote', 'promote', 'promote', 'promote', 'promote', 'promote'] as const) {
      const next = transition(plan, state, { type }, 1, type);
      if (!next.ok) throw new Error(next.reason);
      state = next.next;
      path.push(`${state.status}:${state.weight}`);
    }
    expect(path).toEqual(['shadow:0', 'canary:5', 'ramp:10', 'ramp:25', 'ramp:50', 'ramp:100', 'complete:100']);
  });

  it('set-weight only lowers traffic and holds the stage; resume restores the planned weight', () => {
    let state = initialState(plan, 'p', 0);
    for (const type of ['start', 'promote', 'promote'] as const) {
      const next = transition(plan, state, { type }, 1, type);
      if (next.ok) state = next.next;
    }
    expect(transition(plan, state, { type: 'set-weight', weight: 25 }, 2, 'x')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/only lowers traffic/) as unknown,
    });
    const lowered = transition(plan, state, { type: 'set-weight', weight: 2 }, 2, 'x');
    expect(lowered).toMatchObject({ ok: true, next: { status: 'paused', weight: 2, pausedFrom: 'ramp' } });
    if (!lowered.ok) return;
    expect(transition(plan, lowered.next, { type: 'resume' }, 3, 'x')).toMatchObject({ ok: true, next: { status: 'ramp', weight: 10 } });
  });
});
