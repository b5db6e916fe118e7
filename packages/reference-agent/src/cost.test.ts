// The cost controls on the scenario suite: with every control on, every scenario still passes and
// every request ends as it does with the controls off — at a lower cost per request.
import { beforeAll, describe, expect, it } from 'vitest';
import { COST_MODES, costSpecFor, costTraffic, type CostTraffic, DESK_COST, outcomeOf } from './cost.js';
import { loadScenarios } from './scenario.js';
import { loadDeskSpec, SCENARIO_DIR } from './suite.js';

const scenarios = loadScenarios(SCENARIO_DIR);
const REPEATS = 2;
let off: CostTraffic;
let on: CostTraffic;

beforeAll(async () => {
  const spec = loadDeskSpec();
  off = await costTraffic(spec, scenarios, 'off', REPEATS);
  on = await costTraffic(spec, scenarios, 'all', REPEATS);
}, 300_000);

describe('cost controls on the scenario suite', () => {
  it('the manifest declares cache, cascade and early exits; the bench adds batching', () => {
    const declared = loadDeskSpec().manifest.spec.cost;
    expect(declared?.cache?.enabled).toBe(true);
    expect(declared?.cascade?.threshold).toBe(0.8);
    expect(declared?.earlyExit?.repeatedCall).toBe(2);
    expect(declared?.batch).toBeUndefined();
    expect(Object.keys(costSpecFor('all', { ...DESK_COST, ...declared })).sort()).toEqual(['batch', 'cache', 'cascade', 'earlyExit']);
    expect(costSpecFor('off')).toEqual({});
    expect(COST_MODES).toContain('all');
  });

  it('every scenario passes with all controls on, and every outcome equals the controls-off run', () => {
    expect(on.requests).toBe(scenarios.length * REPEATS);
    const failed = on.outcomes.flat().filter((o) => !o.passed);
    expect(failed.map((o) => `${o.scenario.name}: ${o.failures.join('; ')}`)).toEqual([]);
    const differ: string[] = [];
    on.outcomes.forEach((burst, i) => {
      burst.forEach((outcome, j) => {
        const reference = off.outcomes[i]?.[j];
        if (reference === undefined || outcomeOf(reference) !== outcomeOf(outcome)) differ.push(outcome.scenario.name);
      });
    });
    expect(differ).toEqual([]);
  });

  it('costs less per request, with repeated questions answered from the cache', () => {
    expect(off.costPerRequestUsd).toBeGreaterThan(0);
    expect(on.costPerRequestUsd).toBeLessThan(off.costPerRequestUsd / 2);
    expect(on.cache.hits).toBeGreaterThan(0);
    expect(on.cache.savedUsd).toBeGreaterThan(0);
    expect(off.cache.hits).toBe(0);
  });
});
