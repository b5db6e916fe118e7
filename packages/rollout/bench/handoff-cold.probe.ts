// `npx tsx bench/handoff-cold.probe.ts` (after a build; N=64 for 64-sample batches): what one handoff
// costs the control's thread when it runs, as in the shadow runner, once every ~20 requests of a 1 ms
// timer and 50 µs of work (its code is cold by then), against the same operation run again right after
// (warm). Each way in turn, interleaved; wall time of the operation alone, median and p25/p90:
// v8.serialize into the shared ring, pack (thread/pack.mjs) into the ring, structuredClone, postMessage
// of the batch and of a bare number to an idle worker, and nothing (building the batch only).
import { loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { pack } from '../thread/pack.mjs';
import { RingWriter } from '../src/shadow-worker.js';

const N = Number(process.env.N ?? 20);
const worker = new Worker(`require('node:worker_threads').parentPort.on('message', () => {})`, { eval: true });
const ring = new RingWriter(1 << 20);
const header = new Int32Array(ring.buffers.header);
const consume = (): void => {
  Atomics.store(header, 1, Atomics.load(header, 0));
};
const batch = (): { inputs: number[]; controls: { text: string }[] } => {
  const inputs: number[] = [];
  const controls: { text: string }[] = [];
  for (let index = 0; index < N; index++) {
    inputs.push(index);
    controls.push({ text: `answer ${index}` });
  }
  return { inputs, controls };
};
const ways: Record<string, (value: ReturnType<typeof batch>) => unknown> = {
  'v8.serialize into the ring': (value) => ring.write(serialize(value)),
  'pack into the ring': (value) => ring.write(pack(value) ?? new Uint8Array(), 'pack'),
  structuredClone: (value) => structuredClone(value),
  'postMessage of the batch': (value) => {
    worker.postMessage(value);
  },
  'postMessage of a number': () => {
    worker.postMessage(1);
  },
  'nothing (the batch built)': () => 0,
};
const names = Object.keys(ways);
const cold: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const warm: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const now = (): number => Number(process.hrtime.bigint()) / 1000;
function work(us: number): void {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  while (process.hrtime.bigint() < end);
}
for (let index = 0; index < 2_000; index++) {
  for (const name of names) ways[name]?.(batch());
  consume();
  if (index % 100 === 0) await delay(1);
}
const load = loadavg()[0] ?? 0;
for (let round = 0; round < names.length * 100; round++) {
  for (let request = 0; request < 20; request++) {
    await delay(1);
    work(50);
  }
  const name = names[round % names.length] ?? '';
  const first = batch();
  const second = batch();
  let start = now();
  ways[name]?.(first);
  cold[name]?.push(now() - start);
  start = now();
  ways[name]?.(second);
  warm[name]?.push(now() - start);
  consume();
}
const quantile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * q)] ?? 0;
console.log(
  `${N}-sample batches; an operation every 20 requests (1 ms timer + 50 µs work); load average ${load.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}`,
);
for (const name of names) {
  const c = cold[name] ?? [];
  const w = warm[name] ?? [];
  console.log(
    `  ${name.padEnd(28)} cold median ${quantile(c, 0.5).toFixed(1).padStart(5)} µs (p25 ${quantile(c, 0.25).toFixed(1)}, p90 ${quantile(c, 0.9).toFixed(1)}); right after it ${quantile(w, 0.5).toFixed(1)} µs`,
  );
}
await worker.terminate();
