import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileLedger, ToolErrorCode, type LedgerRecord } from './index.js';

const fixture = fileURLToPath(new URL('./__fixtures__/crash-refund.ts', import.meta.url));
const record = (key: string, state: LedgerRecord['state']): LedgerRecord => ({
  key,
  state,
  tool: 't',
  version: '1.0.0',
  runId: 'r',
  at: '2026-01-01T00:00:00.000Z',
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'charter-ledger-'));
}

describe('FileLedger', () => {
  it('persists records across instances; the latest record of a key wins', async () => {
    const path = join(tempDir(), 'nested', 'ledger.jsonl');
    const ledger = new FileLedger(path);
    await ledger.append(record('a', 'started'));
    await ledger.append({ ...record('a', 'completed'), value: { id: 1 } });
    await ledger.append(record('b', 'started'));
    await ledger.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);
    const reopened = new FileLedger(path);
    expect(await reopened.get('a')).toMatchObject({ state: 'completed', value: { id: 1 } });
    expect((await reopened.get('b'))?.state).toBe('started');
    expect(await reopened.get('c')).toBeUndefined();
    await reopened.close();
  });

  it('cuts a torn last line (a crash mid-write) and keeps appending cleanly', async () => {
    const path = join(tempDir(), 'ledger.jsonl');
    writeFileSync(path, `${JSON.stringify(record('a', 'started'))}\n{"key":"b","sta`);
    const ledger = new FileLedger(path);
    expect(await ledger.get('b')).toBeUndefined();
    await ledger.append(record('c', 'started'));
    await ledger.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as LedgerRecord).key)).toEqual(['a', 'c']);
  });

  it('refuses a ledger corrupt in the middle with TOOL_LEDGER', async () => {
    const path = join(tempDir(), 'ledger.jsonl');
    writeFileSync(path, `not json\n${JSON.stringify(record('a', 'started'))}\n`);
    await expect(new FileLedger(path).get('a')).rejects.toMatchObject({
      code: ToolErrorCode.Ledger,
      message: expect.stringContaining('line 1') as unknown,
    });
  });
});

interface Child {
  stdout: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function runFixture(args: string[], killOn?: string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@charter/source', '--import', 'tsx', fixture, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killOn !== undefined && stdout.includes(killOn)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`fixture exited ${code}: ${stderr}`));
      else resolve({ stdout, code, signal });
    });
  });
}

const lastJson = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    ok: boolean;
    error?: { code: string };
    value?: unknown;
    meta: { replayed: boolean };
  };
const count = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).length;

describe('crash between side effect and acknowledgement', () => {
  it('a new process with the same ledger does not execute the effect again', async () => {
    const dir = tempDir();
    const ledger = join(dir, 'ledger.jsonl');
    const effects = join(dir, 'effects.log');
    appendFileSync(effects, '');

    const killed = await runFixture(['hang', ledger, effects, 'A-1'], 'EFFECT');
    expect(killed.signal).toBe('SIGKILL');
    expect(count(effects)).toBe(1);
    expect(readFileSync(ledger, 'utf8')).toContain('"state":"started"');

    // Without a reconcile function: in doubt, refused, effect not repeated.
    const restarted = await runFixture(['run', ledger, effects, 'A-1']);
    expect(lastJson(restarted.stdout).error?.code).toBe(ToolErrorCode.InDoubt);
    expect(count(effects)).toBe(1);

    // With reconcile: the tool finds its effect downstream; the ledger records it as completed.
    const reconciled = await runFixture(['run', ledger, effects, 'A-1', 'yes']);
    expect(lastJson(reconciled.stdout)).toMatchObject({ ok: true, value: { refundId: 'R-A-1' }, meta: { replayed: true } });
    expect(count(effects)).toBe(1);

    // After a completed record a third process replays without reconcile.
    const replayed = await runFixture(['run', ledger, effects, 'A-1']);
    expect(lastJson(replayed.stdout)).toMatchObject({ ok: true, meta: { replayed: true } });
    expect(count(effects)).toBe(1);

    // Another key still executes normally.
    const other = await runFixture(['run', ledger, effects, 'A-2']);
    expect(lastJson(other.stdout)).toMatchObject({ ok: true, meta: { replayed: false } });
    expect(count(effects)).toBe(2);
  });
});
