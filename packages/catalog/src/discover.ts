import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Folders never searched: installs, builds, caches, fixtures (test inputs are not the repository's agents). */
export const SKIP_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  'dist',
  'dist-types',
  '.git',
  '.turbo',
  'coverage',
  '__fixtures__',
  'fixtures',
  '.charter',
  'site',
]);

const CHARTER_YAML = /^apiVersion:[ \t]{0,8}["']?charter\.dev\//m;
const KIND_LINE = /^kind:[ \t]{0,8}["']?([A-Za-z]{1,40})["']?[ \t]*$/m;
const TEMPLATE_API = /^apiVersion:[ \t]{0,8}["']?scaffolder\.backstage\.io\//m;
const MAX_SNIFF = 64 * 1024;

/** The Charter and Backstage source files of a repository, by what they are (absolute paths, sorted). */
export interface RepositorySources {
  /** Agent manifests (`kind: Agent`). */
  readonly agents: readonly string[];
  /** Playbooks: Markdown with `kind: Playbook` front matter. */
  readonly playbooks: readonly string[];
  /** Backstage software templates (`template.yaml` with `kind: Template`); their folders are not searched further. */
  readonly templates: readonly string[];
}

function kindOf(text: string): string | undefined {
  return KIND_LINE.exec(text.slice(0, MAX_SNIFF))?.[1];
}

/**
 * Finds the agents, playbooks and templates under `root`. A template's folder (its skeleton holds
 * files with `${{ values.x }}` placeholders that are not documents yet) is not searched below its
 * `template.yaml`. Symbolic links are not followed (docs/playbooks links to playbooks/).
 */
export function discoverSources(root: string): RepositorySources {
  const agents: string[] = [];
  const playbooks: string[] = [];
  const templates: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    const template = entries.find((entry) => entry.isFile() && /^template\.ya?ml$/.test(entry.name));
    if (template !== undefined) {
      const path = join(dir, template.name);
      const text = readFileSync(path, 'utf8');
      if (TEMPLATE_API.test(text) && kindOf(text) === 'Template') {
        templates.push(path);
        return;
      }
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      if (/\.ya?ml$/.test(entry.name)) {
        const text = readFileSync(path, 'utf8');
        if (CHARTER_YAML.test(text) && kindOf(text) === 'Agent') agents.push(path);
      } else if (entry.name.endsWith('.md')) {
        const text = readFileSync(path, 'utf8');
        if (text.startsWith('---') && kindOf(text) === 'Playbook') playbooks.push(path);
      }
    }
  };
  walk(root);
  return { agents: agents.sort(), playbooks: playbooks.sort(), templates: templates.sort() };
}

/** The folders of the root package.json `workspaces` patterns (`packages/*`, `tools/x`) that hold a package.json. */
export function workspaceFolders(root: string, patterns: readonly string[]): string[] {
  const folders: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const base = join(root, pattern.slice(0, -2));
      if (!existsSync(base) || !statSync(base).isDirectory()) continue;
      for (const entry of readdirSync(base, { withFileTypes: true }))
        if (entry.isDirectory() && existsSync(join(base, entry.name, 'package.json'))) folders.push(join(base, entry.name));
    } else if (existsSync(join(root, pattern, 'package.json'))) {
      folders.push(join(root, pattern));
    }
  }
  return [...new Set(folders)].sort();
}

/** The nearest ancestor of `from` holding `.git` (the repository root), else undefined. */
export function findRepositoryRoot(from: string): string | undefined {
  let current = from;
  for (;;) {
    if (existsSync(join(current, '.git'))) return current;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
