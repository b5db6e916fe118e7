// The fixture agent's tools: versioned, with timeouts and retries; the refund names its effect.
import { defineTool } from '@charter/tools';
import { z } from 'zod';

export const lookupOrder = defineTool({
  name: 'lookup_order',
  version: '1.0.0',
  description: 'Look up an order by id.',
  input: z.strictObject({ orderId: z.string().max(16) }),
  output: z.object({ status: z.string() }),
  sideEffects: 'none',
  scopes: ['orders:read'],
  timeoutMs: 5000,
  retry: { attempts: 2 },
  execute: ({ orderId }) => ({ status: orderId.length > 0 ? 'delivered' : 'unknown' }),
});

export const refundOrder = defineTool({
  name: 'refund_order',
  version: '1.0.0',
  description: 'Refund an order.',
  input: z.strictObject({ orderId: z.string().max(16), amount: z.number().positive() }),
  output: z.object({ refundId: z.string() }),
  sideEffects: 'irreversible',
  scopes: ['payments:refund'],
  timeoutMs: 5000,
  retry: { attempts: 2 },
  idempotencyKey: ({ orderId }) => `refund:${orderId}`,
  execute: ({ orderId }) => ({ refundId: `R-${orderId}` }),
});
