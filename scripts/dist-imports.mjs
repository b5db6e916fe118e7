// Imports every built module (`dist/**/*.js` of every package) on its own, each in a fresh Node process,
// so an import cycle or a module that only works when something else was imported first (a
// side-effect order bug: importing `dist/playbook.js` of @charter/spec alone used to throw) fails here.
// Programs (package.json `bin`, `node dist/….js` scripts, files starting with `#!`) are run with `--help`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { coveredByRootWorkspaces } from './conventions/dependencies.mjs';
import { discoverWorkspaces, listFiles, toPosix } from './conventions/workspace.mjs';

/**
 * @typedef {{ file: string; rel: string; program: boolean }} DistModule
 * @typedef {{ module: DistModule; ok: boolean; status: number | null; output: string; timedOut: boolean }} ImportResult
 */

/** The program files a package names: `bin` entries and `node <file>.js` in its scripts. */
function programsOf(workspace) {
  const programs = new Set();
  const { bin, scripts } = workspace.manifest;
  const add = (path) => programs.add(join(workspace.dir, path));
  if (typeof bin === 'string') add(bin);
  else if (bin && typeof bin === 'object') for (const path of Object.values(bin)) if (typeof path === 'string') add(path);
  for (const script of Object.values(scripts ?? {})) {
    const match = /\bnode\s{1,10}(?:\.\/)?(dist\/[\w./-]{1,200}\.js)\b/.exec(String(script));
    if (match?.[1]) add(match[1]);
  }
  return programs;
}

/**
 * Every built module of the repository at `root`, and the root workspaces that have a build script but no dist/.
 * @returns {{ modules: DistModule[]; unbuilt: string[] }}
 */
export function distModules(root) {
  /** @type {DistModule[]} */
  const modules = [];
  const unbuilt = [];
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const workspace of discoverWorkspaces(root)) {
    const dist = join(workspace.dir, 'dist');
    if (!existsSync(dist)) {
      // The root build (turbo) builds the root workspaces; a plugin with its own lockfile is built by its own step.
      if (workspace.manifest.scripts?.build && coveredByRootWorkspaces(rootManifest, workspace.rel)) unbuilt.push(workspace.rel);
      continue;
    }
    const programs = programsOf(workspace);
    for (const file of listFiles(dist, (name) => name.endsWith('.js'))) {
      const program = programs.has(file) || readFileSync(file, 'utf8').startsWith('#!');
      modules.push({ file, rel: toPosix(relative(root, file)), program });
    }
  }
  return { modules, unbuilt };
}

/** Imports (or, for a program, runs with `--help`) one module in a fresh process. */
function importAlone(module, { cwd, timeoutMs, env }) {
  const args = module.program
    ? [module.file, '--help']
    : ['--input-type=module', '-e', 'await import(process.argv[1]);', pathToFileURL(module.file).href];
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk) => {
      if (output.length < 8_000) output += String(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ module, ok: status === 0 && !timedOut, status, output, timedOut });
    });
  });
}

/**
 * Imports each module on its own, `concurrency` processes at a time.
 * @param {DistModule[]} modules
 * @param {{ concurrency?: number; timeoutMs?: number }} [options]
 * @returns {Promise<ImportResult[]>}
 */
export async function importEachAlone(modules, options = {}) {
  const concurrency = options.concurrency ?? Math.min(8, Math.max(4, availableParallelism()));
  const timeoutMs = options.timeoutMs ?? 60_000;
  // A scratch working directory: whatever a module writes relative to the cwd stays out of the repository.
  const cwd = mkdtempSync(join(tmpdir(), 'charter-dist-imports-'));
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  /** @type {ImportResult[]} */
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < modules.length) {
      const module = modules[next];
      next += 1;
      if (module) results.push(await importAlone(module, { cwd, timeoutMs, env }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, modules.length) }, worker));
  return results.sort((a, b) => a.module.rel.localeCompare(b.module.rel));
}
