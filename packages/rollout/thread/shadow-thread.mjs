// The shadow's worker: a child Node process (`isolation: 'process'`, the shadow runner's default) or a
// worker thread (`'thread'`). Plain JavaScript: Node loads it with its own loader, in tests and in
// production alike. It imports the candidate's module, calls its factory once with the cloneable
// options, and serves the shadow samples the control's thread writes into the shared ring (a thread
// collects them itself, below; a process gets them from the relay thread that started it, as `records`
// messages) and the messages of the control's thread (a process gets them over its IPC channel,
// `advanced` serialisation, its settings in a first `init` message):
// - `records`: the ring's records as the relay took them out (thread/ring.mjs), each a batch or a sample;
// - `batch`: shadow samples as two columns, the inputs and the control's comparables (or string results,
//   made comparable here: `comparableOf`). Each input runs through the
//   candidate; the comparison with the control happens HERE, and only small reports (verdict, duration,
//   the factory's observation) go back, a batch at a time (every `reportIntervalMs`, or at
//   `reportBatch` reports) — with `countsOnly`, how many of each layer and agreement — so the control's
//   thread is woken rarely and never compares;
// - `call`: one input whose result goes back as is (`workerCandidate(...).run`).
// A call past `timeoutMs` is reported (`timeout`) and the control's thread terminates this worker; a
// runaway loop that blocks this thread is caught there by a watchdog.
import process from 'node:process';
import { deserialize } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import { comparableOf, comparableProblem, compareLayers, defaultComparable } from './compare.mjs';
import { unpack } from './pack.mjs';
import { lowerPriority } from './priority.mjs';
import { eachRecord, pollRing, ringViews, takeRecords } from './ring.mjs';

// A child process talks over its IPC channel; it ends when the channel does (its parent exited or closed it).
// Messages that arrive (in the same read as `init`) before this module has set its listener up wait in
// `early`: the IPC channel emits every message of a read at once.
const inProcess = parentPort === null;
let early = [];
let listener;
const port = inProcess
  ? {
      postMessage: (value) => process.send(value),
      on: (_event, handle) => {
        listener = handle;
        for (const each of early) handle(each);
        early = [];
      },
    }
  : parentPort;
if (inProcess)
  process.on('uncaughtException', (error) => {
    try {
      process.send({ type: 'crashed', message: error instanceof Error ? error.message : String(error) }, () => process.exit(1));
    } catch {
      process.exit(1);
    }
  });
const settings = inProcess
  ? await new Promise((resolve) => {
      process.on('disconnect', () => process.exit(0));
      process.on('message', (received) => {
        if (received?.type === 'init') resolve(received.data);
        else if (listener === undefined) early.push(received);
        else listener(received);
      });
    })
  : workerData;
const {
  module,
  exportName,
  options,
  timeoutMs,
  reportIntervalMs,
  reportBatch,
  judgeOnMain,
  countsOnly,
  progress,
  lowPriority,
  ring,
  pollMs,
  parkAfterMs,
} = settings;
// Samples finished so far: a thread's control reads it from shared memory for backpressure without
// waiting for a report; a process sends it with each report.
const finished = new Int32Array(progress ?? new SharedArrayBuffer(4));

const message = (error) => (error instanceof Error ? error.message : String(error));

// This thread lowers its CPU priority (`lowPriority`, thread/priority.mjs; a process: every thread of it)
// before anything else: the candidate's module is imported only once it is set, so no sample runs at the
// process priority.
const lowered = lowerPriority(lowPriority, inProcess).then((applied) => {
  port.postMessage({ type: 'priority', ...applied });
});

const ready = lowered
  .then(() => import(module))
  .then(async (loaded) => {
    const factory = loaded[exportName];
    if (typeof factory !== 'function') throw new Error(`the shadow candidate module ${module} has no function export "${exportName}"`);
    const made = await factory(options);
    if (typeof made === 'function') return { run: made };
    if (typeof made === 'object' && made !== null && typeof made.run === 'function') return made;
    throw new Error(
      `the factory "${exportName}" of ${module} must return a function (input) => Promise<result> or { run, comparable?, observation?, judge? }`,
    );
  });
ready.catch(() => undefined);

let running = 0;
let drainWanted = false;
let reports = [];
let reportTimer;

// Reports travel compactly: one byte per report (layer and agreement), one float (duration), and an
// object only for the reports that carry a detail, an observation or a pair for the judge, so the
// control's thread spends next to nothing deserialising them.
const LAYERS = ['exact', 'normalised-text', 'actions', 'judge', 'unresolved', 'error'];

/** A report's layer and agreement as one small number (what the control's thread decodes). */
const codeOf = ({ layer, agree }) => LAYERS.indexOf(layer) * 2 + (agree ? 1 : 0);

// `countsOnly` (the runner needs no detail, duration or observation per sample): what goes back is how
// many reports of each code, twelve numbers, whatever the batch's size — the control's thread adds them
// up in constant time.
const counts = new Array(LAYERS.length * 2).fill(0);
/** Reports waiting to be sent: as reports, or as counts (their sum). */
const waiting = () => (countsOnly ? counts.reduce((sum, n) => sum + n, 0) : reports.length);

function flush() {
  if (reportTimer !== undefined) clearTimeout(reportTimer);
  reportTimer = undefined;
  if (countsOnly) {
    if (waiting() === 0) return;
    const message = { type: 'counts', counts: [...counts] };
    counts.fill(0);
    port.postMessage(inProcess ? { ...message, finished: finished[0] } : message);
    return;
  }
  if (reports.length === 0) return;
  const codes = new Uint8Array(reports.length);
  const durations = new Float64Array(reports.length);
  const extras = [];
  for (const [index, entry] of reports.entries()) {
    const { durationMs, detail, observation, judge } = entry;
    codes[index] = codeOf(entry);
    durations[index] = durationMs;
    if (detail !== undefined || observation !== undefined || judge !== undefined) extras.push({ index, detail, observation, judge });
  }
  reports = [];
  if (inProcess) port.postMessage({ type: 'reports', codes, durations, extras, finished: finished[0] });
  else port.postMessage({ type: 'reports', codes, durations, extras }, [codes.buffer, durations.buffer]);
}

function report(entry) {
  if (countsOnly) counts[codeOf(entry)]++;
  else reports.push(entry);
  if (waiting() >= reportBatch) flush();
  else reportTimer ??= setTimeout(flush, reportIntervalMs);
}

function settled() {
  running--;
  Atomics.add(finished, 0, 1);
  if (running === 0 && drainWanted) {
    drainWanted = false;
    flush();
    port.postMessage({ type: 'drained', finished: finished[0] });
  }
}

/** Runs one input through the candidate within `timeoutMs`; on a timeout this worker asks to be ended. */
async function runCandidate(candidate, input) {
  let timer;
  try {
    return await Promise.race([
      candidate.run(input),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          flush();
          port.postMessage({ type: 'timeout' });
          reject(new Error(`did not answer within ${String(timeoutMs)} ms`));
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function sample({ input, control: handed }) {
  const control = comparableOf(handed);
  const started = performance.now();
  let result;
  let candidate;
  try {
    candidate = await ready;
    result = await runCandidate(candidate, input);
  } catch (error) {
    report({
      agree: false,
      layer: 'error',
      detail: `the shadow candidate failed: ${message(error)}`,
      durationMs: performance.now() - started,
    });
    return;
  }
  const durationMs = performance.now() - started;
  try {
    const observation = candidate.observation === undefined ? undefined : await candidate.observation(result);
    const comparable = candidate.comparable === undefined ? defaultComparable(result) : await candidate.comparable(result);
    const problem = comparableProblem(comparable);
    if (problem !== undefined) {
      report({ agree: false, layer: 'error', detail: `the shadow candidate's result is malformed: ${problem}`, durationMs, observation });
      return;
    }
    const verdict = compareLayers(control, comparable);
    if (verdict.layer === 'unresolved' && candidate.judge !== undefined) {
      const judged = await candidate.judge(control, comparable);
      report({ agree: judged.agree === true, layer: 'judge', detail: judged.detail, durationMs, observation });
    } else if (verdict.layer === 'unresolved' && judgeOnMain) {
      // The runner's judge is a function on the control's thread: only this rare case sends the pair back.
      report({ ...verdict, durationMs, observation, judge: { control, candidate: comparable } });
    } else report({ ...verdict, durationMs, observation });
  } catch (error) {
    report({ agree: false, layer: 'error', detail: `the shadow candidate's result could not be compared: ${message(error)}`, durationMs });
  }
}

/** Starts a batch: columns, not one object per sample (half the serialising work on the control's thread). */
function startBatch(inputs, controls) {
  for (let index = 0; index < inputs.length; index++) {
    running++;
    void sample({ input: inputs[index], control: controls[index] }).finally(settled);
  }
}

// The shared handoff: the control's thread writes samples into a ring in shared memory and never posts
// or wakes a worker for them. A thread collects from the ring itself, on its own timer (thread/ring.mjs:
// every `pollMs` while samples flow, parked after `parkAfterMs` with nothing to do, woken once by the
// next write); a process cannot share this memory, so a relay thread in the control's process
// (thread/relay.mjs) collects for it and sends the records on as they are (`records` messages).
/** Starts the samples of the records in a copy taken from the ring. */
function startRecords(chunk) {
  eachRecord(chunk, (payload, encoding) => {
    if (encoding === 2) {
      // One sample, `[input, control]` (the runner's per-request handoff).
      const [input, control] = unpack(payload);
      running++;
      void sample({ input, control }).finally(settled);
      return;
    }
    const { inputs, controls } = encoding === 1 ? deserialize(payload) : unpack(payload);
    startBatch(inputs, controls);
  });
}

const views = ring === undefined ? undefined : ringViews(ring);

/** Takes every record written so far out of the ring and starts its samples; whether there was any. */
function collect() {
  if (views === undefined) return false;
  const chunk = takeRecords(views);
  if (chunk === undefined) return false;
  startRecords(chunk);
  return true;
}

if (views !== undefined) pollRing(views, { pollMs, parkAfterMs, collect, busy: () => running > 0 });

port.on('message', (received) => {
  switch (received.type) {
    case 'records':
      startRecords(received.bytes);
      return;
    case 'batch':
      collect(); // what was written to the ring before this message came first
      startBatch(received.inputs, received.controls);
      return;
    case 'drain':
      collect();
      if (running === 0) {
        flush();
        port.postMessage({ type: 'drained', finished: finished[0] });
      } else drainWanted = true;
      return;
    case 'call': {
      const { id, input } = received;
      void (async () => {
        try {
          const candidate = await ready;
          const result = await runCandidate(candidate, input);
          port.postMessage({ type: 'result', id, ok: true, result });
        } catch (error) {
          port.postMessage({ type: 'result', id, ok: false, error: message(error) });
        }
      })();
      return;
    }
  }
});
