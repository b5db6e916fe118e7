// Dependency rules, checked from what each package's src/ actually imports and from its package.json:
// - layers (scripts/conventions/layers.json): a package imports and depends on lower layers only; test-only
//   files and devDependencies may reach the same layer, never a higher one; every package has a layer;
// - every imported package is declared (run-time imports in `dependencies`, `peerDependencies` or
//   `optionalDependencies`; types anywhere in package.json; tests may also use the root devDependencies);
// - every entry of `dependencies` is loaded at run time by src (an `@types/x` entry: x is imported);
//   a dependency only imported as types belongs in devDependencies (or peerDependencies when callers
//   hand the package values of those types);
// - every peer dependency is imported by src; an optional one (or an optionalDependency) is never loaded
//   by a static import the package's main entry reaches — consumers without it could not import the package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isBuiltin, isRelative, packageOf, readImports } from './imports.mjs';
import { isTestOnly, manifestLine, toPosix } from './workspace.mjs';

const LAYERS_FILE = 'scripts/conventions/layers.json';
const RUNTIME_SECTIONS = ['dependencies', 'peerDependencies', 'optionalDependencies'];

/**
 * @typedef {import('./workspace.mjs').Workspace} Workspace
 * @typedef {{ file: string; line: number; rule: string; message: string }} Violation
 * @typedef {{ layer: number; name: string; members: string[] }} Layer
 */

/** The layer table: `scripts/conventions/layers.json` of this repository unless `path` names another. */
export function readLayers(path = new URL('./layers.json', import.meta.url)) {
  /** @type {{ layers: Layer[] }} */
  const table = JSON.parse(readFileSync(path, 'utf8'));
  return table.layers;
}

/** A function giving the layer of a package (by name, or by folder for folder patterns such as `plugins/*`). */
export function layerLookup(layers, workspaces) {
  const byName = new Map();
  const patterns = [];
  for (const { layer, members } of layers) {
    for (const member of members) {
      if (member.endsWith('/*')) patterns.push({ folder: member.slice(0, -1), layer });
      else byName.set(member, layer);
    }
  }
  const folderOf = new Map(workspaces.map((workspace) => [workspace.name, workspace.rel]));
  /** @returns {number | undefined} */
  return (name) => {
    if (byName.has(name)) return byName.get(name);
    const rel = folderOf.get(name);
    if (rel === undefined) return undefined;
    return patterns.find(({ folder }) => rel.startsWith(folder) && !rel.slice(folder.length).includes('/'))?.layer;
  };
}

/** `@types/…` package that carries the types of `name`. */
function typesPackage(name) {
  return name.startsWith('@') ? `@types/${name.slice(1).replace('/', '__')}` : `@types/${name}`;
}

/** Whether `name` is one of the repository's own packages (a workspace or the `@charter/` scope). */
function isInternal(name, workspaceNames) {
  return workspaceNames.has(name) || name.startsWith('@charter/');
}

/** Whether a folder pattern of the root package.json `workspaces` (e.g. `packages/*`) includes `rel`. */
export function coveredByRootWorkspaces(rootManifest, rel) {
  const patterns = Array.isArray(rootManifest.workspaces) ? rootManifest.workspaces : (rootManifest.workspaces?.packages ?? []);
  return patterns.some((pattern) =>
    pattern.endsWith('/*') ? rel.startsWith(pattern.slice(0, -1)) && !rel.slice(pattern.length - 1).includes('/') : rel === pattern,
  );
}

/** The src file a package's main entry (`exports['.']`) points at, if it is in src/. */
function mainEntry(workspace) {
  const dot = workspace.manifest.exports?.['.'] ?? workspace.manifest.exports;
  const candidates = [];
  if (typeof dot === 'string') candidates.push(dot);
  else if (dot && typeof dot === 'object')
    for (const key of ['@charter/source', 'import', 'default']) if (typeof dot[key] === 'string') candidates.push(dot[key]);
  candidates.push('./src/index.ts');
  for (const candidate of candidates) {
    const path = join(workspace.dir, candidate);
    if (/\.tsx?$/.test(path) && existsSync(path)) return path;
  }
  return undefined;
}

/** The src file a relative specifier of `from` names (`./x.js` → `./x.ts`), if it exists. */
function resolveRelative(from, specifier) {
  const base = join(dirname(from), specifier);
  const stem = base.replace(/\.(?:js|jsx|mjs|cjs|ts|tsx)$/, '');
  return [`${stem}.ts`, `${stem}.tsx`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

/**
 * Dependency violations of every workspace.
 * @param {string} root
 * @param {Workspace[]} workspaces
 * @param {Layer[]} layers
 * @returns {Violation[]}
 */
export function checkDependencies(root, workspaces, layers) {
  /** @type {Violation[]} */
  const violations = [];
  const rel = (path) => toPosix(relative(root, path));
  const layerOf = layerLookup(layers, workspaces);
  const workspaceNames = new Set(workspaces.map((workspace) => workspace.name));
  const rootManifest = existsSync(join(root, 'package.json')) ? JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) : {};
  const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}));
  const layerName = (layer) => layers.find((entry) => entry.layer === layer)?.name ?? `layer ${layer}`;
  const describe = (name, layer) => `${name} (layer ${layer}, ${layerName(layer)})`;

  for (const workspace of workspaces) {
    const { manifest, manifestText } = workspace;
    const manifestFile = `${workspace.rel}/package.json`;
    const own = layerOf(workspace.name);
    if (own === undefined) {
      violations.push({
        file: manifestFile,
        line: manifestLine(manifestText, undefined, 'name'),
        rule: 'layer-unknown',
        message: `${workspace.name} has no dependency layer: place it in ${LAYERS_FILE} (and the table of docs/architecture/index.md)`,
      });
    }
    const section = (name) => Object.keys(manifest[name] ?? {});
    const runtimeDeclared = new Set(RUNTIME_SECTIONS.flatMap(section));
    const devDeclared = new Set(section('devDependencies'));
    const anyDeclared = new Set([...runtimeDeclared, ...devDeclared]);
    const optional = new Set([
      ...section('optionalDependencies'),
      ...Object.entries(manifest.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta?.optional === true)
        .map(([name]) => name),
    ]);
    const testDeclared = coveredByRootWorkspaces(rootManifest, workspace.rel) ? new Set([...anyDeclared, ...rootDev]) : anyDeclared;

    // A dependency edge to one of the repository's packages must point to a lower layer (same layer for dev).
    const checkEdge = (target, dev, file, line, what) => {
      if (own === undefined || target === workspace.name) return;
      const layer = layerOf(target);
      if (layer === undefined) {
        violations.push({
          file,
          line,
          rule: 'layer-unknown',
          message: `${what} ${target}, which has no dependency layer: place it in ${LAYERS_FILE}`,
        });
      } else if (layer > own) {
        violations.push({
          file,
          line,
          rule: 'layer-upward',
          message: `${what} ${describe(target, layer)}, a higher layer than ${describe(workspace.name, own)}: a lower layer takes what it needs from above as an injected function or interface`,
        });
      } else if (layer === own && !dev) {
        violations.push({
          file,
          line,
          rule: 'layer-sibling',
          message: `${what} ${describe(target, layer)}, a sibling in its own layer: packages of one layer stay independent (move the shared part down a layer, or inject it)`,
        });
      }
    };

    for (const sectionName of [...RUNTIME_SECTIONS, 'devDependencies']) {
      for (const name of section(sectionName)) {
        if (isInternal(name, workspaceNames))
          checkEdge(
            name,
            sectionName === 'devDependencies',
            manifestFile,
            manifestLine(manifestText, sectionName, name),
            `declares a ${sectionName} entry on`,
          );
      }
    }

    /** package → where runtime files load it / use only its types */
    const valueUse = new Map();
    const typeUse = new Map();
    /** package → where an exported declaration uses its types (the published .d.ts imports it) */
    const apiTypeUse = new Map();
    /** runtime file → its static value imports (relative ones resolved, packages by name) */
    const graph = new Map();
    for (const file of workspace.sources) {
      const testOnly = isTestOnly(file);
      const references = readImports(file);
      const edges = { files: [], packages: [] };
      if (!testOnly) graph.set(file, edges);
      for (const reference of references) {
        const { specifier, line, typeOnly, how } = reference;
        const where = `${rel(file)}:${line}`;
        if (isRelative(specifier)) {
          if (!testOnly && how === 'static') {
            const target = resolveRelative(file, specifier);
            if (target) edges.files.push(target);
          }
          continue;
        }
        if (isBuiltin(specifier)) continue;
        const name = packageOf(specifier);
        if (how === 'indirect') {
          if (!testOnly && runtimeDeclared.has(name) && !valueUse.has(name)) valueUse.set(name, where);
          continue;
        }
        if (isInternal(name, workspaceNames)) checkEdge(name, testOnly, rel(file), line, typeOnly ? 'imports types of' : 'imports');
        if (name === workspace.name) continue;
        if (!testOnly) {
          if (typeOnly) {
            if (!typeUse.has(name)) typeUse.set(name, where);
            if (reference.api && !apiTypeUse.has(name)) apiTypeUse.set(name, where);
          } else {
            if (!valueUse.has(name)) valueUse.set(name, where);
            if (how === 'static') edges.packages.push({ name, line });
          }
        }
        // Declared?
        const declaredIn = testOnly ? testDeclared : typeOnly ? anyDeclared : runtimeDeclared;
        if (declaredIn.has(name) || (typeOnly && declaredIn.has(typesPackage(name)))) continue;
        const onlyDev = !testOnly && !typeOnly && devDeclared.has(name);
        violations.push({
          file: rel(file),
          line,
          rule: 'dep-undeclared',
          message: onlyDev
            ? `imports ${name} at run time, but ${manifestFile} has it only in devDependencies: consumers will not have it (move it to dependencies or peerDependencies)`
            : `imports ${name}, which ${manifestFile} does not declare: add it to ${testOnly ? 'devDependencies' : typeOnly ? 'devDependencies (types only)' : 'dependencies (or peerDependencies)'}`,
        });
      }
    }

    for (const name of section('dependencies')) {
      const line = manifestLine(manifestText, 'dependencies', name);
      if (name.startsWith('@types/')) {
        const typed = name.slice('@types/'.length);
        const target = typed.includes('__') ? `@${typed.replace('__', '/')}` : typed;
        if (!valueUse.has(target) && !typeUse.has(target))
          violations.push({
            file: manifestFile,
            line,
            rule: 'dep-unused',
            message: `dependency ${name}: src never imports ${target}: remove it`,
          });
        continue;
      }
      // Loaded at run time, or its types are part of this package's API: TypeScript consumers need it.
      if (valueUse.has(name) || apiTypeUse.has(name)) continue;
      if (typeUse.has(name)) {
        violations.push({
          file: manifestFile,
          line,
          rule: 'dep-type-only',
          message: `dependency ${name} is only imported as types (first at ${typeUse.get(name)}) and no exported declaration uses them: src never loads it and the published .d.ts does not need it; move it to devDependencies`,
        });
        continue;
      }
      violations.push({
        file: manifestFile,
        line,
        rule: 'dep-unused',
        message: `dependency ${name} is never imported by src/: remove it (or move it to devDependencies if tests use it)`,
      });
    }
    for (const name of section('peerDependencies')) {
      if (valueUse.has(name) || typeUse.has(name)) continue;
      violations.push({
        file: manifestFile,
        line: manifestLine(manifestText, 'peerDependencies', name),
        rule: 'dep-unused',
        message: `peer dependency ${name} is never imported by src/: remove it`,
      });
    }

    // Optional dependencies must not load with the main entry.
    const entry = mainEntry(workspace);
    if (entry && optional.size > 0) {
      const seen = new Set();
      const queue = [entry];
      while (queue.length > 0) {
        const file = queue.shift();
        if (seen.has(file)) continue;
        seen.add(file);
        const edges = graph.get(file);
        if (!edges) continue;
        queue.push(...edges.files);
        for (const { name, line } of edges.packages) {
          if (!optional.has(name)) continue;
          violations.push({
            file: rel(file),
            line,
            rule: 'dep-optional-eager',
            message: `${name} is optional in ${manifestFile}, but this static import is loaded by the main entry (${rel(entry)}): consumers without it cannot import the package; load it with import() on first use, or move this module behind a subpath export`,
          });
        }
      }
    }
  }
  return violations;
}
