// A worker process sharing one FileLedger file with others. Used by ledger-multiprocess.test.ts.
// `exec <ledger> <effects> <barrier> <key> <holdMs> [reconcile]`: prints READY, waits for the barrier
//   file, then runs an irreversible keyed tool once (the effect appends `S <key> <pid> <ms>` to the
//   effects file, holds for holdMs, then applies it: appends `E ...`) and prints the result as one JSON
//   line. With `reconcile`, the tool can reconcile: it appends `R ...` and answers done when an `E` line
//   of the key exists (the downstream system applied it).
// `lock <ledger> <key>`: takes the ledger lock on the key, prints LOCKED and hangs until killed.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createExecutor, defineTool, FileLedger } from '../index.js';

const [mode = 'exec', ledgerPath = '', ...rest] = process.argv.slice(2);

if (mode === 'lock') {
  const ledger = new FileLedger(ledgerPath);
  await ledger.lock(rest[0] ?? 'k');
  process.stdout.write('LOCKED\n');
  // A timer keeps the process alive (a bare pending promise would let Node exit).
  setInterval(() => undefined, 60_000);
  await new Promise(() => undefined);
}

const [effectsPath = '', barrierPath = '', key = 'k', holdMs = '0', reconcile = 'no'] = rest;
const applied = (k: string): boolean => readFileSync(effectsPath, 'utf8').split('\n').some((line) => line.startsWith(`E ${k} `));

const charge = defineTool({
  name: 'charge',
  version: '1.0.0',
  description: 'Charges a card once per key.',
  input: z.object({ key: z.string() }),
  output: z.object({ chargeId: z.string(), pid: z.int() }),
  sideEffects: 'irreversible',
  timeoutMs: 60_000,
  idempotencyKey: (input) => input.key,
  ...(reconcile === 'reconcile'
    ? {
        reconcile: (input: { key: string }) => {
          appendFileSync(effectsPath, `R ${input.key} ${process.pid} ${Date.now()}\n`);
          return applied(input.key) ? { done: true as const, value: { chargeId: `C-${input.key}`, pid: 0 } } : { done: false as const };
        },
      }
    : {}),
  async execute(input) {
    appendFileSync(effectsPath, `S ${input.key} ${process.pid} ${Date.now()}\n`);
    await sleep(Number(holdMs));
    appendFileSync(effectsPath, `E ${input.key} ${process.pid} ${Date.now()}\n`);
    return { chargeId: `C-${input.key}`, pid: process.pid };
  },
});

const executor = createExecutor([charge], { ledger: new FileLedger(ledgerPath) });
process.stdout.write('READY\n');
while (!existsSync(barrierPath)) await sleep(2);
const result = await executor.execute('charge', { key }, { runId: `run-${process.pid}` });
await executor.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
