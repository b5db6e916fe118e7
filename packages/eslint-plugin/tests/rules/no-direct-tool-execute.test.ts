import rule from '../../src/rules/no-direct-tool-execute.js';
import { runRule } from '../rule-tester.js';

const HEAD = `import { createExecutor, defineTool, type AnyTool, type ToolContext } from '@charter/tools';
import { z } from 'zod';
const tool = defineTool({ name: 'a', version: '1.0.0', description: 'd', sideEffects: 'none', timeoutMs: 1_000, input: z.object({}), output: z.object({}), execute: () => ({}) });
declare const ctx: ToolContext;
`;

runRule('no-direct-tool-execute', rule, {
  valid: [
    `${HEAD}export const r = createExecutor([tool]).execute('a', {}, { runId: 'r' });`,
    // Other libraries' execute methods.
    `declare const db: { execute(sql: string): Promise<void> };\nexport const r = db.execute('select 1');`,
    `import { defineTool } from './lookalike.js';\nexport const r = defineTool({ name: 'x', execute: () => 1 }).execute({});`,
    `import { tool } from 'ai';\nimport { z } from 'zod';\nconst t = tool({ inputSchema: z.object({}), execute: () => 1 });\nexport const r = t.execute?.({}, { toolCallId: 'x', messages: [] });`,
  ],
  invalid: [
    {
      code: `${HEAD}export const r = tool.execute({}, ctx);`,
      errors: [{ messageId: 'directExecute', data: { method: 'execute' }, line: 5, column: 23 }],
    },
    { code: `${HEAD}export const r = tool.simulate?.({}, ctx);`, errors: [{ messageId: 'directExecute', data: { method: 'simulate' } }] },
    {
      code: `${HEAD}export const run = (tools: readonly AnyTool[]) => tools[0]?.execute({}, ctx);`,
      errors: [{ messageId: 'directExecute', data: { method: 'execute' } }],
    },
  ],
});
