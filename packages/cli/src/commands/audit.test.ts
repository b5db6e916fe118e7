import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_HMAC_KEY_ENV, hashArguments, openAuditLog } from '@charter/telemetry';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
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

describe('charter audit verify', () => {
  it('reports an intact log and exits 0', async () => {
    const dir = writeLog(25);
    const io = captureIo(dir);
    expect(await auditCommand.run(['verify', 'audit.jsonl'], io)).toBe(0);
    expect(io.out()).toBe('✔ audit.jsonl: 25 record(s), hash chain intact\n');
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

  it('exits 1 for a missing file', async () => {
    const io = captureIo(tmpdir());
    expect(await auditCommand.run(['verify', 'no-such-audit.jsonl'], io)).toBe(1);
    expect(io.out()).toContain('cannot read');
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
    expect(io.err()).toContain('unknown option --jsonn (options: --json, --checkpoint-every)');
    expect(io.err()).toContain('Run "charter audit --help"');
    expect(io.out()).toBe('');
  });

  it('charter audit --help (or -h, anywhere before --) prints the usage, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['verify', 'audit.jsonl', '--help']]) {
      const io = captureIo(tmpdir());
      expect(await main(['audit', ...args], io)).toBe(0);
      expect(io.out()).toBe(`${auditCommand.usage}\n`);
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
