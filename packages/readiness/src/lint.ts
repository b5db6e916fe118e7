import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { ReadinessError, ReadinessErrorCode } from './errors.js';
import { readYamlSource } from './yaml-source.js';

/** One problem ESLint reported in the agent's sources. */
export interface LintFinding {
  /** `@charter/<rule>`, or `fatal` for a file that does not parse. */
  readonly ruleId: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** Relative to the agent's folder. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface LintOutcome {
  readonly ran: boolean;
  /** Why it did not run (no sources, turned off). */
  readonly reason?: string;
  readonly cached: boolean;
  readonly files: readonly string[];
  readonly findings: readonly LintFinding[];
  readonly durationMs: number;
}

export interface LintOptions {
  /** Folders (relative to the agent's folder) whose `.ts` files are the agent's code. Default `['src']`. */
  readonly sources?: readonly string[];
  /** Where lint results are cached by digest; default `<dir>/.charter/cache`. `false` turns the cache off. */
  readonly cacheDir?: string | false;
  /** The manifest as already parsed (its `spec.tools` is part of the cache key); read from the file otherwise. */
  readonly manifestValue?: unknown;
}

/** The cache format; bump when `LintFinding` or the key changes. */
const CACHE_VERSION = 1;
const SKIP = new Set(['node_modules', 'dist', '__fixtures__', 'fixtures', '.charter', '.turbo', 'coverage']);
const TEST_FILE = /\.(?:test|spec|test-d|bench)\.[cm]?ts$/;

/** The agent's TypeScript sources under `folders`, sorted, tests and fixtures excluded. */
export function sourceFiles(dir: string, folders: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name) && !entry.name.startsWith('.')) walk(path);
      } else if (entry.isFile() && /\.[cm]?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') && !TEST_FILE.test(entry.name)) {
        found.push(path);
      }
    }
  };
  for (const folder of folders) {
    const root = join(dir, folder);
    if (existsSync(root) && statSync(root).isDirectory()) walk(root);
  }
  return found.sort();
}

const require = createRequire(import.meta.url);
function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The cache key: everything the lint result depends on inside the agent's folder (each source file's
 * path and bytes, the manifest's `spec.tools` — the part of the manifest the plugin's rules read —
 * and the tsconfig.json and package.json that shape the type information) plus the versions of ESLint,
 * TypeScript, the parser and the plugin. Dependencies outside the folder (a changed workspace
 * package's types) are not part of it: clear the cache after upgrading them.
 */
export function lintCacheKey(dir: string, files: readonly string[], manifestFile: string, manifestValue?: unknown): string {
  const hash = createHash('sha256');
  hash.update(`v${CACHE_VERSION}\n`);
  for (const name of ['eslint', 'typescript', '@typescript-eslint/parser', '@charter/eslint-plugin'])
    hash.update(`${name}@${versionOf(name)}\n`);
  let tools: unknown;
  try {
    const value = manifestValue ?? readYamlSource(manifestFile, manifestFile).value;
    tools = (value as { spec?: { tools?: unknown } } | undefined)?.spec?.tools ?? null;
  } catch {
    tools = readFileSync(manifestFile, 'utf8');
  }
  hash.update(`manifest tools\n${JSON.stringify(tools)}\n`);
  const extra = [join(dir, 'tsconfig.json'), join(dir, 'package.json')].filter((file) => existsSync(file));
  for (const file of [...files, ...extra]) {
    const bytes = readFileSync(file);
    hash.update(`${relative(dir, file).split(sep).join('/')}\n${bytes.length}\n`).update(bytes);
  }
  return hash.digest('hex');
}

interface CacheFile {
  readonly v: number;
  readonly key: string;
  readonly files: readonly string[];
  readonly findings: readonly LintFinding[];
}

function readCache(path: string, key: string): CacheFile | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    return value.v === CACHE_VERSION && value.key === key ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `@charter/eslint-plugin`'s `recommended` rules over the agent's sources through ESLint's Node
 * API, with type information (a TypeScript program of the linted files, under the compiler options of
 * the agent's tsconfig.json when it has one). Results are cached under `cacheDir` by `lintCacheKey`.
 */
export async function lintAgent(dir: string, manifestFile: string, options: LintOptions = {}): Promise<LintOutcome> {
  const started = performance.now();
  const folders = options.sources ?? ['src'];
  const files = sourceFiles(dir, folders);
  if (files.length === 0) {
    return {
      ran: false,
      cached: false,
      files: [],
      findings: [],
      durationMs: performance.now() - started,
      reason: `no TypeScript sources under ${folders.map((folder) => `${folder}/`).join(', ')}`,
    };
  }
  const relativeFiles = files.map((file) => relative(dir, file).split(sep).join('/'));
  const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? join(dir, '.charter', 'cache'));
  const key = lintCacheKey(dir, files, manifestFile, options.manifestValue);
  const cachePath = cacheDir === undefined ? undefined : join(cacheDir, 'lint.json');
  if (cachePath !== undefined) {
    const hit = readCache(cachePath, key);
    if (hit) return { ran: true, cached: true, files: hit.files, findings: hit.findings, durationMs: performance.now() - started };
  }

  let findings: LintFinding[];
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
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts', '**/*.mts', '**/*.cts'],
          languageOptions: { parser, parserOptions: { project: [tsconfig], tsconfigRootDir: dir } },
          linterOptions: { reportUnusedDisableDirectives: 'off' },
        },
        { ...plugin.configs.recommended, files: ['**/*.ts', '**/*.mts', '**/*.cts'] },
      ],
    });
    const results = await eslint.lintFiles(files);
    findings = results.flatMap((result) =>
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
    throw new ReadinessError(
      ReadinessErrorCode.LintFailed,
      `ESLint could not lint the agent's sources in ${dir}: ${cause instanceof Error ? cause.message : String(cause)}. Check that the folder has a tsconfig.json including its sources`,
      { cause },
    );
  } finally {
    if (cacheDir === undefined) rmSync(scratch, { recursive: true, force: true });
    else rmSync(tsconfig, { force: true });
  }
  if (cachePath !== undefined) {
    mkdirSync(dirname(cachePath), { recursive: true });
    const temp = `${cachePath}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ v: CACHE_VERSION, key, files: relativeFiles, findings } satisfies CacheFile));
    renameSync(temp, cachePath);
  }
  return { ran: true, cached: false, files: relativeFiles, findings, durationMs: performance.now() - started };
}
