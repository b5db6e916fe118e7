import { actionSet, comparableOf, comparableProblem, compareLayers, defaultComparable, normaliseText } from '../thread/compare.mjs';
import type { Comparable, Comparison, ComparisonLayer, Handed } from '../thread/compare.mjs';
import type { Arm } from './analysis.js';
import { RolloutError, RolloutErrorCode } from './errors.js';
import { wilsonInterval } from './sequential.js';
import {
  type HandoffStats,
  laneIsolation,
  type ShadowWorkerOptions,
  type WorkerLane,
  type WorkerPriority,
  workerLane,
} from './shadow-worker.js';

// The comparison itself is plain JavaScript (thread/compare.mjs) so that the worker (process or thread) runs the
// very same code as this thread: a verdict does not depend on where it was reached.
export { actionSet, normaliseText };
export type { Comparable, Comparison, ComparisonLayer };

/** A pluggable judge (e.g. a model grading equivalence) for answers that differ in text but not in actions. */
export type Judge = (control: Comparable, candidate: Comparable) => Promise<{ readonly agree: boolean; readonly detail?: string }>;

/**
 * Layered comparison, first decisive layer wins:
 * 1. `exact`: identical text and actions → agree;
 * 2. `normalised-text`: equal after `normaliseText`, same action set → agree;
 * 3. `actions`: different action sets → disagree (different side effects are a real disagreement);
 * 4. `judge`: same actions, different text → the judge decides; without one → disagree (`unresolved`).
 */
export async function compareLayered(control: Comparable, candidate: Comparable, judge?: Judge): Promise<Comparison> {
  const verdict = compareLayers(control, candidate);
  if (verdict.layer !== 'unresolved' || judge === undefined) return verdict;
  const judged = await judge(control, candidate);
  return { agree: judged.agree, layer: 'judge', ...(judged.detail === undefined ? {} : { detail: judged.detail }) };
}

/** One finished shadow comparison. */
export interface ShadowComparison extends Comparison {
  /** `candidate`: candidate vs control; `noise`: a second control run vs the control (the noise floor). */
  readonly kind: 'candidate' | 'noise';
}

/**
 * How a shadow arm runs: `ShadowWorkerOptions` (a module and cloneable options) runs it in a worker
 * thread, off the control's path, and compares there; a function runs it in-process, on the control's
 * thread after the control settled — NOT off-path: its CPU work and the comparison delay the requests
 * that follow (for tests, and for candidates that do next to no work of their own).
 */
export type ShadowArm<I, R> = ShadowWorkerOptions | ((input: I) => Promise<R>);

/** One arm's outcome. `result` for the control and in-process arms; a worker arm's result stays in its thread and `observation` is what its factory's `observation(result)` returned. */
export interface ArmOutcome<R> {
  readonly result?: R;
  readonly observation?: unknown;
  readonly error?: unknown;
  /**
   * How long the arm took, ms. The control's: from `run(input)` to the moment the runner observed the
   * control settled — right after the caller's continuation (the runner's reaction runs after the
   * caller's, so that nothing of the shadow delays the answer), so it includes the caller's synchronous
   * work on the answer (usually µs; an upper bound on the control's own time by that much). A worker
   * candidate's: measured in its thread, from its start to its result.
   */
  readonly durationMs: number;
}

export interface ShadowRunnerOptions<I, R> {
  /** The live path: its result is what the user gets. */
  readonly control: (input: I) => Promise<R>;
  /** The candidate on the same input, side-effect free: tools simulated, guardrails in monitor mode. A worker (module: a child process by default) runs it off-path. */
  readonly candidate: ShadowArm<I, R>;
  /** The control again, side-effect free like the candidate: run on a sample to measure the noise floor. */
  readonly controlReplica?: ShadowArm<I, R>;
  /**
   * What the control's result (and an in-process arm's) is compared on; default: the result itself when
   * it has `text`/`actions`, else `{ text: String(result) }`. A worker arm's result is made comparable
   * in its worker, by its factory's `comparable` (same default). Without this option a string result
   * crosses to a worker as it is and is made `{ text }` there, where it is compared.
   */
  readonly comparable?: (result: R) => Comparable;
  readonly judge?: Judge;
  /** Share of requests on which `controlReplica` runs; default 0.05. */
  readonly noiseSampleRate?: number;
  /**
   * Shadow samples waiting or in flight per arm beyond this are dropped (counted: `shed`, `noise.shed`),
   * so shadowing never piles up and never slows the control; default 4,096 for a worker process (it
   * gets its samples every 100 ms), else 256.
   */
  readonly maxInFlight?: number;
  /**
   * A worker thread on the shared ring gets each answered request at once, written into the ring, while
   * requests come one at a time, and collects every `handoffMs`. Otherwise answered requests are handed
   * over in groups, after a later request's caller continued: once the oldest waited this long (a timer
   * marks the handoff due; no clock is read per request) or a quarter of `maxInFlight` waits; with no
   * request in flight, or none answered within another `handoffMs`, the timer hands over itself. On the shared
   * ring (a worker process, the default; a thread while several requests are in flight) each sample is
   * staged in the ring as it comes and the handoff publishes them (one store); in-process arms,
   * `handoff: 'message'` and samples that are not plain data go as batches. Default 100 ms for a worker
   * process (each handoff wakes its relay thread, which collects and sends on over the process's channel —
   * ~0.2 ms of that thread's time on the bench's machine — and then the process: rarer and larger), else 20 ms.
   */
  readonly handoffMs?: number;
  readonly random?: () => number;
  /** Each finished comparison (feed `controller.observeComparison`); from a worker arm, in batches. */
  readonly onComparison?: (comparison: ShadowComparison) => void;
  /** Each arm's outcome with its duration (feed `controller.observe`). */
  readonly onOutcome?: (arm: Arm, outcome: ArmOutcome<R>) => void;
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
    /** Noise samples dropped because the replica lagged. */
    readonly shed: number;
    /** The replica's worker's CPU priority, as for the candidate's. */
    readonly priority?: WorkerPriority;
  };
  readonly byLayer: Readonly<Record<ComparisonLayer, number>>;
  readonly candidateErrors: number;
  /** Requests not shadowed because the candidate lagged (`maxInFlight` samples waiting or in flight). */
  readonly shed: number;
  /**
   * The candidate's worker's CPU priority as the kernel applied it (`lowPriority`): `priority` is
   * `idle`, `nice` or `normal`, with a `detail` saying why when it is not what was wanted. Absent for an
   * in-process candidate and until the worker has started.
   */
  readonly priority?: WorkerPriority;
  /** How the candidate's batches reached its worker (`handoff`: ring writes, posts, drops for a full ring, wakes of a parked worker). Absent in-process. */
  readonly handoff?: HandoffStats;
}

export interface ShadowRunner<I, R> {
  /**
   * Runs the control and returns its own promise. Nothing of the shadow runs before the caller's
   * continuation: the runner's reaction to the answer is registered after a caller who awaits (or
   * .then()s) at once, and only then notes the sample and hands it over (`summary()` read synchronously
   * in that continuation does not count this request yet: one microtask later it does).
   */
  run(input: I): Promise<R>;
  /** Resolves when every shadow run started so far has finished and been recorded (tests, shutdown). */
  idle(): Promise<void>;
  summary(): ShadowSummary;
  /** Ends the shadow arms' workers, processes or threads (no-op for in-process arms); shadow runs in flight are recorded as errors. */
  close(): Promise<void>;
}

type Kind = ShadowComparison['kind'];

/** Settled once: `.then` on it queues a microtask (the runner's reaction is registered from one). */
const registered = Promise.resolve();

/** One shadow arm as the runner drives it: in a worker lane or in-process. */
interface Lane<I> {
  /** Samples in flight (for backpressure). */
  load(): number;
  /** Samples in flight or not yet recorded. */
  pending(): number;
  /** A worker arm's applied CPU priority (undefined in-process, or before the worker reported it). */
  priority(): WorkerPriority | undefined;
  /** Samples as two columns: the inputs and the control's sides (comparables, or string results: `Handed`), index by index; returns how many were dropped (a full ring). */
  submit(inputs: readonly I[], controls: readonly Handed[]): number;
  /** Whether samples go to this arm one at a time, as each request is answered (`submitOne`: a worker arm on the shared ring), rather than in batches. */
  readonly direct: boolean;
  /** One sample (a direct arm: packed straight into the shared ring); returns 1 when it was dropped (a full ring), else 0. */
  submitOne(input: I, control: Handed): number;
  /**
   * One sample for the next handoff (a worker arm on the shared ring: packed into the ring now, seen by
   * the worker at `publish`): 0 staged, 1 dropped (a full ring), -1 not staged — the runner holds it for a batch.
   */
  stageOne(input: I, control: Handed): -1 | 0 | 1;
  /** Hands the staged samples over. */
  publish(): void;
  /** Samples staged and not published yet (0 for an arm that does not stage). */
  staged(): number;
  /** A worker arm's handoff counters. */
  handoffs(): HandoffStats | undefined;
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The shadow stage's runner. The caller gets the control's own promise, and its continuation runs
 * before anything of the shadow: the runner's reaction comes after it, makes the control's result
 * comparable and hands the sample over (bounded by `maxInFlight`; beyond it the sample is dropped and
 * counted). A worker thread on the shared ring gets it at once, one record per request, while requests
 * come one at a time (no batch, no handoff spike); otherwise, and for a worker process (the default)
 * always, it is staged in the ring as its own record and published with the others every `handoffMs` (a
 * relay thread forwards a process's to it). The worker compares and reports
 * verdicts back in batches. Other arms get samples in batches (an in-process arm, a function, runs and
 * compares on this thread: not off-path).
 */
export function createShadowRunner<I, R>(options: ShadowRunnerOptions<I, R>): ShadowRunner<I, R> {
  const comparable: (result: R) => Comparable = options.comparable ?? defaultComparable;
  const defaultOnly = options.comparable === undefined;
  const noiseRate = options.noiseSampleRate ?? 0.05;
  // A worker process gets its samples every 100 ms, up to a quarter of 4,096 at a time: each handoff wakes
  // its relay thread and then the process.
  const processWorker = typeof options.candidate !== 'function' && laneIsolation(options.candidate) === 'process';
  const maxInFlight = options.maxInFlight ?? (processWorker ? 4096 : 256);
  const batchLimit = Math.max(1, Math.floor(maxInFlight / 4));
  const handoffMs = options.handoffMs ?? (processWorker ? 100 : 20);
  if (!Number.isFinite(handoffMs) || handoffMs <= 0)
    throw new RolloutError(RolloutErrorCode.BadOptions, `the shadow runner's handoffMs must be a positive number, not ${handoffMs}`);
  const random = options.random ?? Math.random;
  const byLayer: Record<ComparisonLayer, number> = { exact: 0, 'normalised-text': 0, actions: 0, judge: 0, unresolved: 0, error: 0 };
  let comparisons = 0;
  let agreements = 0;
  let noiseComparisons = 0;
  let noiseAgreements = 0;
  let candidateErrors = 0;
  let shed = 0;
  let noiseShed = 0;
  const judging = new Set<Promise<void>>();

  const count = (kind: Kind, agree: boolean, layer: ComparisonLayer, n = 1): void => {
    byLayer[layer] += n;
    if (kind === 'noise') {
      noiseComparisons += n;
      if (agree) noiseAgreements += n;
    } else {
      comparisons += n;
      if (agree) agreements += n;
      if (layer === 'error') candidateErrors += n;
    }
  };
  const record = (comparison: ShadowComparison): void => {
    count(comparison.kind, comparison.agree, comparison.layer);
    options.onComparison?.(comparison);
  };
  const recordError = (kind: Kind, detail: string): void => {
    record({ kind, agree: false, layer: 'error', detail });
  };
  const judge = (kind: Kind, control: Comparable, candidate: Comparable): void => {
    const judged = compareLayered(control, candidate, options.judge).then(
      (verdict) => {
        record({ kind, ...verdict });
      },
      (error: unknown) => {
        recordError(kind, `the judge failed: ${String(error)}`);
      },
    );
    const task = judged.finally(() => judging.delete(task));
    judging.add(task);
  };

  const inProcess = (kind: Kind, fn: (input: I) => Promise<R>): Lane<I> => {
    const inFlight = new Set<Promise<void>>();
    const one = async (input: I, handed: Handed): Promise<void> => {
      const started = performance.now();
      let result: R;
      try {
        result = await fn(input);
      } catch (error) {
        if (kind === 'candidate') options.onOutcome?.('candidate', { error, durationMs: performance.now() - started });
        recordError(kind, String(error));
        return;
      }
      if (kind === 'candidate') options.onOutcome?.('candidate', { result, durationMs: performance.now() - started });
      let mine: Comparable;
      try {
        mine = comparable(result);
      } catch (error) {
        recordError(kind, `the shadow candidate's result could not be made comparable: ${String(error)}`);
        return;
      }
      const problem = comparableProblem(mine);
      if (problem !== undefined) recordError(kind, `the shadow candidate's result is malformed: ${problem}`);
      else if (options.judge === undefined) record({ kind, ...compareLayers(comparableOf(handed), mine) });
      else judge(kind, comparableOf(handed), mine);
    };
    return {
      load: () => inFlight.size,
      pending: () => inFlight.size,
      priority: () => undefined,
      submit(inputs, controls) {
        for (const [index, input] of inputs.entries()) {
          const task: Promise<void> = one(input, controls[index] ?? {}).finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
        return 0;
      },
      direct: false,
      submitOne(input, control) {
        return this.submit([input], [control]);
      },
      stageOne: () => -1,
      publish: () => undefined,
      staged: () => 0,
      handoffs: () => undefined,

      async drain() {
        while (inFlight.size > 0) await Promise.all([...inFlight]);
      },
      close: () => Promise.resolve(),
    };
  };

  const inWorker = (kind: Kind, given: ShadowWorkerOptions): Lane<I> => {
    // Nothing per sample is wanted here (no onComparison, no judge on this thread, no candidate outcome):
    // the worker sends counts, not each report.
    const perSample =
      options.onComparison !== undefined || options.judge !== undefined || (kind === 'candidate' && options.onOutcome !== undefined);
    // The worker collects from the shared ring as often as the runner hands over, unless told otherwise.
    const lane: WorkerLane<I> = workerLane<I>(
      { pollMs: handoffMs, ...given },
      options.judge !== undefined,
      (agree, layer, durationMs, extra) => {
        if (kind === 'candidate' && options.onOutcome !== undefined)
          options.onOutcome('candidate', {
            durationMs,
            ...(extra?.observation === undefined ? {} : { observation: extra.observation }),
            ...(layer === 'error' ? { error: extra?.detail } : {}),
          });
        if (extra?.judge !== undefined) judge(kind, extra.judge.control, extra.judge.candidate);
        else if (options.onComparison === undefined) count(kind, agree, layer);
        else record({ kind, agree, layer, ...(extra?.detail === undefined ? {} : { detail: extra.detail }) });
      },
      perSample
        ? undefined
        : (agree, layer, n) => {
            count(kind, agree, layer, n);
          },
    );
    return {
      // Backpressure counts what the worker has not finished (shared memory), not what it has not reported yet.
      load: () => lane.lagging(),
      pending: () => lane.outstanding(),
      priority: () => lane.priority(),
      submit: (inputs, controls) => lane.submit(inputs, controls),
      direct: lane.direct,
      submitOne: (input, control) => lane.submitOne(input, control),
      stageOne: (input, control) => lane.stageOne(input, control),
      publish: () => {
        lane.publish();
      },
      staged: () => lane.staged(),
      handoffs: () => lane.handoffs(),
      drain: () => lane.drain(),
      close: () => lane.close(),
    };
  };

  const lane = (kind: Kind, given: ShadowArm<I, R>): Lane<I> =>
    typeof given === 'function' ? inProcess(kind, given) : inWorker(kind, given);
  const candidate = lane('candidate', options.candidate);
  const replica = options.controlReplica === undefined ? undefined : lane('noise', options.controlReplica);

  // Answered requests reach the arms AFTER the caller's continuation (see `run`), never before it:
  // - a direct arm (a worker thread on the shared ring) gets each sample at once when requests come one
  //   at a time, packed straight into the ring; the worker collects on its own timer. No batch is built
  //   and no handoff spike lands on a request. While several requests are in flight, it is as below;
  // - otherwise samples wait for a handoff: staged in the arm's ring as they come (a worker arm on the
  //   shared ring: packed now, invisible to the worker until published), else held here (in-process,
  //   `handoff: 'message'`, not plain data) for a batch. Once the oldest waited `handoffMs` or a quarter
  //   of `maxInFlight` waits, the runner's reaction to a later request (after that request's caller
  //   continued) publishes the staged ones (one store) and hands the batch over. An unreferenced timer,
  //   started by the first sample that waits, says when: it marks the handoff due (so the per-request
  //   reaction reads no clock); when no request is in flight, or none was answered within another
  //   handoffMs, it hands over itself.
  interface Waiting {
    readonly inputs: I[];
    readonly controls: Handed[];
  }
  let waiting: Waiting = { inputs: [], controls: [] };
  let waitingNoise: Waiting = { inputs: [], controls: [] };
  /** The oldest deferred sample waited `handoffMs`: the next reaction hands over. */
  let handoffDue = false;
  /** Restarted by the first sample that waits; one Timeout object, `refresh()`ed. */
  let handoffTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  // What the candidate's arm had in flight when last asked, plus what it was given since: an upper bound
  // (in between, samples only finish), so the arm is asked only near `maxInFlight`.
  let knownLoad = 0;
  /** This runner's requests started and not yet noted (their reaction not run), not counting the one being noted. */
  let running = 0;
  /** What waits for `arm` goes to it: its staged samples published, its held batch (`taken`) submitted; returns how many were dropped. */
  const handOver = (arm: Lane<I>, taken: Waiting): number => {
    arm.publish();
    return taken.inputs.length > 0 ? arm.submit(taken.inputs, taken.controls) : 0;
  };
  const dispatch = (): void => {
    handoffDue = false;
    if (waiting.inputs.length > 0 || candidate.staged() > 0) {
      const taken = waiting;
      waiting = { inputs: [], controls: [] };
      shed += handOver(candidate, taken);
      knownLoad = candidate.load();
    }
    if (replica !== undefined && (waitingNoise.inputs.length > 0 || replica.staged() > 0)) {
      const taken = waitingNoise;
      waitingNoise = { inputs: [], controls: [] };
      noiseShed += handOver(replica, taken);
    }
  };
  /** Samples waiting for the next handoff: held here or staged in an arm's ring (the arm knows how many). */
  const waitingCount = (): number => waiting.inputs.length + waitingNoise.inputs.length + candidate.staged() + (replica?.staged() ?? 0);
  const onHandoffTimer = (): void => {
    if (waitingCount() === 0) return; // handed over already (a quarter of maxInFlight, idle())
    if (running === 0 || handoffDue) {
      // No request in flight whose reaction would hand over, or none was answered for another handoffMs.
      dispatch();
      return;
    }
    handoffDue = true;
    handoffTimer?.refresh();
  };
  /** A sample for the next handoff: staged in the arm's ring when it can be (packed now, so the handoff is one store; 0), else held here for a batch (-1); 1 when dropped (a full ring). */
  const defer = (arm: Lane<I>, into: Waiting, input: I, control: Handed): -1 | 0 | 1 => {
    if (waitingCount() === 0) {
      if (handoffTimer === undefined) {
        handoffTimer = setTimeout(onHandoffTimer, Math.min(handoffMs, 2 ** 31 - 1));
        handoffTimer.unref();
      } else handoffTimer.refresh();
    }
    const outcome = arm.stageOne(input, control);
    if (outcome === -1) {
      into.inputs.push(input);
      into.controls.push(control);
    }
    return outcome;
  };

  /** The runner's reaction to an answered request: the sample to the arms (or dropped and counted). Runs after the caller's continuation. */
  const answered = (input: I, result: R): void => {
    if (closed) {
      recordError('candidate', 'the shadow runner was closed');
      return;
    }
    // `load` reads what the worker finished from shared memory (a cache line the worker writes): only near the bound.
    if (knownLoad + waiting.inputs.length >= maxInFlight) {
      knownLoad = candidate.load();
      if (knownLoad + waiting.inputs.length >= maxInFlight) {
        shed++;
        return;
      }
    }
    // A string result with the default comparable crosses as it is: made `{ text }` where it is compared
    // (comparableOf), so this thread neither allocates the wrapper nor packs it (half the cost of a
    // sample's staging when cold).
    let control: Handed;
    try {
      control = typeof result === 'string' && defaultOnly ? result : comparable(result);
    } catch (error) {
      recordError('candidate', `the control's result could not be made comparable: ${String(error)}`);
      return;
    }
    // A direct arm gets it written and published at once when requests come one at a time (at most one
    // other in flight: the next one the caller may just have started) — no batch, no spike; otherwise (and
    // until what waits is handed over) it waits for the next handoff, staged or held.
    if (!candidate.direct || running > 1 || waiting.inputs.length > 0 || candidate.staged() > 0) {
      const outcome = defer(candidate, waiting, input, control);
      if (outcome === 1) shed++;
      else if (outcome === 0) knownLoad++;
    } else if (candidate.submitOne(input, control) === 0) knownLoad++;
    else shed++;
    if (replica !== undefined && random() < noiseRate) {
      if (replica.load() + waitingNoise.inputs.length >= maxInFlight) noiseShed++;
      else if (replica.direct) noiseShed += replica.submitOne(input, control);
      else if (defer(replica, waitingNoise, input, control) === 1) noiseShed++;
    }
    const held = waitingCount();
    if (held > 0 && (handoffDue || held >= batchLimit)) dispatch();
  };

  const lanes = (): Lane<I>[] => (replica === undefined ? [candidate] : [candidate, replica]);

  return {
    run(input) {
      // The clock is read only for `onOutcome` (the control's duration): not on every request otherwise.
      const started = options.onOutcome === undefined ? 0 : performance.now();
      let pending: Promise<R>;
      try {
        pending = options.control(input);
        running++;
      } catch (error) {
        options.onOutcome?.('control', { error, durationMs: performance.now() - started });
        // The control's own failure, whatever it threw, exactly as the caller would see it without shadowing.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject(error);
      }
      // The caller gets the control's own promise: no extra promise or turn between the control and the
      // answer. The runner's reaction is registered one microtask later, so that a caller who awaits (or
      // .then()s) the returned promise at once has registered first: when the control settles, the
      // caller's continuation runs first (it answers the user, and may start the next request), and only
      // then does the runner note the result and hand the sample over. (A caller who attaches later than
      // that runs after the runner's reaction instead: correct, only not first.) The reaction handles a
      // rejection for the runner's own promise; the caller's promise is the control's, untouched, so the
      // caller sees the rejection exactly as without shadowing. The microtask is a reaction on a settled
      // promise, not `queueMicrotask` (which makes an AsyncResource per call: ~50 ns more per request, hot).
      void registered.then(() => {
        void pending.then(
          (result) => {
            running--;
            if (options.onOutcome !== undefined) options.onOutcome('control', { result, durationMs: performance.now() - started });
            answered(input, result);
          },
          (error: unknown) => {
            running--;
            options.onOutcome?.('control', { error, durationMs: performance.now() - started });
          },
        );
      });
      return pending;
    },
    async idle() {
      // A macrotask first: every control settled by now has been noted (the runner's reaction runs after the caller's).
      await new Promise<void>((resolve) => {
        setImmediate(resolve);
      });
      dispatch();
      while (judging.size > 0 || lanes().some((each) => each.pending() > 0)) {
        await Promise.all([...lanes().map((each) => each.drain()), ...judging]);
      }
    },
    summary() {
      const candidatePriority = candidate.priority();
      const replicaPriority = replica?.priority();
      const handoff = candidate.handoffs();
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
          shed: noiseShed,
          ...(replicaPriority === undefined ? {} : { priority: replicaPriority }),
        },
        byLayer: { ...byLayer },
        candidateErrors,
        shed,
        ...(candidatePriority === undefined ? {} : { priority: candidatePriority }),
        ...(handoff === undefined ? {} : { handoff }),
      };
    },
    async close() {
      closed = true;
      if (handoffTimer !== undefined) clearTimeout(handoffTimer);
      // Samples still waiting for a batch are not handed over any more: each is recorded as an error, as those in flight are.
      for (const _ of waiting.inputs) recordError('candidate', 'the shadow runner was closed');
      for (const _ of waitingNoise.inputs) recordError('noise', 'the shadow runner was closed');
      waiting = { inputs: [], controls: [] };
      waitingNoise = { inputs: [], controls: [] };
      // Staged samples are the arms' in-flight ones: closing the arms reports them as errors.
      await Promise.all(lanes().map((each) => each.close()));
    },
  };
}
