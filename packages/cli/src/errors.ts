/** Stable codes of the errors the CLI raises itself. */
export const CliErrorCode = {
  /** The command line is wrong: unknown command or flag, missing argument. Exit 2. */
  Usage: 'CLI_USAGE',
  /** A file the command needs cannot be read. Exit 2. */
  Io: 'CLI_IO',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

const marker = Symbol.for('charter.cli.error');

/** Base class of every error the CLI raises; `main` maps each to its exit code in one place. */
export class CliError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(value: unknown): value is CliError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/** Shorthand for a usage error. */
export function usageError(message: string): CliError {
  return new CliError(CliErrorCode.Usage, message);
}
