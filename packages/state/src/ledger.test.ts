// SqlLedger specifics beyond the shared contract: fencing of a lease that was taken over, leases that a
// live holder keeps by renewing them, and the owner of a `started` record: in flight while it lives, in
// doubt once it is gone.
import type { LedgerRecord } from '@charter/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlLedger } from './ledger.js';
import { migrate } from './migrations.js';
import { openPglite, type SqlDriver } from './sql.js';

const record = (key: string, state: LedgerRecord['state'] = 'started'): LedgerRecord => ({
  key,
  state,
  tool: 'refund_order',
  version: '1.0.0',
  runId: 'r',
  at: new Date().toISOString(),
  ...(state === 'completed' ? { value: { refundId: 'R-1' } } : {}),
});
const started = (key: string) => record(key, 'started');

/** The owner columns of a key's row. */
async function owner(db: SqlDriver, key: string) {
  const { rows } = await db.query<{ state: string; holder: string | null; live: boolean | null }>(
    'SELECT state, holder, lease_until >= clock_timestamp() AS live FROM ledger WHERE key = $1',
    [key],
  );
  return rows[0];
}

describe('SqlLedger on PGlite', () => {
  let db: SqlDriver;
  beforeAll(async () => {
    db = await openPglite();
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('a holder whose lease was taken over cannot write its claim (fencing), and the new holder can', async () => {
    const a = new SqlLedger(db, { leaseMs: 60_000 });
    const b = new SqlLedger(db, { leaseMs: 60_000 });
    await a.lock('k-fence');
    // As if A stalled past its lease (a long GC pause, a frozen VM): the lease expires, B takes the key.
    await db.query("UPDATE ledger_locks SET lease_until = now() - interval '1 second' WHERE key = 'k-fence'");
    const releaseB = await b.lock('k-fence');
    await expect(a.append(started('k-fence'))).rejects.toMatchObject({
      code: 'TOOL_LEDGER',
      message: expect.stringContaining('lost the ledger lock') as unknown,
    });
    expect(await b.get('k-fence')).toBeUndefined();
    await b.append(started('k-fence'));
    await releaseB();
    expect(await a.get('k-fence')).toMatchObject({ state: 'started' });
    expect((await db.query("SELECT 1 FROM ledger_locks WHERE key = 'k-fence'")).rows).toEqual([]);
  });

  it('a live holder renews its lease: a waiter gives up after its wait with TOOL_IN_FLIGHT naming the holder', async () => {
    const a = new SqlLedger(db, { leaseMs: 300 });
    const b = new SqlLedger(db, { leaseMs: 300, lockTimeoutMs: 1500 });
    const release = await a.lock('k-renew');
    await expect(b.lock('k-renew')).rejects.toMatchObject({
      code: 'TOOL_IN_FLIGHT',
      retriable: true,
      message: expect.stringMatching(/still in flight \([^ ]+:\d+:[0-9a-f]+ renews/) as unknown,
    });
    await release();
    const again = await b.lock('k-renew');
    await again();
  });

  it('the owner of a started record holds the key through the call, renewing it past its lease: in flight, not in doubt', async () => {
    const a = new SqlLedger(db, { leaseMs: 300 });
    const b = new SqlLedger(db, { leaseMs: 300 });
    const releaseA = await a.lock('k-flight');
    await a.append(started('k-flight'));
    // The claim row is gone: the record carries the owner and its lease now.
    expect((await db.query("SELECT 1 FROM ledger_locks WHERE key = 'k-flight'")).rows).toEqual([]);
    expect(await owner(db, 'k-flight')).toMatchObject({
      state: 'started',
      live: true,
      holder: expect.stringContaining(`:${process.pid}:`),
    });
    // Waits for five leases' worth; the owner keeps renewing, so the key stays in flight.
    await expect(b.lock('k-flight', { waitMs: 1500 })).rejects.toMatchObject({ code: 'TOOL_IN_FLIGHT' });
    const waiting = b.lock('k-flight', { waitMs: 10_000 });
    await a.append(record('k-flight', 'completed'));
    const releaseB = await waiting;
    // The waiter reads the result, not the claim.
    expect(await b.get('k-flight')).toMatchObject({ state: 'completed', value: { refundId: 'R-1' } });
    expect(await owner(db, 'k-flight')).toMatchObject({ state: 'completed', holder: null });
    await releaseB();
    await releaseA();
  });

  it('a started record keeps its owner when the claim rows are lost (a server crash empties the UNLOGGED table)', async () => {
    const a = new SqlLedger(db, { leaseMs: 60_000 });
    const b = new SqlLedger(db, { leaseMs: 60_000 });
    const releaseA = await a.lock('k-crash');
    await a.append(started('k-crash'));
    await db.exec('TRUNCATE ledger_locks');
    await expect(b.lock('k-crash', { waitMs: 200 })).rejects.toMatchObject({ code: 'TOOL_IN_FLIGHT' });
    await releaseA();
  });

  it('a call that ends without completed or failed (timeout, abort) leaves its started record in doubt at once', async () => {
    const a = new SqlLedger(db, { leaseMs: 60_000 });
    const b = new SqlLedger(db, { leaseMs: 60_000 });
    const releaseA = await a.lock('k-doubt');
    await a.append(started('k-doubt'));
    await releaseA();
    expect(await owner(db, 'k-doubt')).toEqual({ state: 'started', holder: null, live: null });
    const releaseB = await b.lock('k-doubt', { waitMs: 200 });
    expect(await b.get('k-doubt')).toMatchObject({ state: 'started' });
    // The new holder may claim it again (after reconciling): it becomes the owner.
    await b.append(started('k-doubt'));
    expect(await owner(db, 'k-doubt')).toMatchObject({ live: true });
    await releaseB();
  });

  it('the started record of an owner that died is handed out in doubt once its lease expired', async () => {
    const a = new SqlLedger(db, { leaseMs: 60_000 });
    const b = new SqlLedger(db, { leaseMs: 60_000 });
    await a.lock('k-dead');
    await a.append(started('k-dead'));
    await expect(b.lock('k-dead', { waitMs: 100 })).rejects.toMatchObject({ code: 'TOOL_IN_FLIGHT' });
    // As if A's process died long ago: no renewal, the lease expired.
    await a.close();
    await db.query("UPDATE ledger SET lease_until = clock_timestamp() - interval '1 second' WHERE key = 'k-dead'");
    const releaseB = await b.lock('k-dead', { waitMs: 200 });
    expect(await b.get('k-dead')).toMatchObject({ state: 'started' });
    await releaseB();
  });

  it('stops waiting for a key in flight when the signal aborts, with TOOL_ABORTED', async () => {
    const a = new SqlLedger(db, { leaseMs: 60_000 });
    const b = new SqlLedger(db, { leaseMs: 60_000 });
    const releaseA = await a.lock('k-abort');
    const controller = new AbortController();
    const waiting = b.lock('k-abort', { waitMs: 60_000, signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 50);
    await expect(waiting).rejects.toMatchObject({ code: 'TOOL_ABORTED' });
    await expect(b.lock('k-abort', { signal: controller.signal })).rejects.toMatchObject({ code: 'TOOL_ABORTED' });
    await releaseA();
  });

  it('refuses a non-positive lease, and use after close', async () => {
    expect(() => new SqlLedger(db, { leaseMs: 0 })).toThrow(/leaseMs must be a positive/);
    const ledger = new SqlLedger(db);
    await ledger.close();
    await expect(ledger.get('x')).rejects.toMatchObject({ code: 'TOOL_LEDGER' });
  });
});
