import { describe, expect, it } from 'vitest';
import { freshSchema, PG_SKIP, PG_SKIP_MESSAGE, pgUrl } from './__fixtures__/pg.js';
import { SqlLedger } from './ledger.js';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { connectPostgres, openPglite, type SqlDriver } from './sql.js';

const TABLES = [
  'approvals',
  'audit_heads',
  'control_events',
  'controls',
  'document_log',
  'documents',
  'feedback',
  'jobs',
  'ledger',
  'ledger_locks',
  'rate_buckets',
  'run_claims',
  'runs',
  'schema_migrations',
  'telemetry_events',
  'tenants',
  'usage',
];

async function tables(db: SqlDriver): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [db.schema],
  );
  return rows.map((row) => row.name);
}

describe('migrations on PGlite', () => {
  it('create every table once; a second run applies nothing; a newer database and out-of-order migrations are refused', async () => {
    const db = await openPglite({ schema: 'charter' });
    try {
      expect(await migrate(db)).toEqual({ applied: MIGRATIONS.map((m) => m.version), version: SCHEMA_VERSION });
      expect(await tables(db)).toEqual(TABLES);
      expect(await migrate(db)).toEqual({ applied: [], version: SCHEMA_VERSION });
      await expect(migrate(db, [{ version: 2, name: 'gap', sql: 'SELECT 1' }])).rejects.toMatchObject({ code: 'STATE_MIGRATION' });
      await db.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')");
      await expect(migrate(db)).rejects.toMatchObject({
        code: 'STATE_SCHEMA_TOO_NEW',
        message: expect.stringContaining('version 99') as unknown,
      });
    } finally {
      await db.close();
    }
  });

  it('a failing migration leaves the schema at the last version that applied', async () => {
    const db = await openPglite({ schema: 'charter' });
    try {
      const next = MIGRATIONS.length + 1;
      const broken = [...MIGRATIONS, { version: next, name: 'broken', sql: 'CREATE TABLE runs (x int)' }];
      await expect(migrate(db, broken)).rejects.toMatchObject({
        code: 'STATE_MIGRATION',
        message: expect.stringContaining(`migration ${next} (broken)`) as unknown,
      });
      // One transaction: nothing of the failed run stays, not even the versions before it.
      expect(await tables(db)).toEqual([]);
      expect(await migrate(db)).toMatchObject({ applied: MIGRATIONS.map((m) => m.version) });
    } finally {
      await db.close();
    }
  });

  it('3 upgrades a ledger written at version 2: its started records have no owner (in doubt), its lock function hands them out', async () => {
    const db = await openPglite({ schema: 'charter' });
    try {
      expect(await migrate(db, MIGRATIONS.slice(0, 2))).toMatchObject({ applied: [1, 2], version: 2 });
      const old = { key: 'k-old', state: 'started', tool: 'refund_order', version: '1.0.0', runId: 'r', at: '2026-01-01T00:00:00.000Z' };
      await db.query("INSERT INTO ledger (key, state, tool, run_id, record) VALUES ('k-old', 'started', 'refund_order', 'r', $1)", [
        JSON.stringify(old),
      ]);
      expect(await migrate(db, MIGRATIONS.slice(0, 3))).toEqual({ applied: [3], version: 3 });
      const ledger = new SqlLedger(db);
      const release = await ledger.lock('k-old', { waitMs: 100 });
      expect(await ledger.get('k-old')).toEqual(old);
      await release();
      await ledger.close();
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(PG_SKIP)(`migrations on PostgreSQL${PG_SKIP ? ` (skipped: ${PG_SKIP_MESSAGE})` : ''}`, () => {
  it('six instances starting at once: each migration is applied exactly once, every instance ends at the same version', async () => {
    const url = pgUrl();
    const schema = freshSchema('migrate');
    const drivers = await Promise.all([0, 1, 2, 3, 4, 5].map(() => connectPostgres({ url, schema, maxConnections: 2 })));
    try {
      const results = await Promise.all(drivers.map((db) => migrate(db)));
      expect(results.map((r) => r.version)).toEqual(drivers.map(() => SCHEMA_VERSION));
      expect(results.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await tables(drivers[0]!)).toEqual(TABLES);
      const { rows } = await drivers[0]!.query<{ n: string }>('SELECT count(*)::text AS n FROM schema_migrations');
      expect(rows[0]?.n).toBe(String(MIGRATIONS.length));
    } finally {
      await drivers[0]!.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await Promise.all(drivers.map((db) => db.close()));
    }
  });

  it('a server that is not there fails with STATE_CONNECT naming the fix', async () => {
    await expect(connectPostgres({ url: 'postgresql://charter@127.0.0.1:1/postgres' })).rejects.toMatchObject({
      code: 'STATE_CONNECT',
      message: expect.stringContaining('CHARTER_DATABASE_URL') as unknown,
    });
  });
});
