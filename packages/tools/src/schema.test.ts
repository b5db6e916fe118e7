import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  assertVersionBump,
  defineTool,
  diffToolSchemas,
  exportToolSchema,
  parseToolSchemaExport,
  ToolErrorCode,
  type SchemaChangeKind,
  type SideEffects,
  type ToolSchemaExport,
} from './index.js';

const make = (
  version: string,
  input: z.ZodType,
  output: z.ZodType,
  sideEffects: SideEffects = 'none',
  description = 'Refunds an order.',
): ToolSchemaExport =>
  exportToolSchema(defineTool({ name: 'refund_order', version, description, input, output, sideEffects, execute: () => ({}) }));

const out = z.object({ refundId: z.string(), status: z.enum(['pending', 'done']), note: z.string().optional() });
const inp = z.object({
  orderId: z.string().max(20),
  amount: z.number().min(0),
  reason: z.string().optional(),
  kind: z.enum(['full', 'partial']),
});

interface Case {
  readonly name: string;
  readonly input?: z.ZodType;
  readonly output?: z.ZodType;
  readonly sideEffects?: SideEffects;
  readonly description?: string;
  readonly kinds: readonly SchemaChangeKind[];
  readonly breaking: boolean;
  readonly bump: 'major' | 'minor' | 'patch' | 'none';
}

const cases: readonly Case[] = [
  { name: 'no change', kinds: [], breaking: false, bump: 'none' },
  {
    name: 'input: optional field added',
    input: inp.extend({ currency: z.string().optional() }),
    kinds: ['property-added'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'input: required field added',
    input: inp.extend({ currency: z.string() }),
    kinds: ['required-property-added'],
    breaking: true,
    bump: 'major',
  },
  { name: 'input: field removed', input: inp.omit({ reason: true }), kinds: ['property-removed'], breaking: true, bump: 'major' },
  {
    name: 'input: field renamed',
    input: inp.omit({ reason: true }).extend({ why: z.string().optional() }),
    kinds: ['property-renamed'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: optional → required',
    input: inp.extend({ reason: z.string() }),
    kinds: ['became-required'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: required → optional',
    input: inp.extend({ orderId: z.string().max(20).optional() }),
    kinds: ['became-optional'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'input: number → integer (narrowed)',
    input: inp.extend({ amount: z.int().min(0) }),
    kinds: ['type-narrowed', 'constraint-tightened'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: string → string | number (widened)',
    input: inp.extend({ orderId: z.union([z.string().max(20), z.number()]) }),
    kinds: ['type-widened'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'input: string → boolean (changed)',
    input: inp.extend({ orderId: z.boolean() }),
    kinds: ['type-changed'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: enum value removed',
    input: inp.extend({ kind: z.enum(['full']) }),
    kinds: ['enum-narrowed'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: enum value added',
    input: inp.extend({ kind: z.enum(['full', 'partial', 'credit']) }),
    kinds: ['enum-widened'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'input: maxLength lowered',
    input: inp.extend({ orderId: z.string().max(10) }),
    kinds: ['constraint-tightened'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: maxLength raised',
    input: inp.extend({ orderId: z.string().max(40) }),
    kinds: ['constraint-loosened'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'input: minimum raised',
    input: inp.extend({ amount: z.number().min(1) }),
    kinds: ['constraint-tightened'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: pattern added',
    input: inp.extend({
      orderId: z
        .string()
        .max(20)
        .regex(/^A-\d{1,8}$/),
    }),
    kinds: ['constraint-tightened'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: unknown fields no longer accepted',
    input: z.strictObject(inp.shape),
    kinds: ['additional-properties-closed'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'input: field made nullable',
    input: inp.extend({ reason: z.string().nullable().optional() }),
    kinds: ['type-widened'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'input: field description only',
    input: inp.extend({ reason: z.string().describe('why the customer wants a refund').optional() }),
    kinds: ['documentation-changed'],
    breaking: false,
    bump: 'patch',
  },
  {
    name: 'input: optional object field added',
    input: inp.extend({ address: z.object({ city: z.string() }).optional() }),
    kinds: ['property-added'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'input: field default added',
    input: inp.extend({ kind: z.enum(['full', 'partial']).default('full') }),
    kinds: ['became-optional', 'documentation-changed'],
    breaking: false,
    bump: 'minor',
  },
  { name: 'output: field removed', output: out.omit({ note: true }), kinds: ['property-removed'], breaking: true, bump: 'major' },
  {
    name: 'output: guaranteed field added',
    output: out.extend({ amount: z.number() }),
    kinds: ['required-property-added'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'output: optional field added',
    output: out.extend({ amount: z.number().optional() }),
    kinds: ['property-added'],
    breaking: false,
    bump: 'minor',
  },
  {
    name: 'output: field renamed',
    output: out.omit({ refundId: true }).extend({ id: z.string() }),
    kinds: ['property-renamed'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'output: required → optional',
    output: out.extend({ refundId: z.string().optional() }),
    kinds: ['became-optional'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'output: optional → required',
    output: out.extend({ note: z.string() }),
    kinds: ['became-required'],
    breaking: false,
    bump: 'minor',
  },
  { name: 'output: type changed', output: out.extend({ refundId: z.number() }), kinds: ['type-changed'], breaking: true, bump: 'major' },
  {
    name: 'output: enum value added',
    output: out.extend({ status: z.enum(['pending', 'done', 'failed']) }),
    kinds: ['enum-widened'],
    breaking: true,
    bump: 'major',
  },
  {
    name: 'output: enum value removed',
    output: out.extend({ status: z.enum(['done']) }),
    kinds: ['enum-narrowed'],
    breaking: false,
    bump: 'minor',
  },
  { name: 'output: shape replaced by an array', output: z.array(out), kinds: ['type-changed'], breaking: true, bump: 'major' },
  { name: 'side effects escalated', sideEffects: 'irreversible', kinds: ['side-effects-changed'], breaking: true, bump: 'major' },
  {
    name: 'tool description changed',
    description: 'Refunds an order, fully or in part.',
    kinds: ['documentation-changed'],
    breaking: false,
    bump: 'patch',
  },
];

describe('diffToolSchemas: change classification', () => {
  const base = make('1.0.0', inp, out);
  it.each(cases)('$name', (c) => {
    const next = make('9.0.0', c.input ?? inp, c.output ?? out, c.sideEffects ?? 'none', c.description ?? 'Refunds an order.');
    const diff = diffToolSchemas(base, next);
    expect([...new Set(diff.changes.map((change) => change.kind))].sort()).toEqual([...c.kinds].sort());
    expect(diff.breaking).toBe(c.breaking);
    expect(diff.requiredBump).toBe(c.bump);
  });

  it('names the path of a nested change', () => {
    const nested = (city: z.ZodType) => make('1.0.0', z.object({ address: z.object({ city }) }), out);
    const diff = diffToolSchemas(nested(z.string()), nested(z.string().min(3)));
    expect(diff.changes).toEqual([expect.objectContaining({ kind: 'constraint-tightened', path: 'input.address.city', breaking: true })]);
    const items = (item: z.ZodType) => make('1.0.0', z.object({ ids: z.array(item) }), out);
    expect(diffToolSchemas(items(z.union([z.string(), z.number()])), items(z.string())).changes[0]).toMatchObject({
      path: 'input.ids[]',
      kind: 'type-narrowed',
      breaking: true,
    });
  });
});

describe('diffToolSchemas: version bump check', () => {
  const breakingInput = inp.extend({ currency: z.string() });
  const compatibleInput = inp.extend({ currency: z.string().optional() });
  const bumps: [string, string, z.ZodType, boolean][] = [
    ['1.2.3', '2.0.0', breakingInput, true],
    ['1.2.3', '1.3.0', breakingInput, false],
    ['1.2.3', '1.3.0', compatibleInput, true],
    ['1.2.3', '1.2.4', compatibleInput, false],
    ['1.2.3', '1.2.4', inp, true],
    ['1.2.3', '1.2.3', inp, true],
    ['1.2.3', '1.2.2', inp, false],
    ['0.3.1', '0.4.0', breakingInput, true],
    ['0.3.1', '0.3.2', breakingInput, false],
    ['0.3.1', '0.3.2', compatibleInput, true],
  ];
  it.each(bumps)('%s → %s', (from, to, input, ok) => {
    const diff = diffToolSchemas(make(from, inp, out), make(to, input, out));
    expect(diff.ok).toBe(ok);
    expect(diff.message).toContain('refund_order');
  });

  it('refuses to compare two different tools and malformed exports', () => {
    const other = { ...make('1.0.0', inp, out), name: 'send_email' };
    expect(() => diffToolSchemas(make('1.0.0', inp, out), other)).toThrow(expect.objectContaining({ code: ToolErrorCode.Schema }) as Error);
    expect(() => parseToolSchemaExport({ name: 'x', version: 'one' }, 'old.json')).toThrow(
      /old\.json is not a tool schema export.*version/,
    );
  });

  it('assertVersionBump throws TOOL_VERSION_BUMP naming the breaking change', () => {
    expect(() => assertVersionBump(make('1.2.3', inp, out), make('1.3.0', breakingInput, out))).toThrow(
      expect.objectContaining({
        code: ToolErrorCode.VersionBump,
        message: expect.stringContaining('input.currency was added as a required field') as unknown,
      }) as Error,
    );
    expect(assertVersionBump(make('1.2.3', inp, out), make('2.0.0', breakingInput, out)).ok).toBe(true);
  });

  it('round-trips an export through JSON', () => {
    const exported = make('1.0.0', inp, out);
    expect(parseToolSchemaExport(JSON.parse(JSON.stringify(exported)))).toEqual(exported);
  });
});
