// Shadow candidates for the worker-thread tests (plain JavaScript: a worker thread loads it with Node's
// own loader, without the test runner's TypeScript transform). Each export is a factory: called once in
// the worker with the runner's cloneable options, it returns the function each input runs through.
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
