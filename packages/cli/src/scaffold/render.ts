// Rendering a template's skeleton the way Backstage's scaffolder (plugin-scaffolder-backend 4.x) runs its
// fetch:template action, so `charter new` and a Backstage dry-run give the same bytes:
// - the step's `input` is rendered first against `{ parameters, … }` (each string through nunjitsu's
//   renderValue with JSON coercion, as the workflow runner does), and steps with a falsy `if` are skipped;
// - every skeleton entry (dot files included, symbolic links not followed) has its path rendered, and its
//   contents unless it matches `copyWithoutTemplating` (then the path is still rendered) or, with
//   `templateFileExtension`, unless it lacks that extension (which is then dropped from the name);
// - a rendered path that is empty, starts with `/` or contains `//` is skipped (a `${{ }}` that rendered
//   to nothing removes that file or folder);
// - binary files and symbolic links are copied as they are; file modes are kept;
// - nunjitsu is created with the scaffolder's options: `${{ }}` delimiters, no autoescape,
//   `allowRegexExecution: true`, cookiecutter compatibility off, `trimBlocks`/`lstripBlocks` from the
//   step, and the filters parseRepoUrl, parseEntityRef, pick and projectSlug.
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { isBinaryFileSync } from 'isbinaryfile';
import { createTemplateRenderer, type TemplateRenderer, type TemplateValue } from 'nunjitsu';
import { globSync } from 'tinyglobby';
import { ScaffoldError, ScaffoldErrorCode } from './errors.js';
import { DEFAULT_INTEGRATIONS, scaffolderFilters, type IntegrationType } from './filters.js';
import type { FetchStep, LoadedTemplate } from './template.js';
import type { Values } from './values.js';

/** One entry of the rendered output, relative to the target folder (`/`-separated). */
export type RenderedEntry =
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'file'; readonly path: string; readonly content: Buffer; readonly mode: number; readonly templated: boolean }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

export interface RenderSkeletonOptions {
  /** Hosts and their SCM integration type, for parseRepoUrl/projectSlug (default: github.com, gitlab.com, bitbucket.org, dev.azure.com). */
  readonly integrations?: Readonly<Record<string, IntegrationType>>;
  /** `user` in the step context (Backstage: the signed-in user); default `{ ref: 'user:default/guest' }`. */
  readonly user?: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The scaffolder's truthiness for `if:` (empty arrays and objects are false). */
function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** Renders every string inside `input` with JSON coercion; a string that fails to render stays as it was (the workflow runner's rule). */
function renderInput(renderer: TemplateRenderer, input: unknown, context: Record<string, unknown>): unknown {
  const prepared = renderer.prepareContext(context as Record<string, TemplateValue>);
  return JSON.parse(JSON.stringify(input), (_key, value: unknown) => {
    if (typeof value !== 'string') return value;
    try {
      return renderer.renderValue(value, prepared, { coercion: 'json' });
    } catch {
      return value;
    }
  }) as unknown;
}

/** `child` resolved inside `parent`, or a `SCAFFOLD_RENDER` error naming the path that escapes. */
function safeChild(parent: string, child: string, what: string): string {
  const path = resolve(parent, child);
  const rel = relative(parent, path);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new ScaffoldError(
      ScaffoldErrorCode.Render,
      `${what} "${child}" resolves outside ${parent}: a value must not contain path segments`,
    );
  return path;
}

/** A stand-in root for checking that rendered paths stay inside the target (`..` cannot climb past it unnoticed). */
const ROOT = resolve('/charter-target');

/** `/`-separated path of `path` relative to `root` ('' for the root itself). */
const posixRelative = (root: string, path: string): string => relative(root, path).split(sep).join('/');

function renderStep(
  template: LoadedTemplate,
  step: FetchStep,
  input: Record<string, unknown>,
  renderer: (trim: { trimBlocks?: boolean; lstripBlocks?: boolean }) => TemplateRenderer,
  out: Map<string, RenderedEntry>,
): void {
  if (input.cookiecutterCompat === true)
    throw new ScaffoldError(ScaffoldErrorCode.BadTemplate, `step ${step.id}: cookiecutterCompat is not supported by charter new`);
  const skeleton = resolve(template.dir, String(input.url));
  const targetPath = typeof input.targetPath === 'string' ? input.targetPath : './';
  const outputDir = posixRelative(ROOT, safeChild(ROOT, targetPath, `step ${step.id}: targetPath`));
  const copyOnly = input.copyWithoutTemplating;
  if (copyOnly !== undefined && !Array.isArray(copyOnly))
    throw new ScaffoldError(ScaffoldErrorCode.BadTemplate, `step ${step.id}: copyWithoutTemplating must be a list of globs`);
  let extension: string | false = false;
  if (input.templateFileExtension !== undefined && input.templateFileExtension !== false) {
    if (copyOnly !== undefined)
      throw new ScaffoldError(
        ScaffoldErrorCode.BadTemplate,
        `step ${step.id}: templateFileExtension cannot be combined with copyWithoutTemplating`,
      );
    extension =
      input.templateFileExtension === true
        ? '.njk'
        : typeof input.templateFileExtension === 'string'
          ? input.templateFileExtension
          : '.njk';
    if (!extension.startsWith('.')) extension = `.${extension}`;
  }
  const values = isRecord(input.values) ? input.values : {};
  const engine = renderer({
    ...(typeof input.trimBlocks === 'boolean' ? { trimBlocks: input.trimBlocks } : {}),
    ...(typeof input.lstripBlocks === 'boolean' ? { lstripBlocks: input.lstripBlocks } : {}),
  });
  const context = engine.prepareContext({ values: values as TemplateValue });
  const globOptions = { cwd: skeleton, dot: true, onlyFiles: false, followSymbolicLinks: false } as const;
  const entries = globSync('**/*', { ...globOptions, expandDirectories: false }).sort();
  const copyOnlySet = new Set(
    copyOnly === undefined
      ? []
      : globSync(copyOnly.map(String), { ...globOptions, expandDirectories: true }).map((p) => p.replace(/\/$/, '')),
  );
  const render = (source: string, where: string): string => {
    try {
      return engine.render(source, context);
    } catch (error) {
      throw new ScaffoldError(ScaffoldErrorCode.Render, `${where}: ${(error as Error).message}`, { cause: error });
    }
  };
  for (const location of entries) {
    const isDirectory = location.endsWith('/');
    const bare = isDirectory ? location.slice(0, -1) : location;
    let renderContents: boolean;
    let local = location;
    if (extension) {
      renderContents = extname(bare) === extension;
      if (renderContents) local = local.slice(0, -extension.length);
      local = render(local, `the path ${location}`);
    } else {
      renderContents = !copyOnlySet.has(bare);
      local = render(local, `the path ${location}`);
    }
    if (local === '' || local.startsWith('/') || local.includes('//')) continue;
    const path = posixRelative(
      ROOT,
      safeChild(ROOT, outputDir === '' ? local : `${outputDir}/${local}`, `the rendered path of ${location}`),
    );
    if (out.has(path) && input.replace !== true) continue;
    if (isDirectory) {
      out.set(path, { type: 'directory', path });
      continue;
    }
    const file = resolve(skeleton, location);
    const stats = lstatSync(file);
    if (stats.isSymbolicLink()) {
      out.set(path, { type: 'symlink', path, target: readlinkSync(file) });
    } else if (isBinaryFileSync(file)) {
      out.set(path, { type: 'file', path, content: readFileSync(file), mode: statSync(file).mode, templated: false });
    } else {
      const text = readFileSync(file, 'utf8');
      const content = renderContents ? render(text, location) : text;
      out.set(path, { type: 'file', path, content: Buffer.from(content, 'utf8'), mode: stats.mode, templated: renderContents });
    }
  }
}

/**
 * Renders the template's fetch:template steps with `values` (the validated parameters) and returns the
 * output in memory, sorted by path; writes nothing. Throws `SCAFFOLD_RENDER` for a template that fails
 * to render (file and line in the message) or a rendered path outside the target.
 */
export function renderSkeleton(template: LoadedTemplate, values: Values, options: RenderSkeletonOptions = {}): RenderedEntry[] {
  const filters = scaffolderFilters(options.integrations ?? DEFAULT_INTEGRATIONS);
  const renderer = (trim: { trimBlocks?: boolean; lstripBlocks?: boolean }): TemplateRenderer =>
    createTemplateRenderer({ filters, allowRegexExecution: true, cookiecutterCompat: false, ...trim });
  const stepRenderer = renderer({});
  const context = {
    parameters: values,
    environment: { parameters: {}, secrets: {} },
    steps: {},
    user: options.user ?? { ref: 'user:default/guest' },
    context: { task: { id: 'charter-new' } },
  };
  const out = new Map<string, RenderedEntry>();
  for (const step of template.fetchSteps) {
    if (step.if !== undefined && !isTruthy(renderInput(stepRenderer, step.if, context))) continue;
    const input = renderInput(stepRenderer, step.input, context);
    renderStep(template, step, isRecord(input) ? input : {}, renderer, out);
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
