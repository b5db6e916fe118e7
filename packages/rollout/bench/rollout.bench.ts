// `npm run bench -w @charter/rollout`: the three costs the issue sets goals for, measured on the built
// package (dist) in one process, medians of interleaved samples, with anchors from the same process:
// - router decision (goal ≤ 1 µs), against @openfeature/flagd-core evaluating the exported flag and a
//   bare MurmurHash3 of the same string;
// - analysis update per observation (goal ≤ 5 µs): add the observation and recompute the verdict
//   (every metric's confidence sequence), i.e. a sequential look after every request; and the
//   addition alone;
// - shadow overhead on the control's latency (goal: none): a control that awaits a 1 ms "model call"
//   and does 50 µs of work, served alone (twice: A1 and A2, whose difference is the noise band) and
//   through the shadow runner with worker candidates (bench/shadow-candidate.mjs: like the control, 4×
//   the work), each in a worker process at SCHED_IDLE (the default: each sample staged in the shared
//   ring as it comes, published every 100 ms, a relay thread forwards them to the process), one like the control in a worker process fed in
//   batches over its channel from the control's thread (`handoff: 'message'`, the previous default) and
//   one in a worker thread on the shared ring (as the contrasts), an in-process one; and T, the control
//   observed only — the reaction the runner registers on each request, pushing the result into an array
//   and nothing else: the floor any in-process observer of the result pays (an OpenTelemetry span's end
//   costs as much) —; interleaved rounds, each in a shuffled order (seeded), requests one
//   after another and 8 in flight; median, p95 and p99 latency and the control thread's CPU per request,
//   each as the median of per-round paired differences to A1 with a 95 % bootstrap interval. The
//   verdict line says "none" only when the default worker candidate's median and p95 differences, in
//   both modes, lie within the A/A noise band (p99 is printed, not judged); a second line judges the same
//   way what the shadow adds beyond observing the result (W − T). The same control whose model call is I/O (a round trip to a
//   model thread that answers after 1 ms, as a socket would: IA1, IA2 and IW, with a worker candidate
//   like the control) gets its own A/A band and its own verdict line: the timer control re-anchors its
//   1 ms wait on whatever the thread did meanwhile (libuv computes a timer's wait in whole milliseconds
//   when the loop goes to sleep), so it charges a request with all of a handoff's work; I/O does not.
//   Each control also gets a worker candidate doing 4× the work (W4, IW4): a third line judges W4 − W and
//   IW4 − IW the same way — whether the candidate's own work reaches the control's latency — and a fourth
//   says whether observing the result alone (T) is within the band (when it is not, no shadow can be).
//   The I/O control has its observed-only arm too (IT): IW − IT is judged against the IA2 − IA1 band,
//   and IT itself.
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
import {
  control,
  cpuSource,
  difference,
  median,
  round,
  shuffled,
  startIoModel,
  work,
  type Difference,
  type RoundStats,
  type Serve,
} from './harness.js';
import { fileURLToPath } from 'node:url';

const { plan } = loadRolloutPlan(join(import.meta.dirname, '..', 'src', '__fixtures__', 'agent'));
const FLAG = flagKeyOf(plan.agent);
const KEYS = Array.from({ length: 10_000 }, (_, index) => `customer-${index * 7919}`);

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
// Arms, each round in a shuffled order (seeded: the same on every run): A1 and A2, the control served alone (two identical arms: their
// difference is the noise band, an A/A test); W, the control through the shadow runner with a worker
// candidate like it (the defaults: a worker process at SCHED_IDLE, each sample staged in the shared
// ring as it comes and published every 100 ms, which a relay thread forwards to the process); WM, the same process fed over its channel in
// batches every 100 ms from the control's thread (`handoff: 'message'`, the previous default); W4, one
// with 4× the work; WT, W in a worker thread on the shared ring (`isolation: 'thread'`: its isolate's
// garbage collection and compilation run on V8 threads this process shares, at normal priority); P, an
// in-process candidate like it (one thread: the contrast); T, the control observed only (the runner's
// reaction pushing the result into an array: the floor of any in-process observer); IA1, IA2, IT, IW and
// IW4 the same with the I/O control. Each round serves every arm twice: one request after another (a user's
// view) and with 8 requests in flight. After a shadow arm's requests, `idle()` waits for its shadow work
// (inside the arm's CPU window, outside its latency figures), so nothing spills into the next arm.
const { controlIo, stop: stopIoModel } = startIoModel();
const candidateLike = async (input: number): Promise<string> => {
  await delay(1);
  work(50);
  return `answer ${input}`;
};

// A round must span several of the default shadow's handoffs (a batch every 100 ms for a worker process),
// so that their cost lands inside the measured windows as it would in a service, not only in the settle
// at the round's end: one after another ~340 ms, with 8 in flight ~300 ms (the bench prints how many
// handoffs fell inside the windows).
const ROUNDS = 21;
const SEQUENTIAL = 300;
const CONCURRENT = 2000;
const IN_FLIGHT = 8;
const candidateModule = fileURLToPath(new URL('./shadow-candidate.mjs', import.meta.url));
const runners = {
  W: createShadowRunner<number, string>({ control, candidate: { module: candidateModule, options: { workUs: 50 } }, noiseSampleRate: 0 }),
  WM: createShadowRunner<number, string>({
    control,
    candidate: { module: candidateModule, options: { workUs: 50 }, handoff: 'message' },
    noiseSampleRate: 0,
  }),
  WT: createShadowRunner<number, string>({
    control,
    candidate: { module: candidateModule, options: { workUs: 50 }, isolation: 'thread' },
    noiseSampleRate: 0,
  }),
  W4: createShadowRunner<number, string>({ control, candidate: { module: candidateModule, options: { workUs: 200 } }, noiseSampleRate: 0 }),
  P: createShadowRunner<number, string>({ control, candidate: candidateLike, noiseSampleRate: 0 }),
  IW: createShadowRunner<number, string>({
    control: controlIo,
    candidate: { module: candidateModule, options: { workUs: 50 } },
    noiseSampleRate: 0,
  }),
  IW4: createShadowRunner<number, string>({
    control: controlIo,
    candidate: { module: candidateModule, options: { workUs: 200 } },
    noiseSampleRate: 0,
  }),
};
/** An arm served through a shadow runner; its handoffs (posted batches, ring batches and records) are counted. */
function shadowArm(runner: (typeof runners)['W']): Serve {
  return {
    serve: (i) => runner.run(i),
    settle: () => runner.idle(),
    handoffs: () => {
      const handoff = runner.summary().handoff;
      return handoff === undefined ? 0 : handoff.postedBatches + handoff.ringBatches + handoff.ringSamples + handoff.publishes;
    },
  };
}
// The observation floor: what the runner does on the control's thread for every request before any
// shadow work — one microtask after the request starts (a reaction on a settled promise, as the runner
// queues it), a reaction on the control's promise — with the result only pushed into an array (dropped
// every 4,096 entries).
const registered = Promise.resolve();
let observed: unknown[] = [];
const keep = (input: number, result: string): void => {
  observed.push(input, result);
  if (observed.length >= 8192) observed = [];
};
const ignore = (): void => undefined;
const tapOf = (serve: (input: number) => Promise<string>): Serve => ({
  serve(input) {
    const pending = serve(input);
    void registered.then(() => {
      void pending.then((result) => {
        keep(input, result);
      }, ignore);
    });
    return pending;
  },
  settle: () => Promise.resolve(),
});
const aloneIo: Serve = { serve: controlIo, settle: () => Promise.resolve() };
const alone: Serve = { serve: control, settle: () => Promise.resolve() };
const arms: Record<'A1' | 'A2' | 'T' | 'W' | 'WM' | 'WT' | 'W4' | 'P' | 'IA1' | 'IA2' | 'IT' | 'IW' | 'IW4', Serve> = {
  A1: alone,
  A2: alone,
  T: tapOf(control),
  W: shadowArm(runners.W),
  WM: shadowArm(runners.WM),
  WT: shadowArm(runners.WT),
  W4: shadowArm(runners.W4),
  P: shadowArm(runners.P),
  IA1: aloneIo,
  IA2: aloneIo,
  IT: tapOf(controlIo),
  IW: shadowArm(runners.IW),
  IW4: shadowArm(runners.IW4),
};
type ArmName = keyof typeof arms;
const names = Object.keys(arms) as ArmName[];
const rounds: Record<'sequential' | 'concurrent', Record<ArmName, RoundStats[]>> = {
  sequential: { A1: [], A2: [], T: [], W: [], WM: [], WT: [], W4: [], P: [], IA1: [], IA2: [], IT: [], IW: [], IW4: [] },
  concurrent: { A1: [], A2: [], T: [], W: [], WM: [], WT: [], W4: [], P: [], IA1: [], IA2: [], IT: [], IW: [], IW4: [] },
};
for (const name of names) {
  await round(arms[name], 50, 1); // warm-up: JIT, and the workers started
  await round(arms[name], 50, IN_FLIGHT);
}
const shadowStarted = performance.now();
for (let r = 0; r < ROUNDS; r++) {
  for (const name of shuffled(names, r)) {
    rounds.sequential[name].push(await round(arms[name], SEQUENTIAL, 1));
    rounds.concurrent[name].push(await round(arms[name], CONCURRENT, IN_FLIGHT));
  }
}
const shadowSeconds = (performance.now() - shadowStarted) / 1000;
const summaries = Object.fromEntries(Object.entries(runners).map(([name, runner]) => [name, runner.summary()]));
await Promise.all(Object.values(runners).map((runner) => runner.close()));
for (const [name, summary] of Object.entries(summaries))
  if (summary.comparisons !== summary.agreements)
    throw new Error(`the shadow candidate ${name} disagreed or failed: ${JSON.stringify(summary)}`);

type Mode = keyof typeof rounds;
type Stat = keyof RoundStats;
const series = (mode: Mode, name: ArmName, stat: Stat): number[] => rounds[mode][name].map((each) => each[stat]);
/** The I/O-bound control's arms are compared with its own A/A pair (IA1, IA2); every other arm with A1, A2. */
const io = (name: ArmName): boolean => name.startsWith('I');
const diff = (mode: Mode, name: ArmName, stat: Stat): Difference =>
  difference(series(mode, name, stat), series(mode, io(name) ? 'IA1' : 'A1', stat));
/** The noise band: the largest magnitude within the 95 % interval of the A/A difference (A2 − A1, or IA2 − IA1), measured the same way. */
const band = (mode: Mode, stat: Stat, ofIo = false): number => {
  const aa = diff(mode, ofIo ? 'IA2' : 'A2', stat);
  return Math.max(Math.abs(aa.lower), Math.abs(aa.upper));
};
const within = (mode: Mode, name: ArmName, stat: Stat): boolean => Math.abs(diff(mode, name, stat).estimate) <= band(mode, stat, io(name));
const fmt = (d: Difference): string =>
  `${d.estimate >= 0 ? '+' : ''}${d.estimate.toFixed(1)} µs [${d.lower.toFixed(1)}, ${d.upper.toFixed(1)}]`.padEnd(30);
const LABELS: Record<ArmName, string> = {
  A1: 'control alone (reference)',
  A2: 'control alone again (A/A: the noise)',
  T: 'the control observed only (the floor)',
  W: 'worker candidate like the control (a process)',
  WM: 'the same, batches over its channel',
  WT: 'the same in a worker thread (shared ring)',
  W4: 'worker candidate, 4× the work',
  P: 'in-process candidate like the control',
  IA1: 'I/O control alone (reference of the I arms)',
  IA2: 'I/O control alone again (A/A of the I arms)',
  IT: 'I/O control observed only (the floor)',
  IW: 'I/O control, worker candidate like it',
  IW4: 'I/O control, worker candidate, 4× the work',
};
console.log(
  `shadow overhead on the control's latency: ${ROUNDS} interleaved rounds × ${SEQUENTIAL} sequential + ${CONCURRENT} requests ${IN_FLIGHT} in flight per arm (${shadowSeconds.toFixed(0)} s); control = 1 ms model call + 50 µs work`,
);
console.log('  differences to A1: median over rounds of the paired per-round difference [95 % bootstrap interval]; CPU = ' + cpuSource);
for (const mode of ['sequential', 'concurrent'] as const) {
  const a1 = rounds[mode].A1;
  console.log(
    `  ${mode}: A1 median ${median(a1.map((s) => s.median)).toFixed(0)} µs, p95 ${median(a1.map((s) => s.p95)).toFixed(0)} µs, control thread CPU ${median(a1.map((s) => s.cpuUs)).toFixed(1)} µs/request; noise band (A/A) median ±${band(mode, 'median').toFixed(1)} µs, p95 ±${band(mode, 'p95').toFixed(1)} µs, CPU ±${band(mode, 'cpuUs').toFixed(1)} µs`,
  );
  const ia1 = rounds[mode].IA1;
  console.log(
    `  ${mode}, I/O control: IA1 median ${median(ia1.map((s) => s.median)).toFixed(0)} µs, p95 ${median(ia1.map((s) => s.p95)).toFixed(0)} µs; noise band (IA2 − IA1) median ±${band(mode, 'median', true).toFixed(1)} µs, p95 ±${band(mode, 'p95', true).toFixed(1)} µs`,
  );
  for (const name of names.filter((each) => each !== 'A1' && each !== 'IA1'))
    console.log(
      `    ${LABELS[name].padEnd(48)} median ${fmt(diff(mode, name, 'median'))} p95 ${fmt(diff(mode, name, 'p95'))} p99 ${fmt(diff(mode, name, 'p99'))} CPU ${fmt(diff(mode, name, 'cpuUs'))}${
        name === 'A2' || name === 'IA2'
          ? ''
          : within(mode, name, 'median') && within(mode, name, 'p95')
            ? ' within the noise'
            : ' ABOVE the noise'
      }`,
    );
}
for (const [name, summary] of Object.entries(summaries))
  console.log(
    `  ${LABELS[name as ArmName]}: handoffs inside the measured windows, median per round: ${median(series('sequential', name as ArmName, 'handoffsServing'))} one after another, ${median(series('concurrent', name as ArmName, 'handoffsServing'))} with ${IN_FLIGHT} in flight; ${summary.comparisons} samples compared (all agreed), ${summary.shed} dropped while it lagged${
      summary.priority === undefined
        ? ''
        : `; worker priority ${summary.priority.priority}${summary.priority.detail === undefined ? '' : ` (${summary.priority.detail})`}${
            summary.priority.relay === undefined
              ? ''
              : `, its relay thread's ${summary.priority.relay.priority}${summary.priority.relay.detail === undefined ? '' : ` (${summary.priority.relay.detail})`}`
          }`
    }${
      summary.handoff === undefined
        ? ''
        : `; a worker ${summary.handoff.isolation}, handoff ${summary.handoff.mode}: ${summary.handoff.ringSamples} samples written to the ring one by one, ${summary.handoff.stagedSamples} staged and published in ${summary.handoff.publishes} handoffs, ${summary.handoff.ringBatches} batches through the ring, ${summary.handoff.postedBatches} posted, ${summary.handoff.droppedSamples} samples dropped (ring full), ${summary.handoff.wakes} wakes of a parked worker`
    }`,
  );
const MODES = ['sequential', 'concurrent'] as const;
const JUDGED = ['median', 'p95'] as const;
/** Whether a difference's median and p95, one after another and 8 in flight, lie within the A/A band (IA2 − IA1 when `ofIo`). */
const allWithin = (d: (mode: Mode, stat: Stat) => Difference, ofIo: boolean): boolean =>
  MODES.every((mode) => JUDGED.every((stat) => Math.abs(d(mode, stat).estimate) <= band(mode, stat, ofIo)));
/** An arm's difference to its control alone (A1, or IA1 for the I/O arms). */
const armDiff =
  (name: ArmName) =>
  (mode: Mode, stat: Stat): Difference =>
    diff(mode, name, stat);
const none = allWithin(armDiff('W'), false);
/** W − T (IW − IT) against the A/A band: what the shadow adds beyond observing the result. */
const beyond = (mode: Mode, stat: Stat, ofIo = false): Difference =>
  difference(series(mode, ofIo ? 'IW' : 'W', stat), series(mode, ofIo ? 'IT' : 'T', stat));
const noneBeyond = allWithin((mode, stat) => beyond(mode, stat, false), false);
const noneBeyondIo = allWithin((mode, stat) => beyond(mode, stat, true), true);
const noneIo = allWithin(armDiff('IW'), true);
/** W4 − W, IW4 − IW: what 4× the candidate's work adds — whether the candidate's work reaches the control's latency at all. */
const candidateWork = (mode: Mode, stat: Stat, ofIo: boolean): Difference =>
  difference(series(mode, ofIo ? 'IW4' : 'W4', stat), series(mode, ofIo ? 'IW' : 'W', stat));
const noneWork = [false, true].every((ofIo) => allWithin((mode, stat) => candidateWork(mode, stat, ofIo), ofIo));
/** T within the band: when observing the result alone is above it, no shadow (which must observe the result) can be within it at this run's resolution. */

const noneObservation = allWithin(armDiff('T'), false);
const noneObservationIo = allWithin(armDiff('IT'), true);
console.log(
  none
    ? "shadow overhead on the control's latency: none — the candidate runs off the control's path (worker candidate like the control: median and p95, sequential and 8 in flight, within the A/A noise band)"
    : "shadow overhead on the control's latency: MEASURABLE — above the A/A noise band (see the lines above)",
);

for (const ofIo of [false, true])
  for (const mode of ['sequential', 'concurrent'] as const)
    console.log(
      `  beyond observing the result (${ofIo ? 'IW − IT, I/O control' : 'W − T, timer control'}), ${mode}: median ${fmt(beyond(mode, 'median', ofIo))} p95 ${fmt(beyond(mode, 'p95', ofIo))} p99 ${fmt(beyond(mode, 'p99', ofIo))} CPU ${fmt(beyond(mode, 'cpuUs', ofIo))}`,
    );
console.log(
  noneBeyond
    ? "beyond observing the control's result: none — the candidate and its handoff add nothing above the A/A noise band to what observing the result costs (W − T: median and p95, sequential and 8 in flight)"
    : "beyond observing the control's result: MEASURABLE — W − T above the A/A noise band",
);
console.log(
  noneBeyondIo
    ? "beyond observing the I/O control's result: none — IW − IT within the IA2 − IA1 band (median and p95, sequential and 8 in flight)"
    : "beyond observing the I/O control's result: MEASURABLE — IW − IT above the IA2 − IA1 band",
);
for (const mode of ['sequential', 'concurrent'] as const)
  for (const ofIo of [false, true])
    console.log(
      `  4× the candidate's work (${ofIo ? 'IW4 − IW, I/O control' : 'W4 − W, timer control'}), ${mode}: median ${fmt(candidateWork(mode, 'median', ofIo))} p95 ${fmt(candidateWork(mode, 'p95', ofIo))} p99 ${fmt(candidateWork(mode, 'p99', ofIo))} CPU ${fmt(candidateWork(mode, 'cpuUs', ofIo))}`,
    );
console.log(
  noneWork
    ? "the candidate's own work on the control's latency: none — 4× the candidate's work adds nothing above the A/A noise band (W4 − W and IW4 − IW: median and p95, sequential and 8 in flight)"
    : "the candidate's own work on the control's latency: MEASURABLE — 4× the candidate's work shows above the A/A noise band",
);
for (const [name, ok] of [
  ['T', noneObservation],
  ['IT', noneObservationIo],
] as const) {
  const against = name === 'T' ? 'A/A' : 'IA2 − IA1';
  // Above the band: observing costs more than chance explains (then no shadow can be within it); below it:
  // the band understates this run's noise.
  const above = MODES.some((mode) => JUDGED.some((stat) => diff(mode, name, stat).estimate > band(mode, stat, name === 'IT')));
  console.log(
    ok
      ? `observing the result alone (${name}): within the ${against} noise band`
      : above
        ? `observing the result alone (${name}): above the ${against} noise band — at this resolution no shadow, which must observe the result, can be within it`
        : `observing the result alone (${name}): below the ${against} noise band (faster than the control alone: the band understates this run's noise)`,
  );
}
console.log(
  noneIo
    ? 'with an I/O-bound control (its model call a round trip to another thread, as over a socket): none — median and p95, sequential and 8 in flight, within the IA2 − IA1 band'
    : 'with an I/O-bound control (its model call a round trip to another thread, as over a socket): MEASURABLE — above the IA2 − IA1 band',
);
await stopIoModel();

const r1 = (value: number): number => Math.round(value * 10) / 10;
console.log(
  JSON.stringify({
    routerNs: Math.round(routerNs),
    murmurAnchorNs: Math.round(murmurNs),
    flagdCoreNs: Math.round(flagdNs),
    analysisUpdateUs: Number((updateNs / 1000).toFixed(3)),
    observeNs: Math.round(observeNs),
    controlAloneUs: Math.round(median(series('sequential', 'A1', 'median'))),
    controlAloneP95Us: Math.round(median(series('sequential', 'A1', 'p95'))),
    controlAloneConcurrentUs: Math.round(median(series('concurrent', 'A1', 'median'))),
    shadowOverheadNone: none,
    shadowIoOverheadNone: noneIo,
    shadowIoOverheadUs: r1(diff('sequential', 'IW', 'median').estimate),
    shadowIoOverheadP95Us: r1(diff('sequential', 'IW', 'p95').estimate),
    shadowIoOverheadConcurrentUs: r1(diff('concurrent', 'IW', 'median').estimate),
    shadowIoOverheadConcurrentP95Us: r1(diff('concurrent', 'IW', 'p95').estimate),
    shadowIoNoiseBandUs: r1(band('sequential', 'median', true)),
    shadowIoNoiseBandP95Us: r1(band('sequential', 'p95', true)),
    shadowIoNoiseBandConcurrentUs: r1(band('concurrent', 'median', true)),
    shadowIoNoiseBandConcurrentP95Us: r1(band('concurrent', 'p95', true)),
    shadowOverheadUs: r1(diff('sequential', 'W', 'median').estimate),
    shadowOverheadP95Us: r1(diff('sequential', 'W', 'p95').estimate),
    shadowOverheadConcurrentUs: r1(diff('concurrent', 'W', 'median').estimate),
    shadowOverheadConcurrentP95Us: r1(diff('concurrent', 'W', 'p95').estimate),
    shadowNoiseBandUs: r1(band('sequential', 'median')),
    shadowNoiseBandP95Us: r1(band('sequential', 'p95')),
    shadowNoiseBandConcurrentUs: r1(band('concurrent', 'median')),
    shadowNoiseBandConcurrentP95Us: r1(band('concurrent', 'p95')),
    shadowControlThreadCpuUs: r1(diff('sequential', 'W', 'cpuUs').estimate),
    shadowControlThreadCpuConcurrentUs: r1(diff('concurrent', 'W', 'cpuUs').estimate),
    shadowControlThreadCpuNoiseBandUs: r1(band('sequential', 'cpuUs')),
    shadowObservationUs: r1(diff('sequential', 'T', 'median').estimate),
    shadowObservationConcurrentUs: r1(diff('concurrent', 'T', 'median').estimate),
    shadowObservationConcurrentP95Us: r1(diff('concurrent', 'T', 'p95').estimate),
    shadowControlThreadCpuObservationConcurrentUs: r1(diff('concurrent', 'T', 'cpuUs').estimate),
    shadowCandidateWorkNone: noneWork,
    shadowCandidateWorkUs: r1(candidateWork('sequential', 'median', false).estimate),
    shadowCandidateWorkP95Us: r1(candidateWork('sequential', 'p95', false).estimate),
    shadowCandidateWorkConcurrentUs: r1(candidateWork('concurrent', 'median', false).estimate),
    shadowCandidateWorkConcurrentP95Us: r1(candidateWork('concurrent', 'p95', false).estimate),
    shadowIoCandidateWorkConcurrentUs: r1(candidateWork('concurrent', 'median', true).estimate),
    shadowIoCandidateWorkConcurrentP95Us: r1(candidateWork('concurrent', 'p95', true).estimate),
    shadowObservationNone: noneObservation,
    shadowIoObservationNone: noneObservationIo,
    shadowIoObservationConcurrentUs: r1(diff('concurrent', 'IT', 'median').estimate),
    shadowIoObservationConcurrentP95Us: r1(diff('concurrent', 'IT', 'p95').estimate),
    shadowBeyondObservationNone: noneBeyond,
    shadowIoBeyondObservationNone: noneBeyondIo,
    shadowIoBeyondObservationUs: r1(beyond('sequential', 'median', true).estimate),
    shadowIoBeyondObservationP95Us: r1(beyond('sequential', 'p95', true).estimate),
    shadowIoBeyondObservationConcurrentUs: r1(beyond('concurrent', 'median', true).estimate),
    shadowIoBeyondObservationConcurrentP95Us: r1(beyond('concurrent', 'p95', true).estimate),
    shadowBeyondObservationUs: r1(beyond('sequential', 'median').estimate),
    shadowBeyondObservationP95Us: r1(beyond('sequential', 'p95').estimate),
    shadowBeyondObservationConcurrentUs: r1(beyond('concurrent', 'median').estimate),
    shadowBeyondObservationConcurrentP95Us: r1(beyond('concurrent', 'p95').estimate),
    shadowOverheadMessageUs: r1(diff('sequential', 'WM', 'median').estimate),
    shadowOverheadMessageP95Us: r1(diff('sequential', 'WM', 'p95').estimate),
    shadowOverheadMessageConcurrentUs: r1(diff('concurrent', 'WM', 'median').estimate),
    shadowOverheadMessageConcurrentP95Us: r1(diff('concurrent', 'WM', 'p95').estimate),
    shadowOverheadMessageConcurrentP99Us: r1(diff('concurrent', 'WM', 'p99').estimate),
    shadowOverheadCpuHeavyCandidateUs: r1(diff('sequential', 'W4', 'median').estimate),
    shadowOverheadCpuHeavyCandidateConcurrentUs: r1(diff('concurrent', 'W4', 'median').estimate),
    shadowOverheadCpuHeavyCandidateConcurrentP95Us: r1(diff('concurrent', 'W4', 'p95').estimate),
    shadowOverheadInProcessUs: r1(diff('sequential', 'P', 'median').estimate),
    shadowOverheadInProcessConcurrentUs: r1(diff('concurrent', 'P', 'median').estimate),
    shadowControlThreadCpuInProcessUs: r1(diff('sequential', 'P', 'cpuUs').estimate),
    shadowWorkerPriority: summaries.W?.priority?.priority ?? 'unknown',
    shadowRelayPriority: summaries.W?.priority?.relay?.priority ?? 'unknown',
    shadowIsolation: summaries.W?.handoff?.isolation ?? 'unknown',
    shadowHandoff: summaries.W?.handoff?.mode ?? 'unknown',
    shadowHandoffBatches: summaries.W?.handoff?.postedBatches ?? 0,
    shadowHandoffRingSamples: summaries.W?.handoff?.ringSamples ?? 0,
    shadowHandoffsServingPerRound: median(series('sequential', 'W', 'handoffsServing')),
    shadowHandoffsServingConcurrentPerRound: median(series('concurrent', 'W', 'handoffsServing')),
    shadowOverheadP99Us: r1(diff('sequential', 'W', 'p99').estimate),
    shadowOverheadConcurrentP99Us: r1(diff('concurrent', 'W', 'p99').estimate),
    shadowOverheadThreadUs: r1(diff('sequential', 'WT', 'median').estimate),
    shadowOverheadThreadP95Us: r1(diff('sequential', 'WT', 'p95').estimate),
    shadowOverheadThreadConcurrentUs: r1(diff('concurrent', 'WT', 'median').estimate),
    shadowOverheadThreadConcurrentP95Us: r1(diff('concurrent', 'WT', 'p95').estimate),
    shadowControlThreadCpuThreadUs: r1(diff('sequential', 'WT', 'cpuUs').estimate),
    shadowDroppedSamples: summaries.W?.shed ?? 0,
    shadowDroppedSamplesThread: summaries.WT?.shed ?? 0,
    shadowDroppedSamplesCpuHeavyCandidate: summaries.W4?.shed ?? 0,
  }),
);
