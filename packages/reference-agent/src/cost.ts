// The cost controls on the reference agent's scenario suite: priced offline models, the controls of
// spec.cost switched one at a time, and traffic that repeats the suite (support desks get the same
// questions again). `bench/cost.bench.ts` prints the figures; `cost.test.ts` asserts the outcomes.
import { createHash } from 'node:crypto';
import { DecisionCache, withCapabilities } from '@charter/agent';
import { gullible, obedient, OFFLINE_PRICING, scripted, understudy } from '@charter/agent/models';
import type { CostSpec } from '@charter/spec';
import type { Scenario } from './scenario.js';
import { type DeskModel, type DeskSpec, runScenario, type ScenarioOutcome } from './suite.js';

export const COST_MODES = ['off', 'cache', 'cascade', 'early-exit', 'batch', 'all'] as const;
export type CostMode = (typeof COST_MODES)[number];

/** The read-only tools the cascade's small model handles itself (it hands side effects to the large model). */
export const SMALL_MODEL_TOOLS = ['lookup_order', 'search_kb'] as const;

/** The controls the desk declares (agent.yaml `spec.cost`), used when the manifest has none. */
export const DESK_COST: CostSpec = {
  cache: { enabled: true, scope: 'tenant', ttl: '1h', maxEntries: 10_000 },
  cascade: { model: { provider: 'openai-compatible', id: 'gpt-4.1-nano' }, threshold: 0.8, signal: 'self-reported' },
  earlyExit: { repeatedCall: 2 },
  batch: { maxBatchSize: 16, maxWaitMs: 5 },
};

/** The part of `declared` a mode turns on (`all`: every control; `off`: none). */
export function costSpecFor(mode: CostMode, declared: CostSpec = DESK_COST): CostSpec {
  switch (mode) {
    case 'off':
      return {};
    case 'cache':
      return declared.cache === undefined ? {} : { cache: declared.cache };
    case 'cascade':
      return declared.cascade === undefined ? {} : { cascade: declared.cascade };
    case 'early-exit':
      return declared.earlyExit === undefined ? {} : { earlyExit: declared.earlyExit };
    case 'batch':
      return declared.batch === undefined ? {} : { batch: declared.batch };
    case 'all':
      return declared;
  }
}

/** The desk with `spec.cost` replaced. */
export function withCostSpec(spec: DeskSpec, cost: CostSpec): DeskSpec {
  return { ...spec, manifest: { ...spec.manifest, spec: { ...spec.manifest.spec, cost } } };
}

function idOf(scenario: Scenario): string {
  return createHash('sha256')
    .update(JSON.stringify([scenario.model, scenario.script ?? null, scenario.inject ?? null, scenario.attack ?? null]))
    .digest('hex')
    .slice(0, 12);
}

/**
 * A scenario's models at the offline list prices: the large one (its own model id per script, so that
 * the decision cache never takes one scenario's script for another's) and, for the cascade, the
 * understudy standing in for it at the small price.
 */
export function pricedModels(scenario: Scenario): { readonly model: DeskModel; readonly cascadeModel: DeskModel } {
  const id = idOf(scenario);
  const large = ((): DeskModel => {
    if (scenario.model === 'gullible') return withCapabilities(gullible(), { pricing: OFFLINE_PRICING.large });
    if (scenario.model === 'obedient') {
      const { inject, attack } = scenario;
      if (inject === undefined || attack?.tool === undefined || attack.args === undefined)
        throw new Error(`scenario ${scenario.name}: an obedient scenario needs inject and attack.tool/args`);
      return withCapabilities(
        obedient({
          attacks: [{ text: inject.text, call: { tool: attack.tool, args: attack.args } }],
          modelId: `obedient-${id}`,
          ...(scenario.script === undefined ? {} : { script: scenario.script }),
        }),
        { pricing: OFFLINE_PRICING.large },
      );
    }
    return scripted(scenario.script ?? { turns: [{ text: '' }] }, { modelId: `desk-${id}`, pricing: OFFLINE_PRICING.large });
  })();
  return { model: large, cascadeModel: understudy(large, { modelId: `understudy-${id}`, knownTools: SMALL_MODEL_TOOLS }) };
}

/** What must not change when a cost control is on: the verdict, the answer and the side effects. */
export function outcomeOf(outcome: ScenarioOutcome): string {
  const { result } = outcome;
  return JSON.stringify({
    passed: outcome.passed,
    status: result.status,
    reason: result.reason ?? null,
    output: result.output ?? null,
    paused: outcome.paused !== undefined,
    effects: outcome.desk.effects.map((effect) => [effect.tool, effect.args]),
  });
}

export interface CostTraffic {
  readonly mode: CostMode;
  /** Per scenario, the outcomes of its requests. */
  readonly outcomes: readonly (readonly ScenarioOutcome[])[];
  readonly requests: number;
  readonly costUsd: number;
  readonly costPerRequestUsd: number;
  /** Model steps of all requests (a cached step counts: it is a step, not a paid call). */
  readonly steps: number;
  readonly cache: { readonly hits: number; readonly misses: number; readonly hitRate: number; readonly savedUsd: number };
}

/**
 * The suite as traffic: every scenario is asked `repeats` times at once (a burst of the same
 * question), scenario after scenario, with `mode`'s controls on. One decision cache serves all
 * requests (tenant `acme`); the models of a scenario are shared by its requests, so their calls can batch.
 */
export async function costTraffic(spec: DeskSpec, scenarios: readonly Scenario[], mode: CostMode, repeats: number): Promise<CostTraffic> {
  // The manifest's declarations; DESK_COST fills in what it leaves out (batching, which its provider lacks).
  const declared: CostSpec = { ...DESK_COST, ...spec.manifest.spec.cost };
  const cost = costSpecFor(mode, declared);
  const desk = withCostSpec(spec, cost);
  const cache = new DecisionCache({ ttlMs: 3_600_000, maxEntries: cost.cache?.maxEntries ?? 10_000 });
  const outcomes: ScenarioOutcome[][] = [];
  for (const scenario of scenarios) {
    const models = pricedModels(scenario);
    const burst = await Promise.all(
      Array.from({ length: repeats }, () => runScenario(desk, scenario, { models: () => models, decisionCache: cache })),
    );
    outcomes.push(burst);
  }
  const all = outcomes.flat();
  // A resumed run's usage includes what it spent before its pause.
  const costUsd = all.reduce((sum, o) => sum + o.result.usage.costUsd, 0);
  const stats = cache.stats();
  return {
    mode,
    outcomes,
    requests: all.length,
    costUsd,
    costPerRequestUsd: costUsd / all.length,
    steps: all.reduce((sum, o) => sum + o.result.steps, 0),
    cache: {
      hits: stats.hits,
      misses: stats.misses,
      hitRate: stats.hits + stats.misses === 0 ? 0 : stats.hits / (stats.hits + stats.misses),
      savedUsd: stats.savedUsd,
    },
  };
}
