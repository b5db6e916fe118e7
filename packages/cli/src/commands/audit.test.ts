import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_HMAC_KEY_ENV, hashArguments, openAuditLog } from '@charter/telemetry';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES_LINE, main } from '../main.js';
import { captureIo } from '../testing.js';
import { auditCommand } from './audit.js';

const KEY = 'test-key-0123456789abcdef';

function writeLog(records: number, env: Record<string, string> = {}, checkpointEvery?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'charter-cli-audit-'));
  const log = openAuditLog(join(dir, 'audit.jsonl'), { env, ...(checkpointEvery ? { checkpointEvery } : {}) });
  for (let i = 0; i < records; i++) {
    log.append({
      kind: 'tool.call',
      ts: new Date(1_700_000_000_000 + i).toISOString(),
      agent: 'customer-support',
      runId: `r${i}`,
      actor: { type: 'agent', id: 'customer-support' },
      policyVersion: '1.0.0',
      tool: { name: 'refund_order', version: '2.1.0', sideEffects: 'irreversible', argsHash: hashArguments({ orderId: i }) },
    });
  }
  return dir;
}

/** The hash of the last record of `dir`/audit.jsonl. */
function lastHash(dir: string): string {
  const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trimEnd().split('\n');
  return (JSON.parse(lines.at(-1)!) as { hash: string }).hash;
}

describe('charter audit verify', () => {
  it('reports an intact log with its head, and says a cut at the end needs the head kept elsewhere; exit 0', async () => {
    const dir = writeLog(25);
    const io = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl'], io)).toBe(0);
    expect(io.out()).toBe(
      `✔ audit.jsonl: 25 record(s), hash chain intact; head ${lastHash(dir)}\n` +
        '  The file alone cannot show records cut from its end: keep the head elsewhere and pass --expect-head <hash> (or --expect-records <n>) to check it.\n',
    );
  });

  it('an empty log is not called intact: it proves nothing (exit 0), and fails against an anchor (exit 1)', async () => {
    const dir = writeLog(0);
    writeFileSync(join(dir, 'audit.jsonl'), '');
    const io = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl'], io)).toBe(0);
    expect(io.out()).toContain('! audit.jsonl: empty, 0 records: nothing to verify, and an empty log proves nothing');
    expect(io.out()).not.toContain('intact');
    const anchored = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl', '--expect-records', '1'], anchored)).toBe(1);
    expect(anchored.out()).toContain('✖ at least 1 record(s) expected, 0 present');
  });

  it('a cleanly cut tail verifies alone, and is caught with --expect-head or --expect-records (exit 1)', async () => {
    const dir = writeLog(25);
    const head = lastHash(dir);
    const path = join(dir, 'audit.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, `${lines.slice(0, 20).join('\n')}\n`); // records 20-24 removed, the rest untouched
    const alone = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl'], alone)).toBe(0);
    expect(alone.out()).toContain('20 record(s), hash chain intact');
    expect(alone.out()).toContain('cannot show records cut from its end');

    const byHead = captureIo(dir);
    expect(await main(['audit', 'verify', 'audit.jsonl', '--expect-head', head], byHead)).toBe(1);
    expect(byHead.out()).toContain(`✖ the expected head ${head} is not in the log: records were cut from its end`);
    const byCount = captureIo(dir);
    expect(await main(['audit', 'verify', 'audit.jsonl', '--expect-records=25', '--json'], byCount)).toBe(1);
    expect(JSON.parse(byCount.out())).toMatchObject({
      ok: false,
      records: 20,
      head: lastHash(dir),
      expectRecords: { atLeast: 25, ok: false },
    });
  });

  it('--expect-head passes when the kept head is the last record or records were appended after it', async () => {
    const dir = writeLog(25);
    const path = join(dir, 'audit.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    const head20 = (JSON.parse(lines[19]!) as { hash: string }).hash;
    const last = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl', '--expect-head', lastHash(dir), '--expect-records', '25'], last)).toBe(0);
    expect(last.out()).toContain('✔ expected head found: record 24, the last record');
    expect(last.out()).toContain('✔ at least 25 record(s) expected: 25 present');
    expect(last.out()).not.toContain('cannot show records cut');
    const earlier = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl', '--expect-head', head20], earlier)).toBe(0);
    expect(earlier.out()).toContain('✔ expected head found: record 19, 5 record(s) appended after it');
  });

  it.each([
    [['--expect-head', 'abc'], '--expect-head needs a record hash (64 lowercase hex characters), got "abc"'],
    [['--expect-records', '-1'], '--expect-records needs a non-negative integer, got "-1"'],
  ])('bad anchors %j are usage errors, exit 2', async (args, message) => {
    const dir = writeLog(1);
    const io = captureIo(dir);
    expect(await main(['audit', 'verify', 'audit.jsonl', ...args], io)).toBe(2);
    expect(io.err()).toContain(`charter audit: ${message}`);
  });

  it('names the first broken record and its line; exits 1', async () => {
    const dir = writeLog(25);
    const path = join(dir, 'audit.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[12] = lines[12]!.replace('refund_order', 'refund_ordeR');
    writeFileSync(path, lines.join('\n'));
    const io = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl'], io)).toBe(1);
    expect(io.out()).toContain('✖ audit.jsonl: record 12 (line 13) is broken: hash does not match the record content');
    const json = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl', '--json'], json)).toBe(1);
    expect(JSON.parse(json.out())).toMatchObject({ file: 'audit.jsonl', ok: false, records: 12, firstBroken: { index: 12, line: 13 } });
  });

  it('verifies HMAC checkpoints with the key from the environment and warns without it', async () => {
    const env = { [AUDIT_HMAC_KEY_ENV]: KEY };
    const dir = writeLog(10, env, 5);
    const withKey = captureIo(dir, env);
    expect(await auditCommand.run(['verify', 'audit.jsonl', '--checkpoint-every', '5'], withKey)).toBe(0);
    expect(withKey.out()).toContain('2 HMAC checkpoint(s) verified');
    const withoutKey = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl'], withoutKey)).toBe(0);
    expect(withoutKey.out()).toContain(`2 HMAC checkpoint(s) not verified: set ${AUDIT_HMAC_KEY_ENV}`);
    const wrongKey = captureIo(dir, { [AUDIT_HMAC_KEY_ENV]: 'another-key-0123456789' });
    expect(await auditCommand.run(['verify', 'audit.jsonl'], wrongKey)).toBe(1);
    expect(wrongKey.out()).toContain('record 4 (line 5) is broken: HMAC checkpoint does not verify');
  });

  it('a missing file is no audit log (exit 2, the path), not "record 0 broken"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-cli-audit-'));
    const io = captureIo(dir);
    expect(await main(['audit', 'verify', 'no-such-audit.jsonl'], io)).toBe(2);
    expect(io.err()).toBe('charter audit: no audit log at no-such-audit.jsonl: check the path\n');
    expect(io.out()).toBe('');
    const folder = captureIo(dir);
    expect(await main(['audit', 'verify', '.'], folder)).toBe(2);
    expect(folder.err()).toBe('charter audit: . is a folder: name the audit log file\n');
  });

  it('binary content is an altered log (exit 1), not refused as input', async () => {
    const dir = writeLog(3);
    writeFileSync(join(dir, 'audit.jsonl'), Buffer.concat([readFileSync(join(dir, 'audit.jsonl')), Buffer.from([0, 1, 2, 0xff, 0x0a])]));
    const io = captureIo(dir);
    expect(await main(['audit', 'verify', 'audit.jsonl'], io)).toBe(1);
    expect(io.out()).toContain('✖ audit.jsonl: record 3 (line 4) is broken: the line is not valid JSON');
  });

  it.each([
    [[], 'missing sub-command'],
    [['check', 'x'], 'unknown sub-command "check"'],
    [['verify'], 'missing <file>'],
    [['verify', 'a', 'b'], 'unexpected argument "b"'],
    [['verify', 'a', '--checkpoint-every', 'zero'], '--checkpoint-every needs a positive integer'],
    [['verify', 'a', '--colour'], 'unknown option --colour'],
  ])('usage error for %j: message and the --help hint on stderr, exit 2 (via main)', async (args, message) => {
    const io = captureIo(tmpdir());
    expect(await main(['audit', ...args], io)).toBe(2);
    expect(io.err()).toContain(`charter audit: ${message}`);
    expect(io.err()).toContain('Run "charter audit --help" for usage.');
    expect(io.out()).toBe('');
  });

  it('throws the usage error instead of handling it itself (main maps it)', async () => {
    await expect(auditCommand.run(['verify'], captureIo(tmpdir()))).rejects.toMatchObject({ code: 'CLI_USAGE', message: 'missing <file>' });
  });

  it('an unknown flag is a usage error naming the flag, even with a valid log', async () => {
    const dir = writeLog(2);
    const io = captureIo(dir);
    expect(await main(['audit', 'verify', 'audit.jsonl', '--jsonn'], io)).toBe(2);
    expect(io.err()).toContain('unknown option --jsonn (options: --json, --checkpoint-every, --expect-head, --expect-records)');
    expect(io.err()).toContain('Run "charter audit --help"');
    expect(io.out()).toBe('');
  });

  it('charter audit --help (or -h, anywhere before --) prints the usage, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['verify', 'audit.jsonl', '--help']]) {
      const io = captureIo(tmpdir());
      expect(await main(['audit', ...args], io)).toBe(0);
      expect(io.out()).toBe(`${auditCommand.usage}\n\n${EXIT_CODES_LINE}\n`);
      expect(io.out()).toContain('Usage: charter audit verify <file>');
      expect(io.err()).toBe('');
    }
  });

  it('a too-short key is a usage error naming the fix', async () => {
    const dir = writeLog(1);
    const io = captureIo(dir, { [AUDIT_HMAC_KEY_ENV]: 'short' });
    expect(await main(['audit', 'verify', 'audit.jsonl'], io)).toBe(2);
    expect(io.err()).toContain('at least 16');
    expect(io.err()).toContain('Run "charter audit --help"');
  });
});
