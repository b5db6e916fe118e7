// Probe (not part of `npm run bench`), `npx tsx bench/reaction-parts.probe.ts` after a build: two parts of
// the shadow runner's per-request reaction on their own, in this process.
// 1. How a microtask is queued, hot (100,000 requests of an already-settled promise per run, 7 interleaved rounds):
//    `queueMicrotask` (Node makes an AsyncResource per call) against `.then` on a settled promise (the
//    runner's way since this probe), with the reaction on the request's promise registered from it.
// 2. Staging samples into the shared ring cold, as the runner does after each request's wait: every 1 ms
//    (a timer, then 50 µs of work, as the bench's control), 16 samples packed and staged one after
//    another (`packPairInto` + `RingWriter.stageWords`, what `stageOne` does), each call timed: the first
//    of each burst (cold) against the others (warm), with the ring's pages fresh (the first lap: a page
//    fault every 4 KiB) and touched beforehand; the control's side a string result as it is (what the
//    runner hands over without a comparable function) or the `{ text }` made of it on this thread, in
//    alternate bursts. Ends with one JSON line of the medians.
import { setTimeout as delay } from 'node:timers/promises';
import { defaultComparable } from '../thread/compare.mjs';
import { packedWords, packPairInto } from '../thread/pack.mjs';
import { RingWriter } from '../dist/shadow-worker.js';
import { median, quantile, shuffled, work } from './harness.js';

const noop = (): void => undefined;
const settled = Promise.resolve();
const schedulers: Record<string, (pending: Promise<number>) => void> = {
  'no reaction': () => undefined,
  queueMicrotask: (pending) => {
    queueMicrotask(() => {
      void pending.then(noop, noop);
    });
  },
  'settled.then': (pending) => {
    void settled.then(() => {
      void pending.then(noop, noop);
    });
  },
};
// Interleaved: 7 rounds, each scheduler once per round in a shuffled order (harness.ts); the median per scheduler.
const N = 100_000;
const names = Object.keys(schedulers);
const perRequest: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
for (let round = 0; round < 7; round++)
  for (const name of shuffled(names, round)) {
    const schedule = schedulers[name];
    if (schedule === undefined) continue;
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const pending = Promise.resolve(i);
      schedule(pending);
      await pending;
    }
    await new Promise((resolve) => setImmediate(resolve));
    perRequest[name]?.push(Number(process.hrtime.bigint() - start) / N);
  }
for (const name of names) {
  const values = perRequest[name] ?? [];
  console.log(`${name.padEnd(16)} median ${median(values).toFixed(0)} ns per request (${values.map((ns) => ns.toFixed(0)).join(' ')})`);
}

/** A 1 MiB ring like a worker's, its pages fresh (as in the ring's first lap) or touched beforehand. */
function ring(untouched: boolean): RingWriter {
  const writer = new RingWriter(1 << 20);
  if (!untouched) new Uint8Array(writer.buffers.data).fill(0);
  return writer;
}
const keys: Record<string, string> = { 'no reaction': 'noReactionNs', queueMicrotask: 'queueMicrotaskNs', 'settled.then': 'settledThenNs' };
const headline: Record<string, number> = Object.fromEntries(
  names.map((name) => [keys[name] ?? name, Math.round(median(perRequest[name] ?? []))]),
);
// What a sample's control side is: a string result as it is (the runner's way without a comparable
// function), or the `{ text }` made of it on this thread (a comparable function's way, and the runner's
// before) — bursts of each in turn, each into its own ring.
const forms = { String: (text: string): unknown => text, Object: (text: string): unknown => defaultComparable(text) };
for (const [run, untouched] of [true, false, true, false].entries()) {
  const writers = { String: ring(untouched), Object: ring(untouched) };
  const first: Record<keyof typeof forms, number[]> = { String: [], Object: [] };
  const rest: Record<keyof typeof forms, number[]> = { String: [], Object: [] };
  let sample = 0;
  for (let burst = 0; burst < 3_000; burst++) {
    await delay(1);
    work(50);
    const form = burst % 2 === 0 ? 'String' : 'Object';
    const writer = writers[form];
    for (let k = 0; k < 16; k++) {
      const text = `answer ${sample}`;
      const start = process.hrtime.bigint();
      const length = packPairInto(sample, forms[form](text));
      const written = writer.stageWords(packedWords(), length);
      const ns = Number(process.hrtime.bigint() - start);
      sample++;
      if (written !== 'ok') throw new Error(`the probe's ring: ${written}`);
      if (burst >= 200) (k === 0 ? first : rest)[form].push(ns);
    }
    if (burst % 200 === 199)
      for (const each of Object.values(writers)) {
        // What the relay does: take what was published (here: everything, at once).
        each.publish();
        const header = new Int32Array(each.buffers.header);
        Atomics.store(header, 1, Atomics.load(header, 0));
      }
  }
  const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const pages = untouched ? 'Fresh' : 'Touched';
  for (const form of ['String', 'Object'] as const) {
    headline[`stage${form}First${pages}${run >> 1}Ns`] = Math.round(median(first[form]));
    headline[`stage${form}Next${pages}${run >> 1}Ns`] = Math.round(median(rest[form]));
    console.log(
      `staging, control side ${form === 'String' ? 'the string result   ' : '{ text } made of it'}, ring pages ${untouched ? 'fresh  ' : 'touched'}: first of 16 median ${median(first[form]).toFixed(0)} ns (p90 ${quantile(first[form], 0.9).toFixed(0)}, mean ${mean(first[form]).toFixed(0)}); the others median ${median(rest[form]).toFixed(0)} ns, p99 ${quantile(rest[form], 0.99).toFixed(0)}, mean ${mean(rest[form]).toFixed(0)}`,
    );
  }
}
console.log(JSON.stringify(headline));
