// The packages the conventions check reads: every `packages/*` and `plugins/*` folder with a package.json,
// with its manifest text (for line numbers) and its source files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Folders that hold packages, relative to the repository root. */
export const PACKAGE_FOLDERS = ['packages', 'plugins'];

/** Source file names the check reads. */
const SOURCE = /\.(?:ts|tsx|mts|cts)$/;
const DECLARATION = /\.d\.(?:ts|mts|cts)$/;

/**
 * @typedef {object} Workspace
 * @property {string} dir absolute folder
 * @property {string} rel folder relative to the root, with `/` (e.g. `packages/spec`)
 * @property {string} name package name (the folder when package.json has none)
 * @property {Record<string, any>} manifest parsed package.json
 * @property {string} manifestText package.json as written
 * @property {string[]} sources absolute paths of the TypeScript files under src/
 */

/** Every package under the package folders of `root`, sorted by folder. */
export function discoverWorkspaces(root) {
  /** @type {Workspace[]} */
  const found = [];
  for (const folder of PACKAGE_FOLDERS) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(base, entry.name);
      const manifestPath = join(dir, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifestText = readFileSync(manifestPath, 'utf8');
      let manifest;
      try {
        manifest = JSON.parse(manifestText);
      } catch (error) {
        throw new Error(`${toPosix(relative(root, manifestPath))}: not valid JSON (${String(error)})`, { cause: error });
      }
      found.push({
        dir,
        rel: toPosix(relative(root, dir)),
        name: typeof manifest.name === 'string' ? manifest.name : `${folder}/${entry.name}`,
        manifest,
        manifestText,
        sources: listFiles(join(dir, 'src'), (name) => SOURCE.test(name) && !DECLARATION.test(name)),
      });
    }
  }
  return found.sort((a, b) => a.rel.localeCompare(b.rel));
}

/** Files under `dir` (recursively, skipping node_modules and dist) whose name passes `keep`. */
export function listFiles(dir, keep) {
  /** @type {string[]} */
  const files = [];
  if (!existsSync(dir)) return files;
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && keep(entry.name)) files.push(path);
    }
  };
  walk(dir);
  return files.sort();
}

/**
 * Whether a source file is test-only: a test, a type test, a benchmark, or anything under
 * `__fixtures__`, `__tests__` or `__mocks__`. Test-only files are not published; their imports are
 * development dependencies.
 */
export function isTestOnly(file) {
  const parts = toPosix(file).split('/');
  if (parts.some((part) => part === '__fixtures__' || part === '__tests__' || part === '__mocks__')) return true;
  const name = parts.at(-1) ?? '';
  return /\.(?:test|spec|test-d|bench)\.(?:ts|tsx|mts|cts)$/.test(name);
}

/** The 1-based line of the first `"key":` inside the `"section": {` object of a package.json text (1 if absent). */
export function manifestLine(text, section, key) {
  const lines = text.split('\n');
  let start = 0;
  if (section !== undefined) {
    start = lines.findIndex((line) => line.includes(`"${section}"`));
    if (start === -1) return 1;
  }
  if (key === undefined) return start + 1;
  for (let index = start + (section === undefined ? 0 : 1); index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line.includes(`"${key}"`)) return index + 1;
    if (section !== undefined && /^\s*\}/.test(line)) break;
  }
  return start + 1;
}

/** `path` with `/` separators. */
export function toPosix(path) {
  return sep === '/' ? path : path.split(sep).join('/');
}
