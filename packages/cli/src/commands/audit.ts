import { resolve } from 'node:path';
import { AUDIT_HMAC_KEY_ENV, TelemetryError, verifyAudit } from '@charter/telemetry';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { createStyle } from '../format.js';

const USAGE = `Usage: charter audit verify <file> [--checkpoint-every N] [--json]

Verifies a Charter audit log (append-only JSONL, SHA-256 hash chain): every
record must be canonical JSON, numbered in order, chained to the previous
record's hash and hashing to its own. With ${AUDIT_HMAC_KEY_ENV} set, HMAC
checkpoints are verified too. Names the first broken record.

Options:
  --checkpoint-every N  require an HMAC checkpoint every N records (needs the key)
  --json                print the verification result as JSON
  --help                show this help

Exit codes: 0 intact, 1 broken or unreadable, 2 usage error.`;

/** `charter audit verify <file>`: checks an audit log's hash chain and HMAC checkpoints. */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'Verify a tamper-evident audit log and name the first broken record',
  usage: USAGE,
  // eslint-disable-next-line @typescript-eslint/require-await -- async so a thrown CliError rejects the promise
  async run(args, io) {
    return runAudit(args, io);
  },
};

function runAudit(args: readonly string[], io: Io): ExitCode {
  const parsed = parseArgs(args, { boolean: ['json'], valued: ['checkpoint-every'] });
  const [sub, file, ...extra] = parsed.positionals;
  if (sub !== 'verify')
    throw usageError(sub === undefined ? 'missing sub-command "verify"' : `unknown sub-command "${sub}" (expected "verify")`);
  if (file === undefined) throw usageError('missing <file>');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}"`);
  const every = parsed.flags.get('checkpoint-every');
  let checkpointEvery: number | undefined;
  if (every !== undefined) {
    checkpointEvery = Number(every);
    if (every === true || !Number.isInteger(checkpointEvery) || checkpointEvery < 1)
      throw usageError(`--checkpoint-every needs a positive integer, got "${String(every)}"`);
  }
  const path = resolve(io.cwd, file);
  let result;
  try {
    result = verifyAudit(path, { env: io.env, ...(checkpointEvery === undefined ? {} : { checkpointEvery }) });
  } catch (error) {
    // The only options verifyAudit rejects come from this command line and its environment (the HMAC key).
    if (TelemetryError.isInstance(error)) throw new CliError(CliErrorCode.Usage, error.message, { cause: error });
    throw error;
  }
  if (parsed.flags.has('json')) {
    io.stdout(`${JSON.stringify({ file, ...result })}\n`);
    return result.ok ? ExitCode.Ok : ExitCode.Failed;
  }
  const style = createStyle(io.isTTY && io.env.NO_COLOR === undefined);
  if (result.firstBroken) {
    const { index, line, reason } = result.firstBroken;
    io.stdout(`${style.red('✖')} ${file}: record ${index} (line ${line}) is broken: ${reason}\n`);
    io.stdout(`  ${result.records} record(s) before it verify; everything from record ${index} on is untrusted.\n`);
    return ExitCode.Failed;
  }
  const checkpoints = result.checkpoints > 0 ? `; ${result.checkpoints} HMAC checkpoint(s) verified` : '';
  io.stdout(`${style.green('✔')} ${file}: ${result.records} record(s), hash chain intact${checkpoints}\n`);
  if (result.unverifiedCheckpoints > 0) {
    io.stdout(
      `${style.yellow('!')} ${result.unverifiedCheckpoints} HMAC checkpoint(s) not verified: set ${AUDIT_HMAC_KEY_ENV} to check them (without the key a rewritten chain cannot be told apart)\n`,
    );
  }
  return ExitCode.Ok;
}
