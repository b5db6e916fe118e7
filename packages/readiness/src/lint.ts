import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve as resolvePath, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ReadinessError, type ReadinessErrorCode } from './errors.js';
import { lintFailed, runEslint } from './lint-run.js';
import type { LintWorkerInput, LintWorkerReply } from './lint-worker.js';
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
  /** The manifest as already parsed (its `spec.tools` is part of the cache key); read from the file otherwise. */
  readonly manifestValue?: unknown;
  /**
   * Run ESLint in a worker thread (default `true`), beside the caller's own work; `false` runs it on the
   * calling thread. The findings are the same either way.
   */
  readonly worker?: boolean;
}

/** The cache format; bump when `LintFinding`, the key or the ESLint configuration built below changes what it finds. */
const CACHE_VERSION = 2;
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
function tsconfigChain(file: string): string[] {
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

function readCache(path: string, key: string): CacheFile | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    return value.v === CACHE_VERSION && value.key === key ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A lint under way (see `startLint`). */
export interface LintTask {
  /**
   * The outcome; rejects with `ReadinessError` (`READINESS_LINT_FAILED`) when ESLint cannot run. Until
   * this is first called, a lint running in a worker does not keep the process alive.
   */
  result(): Promise<LintOutcome>;
}

/**
 * Runs `@charter/eslint-plugin`'s `recommended` rules over the agent's sources through ESLint's Node
 * API, with type information (a TypeScript program of the linted files, under the compiler options of
 * the agent's tsconfig.json when it has one). Results are cached under `cacheDir` by `lintCacheKey`.
 */
export async function lintAgent(dir: string, manifestFile: string, options: LintOptions = {}): Promise<LintOutcome> {
  return startLint(dir, manifestFile, options).result();
}

/**
 * Starts `lintAgent`'s work and returns at once: the file list, the cache key and the cache are read on
 * the calling thread (a hit loads neither ESLint nor TypeScript anywhere); on a miss ESLint runs in a
 * worker thread (unless `options.worker` is false), so the caller's own work runs beside it on another core.
 */
export function startLint(dir: string, manifestFile: string, options: LintOptions = {}): LintTask {
  const started = performance.now();
  const folders = options.sources ?? ['src'];
  const files = sourceFiles(dir, folders);
  if (files.length === 0) {
    const outcome: LintOutcome = {
      ran: false,
      cached: false,
      cache: 'off',
      files: [],
      findings: [],
      durationMs: performance.now() - started,
      reason: `no TypeScript sources under ${folders.map((folder) => `${folder}/`).join(', ')}`,
    };
    return { result: () => Promise.resolve(outcome) };
  }
  const relativeFiles = files.map((file) => relative(dir, file).split(sep).join('/'));
  const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? join(dir, '.charter', 'cache'));
  const key = lintCacheKey(dir, files, manifestFile, options.manifestValue);
  const cachePath = cacheDir === undefined ? undefined : join(cacheDir, 'lint.json');
  if (cachePath !== undefined) {
    const hit = readCache(cachePath, key);
    if (hit) {
      const outcome: LintOutcome = {
        ran: true,
        cached: true,
        cache: 'hit',
        files: hit.files,
        findings: hit.findings,
        durationMs: performance.now() - started,
      };
      return { result: () => Promise.resolve(outcome) };
    }
  }
  const finish = (findings: readonly LintFinding[]): LintOutcome => {
    if (cachePath !== undefined) {
      mkdirSync(dirname(cachePath), { recursive: true });
      const temp = `${cachePath}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
      writeFileSync(temp, JSON.stringify({ v: CACHE_VERSION, key, files: relativeFiles, findings } satisfies CacheFile));
      renameSync(temp, cachePath);
    }
    return {
      ran: true,
      cached: false,
      cache: cachePath === undefined ? 'off' : 'miss',
      files: relativeFiles,
      findings,
      durationMs: performance.now() - started,
    };
  };
  if (options.worker === false) {
    const outcome = runEslint(dir, files, cacheDir).then(finish);
    return { result: () => outcome };
  }
  const worker = lintWorker(dir, files, cacheDir);
  const outcome = worker.findings.then(finish);
  // Not judged until result() is called: a caller that fails before then must not see an unhandled rejection.
  outcome.catch(() => undefined);
  return {
    result: () => {
      worker.ref();
      return outcome;
    },
  };
}

/** Options of the calling thread a worker must not inherit: they concern the main script (`node --input-type=module -e …`). */
const MAIN_SCRIPT_ONLY = new Set(['--input-type', '-e', '--eval', '-p', '--print']);

/**
 * The worker's entry beside this module and its Node options: `lint-worker.js` in a build;
 * `lint-worker.ts` when this module runs from its TypeScript source (the `@charter/source` condition of
 * the tests and of tsx), which the worker then loads through tsx, with the same condition, as this
 * thread does. The worker inherits the calling thread's options (`--conditions`, `--import`, profiling)
 * except those about the main script.
 */
function workerEntry(): { url: URL; execArgv: string[] } {
  const execArgv: string[] = [];
  for (let index = 0; index < process.execArgv.length; index++) {
    const arg = process.execArgv[index] ?? '';
    const name = arg.split('=', 1)[0] ?? arg;
    if (!MAIN_SCRIPT_ONLY.has(name)) execArgv.push(arg);
    else if (!arg.includes('=')) index++; // its value follows
  }
  if (!import.meta.url.endsWith('.ts')) return { url: new URL('./lint-worker.js', import.meta.url), execArgv };
  if (!execArgv.some((arg) => arg === '--conditions=@charter/source' || arg === '-C=@charter/source'))
    execArgv.push('--conditions=@charter/source');
  if (!execArgv.some((arg) => arg.includes('tsx'))) execArgv.push('--import', pathToFileURL(require.resolve('tsx')).href);
  return { url: new URL('./lint-worker.ts', import.meta.url), execArgv };
}

function lintWorker(
  dir: string,
  files: readonly string[],
  cacheDir: string | undefined,
): { findings: Promise<readonly LintFinding[]>; ref(): void } {
  const { url, execArgv } = workerEntry();
  const worker = new Worker(url, {
    workerData: { dir, files, cacheDir } satisfies LintWorkerInput,
    execArgv,
  });
  worker.unref();
  const findings = new Promise<readonly LintFinding[]>((resolve, reject) => {
    let replied = false;
    worker.once('message', (reply: LintWorkerReply) => {
      replied = true;
      if (reply.ok) {
        resolve(reply.findings);
        return;
      }
      const cause = reply.cause === undefined ? undefined : Object.assign(new Error(reply.cause.message), reply.cause);
      reject(
        reply.code === undefined
          ? lintFailed(dir, cause ?? new Error(reply.message))
          : new ReadinessError(reply.code as ReadinessErrorCode, reply.message, { cause }),
      );
    });
    worker.once('error', (error) => {
      replied = true;
      reject(lintFailed(dir, error));
    });
    worker.once('exit', (code) => {
      if (!replied) reject(lintFailed(dir, new Error(`the lint worker exited with code ${code} before it answered`)));
    });
  });
  return { findings, ref: () => worker.ref() };
}
