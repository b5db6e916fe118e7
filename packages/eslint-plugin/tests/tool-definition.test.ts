// The five rules that read `defineTool` definitions share one memoised answer per call
// (src/util/tool-definition.ts). Linting with all of them at once must report exactly what each
// reports alone, for two definitions in one file whose facts differ and partly come through types.
import parser from '@typescript-eslint/parser';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { FIXTURES, fixture } from './rule-tester.js';

const TOOL_RULES = [
  'require-tool-timeout',
  'require-tool-version',
  'require-approval-for-irreversible',
  'require-idempotency-key',
  'tools-declared-in-manifest',
] as const;

const CODE = `import { defineTool } from '@charter/tools';
import { z } from 'zod';
const refund = { name: 'refund_order' as const, sideEffects: 'irreversible' as const };
export const a = defineTool({
  ...refund,
  description: 'Refunds.',
  input: z.object({ orderId: z.string() }),
  output: z.object({ ok: z.boolean() }),
  execute: () => ({ ok: true }),
});
export const b = defineTool({
  name: 'lookup_order',
  version: '1.0.0',
  description: 'Looks an order up.',
  sideEffects: 'none',
  timeoutMs: 1_000,
  input: z.object({ orderId: z.string() }),
  output: z.object({ ok: z.boolean() }),
  execute: () => ({ ok: true }),
});
export const c = String(a.name);
`;

async function lint(rules: readonly string[]): Promise<string[]> {
  const config: Linter.Config[] = [
    {
      files: ['**/*.ts'],
      languageOptions: { parser, parserOptions: { projectService: true, tsconfigRootDir: FIXTURES } },
      plugins: { '@charter': plugin },
      rules: Object.fromEntries(rules.map((rule) => [`@charter/${rule}`, 'error'])),
    },
  ];
  const eslint = new ESLint({ cwd: FIXTURES, overrideConfigFile: true, overrideConfig: config });
  const [result] = await eslint.lintText(CODE, { filePath: fixture('manifest', 'file.ts') });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'} ${m.line}:${m.column} ${m.message}`).sort();
}

describe('defineTool sites shared between rules', () => {
  it('reports with all five rules together what each rule reports alone', async () => {
    const together = await lint(TOOL_RULES);
    const alone: string[] = [];
    for (const rule of TOOL_RULES) alone.push(...(await lint([rule])));
    expect(together).toEqual(alone.sort());
    // Not vacuous: the first definition (its name and side effects known through types) misses a timeout,
    // a version and an idempotency key; the second one misses nothing of those.
    for (const rule of ['require-tool-timeout', 'require-tool-version', 'require-idempotency-key'])
      expect(together.filter((line) => line.startsWith(`@charter/${rule} `) && line.includes('"refund_order"'))).toHaveLength(1);
    expect(together.filter((line) => line.includes('lookup_order'))).toEqual([]);
  }, 120_000);
});
