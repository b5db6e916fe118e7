// `npm run bench -w @charter/rollout`: the three costs the issue sets goals for, measured on the built
// package (dist) in one process, medians of interleaved samples, with anchors from the same process:
// - router decision (goal ≤ 1 µs), against @openfeature/flagd-core evaluating the exported flag and a
//   bare MurmurHash3 of the same string;
// - analysis update per observation (goal ≤ 5 µs): add the observation and recompute the verdict
//   (every metric's confidence sequence), i.e. a sequential look after every request; and the
//   addition alone;
// - shadow overhead on the control's latency (goal: none): a control that awaits a 1 ms "model call"
//   and does 50 µs of work, served alone and through the shadow runner with a candidate like it (an
//   agent mostly waits for its model), and with a candidate doing 4× the work; requests one after
//   another, as a user sees them. The candidate runs in a worker thread (`candidate: { module }`, the
//   off-path form: bench/shadow-candidate.mjs) and, for comparison, in-process (a closure on the
//   control's thread). Alone and shadowed are interleaved rounds in the same process.
// Ends with one JSON line.
import { FlagdCore } from '@openfeature/flagd-core';
import { setTimeout as delay } from 'node:timers/promises';
import {
  analyse,
  analysisConfig,
  createShadowRunner,
  emptyStats,
  flagdFlagOf,
  flagKeyOf,
  loadRolloutPlan,
  murmur3,
  observe,
  route,
  splitRouting,
  type Observation,
} from '@charter/rollout';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const { plan } = loadRolloutPlan(join(import.meta.dirname, '..', 'src', '__fixtures__', 'agent'));
const FLAG = flagKeyOf(plan.agent);
const KEYS = Array.from({ length: 10_000 }, (_, index) => `customer-${index * 7919}`);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** ns per call of each contender: warm-up, then `samples` interleaved rounds of `iterations` calls. */
function measure(contenders: readonly { name: string; run: (i: number) => unknown; iterations: number }[], samples = 15): number[] {
  let sink = 0;
  for (const c of contenders) for (let i = 0; i < c.iterations; i++) if (c.run(i)) sink++;
  const results: number[][] = contenders.map(() => []);
  for (let s = 0; s < samples; s++) {
    contenders.forEach((c, index) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < c.iterations; i++) if (c.run(i)) sink++;
      results[index]?.push(Number(process.hrtime.bigint() - start) / c.iterations);
    });
  }
  if (sink < 0) console.log(sink);
  return results.map(median);
}

// --- router ---------------------------------------------------------------------------------------
const routing = splitRouting(5);
const core = new FlagdCore();
core.setConfigurations(JSON.stringify({ flags: { [FLAG]: flagdFlagOf(routing) } }));
const [routerNs = 0, murmurNs = 0, flagdNs = 0] = measure([
  { name: 'router', run: (i) => route(routing, FLAG, KEYS[i % KEYS.length]) === 'candidate', iterations: 200_000 },
  { name: 'murmur3', run: (i) => murmur3(FLAG + (KEYS[i % KEYS.length] ?? '')) > 0, iterations: 200_000 },
  {
    name: 'flagd-core',
    run: (i) => core.resolveStringEvaluation(FLAG, 'control', { targetingKey: KEYS[i % KEYS.length] ?? '' }).value === 'candidate',
    iterations: 5_000,
  },
]);
console.log(`router decision           ${routerNs.toFixed(0).padStart(7)} ns   (goal ≤ 1,000 ns)`);
console.log(`  anchor: murmur3 alone   ${murmurNs.toFixed(0).padStart(7)} ns   router/murmur3 ${(routerNs / murmurNs).toFixed(2)}×`);
console.log(`  flagd-core evaluation   ${flagdNs.toFixed(0).padStart(7)} ns   flagd-core/router ${(flagdNs / routerNs).toFixed(1)}×`);

// --- analysis -------------------------------------------------------------------------------------
const config = analysisConfig(plan.analysis);
const observations: Observation[] = Array.from({ length: 4_096 }, (_, index) => ({
  arm: index % 20 === 0 ? 'candidate' : 'control',
  success: index % 33 !== 0,
  latencyMs: 800 + ((index * 37) % 900),
  costUsd: 0.01 + (index % 7) / 1000,
  escalated: index % 19 === 0,
  guardrailTrip: index % 47 === 0,
  humanOverride: index % 101 === 0,
}));
const stats = emptyStats();
const addOnly = emptyStats();
for (let i = 0; i < 10_000; i++) observe(stats, observations[i % observations.length]!);
let verdicts = 0;
const [updateNs = 0, observeNs = 0] = measure([
  {
    name: 'observe + analyse',
    run: (i) => {
      observe(stats, observations[i % observations.length]!);
      if (analyse(stats, config).verdict === 'fail') verdicts++;
      return true;
    },
    iterations: 20_000,
  },
  { name: 'observe', run: (i) => (observe(addOnly, observations[i % observations.length]!), true), iterations: 200_000 },
]);
console.log(
  `analysis update / observation ${(updateNs / 1000).toFixed(2).padStart(6)} µs   (goal ≤ 5 µs; add + verdict of 7 metrics; ${verdicts} fails)`,
);
console.log(`  the addition alone      ${observeNs.toFixed(0).padStart(7)} ns`);

// --- shadow overhead ------------------------------------------------------------------------------
function work(us: number): number {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  let x = 0;
  while (process.hrtime.bigint() < end) x++;
  return x;
}
const control = async (input: number): Promise<string> => {
  await delay(1);
  work(50);
  return `answer ${input}`;
};
const candidateLike = async (input: number): Promise<string> => {
  await delay(1);
  work(50);
  return `answer ${input}`;
};
const candidateHeavy = async (input: number): Promise<string> => {
  await delay(1);
  work(200);
  return `answer ${input}`;
};
/** Busy time of this (the control's) thread's event loop so far, µs: what the thread did, not what it waited for. */
function busyUs(): number {
  return performance.eventLoopUtilization().active * 1000;
}
async function latencies(serve: (i: number) => Promise<string>, n: number): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await serve(i);
    values.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return median(values);
}
/** Median latency of `n` requests, and the control thread's busy time per request over them. */
async function round(serve: (i: number) => Promise<string>, n: number): Promise<{ latency: number; busy: number }> {
  const before = busyUs();
  const latency = await latencies(serve, n);
  return { latency, busy: (busyUs() - before) / n };
}
/** Median control latency served alone and through a shadow runner, interleaved rounds. */
async function overhead(
  candidate: ((input: number) => Promise<string>) | { module: string; options: { workUs: number } },
): Promise<{ alone: number; shadowed: number; busyAlone: number; busyShadowed: number; comparisons: number }> {
  const runner = createShadowRunner<number, string>({ control, candidate, noiseSampleRate: 0 });
  await latencies(control, 50);
  await latencies((i) => runner.run(i), 50);
  const alone: number[] = [];
  const shadowed: number[] = [];
  const busyAlone: number[] = [];
  const busyShadowed: number[] = [];
  for (let r = 0; r < 9; r++) {
    const a = await round(control, 100);
    const s = await round((i) => runner.run(i), 100);
    alone.push(a.latency);
    busyAlone.push(a.busy);
    shadowed.push(s.latency);
    busyShadowed.push(s.busy);
  }
  await runner.idle();
  const summary = runner.summary();
  await runner.close();
  if (summary.comparisons !== summary.agreements) throw new Error(`the shadow candidate disagreed or failed: ${JSON.stringify(summary)}`);
  return {
    alone: median(alone),
    shadowed: median(shadowed),
    busyAlone: median(busyAlone),
    busyShadowed: median(busyShadowed),
    comparisons: summary.comparisons,
  };
}
const candidateModule = fileURLToPath(new URL('./shadow-candidate.mjs', import.meta.url));
const like = await overhead({ module: candidateModule, options: { workUs: 50 } });
console.log(`control latency alone     ${like.alone.toFixed(0).padStart(7)} µs   (1 ms model call + 50 µs of work)`);
console.log(
  `  shadowed, worker candidate like the control ${like.shadowed.toFixed(0).padStart(7)} µs   overhead ${(like.shadowed - like.alone).toFixed(0)} µs (goal: none)`,
);
const heavy = await overhead({ module: candidateModule, options: { workUs: 200 } });
console.log(
  `  shadowed, worker candidate with 4× the work  ${heavy.shadowed.toFixed(0).padStart(7)} µs   overhead ${(heavy.shadowed - heavy.alone).toFixed(0)} µs`,
);
console.log(
  `  control thread busy per request: alone ${like.busyAlone.toFixed(0)} µs, with the worker candidate ${like.busyShadowed.toFixed(0)} µs (+${(like.busyShadowed - like.busyAlone).toFixed(0)}: posting, receiving, comparing)`,
);
console.log(
  `  control thread busy per request: alone ${heavy.busyAlone.toFixed(0)} µs, with the 4× worker candidate ${heavy.busyShadowed.toFixed(0)} µs (+${(heavy.busyShadowed - heavy.busyAlone).toFixed(0)})`,
);
const likeInProcess = await overhead(candidateLike);
console.log(
  `  shadowed, in-process candidate like the control ${likeInProcess.shadowed.toFixed(0).padStart(7)} µs   overhead ${(likeInProcess.shadowed - likeInProcess.alone).toFixed(0)} µs (not off-path: one thread)`,
);
console.log(
  `  control thread busy per request: alone ${likeInProcess.busyAlone.toFixed(0)} µs, with the in-process candidate ${likeInProcess.busyShadowed.toFixed(0)} µs (+${(likeInProcess.busyShadowed - likeInProcess.busyAlone).toFixed(0)}: the candidate's own work)`,
);
const heavyInProcess = await overhead(candidateHeavy);
console.log(
  `  shadowed, in-process candidate with 4× the work  ${heavyInProcess.shadowed.toFixed(0).padStart(7)} µs   overhead ${(heavyInProcess.shadowed - heavyInProcess.alone).toFixed(0)} µs (the candidate's work competes for the one thread)`,
);

console.log(
  `  control thread busy per request: alone ${heavyInProcess.busyAlone.toFixed(0)} µs, with the 4× in-process candidate ${heavyInProcess.busyShadowed.toFixed(0)} µs (+${(heavyInProcess.busyShadowed - heavyInProcess.busyAlone).toFixed(0)})`,
);

console.log(
  JSON.stringify({
    routerNs: Math.round(routerNs),
    murmurAnchorNs: Math.round(murmurNs),
    flagdCoreNs: Math.round(flagdNs),
    analysisUpdateUs: Number((updateNs / 1000).toFixed(3)),
    observeNs: Math.round(observeNs),
    controlAloneUs: Math.round(like.alone),
    controlShadowedUs: Math.round(like.shadowed),
    shadowOverheadUs: Math.round(like.shadowed - like.alone),
    shadowOverheadCpuHeavyCandidateUs: Math.round(heavy.shadowed - heavy.alone),
    shadowOverheadInProcessUs: Math.round(likeInProcess.shadowed - likeInProcess.alone),
    shadowControlThreadBusyUs: Math.round(like.busyShadowed - like.busyAlone),
    shadowControlThreadBusyInProcessUs: Math.round(likeInProcess.busyShadowed - likeInProcess.busyAlone),
    shadowControlThreadBusyCpuHeavyCandidateUs: Math.round(heavy.busyShadowed - heavy.busyAlone),
    shadowControlThreadBusyInProcessCpuHeavyCandidateUs: Math.round(heavyInProcess.busyShadowed - heavyInProcess.busyAlone),
    shadowOverheadInProcessCpuHeavyCandidateUs: Math.round(heavyInProcess.shadowed - heavyInProcess.alone),
  }),
);
