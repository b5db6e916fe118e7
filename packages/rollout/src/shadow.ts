import { canonicalJson } from '@charter/telemetry';
import type { Arm } from './analysis.js';
import { wilsonInterval } from './sequential.js';
import { type ShadowWorkerOptions, type WorkerCandidate, workerCandidate } from './shadow-worker.js';

/** What two runs are compared on: the answer text and the actions taken (tool and arguments). */
export interface Comparable {
  readonly text?: string | undefined;
  readonly actions?: readonly { readonly tool: string; readonly args?: unknown }[];
}

/** Which layer decided a comparison. */
export type ComparisonLayer = 'exact' | 'normalised-text' | 'actions' | 'judge' | 'unresolved' | 'error';

export interface Comparison {
  readonly agree: boolean;
  readonly layer: ComparisonLayer;
  readonly detail?: string;
}

/** A pluggable judge (e.g. a model grading equivalence) for answers that differ in text but not in actions. */
export type Judge = (control: Comparable, candidate: Comparable) => Promise<{ readonly agree: boolean; readonly detail?: string }>;

/** Case, Unicode compatibility forms, whitespace runs and common punctuation do not count as a difference. */
export function normaliseText(text: string): string {
  return text
    .slice(0, 100_000)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[.,;:!?"'`()[\]{}]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function actionKey(action: { readonly tool: string; readonly args?: unknown }): string {
  let args: string;
  try {
    args = canonicalJson(action.args ?? null);
  } catch {
    args = JSON.stringify(action.args ?? null);
  }
  return `${action.tool} ${args}`;
}

/** The set of actions (tool + canonical arguments); order and repeats do not matter. */
export function actionSet(comparable: Comparable): ReadonlySet<string> {
  return new Set((comparable.actions ?? []).map(actionKey));
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

/**
 * Layered comparison, first decisive layer wins:
 * 1. `exact`: identical text and actions → agree;
 * 2. `normalised-text`: equal after `normaliseText`, same action set → agree;
 * 3. `actions`: different action sets → disagree (different side effects are a real disagreement);
 * 4. `judge`: same actions, different text → the judge decides; without one → disagree (`unresolved`).
 */
export async function compareLayered(control: Comparable, candidate: Comparable, judge?: Judge): Promise<Comparison> {
  const controlActions = actionSet(control);
  const candidateActions = actionSet(candidate);
  const sameActions = sameSet(controlActions, candidateActions);
  if (control.text === candidate.text && sameActions) return { agree: true, layer: 'exact' };
  if (sameActions && normaliseText(control.text ?? '') === normaliseText(candidate.text ?? ''))
    return { agree: true, layer: 'normalised-text' };
  if (!sameActions) {
    const missing = [...controlActions].filter((key) => !candidateActions.has(key)).length;
    const extra = [...candidateActions].filter((key) => !controlActions.has(key)).length;
    return { agree: false, layer: 'actions', detail: `${missing} action(s) of the control missing, ${extra} extra` };
  }
  if (judge === undefined) return { agree: false, layer: 'unresolved', detail: 'texts differ and no judge is configured' };
  const verdict = await judge(control, candidate);
  return { agree: verdict.agree, layer: 'judge', ...(verdict.detail === undefined ? {} : { detail: verdict.detail }) };
}

/** One finished shadow comparison. */
export interface ShadowComparison extends Comparison {
  /** `candidate`: candidate vs control; `noise`: a second control run vs the control (the noise floor). */
  readonly kind: 'candidate' | 'noise';
}

/**
 * How a shadow arm runs: `ShadowWorkerOptions` (a module and cloneable options) runs it in a worker
 * thread, off the control's path; a function runs it in-process, on the control's thread after the
 * control settled — NOT off-path: its CPU work delays the requests that follow (for tests, and for
 * candidates that do next to no work of their own).
 */
export type ShadowArm<I, R> = ShadowWorkerOptions | ((input: I) => Promise<R>);

export interface ShadowRunnerOptions<I, R> {
  /** The live path: its result is what the user gets. */
  readonly control: (input: I) => Promise<R>;
  /** The candidate on the same input, side-effect free: tools simulated, guardrails in monitor mode. A worker (module) runs it off-path. */
  readonly candidate: ShadowArm<I, R>;
  /** The control again, side-effect free like the candidate: run on a sample to measure the noise floor. */
  readonly controlReplica?: ShadowArm<I, R>;
  /** What a result is compared on; default: the result itself when it has `text`/`actions`, else `{ text: String(result) }`. */
  readonly comparable?: (result: R) => Comparable;
  readonly judge?: Judge;
  /** Share of requests on which `controlReplica` runs; default 0.05. */
  readonly noiseSampleRate?: number;
  /** Shadow runs in flight beyond this are skipped (counted as `shed`), so shadowing never piles up; default 64. */
  readonly maxInFlight?: number;
  readonly random?: () => number;
  /** Each finished comparison (feed `controller.observeComparison`). */
  readonly onComparison?: (comparison: ShadowComparison) => void;
  /** Each arm's result or error with its duration (feed `controller.observe`). */
  readonly onOutcome?: (arm: Arm, outcome: { readonly result?: R; readonly error?: unknown; readonly durationMs: number }) => void;
}

/** Agreement so far, with a 95 % Wilson interval, and the noise floor measured the same way. */
export interface ShadowSummary {
  readonly comparisons: number;
  readonly agreements: number;
  readonly agreement: number;
  readonly agreementInterval: { readonly lower: number; readonly upper: number };
  readonly noise: {
    readonly comparisons: number;
    readonly agreements: number;
    readonly agreement: number;
    readonly interval: { readonly lower: number; readonly upper: number };
  };
  readonly byLayer: Readonly<Record<ComparisonLayer, number>>;
  readonly candidateErrors: number;
  readonly shed: number;
}

export interface ShadowRunner<I, R> {
  /** Runs the control and returns its result; the candidate runs after it, off the response path. */
  run(input: I): Promise<R>;
  /** Resolves when every shadow run started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
  summary(): ShadowSummary;
  /** Terminates the shadow arms' worker threads (no-op for in-process arms); shadow runs in flight are recorded as errors. */
  close(): Promise<void>;
}

function defaultComparable(result: unknown): Comparable {
  if (typeof result === 'object' && result !== null && ('text' in result || 'actions' in result)) return result as Comparable;
  return { text: typeof result === 'string' ? result : JSON.stringify(result) };
}

/**
 * The shadow stage's runner. The control's result (or error) is returned as soon as the control
 * settles; the candidate (and, on a sample, a replica of the control) starts only then, on a later
 * turn of the event loop, so the user's response never waits for it and never sees it. A candidate
 * given as a module runs in a worker thread (off the control's thread: a timeout, crash or error there
 * is a candidate error); one given as a function runs on the control's thread (not off-path).
 */
export function createShadowRunner<I, R>(options: ShadowRunnerOptions<I, R>): ShadowRunner<I, R> {
  const workers: WorkerCandidate<I, R>[] = [];
  const arm = (given: ShadowArm<I, R>): ((input: I) => Promise<R>) => {
    if (typeof given === 'function') return given;
    const worker = workerCandidate<I, R>(given);
    workers.push(worker);
    return (input) => worker.run(input);
  };
  const candidate = arm(options.candidate);
  const controlReplica = options.controlReplica === undefined ? undefined : arm(options.controlReplica);
  const comparable = options.comparable ?? defaultComparable;
  const noiseRate = options.noiseSampleRate ?? 0.05;
  const maxInFlight = options.maxInFlight ?? 64;
  const random = options.random ?? Math.random;
  const inFlight = new Set<Promise<void>>();
  const byLayer: Record<ComparisonLayer, number> = { exact: 0, 'normalised-text': 0, actions: 0, judge: 0, unresolved: 0, error: 0 };
  let comparisons = 0;
  let agreements = 0;
  let noiseComparisons = 0;
  let noiseAgreements = 0;
  let candidateErrors = 0;
  let shed = 0;

  const timed = async (
    fn: (input: I) => Promise<R>,
    input: I,
  ): Promise<{ result?: R; error?: unknown; durationMs: number; ok: boolean }> => {
    const started = performance.now();
    try {
      const result = await fn(input);
      return { result, durationMs: performance.now() - started, ok: true };
    } catch (error) {
      return { error, durationMs: performance.now() - started, ok: false };
    }
  };

  const record = (comparison: ShadowComparison): void => {
    byLayer[comparison.layer]++;
    if (comparison.kind === 'noise') {
      noiseComparisons++;
      if (comparison.agree) noiseAgreements++;
    } else {
      comparisons++;
      if (comparison.agree) agreements++;
    }
    options.onComparison?.(comparison);
  };

  const shadow = async (input: I, control: R): Promise<void> => {
    const ran = await timed(candidate, input);
    options.onOutcome?.('candidate', ran);
    if (!ran.ok) {
      candidateErrors++;
      record({ kind: 'candidate', agree: false, layer: 'error', detail: String(ran.error) });
    } else {
      record({ kind: 'candidate', ...(await compareLayered(comparable(control), comparable(ran.result as R), options.judge)) });
    }
    if (controlReplica !== undefined && random() < noiseRate) {
      const replica = await timed(controlReplica, input);
      if (replica.ok)
        record({ kind: 'noise', ...(await compareLayered(comparable(control), comparable(replica.result as R), options.judge)) });
      else record({ kind: 'noise', agree: false, layer: 'error', detail: String(replica.error) });
    }
  };

  return {
    async run(input) {
      const ran = await timed(options.control, input);
      options.onOutcome?.('control', ran);
      if (ran.ok) {
        if (inFlight.size >= maxInFlight) shed++;
        else {
          const control = ran.result as R;
          const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
            .then(() => shadow(input, control))
            .catch(() => {
              candidateErrors++;
            })
            .finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
        return ran.result as R;
      }
      throw ran.error;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    summary() {
      return {
        comparisons,
        agreements,
        agreement: comparisons === 0 ? 0 : agreements / comparisons,
        agreementInterval: wilsonInterval(agreements, comparisons),
        noise: {
          comparisons: noiseComparisons,
          agreements: noiseAgreements,
          agreement: noiseComparisons === 0 ? 0 : noiseAgreements / noiseComparisons,
          interval: wilsonInterval(noiseAgreements, noiseComparisons),
        },
        byLayer: { ...byLayer },
        candidateErrors,
        shed,
      };
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
