// Tools for the support-desk fixture manifest: in-memory, recording every side effect, so a test can
// prove what a shadow run did not do. `refund_order` has a simulate function; `send_email` has none.
import { loadPolicy, type GuardrailPolicy } from '@charter/spec';
import { defineTool } from '@charter/tools';
import { join } from 'node:path';
import { z } from 'zod';
import { AGENT_DIR } from './reference.js';

export function deskPolicy(): GuardrailPolicy {
  const { value } = loadPolicy({ path: join(AGENT_DIR, 'policy.yaml') });
  if (value === undefined) throw new Error('fixture policy does not load');
  return value;
}

export function deskTools() {
  const effects = { refunds: [] as string[], simulatedRefunds: [] as string[], emails: [] as string[], tickets: [] as string[] };
  const tools = [
    defineTool({
      name: 'lookup_order',
      version: '1.0.0',
      description: 'Look up an order.',
      input: z.object({ orderId: z.string() }),
      output: z.object({ orderId: z.string(), status: z.string(), total: z.number() }),
      sideEffects: 'none',
      scopes: ['orders:read'],
      execute: (input) => ({ orderId: input.orderId, status: 'delivered', total: 40 }),
    }),
    defineTool({
      name: 'refund_order',
      version: '1.0.0',
      description: 'Refund an order.',
      input: z.object({ orderId: z.string(), amount: z.number(), reason: z.string() }),
      output: z.object({ refundId: z.string() }),
      sideEffects: 'irreversible',
      scopes: ['payments:refund'],
      idempotencyKey: (input) => `refund:${input.orderId}`,
      execute: (input) => {
        effects.refunds.push(input.orderId);
        return { refundId: `R-${input.orderId}` };
      },
      simulate: (input) => {
        effects.simulatedRefunds.push(input.orderId);
        return { refundId: `R-${input.orderId}` };
      },
    }),
    defineTool({
      name: 'search_kb',
      version: '1.0.0',
      description: 'Search the knowledge base.',
      input: z.object({ query: z.string() }),
      output: z.object({ articles: z.array(z.string()) }),
      sideEffects: 'none',
      scopes: ['kb:read'],
      execute: () => ({ articles: ['Refunds take 3-5 days.'] }),
    }),
    defineTool({
      name: 'send_email',
      version: '1.0.0',
      description: 'Send an e-mail.',
      input: z.object({ to: z.array(z.string()), subject: z.string(), body: z.string() }),
      output: z.object({ sent: z.boolean() }),
      sideEffects: 'irreversible',
      scopes: ['email:send'],
      execute: (input) => {
        effects.emails.push(input.to.join(','));
        return { sent: true };
      },
    }),
    defineTool({
      name: 'escalate_to_human',
      version: '1.0.0',
      description: 'Hand the conversation to a human.',
      input: z.object({ priority: z.string().optional() }),
      output: z.object({ ticket: z.string() }),
      sideEffects: 'reversible',
      scopes: ['tickets:write'],
      execute: () => {
        effects.tickets.push('T-1');
        return { ticket: 'T-1' };
      },
    }),
  ];
  return { tools, effects };
}
