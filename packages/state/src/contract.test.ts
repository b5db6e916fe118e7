// ONE contract for every implementation of the stores (memory, file, PGlite, PostgreSQL): the same
// tests, so the implementations cannot drift apart. Each implementation also provides a "second
// instance" over the same backing state (another FileStore on the folder, another SqlLedger on the
// database: what a second process would hold) where it has one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunState } from '@charter/agent';
import { STATE_VERSION } from '@charter/agent';
import { createTelemetry, type TelemetryEvent } from '@charter/telemetry';
import { type AnyTool, createExecutor, createRegistry, defineTool, type IdempotencyLedger, type LedgerRecord } from '@charter/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshSchema, PG_SKIP, PG_SKIP_MESSAGE, pgUrl } from './__fixtures__/pg.js';
import { connectPostgres } from './sql.js';
import { listFeedback, recordFeedback } from './feedback.js';
import { eventStoreSink } from './events.js';
import { openState, type StateStores } from './open.js';

interface Implementation {
  readonly name: string;
  readonly skip?: string | undefined;
  open(): Promise<{ stores: StateStores; second: StateStores | undefined; close(): Promise<void> }>;
}

const implementations: Implementation[] = [
  {
    name: 'memory',
    async open() {
      const stores = await openState({ url: 'memory:' });
      return { stores, second: undefined, close: () => stores.close() };
    },
  },
  {
    name: 'file',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'charter-state-contract-'));
      const stores = await openState({ url: `file:${dir}` });
      const second = await openState({ url: `file:${dir}` });
      return {
        stores,
        second,
        async close() {
          await stores.close();
          await second.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'pglite',
    async open() {
      const stores = await openState({ url: 'pglite:memory', leaseMs: 5_000 });
      // PGlite is one process: a second instance of the stores over the same driver.
      const { sqlStores } = await import('./open.js');
      if (stores.sql === undefined) throw new Error('pglite without a driver');
      const second = sqlStores(stores.sql, { leaseMs: 5_000 });
      return { stores, second, close: () => stores.close() };
    },
  },
  {
    name: 'postgres',
    skip: PG_SKIP ? PG_SKIP_MESSAGE : undefined,
    async open() {
      const schema = freshSchema('contract');
      const url = pgUrl();
      const stores = await openState({ url, schema, leaseMs: 5_000 });
      const second = await openState({ url, schema, leaseMs: 5_000 });
      return {
        stores,
        second,
        async close() {
          await stores.close();
          await second.close();
          const admin = await connectPostgres({ url, schema });
          await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
          await admin.close();
        },
      };
    },
  },
];

/** The toolset of one irreversible tool, granted as a manifest would. */
function granted(tool: AnyTool) {
  return createRegistry([tool]).resolve({
    metadata: { name: 'contract' },
    spec: { tools: [{ name: tool.name, version: '^1.0.0', sideEffects: 'irreversible', scopes: [] }] },
  } as never);
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

function runState(runId: string, overrides: Partial<RunState> = {}): RunState {
  return {
    v: STATE_VERSION,
    runId,
    agent: 'state-shop',
    tenant: 'acme',
    user: 'u-1',
    context: { customerEmail: 'ana@example.com', customerOrders: ['A-1', 'A-2'] },
    status: 'paused',
    messages: [
      { role: 'system', content: 'You help customers.' },
      { role: 'user', content: [{ type: 'text', text: 'Refund A-2 please — it arrived broken (é, 中文, "quotes").' }] },
    ],
    step: 1,
    usage: { inputTokens: 120, outputTokens: 30, costUsd: 0.0012 },
    startedAt: 1_700_000_000_000,
    elapsedMs: 12,
    repairs: 0,
    actions: [],
    decisions: [],
    signatures: { 'refund_order:{"amount":250,"orderId":"A-2"}': 1 },
    queue: [{ callId: 'call_0_0', tool: 'refund_order', args: { orderId: 'A-2', amount: 250 } }],
    turnResults: [],
    pending: {
      approvalId: `${runId}:call_0_0`,
      callId: 'call_0_0',
      tool: 'refund_order',
      args: { orderId: 'A-2', amount: 250 },
      reason: 'manifest approval policy: when amount > 100',
      ruleIds: [],
      requestedAt: 1_700_000_000_500,
    },
    approved: {},
    output: undefined,
    reason: undefined,
    owner: undefined,
    ...overrides,
  };
}

const record = (key: string, state: LedgerRecord['state'], value?: unknown): LedgerRecord => ({
  key,
  state,
  tool: 'refund_order',
  version: '1.0.0',
  runId: 'r-1',
  at: new Date().toISOString(),
  ...(value === undefined ? {} : { value }),
});

/** `count` valid events of one run: run.started, steps, in seq order. */
function telemetryRun(agent: string, runId: string, count: number): TelemetryEvent[] {
  return Array.from({ length: count }, (_, seq): TelemetryEvent =>
    seq === 0
      ? { v: 1, ts: 1_000, seq, agent, runId, type: 'run.started' }
      : { v: 1, ts: 1_000 + seq, seq, agent, runId, type: 'step', step: seq - 1, phase: 'decide' },
  );
}

for (const impl of implementations) {
  describe.skipIf(impl.skip !== undefined)(
    `store contract: ${impl.name}${impl.skip === undefined ? '' : ` (skipped: ${impl.skip})`}`,
    () => {
      let stores: StateStores;
      let second: StateStores | undefined;
      let close: () => Promise<void>;

      beforeAll(async () => {
        const opened = await impl.open();
        stores = opened.stores;
        second = opened.second;
        close = () => opened.close();
      });
      afterAll(async () => {
        await close();
      });

      describe('RunStore', () => {
        it('saves and loads a checkpoint equal to what was saved; unknown runs are undefined', async () => {
          const id = unique('run');
          const state = runState(id);
          await stores.runs.save(state);
          expect(await stores.runs.load(id)).toEqual(JSON.parse(JSON.stringify(state)));
          expect(await stores.runs.load(unique('missing'))).toBeUndefined();
        });

        it('load returns a copy; a later save replaces the checkpoint', async () => {
          const id = unique('run');
          await stores.runs.save(runState(id));
          const loaded = await stores.runs.load(id);
          loaded!.step = 99;
          expect((await stores.runs.load(id))?.step).toBe(1);
          await stores.runs.save(runState(id, { status: 'completed', pending: undefined, output: 'Refunded.', step: 2 }));
          expect(await stores.runs.load(id)).toMatchObject({ status: 'completed', output: 'Refunded.', step: 2 });
        });

        it('delete removes the checkpoint', async () => {
          const id = unique('run');
          await stores.runs.save(runState(id));
          await stores.runs.delete(id);
          expect(await stores.runs.load(id)).toBeUndefined();
        });

        it('claim is exclusive until released', async () => {
          const id = unique('run');
          expect(await stores.runs.claim(id)).toBe(true);
          expect(await stores.runs.claim(id)).toBe(false);
          await stores.runs.release(id);
          expect(await stores.runs.claim(id)).toBe(true);
          await stores.runs.release(id);
        });

        it('claim is exclusive across instances over the same state (another process)', async () => {
          if (second === undefined) {
            expect(impl.name).toBe('memory');
            return;
          }
          const id = unique('run');
          await stores.runs.save(runState(id));
          const results = await Promise.all([stores.runs.claim(id), second.runs.claim(id), stores.runs.claim(id), second.runs.claim(id)]);
          expect(results.filter(Boolean)).toHaveLength(1);
          const winner = results.indexOf(true) % 2 === 0 ? stores : second;
          const loser = winner === stores ? second : stores;
          expect(await loser.runs.claim(id)).toBe(false);
          await winner.runs.release(id);
          expect(await loser.runs.claim(id)).toBe(true);
          await loser.runs.release(id);
          expect(await winner.runs.load(id)).toMatchObject({ runId: id });
        });
      });

      describe('IdempotencyLedger', () => {
        it('get is undefined for an unknown key; the latest appended record wins', async () => {
          const key = unique('refund');
          expect(await stores.ledger.get(key)).toBeUndefined();
          await stores.ledger.append(record(key, 'started'));
          expect(await stores.ledger.get(key)).toMatchObject({ key, state: 'started' });
          await stores.ledger.append(record(key, 'completed', { refundId: 'R-1', amount: 250 }));
          expect(await stores.ledger.get(key)).toMatchObject({ key, state: 'completed', value: { refundId: 'R-1', amount: 250 } });
        });

        it('a second instance over the same state sees what the first appended', async () => {
          if (second === undefined) {
            expect(impl.name).toBe('memory');
            return;
          }
          const key = unique('refund');
          await stores.ledger.append(record(key, 'failed'));
          expect(await second.ledger.get(key)).toMatchObject({ key, state: 'failed' });
        });

        it('lock is exclusive per key across instances and releases', async () => {
          const ledger = stores.ledger;
          const other = second?.ledger;
          if (ledger.lock === undefined || other?.lock === undefined) {
            expect(impl.name).toBe('memory');
            return;
          }
          const key = unique('refund');
          const order: string[] = [];
          const releaseFirst = await ledger.lock(key);
          order.push('first locked');
          const waiting = other.lock(key).then((release) => {
            order.push('second locked');
            return release;
          });
          await new Promise((resolve) => setTimeout(resolve, 50));
          order.push('first releases');
          await releaseFirst();
          const releaseSecond = await waiting;
          await releaseSecond();
          expect(order).toEqual(['first locked', 'first releases', 'second locked']);
          // Another key is independent of a held one.
          const held = await ledger.lock(key);
          const free = await other.lock(unique('refund'));
          await free();
          await held();
        });

        it('through the executor: 4 instances racing one irreversible key execute it once, the others replay it', async () => {
          // Memory: four executors on one ledger (one process); elsewhere over two instances, as processes would.
          const ledgers: IdempotencyLedger[] = [
            stores.ledger,
            second?.ledger ?? stores.ledger,
            stores.ledger,
            second?.ledger ?? stores.ledger,
          ];
          const orderId = `A-${100 + counter++}`;
          let effects = 0;
          const refund = defineTool({
            name: 'refund_order',
            version: '1.0.0',
            description: 'Refund (irreversible).',
            input: z.object({ orderId: z.string() }),
            output: z.object({ refundId: z.string() }),
            sideEffects: 'irreversible',
            breaker: false,
            retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 1, maxTotalMs: 100 },
            idempotencyKey: ({ orderId: id }) => `contract:${id}`,
            async execute({ orderId: id }) {
              effects += 1;
              await new Promise((resolve) => setTimeout(resolve, 30));
              return { refundId: `R-${id}-${effects}` };
            },
          });
          const executors = ledgers.map((ledger) => createExecutor(granted(refund), { ledger }));
          const results = await Promise.all(
            executors.map((executor, n) => executor.execute('refund_order', { orderId }, { runId: `r${n}` })),
          );
          expect(effects).toBe(1);
          expect(results.filter((r) => r.ok && !r.meta.replayed)).toHaveLength(1);
          // Nobody is told the call is in doubt while it runs: they wait for it and get its result.
          for (const r of results) expect(r).toMatchObject({ ok: true, value: { refundId: `R-${orderId}-1` } });
        });

        it('two executors, same key, concurrently: one executes, the other waits for it and replays its result', async () => {
          const orderId = `A-${100 + counter++}`;
          const key = `refund_order:contract:${orderId}`;
          const order: string[] = [];
          let executions = 0;
          let reconciles = 0;
          let applied = false;
          let secondAsked: () => void = () => undefined;
          const secondAsks = new Promise<void>((resolve) => (secondAsked = resolve));
          const refund = defineTool({
            name: 'refund_order',
            version: '1.0.0',
            description: 'Refund (irreversible), applied downstream at the end of the call.',
            input: z.object({ orderId: z.string() }),
            output: z.object({ refundId: z.string() }),
            sideEffects: 'irreversible',
            breaker: false,
            retry: false,
            timeoutMs: 10_000,
            idempotencyKey: ({ orderId: id }) => `contract:${id}`,
            // Asks the downstream system: while the first call runs, its refund is not applied yet. Taking
            // that call's `started` record for one in doubt would reconcile, hear "not done" and refund again.
            reconcile() {
              reconciles += 1;
              return applied ? { done: true as const, value: { refundId: `R-${orderId}` } } : { done: false as const };
            },
            async execute() {
              executions += 1;
              order.push('first executes');
              // Runs until the other executor has asked for the same key (and some more turns of its polling).
              await secondAsks;
              await new Promise((resolve) => setTimeout(resolve, 100));
              applied = true;
              order.push('first applied');
              return { refundId: `R-${orderId}` };
            },
          });
          const mine = stores.ledger;
          const theirs = second?.ledger ?? stores.ledger;
          if (theirs.lock === undefined) throw new Error(`${impl.name}: the ledger has no lock`);
          // The other executor's ledger says when it asks for the key and when it gets it.
          const watched: IdempotencyLedger = {
            get: (k) => theirs.get(k),
            append: (r) => theirs.append(r),
            close: () => theirs.close(),
            lock: async (k, options) => {
              order.push('second asks');
              secondAsked();
              const release = await theirs.lock!(k, options);
              order.push('second gets the key');
              return release;
            },
          };
          const first = createExecutor(granted(refund), { ledger: mine });
          const other = createExecutor(granted(refund), { ledger: watched });
          const firstCall = first.execute('refund_order', { orderId }, { runId: 'r-first' });
          // The second call starts once the first is inside the tool (it holds the key).
          while (executions === 0) await new Promise((resolve) => setTimeout(resolve, 1));
          const [a, b] = await Promise.all([firstCall, other.execute('refund_order', { orderId }, { runId: 'r-second' })]);
          expect(a).toMatchObject({ ok: true, value: { refundId: `R-${orderId}` }, meta: { replayed: false, attempts: 1 } });
          expect(b).toMatchObject({ ok: true, value: { refundId: `R-${orderId}` }, meta: { replayed: true, attempts: 0 } });
          expect(executions).toBe(1);
          expect(reconciles).toBe(0);
          expect(order).toEqual(['first executes', 'second asks', 'first applied', 'second gets the key']);
          expect(await theirs.get(key)).toMatchObject({ state: 'completed', runId: 'r-first', value: { refundId: `R-${orderId}` } });
        });
      });

      describe('VersionedStore', () => {
        it('creates at version 1, advances by compare-and-set, refuses a stale version with the current document', async () => {
          const key = unique('doc');
          expect(await stores.documents.get('rollout', key)).toBeUndefined();
          expect(await stores.documents.compareAndSet('rollout', key, 0, { stage: 'canary', weight: 5 })).toEqual({ ok: true, version: 1 });
          expect(await stores.documents.compareAndSet('rollout', key, 0, { stage: 'other' })).toEqual({
            ok: false,
            current: { version: 1, value: { stage: 'canary', weight: 5 } },
          });
          expect(await stores.documents.compareAndSet('rollout', key, 1, { stage: 'canary', weight: 25 })).toEqual({
            ok: true,
            version: 2,
          });
          expect(await stores.documents.compareAndSet('rollout', key, 1, { stage: 'late' })).toMatchObject({
            ok: false,
            current: { version: 2 },
          });
          expect(await stores.documents.compareAndSet('rollout', unique('doc'), 3, {})).toEqual({ ok: false, current: undefined });
          expect(await stores.documents.get('rollout', key)).toEqual({ version: 2, value: { stage: 'canary', weight: 25 } });
        });

        it('of concurrent writers at the same version exactly one wins', async () => {
          const key = unique('doc');
          await stores.documents.compareAndSet('rollout', key, 0, { n: 0 });
          const writers = [stores, second ?? stores, stores, second ?? stores].map((s, n) =>
            s.documents.compareAndSet('rollout', key, 1, { n }),
          );
          const results = await Promise.all(writers);
          expect(results.filter((r) => r.ok)).toHaveLength(1);
          expect((await stores.documents.get('rollout', key))?.version).toBe(2);
        });

        it('appends to a log with seq 1, 2, 3 … and reads it back in windows', async () => {
          const key = unique('doc');
          const seqs = [];
          for (let n = 0; n < 3; n++) seqs.push(await stores.documents.append('rollout', key, { event: 'promoted', n }));
          expect(seqs).toEqual([1, 2, 3]);
          const concurrent = await Promise.all(
            [0, 1, 2, 3].map((n) => (n % 2 === 0 ? stores : (second ?? stores)).documents.append('rollout', key, { n })),
          );
          expect([...concurrent].sort()).toEqual([4, 5, 6, 7]);
          expect((await stores.documents.log('rollout', key)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
          expect(await stores.documents.log('rollout', key, { after: 1, limit: 2 })).toEqual([
            { seq: 2, entry: { event: 'promoted', n: 1 } },
            { seq: 3, entry: { event: 'promoted', n: 2 } },
          ]);
        });

        it('refuses names that could escape a folder and values that are not JSON', async () => {
          await expect(stores.documents.get('rollout', '../etc')).rejects.toMatchObject({ code: 'STATE_BAD_CONFIG' });
          await expect(stores.documents.compareAndSet('rollout', unique('doc'), 0, undefined)).rejects.toMatchObject({
            code: 'STATE_BAD_CONFIG',
          });
          await expect(stores.documents.compareAndSet('rollout', unique('doc'), -1, {})).rejects.toMatchObject({
            code: 'STATE_BAD_CONFIG',
          });
        });
      });

      describe('ControlStore', () => {
        const by = { by: 'oncall@example.com', reason: 'refunds failing' };

        it('sets, replaces and clears controls per agent; other agents are not affected', async () => {
          const agent = unique('agent');
          expect(await stores.controls.controls(agent)).toEqual([]);
          await stores.controls.set(agent, { action: 'tool.disable', target: 'refund_order' }, by);
          await stores.controls.set(agent, { action: 'tool.disable', target: 'send_email' }, by);
          await stores.controls.set(agent, { action: 'rollout.set-weight', value: 10 }, by);
          await stores.controls.set(agent, { action: 'rollout.set-weight', value: 25 }, { by: 'lead', reason: 'recovering' });
          const controls = await (second ?? stores).controls.controls(agent);
          expect(controls).toHaveLength(3);
          expect(controls).toContainEqual({ action: 'rollout.set-weight', value: 25, by: 'lead', reason: 'recovering' });
          expect(controls).toContainEqual({ action: 'tool.disable', target: 'refund_order', ...by });
          expect(await stores.controls.controls(unique('agent'))).toEqual([]);
          expect(await stores.controls.clear(agent, 'tool.disable', 'refund_order', by)).toBe(true);
          expect(await stores.controls.clear(agent, 'tool.disable', 'refund_order', by)).toBe(false);
          expect(await stores.controls.clear(agent, 'tool.disable', undefined, by)).toBe(true);
          expect((await stores.controls.controls(agent)).map((c) => c.action)).toEqual(['rollout.set-weight']);
        });

        it('records who changed what and why, oldest first', async () => {
          const agent = unique('agent');
          await stores.controls.set(agent, { action: 'agent.kill-switch' }, { by: 'ana', reason: 'leaking data' });
          await stores.controls.clear(agent, 'agent.kill-switch', undefined, { by: 'bo', reason: 'fixed in 1.4.2' });
          const history = await stores.controls.history(agent);
          expect(history.map(({ op, action, by: who, reason }) => ({ op, action, by: who, reason }))).toEqual([
            { op: 'set', action: 'agent.kill-switch', by: 'ana', reason: 'leaking data' },
            { op: 'clear', action: 'agent.kill-switch', by: 'bo', reason: 'fixed in 1.4.2' },
          ]);
          expect(Number.isNaN(Date.parse(history[0]!.at))).toBe(false);
        });

        it('refuses an unknown action, a tool.disable without a tool, a weight out of range and a change without a reason', async () => {
          const agent = unique('agent');
          await expect(stores.controls.set(agent, { action: 'agent.pause' as never }, by)).rejects.toMatchObject({
            code: 'STATE_BAD_CONTROL',
          });
          await expect(stores.controls.set(agent, { action: 'tool.disable' }, by)).rejects.toMatchObject({ code: 'STATE_BAD_CONTROL' });
          await expect(stores.controls.set(agent, { action: 'rollout.set-weight', value: 101 }, by)).rejects.toMatchObject({
            code: 'STATE_BAD_CONTROL',
          });
          await expect(stores.controls.set(agent, { action: 'agent.kill-switch' }, { by: 'ana', reason: ' ' })).rejects.toMatchObject({
            code: 'STATE_BAD_CONTROL',
          });
          expect(await stores.controls.controls(agent)).toEqual([]);
        });
      });

      describe('FeedbackStore', () => {
        it('records feedback with an id and a time, lists it by agent, run and tenant, oldest first, from another instance too', async () => {
          const agent = unique('fb')
            .toLowerCase()
            .replace(/[^a-z0-9-]/g, '-');
          const runId = unique('run');
          const first = await recordFeedback(stores, {
            runId,
            agent,
            tenant: 'acme',
            rating: 2,
            correction: { status: 'completed', answer: 'refund issued', mustRun: ['refund_order'] },
            reason: 'should have refunded',
            by: 'ana',
          });
          expect(first).toMatchObject({ runId, agent, kind: 'rating', rating: 2, by: 'ana', tenant: 'acme' });
          expect(first.id).toMatch(/^fb_/);
          expect(Date.parse(first.at)).not.toBeNaN();
          const second2 = await recordFeedback(second ?? stores, { runId: unique('run'), agent, rating: 5, by: 'bo', tenant: 'globex' });
          expect(await listFeedback(second ?? stores, { agent })).toEqual([first, second2]);
          expect(await listFeedback(stores, { agent, runId })).toEqual([first]);
          expect(await listFeedback(stores, { agent, tenant: 'globex' })).toEqual([second2]);
          expect(await listFeedback(stores, { agent, limit: 1 })).toEqual([second2]);
          expect(await listFeedback(stores, { agent: 'nobody-here' })).toEqual([]);
        });

        it('refuses feedback with neither a rating nor a correction, an empty correction, or a rating outside 1-5', async () => {
          const base = { runId: unique('run'), agent: 'state-shop', by: 'ana' };
          await expect(recordFeedback(stores, base)).rejects.toMatchObject({
            code: 'STATE_BAD_FEEDBACK',
            message: expect.stringContaining('a rating (1-5), a correction, or both') as unknown,
          });
          await expect(recordFeedback(stores, { ...base, correction: {} })).rejects.toMatchObject({ code: 'STATE_BAD_FEEDBACK' });
          await expect(recordFeedback(stores, { ...base, rating: 6 })).rejects.toMatchObject({
            code: 'STATE_BAD_FEEDBACK',
            message: expect.stringContaining('rating') as unknown,
          });
          expect(await listFeedback(stores, { runId: base.runId })).toEqual([]);
        });

        it('a human denying an approval is recorded as feedback on the run (SQL approvals queue)', async () => {
          if (stores.approvals === undefined) {
            expect(['memory', 'file']).toContain(impl.name);
            return;
          }
          const id = unique('run');
          await stores.runs.save(runState(id));
          expect(
            await stores.approvals.record(`${id}:call_0_0`, { approved: false, approver: 'lead@example.com', reason: 'not damaged' }),
          ).toBe(true);
          expect(await listFeedback(stores, { runId: id })).toEqual([
            expect.objectContaining({
              kind: 'approval-denied',
              agent: 'state-shop',
              correction: { mustNotRun: ['refund_order'] },
              reason: 'not damaged',
              by: 'lead@example.com',
            }),
          ]);
          // Decided already: no second record, no second feedback.
          expect(await stores.approvals.record(`${id}:call_0_0`, { approved: false, approver: 'lead@example.com' })).toBe(false);
          const granted = unique('run');
          await stores.runs.save(runState(granted));
          expect(await stores.approvals.record(`${granted}:call_0_0`, { approved: true, approver: 'lead@example.com' })).toBe(true);
          expect(await listFeedback(stores, { runId: id })).toHaveLength(1);
          expect(await listFeedback(stores, { runId: granted })).toEqual([]);
        });
      });

      describe('EventStore', () => {
        it('returns appended events in order, narrowed by agent, run and limit; another instance reads them too', async () => {
          const agent = unique('agent');
          const other = unique('agent');
          const a = telemetryRun(agent, unique('run'), 4);
          const b = telemetryRun(other, unique('run'), 3);
          await stores.events.append(a.slice(0, 2));
          await stores.events.append([...b, ...a.slice(2)]);
          await stores.events.append([]);
          expect(await stores.events.read({ agent })).toEqual(a);
          expect(await (second ?? stores).events.read({ agent: other })).toEqual(b);
          expect(await stores.events.read({ runId: a[0]?.runId ?? '' })).toEqual(a);
          expect(await stores.events.read({ agent, limit: 3 })).toEqual(a.slice(0, 3));
          const all = await stores.events.read();
          expect(all.filter((event) => event.agent === agent || event.agent === other)).toEqual([...a.slice(0, 2), ...b, ...a.slice(2)]);
        });

        it('refuses what is not a telemetry event, and a bad limit', async () => {
          const bad = { ...telemetryRun(unique('agent'), unique('run'), 1)[0], type: 'nope' } as unknown as TelemetryEvent;
          await expect(stores.events.append([bad])).rejects.toMatchObject({ code: 'STATE_BAD_CONFIG' });
          await expect(stores.events.read({ limit: -1 })).rejects.toMatchObject({ code: 'STATE_BAD_CONFIG' });
        });

        it('eventStoreSink: what the telemetry of a run emits is in the store after flush', async () => {
          const agent = unique('agent');
          const sink = eventStoreSink(stores.events, { batch: 2 });
          let now = 1_000;
          const telemetry = createTelemetry({ agent, sinks: [sink], clock: () => (now += 5) });
          telemetry.emit({ type: 'run.started', runId: 'r1', tenant: 'acme' });
          telemetry.emit({ type: 'step', runId: 'r1', step: 0, phase: 'perceive' });
          telemetry.emit({ type: 'run.completed', runId: 'r1', status: 'completed', durationMs: 10, steps: 1 });
          await telemetry.flush();
          const stored = await stores.events.read({ agent });
          expect(stored.map((event) => [event.type, event.seq, event.ts])).toEqual([
            ['run.started', 0, 1_005],
            ['step', 1, 1_010],
            ['run.completed', 2, 1_015],
          ]);
          expect(stored[0]).toMatchObject({ tenant: 'acme' });
          await telemetry.close();
        });
      });

      describe('AuditAnchorStore', () => {
        const h = (c: string) => c.repeat(64);

        it('moves the head forward only, and refuses another hash for the anchored seq', async () => {
          const log = unique('audit');
          expect(await stores.auditHeads.head(log)).toBeUndefined();
          await stores.auditHeads.advance(log, { seq: 0, hash: h('a') });
          await stores.auditHeads.advance(log, { seq: 2, hash: h('c') });
          await stores.auditHeads.advance(log, { seq: 1, hash: h('b') });
          expect(await (second ?? stores).auditHeads.head(log)).toEqual({ seq: 2, hash: h('c') });
          await stores.auditHeads.advance(log, { seq: 2, hash: h('c') });
          await expect(stores.auditHeads.advance(log, { seq: 2, hash: h('d') })).rejects.toMatchObject({ code: 'STATE_AUDIT_MISMATCH' });
          await expect(stores.auditHeads.advance(log, { seq: 3, hash: 'nothex' })).rejects.toMatchObject({ code: 'STATE_BAD_CONFIG' });
        });
      });
    },
  );
}
