import rule from '../../src/rules/tools-declared-in-manifest.js';
import { fixture, runRule } from '../rule-tester.js';

const HEAD = "import { createExecutor, createRegistry, defineTool, toolsetOf } from '@charter/tools';\nimport { z } from 'zod';\n";
const def = (name: string, sideEffects = 'none'): string =>
  `defineTool({ name: '${name}', version: '1.0.0', description: 'd', sideEffects: '${sideEffects}', timeoutMs: 1_000, input: z.object({}), output: z.object({}), execute: () => ({}) })`;
const manifest = fixture('manifest', 'file.ts');

runRule('tools-declared-in-manifest', rule, {
  valid: [
    {
      code: `${HEAD}const lookup = ${def('lookup_order')};\nconst refund = ${def('refund_order', 'irreversible')};\nexport const registry = createRegistry([lookup, refund]);`,
      filename: manifest,
    },
    // Through spreads and a const list.
    {
      code: `${HEAD}const read = [${def('lookup_order')}];\nconst all = [...read, ${def('refund_order', 'irreversible')}];\nexport const ex = createExecutor(all);`,
      filename: manifest,
    },
    // An unresolvable list (a parameter) is not checked.
    {
      code: `${HEAD}import type { AnyTool } from '@charter/tools';\nexport const f = (tools: AnyTool[]) => toolsetOf(tools);`,
      filename: manifest,
    },
    // No manifest beside the code.
    `${HEAD}export const t = ${def('anything')};`,
    // Look-alikes.
    {
      code: `import { defineTool, createRegistry } from '../lookalike.js';\nexport const r = createRegistry([defineTool({ name: 'ghost', execute: () => 1 })]);`,
      filename: manifest,
    },
  ],
  invalid: [
    {
      code: `${HEAD}export const t = ${def('ghost_tool')};`,
      filename: manifest,
      errors: [{ messageId: 'undeclared', line: 3, column: 37 }],
    },
    {
      code: `${HEAD}const lookup = ${def('lookup_order')};\nexport const registry = createRegistry([lookup]);`,
      filename: manifest,
      errors: [{ messageId: 'neverRegistered', line: 4, column: 40 }],
    },
    // createAgent's tools list, across a const.
    {
      code: `${HEAD}import { createAgent } from '@charter/agent';\ndeclare const options: Omit<Parameters<typeof createAgent>[0], 'tools'>;\nconst tools = [${def('lookup_order')}];\nexport const agent = createAgent({ ...options, tools });`,
      filename: manifest,
      errors: [{ messageId: 'neverRegistered', line: 6 }],
    },
    {
      code: `${HEAD}export const t = ${def('anything')};`,
      options: [{ requireManifest: true }],
      errors: [{ messageId: 'noManifest', data: { name: 'anything', manifestFile: 'agent.yaml' } }],
    },
    {
      code: `${HEAD}export const t = ${def('anything')};`,
      filename: fixture('manifest-broken', 'file.ts'),
      errors: [{ messageId: 'manifestUnreadable' }],
    },
  ],
});
