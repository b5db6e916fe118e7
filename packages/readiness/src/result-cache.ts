// The whole-result cache of `charter check`: a report stored with every input its evaluation read, served
// again while all of them are unchanged. This module and what it imports stay light (no zod, no
// @charter/spec schemas, no yaml, no ESLint or TypeScript): a hit loads none of them. A miss loads the
// evaluation (`./evaluate.js`) and the registry on demand.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvaluateOptions } from './evaluate.js';
import type { SarifRule } from './format/sarif-log.js';
import { changedInput, InputRecorder, kindOf, type RecordedInputs } from './inputs.js';
import { openSeal, unseal, writeSealed } from './seal.js';
import type { Report } from './types.js';

/** The cache format; bump when the entry's shape, the key or what an evaluation reads changes. */
const RESULT_CACHE_VERSION = 1;
const FORMAT = 'charter.readiness-result';
const DAY_MS = 86_400_000;

export interface CachedEvaluateOptions extends Omit<EvaluateOptions, 'files'> {
  /**
   * The folder of the result cache: default `<agent folder>/.charter/cache` (file `check.json`; in a
   * folder given here, `check-<digest of the agent folder>.json`). `false` neither reads nor writes it.
   */
  readonly resultCache?: string | false;
  /**
   * The secret that seals cache entries (result and lint): default `seal.key` in the user's cache folder
   * (`$XDG_CACHE_HOME/charter`, else `~/.cache/charter`), made on first use. An entry that does not verify
   * under it (planted in the checkout, written elsewhere) is a miss.
   */
  readonly sealKeyFile?: string;
  /** Runs before the evaluation's modules load on a miss (`charter check` turns zod's JIT off there). */
  readonly beforeEvaluate?: () => void | Promise<void>;
}

export interface CachedEvaluation {
  /** `report.cache` says `hit`, `miss` or `off`; `report.cacheReason` why it missed or was not stored. */
  readonly report: Report;
  /** The registry's text SARIF lists as the tool's rules (`formatReportWith`). */
  readonly rules: readonly SarifRule[];
}

interface Entry {
  readonly format: typeof FORMAT;
  readonly v: number;
  /** The options and environment the result depends on (canonical JSON). */
  readonly options: string;
  /** The fingerprint of the code that computed it. */
  readonly code: string;
  /** The result holds from this instant (ms since the epoch, inclusive) … */
  readonly validFrom: number;
  /** … until this one (exclusive): the first moment a waiver expires; null when no time-based decision can flip. */
  readonly validUntil: number | null;
  readonly inputs: RecordedInputs;
  readonly rules: readonly SarifRule[];
  readonly report: Report;
}

interface Package {
  readonly root: string;
  readonly version: string;
  /** The folder of its main entry (`exports['.']`, else `main`): dist/ for a built package. */
  readonly code: string;
}

/**
 * The package `name` as Node finds it from the folder `from`: the nearest `node_modules/<name>` up the
 * tree (from the real path of `from`). Looked up directly: Node's CommonJS resolver cost ~10-30 ms of a
 * result-cache hit to start and answer seven names.
 */
function packageOf(name: string, from: string): Package {
  let current = realpathSync(from);
  for (;;) {
    const root = join(current, 'node_modules', name);
    let json: { version?: unknown; main?: unknown; exports?: unknown } | undefined;
    try {
      json = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as typeof json;
    } catch {
      json = undefined;
    }
    if (json !== undefined) {
      const dot = (json.exports as Record<string, unknown> | undefined)?.['.'];
      const entry =
        typeof dot === 'string' ? dot : typeof dot === 'object' && dot !== null ? (dot as Record<string, unknown>).default : json.main;
      return {
        root: realpathSync(root),
        version: String(json.version),
        code: dirname(join(root, typeof entry === 'string' ? entry : 'index.js')),
      };
    }
    const parent = dirname(current);
    if (parent === current) throw new Error(`${name} is not installed where ${from} can see it`);
    current = parent;
  }
}

const CODE_FILE = /\.[cm]?[jt]s$/;
const NOT_CODE = /(?:\.d\.[cm]?ts|\.(?:test|spec|test-d|bench)\.[cm]?ts)$/;

/** Adds every code file under `folder` (path and bytes, sorted) to the hash: dist/ of a built package, src/ when run from source. */
function hashCode(hash: ReturnType<typeof createHash>, folder: string): void {
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__fixtures__' && entry.name !== 'node_modules') walk(path);
      } else if (CODE_FILE.test(entry.name) && !NOT_CODE.test(entry.name)) {
        const bytes = readFileSync(path);
        hash.update(`${relative(folder, path)}\n${bytes.length}\n`).update(bytes);
      }
    }
  };
  walk(folder);
}

let fingerprint: string | undefined;

/**
 * The code that decides a result: this package's own code, the built code of @charter/spec (schemas,
 * loader), @charter/telemetry (alert rules, metrics), @charter/guardrails (detector packs, secret patterns)
 * and @charter/eslint-plugin (the lint rules), and the versions of ESLint, TypeScript, the parser, zod,
 * yaml and js-yaml. Computed once per process.
 */
export function codeFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const hash = createHash('sha256');
  hash.update(`node ${process.versions.node}\n@charter/readiness\n`);
  hashCode(hash, dirname(fileURLToPath(import.meta.url)));
  const own = dirname(dirname(fileURLToPath(import.meta.url))); // this package's root (above dist/ or src/)
  const spec = packageOf('@charter/spec', own);
  for (const name of ['@charter/spec', '@charter/telemetry', '@charter/guardrails', '@charter/eslint-plugin']) {
    const found = name === '@charter/spec' ? spec : packageOf(name, own);
    hash.update(`${name}@${found.version}\n`);
    hashCode(hash, found.code);
  }
  for (const [name, from] of [
    ['eslint', own],
    ['typescript', own],
    ['@typescript-eslint/parser', own],
    ['js-yaml', own],
    ['yaml', own],
    ['zod', spec.root],
    ['yaml', spec.root],
  ] as const) {
    let version: string;
    try {
      version = packageOf(name, from).version;
    } catch {
      version = 'absent';
    }
    hash.update(`${name}@${version}\n`);
  }
  fingerprint = hash.digest('hex');
  return fingerprint;
}

/** The agent's folder as the evaluation finds it (a folder, or the folder of a manifest file). */
function agentFolder(dir: string): string {
  const target = resolve(dir);
  return kindOf(target) === 'directory' ? target : dirname(target);
}

/** Where the result of an evaluation with these options is cached, or undefined when the cache is off. */
export function resultCacheFile(options: Pick<CachedEvaluateOptions, 'dir' | 'resultCache'>): string | undefined {
  if (options.resultCache === false) return undefined;
  const folder = agentFolder(options.dir);
  if (options.resultCache === undefined) return join(folder, '.charter', 'cache', 'check.json');
  return join(resolve(options.resultCache), `check-${createHash('sha256').update(folder).digest('hex').slice(0, 16)}.json`);
}

/**
 * The options and environment a result depends on, as canonical JSON: every option but `now` (time is
 * the entry's validity window), the working folder (@charter/spec words some issues relative to it) and
 * GIT_DIR (where git looks for HEAD).
 */
function optionsKey(options: CachedEvaluateOptions): string {
  const lint = options.lint;
  return JSON.stringify({
    dir: resolve(options.dir),
    evidenceDir: options.evidenceDir === undefined ? null : resolve(options.evidenceDir),
    commit: options.commit ?? null,
    lint:
      lint === undefined || lint === true
        ? true
        : lint === false
          ? false
          : {
              sources: lint.sources ?? null,
              cacheDir: lint.cacheDir === undefined ? null : lint.cacheDir === false ? false : resolve(lint.cacheDir),
            },
    ownerFiles: options.ownerFiles?.map((file) => resolve(file)) ?? null,
    repoRoot: options.repoRoot === undefined ? null : resolve(options.repoRoot),
    playbookDirs: options.playbookDirs?.map((folder) => resolve(folder)) ?? null,
    cwd: process.cwd(),
    gitDir: process.env.GIT_DIR ?? null,
  });
}

const dayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * When the result stops holding because of time alone. The evaluation's only time-based decision is a
 * waiver's expiry (day-granular, UTC: expired once the day of `now` is after `expires`); evidence age and
 * `evaluatedAt` are shown, never judged, and are computed again on a hit. Undefined when a date cannot be read.
 */
function validity(report: Report, now: number): { validFrom: number; validUntil: number | null } | undefined {
  let validUntil: number | null = null;
  for (const waiver of report.waivers) {
    if (waiver.state === 'expired') continue; // stays expired as time goes on; validFrom guards a clock set back
    const flips = Date.parse(`${waiver.expires}T00:00:00.000Z`) + DAY_MS;
    if (!Number.isFinite(flips)) return undefined;
    validUntil = validUntil === null ? flips : Math.min(validUntil, flips);
  }
  return { validFrom: dayStart(now), validUntil };
}

type Lookup = { readonly entry: Entry } | { readonly miss: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The stored entry if it still holds for these options at `now`, else why not. Never throws. */
function lookup(file: string, key: string, now: number, seal: Buffer): Lookup {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return {
      miss: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no stored result' : `the result cache cannot be read (${String(error)})`,
    };
  }
  // A truncated, altered or planted file is a miss, never a wrong result.
  const body = unseal(seal, text);
  if (body === undefined) return { miss: 'the result cache is corrupt or was not written here (its seal differs)' };
  let entry: unknown;
  try {
    entry = JSON.parse(body);
  } catch {
    return { miss: 'the result cache is corrupt (not JSON)' };
  }
  if (
    !isRecord(entry) ||
    entry.format !== FORMAT ||
    entry.v !== RESULT_CACHE_VERSION ||
    typeof entry.options !== 'string' ||
    typeof entry.code !== 'string' ||
    typeof entry.validFrom !== 'number' ||
    (entry.validUntil !== null && typeof entry.validUntil !== 'number') ||
    !isRecord(entry.inputs) ||
    !isRecord(entry.inputs.files) ||
    !isRecord(entry.inputs.kinds) ||
    !isRecord(entry.inputs.folders) ||
    !Array.isArray(entry.rules) ||
    !isRecord(entry.report) ||
    entry.report.format !== 'charter.readiness'
  )
    return { miss: 'the result cache has another format' };
  const found = entry as unknown as Entry;
  if (found.options !== key) return { miss: 'stored for other options' };
  if (now < found.validFrom || (found.validUntil !== null && now >= found.validUntil))
    return { miss: `stored for another time (a waiver's expiry lies between)` };
  let code: string;
  try {
    code = codeFingerprint();
  } catch (error) {
    return { miss: `the code fingerprint cannot be computed (${String(error)})` };
  }
  if (found.code !== code) return { miss: 'the code of @charter/readiness or what it uses changed' };
  let changed: string | undefined;
  try {
    changed = changedInput(found.inputs);
  } catch (error) {
    changed = `an input cannot be checked (${String(error)})`;
  }
  if (changed !== undefined) return { miss: changed };
  return { entry: found };
}

/** What SARIF needs of each rule of the registry (the registry itself loads @charter/spec and more). */
const sarifRules = (rules: readonly SarifRule[]): SarifRule[] =>
  rules.map(({ id, dimension, severity, title, rationale, passes, remediation, references }) => ({
    id,
    dimension,
    severity,
    title,
    rationale,
    passes,
    remediation,
    references,
  }));

/**
 * `evaluateReadiness` with a whole-result cache for an unchanged tree. On a hit the stored report is
 * returned (its `evaluatedAt`, evidence ages and duration computed now) without loading the evaluation:
 * every file, lookup and folder listing the stored evaluation made is unchanged (bytes by sha256), the
 * options, working folder and GIT_DIR are the same, the code fingerprint matches, and no waiver has
 * expired since. On a miss it evaluates through an `InputRecorder` and stores the result atomically.
 * A corrupt or unreadable cache is a miss (the reason is in `report.cacheReason`), never an error.
 */
export async function evaluateReadinessCached(options: CachedEvaluateOptions): Promise<CachedEvaluation> {
  const started = performance.now();
  const now = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const file = resultCacheFile(options);
  const key = optionsKey(options);
  let reason: string | undefined;
  let seal: Buffer | undefined;
  if (file !== undefined) {
    const opened = openSeal(options.sealKeyFile);
    if ('key' in opened) seal = opened.key;
    else reason = `the cache seal's key cannot be had (${opened.reason}): nothing read or stored`;
  }
  if (file !== undefined && seal !== undefined) {
    const found = lookup(file, key, now, seal);
    if ('entry' in found) {
      const report = found.entry.report;
      return {
        report: {
          ...report,
          evaluatedAt: new Date(now).toISOString(),
          evidence: report.evidence.map((e) =>
            e.producedAt === undefined || e.ageMs === undefined ? e : { ...e, ageMs: Math.max(0, now - Date.parse(e.producedAt)) },
          ),
          // The findings come from a store, keyed by unchanged inputs, and ESLint was not loaded: what `lint.cache: hit` says.
          lint: report.lint.ran ? { ...report.lint, cached: true, cache: 'hit', durationMs: 0 } : report.lint,
          durationMs: Math.round(performance.now() - started),
          cache: 'hit',
        },
        rules: found.entry.rules,
      };
    }
    reason = found.miss;
  }
  await options.beforeEvaluate?.();
  const [{ evaluateReadiness }, { RULES }] = await Promise.all([import('./evaluate.js'), import('./rules/registry.js')]);
  const { resultCache: _resultCache, beforeEvaluate: _beforeEvaluate, sealKeyFile, ...evaluate } = options;
  const recorder = file === undefined || seal === undefined ? undefined : new InputRecorder();
  // The lint cache is sealed with the same key.
  const lint =
    sealKeyFile === undefined || evaluate.lint === false
      ? evaluate.lint
      : { ...(evaluate.lint === true ? {} : evaluate.lint), sealKeyFile };
  const report = await evaluateReadiness({
    ...evaluate,
    ...(lint === undefined ? {} : { lint }),
    now,
    ...(recorder === undefined ? {} : { files: recorder }),
  });
  const rules = sarifRules(RULES);
  if (file === undefined) return { report: { ...report, cache: 'off' }, rules };
  if (recorder === undefined || seal === undefined)
    return { report: { ...report, cache: 'miss', ...(reason === undefined ? {} : { cacheReason: reason }) }, rules };
  const window = validity(report, now);
  if (recorder.opaqueReasons.length > 0) reason = `${reason ?? 'miss'}; not stored: ${recorder.opaqueReasons.join('; ')}`;
  else if (window === undefined) reason = `${reason ?? 'miss'}; not stored: a waiver's date cannot be read`;
  else {
    try {
      const entry: Entry = {
        format: FORMAT,
        v: RESULT_CACHE_VERSION,
        options: key,
        code: codeFingerprint(),
        ...window,
        inputs: recorder.inputs(),
        rules,
        report,
      };
      writeSealed(file, seal, JSON.stringify(entry));
    } catch (error) {
      reason = `${reason ?? 'miss'}; not stored: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return { report: { ...report, cache: 'miss', ...(reason === undefined ? {} : { cacheReason: reason }) }, rules };
}
