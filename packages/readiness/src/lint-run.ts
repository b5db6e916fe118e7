// The ESLint run of the typed lint, shared by the calling thread and the worker (lint-worker.ts): it
// imports nothing heavy at the top, so a worker that loads it pays only for ESLint, the parser,
// TypeScript and the plugin, which it imports when it runs.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { ReadinessError, ReadinessErrorCode } from './errors.js';
import type { LintFinding } from './lint.js';

/**
 * Lints `files` (absolute paths under `dir`) with `@charter/eslint-plugin`'s `recommended` rules and type
 * information. The scratch tsconfig goes to `cacheDir` (a temporary folder when undefined) and is removed
 * after. Throws `ReadinessError` (`READINESS_LINT_FAILED`) when ESLint cannot run.
 */
export async function runEslint(dir: string, files: readonly string[], cacheDir: string | undefined): Promise<LintFinding[]> {
  // The type information comes from a program of exactly the linted files (and what they import),
  // through a tsconfig that extends the agent's own: the agent's project usually includes tests and
  // benchmarks whose imports (vitest, …) the checker would otherwise load too (measured: 25-35 % of the
  // lint's wall time on the reference agent).
  const scratch = cacheDir ?? mkdtempSync(join(tmpdir(), 'charter-readiness-lint-'));
  const tsconfig = join(scratch, `tsconfig.lint-${process.pid}-${randomUUID().slice(0, 8)}.json`);
  const base = join(dir, 'tsconfig.json');
  mkdirSync(scratch, { recursive: true });
  writeFileSync(
    tsconfig,
    JSON.stringify({
      ...(existsSync(base)
        ? { extends: base }
        : { compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true } }),
      compilerOptions: {
        noEmit: true,
        ...(existsSync(base)
          ? {}
          : { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true }),
      },
      include: [],
      files,
    }),
  );
  try {
    const [{ ESLint }, parser, plugin] = await Promise.all([
      import('eslint'),
      import('@typescript-eslint/parser'),
      import('@charter/eslint-plugin').then((module) => module.default),
    ]);
    // Each run lints through a new tsconfig: the parser's watch programs of earlier runs (kept per
    // tsconfig path for the process's life) would be searched first for the same files, and can serve
    // their stale view of a file changed since (seen once in a full test run), besides never being freed.
    parser.clearCaches();
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts', '**/*.mts', '**/*.cts'],
          // Never single-run mode, which typescript-eslint infers from CI=true: this function may lint the
          // same files again in one process after they changed (a host, the tests), and a single-run program is never updated.
          // JSDoc is parsed only where it carries types (JavaScript files): in TypeScript and declaration
          // files it changes no type, and no rule of the plugin reads it, while parsing it in every
          // declaration the program loads (@types/node is mostly JSDoc) cost 0.2-0.3 s CPU of a cold check.
          languageOptions: {
            parser,
            parserOptions: {
              project: [tsconfig],
              tsconfigRootDir: dir,
              disallowAutomaticSingleRunInference: true,
              jsDocParsingMode: 'type-info',
            },
          },
          linterOptions: { reportUnusedDisableDirectives: 'off' },
        },
        { ...plugin.configs.recommended, files: ['**/*.ts', '**/*.mts', '**/*.cts'] },
      ],
    });
    const results = await eslint.lintFiles([...files]);
    return results.flatMap((result) =>
      result.messages.map((message) => ({
        ruleId: message.ruleId ?? 'fatal',
        severity: message.severity === 2 || message.fatal === true ? ('error' as const) : ('warning' as const),
        message: message.message,
        file: relative(dir, result.filePath).split(sep).join('/'),
        line: message.line,
        column: message.column,
        endLine: message.endLine ?? message.line,
        endColumn: message.endColumn ?? message.column,
      })),
    );
  } catch (cause) {
    throw lintFailed(dir, cause);
  } finally {
    if (cacheDir === undefined) rmSync(scratch, { recursive: true, force: true });
    else rmSync(tsconfig, { force: true });
  }
}

/** The error for a lint that could not run, on whichever thread it ran. */
export function lintFailed(dir: string, cause: unknown): ReadinessError {
  return new ReadinessError(
    ReadinessErrorCode.LintFailed,
    `ESLint could not lint the agent's sources in ${dir}: ${cause instanceof Error ? cause.message : String(cause)}. Check that the folder has a tsconfig.json including its sources`,
    { cause },
  );
}
