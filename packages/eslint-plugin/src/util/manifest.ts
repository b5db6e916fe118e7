// Finds the agent manifest beside the linted code (nearest `agent.yaml` walking up, never past the
// package root) and reads the facts the rules need. Loaded manifests are cached per file and mtime.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadManifest } from '@charter/spec';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { LintError, LintErrorCode } from '../errors.js';

/** One `spec.tools[]` entry as written (approval is undefined when the entry gives none). */
export interface DeclaredTool {
  readonly name: string;
  readonly sideEffects: string | undefined;
  readonly approval: string | undefined;
  readonly line: number;
}

/** What the rules read from a manifest. */
export interface ManifestFacts {
  readonly file: string;
  readonly tools: ReadonlyMap<string, DeclaredTool>;
  /** `spec.budgets` as written (undefined when absent). */
  readonly budgets: Readonly<Record<string, unknown>> | undefined;
  /** Schema problems `charter validate` reports (the facts above are still read leniently). */
  readonly schemaIssues: number;
}

export type ManifestLookup =
  | { readonly kind: 'none' }
  | { readonly kind: 'found'; readonly facts: ManifestFacts }
  | { readonly kind: 'unreadable'; readonly file: string; readonly error: LintError };

export const DEFAULT_MANIFEST_FILE = 'agent.yaml';
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Checks a `manifestFile` option: a plain file name. */
export function checkManifestFileName(name: string): string {
  if (name.length === 0 || name.length > 128 || basename(name) !== name) {
    throw new LintError(
      LintErrorCode.BadOption,
      `@charter/eslint-plugin: manifestFile must be a file name such as "agent.yaml", got "${name}"`,
    );
  }
  return name;
}

const lookupCache = new Map<string, string | null>();
const factsCache = new Map<string, { readonly mtimeMs: number; readonly size: number; readonly result: ManifestLookup }>();

/** The nearest manifest file above `file`, stopping at the first directory with a package.json. */
export function findManifestFile(file: string, manifestFile: string): string | undefined {
  let dir = dirname(file);
  const visited: string[] = [];
  let found: string | null = null;
  for (;;) {
    const key = `${dir}\0${manifestFile}`;
    const cached = lookupCache.get(key);
    if (cached !== undefined) {
      found = cached;
      break;
    }
    visited.push(key);
    const candidate = join(dir, manifestFile);
    if (existsSync(candidate)) {
      found = candidate;
      break;
    }
    const parent = dirname(dir);
    if (existsSync(join(dir, 'package.json')) || parent === dir) break;
    dir = parent;
  }
  for (const key of visited) lookupCache.set(key, found);
  return found ?? undefined;
}

/** Finds and reads the manifest for a linted file. */
export function manifestFor(file: string, manifestFile: string): ManifestLookup {
  const path = findManifestFile(file, manifestFile);
  if (path === undefined) return { kind: 'none' };
  let stat;
  try {
    stat = statSync(path);
  } catch (cause) {
    return { kind: 'unreadable', file: path, error: new LintError(LintErrorCode.ManifestUnreadable, `cannot read ${path}`, { cause }) };
  }
  const cached = factsCache.get(path);
  if (cached?.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.result;
  const result = readFacts(path, stat.size);
  factsCache.set(path, { mtimeMs: stat.mtimeMs, size: stat.size, result });
  return result;
}

function readFacts(path: string, size: number): ManifestLookup {
  const unreadable = (message: string, cause?: unknown): ManifestLookup => ({
    kind: 'unreadable',
    file: path,
    error: new LintError(LintErrorCode.ManifestUnreadable, message, cause === undefined ? undefined : { cause }),
  });
  if (size > MAX_MANIFEST_BYTES) return unreadable(`${path} is larger than ${MAX_MANIFEST_BYTES} bytes`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    return unreadable(`cannot read ${path}`, cause);
  }
  // The validated manifest when it is valid; otherwise a lenient read of the same YAML, so a
  // schema problem (reported by `charter validate`) does not hide the code problems.
  const loaded = loadManifest({ text, file: path });
  if (loaded.value !== undefined) {
    const tools = new Map<string, DeclaredTool>();
    for (const tool of loaded.value.spec.tools)
      tools.set(tool.name, { name: tool.name, sideEffects: tool.sideEffects, approval: tool.approval, line: 0 });
    return { kind: 'found', facts: { file: path, tools, budgets: { ...loaded.value.spec.budgets }, schemaIssues: 0 } };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = document.errors[0];
  if (syntax !== undefined) return unreadable(`${path} is not valid YAML: ${syntax.message.split('\n')[0] ?? ''}`);
  const tools = new Map<string, DeclaredTool>();
  const list = document.getIn(['spec', 'tools'], true);
  if (isSeq(list)) {
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const name = item.get('name');
      if (typeof name !== 'string') continue;
      const str = (key: string): string | undefined => {
        const value = item.get(key);
        return typeof value === 'string' ? value : undefined;
      };
      const line = item.range === null || item.range === undefined ? 0 : lineCounter.linePos(item.range[0]).line;
      tools.set(name, { name, sideEffects: str('sideEffects'), approval: str('approval'), line });
    }
  }
  const budgetsNode = document.getIn(['spec', 'budgets'], true);
  let budgets: Record<string, unknown> | undefined;
  if (isMap(budgetsNode)) {
    budgets = {};
    for (const pair of budgetsNode.items) {
      if (isScalar(pair.key) && isScalar(pair.value)) budgets[String(pair.key.value)] = pair.value.value;
    }
  }
  return { kind: 'found', facts: { file: path, tools, budgets, schemaIssues: loaded.issues.length } };
}

/** Whether an approval policy text asks for approval at least sometimes. */
export function hasApproval(approval: string | undefined): boolean {
  return approval !== undefined && approval.trim() !== '' && approval.trim() !== 'never';
}
