// The repository lints its own agent code with this plugin: the root eslint.config.js applies
// `recommended` to packages/reference-agent and templates/. These tests run the ESLint CLI in a child
// process from the repository root (it imports the built plugin, as `npm run lint` does; the test
// process itself resolves workspace packages to their sources) and lint probe files in place.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { recommendedRules } from '../src/configs.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const ESLINT_BIN = join(createRequire(import.meta.url).resolve('eslint/package.json'), '..', 'bin', 'eslint.js');

function eslintCli(args: readonly string[]): string {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const out = spawnSync(process.execPath, [ESLINT_BIN, ...args], { cwd: REPO, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0 && out.status !== 1) throw new Error(`eslint exited ${String(out.status)}: ${out.stderr}`);
  return out.stdout;
}

const eslint = {
  calculateConfigForFile: (file: string): { rules: Record<string, unknown> } =>
    JSON.parse(eslintCli(['--print-config', file])) as { rules: Record<string, unknown> },
  lintFiles: (patterns: readonly string[]): ESLint.LintResult[] =>
    JSON.parse(eslintCli(['--format', 'json', ...patterns])) as ESLint.LintResult[],
};

const unsafeTool = `import { defineTool } from '@charter/tools';
import { z } from 'zod';

export const mail = defineTool({
  name: 'send_email',
  version: '1.0.0',
  description: 'Send an email.',
  input: z.object({ to: z.string() }),
  output: z.object({ id: z.string() }),
  sideEffects: 'irreversible',
  async execute() {
    return { id: 'm-1' };
  },
});
`;

/** Lints `code` written to `filePath` (type-aware linting needs the file on disk); removes it after. */
function charterRules(code: string, filePath: string): string[] {
  const path = join(REPO, filePath);
  const created = mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
  let results: ESLint.LintResult[];
  try {
    results = eslint.lintFiles([path]);
  } finally {
    rmSync(created ?? path, { recursive: true, force: true });
  }
  const [result] = results;
  return (result?.messages ?? [])
    .map((m) => m.ruleId ?? `fatal: ${m.message}`)
    .filter((id) => !id.startsWith('@typescript-eslint/'))
    .sort();
}

describe('the root eslint.config.js', () => {
  it('turns on every recommended rule for the reference agent and the templates, and not elsewhere', { timeout: 60_000 }, () => {
    for (const file of ['packages/reference-agent/src/desk.ts', 'templates/support-agent/skeleton/src/tools.ts']) {
      const config = eslint.calculateConfigForFile(join(REPO, file));
      for (const rule of Object.keys(recommendedRules))
        expect([file, rule, (config.rules[rule] as unknown[] | undefined)?.[0]]).toEqual([file, rule, 2]);
    }
    const elsewhere = eslint.calculateConfigForFile(join(REPO, 'packages/tools/src/define.ts'));
    expect(Object.keys(elsewhere.rules).filter((rule) => rule.startsWith('@charter/'))).toEqual([]);
  });

  it(
    'reports a side-effecting tool without timeout or idempotency key in the reference agent and in a template skeleton',
    { timeout: 60_000 },
    () => {
      const expected = ['@charter/require-idempotency-key', '@charter/require-tool-timeout'];
      expect(charterRules(unsafeTool, `packages/reference-agent/src/lint-probe-${process.pid}.ts`)).toEqual(
        expect.arrayContaining(expected),
      );
      expect(charterRules(unsafeTool, `templates/lint-probe-${process.pid}/skeleton/src/tools.ts`)).toEqual(
        expect.arrayContaining(expected),
      );
    },
  );

  it('finds nothing to report in the reference agent as committed', { timeout: 120_000 }, () => {
    const results = eslint.lintFiles(['packages/reference-agent/src/**/*.ts']);
    expect(results.length).toBeGreaterThan(5);
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId ?? m.message}`))).toEqual([]);
  });
});
