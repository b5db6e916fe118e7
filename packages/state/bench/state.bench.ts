// `npm run bench -w @charter/state`: the costs that decide where state lives, measured in one process.
//   - ledger claim: lock(key) → get → append(started), a fresh key each time (what the executor does
//     before a keyed side effect runs the first time; the call's append(completed) and release, which
//     end the lease it holds while the effect runs, come after the clock stopped);
//   - checkpoint write: RunStore.save of a paused run (~2 KB of JSON);
//   - run resume: claim → load → save (the hand-over checkpoint) → release.
// On PostgreSQL (CHARTER_BENCH_DATABASE_URL or CHARTER_TEST_DATABASE_URL; skipped without one), on
// PGlite persisted in a temporary folder, and on the file stores (the one-machine default), which are
// the anchor. Also PGlite's open costs and write rates (ADR 0008). Medians; ends with one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type RunState, STATE_VERSION } from '@charter/agent';
import type { LedgerRecord } from '@charter/tools';
import { connectPostgres, openState, type StateStores } from '@charter/state';

const N = Number(process.env.STATE_BENCH_N ?? 300);
const WARMUP = 30;
const now = () => performance.now();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function state(runId: string): RunState {
  return {
    v: STATE_VERSION,
    runId,
    agent: 'bench',
    tenant: 'acme',
    user: 'u-1',
    context: { customerEmail: 'ana@example.com', customerOrders: ['A-1', 'A-2'] },
    status: 'paused',
    messages: [
      { role: 'system', content: 'You are the support desk of a shop. '.repeat(20) },
      { role: 'user', content: [{ type: 'text', text: 'Please refund order A-2, it arrived broken. '.repeat(5) }] },
      {
        role: 'assistant',
        content: [{ type: 'tool-call', toolCallId: 'call_0_0', toolName: 'refund_order', input: { orderId: 'A-2', amount: 250 } }],
      },
    ],
    step: 1,
    usage: { inputTokens: 812, outputTokens: 40, costUsd: 0.0021 },
    startedAt: Date.now(),
    elapsedMs: 40,
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
      requestedAt: Date.now(),
    },
    approved: {},
    output: undefined,
    reason: undefined,
    owner: undefined,
  };
}

/** Median µs of `run`; `after` runs after each, once the clock stopped. */
async function time(run: (i: number) => Promise<void>, after?: () => Promise<void>): Promise<number> {
  for (let i = 0; i < WARMUP; i++) {
    await run(-1 - i);
    await after?.();
  }
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const start = now();
    await run(i);
    samples.push((now() - start) * 1000);
    await after?.();
  }
  return Math.round(median(samples));
}

interface Figures {
  ledgerClaimUs: number;
  checkpointWriteUs: number;
  runResumeUs: number;
}

async function measure(name: string, stores: StateStores): Promise<Figures> {
  const tag = `${name}-${process.pid}-${Date.now().toString(36)}`;
  let endCall: () => Promise<void> = () => Promise.resolve();
  const ledgerClaimUs = await time(
    async (i) => {
      const key = `bench:${tag}:${i}`;
      const release = await stores.ledger.lock!(key);
      await stores.ledger.get(key);
      const record: LedgerRecord = {
        key,
        state: 'started',
        tool: 'refund_order',
        version: '1.0.0',
        runId: tag,
        at: new Date().toISOString(),
      };
      await stores.ledger.append(record);
      endCall = async () => {
        await stores.ledger.append({ ...record, state: 'completed', value: { refundId: 'R-1' } });
        await release();
      };
    },
    () => endCall(),
  );
  const checkpointWriteUs = await time(async (i) => {
    await stores.runs.save(state(`${tag}-w${i % 50}`));
  });
  for (let i = 0; i < 50; i++) await stores.runs.save(state(`${tag}-r${i}`));
  const runResumeUs = await time(async (i) => {
    const id = `${tag}-r${Math.abs(i) % 50}`;
    if (!(await stores.runs.claim(id))) throw new Error(`bench: ${id} is claimed`);
    const loaded = (await stores.runs.load(id))!;
    loaded.status = loaded.status === 'paused' ? 'running' : 'paused';
    await stores.runs.save(loaded);
    await stores.runs.release(id);
  });
  const figures = { ledgerClaimUs, checkpointWriteUs, runResumeUs };
  console.log(
    `${name.padEnd(10)} ledger claim ${ledgerClaimUs} µs · checkpoint write ${checkpointWriteUs} µs · run resume ${runResumeUs} µs (medians of ${N})`,
  );
  return figures;
}

async function pgliteFigures(dir: string) {
  const ddl = 'CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text NOT NULL)';
  const upsert = 'INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v';
  let start = now();
  const first = await PGlite.create(join(dir, 'open'));
  await first.exec(ddl);
  const firstOpenMs = now() - start;
  await first.close();
  start = now();
  const later = await PGlite.create(join(dir, 'open'));
  await later.query('SELECT 1');
  const laterOpenMs = now() - start;
  const value = 'x'.repeat(1000);
  start = now();
  for (let i = 0; i < N; i++) await later.query(upsert, [`k${i % 50}`, value]);
  const persistedUpsertsPerS = N / ((now() - start) / 1000);
  await later.close();
  const memory = await PGlite.create();
  await memory.exec(ddl);
  start = now();
  for (let i = 0; i < N * 3; i++) await memory.query(upsert, [`k${i}`, value]);
  const memoryInsertsPerS = (N * 3) / ((now() - start) / 1000);
  await memory.close();
  const out = {
    pgliteFirstOpenMs: Math.round(firstOpenMs),
    pgliteLaterOpenMs: Math.round(laterOpenMs),
    pglitePersistedUpsertsPerS: Math.round(persistedUpsertsPerS),
    pgliteMemoryInsertsPerS: Math.round(memoryInsertsPerS),
  };
  console.log(
    `PGlite     first open ${out.pgliteFirstOpenMs} ms · later open ${out.pgliteLaterOpenMs} ms · persisted upserts ${out.pglitePersistedUpsertsPerS}/s · in-memory inserts ${out.pgliteMemoryInsertsPerS}/s`,
  );
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'charter-state-bench-'));
try {
  const file = await openState({ url: `file:${join(dir, 'file')}` });
  const fileFigures = await measure('file', file);
  await file.close();

  const pgliteOpen = await pgliteFigures(dir);
  const pglite = await openState({ url: `pglite:${join(dir, 'pglite')}` });
  const pgliteStore = await measure('pglite', pglite);
  await pglite.close();

  const url = process.env.CHARTER_BENCH_DATABASE_URL ?? process.env.CHARTER_TEST_DATABASE_URL;
  let pg: Figures | undefined;
  if (url === undefined || url === '') {
    console.log('postgres   skipped: set CHARTER_BENCH_DATABASE_URL or CHARTER_TEST_DATABASE_URL (scripts/pg-test-server.sh start)');
  } else {
    const schema = `bench_${process.pid}`;
    const stores = await openState({ url, schema });
    try {
      pg = await measure('postgres', stores);
    } finally {
      await stores.close();
      const admin = await connectPostgres({ url, schema });
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    }
  }
  const ratio = (a: number | undefined, b: number) => (a === undefined ? null : Math.round((a / b) * 100) / 100);
  if (pg !== undefined)
    console.log(
      `postgres / file: ledger claim ×${ratio(pg.ledgerClaimUs, fileFigures.ledgerClaimUs)}, checkpoint write ×${ratio(pg.checkpointWriteUs, fileFigures.checkpointWriteUs)}, run resume ×${ratio(pg.runResumeUs, fileFigures.runResumeUs)}`,
    );
  console.log(
    JSON.stringify({
      n: N,
      pgLedgerClaimUs: pg?.ledgerClaimUs ?? null,
      pgCheckpointWriteUs: pg?.checkpointWriteUs ?? null,
      pgRunResumeUs: pg?.runResumeUs ?? null,
      fileLedgerClaimUs: fileFigures.ledgerClaimUs,
      fileCheckpointWriteUs: fileFigures.checkpointWriteUs,
      fileRunResumeUs: fileFigures.runResumeUs,
      pgliteLedgerClaimUs: pgliteStore.ledgerClaimUs,
      pgliteCheckpointWriteUs: pgliteStore.checkpointWriteUs,
      pgliteRunResumeUs: pgliteStore.runResumeUs,
      pgLedgerClaimOverFile: ratio(pg?.ledgerClaimUs, fileFigures.ledgerClaimUs),
      ...pgliteOpen,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
