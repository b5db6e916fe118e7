// Type-level tests: checked by `tsc -p tsconfig.json` (src is included) and by
// `npx vitest run --project tools --typecheck.enabled`.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineTool, type Tool, type ToolContext, type ToolInput, type ToolInputArg, type ToolOutput } from './index.js';

const refund = defineTool({
  name: 'refund_order',
  version: '1.0.0',
  description: 'Refunds an order.',
  input: z.object({ orderId: z.string(), amount: z.number(), currency: z.string().default('EUR') }),
  output: z.object({ refundId: z.string(), at: z.string().transform((s) => new Date(s)) }),
  sideEffects: 'irreversible',
  idempotencyKey(input) {
    expectTypeOf(input).toEqualTypeOf<{ orderId: string; amount: number; currency: string }>();
    return input.orderId;
  },
  execute(input, ctx) {
    expectTypeOf(input.currency).toEqualTypeOf<string>();
    expectTypeOf(ctx).toEqualTypeOf<ToolContext>();
    return { refundId: 'R', at: '2026-01-01' };
  },
});

describe('defineTool inference', () => {
  it('infers parsed input, raw input and output types', () => {
    expectTypeOf<ToolInput<typeof refund>>().toEqualTypeOf<{ orderId: string; amount: number; currency: string }>();
    expectTypeOf<ToolInputArg<typeof refund>>().toEqualTypeOf<{ orderId: string; amount: number; currency?: string | undefined }>();
    expectTypeOf<ToolOutput<typeof refund>>().toEqualTypeOf<{ refundId: string; at: Date }>();
    expectTypeOf(refund).toExtend<Tool>();
  });

  it('rejects an execute that breaks the output contract', () => {
    defineTool({
      name: 'x',
      version: '1.0.0',
      description: 'x',
      input: z.object({}),
      output: z.object({ n: z.number() }),
      sideEffects: 'none',
      // @ts-expect-error -- n must be a number
      execute: () => ({ n: 'one' }),
    });
  });

  it('rejects unknown side effects and reading a missing input field', () => {
    defineTool({
      name: 'x',
      version: '1.0.0',
      description: 'x',
      input: z.object({ a: z.string() }),
      output: z.object({}),
      // @ts-expect-error -- not a SideEffects value
      sideEffects: 'sometimes',
      execute: (input) => {
        // @ts-expect-error -- b is not in the input schema
        expectTypeOf(input).toHaveProperty('b');
        return {};
      },
    });
  });
});
