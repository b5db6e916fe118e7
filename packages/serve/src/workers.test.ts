// The worker pool's idle behaviour against a real queue (PGlite and PostgreSQL): one idle loop polls with a
// backing-off wait, the others sleep; a job queued by another instance is still run, a burst of them by
// every worker; an expired lease is still taken over. Claims are counted through the queue.
import { openState, type StateStores } from '@charter/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPgState, PG_SKIP, PG_SKIP_MESSAGE } from './__fixtures__/pg.js';
import { manifest } from './__fixtures__/shop.js';
import { JobQueue, type Job } from './queue.js';
import { defaultQuotas } from './quotas.js';
import { WorkerPool, type Execution } from './workers.js';

const quotas = { ...defaultQuotas(manifest()), requestsPerMinute: 10_000, concurrentRuns: 10_000 };
const DONE: Execution = { status: 'done', result: { status: 'completed' }, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(ok: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(10);
  }
}

/** Counts the claim statements a queue issues (a plain claim, or a finish that claims the next job). */
function counted(queue: JobQueue): { claims: () => number } {
  let claims = 0;
  const claim = queue.claim.bind(queue);
  const finishAndClaim = queue.finishAndClaim.bind(queue);
  queue.claim = (...args) => {
    claims++;
    return claim(...args);
  };
  queue.finishAndClaim = (...args) => {
    claims++;
    return finishAndClaim(...args);
  };
  return { claims: () => claims };
}

function workerSuite(label: string, open: () => Promise<{ state: StateStores; drop: () => Promise<void> }>) {
  describe(`idle workers over ${label}`, () => {
    let state: StateStores;
    let drop: () => Promise<void>;
    let n = 0;
    const pools: WorkerPool[] = [];
    const tenant = async () => {
      const id = `idle-${++n}`;
      await state.sql!.query(`INSERT INTO tenants (tenant_id, name, settings) VALUES ($1, $1, '{}'::jsonb) ON CONFLICT DO NOTHING`, [id]);
      return { id, weight: 1 };
    };
    const pool = (
      queue: JobQueue,
      execute: (job: Job, signal: AbortSignal) => Promise<Execution>,
      options: { idleMaxMs?: number } = {},
    ) => {
      const p = new WorkerPool({ queue, execute, workers: 4, idleMs: 5, ...options });
      pools.push(p);
      p.start();
      return p;
    };

    beforeAll(async () => {
      ({ state, drop } = await open());
    });
    afterAll(async () => {
      await Promise.all(pools.map((p) => p.drain(100)));
      await state.close();
      await drop();
    });

    it('an idle pool of 4 workers claims about once per idleMaxMs, not 4 times per idleMs', async () => {
      const queue = new JobQueue(state.sql!, { agent: `agent-${++n}`, leaseMs: 60_000 });
      const { claims } = counted(queue);
      const p = pool(queue, () => Promise.resolve(DONE), { idleMaxMs: 40 });
      // The poll's wait has doubled from 5 ms up to its cap: from here on, one claim per 40 ms at most.
      await until(() => p.polling.waitMs === 40, 'the poll wait to reach its cap');
      const before = claims();
      await sleep(400);
      const during = claims() - before;
      // At most 400 / 40 = 10 polls (+1 for the one under way when counting began); every idle worker
      // polling every 5 ms would have made about 4 × 400 / 5 = 320.
      expect(during).toBeGreaterThan(0);
      expect(during).toBeLessThanOrEqual(11);
      expect(p.polling.loop).toBeDefined();
    });

    it('jobs queued by another instance are run: the poll finds the first, the workers it wakes run the rest side by side', async () => {
      const agent = `agent-${++n}`;
      const here = new JobQueue(state.sql!, { agent, leaseMs: 60_000, maxRunningPerTenant: 10 });
      const elsewhere = new JobQueue(state.sql!, { agent, leaseMs: 60_000 });
      let running = 0;
      let most = 0;
      const ran: string[] = [];
      const p = pool(
        here,
        async (job) => {
          running++;
          most = Math.max(most, running);
          await sleep(300);
          running--;
          ran.push(job.id);
          return DONE;
        },
        { idleMaxMs: 100 },
      );
      await until(() => p.polling.waitMs === 100, 'the poll wait to reach its cap');
      const t = await tenant();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const admitted = await elsewhere.enqueue(t, quotas, { input: `x${i}` });
        if (!('job' in admitted)) throw new Error('refused');
        ids.push(admitted.job.id);
      }
      // `ran` is written by the handler, before the pool records the finish: wait for that too (nothing held).
      await until(() => ran.length === 4 && p.inFlight === 0, 'the pool to run the four jobs and record them');
      expect(ran.sort()).toEqual(ids.sort());
      // Sleeping workers were woken by the poll that found the first job: not one after the other.
      expect(most).toBeGreaterThan(1);
      for (const id of ids) expect(await here.get(id, t.id)).toMatchObject({ status: 'done', attempts: 1 });
    });

    it("an idle pool still takes an expired lease over (a killed instance's run)", async () => {
      const agent = `agent-${++n}`;
      const dead = new JobQueue(state.sql!, { agent, leaseMs: 400 });
      const alive = new JobQueue(state.sql!, { agent, leaseMs: 400 });
      const t = await tenant();
      const admitted = await dead.enqueue(t, quotas, { input: 'x' });
      if (!('job' in admitted)) throw new Error('refused');
      // Claimed by a holder that dies (never renews): its lease expires 400 ms later.
      const claimed = await dead.claim('dead-holder', false);
      expect(claimed).toMatchObject({ id: admitted.job.id });
      const ran: string[] = [];
      const p = pool(alive, (job) => {
        ran.push(job.id);
        return Promise.resolve(DONE);
      });
      // Idle meanwhile: the poll backs off to its cap (a quarter of the lease: 100 ms), and still takes the run over.
      await until(() => ran.includes(admitted.job.id) && p.inFlight === 0, 'the idle pool to take the run over and record it');
      expect(p.polling.waitMs).toBeLessThanOrEqual(100);
      expect(await alive.get(admitted.job.id, t.id)).toMatchObject({ status: 'done', attempts: 2 });
      expect(await dead.finish(claimed!, 'dead-holder', DONE, DONE.usage)).toBe(false);
    });
  });
}

workerSuite('PGlite', async () => ({ state: await openState({ url: 'pglite:memory' }), drop: () => Promise.resolve() }));

describe.skipIf(PG_SKIP)(`PostgreSQL${PG_SKIP ? ` (skipped: ${PG_SKIP_MESSAGE})` : ''}`, () => {
  workerSuite('PostgreSQL', () => freshPgState('serveidle'));
});
