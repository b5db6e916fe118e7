import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScaffoldError, ScaffoldErrorCode } from './errors.js';
import { renderSkeleton, type RenderedEntry, type RenderSkeletonOptions } from './render.js';
import { loadTemplate, TEMPLATE_FILE, type LoadedTemplate } from './template.js';
import { validateValues, type Values } from './values.js';

/** The CLI package's root (`dist/scaffold/` and `src/scaffold/` are two levels down). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where templates named by name are looked up, in order: the `templates/` folder shipped inside the CLI
 * package (copied there when the package is packed), then the repository's `templates/` beside the
 * workspace packages (a checkout of Charter).
 */
export const TEMPLATE_ROOTS: readonly string[] = [join(PACKAGE_ROOT, 'templates'), resolve(PACKAGE_ROOT, '..', '..', 'templates')];

/** The names of the templates found in `TEMPLATE_ROOTS` (folders holding template.yaml), sorted. */
export function listTemplates(roots: readonly string[] = TEMPLATE_ROOTS): string[] {
  const names = new Set<string>();
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { withFileTypes: true }))
      if (entry.isDirectory() && existsSync(join(root, entry.name, TEMPLATE_FILE))) names.add(entry.name);
  }
  return [...names].sort();
}

/**
 * Finds a template: `nameOrPath` is a folder holding template.yaml (a path, relative to `cwd`), or the name
 * of one in `TEMPLATE_ROOTS`. Throws `SCAFFOLD_TEMPLATE_NOT_FOUND` listing the names there are.
 */
export function findTemplate(nameOrPath: string, cwd: string, roots: readonly string[] = TEMPLATE_ROOTS): string {
  const asPath = resolve(cwd, nameOrPath);
  if (existsSync(join(asPath, TEMPLATE_FILE))) return asPath;
  if (/^[a-z0-9][a-z0-9-]{0,62}$/.test(nameOrPath)) {
    for (const root of roots) if (existsSync(join(root, nameOrPath, TEMPLATE_FILE))) return join(root, nameOrPath);
  }
  const names = listTemplates(roots);
  throw new ScaffoldError(
    ScaffoldErrorCode.NotFound,
    `no template "${nameOrPath}": name one of ${names.length > 0 ? names.join(', ') : '(none found)'} or a folder holding ${TEMPLATE_FILE}`,
  );
}

/** True when `dir` does not exist or is an empty folder. */
export function isEmptyTarget(dir: string): boolean {
  if (!existsSync(dir)) return true;
  return statSync(dir).isDirectory() && readdirSync(dir).length === 0;
}

/**
 * Writes rendered entries under `target` (created when missing). Files the template renders replace files
 * already there; nothing else in the folder is touched.
 */
export function writeRendered(entries: readonly RenderedEntry[], target: string): void {
  mkdirSync(target, { recursive: true });
  for (const entry of entries) {
    const path = join(target, ...entry.path.split('/'));
    if (entry.type === 'directory') {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path) || isDanglingLink(path)) rmSync(path, { force: true });
    if (entry.type === 'symlink') symlinkSync(entry.target, path);
    else {
      writeFileSync(path, entry.content, { mode: entry.mode & 0o777 });
      chmodSync(path, entry.mode & 0o777);
    }
  }
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export interface ScaffoldOptions extends RenderSkeletonOptions {
  /** The template folder (holding template.yaml), e.g. from `findTemplate`. */
  readonly template: string | LoadedTemplate;
  /** The parameters; validated against the template's schema (defaults filled in). */
  readonly values: Values;
  /** The folder to write into. It must be missing or empty unless `force`. */
  readonly target: string;
  /** Render and check, but write nothing. */
  readonly dryRun?: boolean;
  /** Write into a non-empty folder (files the template renders are replaced). */
  readonly force?: boolean;
}

export interface ScaffoldResult {
  readonly template: LoadedTemplate;
  /** The values the skeleton was rendered with (defaults filled in). */
  readonly values: Values;
  readonly target: string;
  readonly entries: readonly RenderedEntry[];
  /** False for a dry run. */
  readonly written: boolean;
}

/**
 * `charter new` as a function: loads the template, validates the values against its parameter schema,
 * renders its skeleton exactly as Backstage's fetch:template would, and writes it to `target` (unless
 * `dryRun`). Throws `ScaffoldError`: `SCAFFOLD_BAD_VALUES` (with `issues`), `SCAFFOLD_TARGET_NOT_EMPTY`,
 * `SCAFFOLD_BAD_TEMPLATE`, `SCAFFOLD_TEMPLATE_NOT_FOUND` or `SCAFFOLD_RENDER`. The target is checked before
 * anything is rendered, and nothing is written when rendering fails.
 */
export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const template = typeof options.template === 'string' ? loadTemplate(options.template) : options.template;
  const target = resolve(options.target);
  if (existsSync(target) && !statSync(target).isDirectory())
    throw new ScaffoldError(ScaffoldErrorCode.TargetNotEmpty, `${target} is a file: name a folder to create the project in`);
  if (!options.force && !isEmptyTarget(target))
    throw new ScaffoldError(
      ScaffoldErrorCode.TargetNotEmpty,
      `${target} is not empty: choose a new folder, or pass --force to write into it`,
    );
  const values = validateValues(template, options.values);
  const entries = renderSkeleton(template, values, options);
  if (!options.dryRun) writeRendered(entries, target);
  return { template, values, target, entries, written: !options.dryRun };
}
