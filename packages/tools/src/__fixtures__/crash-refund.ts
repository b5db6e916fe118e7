// A process that refunds an order through the executor with a file-backed ledger. Used by the crash
// test: `hang` performs the side effect, reports it and then hangs until killed (SIGKILL arrives
// before the executor can acknowledge); `run` calls once and prints the result as one JSON line.
import { appendFileSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { createExecutor, defineTool, FileLedger } from '../index.js';

const [mode = 'run', ledgerPath = '', effectsPath = '', orderId = 'A-1', reconcile = 'no'] = process.argv.slice(2);

const effects = (): string[] => {
  try {
    return readFileSync(effectsPath, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

const refund = defineTool({
  name: 'refund_order',
  version: '1.0.0',
  description: 'Refunds an order.',
  input: z.object({ orderId: z.string(), amount: z.number().positive() }),
  output: z.object({ refundId: z.string() }),
  sideEffects: 'irreversible',
  timeoutMs: 120_000,
  idempotencyKey: (input) => input.orderId,
  ...(reconcile === 'yes'
    ? {
        reconcile: (input: { orderId: string }) => {
          const done = effects().some((line) => line.startsWith(`${input.orderId} `));
          return done ? { done: true as const, value: { refundId: `R-${input.orderId}` } } : { done: false as const };
        },
      }
    : {}),
  async execute(input) {
    appendFileSync(effectsPath, `${input.orderId} ${input.amount}\n`);
    if (mode === 'hang') {
      process.stdout.write('EFFECT\n');
      await new Promise(() => undefined);
    }
    return { refundId: `R-${input.orderId}` };
  },
});

const executor = createExecutor([refund], { ledger: new FileLedger(ledgerPath) });
const result = await executor.execute('refund_order', { orderId, amount: 42 }, { runId: `run-${process.pid}` });
await executor.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
