import { readFileSync } from 'node:fs';
import { EXIT_CODES, ExitCode, type Command, type Io } from './command.js';
import { alertsCommand } from './commands/alerts.js';
import { auditCommand } from './commands/audit.js';
import { catalogCommand } from './commands/catalog.js';
import { checkCommand } from './commands/check.js';
import { controlCommand } from './commands/control.js';
import { newCommand } from './commands/new.js';
import { playbookCommand } from './commands/playbook.js';
import { profileCommand } from './commands/profile.js';
import { replayCommand } from './commands/replay.js';
import { rolloutCommand } from './commands/rollout.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { tenantsCommand } from './commands/tenants.js';
import { toolsCommand } from './commands/tools.js';
import { validateCommand } from './commands/validate.js';
import { CliError, CliErrorCode } from './errors.js';
import { terminalPrompter } from './scaffold/prompt.js';

/** Every sub-command, in the order `charter --help` lists them. */
export const commands: readonly Command[] = [
  newCommand,
  runCommand,
  validateCommand,
  toolsCommand,
  auditCommand,
  replayCommand,
  profileCommand,
  alertsCommand,
  controlCommand,
  playbookCommand,
  rolloutCommand,
  checkCommand,
  catalogCommand,
  serveCommand,
  tenantsCommand,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
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
export async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  const [name, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(help());
      return name === undefined ? ExitCode.Usage : ExitCode.Ok;
    }
    if (name === '--version' || name === '-v') {
      io.stdout(`${version()}\n`);
      return ExitCode.Ok;
    }
    command = commands.find((candidate) => candidate.name === name);
    if (!command) throw new CliError(CliErrorCode.Usage, `unknown command "${name}"; commands: ${commands.map((c) => c.name).join(', ')}`);
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
    ...(process.stdin.isTTY && process.stdout.isTTY ? { prompt: terminalPrompter } : {}),
  };
}
