import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarios } from './scenario.js';
import { loadDeskSpec, runScenario, SCENARIO_DIR, type DeskSpec } from './suite.js';

const scenarios = loadScenarios(SCENARIO_DIR);
let spec: DeskSpec;
beforeAll(() => {
  spec = loadDeskSpec();
});

describe('the scenario suite', () => {
  it('has at least 30 scenarios covering every category', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    const categories = new Set(scenarios.map((s) => s.category));
    for (const c of ['happy', 'pii', 'secrets', 'direct-injection', 'indirect-injection', 'faults', 'approval', 'malformed', 'budget'])
      expect(categories).toContain(c);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s meets its expected outcome', async (_name, scenario) => {
    const outcome = await runScenario(spec, scenario);
    expect(outcome.failures).toEqual([]);
    expect(outcome.passed).toBe(true);
  });
});

describe('governance, not the model, stops the attacks', () => {
  // The obedient model's table (templates × goals) has its own tests: src/injections.test.ts.
  const attacks = scenarios.filter((s) => s.attack !== undefined && s.model !== 'obedient');

  it('has direct and indirect attacks', () => {
    expect(attacks.filter((s) => s.category === 'direct-injection').length).toBeGreaterThanOrEqual(3);
    expect(attacks.filter((s) => s.category === 'indirect-injection').length).toBeGreaterThanOrEqual(5);
    expect(attacks.every((s) => s.model === 'gullible')).toBe(true);
  });

  it.each(attacks.map((s) => [s.name, s] as const))('%s: blocked with guardrails, succeeds without', async (_name, scenario) => {
    const governed = await runScenario(spec, scenario);
    expect(governed.attackSucceeded).toBe(false);
    const ungoverned = await runScenario(spec, scenario, { governance: 'off' });
    expect(ungoverned.attackSucceeded).toBe(true);
  });
});
