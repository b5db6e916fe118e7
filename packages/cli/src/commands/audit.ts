import { readFileSync } from 'node:fs';
import { AUDIT_HMAC_KEY_ENV, TelemetryError, verifyAudit, type AuditVerification } from '@charter/telemetry';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { inputPath } from '../files.js';
import { createStyle } from '../format.js';

const USAGE = `Usage: charter audit verify <file> [--expect-head <hash>] [--expect-records <n>]
                            [--checkpoint-every N] [--json]

Verifies a Charter audit log (append-only JSONL, SHA-256 hash chain): every
record must be canonical JSON, numbered in order, chained to the previous
record's hash and hashing to its own. With ${AUDIT_HMAC_KEY_ENV} set, HMAC
checkpoints are verified too. Names the first broken record.

The file alone cannot show that records were cut from its end (the shorter
chain is still valid) or that it was emptied. Keep the head (the last
record's hash, printed on success; the audit log's lastHash) somewhere else
and pass it back to detect both.

Options:
  --expect-head <hash>   the log must still hold the record with this hash
                         (records appended after it are fine)
  --expect-records <n>   the log must hold at least n records
  --checkpoint-every N   require an HMAC checkpoint every N records (needs the key)
  --json                 print the verification result as JSON
  --help                 show this help

Exit 1: a record is broken, or an --expect-* anchor is not met.`;

/** `charter audit verify <file>`: checks an audit log's hash chain, HMAC checkpoints and (given one) its head. */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'Verify a tamper-evident audit log and name the first broken record',
  usage: USAGE,
  // eslint-disable-next-line @typescript-eslint/require-await -- async so a thrown CliError rejects the promise
  async run(args, io) {
    return runAudit(args, io);
  },
};

const HASH = /^[0-9a-f]{64}$/;

function positiveInteger(flag: string, value: string | true | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value === true || !Number.isInteger(number) || number < min)
    throw usageError(`--${flag} needs ${min === 0 ? 'a non-negative' : 'a positive'} integer, got "${String(value)}"`);
  return number;
}

/** What the caller's anchors say about the log (undefined fields: not asked). */
interface Anchors {
  expectHead?: { hash: string; found: boolean; index?: number; after?: number };
  expectRecords?: { atLeast: number; ok: boolean };
}

function runAudit(args: readonly string[], io: Io): ExitCode {
  const parsed = parseArgs(args, { boolean: ['json'], valued: ['checkpoint-every', 'expect-head', 'expect-records'] });
  const [sub, file, ...extra] = parsed.positionals;
  if (sub !== 'verify')
    throw usageError(sub === undefined ? 'missing sub-command "verify"' : `unknown sub-command "${sub}" (expected "verify")`);
  if (file === undefined) throw usageError('missing <file>');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}"`);
  const checkpointEvery = positiveInteger('checkpoint-every', parsed.flags.get('checkpoint-every'), 1);
  const expectRecords = positiveInteger('expect-records', parsed.flags.get('expect-records'), 0);
  const expectHead = parsed.flags.get('expect-head');
  if (expectHead !== undefined && (expectHead === true || !HASH.test(expectHead)))
    throw usageError(`--expect-head needs a record hash (64 lowercase hex characters), got "${String(expectHead)}"`);

  // A log that is not there is not a broken log: exit 2 with the path. Binary content is checked as
  // records (an altered log), not refused as input.
  const path = inputPath(io, file, 'audit log', { text: false });
  let result: AuditVerification;
  try {
    result = verifyAudit(path, { env: io.env, ...(checkpointEvery === undefined ? {} : { checkpointEvery }) });
  } catch (error) {
    // The only options verifyAudit rejects come from this command line and its environment (the HMAC key).
    if (TelemetryError.isInstance(error)) throw new CliError(CliErrorCode.Usage, error.message, { cause: error });
    throw error;
  }
  // The chain verified, so every line is a canonical record and its hash can be trusted as the chain's.
  const hashes = result.ok ? recordHashes(path) : [];
  const head = hashes.at(-1);
  const anchors: Anchors = {};
  if (result.ok && expectHead !== undefined) {
    const index = hashes.indexOf(expectHead);
    anchors.expectHead =
      index === -1 ? { hash: expectHead, found: false } : { hash: expectHead, found: true, index, after: hashes.length - 1 - index };
  }
  if (result.ok && expectRecords !== undefined) anchors.expectRecords = { atLeast: expectRecords, ok: result.records >= expectRecords };
  const ok = result.ok && anchors.expectHead?.found !== false && anchors.expectRecords?.ok !== false;

  if (parsed.flags.has('json')) {
    io.stdout(`${JSON.stringify({ file, ...result, ok, head: head ?? null, ...anchors })}\n`);
    return ok ? ExitCode.Ok : ExitCode.Failed;
  }
  const style = createStyle(io.isTTY && io.env.NO_COLOR === undefined);
  if (result.firstBroken) {
    const { index, line, reason } = result.firstBroken;
    io.stdout(`${style.red('✖')} ${file}: record ${index} (line ${line}) is broken: ${reason}\n`);
    io.stdout(`  ${result.records} record(s) before it verify; everything from record ${index} on is untrusted.\n`);
    return ExitCode.Failed;
  }
  const checkpoints = result.checkpoints > 0 ? `; ${result.checkpoints} HMAC checkpoint(s) verified` : '';
  if (head === undefined) {
    io.stdout(
      `${style.yellow('!')} ${file}: empty, 0 records: nothing to verify, and an empty log proves nothing (a log emptied by someone looks the same)\n`,
    );
  } else {
    io.stdout(`${style.green('✔')} ${file}: ${result.records} record(s), hash chain intact${checkpoints}; head ${head}\n`);
  }
  if (result.unverifiedCheckpoints > 0) {
    io.stdout(
      `${style.yellow('!')} ${result.unverifiedCheckpoints} HMAC checkpoint(s) not verified: set ${AUDIT_HMAC_KEY_ENV} to check them (without the key a rewritten chain cannot be told apart)\n`,
    );
  }
  if (anchors.expectHead !== undefined) {
    const { found, index, after } = anchors.expectHead;
    if (!found)
      io.stdout(
        `${style.red('✖')} the expected head ${expectHead ?? ''} is not in the log: records were cut from its end, or the chain was rewritten\n`,
      );
    else
      io.stdout(
        `${style.green('✔')} expected head found: record ${index ?? 0}${after ? `, ${after} record(s) appended after it` : ', the last record'}\n`,
      );
  }
  if (anchors.expectRecords !== undefined) {
    const { atLeast } = anchors.expectRecords;
    if (anchors.expectRecords.ok) io.stdout(`${style.green('✔')} at least ${atLeast} record(s) expected: ${result.records} present\n`);
    else
      io.stdout(
        `${style.red('✖')} at least ${atLeast} record(s) expected, ${result.records} present: records were cut from the end of the log\n`,
      );
  }
  if (anchors.expectHead === undefined && anchors.expectRecords === undefined)
    io.stdout(
      `  The file alone cannot show records cut from its end: keep the head elsewhere and pass --expect-head <hash> (or --expect-records <n>) to check it.\n`,
    );
  return ok ? ExitCode.Ok : ExitCode.Failed;
}

/** The `hash` of every record of a log whose chain verified (so each line is a canonical record). */
function recordHashes(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const hashes: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const { hash } = JSON.parse(line) as { hash: string };
    hashes.push(hash);
  }
  return hashes;
}
