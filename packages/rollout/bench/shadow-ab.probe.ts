// `npx tsx bench/shadow-ab.probe.ts` (after a build; AB=name,name,... variant builds): the bench's shadow
// arms (rollout.bench.ts: timer control and I/O control, each with its own A/A pair) for several builds of
// the runner in ONE process, interleaved (each round in a shuffled order), so code variants are compared under the same
// load and on the same CPU. A variant is a copy of `dist` and `thread` in node_modules/.ab/<name>/ (made
// by `cp -r dist thread node_modules/.ab/<name>/` after building it); `current` is this package's dist.
// Prints, per variant, the median over rounds of the paired difference to the control alone (median, p95,
// control-thread CPU per request) with a 95 % bootstrap interval, beside the A/A band; and the load average.
// WORK_US sets the candidate's CPU work per sample (default 50 µs, as the bench's; 0: does the candidate's work reach the control?);
// SEQUENTIAL and CONCURRENT the requests per arm and round (default 100 and 400; the bench's 300 and 2,000).
import type { createShadowRunner as Create } from '@charter/rollout';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { control, difference, median, round, shuffled, startIoModel, type RoundStats, type Serve } from './harness.js';

const variants = (process.env.AB ?? 'current').split(',');
const ROUNDS = Number(process.env.ROUNDS ?? 21);
// Requests per arm and round: one after another, and 8 in flight (the bench's own rounds are 300 / 2,000).
const SEQUENTIAL = Number(process.env.SEQUENTIAL ?? 100);
const CONCURRENT = Number(process.env.CONCURRENT ?? 400);
const IN_FLIGHT = 8;
const load0 = loadavg();

const { controlIo, stop: stopIoModel } = startIoModel();

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
      candidate: { module: candidateModule, options: { workUs: Number(process.env.WORK_US ?? 50) } },
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
  for (const name of shuffled(names, r)) {
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
await stopIoModel();
console.log(JSON.stringify(json));
