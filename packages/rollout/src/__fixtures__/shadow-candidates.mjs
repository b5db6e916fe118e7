// Shadow candidates for the worker tests (plain JavaScript: a worker process or thread loads it with
// Node's own loader, without the test runner's TypeScript transform). Each export is a factory: called once in
// the worker with the runner's cloneable options, it returns the function each input runs through.
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';

/** Answers like a control would, and says which thread it ran on. */
export default function echo(options) {
  return async (input) => ({ text: `${options.prefix}${input}`, threadId });
}

/** Rejects every input (an agent that throws). */
export function failing() {
  return async (input) => {
    throw new Error(`cannot handle ${input}`);
  };
}

/** Crashes its worker: an exception nobody catches, thrown from a timer. */
export function crashing() {
  return (input) =>
    new Promise(() => {
      setTimeout(() => {
        throw new Error(`crash on ${input}`);
      }, 1);
    });
}

/** Never answers, and keeps its thread busy (a runaway loop): only terminating the worker stops it. */
export function hanging() {
  return async () => {
    for (;;) {
      // spin
    }
  };
}

/** Not a factory. */
export const notAFunction = 42;

/** The object form: a result with its own shape, what it is compared on, and an observation for the analysis. */
export function observed(options) {
  return {
    run: async (input) => ({ answer: `${options.prefix}${input}`, bulky: 'x'.repeat(1000) }),
    comparable: (result) => ({ text: result.answer }),
    observation: (result) => ({ threadId, pid: process.pid, length: result.answer.length }),
  };
}

/** Answers with what the table in its options says for the input (the comparison parity test). */
export function table(options) {
  return async (input) => options.rows[input].candidate;
}

/** A result that is not comparable (text is a number). */
export function malformed() {
  return async () => ({ text: 42 });
}

/** Its own judge, in the worker: agrees whenever the texts differ but the actions agree. */
export function lenient(options) {
  return {
    run: async (input) => ({ text: `${options.prefix}${input}` }),
    judge: async () => ({ agree: true, detail: 'judged in the worker' }),
  };
}

/** Holds every input until the main thread sets the shared flag (Int32Array over a SharedArrayBuffer) to 1. */
export function gated(options) {
  const flag = new Int32Array(options.gate);
  return async (input) => {
    while (Atomics.load(flag, 0) === 0) await Atomics.waitAsync(flag, 0, 0).value;
    return { text: `answer ${input}` };
  };
}

/** Answers from the input's `id` (inputs that are objects). */
export function byId(options) {
  return async (input) => ({ text: `${options.prefix}${input.id}` });
}

/** Holds every input until the file `options.gate` exists (a gate a worker process can see), then answers like `echo`. */
export function fileGated(options) {
  return async (input) => {
    while (!existsSync(options.gate)) await delay(5);
    return { text: `answer ${input}` };
  };
}

/** Answers like `echo`, saying which process it ran in. */
export function observedRun(options) {
  return async (input) => ({ text: `${options.prefix}${input}`, pid: process.pid });
}
