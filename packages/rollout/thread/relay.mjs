// The relay between the shared ring and a worker process (`isolation: 'process'` with the shared
// handoff): a small worker thread in the control's process that starts the worker process, collects the
// records the control's thread writes into the ring (on its own timer: thread/ring.mjs) and sends them on
// over the process's IPC channel as they are — so the control's thread does a few hundred nanoseconds
// per request (packing one sample into the ring) and never serialises a batch, writes to a pipe, or
// spawns a process. It does no work of its own on the samples (it does not even unpack them): its
// isolate stays small, so V8's threads it shares with the control's stay idle.
// It runs at the shadow's CPU priority (the process's `lowPriority`, from its settings: SCHED_IDLE by default, thread/priority.mjs), set
// before it spawns the process (which starts at it too): the relay's own work — copying records out of
// the ring, serialising them onto the pipe, forwarding reports — gives way at once to the control's
// threads when they wake (`relay-priority` says what the kernel applied).
// Messages: from the control's thread, `batch` / `drain` (forwarded after the ring's records, so order is
// kept) and `kill` (SIGKILL the process; `gone` once it is); to it, the process's messages as they come
// (its finished count also stored in shared memory at once, for backpressure), `spawned` with the pid,
// `exit` when the process ended.
import { spawn } from 'node:child_process';
import process from 'node:process';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerPriority } from './priority.mjs';
import { pollRing, ringViews, takeRecords } from './ring.mjs';

const { ring, progress, execArgv, script, init, pollMs, parkAfterMs } = workerData;
const finished = new Int32Array(progress);
const views = ringViews(ring);

parentPort.postMessage({ type: 'relay-priority', ...(await lowerPriority(init.lowPriority, false)) });

const child = spawn(process.execPath, [...execArgv, script], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  serialization: 'advanced',
});
let exited = false;
let killed = false;
const gone = () => {
  if (killed) parentPort.postMessage({ type: 'gone' });
};
if (child.pid !== undefined) parentPort.postMessage({ type: 'spawned', pid: child.pid });
child.on('error', (error) => {
  parentPort.postMessage({ type: 'crashed', message: error.message });
  // Not started at all (no pid): no 'exit' will follow.
  if (child.pid === undefined) {
    exited = true;
    gone();
  }
});
child.on('exit', (code, signal) => {
  exited = true;
  parentPort.postMessage({ type: 'exit', code, signal });
  gone();
});
child.on('message', (message) => {
  if (typeof message?.finished === 'number') Atomics.store(finished, 0, message.finished);
  parentPort.postMessage(message);
});

/** A send the channel could not deliver (the process is ending: EPIPE): dropped — its 'exit' says why, not a write error. */
const undelivered = () => undefined;
/** Sends a message to the process; one that cannot be delivered (the channel closed) is dropped: the process's exit or error reports the failure. */
const send = (message) => {
  if (exited || !child.connected) return;
  try {
    // With a callback, a failed write goes to it instead of the process's 'error' event, which would
    // report the worker as crashed with the write's error before its exit (a race the tests saw).
    child.send(message, undelivered);
  } catch {
    // The channel closed under us: 'exit' follows.
  }
};
send({ type: 'init', data: init });

function collect() {
  const chunk = takeRecords(views);
  if (chunk === undefined) return false;
  send({ type: 'records', bytes: chunk });
  return true;
}

pollRing(views, { pollMs, parkAfterMs, collect, busy: () => false });

parentPort.on('message', (message) => {
  if (message.type === 'kill') {
    killed = true;
    if (exited) gone();
    else child.kill('SIGKILL');
    return;
  }
  collect(); // what was written to the ring before this message goes first
  send(message);
});
