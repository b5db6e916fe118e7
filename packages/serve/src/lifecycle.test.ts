// Shutdown, restart and failure: graceful drain, approval across a restart, and a worker killed mid-run
// whose run another worker finishes with its side effect exactly once.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openState, type StateStores } from '@charter/state';
import { afterAll, describe, expect, it } from 'vitest';
import { startHarness } from './__fixtures__/harness.js';
import { freshSchema, PG_SKIP, PG_SKIP_MESSAGE, pgUrl } from './__fixtures__/pg.js';
import { readEffects } from './__fixtures__/shop.js';
import type { Job } from './queue.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what: string, limitMs = 30_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}: last ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'charter-serve-life-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

interface Backend {
  /** A state at the same place each call (a restart opens it again). */
  open(): Promise<StateStores>;
  drop(): Promise<void>;
}

function lifecycleSuite(label: string, backend: () => Backend, options: { readonly restart: boolean }) {
  describe(`lifecycle over ${label}`, () => {
    let b: Backend | undefined;
    let shared: StateStores | undefined;
    const state = async () => (shared ??= await (b ??= backend()).open());
    afterAll(async () => {
      await shared?.close();
      await b?.drop();
    });

    it('SIGTERM drains: new runs get 503 while the run in flight finishes; what cannot finish in time goes back to the queue', async () => {
      const s = await state();
      const h = await startHarness({ state: s, tenants: [`drain-${label.length}`], shop: { modelLatencyMs: 400 }, serve: { workers: 1 } });
      const key = Object.values(h.keys)[0]!;
      const tenant = Object.keys(h.keys)[0]!;
      const id = (
        (await (await h.request('/v1/agents/serve-shop/runs', { key, body: { input: 'hi', mode: 'async' } })).json()) as { id: string }
      ).id;
      await until(
        () => h.service.queue.get(id, tenant),
        (job) => job?.status === 'running',
        'the run to start',
      );
      const closing = h.service.close(20_000);
      const refused = await h.request('/v1/agents/serve-shop/runs', { key, body: { input: 'late' } });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ type: 'urn:charter:problem:shutting-down' });
      expect(await closing).toEqual({ finished: 1, requeued: 0 });
      expect(await h.service.queue.get(id, tenant)).toMatchObject({ status: 'done', result: { status: 'completed' } });

      // A run too slow for the drain deadline is handed back and finished by the next instance, same run id.
      const slow = await startHarness({ state: s, tenants: [], shop: { modelLatencyMs: 5000 }, serve: { workers: 1 } });
      const key2 = (await slow.service.tenants.add(`slow-${label.length}`)).apiKey;
      const id2 = (
        (await (await slow.request('/v1/agents/serve-shop/runs', { key: key2, body: { input: 'hi', mode: 'async' } })).json()) as {
          id: string;
        }
      ).id;
      await until(
        () => slow.service.queue.get(id2, `slow-${label.length}`),
        (job) => job?.status === 'running',
        'the slow run to start',
      );
      expect(await slow.service.close(100)).toEqual({ finished: 0, requeued: 1 });
      expect(await slow.service.queue.get(id2, `slow-${label.length}`)).toMatchObject({ status: 'queued' });
      const next = await startHarness({ state: s, tenants: [], serve: { workers: 1 } });
      expect(
        await until(
          () => next.service.queue.get(id2, `slow-${label.length}`),
          (job) => job?.status === 'done',
          'the handed-back run',
        ),
      ).toMatchObject({
        attempts: 2,
        result: { status: 'completed' },
      });
      await next.close();
    });

    it('a worker killed mid-run: another takes the run over once its lease expires; the refund happens exactly once', async () => {
      const s = await state();
      const effects = join(scratch, `kill-${label.length}.jsonl`);
      // Worker A holds each refund 600 ms; it dies (no lease renewal, no finish) while holding it.
      const a = await startHarness({ state: s, effects, tenants: [], shop: { refundHoldMs: 600 }, serve: { workers: 1 } });
      const tenant = `kill-${label.length}`;
      const key = (await a.service.tenants.add(tenant)).apiKey;
      const id = (
        (await (await a.request('/v1/agents/serve-shop/runs', { key, body: { input: 'refund A-55 60', mode: 'async' } })).json()) as {
          id: string;
        }
      ).id;
      await until(
        () => a.service.queue.get(id, tenant),
        (job) => job?.status === 'running',
        'worker A to claim the run',
      );
      a.service.workers.kill();
      const b = await startHarness({ state: s, effects, tenants: [], serve: { workers: 1 } });
      const done = await until(
        () => b.service.queue.get(id, tenant),
        (job) => job?.status === 'done',
        'worker B to finish the run',
      );
      expect(done).toMatchObject({ attempts: 2, result: { status: 'completed', output: 'Refunded.' } });
      await sleep(700); // anything A still had in flight has ended by now
      expect(readEffects(effects).filter((e) => e.key === 'refund:A-55')).toHaveLength(1);
      await b.close();
      await a.service.close(100).catch(() => undefined);
    });

    if (options.restart)
      it('approval across a restart: a run paused on one instance is approved and finished on the next', async () => {
        const effects = join(scratch, `restart-${label.length}.jsonl`);
        // One open state per place: close the one the other tests shared (PGlite allows one instance per folder).
        await shared?.close();
        shared = undefined;
        const first = await startHarness({ state: await (b ??= backend()).open(), effects, tenants: ['restart'], serve: { workers: 1 } });
        const key = first.keys.restart!;
        const paused = (await (await first.request('/v1/agents/serve-shop/runs', { key, body: { input: 'refund A-90 400' } })).json()) as {
          id: string;
          status: string;
        };
        expect(paused.status).toBe('paused');
        await first.service.close();
        await first.state.close();
        const second = await startHarness({ state: await (b ??= backend()).open(), effects, tenants: [], serve: { workers: 1 } });
        const approve = await second.request(`/v1/runs/${paused.id}/approval`, { key, body: { approved: true, approver: 'lead' } });
        expect(approve.status).toBe(202);
        const job = await until(
          () => second.service.queue.get(paused.id, 'restart'),
          (j: Job | undefined) => j?.status === 'done',
          'the approved run',
        );
        expect(job?.result).toMatchObject({ status: 'completed', output: 'Refunded.' });
        expect(readEffects(effects).filter((e) => e.key === 'refund:A-90')).toHaveLength(1);
        await second.service.close();
        await second.state.close();
      }, 180_000);
  });
}

// The embedded default: PGlite in this process (a folder, so a restart finds the paused run).
lifecycleSuite(
  'PGlite',
  () => {
    const dir = join(scratch, 'pglite');
    return { open: () => openState({ url: `pglite:${dir}`, leaseMs: 2000 }), drop: () => Promise.resolve() };
  },
  { restart: true },
);

describe.skipIf(PG_SKIP)(`PostgreSQL${PG_SKIP ? ` (skipped: ${PG_SKIP_MESSAGE})` : ''}`, () => {
  const schema = freshSchema('servelife');
  lifecycleSuite(
    'PostgreSQL',
    () => ({
      open: () => openState({ url: pgUrl(), schema, leaseMs: 2000 }),
      drop: async () => {
        const admin = await openState({ url: pgUrl(), schema });
        await admin.sql!.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.close();
      },
    }),
    { restart: true },
  );

  it('a worker process SIGKILLed mid-refund: an instance in another process finishes the run, one refund', async () => {
    const schema2 = freshSchema('servekill');
    const effects = join(scratch, 'sigkill.jsonl');
    const front = await startHarness({ url: pgUrl(), schema: schema2, effects, tenants: ['sig'], serve: { workers: 0 } });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@charter/source', join(here, '__fixtures__', 'worker-child.ts'), pgUrl(), schema2, effects, '3000'],
      {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        child.on('exit', (code) => {
          reject(new Error(`worker child exited early (${String(code)})`));
        });
      });
      const id = (
        (await (
          await front.request('/v1/agents/serve-shop/runs', { key: front.keys.sig!, body: { input: 'refund A-66 70', mode: 'async' } })
        ).json()) as {
          id: string;
        }
      ).id;
      await until(
        () => front.service.queue.get(id, 'sig'),
        (job) => job?.status === 'running',
        'the child to claim the run',
      );
      await sleep(300); // inside the 3 s refund hold
      const exited = new Promise((resolve) =>
        child.on('exit', (_code, signal) => {
          resolve(signal);
        }),
      );
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(readEffects(effects)).toEqual([]);
      const rescuer = await startHarness({ state: front.state, effects, tenants: [], serve: { workers: 1 } });
      const done = await until(
        () => rescuer.service.queue.get(id, 'sig'),
        (job) => job?.status === 'done',
        'the rescuer to finish the run',
      );
      expect(done).toMatchObject({ attempts: 2, result: { status: 'completed', output: 'Refunded.' } });
      expect(readEffects(effects).filter((e) => e.key === 'refund:A-66')).toHaveLength(1);
      await rescuer.service.close();
    } finally {
      child.kill('SIGKILL');
      await front.service.close();
      await front.state.sql!.exec(`DROP SCHEMA IF EXISTS ${schema2} CASCADE`);
      await front.state.close();
    }
  }, 120_000);
});
