// `npx tsx bench/shadow-handoff.probe.ts` (after a build): where the shadow's p95 comes from. The control
// (as in rollout.bench.ts: a 1 ms timer "model call", then 50 µs of work; MODEL=thread: the model call
// is a round trip to a model thread that answers after 1 ms instead) runs through shadow runners
// with worker candidates at each priority and each handoff (the shared ring, the default; a postMessage
// per batch), interleaved in rotated order, one request after another (CONC=8: 8 in flight). Every
// handoff (the runner's check-phase dispatch: `setImmediate` wrapped, a probe, not a benchmark) is
// counted and timed on the control's thread, so each request is known to hold a handoff in its wait or
// not. Printed per arm: the median over rounds of (median wait of requests holding a handoff − median
// wait of the others, same arm, same round), the share of requests holding one, and the handoff's wall
// time (serialising the batch and writing it to the ring, or posting it).
import { createShadowRunner } from '@charter/rollout';
import { loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { ShadowWorkerOptions } from '@charter/rollout';

let handoffs = 0;
let handoffUs: number[] = [];
const immediate = globalThis.setImmediate;
globalThis.setImmediate = ((callback: (...args: unknown[]) => void, ...args: unknown[]) =>
  immediate(
    callback.name === 'dispatch'
      ? () => {
          handoffs++;
          const start = process.hrtime.bigint();
          callback(...args);
          handoffUs.push(Number(process.hrtime.bigint() - start) / 1000);
        }
      : callback,
    ...args,
  )) as typeof setImmediate;

function work(us: number): number {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  let x = 0;
  while (process.hrtime.bigint() < end) x++;
  return x;
}
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

let holding: number[] = [];
let others: number[] = [];
// MODEL=thread: the "model call" is a round trip to a model thread that answers after 1 ms (the control
// waits for a message, as for a socket, not for a timer of its own); default: a 1 ms timer, as in the bench.
const modelChannel = new MessageChannel();
const model =
  process.env.MODEL === 'thread'
    ? new Worker(
        `const { workerData } = require('node:worker_threads');
   workerData.port.on('message', (id) => setTimeout(() => workerData.port.postMessage(id), 1));`,
        { eval: true, workerData: { port: modelChannel.port2 }, transferList: [modelChannel.port2] },
      )
    : undefined;
const answers = new Map<number, () => void>();
modelChannel.port1.on('message', (id: number) => {
  answers.get(id)?.();
  answers.delete(id);
});
let calls = 0;
const modelCall = (): Promise<void> => {
  const id = calls++;
  return new Promise((resolve) => {
    answers.set(id, resolve);
    modelChannel.port1.postMessage(id);
  });
};
const control = async (input: number): Promise<string> => {
  const before = handoffs;
  const start = process.hrtime.bigint();
  await (model === undefined ? delay(1) : modelCall());
  (handoffs === before ? others : holding).push(Number(process.hrtime.bigint() - start) / 1000);
  work(50);
  return `answer ${input}`;
};

const module = fileURLToPath(new URL('./shadow-candidate.mjs', import.meta.url));
const runner = (candidate: Omit<ShadowWorkerOptions, 'module'>) =>
  createShadowRunner<number, string>({ control, candidate: { module, ...candidate }, noiseSampleRate: 0 });
const runners = {
  'SCHED_IDLE, like the control, shared ring': runner({ options: { workUs: 50 } }),
  'SCHED_IDLE, like the control, postMessage': runner({ options: { workUs: 50 }, handoff: 'message' }),
  'nice 19, like the control, shared ring': runner({ options: { workUs: 50 }, lowPriority: 'nice' }),
  'SCHED_IDLE, waits 3 ms, no work, shared ring': runner({ options: { workUs: 0, delayMs: 3 } }),
  'SCHED_IDLE, waits 3 ms, no work, postMessage': runner({ options: { workUs: 0, delayMs: 3 }, handoff: 'message' }),
};
type Name = keyof typeof runners;
const names = Object.keys(runners) as Name[];
const concurrency = Number(process.env.CONC ?? 1);
const requests = concurrency === 1 ? 200 : 800;
const results = Object.fromEntries(names.map((name) => [name, [] as { extraUs: number; share: number }[]])) as Record<
  Name,
  { extraUs: number; share: number }[]
>;
const costs = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
const load = loadavg()[0] ?? 0;
for (let round = 0; round < 16; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + round) % names.length]!;
    holding = [];
    others = [];
    handoffUs = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) await runners[name].run(next++);
      }),
    );
    await runners[name].idle();
    if (round > 0) {
      results[name].push({ extraUs: median(holding) - median(others), share: holding.length / requests });
      costs[name].push(...handoffUs);
    }
  }
}
console.log(
  `model call: ${model === undefined ? '1 ms timer' : 'round trip to a model thread answering after 1 ms'}; requests ${concurrency === 1 ? 'one after another' : `${concurrency} in flight`}; load average ${load.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}`,
);
for (const name of names) {
  const sorted = [...costs[name]].sort((a, b) => a - b);
  const handoff = runners[name].summary().handoff;
  console.log(
    `  ${name.padEnd(46)} requests holding a handoff wait ${median(results[name].map((r) => r.extraUs))
      .toFixed(1)
      .padStart(6)} µs more; ${(median(results[name].map((r) => r.share)) * 100).toFixed(
      1,
    )} % hold one; handoff on the control's thread median ${median(sorted).toFixed(1)} µs, p90 ${(
      sorted[Math.floor(sorted.length * 0.9)] ?? 0
    ).toFixed(1)} µs (${sorted.length}); ${handoff?.ringBatches ?? 0} ring / ${handoff?.postedBatches ?? 0} posted batches, ${
      handoff?.droppedSamples ?? 0
    } dropped, ${handoff?.wakes ?? 0} wakes`,
  );
}
await Promise.all(Object.values(runners).map((runner) => runner.close()));
modelChannel.port1.close();
await model?.terminate();
