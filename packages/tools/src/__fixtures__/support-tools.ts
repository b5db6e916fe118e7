// Tools shaped like the reference agent's, used by the MCP tests and fixtures.
import { z } from 'zod';
import { defineTool, PermanentToolError } from '../index.js';

export function supportTools(effects: { refunds: number }) {
  return [
    defineTool({
      name: 'lookup_order',
      version: '1.2.0',
      description: 'Looks up an order by id.',
      input: z.object({ orderId: z.string().regex(/^A-\d{1,8}$/) }),
      output: z.object({ orderId: z.string(), status: z.enum(['open', 'shipped', 'delivered']), total: z.number() }),
      sideEffects: 'none',
      execute(input) {
        if (input.orderId === 'A-404') throw new PermanentToolError(`order ${input.orderId} does not exist`);
        return { orderId: input.orderId, status: 'shipped' as const, total: 42.5 };
      },
    }),
    defineTool({
      name: 'refund_order',
      version: '1.0.0',
      description: 'Refunds an order (irreversible).',
      input: z.object({ orderId: z.string(), amount: z.number().positive().max(10_000) }),
      output: z.object({ refundId: z.string(), count: z.number() }),
      sideEffects: 'irreversible',
      idempotencyKey: (input) => input.orderId,
      simulate: (input) => ({ refundId: `SIM-${input.orderId}`, count: 0 }),
      execute(input) {
        effects.refunds += 1;
        return { refundId: `R-${input.orderId}`, count: effects.refunds };
      },
    }),
    defineTool({
      name: 'slow_report',
      version: '1.0.0',
      description: 'Never answers in time.',
      input: z.object({}),
      output: z.object({ done: z.boolean() }),
      sideEffects: 'none',
      timeoutMs: 30,
      retry: false,
      execute: (_input, ctx) => new Promise<{ done: boolean }>((resolve) => ctx.signal.addEventListener('abort', () => resolve({ done: false }))),
    }),
  ];
}
