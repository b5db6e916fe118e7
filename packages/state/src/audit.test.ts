// The audit log's head anchored in the database: truncating, editing, emptying or rewriting the file
// (even with every hash recomputed) is detected.
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditEntry, hashArguments, openAuditLog } from '@charter/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshSchema, PG_SKIP, PG_SKIP_MESSAGE, pgUrl } from './__fixtures__/pg.js';
import { anchorAuditLog, SqlAuditAnchorStore, verifyAnchoredAudit } from './audit.js';
import { migrate } from './migrations.js';
import { connectPostgres, openPglite, type SqlDriver } from './sql.js';

const entry = (n: number): AuditEntry => ({
  kind: 'tool.call',
  ts: new Date(1_700_000_000_000 + n).toISOString(),
  agent: 'state-shop',
  runId: `r${n}`,
  actor: { type: 'agent', id: 'state-shop' },
  policyVersion: '1.2.0',
  tool: { name: 'refund_order', version: '1.0.0', sideEffects: 'irreversible', argsHash: hashArguments({ orderId: `A-${n}` }) },
});

const backends: { name: string; skip?: string; open: () => Promise<SqlDriver> }[] = [
  { name: 'PGlite', open: () => openPglite() },
  {
    name: 'PostgreSQL',
    ...(PG_SKIP ? { skip: PG_SKIP_MESSAGE } : {}),
    open: () => connectPostgres({ url: pgUrl(), schema: freshSchema('audit') }),
  },
];

for (const backend of backends) {
  describe.skipIf(backend.skip !== undefined)(
    `audit head anchored in ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`,
    () => {
      let db: SqlDriver;
      let store: SqlAuditAnchorStore;
      let dir: string;

      beforeAll(async () => {
        db = await backend.open();
        await migrate(db);
        store = new SqlAuditAnchorStore(db);
        dir = mkdtempSync(join(tmpdir(), 'charter-state-audit-'));
      });
      afterAll(async () => {
        if (db.kind === 'postgres') await db.exec(`DROP SCHEMA ${db.schema} CASCADE`);
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      });

      async function writeLog(name: string, records: number): Promise<string> {
        const path = join(dir, `${name}.jsonl`);
        const log = anchorAuditLog(openAuditLog(path), store, name);
        for (let n = 0; n < records; n++) log.append(entry(n));
        await log.flush();
        return path;
      }

      it('an intact log verifies against its anchored head (the last record)', async () => {
        const path = await writeLog('intact', 12);
        expect(await store.head('intact')).toMatchObject({ seq: 11 });
        const result = await verifyAnchoredAudit(path, store, 'intact');
        expect(result).toMatchObject({ ok: true, records: 12, anchored: { seq: 11 } });
        expect(result.anchorProblem).toBeUndefined();
      });

      it('a log truncated after a whole record still chains, but the anchor shows it', async () => {
        const path = await writeLog('truncated', 12);
        const lines = readFileSync(path, 'utf8').split('\n');
        writeFileSync(path, `${lines.slice(0, 9).join('\n')}\n`);
        const result = await verifyAnchoredAudit(path, store, 'truncated');
        expect(result.ok).toBe(false);
        expect(result.firstBroken).toBeUndefined();
        expect(result.anchorProblem).toContain('holds 9 record(s) but record 11 is anchored: it was truncated');
      });

      it('an emptied or deleted log is detected', async () => {
        const path = await writeLog('emptied', 3);
        truncateSync(path, 0);
        expect(await verifyAnchoredAudit(path, store, 'emptied')).toMatchObject({
          ok: false,
          anchorProblem: expect.stringContaining('truncated') as unknown,
        });
        rmSync(path);
        expect(await verifyAnchoredAudit(path, store, 'emptied')).toMatchObject({
          ok: false,
          anchorProblem: expect.stringContaining('cannot read') as unknown,
        });
      });

      it('an edited record breaks the chain', async () => {
        const path = await writeLog('edited', 5);
        writeFileSync(path, readFileSync(path, 'utf8').replace('"runId":"r2"', '"runId":"r9"'));
        const result = await verifyAnchoredAudit(path, store, 'edited');
        expect(result).toMatchObject({ ok: false, firstBroken: { index: 2 } });
      });

      it('a log rewritten whole with recomputed hashes chains, but its head differs from the anchored one', async () => {
        const path = await writeLog('rewritten', 6);
        rmSync(path);
        const forged = openAuditLog(path);
        for (let n = 0; n < 6; n++) forged.append({ ...entry(n), runId: `forged-${n}` });
        const result = await verifyAnchoredAudit(path, store, 'rewritten');
        expect(result.firstBroken).toBeUndefined();
        expect(result).toMatchObject({ ok: false, anchorProblem: expect.stringContaining('the log was rewritten') as unknown });
      });

      it('a second writer anchoring another record at the same seq is refused (STATE_AUDIT_MISMATCH) at the next append', async () => {
        await writeLog('forked', 2);
        const path = join(dir, 'forked-copy.jsonl');
        const other = anchorAuditLog(openAuditLog(path), store, 'forked');
        other.append({ ...entry(0), runId: 'other-0' });
        other.append({ ...entry(1), runId: 'other-1' });
        await expect(other.flush()).rejects.toMatchObject({ code: 'STATE_AUDIT_MISMATCH' });
        expect(() => other.append(entry(2))).toThrow(/rewritten/);
      });
    },
  );
}
