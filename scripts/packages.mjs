// The public @charter/* packages as a consumer gets them: the packages that are not private, packed with
// `npm pack` exactly as `npm publish` (and so `changeset publish`) would upload them. Used by the tarball
// test (scripts/packages.test.ts) and the golden-path test (scripts/golden-path.test.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverWorkspaces } from './conventions/workspace.mjs';

/**
 * @typedef {{ name: string; version: string; dir: string; manifest: Record<string, any> }} PublicPackage
 * @typedef {{ path: string; size: number }} PackedFile
 */

/** Every workspace package of the root's npm workspaces that is not private, sorted by name. */
export function publicPackages(root) {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const patterns = (rootManifest.workspaces ?? []).map((pattern) => pattern.replace(/\/\*$/, '/'));
  return discoverWorkspaces(root)
    .filter((workspace) => patterns.some((prefix) => workspace.rel.startsWith(prefix)) && workspace.manifest.private !== true)
    .map((workspace) => ({ name: workspace.name, version: workspace.manifest.version, dir: workspace.dir, manifest: workspace.manifest }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `npm pack --json` in `dir` (lifecycle scripts run, as for publish); with `destination` a tarball is written there. */
function npmPack(dir, destination) {
  const args = [
    'pack',
    '--json',
    '--ignore-scripts=false',
    ...(destination === undefined ? ['--dry-run'] : ['--pack-destination', destination]),
  ];
  const result = spawnSync('npm', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  if (result.status !== 0) throw new Error(`npm pack in ${dir} failed (exit ${result.status}): ${result.stderr}`);
  const start = result.stdout.indexOf('[');
  return JSON.parse(result.stdout.slice(start))[0];
}

/** The files `npm publish` would upload from the package in `dir`. @returns {PackedFile[]} */
export function packedFiles(dir) {
  return npmPack(dir).files.map((file) => ({ path: file.path, size: file.size }));
}

/** Packs the package in `dir` into `destination` and returns the tarball's path. */
export function packTarball(dir, destination) {
  return join(destination, npmPack(dir, destination).filename);
}

/** Every `exports` subpath of a manifest with its targets per condition (wildcard subpaths included as written). */
export function exportEntries(manifest) {
  const entries = [];
  const walk = (subpath, value, conditions) => {
    if (typeof value === 'string') entries.push({ subpath, conditions, target: value });
    else if (value && typeof value === 'object')
      for (const [key, inner] of Object.entries(value)) walk(subpath, inner, [...conditions, key]);
  };
  const exportsField = manifest.exports;
  if (typeof exportsField === 'string') walk('.', exportsField, []);
  else for (const [subpath, value] of Object.entries(exportsField ?? {})) walk(subpath, value, []);
  return entries;
}
