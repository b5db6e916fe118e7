// `npx tsx bench/shadow-handoff.probe.ts` (after a build): where the shadow's p95 comes from. The control
// (as in rollout.bench.ts: a 1 ms timer "model call", then 50 µs of work; MODEL=thread: the model call
// is a round trip to a model thread that answers after 1 ms instead) runs through shadow runners
// with worker candidates at each priority, interleaved in rotated order, one request after another
// (CONC=8: 8 in flight). Every postMessage to a worker is counted and timed (Worker.prototype.postMessage
// wrapped: a probe, not a benchmark), so each request is known to hold a handoff in its wait or not.
// Printed per arm: the median over rounds of (median wait of requests holding a handoff − median wait
// of the others, same arm, same round), the share of requests holding one; and postMessage's wall time.
import { createShadowRunner } from '@charter/rollout';
import { loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';

let posts = 0;
const postUs: number[] = [];
const post: (this: Worker, ...args: Parameters<Worker['postMessage']>) => void = Object.getOwnPropertyDescriptor(
  Worker.prototype,
  'postMessage',
)?.value;
Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>): void {
  posts++;
  const start = process.hrtime.bigint();
  post.apply(this, args);
  postUs.push(Number(process.hrtime.bigint() - start) / 1000);
};

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
  const before = posts;
  const start = process.hrtime.bigint();
  await (model === undefined ? delay(1) : modelCall());
  (posts === before ? others : holding).push(Number(process.hrtime.bigint() - start) / 1000);
  work(50);
  return `answer ${input}`;
};

const module = fileURLToPath(new URL('./shadow-candidate.mjs', import.meta.url));
const runners = {
  'SCHED_IDLE, candidate like the control': createShadowRunner<number, string>({
    control,
    candidate: { module, options: { workUs: 50 } },
    noiseSampleRate: 0,
  }),
  'nice 19, candidate like the control': createShadowRunner<number, string>({
    control,
    candidate: { module, options: { workUs: 50 }, lowPriority: 'nice' },
    noiseSampleRate: 0,
  }),
  'SCHED_IDLE, candidate waits 3 ms, no work': createShadowRunner<number, string>({
    control,
    candidate: { module, options: { workUs: 0, delayMs: 3 } },
    noiseSampleRate: 0,
  }),
};
type Name = keyof typeof runners;
const names = Object.keys(runners) as Name[];
const concurrency = Number(process.env.CONC ?? 1);
const requests = concurrency === 1 ? 200 : 800;
const results = Object.fromEntries(names.map((name) => [name, [] as { extraUs: number; share: number }[]])) as Record<
  Name,
  { extraUs: number; share: number }[]
>;
const load = loadavg()[0] ?? 0;
for (let round = 0; round < 16; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + round) % names.length]!;
    holding = [];
    others = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) await runners[name].run(next++);
      }),
    );
    await runners[name].idle();
    if (round > 0) results[name].push({ extraUs: median(holding) - median(others), share: holding.length / requests });
  }
}
console.log(
  `model call: ${model === undefined ? '1 ms timer' : 'round trip to a model thread answering after 1 ms'}; requests ${concurrency === 1 ? 'one after another' : `${concurrency} in flight`}; load average ${load.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}`,
);
for (const name of names)
  console.log(
    `  ${name.padEnd(44)} requests holding a handoff wait +${median(results[name].map((r) => r.extraUs)).toFixed(1)} µs more; ${(
      median(results[name].map((r) => r.share)) * 100
    ).toFixed(1)} % of requests hold one`,
  );
const sorted = [...postUs].sort((a, b) => a - b);
console.log(
  `  postMessage to the worker (wall): median ${median(postUs).toFixed(1)} µs, p90 ${(sorted[Math.floor(sorted.length * 0.9)] ?? 0).toFixed(1)} µs, ${postUs.length} posts`,
);
await Promise.all(Object.values(runners).map((runner) => runner.close()));
modelChannel.port1.close();
await model?.terminate();
