/** Where a command writes: stdout for results, stderr for diagnostics. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Working directory the command resolves relative paths against. */
  readonly cwd: string;
  /** True when stdout is a terminal (colour and progress allowed). */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit codes of every command: 0 success, 1 the input is invalid / the check failed, 2 usage error. */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, Internal: 70 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One `charter <name>` sub-command, in `src/commands/<name>.ts`. */
export interface Command {
  readonly name: string;
  /** One line for `charter --help`. */
  readonly summary: string;
  /** Usage text for `charter <name> --help`. */
  readonly usage: string;
  /**
   * Runs the command (`args` are the words after its name). Parses flags with `parseArgs` and throws
   * `CliError` for usage and I/O errors, never catching it: `main` maps it to exit 2 and handles
   * `--help`. Returns the exit code otherwise (0 success, 1 check failed).
   */
  run(args: readonly string[], io: Io): Promise<ExitCode>;
}
