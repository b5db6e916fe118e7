import type { Prompter } from './scaffold/prompt.js';

/** Where a command writes: stdout for results, stderr for diagnostics. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Working directory the command resolves relative paths against. */
  readonly cwd: string;
  /** True when stdout is a terminal (colour and progress allowed). */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Present only when a person can answer (stdin and stdout are terminals): asks for missing values. */
  readonly prompt?: () => Promise<Prompter>;
}

/** Exit codes of every command (the table below says what each means). */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, Internal: 70 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one exit-code table of the CLI: `charter --help` prints it, the README shows it (a test compares
 * them) and a test holds every command to it with bad input.
 */
export const EXIT_CODES: readonly { readonly code: ExitCode; readonly name: string; readonly meaning: string }[] = [
  { code: ExitCode.Ok, name: 'ok', meaning: 'done, nothing wrong found' },
  {
    code: ExitCode.Failed,
    name: 'findings',
    meaning: 'the input was read and a check failed (invalid document, broken record, difference)',
  },
  {
    code: ExitCode.Usage,
    name: 'usage error or unreadable input',
    meaning: 'bad command line; input missing, a folder, binary or unreadable; output unwritable',
  },
  { code: ExitCode.Internal, name: 'internal error', meaning: 'a bug in charter (the stack trace is printed): please report it' },
];

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
   * `--help`. Returns the exit code otherwise (0 ok, 1 findings; see `EXIT_CODES`).
   */
  run(args: readonly string[], io: Io): Promise<ExitCode>;
}
