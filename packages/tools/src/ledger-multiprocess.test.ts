// Several real Node processes share one FileLedger file (the worker fixture runs the executor with
// tsx). No mocks: real files, real locks, real process death.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createExecutor, defineTool, FileLedger, type LedgerRecord, ToolErrorCode } from './index.js';

const fixture = fileURLToPath(new URL('./__fixtures__/ledger-worker.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Worker {
  readonly child: ChildProcess;
  /** Resolves when the worker printed `marker`. */
  readonly ready: Promise<void>;
  /** Resolves to the worker's last stdout line, parsed, when it exits 0. */
  readonly done: Promise<Outcome>;
}

interface Outcome {
  ok: boolean;
  value?: { chargeId: string; pid: number };
  error?: { code: string; message: string };
  meta: { replayed: boolean; attempts: number };
}

function startWorker(args: string[], marker: string): Worker {
  const child = spawn(process.execPath, ['--conditions=@charter/source', '--import', 'tsx', fixture, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes(marker)) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`worker exited ${String(code)}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Outcome);
    });
  });
  done.catch(() => undefined);
  return { child, ready: Promise.race([ready, done.then(() => undefined)]), done };
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'charter-ledger-mp-'));
  const effects = join(dir, 'effects.log');
  writeFileSync(effects, '');
  return { dir, ledger: join(dir, 'ledger.jsonl'), effects, barrier: join(dir, 'go') };
}

/** Effects as `{ phase, key, pid, ms }`. */
function effectsOf(path: string) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [phase = '', key = '', pid = '', ms = ''] = line.split(' ');
      return { phase, key, pid: Number(pid), ms: Number(ms) };
    });
}

/** Starts `keys.length` workers, waits until all are loaded, then releases them at once. */
async function race(paths: ReturnType<typeof setup>, keys: readonly string[], holdMs: number): Promise<Outcome[]> {
  const workers = keys.map((key) => startWorker(['exec', paths.ledger, paths.effects, paths.barrier, key, String(holdMs)], 'READY'));
  await Promise.all(workers.map((w) => w.ready));
  writeFileSync(paths.barrier, '');
  return Promise.all(workers.map((w) => w.done));
}

describe('FileLedger shared by processes', () => {
  it('runs an irreversible effect once when 4 processes call the same key at the same moment', async () => {
    const paths = setup();
    const outcomes = await race(paths, ['order-1', 'order-1', 'order-1', 'order-1'], 1_500);

    const starts = effectsOf(paths.effects).filter((e) => e.phase === 'S');
    expect(starts).toHaveLength(1);
    const executed = outcomes.filter((o) => o.ok && !o.meta.replayed);
    expect(executed).toHaveLength(1);
    expect(executed[0]?.value).toEqual({ chargeId: 'C-order-1', pid: starts[0]?.pid });
    // Every other process arrived while the first was still running (it holds 1.5 s): the key is
    // `started`, there is no reconcile, so each is refused as in doubt; a replay would also be correct.
    for (const other of outcomes.filter((o) => o !== executed[0])) {
      if (other.ok) expect(other).toMatchObject({ value: executed[0]?.value, meta: { replayed: true, attempts: 0 } });
      else expect(other).toMatchObject({ error: { code: ToolErrorCode.InDoubt }, meta: { attempts: 0 } });
    }
    expect(outcomes.filter((o) => !o.ok).length).toBeGreaterThanOrEqual(1);

    const records = readFileSync(paths.ledger, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerRecord);
    expect(records.map((r) => r.state)).toEqual(['started', 'completed']);
    // The lock files are gone once everybody is done.
    expect(readdirSync(`${paths.ledger}.locks`).filter((f) => f.endsWith('.lock'))).toEqual([]);
  }, 60_000);

  it('with a quick effect, the others see started (in doubt) or completed (replay), never a second run', async () => {
    const paths = setup();
    const outcomes = await race(paths, ['order-2', 'order-2', 'order-2', 'order-2'], 0);
    expect(effectsOf(paths.effects).filter((e) => e.phase === 'S')).toHaveLength(1);
    expect(outcomes.filter((o) => o.ok && !o.meta.replayed)).toHaveLength(1);
    for (const o of outcomes) {
      const allowed = (o.ok && o.value?.chargeId === 'C-order-2') || (!o.ok && o.error?.code === ToolErrorCode.InDoubt && !o.meta.replayed);
      expect(allowed, JSON.stringify(o)).toBe(true);
    }
  }, 60_000);

  it('runs different keys in parallel: the lock is per key and is not held while the tool runs', async () => {
    const paths = setup();
    const keys = ['a', 'b', 'c', 'd'];
    const outcomes = await race(paths, keys, 1_000);
    expect(outcomes.every((o) => o.ok && !o.meta.replayed)).toBe(true);
    const effects = effectsOf(paths.effects);
    expect(
      effects
        .filter((e) => e.phase === 'S')
        .map((e) => e.key)
        .sort(),
    ).toEqual(keys);
    const lastStart = Math.max(...effects.filter((e) => e.phase === 'S').map((e) => e.ms));
    const firstEnd = Math.min(...effects.filter((e) => e.phase === 'E').map((e) => e.ms));
    // Every effect started before any ended: all four ran at the same time.
    expect(lastStart).toBeLessThan(firstEnd);
  }, 60_000);

  it('breaks a lock whose process died, and times out on a live holder with TOOL_LEDGER', async () => {
    const paths = setup();
    const holder = startWorker(['lock', paths.ledger, 'order-9'], 'LOCKED');
    await holder.ready;
    const ledger = new FileLedger(paths.ledger, { lockTimeoutMs: 300 });
    // Alive and fresh: wait, then a clear timeout naming the holder.
    await expect(ledger.lock('order-9')).rejects.toMatchObject({
      code: ToolErrorCode.Ledger,
      message: expect.stringContaining(`process ${String(holder.child.pid)}`) as unknown,
    });

    const exited = new Promise((resolve) => holder.child.on('close', resolve));
    holder.child.kill('SIGKILL');
    await exited;
    const release = await ledger.lock('order-9');
    const lockFiles = readdirSync(`${paths.ledger}.locks`).filter((f) => f.endsWith('.lock'));
    expect(lockFiles).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(`${paths.ledger}.locks`, lockFiles[0] ?? ''), 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
    expect(readdirSync(`${paths.ledger}.locks`).filter((f) => f.endsWith('.lock'))).toEqual([]);
    await ledger.close();
  }, 30_000);

  it('the executor takes the lock: while another process holds it, the call fails with TOOL_LEDGER and nothing runs', async () => {
    const paths = setup();
    const holder = startWorker(['lock', paths.ledger, 'charge:order-7'], 'LOCKED');
    await holder.ready;
    let ran = 0;
    const charge = defineTool({
      name: 'charge',
      version: '1.0.0',
      description: 'Charges a card once per key.',
      input: z.object({ key: z.string() }),
      output: z.object({ chargeId: z.string(), pid: z.int() }),
      sideEffects: 'irreversible',
      idempotencyKey: (input) => input.key,
      execute: () => ({ chargeId: `local-${String(++ran)}`, pid: process.pid }),
    });
    const executor = createExecutor([charge], { ledger: new FileLedger(paths.ledger, { lockTimeoutMs: 200 }) });
    expect(await executor.execute('charge', { key: 'order-7' }, { runId: 'mine' })).toMatchObject({
      ok: false,
      error: { code: ToolErrorCode.Ledger },
    });
    // Another key is not blocked by it.
    expect(await executor.execute('charge', { key: 'order-6' }, { runId: 'mine' })).toMatchObject({
      ok: true,
      value: { chargeId: 'local-1' },
    });
    expect(ran).toBe(1);
    await executor.close();
  }, 30_000);

  it('breaks a lock older than staleLockMs even when its process lives', async () => {
    const paths = setup();
    const holder = startWorker(['lock', paths.ledger, 'order-8'], 'LOCKED');
    await holder.ready;
    const ledger = new FileLedger(paths.ledger, { staleLockMs: 400, lockTimeoutMs: 5_000 });
    const started = Date.now();
    const release = await ledger.lock('order-8');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(holder.child.exitCode).toBeNull();
    await release();
    await ledger.close();
  }, 30_000);

  it('get sees a completed record another process appended after this one opened the ledger', async () => {
    const paths = setup();
    const mine = new FileLedger(paths.ledger);
    expect(await mine.get('charge:order-5')).toBeUndefined();
    const other = startWorker(['exec', paths.ledger, paths.effects, paths.barrier, 'order-5', '0'], 'READY');
    await other.ready;
    writeFileSync(paths.barrier, '');
    expect(await other.done).toMatchObject({ ok: true, meta: { replayed: false } });
    expect(await mine.get('charge:order-5')).toMatchObject({ state: 'completed', value: { chargeId: 'C-order-5' } });

    // This process's executor replays it instead of charging again.
    let ran = 0;
    const charge = defineTool({
      name: 'charge',
      version: '1.0.0',
      description: 'Charges a card once per key.',
      input: z.object({ key: z.string() }),
      output: z.object({ chargeId: z.string(), pid: z.int() }),
      sideEffects: 'irreversible',
      idempotencyKey: (input) => input.key,
      execute: () => ({ chargeId: `local-${String(++ran)}`, pid: process.pid }),
    });
    const executor = createExecutor([charge], { ledger: mine });
    expect(await executor.execute('charge', { key: 'order-5' }, { runId: 'mine' })).toMatchObject({
      ok: true,
      value: { chargeId: 'C-order-5' },
      meta: { replayed: true },
    });
    expect(ran).toBe(0);
    await executor.close();
    expect(effectsOf(paths.effects).filter((e) => e.phase === 'S')).toHaveLength(1);
  }, 30_000);

  it('leaves a line another process is still writing for the next read instead of treating it as torn', async () => {
    const paths = setup();
    const ledger = new FileLedger(paths.ledger);
    expect(await ledger.get('x')).toBeUndefined();
    const line = `${JSON.stringify({ key: 'x', state: 'completed', tool: 't', version: '1.0.0', runId: 'r', at: '2026-01-01T00:00:00.000Z', value: 1 })}\n`;
    appendFileSync(paths.ledger, line.slice(0, 20));
    expect(await ledger.get('x')).toBeUndefined();
    appendFileSync(paths.ledger, line.slice(20));
    expect(await ledger.get('x')).toMatchObject({ state: 'completed', value: 1 });
    // A corrupt complete line appended later is still an error, with its line number.
    appendFileSync(paths.ledger, 'not json\n');
    await expect(ledger.get('x')).rejects.toMatchObject({
      code: ToolErrorCode.Ledger,
      message: expect.stringContaining('line 2') as unknown,
    });
    await ledger.close();
    expect(existsSync(paths.ledger)).toBe(true);
  });

  it('on open, does not cut an unterminated last line that its writer completes while the opener settles', async () => {
    const paths = setup();
    const line = `${JSON.stringify({ key: 'y', state: 'started', tool: 't', version: '1.0.0', runId: 'r', at: '2026-01-01T00:00:00.000Z' })}\n`;
    writeFileSync(paths.ledger, line.slice(0, 30));
    // Registered before the opener's 20 ms settle timer, so it fires first: a writer finishing its line.
    setTimeout(() => {
      appendFileSync(paths.ledger, line.slice(30));
    }, 10);
    const ledger = new FileLedger(paths.ledger);
    expect(await ledger.get('y')).toMatchObject({ state: 'started' });
    await ledger.close();
    expect(readFileSync(paths.ledger, 'utf8')).toBe(line);
  });

  it('keeps working without lock for custom ledgers (single process)', async () => {
    const paths = setup();
    const file = new FileLedger(paths.ledger);
    const plain = { get: (k: string) => file.get(k), append: (r: LedgerRecord) => file.append(r), close: () => file.close() };
    let ran = 0;
    const tool = defineTool({
      name: 'once',
      version: '1.0.0',
      description: 'Once.',
      input: z.object({ id: z.string() }),
      output: z.object({ n: z.int() }),
      sideEffects: 'irreversible',
      idempotencyKey: (input) => input.id,
      execute: () => ({ n: ++ran }),
    });
    const executor = createExecutor([tool], { ledger: plain });
    expect(await executor.execute('once', { id: '1' }, { runId: 'r' })).toMatchObject({
      ok: true,
      value: { n: 1 },
      meta: { replayed: false },
    });
    expect(await executor.execute('once', { id: '1' }, { runId: 'r' })).toMatchObject({
      ok: true,
      value: { n: 1 },
      meta: { replayed: true },
    });
    expect(existsSync(`${paths.ledger}.locks`)).toBe(false);
    await executor.close();
  });

  it('refuses nonsense lock options with TOOL_LEDGER', () => {
    const { ledger } = setup();
    expect(() => new FileLedger(ledger, { lockTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: ToolErrorCode.Ledger, message: expect.stringContaining('lockTimeoutMs') as unknown }),
    );
    expect(() => new FileLedger(ledger, { staleLockMs: Number.NaN })).toThrow(expect.objectContaining({ code: ToolErrorCode.Ledger }));
  });
});
