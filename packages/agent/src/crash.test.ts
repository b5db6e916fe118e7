import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRefundLog } from './__fixtures__/shop.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
// node with the tsx loader in-process (not the tsx CLI, which forks): SIGKILL hits the agent itself.
const node = process.execPath;
const loader = ['--import', 'tsx', '--conditions=@charter/source'];
const child = join(here, '__fixtures__', 'crash-child.ts');

function resume(dir: string, mode: 'resume' | 'resume-crash' = 'resume'): { json: Record<string, unknown> | undefined; killed: boolean } {
  const out = spawnSync(node, [...loader, child, mode, dir, 'crash-run'], { encoding: 'utf8', timeout: 60_000, cwd: repo });
  const line = out.stdout.trim().split('\n').at(-1) ?? '';
  return { json: line === '' ? undefined : (JSON.parse(line) as Record<string, unknown>), killed: out.signal === 'SIGKILL' };
}

/** Starts the child, waits for it to report the paused run, then kills it with SIGKILL. */
async function startAndKill(dir: string): Promise<Record<string, unknown>> {
  const proc = spawn(node, [...loader, child, 'start', dir], { stdio: ['ignore', 'pipe', 'inherit'], cwd: repo });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.includes('\n')) resolve(buffer.split('\n')[0] ?? '');
    });
    proc.on('exit', (code) => {
      reject(new Error(`child exited early with ${String(code)}`));
    });
  });
  const exited = new Promise((resolve) =>
    proc.on('exit', (_code, signal) => {
      resolve(signal);
    }),
  );
  proc.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return JSON.parse(line) as Record<string, unknown>;
}

describe('crash and resume across processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'charter-crash-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a run awaiting approval survives SIGKILL and completes exactly once in a new process', async () => {
    expect(await startAndKill(dir)).toEqual({ status: 'paused', runId: 'crash-run' });
    expect(readRefundLog(join(dir, 'refunds.jsonl'))).toEqual([]);

    const first = resume(dir);
    expect(first.json).toMatchObject({ status: 'completed', output: 'Refunded.' });
    const log = readRefundLog(join(dir, 'refunds.jsonl'));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ orderId: 'A-2', amount: 250 });

    // A second resume is refused and executes nothing.
    expect(resume(dir).json).toEqual({ error: 'AGENT_NOT_PAUSED' });
    expect(readRefundLog(join(dir, 'refunds.jsonl'))).toHaveLength(1);
  }, 60_000);

  it('a resume killed right after the side effect is taken over without refunding twice', async () => {
    await startAndKill(dir);
    const crashed = resume(dir, 'resume-crash');
    expect(crashed.killed).toBe(true);
    expect(crashed.json).toBeUndefined();
    expect(readRefundLog(join(dir, 'refunds.jsonl'))).toHaveLength(1);

    const taken = resume(dir);
    expect(taken.json).toMatchObject({ status: 'completed', output: 'Refunded.' });
    expect(readRefundLog(join(dir, 'refunds.jsonl'))).toHaveLength(1);
  }, 60_000);
});
