// The two tools the refund-desk manifest grants, for the @charter/agent README examples: in-memory
// orders, and a refund that only returns an id.
import { defineTool } from '@charter/tools';
import { z } from 'zod';

const orders: Record<string, { total: number; status: string }> = { 'A-1001': { total: 250, status: 'delivered' } };

export const tools = [
  defineTool({
    name: 'lookup_order',
    version: '1.0.0',
    description: 'Look up an order by id.',
    input: z.object({ orderId: z.string() }),
    output: z.object({ total: z.number(), status: z.string() }),
    sideEffects: 'none',
    scopes: ['orders:read'],
    execute: ({ orderId }) => orders[orderId] ?? { total: 0, status: 'unknown' },
  }),
  defineTool({
    name: 'refund_order',
    version: '1.0.0',
    description: 'Refund an order (irreversible).',
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    output: z.object({ refundId: z.string() }),
    sideEffects: 'irreversible',
    scopes: ['payments:refund'],
    idempotencyKey: ({ orderId }) => `refund:${orderId}`,
    execute: ({ orderId }) => ({ refundId: `R-${orderId}` }),
  }),
];
