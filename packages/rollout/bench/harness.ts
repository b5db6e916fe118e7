// What the rollout bench (rollout.bench.ts) and its probes share: the controls they serve (a 1 ms model
// call as a timer, or as I/O through a model thread), the statistics (median, quantile, a seeded
// bootstrap of paired differences) and one round of requests with this thread's CPU per request.
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { MessageChannel, Worker } from 'node:worker_threads';

/** Busy work on this thread for `us` microseconds. */
export function work(us: number): number {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  let x = 0;
  while (process.hrtime.bigint() < end) x++;
  return x;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

/** The control: awaits a 1 ms "model call" (a timer) and does 50 µs of work. */
export const control = async (input: number): Promise<string> => {
  await delay(1);
  work(50);
  return `answer ${input}`;
};

// The same control whose model call is I/O, as a real one is (a socket): a round trip to a model thread
// that answers 1 ms after the request arrived. Its wake-up is an event on the control's loop, not a timer
// of its own: libuv computes a timer's wait in whole milliseconds from the moment the loop goes to sleep,
// so with the timer control any work the thread does while a request waits (the shadow's handoff) is
// added to that request in full; with I/O only work still running when the answer arrives delays it.
// The model thread keeps time with Atomics.wait (a futex timeout, not a millisecond timer), so the I/O
// control is not noisier than the timer one: requests go in through a shared ring (written, then
// Atomics.notify, like a socket write), answers come back as messages (the control's loop wakes on them).
const MODEL_SLOTS = 1024;

export interface IoModel {
  /** The control with its model call as I/O: a round trip to the model thread, then 50 µs of work. */
  readonly controlIo: (input: number) => Promise<string>;
  /** Stops the model thread. */
  readonly stop: () => Promise<void>;
}

export function startIoModel(): IoModel {
  const ring = new Int32Array(new SharedArrayBuffer((MODEL_SLOTS + 2) * 4)); // [0] written, [1..] ids, [last] stop
  const channel = new MessageChannel();
  const thread = new Worker(
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
    { eval: true, workerData: { ring, port: channel.port2 }, transferList: [channel.port2] },
  );
  const answers = new Map<number, () => void>();
  channel.port1.on('message', (id: number) => {
    answers.get(id)?.();
    answers.delete(id);
  });
  let calls = 0;
  const modelCall = (): Promise<void> =>
    new Promise((resolve) => {
      const id = calls++;
      answers.set(id, resolve);
      ring[1 + (id % MODEL_SLOTS)] = id;
      Atomics.store(ring, 0, id + 1);
      Atomics.notify(ring, 0);
    });
  return {
    controlIo: async (input) => {
      await modelCall();
      work(50);
      return `answer ${input}`;
    },
    stop: async () => {
      Atomics.store(ring, MODEL_SLOTS + 1, 1);
      Atomics.notify(ring, 0);
      channel.port1.close();
      await thread.terminate();
    },
  };
}

/** Where `threadCpuNs` reads from. */
export const cpuSource = existsSync('/proc/thread-self/schedstat') ? 'thread CPU, /proc/thread-self/schedstat' : 'event-loop busy time';

/** CPU time of this (the control's) thread so far, ns: the kernel's count for this thread alone (Linux); else the event loop's busy time. */
export const threadCpuNs: () => number = existsSync('/proc/thread-self/schedstat')
  ? () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0])
  : () => performance.eventLoopUtilization().active * 1e6;

/** An arm of the shadow comparison: how it serves a request, and how it waits for its shadow work. */
export interface Serve {
  readonly serve: (i: number) => Promise<string>;
  readonly settle: () => Promise<void>;
  /** Batches (or ring records) the arm's shadow has handed over so far, when it has a worker. */
  readonly handoffs?: () => number;
}

export interface RoundStats {
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
  /** This thread's CPU per request (µs), the settle included. */
  readonly cpuUs: number;
  /** The same without the settle: the requests' own share of this thread. */
  readonly cpuServeUs: number;
  /** Handoffs made while the requests were served (inside the latency window), not by the settle. */
  readonly handoffsServing: number;
}

/** `n` requests with `concurrency` in flight: latency median and p95 (µs), this thread's CPU per request (µs). */
export async function round(arm: Serve, n: number, concurrency: number): Promise<RoundStats> {
  const values: number[] = [];
  let next = 0;
  const cpuBefore = threadCpuNs();
  const handoffsBefore = arm.handoffs?.() ?? 0;
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
  const handoffsServing = (arm.handoffs?.() ?? 0) - handoffsBefore;
  await arm.settle();
  return {
    median: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    p99: quantile(values, 0.99),
    cpuUs: (threadCpuNs() - cpuBefore) / 1000 / n,
    cpuServeUs: (cpuServed - cpuBefore) / 1000 / n,
    handoffsServing,
  };
}

export interface Difference {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

// Seeded bootstrap (reproducible): 95 % interval of the median of per-round paired differences.
let seed = 0x2545f491;
function random01(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}

/**
 * The arms of one round in a shuffled order (Fisher–Yates on a generator seeded by the round: the same
 * orders on every run). Not a rotation: in a fixed cycle each arm always follows the same one (carry-over
 * from a neighbour is not balanced) and the A/A pair sits side by side, so slow drift reaches their
 * difference less than it reaches an arm's difference to A1 — the band would understate the noise.
 */
export function shuffled<T>(items: readonly T[], round: number): T[] {
  let state = (0x9e3779b9 ^ Math.imul(round + 1, 0x85ebca6b)) >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const order = [...items];
  for (let index = order.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [order[index], order[other]] = [order[other] as T, order[index] as T];
  }
  return order;
}

/** The median of the per-round differences `arm − reference`, with a 95 % bootstrap interval. */
export function difference(arm: readonly number[], reference: readonly number[]): Difference {
  const paired = arm.map((value, r) => value - (reference[r] ?? 0));
  const medians: number[] = [];
  for (let b = 0; b < 2000; b++) medians.push(median(paired.map(() => paired[Math.floor(random01() * paired.length)] ?? 0)));
  return { estimate: median(paired), lower: quantile(medians, 0.025), upper: quantile(medians, 0.975) };
}
