import { FlagdCore } from '@openfeature/flagd-core';
import { describe, expect, it } from 'vitest';
import { exportFlagd, flagdFlagOf } from './flagd.js';
import { planFromManifest } from './plan.js';
import { flagKeyOf, route, splitRouting, type Routing } from './router.js';
import { initialState, transition, type RolloutState } from './state.js';
import { referenceManifest } from './__fixtures__/reference.js';

const plan = planFromManifest(referenceManifest());
const FLAG = flagKeyOf(plan.agent);

function evaluateAll(core: FlagdCore, count: number): string[] {
  const out: string[] = [];
  for (let index = 0; index < count; index++)
    out.push(core.resolveStringEvaluation(FLAG, 'unset', { targetingKey: `user-${index}` }).value);
  return out;
}

describe('flagd export', () => {
  it.each([0.01, 1, 5, 10, 25, 33.33, 50, 99.99])('at %s %% flagd-core assigns 100,000 keys exactly as the router', (weight) => {
    const routing = splitRouting(weight);
    const core = new FlagdCore();
    core.setConfigurations(JSON.stringify({ flags: { [FLAG]: flagdFlagOf(routing) } }));
    const flagd = evaluateAll(core, 100_000);
    let mismatches = 0;
    let candidates = 0;
    flagd.forEach((variant, index) => {
      if (variant !== route(routing, FLAG, `user-${index}`)) mismatches++;
      if (variant === 'candidate') candidates++;
    });
    expect(mismatches).toBe(0);
    expect(Math.abs(candidates / 1000 - weight)).toBeLessThanOrEqual(1);
  });

  it('exports each stage of the reference plan and flagd answers as the router; no targeting key → control in both', () => {
    let state: RolloutState = initialState(plan, plan.agent, 0);
    const seen: string[] = [];
    for (const event of ['start', 'promote', 'promote', 'abort'] as const) {
      const next = transition(plan, state, { type: event }, 1, event);
      if (!next.ok) throw new Error(next.reason);
      state = next.next;
      const document = exportFlagd(plan, state);
      const core = new FlagdCore();
      core.setConfigurations(JSON.stringify(document));
      const routing: Routing = state.status === 'shadow' ? { mode: 'shadow', candidateBuckets: 0 } : splitRouting(state.weight);
      const flagd = evaluateAll(core, 2_000);
      flagd.forEach((variant, index) => {
        expect(variant).toBe(route(routing, FLAG, `user-${index}`));
      });
      expect(core.resolveStringEvaluation(FLAG, 'unset', {}).value).toBe(route(routing, FLAG, undefined));
      seen.push(`${state.status}:${document.flags[FLAG]?.defaultVariant ?? '?'}:${document.flags[FLAG]?.metadata?.weight ?? '?'}`);
    }
    expect(seen).toEqual(['shadow:shadow:0', 'canary:control:5', 'ramp:control:10', 'aborted:control:0']);
  });
});
