// The shadow candidate in a worker thread: its CPU work runs off the control's thread, so the control
// (the user's response and the next requests) never shares a thread with it. The candidate is named by
// a module and options that cross the thread boundary (structured clone), not by a closure: the worker
// imports the module, calls its factory export with the options once, and runs each input through the
// function the factory returned. A call that outlives `timeoutMs` terminates the worker (a hung or
// runaway candidate cannot pile up); a crash or an exit of the worker fails the calls in flight; the
// next call starts a fresh worker. Every such failure rejects with a `RolloutError`, which the shadow
// runner records as a candidate error — the control's result is never touched.
import { pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { RolloutError, RolloutErrorCode } from './errors.js';

/** Where the shadow candidate comes from when it runs in a worker thread. */
export interface ShadowWorkerOptions {
  /**
   * The candidate's module: an absolute path or a `file:` URL. Its export `export` (default: the
   * default export) is a factory `(options) => (input) => Promise<result>` (the factory may be async);
   * inputs and results cross the thread boundary by structured clone.
   */
  readonly module: string | URL;
  /** The factory's export name; default `default`. */
  readonly export?: string;
  /** Passed to the factory once per worker; must be structured-cloneable (no functions, no class instances with behaviour). */
  readonly options?: unknown;
  /** A call that takes longer is failed and the worker terminated; default 30,000 ms. */
  readonly timeoutMs?: number;
  /** V8 heap limits of the worker (`worker_threads` `resourceLimits`). */
  readonly resourceLimits?: ResourceLimits;
}

/** A candidate running in its own worker thread. */
export interface WorkerCandidate<I, R> {
  /** Runs one input in the worker; rejects with `ROLLOUT_SHADOW_FAILED` on a candidate error, crash or timeout. */
  run(input: I): Promise<R>;
  /** The worker's thread id (undefined before the first call and after a terminated worker). */
  readonly threadId: number | undefined;
  /** Terminates the worker; calls in flight are failed. */
  close(): Promise<void>;
}

// The worker's code (CommonJS, evaluated): import the module, build the candidate once, answer each message.
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = import(workerData.module).then(async (mod) => {
  const factory = mod[workerData.exportName];
  if (typeof factory !== 'function')
    throw new Error('the shadow candidate module ' + workerData.module + ' has no function export "' + workerData.exportName + '"');
  const candidate = await factory(workerData.options);
  if (typeof candidate !== 'function')
    throw new Error('the factory "' + workerData.exportName + '" of ' + workerData.module + ' must return a function (input) => Promise<result>');
  return candidate;
});
ready.catch(() => undefined);
parentPort.on('message', async ({ id, input }) => {
  try {
    const candidate = await ready;
    const result = await candidate(input);
    parentPort.postMessage({ id, ok: true, result });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface Pending<R> {
  readonly resolve: (value: R) => void;
  readonly reject: (error: RolloutError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

type Reply<R> =
  { readonly id: number; readonly ok: true; readonly result: R } | { readonly id: number; readonly ok: false; readonly error: string };

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith('file:')) return module;
  if (!module.startsWith('/') && !/^[a-z]:[\\/]/i.test(module))
    throw new RolloutError(
      RolloutErrorCode.BadOptions,
      `the shadow candidate module must be an absolute path or a file: URL, not "${module}"`,
    );
  return pathToFileURL(module).href;
}

/**
 * A candidate that runs in a worker thread, from a module and cloneable options. The worker starts at
 * the first call and stays up (unreferenced: it never keeps the process alive); a timeout, crash or
 * exit ends it and the next call starts another.
 */
export function workerCandidate<I, R>(options: ShadowWorkerOptions): WorkerCandidate<I, R> {
  const url = moduleUrl(options.module);
  const exportName = options.export ?? 'default';
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new RolloutError(RolloutErrorCode.BadOptions, `the shadow worker's timeoutMs must be a positive number, not ${timeoutMs}`);
  let worker: Worker | undefined;
  let seq = 0;
  const pending = new Map<number, Pending<R>>();

  const failAll = (error: RolloutError): void => {
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      pending.delete(id);
      call.reject(error);
    }
  };
  const end = (ended: Worker, error: RolloutError): void => {
    if (worker === ended) worker = undefined;
    failAll(error);
    void ended.terminate();
  };
  const start = (): Worker => {
    const started = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { module: url, exportName, options: options.options },
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    started.unref();
    started.on('message', (reply: Reply<R>) => {
      const call = pending.get(reply.id);
      if (call === undefined) return;
      pending.delete(reply.id);
      clearTimeout(call.timer);
      if (reply.ok) call.resolve(reply.result);
      else call.reject(new RolloutError(RolloutErrorCode.ShadowFailed, `the shadow candidate failed: ${reply.error}`));
    });
    started.on('error', (error) => {
      end(
        started,
        new RolloutError(RolloutErrorCode.ShadowFailed, `the shadow candidate's worker crashed: ${error.message}`, { cause: error }),
      );
    });
    started.on('exit', (code) => {
      end(started, new RolloutError(RolloutErrorCode.ShadowFailed, `the shadow candidate's worker exited (code ${code})`));
    });
    return started;
  };

  return {
    run(input) {
      worker ??= start();
      const current = worker;
      const id = ++seq;
      return new Promise<R>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(
            new RolloutError(
              RolloutErrorCode.ShadowFailed,
              `the shadow candidate did not answer within ${timeoutMs} ms: its worker was terminated (calls in flight fail; the next call starts a new worker)`,
            ),
          );
          end(
            current,
            new RolloutError(RolloutErrorCode.ShadowFailed, "the shadow candidate's worker was terminated after another call timed out"),
          );
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        try {
          current.postMessage({ id, input });
        } catch (error) {
          pending.delete(id);
          clearTimeout(timer);
          reject(
            new RolloutError(RolloutErrorCode.ShadowFailed, `the shadow input cannot cross to the worker: ${(error as Error).message}`, {
              cause: error,
            }),
          );
        }
      });
    },
    get threadId() {
      return worker?.threadId;
    },
    async close() {
      const current = worker;
      worker = undefined;
      failAll(new RolloutError(RolloutErrorCode.ShadowFailed, 'the shadow runner was closed'));
      if (current !== undefined) await current.terminate();
    },
  };
}
