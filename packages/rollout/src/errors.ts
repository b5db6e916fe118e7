/** Stable codes of every error `@charter/rollout` throws. Verdicts and refused transitions are values, not exceptions. */
export const RolloutErrorCode = {
  /** The manifest cannot be loaded or has no valid `spec.rollout`. */
  BadPlan: 'ROLLOUT_BAD_PLAN',
  /** Options or arguments a function cannot work with (a weight out of range, a missing store, …). */
  BadOptions: 'ROLLOUT_BAD_OPTIONS',
  /** The event is not allowed from the current state (e.g. `resume` of a running stage). */
  IllegalTransition: 'ROLLOUT_ILLEGAL_TRANSITION',
  /** No readiness gate is wired and the caller did not explicitly skip it. */
  NoGate: 'ROLLOUT_NO_GATE',
  /** Another process changed the rollout between this process's read and write (compare-and-swap lost). */
  Conflict: 'ROLLOUT_CONFLICT',
  /** The store could not read or write the rollout (I/O, a lock held too long). */
  Store: 'ROLLOUT_STORE',
  /** A stored rollout is not a valid state (corrupt file, another format version). */
  BadState: 'ROLLOUT_BAD_STATE',
  /** The stored rollout was started from another plan (the manifest's `spec.rollout` changed mid-rollout). */
  PlanChanged: 'ROLLOUT_PLAN_CHANGED',
  /** A shadow candidate in a worker thread failed, crashed, or did not answer in time (recorded as a candidate error). */
  ShadowFailed: 'ROLLOUT_SHADOW_FAILED',
} as const;
export type RolloutErrorCode = (typeof RolloutErrorCode)[keyof typeof RolloutErrorCode];

const marker = Symbol.for('charter.rollout.error');

/** Base class of every error thrown by `@charter/rollout`. */
export class RolloutError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'RolloutError';
  readonly code: RolloutErrorCode;

  constructor(code: RolloutErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a RolloutError from any copy of this package. */
  static isInstance(value: unknown): value is RolloutError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
