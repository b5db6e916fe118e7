import rule from '../../src/rules/require-tool-timeout.js';
import { runRule, TOOLS_IMPORT } from '../rule-tester.js';

const tool = (extra: string, head = TOOLS_IMPORT, call = 'defineTool'): string => `${head}
export const t = ${call}({
  name: 'lookup_order', version: '1.0.0', description: 'Looks up an order.', sideEffects: 'none',
  input: z.object({ id: z.string() }), output: z.object({ ok: z.boolean() }),${extra}
  execute: () => ({ ok: true }),
});`;

runRule('require-tool-timeout', rule, {
  valid: [
    tool(' timeoutMs: 5_000,'),
    tool(' timeoutMs: TIMEOUT,', `${TOOLS_IMPORT}const TIMEOUT = 2_000;\n`),
    // The value is computed at run time: not known statically, not reported.
    tool(' timeoutMs: Number(process.env.T),'),
    // A spread that provides timeoutMs (seen through its type).
    tool(' ...limits,', `${TOOLS_IMPORT}const limits = { timeoutMs: 1_000 } as const;\n`),
    // Look-alike: a local defineTool from another module is not Charter's.
    `import { defineTool } from './lookalike.js';\nexport const t = defineTool({ name: 'x', execute: () => 1 });`,
    `function defineTool(d: object): object { return d; }\nexport const t = defineTool({ name: 'x' });`,
    // A `let` is not followed (only a `const` re-binding is): `make` is a local variable, not Charter's defineTool.
    tool('', `${TOOLS_IMPORT}let make = defineTool;\nmake = defineTool;\n`, 'make'),
  ],
  invalid: [
    { code: tool(''), errors: [{ messageId: 'missingTimeout', data: { name: '"lookup_order"' }, line: 4, column: 29 }] },
    // An import alias and a namespace import are still Charter's defineTool.
    {
      code: tool('', "import { defineTool as dt } from '@charter/tools';\nimport { z } from 'zod';\n", 'dt'),
      errors: [{ messageId: 'missingTimeout', line: 4 }],
    },
    {
      code: tool('', "import * as tools from '@charter/tools';\nimport { z } from 'zod';\n", 'tools.defineTool'),
      errors: [{ messageId: 'missingTimeout', line: 4 }],
    },
    // Names the callee prefilter must not skip: an export alias and a `const` of another module, and a
    // `const` re-binding inside a function.
    ...['makeTool', 'buildTool'].map((call) => ({
      code: tool('', `import { ${call} } from './tool-alias.js';\nimport { z } from 'zod';\n`, call),
      errors: [{ messageId: 'missingTimeout' as const, line: 4 }],
    })),
    {
      code: `${TOOLS_IMPORT}export function build(): unknown {\n  const make = defineTool;\n  return make({ name: 'n', version: '1.0.0', description: 'd', sideEffects: 'none', input: z.object({}), output: z.object({}), execute: () => ({}) });\n}`,
      errors: [{ messageId: 'missingTimeout', data: { name: '"n"' }, line: 5 }],
    },
    {
      code: tool(' timeoutMs: Infinity,'),
      errors: [
        { messageId: 'unboundedTimeout', data: { name: '"lookup_order"', value: 'Infinity', maxMs: '3600000' }, line: 6, column: 90 },
      ],
    },
    { code: tool(' timeoutMs: Number.POSITIVE_INFINITY,'), errors: [{ messageId: 'unboundedTimeout' }] },
    { code: tool(' timeoutMs: 0,'), errors: [{ messageId: 'unboundedTimeout' }] },
    {
      code: tool(' timeoutMs: 120_000,'),
      options: [{ maxMs: 60_000 }],
      errors: [{ messageId: 'unboundedTimeout', data: { name: '"lookup_order"', value: '120000', maxMs: '60000' } }],
    },
    // A definition held in a const is read through the const.
    {
      code: `${TOOLS_IMPORT}const def = { name: 'a', version: '1.0.0', description: 'd', sideEffects: 'none' as const, input: z.object({}), output: z.object({}), execute: () => ({}) };\nexport const t = defineTool(def);`,
      errors: [{ messageId: 'missingTimeout', data: { name: '"a"' }, line: 4 }],
    },
  ],
});
