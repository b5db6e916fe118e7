// PGlite as an embedded store: first open of a persisted database (initdb), a later open, durable
// upserts per second, in-memory inserts per second. `npx tsx packages/state/bench/pglite.bench.ts`
// (prints one JSON line). The figures decide ADR 0007.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const N = Number(process.env.PGLITE_BENCH_N ?? 200);
const now = () => performance.now();
const ddl = 'CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text NOT NULL, n int NOT NULL DEFAULT 0)';
const upsert = 'INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = kv.n + 1';

const dir = mkdtempSync(join(tmpdir(), 'charter-pglite-bench-'));
try {
  let t = now();
  const first = await PGlite.create(join(dir, 'db'));
  await first.exec(ddl);
  const firstOpenMs = now() - t;
  await first.close();

  t = now();
  const db = await PGlite.create(join(dir, 'db'));
  await db.query('SELECT 1');
  const laterOpenMs = now() - t;
  const value = 'x'.repeat(1000);
  t = now();
  for (let i = 0; i < N; i++) await db.query(upsert, [`k${i % 50}`, value]);
  const durableUpsertsPerS = N / ((now() - t) / 1000);
  await db.close();

  t = now();
  const mem = await PGlite.create();
  await mem.exec(ddl);
  const memoryCreateMs = now() - t;
  t = now();
  for (let i = 0; i < N * 5; i++) await mem.query(upsert, [`k${i}`, value]);
  const memoryInsertsPerS = (N * 5) / ((now() - t) / 1000);
  await mem.close();
  console.log(
    JSON.stringify({
      firstOpenMs: Math.round(firstOpenMs),
      laterOpenMs: Math.round(laterOpenMs),
      durableUpsertsPerS: Math.round(durableUpsertsPerS),
      memoryCreateMs: Math.round(memoryCreateMs),
      memoryInsertsPerS: Math.round(memoryInsertsPerS),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
