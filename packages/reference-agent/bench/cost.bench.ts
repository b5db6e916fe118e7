// The cost benchmark: cost per request on the scenario suite with priced offline models, each cost
// control off and on. Traffic: every scenario asked REPEATS times at once (a burst of the same question),
// scenario after scenario. Run: npm run bench:cost -w @charter/reference-agent
import { performance } from 'node:perf_hooks';
import { COST_MODES, costTraffic, type CostTraffic, outcomeOf } from '../src/cost.js';
import { loadScenarios } from '../src/scenario.js';
import { loadDeskSpec, SCENARIO_DIR } from '../src/suite.js';

const REPEATS = Number(process.env.REPEATS ?? 3);
const spec = loadDeskSpec();
const scenarios = loadScenarios(SCENARIO_DIR);
const results = new Map<string, CostTraffic>();
let off: CostTraffic | undefined;

console.log(
  `cost per request on ${scenarios.length} scenarios × ${REPEATS} requests each (priced offline models: large 0.60/2.40, small 0.10/0.40 USD per MTok; batch at 0.5×)`,
);
console.log('mode        USD/request   factor  passed  same-outcome  cache-hit  steps   wall-ms');
for (const mode of COST_MODES) {
  const started = performance.now();
  const traffic = await costTraffic(spec, scenarios, mode, REPEATS);
  const wallMs = performance.now() - started;
  off ??= traffic;
  results.set(mode, traffic);
  const all = traffic.outcomes.flat();
  const reference = off.outcomes.flat();
  const same = all.filter((o, i) => reference[i] !== undefined && outcomeOf(reference[i]) === outcomeOf(o)).length;
  const passed = all.filter((o) => o.passed).length;
  console.log(
    `${mode.padEnd(11)} ${traffic.costPerRequestUsd.toExponential(3).padStart(11)}  ${(off.costPerRequestUsd / traffic.costPerRequestUsd).toFixed(2).padStart(6)}  ${`${passed}/${all.length}`.padStart(7)}  ${`${same}/${all.length}`.padStart(12)}  ${traffic.cache.hitRate.toFixed(3).padStart(9)}  ${String(traffic.steps).padStart(5)}  ${wallMs.toFixed(0).padStart(8)}`,
  );
}

const get = (mode: string): CostTraffic => {
  const traffic = results.get(mode);
  if (traffic === undefined) throw new Error(`no ${mode} run`);
  return traffic;
};
const usd = (mode: string) => Number(get(mode).costPerRequestUsd.toPrecision(4));
const allOn = get('all');
const sameAll = allOn.outcomes.flat().every((o, i) => {
  const reference = get('off').outcomes.flat()[i];
  return reference !== undefined && outcomeOf(reference) === outcomeOf(o);
});
console.log(
  JSON.stringify({
    requests: allOn.requests,
    costPerRequestUsdOff: usd('off'),
    costPerRequestUsdCache: usd('cache'),
    costPerRequestUsdCascade: usd('cascade'),
    costPerRequestUsdEarlyExit: usd('early-exit'),
    costPerRequestUsdBatch: usd('batch'),
    costPerRequestUsdOn: usd('all'),
    costFactor: Number((get('off').costPerRequestUsd / allOn.costPerRequestUsd).toFixed(2)),
    cacheHitRate: Number(allOn.cache.hitRate.toFixed(3)),
    cacheSavedUsd: Number(allOn.cache.savedUsd.toPrecision(4)),
    outcomesUnchanged: sameAll,
    passedOn: allOn.outcomes.flat().filter((o) => o.passed).length,
  }),
);
