// The entry of the worker thread the typed lint runs in (see `startLint` in lint.ts). It receives the
// folder, the files and the cache folder as workerData, and posts back one message: the findings, or
// the error as plain data (an Error does not cross threads with its class), which the calling thread
// turns back into the same ReadinessError.
import { parentPort, workerData } from 'node:worker_threads';
import { ReadinessError } from './errors.js';
import { runEslint } from './lint-run.js';
import type { LintFinding } from './lint.js';

/** What the calling thread sends. */
export interface LintWorkerInput {
  readonly dir: string;
  readonly files: readonly string[];
  readonly cacheDir: string | undefined;
}

/** The one message the worker posts back. */
export type LintWorkerReply =
  | { readonly ok: true; readonly findings: readonly LintFinding[] }
  | {
      readonly ok: false;
      /** The ReadinessError's code, when the error was one. */
      readonly code: string | undefined;
      readonly message: string;
      /** The underlying error (ESLint's, TypeScript's) as text. */
      readonly cause: { readonly name: string; readonly message: string; readonly stack: string | undefined } | undefined;
    };

const describe = (error: unknown): { name: string; message: string; stack: string | undefined } =>
  error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error), stack: undefined };

const input = workerData as LintWorkerInput;
let reply: LintWorkerReply;
try {
  reply = { ok: true, findings: await runEslint(input.dir, input.files, input.cacheDir) };
} catch (error) {
  reply = ReadinessError.isInstance(error)
    ? { ok: false, code: error.code, message: error.message, cause: error.cause === undefined ? undefined : describe(error.cause) }
    : { ok: false, code: undefined, message: describe(error).message, cause: describe(error) };
}
parentPort?.postMessage(reply);
