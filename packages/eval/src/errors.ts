/** Stable codes of every error `@charter/eval` throws. */
export const EvalErrorCode = {
  /** The eval subject (the `--agent` module) is missing a function or returned something unusable. */
  BadSubject: 'EVAL_BAD_SUBJECT',
  /** The baseline report is unreadable, not a `charter.eval` report, or for another agent. */
  BadBaseline: 'EVAL_BAD_BASELINE',
  /** A recordings folder or file cannot be read as Charter recordings. */
  BadRecording: 'EVAL_BAD_RECORDING',
  /** An option is out of range (alpha, level). */
  BadOptions: 'EVAL_BAD_OPTIONS',
} as const;
export type EvalErrorCode = (typeof EvalErrorCode)[keyof typeof EvalErrorCode];

const marker = Symbol.for('charter.eval.error');

/** Base class of every error thrown by `@charter/eval`. */
export class EvalError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'EvalError';
  readonly code: EvalErrorCode;

  constructor(code: EvalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for an EvalError from any copy of this package. */
  static isInstance(value: unknown): value is EvalError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
