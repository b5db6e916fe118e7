/** Stable codes of every error `@charter/serve` throws. */
export const ServeErrorCode = {
  /** A service option is wrong (workers, port, limits, a database without SQL). */
  BadOptions: 'SERVE_BAD_OPTIONS',
  /** A tenant command got a bad name, id or quota. */
  BadTenant: 'SERVE_BAD_TENANT',
  /** No tenant with that id. */
  UnknownTenant: 'SERVE_UNKNOWN_TENANT',
  /** The agent folder cannot be served (no manifest, no serve module, a module without tools). */
  BadAgent: 'SERVE_BAD_AGENT',
} as const;
export type ServeErrorCode = (typeof ServeErrorCode)[keyof typeof ServeErrorCode];

const marker = Symbol.for('charter.serve.error');

/** Base class of every error thrown by `@charter/serve` (HTTP clients get problem documents instead). */
export class ServeError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'ServeError';
  readonly code: ServeErrorCode;

  constructor(code: ServeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a ServeError from any copy of this package. */
  static isInstance(value: unknown): value is ServeError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
