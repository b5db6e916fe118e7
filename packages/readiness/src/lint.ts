import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve as resolvePath, sep } from 'node:path';
import type { CodeCacheLoad } from './code-cache.js';
import { openSeal, unseal, writeSealed } from './seal.js';
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
  /** True when the findings came from the cache (`cache === 'hit'`). */
  readonly cached: boolean;
  /**
   * `hit`: the key matched a stored result and neither ESLint nor TypeScript was loaded; `miss`: linted
   * (and stored, when a cache folder is set); `off`: linted with the cache turned off, or not linted.
   */
  readonly cache: 'hit' | 'miss' | 'off';
  readonly files: readonly string[];
  readonly findings: readonly LintFinding[];
  readonly durationMs: number;
}

export interface LintOptions {
  /** Folders (relative to the agent's folder) whose `.ts` files are the agent's code. Default `['src']`. */
  readonly sources?: readonly string[];
  /** Where lint results are cached by digest; default `<dir>/.charter/cache`. `false` turns the cache off. */
  readonly cacheDir?: string | false;
  /**
   * The secret that seals cache entries: default `seal.key` in the user's cache folder (`$XDG_CACHE_HOME/charter`,
   * else `~/.cache/charter`), made on first use. An entry that does not verify under it is a miss; when the
   * key can be neither read nor made, the cache is off.
   */
  readonly sealKeyFile?: string;
  /** The manifest as already parsed (its `spec.tools` is part of the cache key); read from the file otherwise. */
  readonly manifestValue?: unknown;
  /**
   * A folder for V8's code cache of TypeScript's compiler (`typescript.js`, as the parser loads it): read
   * before the lint, written after it when there was none or V8 refused it (another Node). It changes no
   * finding; it saves compiling ~9 MB of JavaScript in every process that lints. Default: none.
   */
  readonly codeCache?: string;
}

/**
 * Loads TypeScript (the copy `@typescript-eslint/parser` requires) through the code cache in `dir`, and
 * returns what stores the code after the lint; undefined when it cannot (TypeScript then loads as usual).
 */
function typescriptThroughCodeCache(
  dir: string,
  loadWithCodeCache: (file: string, cacheDir: string) => CodeCacheLoad,
): (() => void) | undefined {
  try {
    const parser = require.resolve('@typescript-eslint/parser');
    const estree = createRequire(parser).resolve('@typescript-eslint/typescript-estree');
    return loadWithCodeCache(createRequire(estree).resolve('typescript'), dir).save;
  } catch {
    return undefined;
  }
}

/** The cache format; bump when `LintFinding`, the key or the ESLint configuration built below changes what it finds. */
const CACHE_VERSION = 3;
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

/** The packages whose code decides the findings: the plugin's rules and the secret patterns one of them reads. */
const RULE_CODE = ['@charter/eslint-plugin', '@charter/guardrails'] as const;
const CODE_FILE = /\.[cm]?js$/;

/**
 * A digest of the built code of `name` (every `.js` file in the folder of its entry point): inside a
 * workspace the version stays 0.1.0 while the rules change, so the version alone would keep stale results.
 */
function codeDigestOf(name: string): string {
  try {
    const hash = createHash('sha256');
    const root = dirname(require.resolve(name));
    const walk = (folder: string): void => {
      for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (CODE_FILE.test(entry.name)) hash.update(`${relative(root, path)}\n`).update(readFileSync(path));
      }
    };
    walk(root);
    return hash.digest('hex');
  } catch {
    return 'unknown';
  }
}

const EXTENDS = /"extends"\s*:\s*("[^"\n]{1,500}"|\[[^\]]{0,2000}\])/;

/**
 * The tsconfig files the type information depends on: `file` and, transitively, what its `extends`
 * names (relative paths and package specifiers), at most 10 deep. Each is hashed with its bytes.
 */
export function tsconfigChain(file: string): string[] {
  const chain: string[] = [];
  const pending = [file];
  for (let index = 0; index < pending.length && chain.length < 10; index++) {
    const current = pending[index];
    if (current === undefined || chain.includes(current) || !existsSync(current)) continue;
    chain.push(current);
    const found = EXTENDS.exec(readFileSync(current, 'utf8'))?.[1];
    if (found === undefined) continue;
    let names: unknown;
    try {
      names = JSON.parse(found);
    } catch {
      continue;
    }
    for (const name of (Array.isArray(names) ? names : [names]).filter((n): n is string => typeof n === 'string')) {
      if (name.startsWith('.') || isAbsolute(name)) {
        const path = resolvePath(dirname(current), name);
        pending.push(existsSync(path) ? path : `${path}.json`);
        continue;
      }
      const from = createRequire(current);
      for (const candidate of name.endsWith('.json') ? [name] : [`${name}/tsconfig.json`, name]) {
        try {
          pending.push(from.resolve(candidate));
          break;
        } catch {
          // not resolvable this way; TypeScript reports an extends it cannot resolve when the lint runs
        }
      }
    }
  }
  return chain;
}

/**
 * The cache key: everything the lint result depends on inside the agent's folder (each source file's
 * path and bytes, the manifest's `spec.tools` — the part of the manifest the plugin's rules read —
 * the tsconfig.json with every file it extends, and package.json) plus the versions of ESLint,
 * TypeScript, the parser and the plugin, and a digest of the code of the plugin and of
 * `@charter/guardrails` (its secret patterns). Type declarations of dependencies outside the folder
 * (a changed workspace package's types) are not part of it: clear the cache after changing them.
 */
export function lintCacheKey(dir: string, files: readonly string[], manifestFile: string, manifestValue?: unknown): string {
  const hash = createHash('sha256');
  hash.update(`v${CACHE_VERSION}\n`);
  for (const name of ['eslint', 'typescript', '@typescript-eslint/parser', ...RULE_CODE]) hash.update(`${name}@${versionOf(name)}\n`);
  for (const name of RULE_CODE) hash.update(`${name} code ${codeDigestOf(name)}\n`);
  let tools: unknown;
  try {
    const value = manifestValue ?? readYamlSource(manifestFile, manifestFile).value;
    tools = (value as { spec?: { tools?: unknown } } | undefined)?.spec?.tools ?? null;
  } catch {
    tools = readFileSync(manifestFile, 'utf8');
  }
  hash.update(`manifest tools\n${JSON.stringify(tools)}\n`);
  const extra = [...tsconfigChain(join(dir, 'tsconfig.json')), join(dir, 'package.json')].filter((file) => existsSync(file));
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

/** The entry in `path` if it is sealed under `seal` (written here, unaltered) and stored for `key`; else undefined. */
function readCache(path: string, key: string, seal: Buffer): CacheFile | undefined {
  try {
    // A truncated, altered or planted file is a miss, never a wrong result.
    const body = unseal(seal, readFileSync(path, 'utf8'));
    if (body === undefined) return undefined;
    const value = JSON.parse(body) as CacheFile;
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
      cache: 'off',
      files: [],
      findings: [],
      durationMs: performance.now() - started,
      reason: `no TypeScript sources under ${folders.map((folder) => `${folder}/`).join(', ')}`,
    };
  }
  const relativeFiles = files.map((file) => relative(dir, file).split(sep).join('/'));
  const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? join(dir, '.charter', 'cache'));
  // Entries live in the agent's folder (which a change under review controls): each is sealed with a key
  // kept outside it (`sealKeyFile`), so a planted entry is a miss. Without a key, no cache.
  const opened = cacheDir === undefined ? undefined : openSeal(options.sealKeyFile);
  const seal = opened !== undefined && 'key' in opened ? opened.key : undefined;
  const cachePath = cacheDir === undefined || seal === undefined ? undefined : join(cacheDir, 'lint.json');
  // No key without a cache: it hashes the plugin's and guardrails' code, which only a cache needs.
  const key = cachePath === undefined ? '' : lintCacheKey(dir, files, manifestFile, options.manifestValue);
  if (cachePath !== undefined && seal !== undefined) {
    const hit = readCache(cachePath, key, seal);
    if (hit)
      return { ran: true, cached: true, cache: 'hit', files: hit.files, findings: hit.findings, durationMs: performance.now() - started };
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
    const save =
      options.codeCache === undefined
        ? undefined
        : typescriptThroughCodeCache(options.codeCache, (await import('./code-cache.js')).loadWithCodeCache);
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
    const results = await eslint.lintFiles(files);
    save?.();
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
  if (cachePath !== undefined && seal !== undefined)
    writeSealed(cachePath, seal, JSON.stringify({ v: CACHE_VERSION, key, files: relativeFiles, findings } satisfies CacheFile));
  return {
    ran: true,
    cached: false,
    cache: cachePath === undefined ? 'off' : 'miss',
    files: relativeFiles,
    findings,
    durationMs: performance.now() - started,
  };
}
