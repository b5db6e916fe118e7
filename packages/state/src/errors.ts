/** Stable codes of every error `@charter/state` throws. */
export const StateErrorCode = {
  /** The database URL or a store option is wrong (unknown scheme, bad schema name, non-positive lease). */
  BadConfig: 'STATE_BAD_CONFIG',
  /** The database cannot be reached or refused the connection. */
  Connect: 'STATE_CONNECT',
  /** A migration failed; the schema is left at the last version that applied. */
  Migration: 'STATE_MIGRATION',
  /** The database has a newer schema version than this package knows: upgrade @charter/state. */
  SchemaTooNew: 'STATE_SCHEMA_TOO_NEW',
  /** A query failed (the message names the store and the operation). */
  Query: 'STATE_QUERY',
  /** A stored value is not what the store wrote (corrupt row or file). */
  Corrupt: 'STATE_CORRUPT',
  /** A lease or lock could not be taken within its timeout. */
  LockTimeout: 'STATE_LOCK_TIMEOUT',
  /** The store was used after `close()`. */
  Closed: 'STATE_CLOSED',
  /** An operational control is not valid (unknown action, missing tool or weight). */
  BadControl: 'STATE_BAD_CONTROL',
  /** A playbook cannot be executed (unknown id, an action that needs an argument). */
  Playbook: 'STATE_PLAYBOOK',
  /** The audit log does not match the head anchored in the store (truncated, edited or replaced). */
  AuditMismatch: 'STATE_AUDIT_MISMATCH',
  /** A feedback is not valid (no rating nor correction, a rating outside 1-5, an unknown field). */
  BadFeedback: 'STATE_BAD_FEEDBACK',
} as const;
export type StateErrorCode = (typeof StateErrorCode)[keyof typeof StateErrorCode];

const marker = Symbol.for('charter.state.error');

/** Base class of every error thrown by `@charter/state`. */
export class StateError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'StateError';
  readonly code: StateErrorCode;

  constructor(code: StateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a StateError from any copy of this package. */
  static isInstance(value: unknown): value is StateError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/** Runs `fn`, turning a synchronous throw into a rejection (so store methods always fail as promises). */
export function attempt<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
