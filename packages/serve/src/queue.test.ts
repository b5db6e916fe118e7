import { openState, type StateStores } from '@charter/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPgState, PG_SKIP, PG_SKIP_MESSAGE } from './__fixtures__/pg.js';
import { countingQueries } from './__fixtures__/sql.js';
import { JobQueue } from './queue.js';
import { defaultQuotas } from './quotas.js';
import { manifest } from './__fixtures__/shop.js';

const quotas = { ...defaultQuotas(manifest()), requestsPerMinute: 10_000, concurrentRuns: 10_000 };
const NONE = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

function queueSuite(label: string, open: () => Promise<{ state: StateStores; drop: () => Promise<void> }>) {
  describe(`the fair queue over ${label}`, () => {
    let state: StateStores;
    let drop: () => Promise<void>;
    let agent = 0;
    const fresh = (options: { maxRunningPerTenant?: number; maxQueued?: number } = {}) =>
      new JobQueue(state.sql!, { agent: `agent-${++agent}`, leaseMs: 60_000, ...options });
    const tenant = async (id: string, weight = 1) => {
      await state.sql!.query(`INSERT INTO tenants (tenant_id, name, settings) VALUES ($1, $1, $2::jsonb) ON CONFLICT DO NOTHING`, [
        id,
        JSON.stringify({ weight }),
      ]);
      return { id, weight };
    };
    /** Claims and finishes every job, returning the tenants in claim order. */
    const drainOrder = async (queue: JobQueue, limit = 1000): Promise<string[]> => {
      const order: string[] = [];
      for (let i = 0; i < limit; i++) {
        const job = await queue.claim('h', false);
        if (job === undefined) break;
        order.push(job.tenant);
        expect(await queue.finish(job, 'h', { status: 'done', result: { status: 'completed' } }, NONE)).toBe(true);
      }
      return order;
    };

    beforeAll(async () => {
      ({ state, drop } = await open());
    });
    afterAll(async () => {
      await state.close();
      await drop();
    });

    it('a flooding tenant cannot starve the others: their jobs are served in the first rounds', async () => {
      const queue = fresh();
      const flood = await tenant(`flood-${agent}`);
      const a = await tenant(`a-${agent}`);
      const b = await tenant(`b-${agent}`);
      for (let i = 0; i < 30; i++) await queue.enqueue(flood, quotas, { input: `f${i}` });
      for (let i = 0; i < 3; i++) {
        await queue.enqueue(a, quotas, { input: `a${i}` });
        await queue.enqueue(b, quotas, { input: `b${i}` });
      }
      const order = await drainOrder(queue);
      expect(order).toHaveLength(36);
      const last = (id: string) => order.lastIndexOf(id);
      // Round robin from the moment they arrive: three rounds of (flood, a, b) after the head.
      expect(Math.max(last(a.id), last(b.id))).toBeLessThan(10);
    });

    it('weights: a tenant of weight 2 gets twice the runs of weight 1 while both are backlogged', async () => {
      const queue = fresh();
      const heavy = await tenant(`heavy-${agent}`, 2);
      const light = await tenant(`light-${agent}`, 1);
      for (let i = 0; i < 20; i++) {
        await queue.enqueue(heavy, quotas, { input: 'h' });
        await queue.enqueue(light, quotas, { input: 'l' });
      }
      const first = (await drainOrder(queue)).slice(0, 15);
      const heavyShare = first.filter((id) => id === heavy.id).length;
      expect(heavyShare).toBeGreaterThanOrEqual(9);
      expect(heavyShare).toBeLessThanOrEqual(11);
    });

    it('a per-tenant running cap leaves the workers to the others; a claim is exclusive', async () => {
      const queue = fresh({ maxRunningPerTenant: 1 });
      const x = await tenant(`x-${agent}`);
      const y = await tenant(`y-${agent}`);
      for (let i = 0; i < 3; i++) await queue.enqueue(x, quotas, { input: 'x' });
      await queue.enqueue(y, quotas, { input: 'y' });
      const claims = await Promise.all([queue.claim('w1', false), queue.claim('w2', false), queue.claim('w3', false)]);
      const got = claims.filter((job) => job !== undefined).map((job) => job.tenant);
      expect(got.sort()).toEqual([x.id, y.id].sort());
      expect(new Set(claims.filter((job) => job !== undefined).map((job) => job.id)).size).toBe(2);
    });

    it('the queue is bounded: beyond maxQueued, admission is refused with a retry time', async () => {
      const queue = fresh({ maxQueued: 1_000_000 });
      const z = await tenant(`z-${agent}`);
      const { rows } = await state.sql!.query<{ n: string }>(`SELECT count(*) AS n FROM jobs WHERE status = 'queued'`);
      const bounded = new JobQueue(state.sql!, { agent: queue.agent, maxQueued: Number(rows[0]?.n ?? 0) + 2 });
      expect('job' in (await bounded.enqueue(z, quotas, { input: '1' }))).toBe(true);
      expect('job' in (await bounded.enqueue(z, quotas, { input: '2' }))).toBe(true);
      expect(await bounded.enqueue(z, quotas, { input: '3' })).toMatchObject({ rejected: { kind: 'queue-full', retryAfterS: 1 } });
    });

    it('an expired lease is taken over; the old holder can no longer finish the job (fenced)', async () => {
      const queue = new JobQueue(state.sql!, { agent: `agent-${++agent}`, leaseMs: 50 });
      const t = await tenant(`lease-${agent}`);
      await queue.enqueue(t, quotas, { input: 'x' });
      const first = await queue.claim('dead', false);
      expect(first).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 120));
      const second = await queue.claim('alive', true);
      expect(second).toMatchObject({ id: first!.id, attempts: 2 });
      expect(await queue.finish(first!, 'dead', { status: 'done', result: {} }, NONE)).toBe(false);
      expect(await queue.finish(second!, 'alive', { status: 'done', result: {} }, NONE)).toBe(true);
    });

    it('concurrent admissions cannot both take a tenant’s last free slot', async () => {
      const queue = fresh();
      const t = await tenant(`race-${agent}`);
      const one = { ...quotas, concurrentRuns: 1 };
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => queue.enqueue(t, one, { input: `r${i}` })));
      expect(results.filter((r) => 'job' in r)).toHaveLength(1);
      expect(results.filter((r) => 'rejected' in r && r.rejected.kind === 'quota' && r.rejected.quota === 'concurrentRuns')).toHaveLength(
        7,
      );
    });

    it('requestsPerMinute is a token bucket (a tenth of the limit at once, limit / 60 a second) within the sliding minute', async () => {
      const queue = fresh();
      const uncached = new JobQueue(state.sql!, { agent: queue.agent, leaseMs: 60_000, refusalCacheMs: 0 });
      const t = await tenant(`bucket-${agent}`);
      const rewind = (seconds: number) =>
        state.sql!.query(`UPDATE rate_buckets SET refilled_at = refilled_at - $2 * interval '1 second' WHERE tenant_id = $1`, [
          t.id,
          seconds,
        ]);
      const twenty = { ...quotas, requestsPerMinute: 20 }; // a bucket of 2, one more every 3 s
      expect('job' in (await queue.enqueue(t, twenty, { input: '1' }))).toBe(true);
      expect('job' in (await queue.enqueue(t, twenty, { input: '2' }))).toBe(true);
      const refused = await uncached.enqueue(t, twenty, { input: '3' });
      expect(refused).toMatchObject({ rejected: { kind: 'quota', quota: 'requestsPerMinute', limit: 20, burst: 2, used: 2 } });
      const { retryAfterS } = (refused as { rejected: { retryAfterS: number } }).rejected;
      expect(retryAfterS).toBeGreaterThanOrEqual(1);
      expect(retryAfterS).toBeLessThanOrEqual(3);
      // 3 s later the bucket holds one request again (the clock moved by rewinding the bucket), not two.
      await rewind(3);
      expect('job' in (await uncached.enqueue(t, twenty, { input: '4' }))).toBe(true);
      expect(await uncached.enqueue(t, twenty, { input: '5' })).toMatchObject({ rejected: { quota: 'requestsPerMinute' } });
      // A full bucket still admits no more than the limit in a sliding minute: 2 a minute, a bucket of 1.
      const u = await tenant(`window-${agent}`);
      const two = { ...quotas, requestsPerMinute: 2 };
      const rewindU = () =>
        state.sql!.query(`UPDATE rate_buckets SET refilled_at = refilled_at - interval '1 hour' WHERE tenant_id = $1`, [u.id]);
      expect('job' in (await uncached.enqueue(u, two, { input: '1' }))).toBe(true);
      expect(await uncached.enqueue(u, two, { input: '2' })).toMatchObject({ rejected: { quota: 'requestsPerMinute', burst: 1, used: 1 } });
      await rewindU();
      expect('job' in (await uncached.enqueue(u, two, { input: '3' }))).toBe(true);
      await rewindU();
      const windowFull = await uncached.enqueue(u, two, { input: '4' });
      expect(windowFull).toMatchObject({ rejected: { quota: 'requestsPerMinute', limit: 2, used: 2 } });
      // Until the oldest request leaves the minute, not the bucket's next token (it has one).
      expect((windowFull as { rejected: { retryAfterS: number } }).rejected.retryAfterS).toBeGreaterThan(30);
    });

    it('a refusal by the rate quota is repeated from memory until it could come free, never past a changed limit', async () => {
      const db = countingQueries(state.sql!);
      const queue = new JobQueue(db.sql, { agent: `agent-${++agent}`, leaseMs: 60_000 });
      const t = await tenant(`rate-${agent}`);
      const limited = { ...quotas, requestsPerMinute: 2 };
      expect('job' in (await queue.enqueue(t, limited, { input: '1' }))).toBe(true);
      const first = await queue.enqueue(t, limited, { input: '2' });
      expect(first).toMatchObject({ rejected: { kind: 'quota', quota: 'requestsPerMinute', limit: 2, used: 1 } });
      const before = db.queries;
      const again = await queue.enqueue(t, limited, { input: '3' });
      expect(again).toMatchObject({ rejected: { kind: 'quota', quota: 'requestsPerMinute', limit: 2, used: 1 } });
      expect((again as { rejected: { retryAfterS: number } }).rejected.retryAfterS).toBeGreaterThanOrEqual(1);
      expect(db.queries).toBe(before); // answered without the database
      // A changed limit is asked of the database again.
      await queue.enqueue(t, { ...limited, requestsPerMinute: 3 }, { input: '4' });
      expect(db.queries).toBe(before + 1);
      // Without the cache every refusal asks the database.
      const uncached = new JobQueue(db.sql, { agent: queue.agent, leaseMs: 60_000, refusalCacheMs: 0 });
      await uncached.enqueue(t, limited, { input: '5' });
      await uncached.enqueue(t, limited, { input: '6' });
      expect(db.queries).toBe(before + 3);
    });

    it("a tenant's concurrent requests: a few admissions in flight, the rest answered by a refusal from memory", async () => {
      const db = countingQueries(state.sql!);
      const queue = new JobQueue(db.sql, { agent: `agent-${++agent}`, leaseMs: 60_000 });
      const t = await tenant(`gate-${agent}`);
      const limited = { ...quotas, requestsPerMinute: 2 }; // one at once
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => queue.enqueue(t, limited, { input: String(i) })));
      expect(outcomes.filter((outcome) => 'job' in outcome)).toHaveLength(1);
      expect(outcomes.filter((outcome) => 'rejected' in outcome && outcome.rejected.kind === 'quota')).toHaveLength(19);
      // Four in flight at most; once one was refused, those waiting are answered from memory.
      expect(db.queries).toBeLessThanOrEqual(6);
      // Another tenant is not held back by them.
      expect('job' in (await queue.enqueue(await tenant(`gate-other-${agent}`), limited, { input: 'x' }))).toBe(true);
    });

    it('a finish announces a waited-for job to its waiting process only when another process ran it', async () => {
      const queue = fresh();
      const t = await tenant(`notify-${agent}`);
      const heard: string[] = [];
      const stop = await state.sql!.listen!('charter_serve_done', (payload) => heard.push(payload));
      const finishAs = async (waiter: string | undefined, holder: string): Promise<string> => {
        const admitted = await queue.enqueue(t, quotas, { input: 'x', ...(waiter === undefined ? {} : { waiter }) });
        if (!('job' in admitted)) throw new Error('not admitted');
        const job = await queue.claim(holder, false);
        expect(job?.id).toBe(admitted.job.id);
        expect(await queue.finish(job!, holder, { status: 'done', result: {} }, NONE)).toBe(true);
        return admitted.job.id;
      };
      const elsewhere = await finishAs('host-a:1', 'host-b:2:x');
      await finishAs('host-a:1', 'host-a:1:y'); // the waiting process ran it itself: its workers wake the request
      await finishAs('host-a:1', 'host-a:10:z'); // another process whose id only starts alike
      await finishAs(undefined, 'host-b:2:x'); // nobody waits (async)
      const lastElsewhere = await finishAs('host-a:1', 'host-b:2:x');
      for (let i = 0; i < 200 && !heard.includes(lastElsewhere); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await stop();
      expect(heard.length).toBe(3);
      expect(heard[0]).toBe(elsewhere);
      expect(heard[2]).toBe(lastElsewhere);
    });
  });
}

queueSuite('PGlite', async () => ({ state: await openState({ url: 'pglite:memory' }), drop: () => Promise.resolve() }));

describe.skipIf(PG_SKIP)(`PostgreSQL${PG_SKIP ? ` (skipped: ${PG_SKIP_MESSAGE})` : ''}`, () => {
  queueSuite('PostgreSQL', () => freshPgState('servequeue'));
});
