// The simulation figures over 1,000 runs each, from the real router, controller and analysis:
//   npm run simulate:figures -w @charter/rollout [-- <runs>]
// Healthy rollouts through every stage of the reference plan (stabilisation periods set to 0 so that
// a stage ends when its guards hold); a 97 % → 92 % success regression from the canary on; a candidate
// that leaks PII once. Ends with one JSON line.
import { join } from 'node:path';
import { loadRolloutPlan } from '../src/plan.js';
import { simulateRollout } from '../src/simulate.js';

const runs = Number(process.argv[2] ?? 1000);
const { plan } = loadRolloutPlan(join(import.meta.dirname, '..', 'src', '__fixtures__', 'agent'));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
};
const started = performance.now();

const healthy: Record<string, number> = {};
const healthyRequests: number[] = [];
for (let seed = 1; seed <= runs; seed++) {
  const result = await simulateRollout({ plan, stabilizationMs: 0, timeline: false, seed: 1_000_000 + seed });
  healthy[result.outcome] = (healthy[result.outcome] ?? 0) + 1;
  healthyRequests.push(result.requests);
}
const falseRollbacks = healthy['rolled-back'] ?? 0;
console.log(
  `healthy: ${runs} rollouts → ${JSON.stringify(healthy)}; false rollback rate ${((100 * falseRollbacks) / runs).toFixed(2)} %; median ${median(healthyRequests)} requests per rollout`,
);

let caught = 0;
const candidateToDetection: number[] = [];
const stageToDetection: number[] = [];
const regression: Record<string, number> = {};
for (let seed = 1; seed <= runs; seed++) {
  const result = await simulateRollout({
    plan,
    candidate: { successDropPts: 5 },
    skipShadow: true,
    stabilizationMs: 0,
    timeline: false,
    seed: 2_000_000 + seed,
  });
  const where = result.rollback ? `rolled-back at ${result.rollback.kind}` : result.outcome;
  regression[where] = (regression[where] ?? 0) + 1;
  if (result.rollback?.kind === 'canary') {
    caught++;
    candidateToDetection.push(result.rollback.stageCandidateRequests);
    stageToDetection.push(result.rollback.stageRequests);
  }
}
console.log(
  `97 % → 92 %: ${runs} rollouts → ${JSON.stringify(regression)}; caught at canary ${((100 * caught) / runs).toFixed(1)} %; median ${median(candidateToDetection)} canary (candidate) requests to detection, ${median(stageToDetection)} requests in the stage`,
);

let leakCaught = 0;
for (let seed = 1; seed <= runs; seed++) {
  const leakAt = 1 + (seed % 400);
  const result = await simulateRollout({
    plan,
    candidate: { leakAt },
    skipShadow: true,
    stabilizationMs: 0,
    timeline: false,
    seed: 3_000_000 + seed,
  });
  if (result.outcome === 'rolled-back' && result.candidateRequests === leakAt) leakCaught++;
}
console.log(`PII leak once: rolled back on the leaking request in ${leakCaught} of ${runs}`);
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    runs,
    healthyFalseRollbackPct: (100 * falseRollbacks) / runs,
    healthyCompletePct: (100 * (healthy.complete ?? 0)) / runs,
    regressionCaughtAtCanaryPct: (100 * caught) / runs,
    medianCanaryCandidateRequestsToDetection: median(candidateToDetection),
    medianCanaryRequestsToDetection: median(stageToDetection),
    leakRolledBackOnRequestPct: (100 * leakCaught) / runs,
    seconds: Math.round(seconds),
  }),
);
