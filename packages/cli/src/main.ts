import { readFileSync } from 'node:fs';
import { EXIT_CODES, ExitCode, type Command, type Io } from './command.js';
import { CliError, CliErrorCode } from './errors.js';

/**
 * Every sub-command, in the order `charter --help` lists them, each loaded only when it runs: a command
 * imports only what it needs, so `charter check` does not load the server, the state stores or the
 * scaffolder (measured: 534 → 192 ms CPU of imports before `charter check` starts, 2 loaded cores).
 */
const COMMAND_MODULES: readonly { readonly name: string; readonly load: () => Promise<Command> }[] = [
  { name: 'new', load: async () => (await import('./commands/new.js')).newCommand },
  { name: 'run', load: async () => (await import('./commands/run.js')).runCommand },
  { name: 'validate', load: async () => (await import('./commands/validate.js')).validateCommand },
  { name: 'tools', load: async () => (await import('./commands/tools.js')).toolsCommand },
  { name: 'audit', load: async () => (await import('./commands/audit.js')).auditCommand },
  { name: 'replay', load: async () => (await import('./commands/replay.js')).replayCommand },
  { name: 'profile', load: async () => (await import('./commands/profile.js')).profileCommand },
  { name: 'alerts', load: async () => (await import('./commands/alerts.js')).alertsCommand },
  { name: 'control', load: async () => (await import('./commands/control.js')).controlCommand },
  { name: 'playbook', load: async () => (await import('./commands/playbook.js')).playbookCommand },
  { name: 'rollout', load: async () => (await import('./commands/rollout.js')).rolloutCommand },
  { name: 'check', load: async () => (await import('./commands/check.js')).checkCommand },
  { name: 'eval', load: async () => (await import('./commands/eval.js')).evalCommand },
  { name: 'catalog', load: async () => (await import('./commands/catalog.js')).catalogCommand },
  { name: 'serve', load: async () => (await import('./commands/serve.js')).serveCommand },
  { name: 'tenants', load: async () => (await import('./commands/tenants.js')).tenantsCommand },
];

/** The names of every sub-command, in the order `charter --help` lists them. */
export const commandNames: readonly string[] = COMMAND_MODULES.map((entry) => entry.name);

/** Every sub-command (loads them all), in the order `charter --help` lists them. */
export async function loadCommands(): Promise<readonly Command[]> {
  return Promise.all(COMMAND_MODULES.map((entry) => entry.load()));
}

export interface MainOptions {
  /** The commands to dispatch to instead of Charter's own (tests use it to inject a failing command). */
  readonly commands?: readonly Command[];
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `Usage: charter <command> [options]

Commands:
${lines.join('\n')}

Run "charter <command> --help" for a command's options.

Exit codes (every command):
${EXIT_CODES.map(({ code, name, meaning }) => `${String(code).padStart(4)}  ${name}: ${meaning}`).join('\n')}
`;
}

/** The line `charter <command> --help` ends with. */
export const EXIT_CODES_LINE = `Exit codes: ${EXIT_CODES.map(({ code, name }) => `${code} ${name}`).join(', ')} (charter --help says more).`;

/** True when `args` ask for help (`--help` or `-h` before any `--`, after which everything is a positional). */
function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/**
 * Runs the CLI and returns its exit code. This is the one place errors become exit codes and the one
 * place `--help` is handled: `charter <command> --help` (or `-h`) prints the command's `usage` and the
 * exit codes, exit 0; a usage error → 2 with the message and a hint to run `--help`; an I/O error
 * (missing, unreadable or binary input, unwritable output) → 2 with the message; anything unexpected
 * → 70 with the stack. Commands never catch `CliError` themselves.
 */
export async function main(argv: readonly string[], io: Io, options: MainOptions = {}): Promise<ExitCode> {
  const [name, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(help(options.commands ?? (await loadCommands())));
      return name === undefined ? ExitCode.Usage : ExitCode.Ok;
    }
    if (name === '--version' || name === '-v') {
      io.stdout(`${version()}\n`);
      return ExitCode.Ok;
    }
    const names = options.commands?.map((c) => c.name) ?? commandNames;
    command = options.commands
      ? options.commands.find((candidate) => candidate.name === name)
      : await COMMAND_MODULES.find((entry) => entry.name === name)?.load();
    if (!command) throw new CliError(CliErrorCode.Usage, `unknown command "${name}"; commands: ${names.join(', ')}`);
    if (wantsHelp(rest)) {
      io.stdout(`${command.usage}\n\n${EXIT_CODES_LINE}\n`);
      return ExitCode.Ok;
    }
    return await command.run(rest, io);
  } catch (error) {
    if (CliError.isInstance(error)) {
      const prefix = command ? `charter ${command.name}` : 'charter';
      io.stderr(`${prefix}: ${error.message}\n`);
      if (error.code === CliErrorCode.Usage) io.stderr(`Run "${prefix} --help" for usage.\n`);
      return ExitCode.Usage;
    }
    io.stderr(`charter: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.Internal;
  }
}

/** The `Io` of the running process. */
export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY,
    env: process.env,
    ...(process.stdin.isTTY && process.stdout.isTTY
      ? { prompt: async () => (await import('./scaffold/prompt.js')).terminalPrompter() }
      : {}),
  };
}
