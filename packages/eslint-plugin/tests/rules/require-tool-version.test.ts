import rule from '../../src/rules/require-tool-version.js';
import { runRule, TOOLS_IMPORT } from '../rule-tester.js';

const tool = (version: string, head = TOOLS_IMPORT): string => `${head}
export const t = defineTool({
  name: 'lookup_order',${version} description: 'Looks up an order.', sideEffects: 'none', timeoutMs: 1_000,
  input: z.object({ id: z.string() }), output: z.object({ ok: z.boolean() }), execute: () => ({ ok: true }),
});`;

runRule('require-tool-version', rule, {
  valid: [
    tool(" version: '1.0.0',"),
    tool(' version: `2.3.4-beta.1`,'),
    tool(" version: '10.20.30+build.5',"),
    // A const with a literal type is as reviewable as the literal.
    tool(' version: VERSION,', `${TOOLS_IMPORT}const VERSION = '1.4.0';\n`),
    // Look-alikes: other libraries' defineTool.
    `import { defineTool } from './lookalike.js';\nexport const t = defineTool({ name: 'x', version: 'latest', execute: () => 1 });`,
    `const defineTool = (d: { version: string }) => d;\nexport const t = defineTool({ version: String(Date.now()) });`,
  ],
  invalid: [
    { code: tool(''), errors: [{ messageId: 'missingVersion', data: { name: '"lookup_order"' }, line: 4, column: 29 }] },
    {
      code: tool(" version: '1.0',"),
      errors: [{ messageId: 'invalidSemver', data: { name: '"lookup_order"', version: '1.0' }, line: 5, column: 34 }],
    },
    { code: tool(" version: 'v1.0.0',"), errors: [{ messageId: 'invalidSemver', data: { name: '"lookup_order"', version: 'v1.0.0' } }] },
    { code: tool(" version: ' 1.0.0',"), errors: [{ messageId: 'invalidSemver' }] },
    {
      code: tool(' version: `${MAJOR}.0.0`,', `${TOOLS_IMPORT}let MAJOR = 1;\nMAJOR++;\n`),
      errors: [{ messageId: 'notLiteral', line: 7 }],
    },
    {
      code: tool(' version: pkg.version,', `${TOOLS_IMPORT}declare const pkg: { version: string };\n`),
      errors: [{ messageId: 'notLiteral', data: { name: '"lookup_order"' } }],
    },
    {
      code: tool(
        " version: 'one',",
        "import { defineTool as make } from '@charter/tools';\nimport { z } from 'zod';\nconst defineTool = make;\n",
      ),
      errors: [{ messageId: 'invalidSemver' }],
    },
  ],
});
