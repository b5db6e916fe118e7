// A child process for the crash test. `start <dir>` runs until the refund awaits approval, prints the
// result and waits to be killed; `resume <dir> <runId>` approves and prints the final result.
// `resume-crash` dies right after the refund's side effect (before it is acknowledged).
import { join } from 'node:path';
import { FileLedger } from '@charter/tools';
import { createAgent, FileStore, memoryEscalation } from '../index.js';
import { scripted } from '../models.js';
import { createShop, shopAgent } from './shop.js';

const [mode, dir, runId] = process.argv.slice(2);
if (mode === undefined || dir === undefined) throw new Error('usage: crash-child.ts start|resume|resume-crash <dir> [runId]');
const shop = createShop({ refundLog: join(dir, 'refunds.jsonl'), crashAfterRefund: mode === 'resume-crash' });
const agent = createAgent({
  agent: shopAgent(),
  model: scripted({
    turns: [
      { toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-2', amount: 250, reason: 'damaged' } }] },
      { cases: [{ when: { ok: true }, text: 'Refunded.' }], text: 'Refund failed.' },
    ],
  }),
  tools: shop.tools,
  store: new FileStore(join(dir, 'runs')),
  ledger: new FileLedger(join(dir, 'ledger.jsonl')),
  escalation: memoryEscalation(),
});

if (mode === 'start') {
  const result = await agent.run('Please refund A-2, it arrived broken.', {
    runId: 'crash-run',
    context: { customerEmail: 'ana@example.com' },
  });
  process.stdout.write(`${JSON.stringify({ status: result.status, runId: result.runId })}\n`);
  setInterval(() => undefined, 1000);
} else {
  try {
    const result = await agent.resume(runId ?? '', { approved: true, approver: 'lead@example.com' });
    process.stdout.write(`${JSON.stringify({ status: result.status, output: result.output, actions: result.actions })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: (error as { code?: string }).code ?? String(error) })}\n`);
  }
  await agent.close();
}
