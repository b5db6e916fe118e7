// ESLint 10's RuleTester under vitest, with the typescript-eslint parser and type information from
// tests/fixtures/tsconfig.json (customConditions: @charter/source, so Charter packages resolve to sources).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parser from '@typescript-eslint/parser';
import type { TSESLint } from '@typescript-eslint/utils';
import { type Rule, RuleTester } from 'eslint';
import { afterAll, describe, it } from 'vitest';

// ESLint's RuleTester uses these hooks when set (its type declarations omit some of them).
const hooks = RuleTester as unknown as Record<'afterAll' | 'describe' | 'it' | 'itOnly', unknown>;
hooks.afterAll = afterAll;
hooks.describe = describe;
hooks.it = it;
hooks.itOnly = it.only;

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A file path inside tests/fixtures (the file exists; the test's code replaces its content). */
export const fixture = (...parts: string[]): string => join(FIXTURES, ...parts);

export const ruleTester = new RuleTester({
  languageOptions: {
    parser,
    parserOptions: { projectService: true, tsconfigRootDir: FIXTURES },
  },
});

type Case = RuleTester.ValidTestCase;
type InvalidCase = RuleTester.InvalidTestCase;

/** Runs a typescript-eslint rule through ESLint's RuleTester; every case defaults to fixtures/file.ts. */
export function runRule(
  name: string,
  rule: TSESLint.RuleModule<string, readonly unknown[]>,
  tests: { valid: (string | Case)[]; invalid: InvalidCase[] },
): void {
  const withFile = <T extends Case>(c: string | T): T | Case =>
    typeof c === 'string' ? { code: c, filename: fixture('file.ts') } : { filename: fixture('file.ts'), ...c };
  ruleTester.run(name, rule as unknown as Rule.RuleModule, {
    valid: tests.valid.map(withFile),
    invalid: tests.invalid.map((c) => ({ filename: fixture('file.ts'), ...c })),
  });
}

/** Imports shared by the test snippets. */
export const TOOLS_IMPORT = "import { defineTool } from '@charter/tools';\nimport { z } from 'zod';\n";
