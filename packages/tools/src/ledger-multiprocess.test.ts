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
async function race(paths: ReturnType<typeof setup>, keys: readonly string[], holdMs: number, reconcile = 'no'): Promise<Outcome[]> {
  const workers = keys.map((key) =>
    startWorker(['exec', paths.ledger, paths.effects, paths.barrier, key, String(holdMs), reconcile], 'READY'),
  );
  await Promise.all(workers.map((w) => w.ready));
  writeFileSync(paths.barrier, '');
  return Promise.all(workers.map((w) => w.done));
}

describe('FileLedger shared by processes', () => {
  it('4 processes start the same slow irreversible call at once: one effect, the others wait for it and replay its result', async () => {
    const paths = setup();
    // The tool can reconcile, and its reconcile would answer "not done" while the first call still runs
    // (the effect is applied at its end). Taking that call's `started` record for one in doubt would
    // reconcile and charge again (4 effects, seen before the fix); the others must wait for it instead.
    const outcomes = await race(paths, ['order-1', 'order-1', 'order-1', 'order-1'], 1_500, 'reconcile');

    const effects = effectsOf(paths.effects);
    const starts = effects.filter((e) => e.phase === 'S');
    expect(starts).toHaveLength(1);
    expect(effects.filter((e) => e.phase === 'R')).toEqual([]);
    const executed = outcomes.filter((o) => o.ok && !o.meta.replayed);
    expect(executed).toHaveLength(1);
    expect(executed[0]?.value).toEqual({ chargeId: 'C-order-1', pid: starts[0]?.pid });
    for (const other of outcomes.filter((o) => o !== executed[0]))
      expect(other).toMatchObject({ ok: true, value: executed[0]?.value, meta: { replayed: true, attempts: 0 } });

    const records = readFileSync(paths.ledger, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerRecord);
    expect(records.map((r) => r.state)).toEqual(['started', 'completed']);
    // The lock files are gone once everybody is done.
    expect(readdirSync(`${paths.ledger}.locks`).filter((f) => f.endsWith('.lock'))).toEqual([]);
  }, 60_000);

  it('with a quick effect and no reconcile, the others replay it: never a second run, never in doubt', async () => {
    const paths = setup();
    const outcomes = await race(paths, ['order-2', 'order-2', 'order-2', 'order-2'], 0);
    expect(effectsOf(paths.effects).filter((e) => e.phase === 'S')).toHaveLength(1);
    expect(outcomes.filter((o) => o.ok && !o.meta.replayed)).toHaveLength(1);
    for (const o of outcomes) expect(o, JSON.stringify(o)).toMatchObject({ ok: true, value: { chargeId: 'C-order-2' } });
  }, 60_000);

  it('a waiter whose owner process dies mid-effect finds the key in doubt: it reconciles, then executes', async () => {
    const paths = setup();
    const owner = startWorker(['exec', paths.ledger, paths.effects, paths.barrier, 'order-3', '60000', 'reconcile'], 'READY');
    await owner.ready;
    writeFileSync(paths.barrier, '');
    while (!effectsOf(paths.effects).some((e) => e.phase === 'S')) await new Promise((resolve) => setTimeout(resolve, 10));
    // The owner is inside the effect, holding the key's lock; a second process asks for the same key.
    const waiter = startWorker(['exec', paths.ledger, paths.effects, paths.barrier, 'order-3', '0', 'reconcile'], 'READY');
    await waiter.ready;
    const exited = new Promise((resolve) => owner.child.on('close', resolve));
    owner.child.kill('SIGKILL');
    await exited;
    // Its lock is broken (dead pid) and its `started` record has no owner any more: in doubt, so the
    // waiter asks downstream (not applied: the owner died before applying it) and executes.
    expect(await waiter.done).toMatchObject({
      ok: true,
      value: { chargeId: 'C-order-3', pid: waiter.child.pid },
      meta: { replayed: false },
    });
    const effects = effectsOf(paths.effects);
    expect(effects.filter((e) => e.phase === 'R').map((e) => e.pid)).toEqual([waiter.child.pid]);
    expect(effects.filter((e) => e.phase === 'S').map((e) => e.pid)).toEqual([owner.child.pid, waiter.child.pid]);
    expect(effects.filter((e) => e.phase === 'E').map((e) => e.pid)).toEqual([waiter.child.pid]);
  }, 60_000);

  it('runs different keys in parallel: the lock is per key', async () => {
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

  it('breaks a lock whose process died, and times out on a live holder with TOOL_IN_FLIGHT', async () => {
    const paths = setup();
    const holder = startWorker(['lock', paths.ledger, 'order-9'], 'LOCKED');
    await holder.ready;
    const ledger = new FileLedger(paths.ledger, { lockTimeoutMs: 300 });
    // Alive and fresh: wait, then a clear timeout naming the holder.
    await expect(ledger.lock('order-9')).rejects.toMatchObject({
      code: ToolErrorCode.InFlight,
      retriable: true,
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

  it('the executor waits for a lock another process holds up to the call budget, then fails with TOOL_IN_FLIGHT and nothing runs', async () => {
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
      // The call budget, and so the wait for an identical call in flight: 2 × 100 ms.
      timeoutMs: 100,
      retry: false,
      idempotencyKey: (input) => input.key,
      execute: () => ({ chargeId: `local-${String(++ran)}`, pid: process.pid }),
    });
    const executor = createExecutor([charge], { ledger: new FileLedger(paths.ledger) });
    expect(await executor.execute('charge', { key: 'order-7' }, { runId: 'mine' })).toMatchObject({
      ok: false,
      error: {
        code: ToolErrorCode.InFlight,
        retriable: true,
        message: expect.stringContaining(`process ${String(holder.child.pid)}`) as unknown,
      },
      meta: { attempts: 0 },
    });
    // Another key is not blocked by it.
    expect(await executor.execute('charge', { key: 'order-6' }, { runId: 'mine' })).toMatchObject({
      ok: true,
      value: { chargeId: 'local-1' },
    });
    expect(ran).toBe(1);
    await executor.close();
  }, 30_000);

  it('breaks a lock not renewed for staleLockMs even when its process lives', async () => {
    const paths = setup();
    // The holder renews its lock every 10 s (a third of its own 30 s default); to this ledger a lock
    // is stale after 400 ms without renewal, as a hung holder's would be.
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

  it('a holder renews its lock while it holds it: held past staleLockMs, it is not broken', async () => {
    const paths = setup();
    const holder = new FileLedger(paths.ledger, { staleLockMs: 1_500 });
    const other = new FileLedger(paths.ledger, { staleLockMs: 1_500 });
    const release = await holder.lock('order-4');
    // Without renewal the other ledger would break it as stale after 1.5 s and take it.
    await expect(other.lock('order-4', { waitMs: 4_500 })).rejects.toMatchObject({ code: ToolErrorCode.InFlight });
    await release();
    const next = await other.lock('order-4', { waitMs: 1_000 });
    await next();
    await holder.close();
    await other.close();
  }, 30_000);

  it('stops waiting for a held lock when the signal aborts, with TOOL_ABORTED', async () => {
    const paths = setup();
    const holder = new FileLedger(paths.ledger);
    const other = new FileLedger(paths.ledger);
    const release = await holder.lock('order-5');
    const controller = new AbortController();
    const waiting = other.lock('order-5', { waitMs: 60_000, signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 50);
    await expect(waiting).rejects.toMatchObject({ code: ToolErrorCode.Aborted });
    await expect(other.lock('order-5', { signal: controller.signal })).rejects.toMatchObject({ code: ToolErrorCode.Aborted });
    await release();
    await holder.close();
    await other.close();
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
