// SqlLedger specifics beyond the shared contract: fencing of a lease that was taken over, and leases
// that a live holder keeps by renewing them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlLedger } from './ledger.js';
import { migrate } from './migrations.js';
import { openPglite, type SqlDriver } from './sql.js';

const started = (key: string) => ({
  key,
  state: 'started' as const,
  tool: 'refund_order',
  version: '1.0.0',
  runId: 'r',
  at: new Date().toISOString(),
});

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

  it('a live holder renews its lease: a waiter with a short timeout gives up with TOOL_LEDGER', async () => {
    const a = new SqlLedger(db, { leaseMs: 300 });
    const b = new SqlLedger(db, { leaseMs: 300, lockTimeoutMs: 1500 });
    const release = await a.lock('k-renew');
    await expect(b.lock('k-renew')).rejects.toMatchObject({
      code: 'TOOL_LEDGER',
      message: expect.stringContaining('timed out') as unknown,
    });
    await release();
    const again = await b.lock('k-renew');
    await again();
  });

  it('refuses a non-positive lease, and use after close', async () => {
    expect(() => new SqlLedger(db, { leaseMs: 0 })).toThrow(/leaseMs must be a positive/);
    const ledger = new SqlLedger(db);
    await ledger.close();
    await expect(ledger.get('x')).rejects.toMatchObject({ code: 'TOOL_LEDGER' });
  });
});
