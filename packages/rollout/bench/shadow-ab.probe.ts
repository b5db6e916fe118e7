// `npx tsx bench/shadow-ab.probe.ts` (after a build; AB=name,name,... variant builds): the bench's shadow
// arms (rollout.bench.ts: timer control and I/O control, each with its own A/A pair) for several builds of
// the runner in ONE process, interleaved in rotated order, so code variants are compared under the same
// load and on the same CPU. A variant is a copy of `dist` and `thread` in node_modules/.ab/<name>/ (made
// by `cp -r dist thread node_modules/.ab/<name>/` after building it); `current` is this package's dist.
// Prints, per variant, the median over rounds of the paired difference to the control alone (median, p95,
// control-thread CPU per request) with a 95 % bootstrap interval, beside the A/A band; and the load average.
import type { createShadowRunner as Create } from '@charter/rollout';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';

const variants = (process.env.AB ?? 'current').split(',');
const ROUNDS = Number(process.env.ROUNDS ?? 21);
const SEQUENTIAL = 100;
const CONCURRENT = 400;
const IN_FLIGHT = 8;
const load0 = loadavg();

function work(us: number): number {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  let x = 0;
  while (process.hrtime.bigint() < end) x++;
  return x;
}
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
const control = async (input: number): Promise<string> => {
  await delay(1);
  work(50);
  return `answer ${input}`;
};
const MODEL_SLOTS = 1024;
const modelRing = new Int32Array(new SharedArrayBuffer((MODEL_SLOTS + 2) * 4));
const modelChannel = new MessageChannel();
const modelThread = new Worker(
  `const { workerData } = require('node:worker_threads');
   const { performance } = require('node:perf_hooks');
   const q = workerData.ring, port = workerData.port, slots = ${MODEL_SLOTS};
   const pending = [];
   let read = 0;
   while (Atomics.load(q, slots + 1) === 0) {
     const written = Atomics.load(q, 0);
     const arrived = performance.now();
     for (; read < written; read++) pending.push([arrived + 1, q[1 + (read % slots)]]);
     while (pending.length > 0 && pending[0][0] <= performance.now()) port.postMessage(pending.shift()[1]);
     const wait = pending.length > 0 ? pending[0][0] - performance.now() : 1000;
     if (wait > 0) Atomics.wait(q, 0, written, wait);
   }`,
  { eval: true, workerData: { ring: modelRing, port: modelChannel.port2 }, transferList: [modelChannel.port2] },
);
const modelAnswers = new Map<number, () => void>();
modelChannel.port1.on('message', (id: number) => {
  modelAnswers.get(id)?.();
  modelAnswers.delete(id);
});
let modelCalls = 0;
const modelCall = (): Promise<void> =>
  new Promise((resolve) => {
    const id = modelCalls++;
    modelAnswers.set(id, resolve);
    modelRing[1 + (id % MODEL_SLOTS)] = id;
    Atomics.store(modelRing, 0, id + 1);
    Atomics.notify(modelRing, 0);
  });
const controlIo = async (input: number): Promise<string> => {
  await modelCall();
  work(50);
  return `answer ${input}`;
};
const threadCpuNs = existsSync('/proc/thread-self/schedstat')
  ? () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0])
  : () => performance.eventLoopUtilization().active * 1e6;

interface Serve {
  readonly serve: (i: number) => Promise<string>;
  readonly settle: () => Promise<void>;
}
interface RoundStats {
  readonly median: number;
  readonly p95: number;
  readonly cpuUs: number;
  /** The same without the settle (`idle()`): the requests' own share of this thread. */
  readonly cpuServeUs: number;
}
async function round(arm: Serve, n: number, concurrency: number): Promise<RoundStats> {
  const values: number[] = [];
  let next = 0;
  const cpuBefore = threadCpuNs();
  const client = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const start = process.hrtime.bigint();
      await arm.serve(i);
      values.push(Number(process.hrtime.bigint() - start) / 1000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const cpuServed = threadCpuNs();
  await arm.settle();
  return {
    median: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    cpuUs: (threadCpuNs() - cpuBefore) / 1000 / n,
    cpuServeUs: (cpuServed - cpuBefore) / 1000 / n,
  };
}
let seed = 0x2545f491;
function random01(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}
function difference(arm: readonly number[], reference: readonly number[]): { estimate: number; lower: number; upper: number } {
  const paired = arm.map((value, r) => value - (reference[r] ?? 0));
  const medians: number[] = [];
  for (let b = 0; b < 2000; b++) medians.push(median(paired.map(() => paired[Math.floor(random01() * paired.length)] ?? 0)));
  return { estimate: median(paired), lower: quantile(medians, 0.025), upper: quantile(medians, 0.975) };
}

const candidateModule = fileURLToPath(new URL('./shadow-candidate.mjs', import.meta.url));
const arms: Record<string, Serve> = {
  A1: { serve: control, settle: () => Promise.resolve() },
  A2: { serve: control, settle: () => Promise.resolve() },
  IA1: { serve: controlIo, settle: () => Promise.resolve() },
  IA2: { serve: controlIo, settle: () => Promise.resolve() },
};
const runners: Record<string, ReturnType<typeof Create<number, string>>> = {};
for (const variant of variants) {
  const url =
    variant === 'current'
      ? new URL('../dist/shadow.js', import.meta.url).href
      : pathToFileURL(fileURLToPath(new URL(`../node_modules/.ab/${variant}/dist/shadow.js`, import.meta.url))).href;
  const { createShadowRunner } = (await import(url)) as { createShadowRunner: typeof Create };
  for (const [prefix, ctl] of [
    ['W', control],
    ['IW', controlIo],
  ] as const) {
    const runner = createShadowRunner<number, string>({
      control: ctl,
      candidate: { module: candidateModule, options: { workUs: 50 } },
      noiseSampleRate: 0,
    });
    runners[`${prefix}:${variant}`] = runner;
    arms[`${prefix}:${variant}`] = { serve: (i) => runner.run(i), settle: () => runner.idle() };
  }
}
const names = Object.keys(arms);
const rounds: Record<'sequential' | 'concurrent', Record<string, RoundStats[]>> = { sequential: {}, concurrent: {} };
for (const name of names) {
  rounds.sequential[name] = [];
  rounds.concurrent[name] = [];
  await round(arms[name]!, 50, 1);
  await round(arms[name]!, 50, IN_FLIGHT);
}
const started = performance.now();
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, k) => names[(k + r) % names.length]!);
  for (const name of order) {
    rounds.sequential[name]!.push(await round(arms[name]!, SEQUENTIAL, 1));
    rounds.concurrent[name]!.push(await round(arms[name]!, CONCURRENT, IN_FLIGHT));
  }
}
const seconds = (performance.now() - started) / 1000;
const load1 = loadavg();
console.log(
  `${ROUNDS} rounds, ${seconds.toFixed(0)} s; load average ${load0.map((l) => l.toFixed(2)).join(' ')} → ${load1.map((l) => l.toFixed(2)).join(' ')}`,
);
const series = (mode: 'sequential' | 'concurrent', name: string, stat: keyof RoundStats): number[] =>
  rounds[mode][name]!.map((each) => each[stat]);
const fmt = (d: { estimate: number; lower: number; upper: number }): string =>
  `${d.estimate >= 0 ? '+' : ''}${d.estimate.toFixed(1)} [${d.lower.toFixed(1)}, ${d.upper.toFixed(1)}]`.padEnd(24);
const json: Record<string, number> = {};
for (const mode of ['sequential', 'concurrent'] as const) {
  for (const io of [false, true]) {
    const ref = io ? 'IA1' : 'A1';
    const aa = io ? 'IA2' : 'A2';
    const bands = Object.fromEntries(
      (['median', 'p95', 'cpuUs', 'cpuServeUs'] as const).map((stat) => {
        const d = difference(series(mode, aa, stat), series(mode, ref, stat));
        return [stat, Math.max(Math.abs(d.lower), Math.abs(d.upper))];
      }),
    );
    console.log(
      `${mode}, ${io ? 'I/O' : 'timer'} control: ${ref} median ${median(series(mode, ref, 'median')).toFixed(0)} µs, p95 ${median(series(mode, ref, 'p95')).toFixed(0)} µs; A/A band median ±${bands.median!.toFixed(1)}, p95 ±${bands.p95!.toFixed(1)}, CPU ±${bands.cpuUs!.toFixed(1)} (serving alone ±${bands.cpuServeUs!.toFixed(1)})`,
    );
    for (const name of names.filter((n) => n === aa || n.startsWith(io ? 'IW:' : 'W:'))) {
      const line = (['median', 'p95', 'cpuUs', 'cpuServeUs'] as const).map((stat) => {
        const d = difference(series(mode, name, stat), series(mode, ref, stat));
        json[`${name}:${mode}:${stat}`] = Math.round(d.estimate * 10) / 10;
        const within = Math.abs(d.estimate) <= bands[stat]!;
        return `${stat} ${fmt(d)}${name === aa ? ' ' : within ? ' ' : '!'}`;
      });
      console.log(`  ${name.padEnd(14)} ${line.join(' ')}`);
    }
  }
}
// Variants against the first one (paired per round: the shadow's common part, e.g. the worker thread's own
// activity, cancels out).
const first = variants[0]!;
for (const mode of ['sequential', 'concurrent'] as const)
  for (const prefix of ['W', 'IW'])
    for (const variant of variants.slice(1)) {
      const name = `${prefix}:${variant}`;
      const line = (['median', 'p95', 'cpuServeUs'] as const).map(
        (stat) => `${stat} ${fmt(difference(series(mode, name, stat), series(mode, `${prefix}:${first}`, stat)))}`,
      );
      console.log(`  ${mode.padEnd(10)} ${name.padEnd(14)} − ${prefix}:${first}: ${line.join(' ')}`);
    }
for (const [name, runner] of Object.entries(runners)) {
  const s = runner.summary();
  console.log(`  ${name}: ${s.comparisons} compared, ${s.agreements} agreed, shed ${s.shed}; handoff ${JSON.stringify(s.handoff)}`);
}
await Promise.all(Object.values(runners).map((runner) => runner.close()));
Atomics.store(modelRing, MODEL_SLOTS + 1, 1);
Atomics.notify(modelRing, 0);
await modelThread.terminate();
console.log(JSON.stringify(json));
