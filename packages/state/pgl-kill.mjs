import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create(process.argv[2]);
await db.exec('CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text)');
if (process.argv[3] === 'write') {
  for (let i = 0; i < 50; i++) await db.query('INSERT INTO kv VALUES ($1,$2) ON CONFLICT (k) DO UPDATE SET v=excluded.v', ['k' + i, 'x']);
  process.kill(process.pid, 'SIGKILL');
}
console.log((await db.query('SELECT count(*)::int AS n FROM kv')).rows);
