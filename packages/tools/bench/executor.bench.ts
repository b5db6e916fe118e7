// Executor overhead per successful call over a bare `safeParse` + function call.
// Run: npm run bench -w @charter/tools   (tsx, sources via the @charter/source condition)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createExecutor, defineTool, FileLedger, MemoryLedger } from '../src/index.js';

const ITERATIONS = 20_000;
const SAMPLES = 9;

const input = z.object({ orderId: z.string().max(32), quantity: z.int().min(1).max(100) });
const output = z.object({ ok: z.boolean(), total: z.number() });
const handler = (value: { orderId: string; quantity: number }) => ({ ok: value.orderId.length > 0, total: value.quantity * 2.5 });
const args = { orderId: 'A-1001', quantity: 3 };

const tool = defineTool({
  name: 'price_order',
  version: '1.0.0',
  description: 'Prices an order.',
  input,
  output,
  sideEffects: 'none',
  execute: handler,
});
const keyed = defineTool({
  name: 'reserve_stock',
  version: '1.0.0',
  description: 'Reserves stock.',
  input,
  output,
  sideEffects: 'reversible',
  idempotencyKey: (value) => value.orderId,
  execute: handler,
});
const asyncHandler = (value: { orderId: string; quantity: number }) => Promise.resolve(handler(value));
const asyncTool = defineTool({
  name: 'price_order_async',
  version: '1.0.0',
  description: 'Prices an order.',
  input,
  output,
  sideEffects: 'none',
  execute: asyncHandler,
});
const executor = createExecutor([tool, asyncTool]);
const hooked = createExecutor([tool], { hooks: { before: () => undefined, after: () => undefined } });
const ledgered = createExecutor([keyed], { ledger: new MemoryLedger() });
const context = { runId: 'bench', callId: 'bench' };

let sink = 0;

function bare(): void {
  const parsed = input.safeParse(args);
  if (parsed.success) sink += handler(parsed.data).total;
}

async function bareAsync(): Promise<void> {
  await Promise.resolve();
  bare();
}

async function bareAsyncTool(): Promise<void> {
  const parsed = input.safeParse(args);
  if (parsed.success) sink += (await asyncHandler(parsed.data)).total;
}

async function viaExecutorAsync(): Promise<void> {
  const result = await executor.execute('price_order_async', args, context);
  if (result.ok) sink += 1;
}

async function viaExecutor(): Promise<void> {
  const result = await executor.execute('price_order', args, context);
  if (result.ok) sink += 1;
}

async function viaHooked(): Promise<void> {
  const result = await hooked.execute('price_order', args, context);
  if (result.ok) sink += 1;
}

let key = 0;
async function viaLedger(): Promise<void> {
  key += 1;
  const result = await ledgered.execute('reserve_stock', args, { runId: 'bench', idempotencyKey: String(key) });
  if (result.ok) sink += 1;
}

async function measure(run: () => void | Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i += 1) await run();
  return Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const cases: [string, () => void | Promise<void>][] = [
  ['bare safeParse + call (sync)', bare],
  ['bare safeParse + call (awaited)', bareAsync],
  ['executor.execute', viaExecutor],
  ['executor.execute + before/after hooks', viaHooked],
  ['bare safeParse + async tool (awaited)', bareAsyncTool],
  ['executor.execute, async tool (timeout timer)', viaExecutorAsync],
  ['executor.execute + idempotency (memory ledger)', viaLedger],
];

for (const [, run] of cases) await measure(run); // warm up
const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let s = 0; s < SAMPLES; s += 1) {
  for (const [name, run] of cases) samples.get(name)?.push(await measure(run));
}
const medians = new Map([...samples].map(([name, values]) => [name, median(values)]));

// A keyed call through a FileLedger: per-key lock file + refresh + two fsynced appends. Far slower
// (fsync-bound), so it runs apart with fewer calls; the lock alone is measured too.
const FILE_CALLS = 200;
const dir = mkdtempSync(join(tmpdir(), 'charter-bench-ledger-'));
const fileLedger = new FileLedger(join(dir, 'ledger.jsonl'));
const fileLedgered = createExecutor([keyed], { ledger: fileLedger });
let fileKey = 0;
async function timePerCall(run: () => Promise<void>, calls: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i += 1) await run();
  return Number(process.hrtime.bigint() - start) / 1000 / calls;
}
const viaFileLedger = async (): Promise<void> => {
  fileKey += 1;
  const result = await fileLedgered.execute('reserve_stock', args, { runId: 'bench', idempotencyKey: `f${String(fileKey)}` });
  if (result.ok) sink += 1;
};
const lockOnly = async (): Promise<void> => {
  fileKey += 1;
  const release = await fileLedger.lock(`l${String(fileKey)}`);
  await release();
};
await timePerCall(viaFileLedger, 20);
await timePerCall(lockOnly, 20);
const fileSamples: number[] = [];
const lockSamples: number[] = [];
for (let s = 0; s < 5; s += 1) {
  fileSamples.push(await timePerCall(viaFileLedger, FILE_CALLS));
  lockSamples.push(await timePerCall(lockOnly, FILE_CALLS));
}
await fileLedgered.close();
rmSync(dir, { recursive: true, force: true });
medians.set('executor.execute + idempotency (FileLedger, lock)', median(fileSamples));
medians.set('FileLedger lock + release (uncontended)', median(lockSamples));
const anchor = medians.get('bare safeParse + call (sync)') ?? Number.NaN;
const round = (n: number) => Math.round(n * 1000) / 1000;

console.log(`Node ${process.version}, ${ITERATIONS} calls × ${SAMPLES} samples, medians per call`);
for (const [name, value] of medians) console.log(`${name.padEnd(50)} ${value.toFixed(3)} µs   ×${(value / anchor).toFixed(1)}`);
const exec = medians.get('executor.execute') ?? Number.NaN;
const overhead = exec - anchor;
console.log(`executor overhead over bare safeParse + call: ${overhead.toFixed(3)} µs (goal ≤ 3 µs) ${overhead <= 3 ? 'MET' : 'MISSED'}`);
if (sink < 0) console.log(sink);
console.log(
  JSON.stringify({
    bareMedianUs: round(anchor),
    executorMedianUs: round(exec),
    overheadMedianUs: round(overhead),
    overheadVsAwaitedBareUs: round(exec - (medians.get('bare safeParse + call (awaited)') ?? Number.NaN)),
    asyncToolOverheadMedianUs: round(
      (medians.get('executor.execute, async tool (timeout timer)') ?? Number.NaN) -
        (medians.get('bare safeParse + async tool (awaited)') ?? Number.NaN),
    ),
    hooksMedianUs: round(medians.get('executor.execute + before/after hooks') ?? Number.NaN),
    ledgerMedianUs: round(medians.get('executor.execute + idempotency (memory ledger)') ?? Number.NaN),
    fileLedgerKeyedMedianUs: round(medians.get('executor.execute + idempotency (FileLedger, lock)') ?? Number.NaN),
    fileLedgerLockMedianUs: round(medians.get('FileLedger lock + release (uncontended)') ?? Number.NaN),
    vsBare: round(exec / anchor),
  }),
);
