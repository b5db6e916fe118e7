import rule from '../../src/rules/require-idempotency-key.js';
import { runRule, TOOLS_IMPORT } from '../rule-tester.js';

const tool = (sideEffects: string, extra = '', head = TOOLS_IMPORT): string => `${head}
export const t = defineTool({
  name: 'refund_order', version: '1.0.0', description: 'Refunds.', sideEffects: ${sideEffects}, timeoutMs: 1_000,
  input: z.object({ orderId: z.string() }), output: z.object({ ok: z.boolean() }),${extra}
  execute: () => ({ ok: true }),
});`;

runRule('require-idempotency-key', rule, {
  valid: [
    tool("'none'"),
    tool("'irreversible'", ' idempotencyKey: (i) => `refund:${i.orderId}`,'),
    tool("'reversible'", ' idempotencyKey(i) { return i.orderId; },'),
    // Only irreversible tools need a key under this option.
    { code: tool("'reversible'"), options: [{ sideEffects: ['irreversible'] }] },
    `import { defineTool } from './lookalike.js';\nexport const t = defineTool({ name: 'x', sideEffects: 'irreversible', execute: () => 1 });`,
  ],
  invalid: [
    {
      code: tool("'irreversible'"),
      errors: [{ messageId: 'missingIdempotencyKey', data: { name: '"refund_order"', sideEffects: 'irreversible' }, line: 5, column: 81 }],
    },
    {
      code: tool("'reversible'"),
      errors: [{ messageId: 'missingIdempotencyKey', data: { name: '"refund_order"', sideEffects: 'reversible' } }],
    },
    // A constant resolves to its literal; a value of type SideEffects may be anything, so a key is required.
    {
      code: tool('EFFECT', '', `${TOOLS_IMPORT}const EFFECT = 'irreversible';\n`),
      errors: [{ messageId: 'missingIdempotencyKey', data: { name: '"refund_order"', sideEffects: 'irreversible' } }],
    },
    {
      code: tool(
        'effect',
        '',
        `import { defineTool, type SideEffects } from '@charter/tools';\nimport { z } from 'zod';\ndeclare const effect: SideEffects;\n`,
      ),
      errors: [{ messageId: 'missingIdempotencyKey', data: { name: '"refund_order"', sideEffects: 'reversible | irreversible' } }],
    },
    // The classes are named in their declared order, whatever order the checker met the literals in
    // (here 'irreversible' first: a union lists its members in that order).
    {
      code: tool('effect', '', `${TOOLS_IMPORT}declare const effect: 'irreversible' | 'reversible';\n`),
      errors: [{ messageId: 'missingIdempotencyKey', data: { name: '"refund_order"', sideEffects: 'reversible | irreversible' } }],
    },
  ],
});
