// Every scenario of scenarios/ must pass; every attack scenario runs twice: with the guardrails (the
// attacker's ticket never opens) and without them (it does: the guardrails, not the model, stop it).
import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario } from './scenarios.js';

const scenarios = loadScenarios();

describe('the scenario suite', () => {
  it('covers happy paths, attacks, faults and an approval', () => {
    const categories = new Set(scenarios.map((scenario) => scenario.category));
    for (const category of ['happy', 'direct-injection', 'indirect-injection', 'faults', 'approval'])
      expect(categories).toContain(category);
  });

  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const outcome = await runScenario(scenario);
    expect(outcome.failures).toEqual([]);
    if (scenario.attack !== undefined) {
      const ungoverned = await runScenario(scenario, { governance: 'off' });
      expect(ungoverned.attackSucceeded, 'without guardrails the attack must reach its side effect').toBe(true);
    }
  });
});
