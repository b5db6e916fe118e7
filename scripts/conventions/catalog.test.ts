// Every Backstage catalog file of the repository validates with @backstage/catalog-model's own validators
// (entity policies + the kind's validator), and the check reports what is wrong with file:line.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { catalogFiles, validateCatalogFiles } from './catalog.mjs';

const repo = join(import.meta.dirname, '..', '..');

/** A temporary folder holding `files` (path → text). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'charter-catalog-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const GROUP = 'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: platform-team\nspec:\n  type: team\n  children: []\n';
const SYSTEM = 'apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: charter\nspec:\n  owner: group:default/platform-team\n';
const component = (name: string, title: string) =>
  `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  title: ${title}
spec:
  type: library
  lifecycle: experimental
  owner: group:default/platform-team
  system: charter
`;
const location = (...targets: string[]) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  targets:\n${targets.map((target) => `    - ${target}\n`).join('')}`;
const shown = (violations: { file: string; line: number; rule: string }[]) =>
  violations.map(({ file, line, rule }) => `${file}:${line} ${rule}`);

describe('the repository catalog', () => {
  it('finds the root Location, every package catalog-info.yaml and catalog/*.yaml', () => {
    const files = catalogFiles(repo).map((path) => relative(repo, path));
    expect(files).toContain('catalog-info.yaml');
    expect(files).toContain('packages/spec/catalog-info.yaml');
    expect(files).toContain('catalog/system.yaml');
    expect(files).toContain('catalog/groups.yaml');
    const root = parse(readFileSync(join(repo, 'catalog-info.yaml'), 'utf8')) as { spec: { targets: string[] } };
    expect(root.spec.targets.length).toBe(files.length - 1);
  });

  it('every catalog file is valid: Backstage policies and kind validators, targets, references', async () => {
    expect(await validateCatalogFiles(repo)).toEqual([]);
  });
});

describe('validateCatalogFiles', () => {
  it('reports an unquoted @ title (what the package generator used to write) as invalid YAML at its line', async () => {
    const root = tree({ 'packages/x/catalog-info.yaml': component('charter-x', '@charter/x') });
    const [violation] = await validateCatalogFiles(root);
    expect(violation).toMatchObject({ file: 'packages/x/catalog-info.yaml', line: 5, rule: 'catalog-yaml' });
    expect(violation?.message).toContain('title: "@charter/x"');
  });

  it('reports schema violations of the kind validator at the offending field', async () => {
    const broken = component('charter-x', '"@charter/x"')
      .replace('  lifecycle: experimental\n', '')
      .replace('name: charter-x', 'name: charter x');
    const root = tree({
      'catalog-info.yaml': location('./packages/x/catalog-info.yaml', './packages/y/catalog-info.yaml', './catalog/all.yaml'),
      'packages/x/catalog-info.yaml': broken,
      'packages/y/catalog-info.yaml': component('charter-y', '"@charter/y"').replace('  lifecycle: experimental\n', ''),
      'catalog/all.yaml': `${GROUP}---\n${SYSTEM}`,
    });
    const violations = await validateCatalogFiles(root);
    expect(shown(violations)).toEqual(['packages/x/catalog-info.yaml:4 catalog-invalid', 'packages/y/catalog-info.yaml:6 catalog-invalid']);
    expect(violations[0]?.message).toContain('"metadata.name" is not valid');
    expect(violations[1]?.message).toContain("must have required property 'lifecycle'");
  });

  it('reports dangling references, missing Location targets and files no Location lists', async () => {
    const root = tree({
      'catalog-info.yaml': location('./packages/x/catalog-info.yaml', './packages/gone/catalog-info.yaml', './catalog/system.yaml'),
      'packages/x/catalog-info.yaml': component('charter-x', '"@charter/x"'),
      'catalog/system.yaml': SYSTEM,
      'catalog/group.yaml': GROUP,
    });
    const violations = await validateCatalogFiles(root);
    expect(shown(violations)).toEqual(['catalog-info.yaml:8 catalog-target', 'catalog/group.yaml:1 catalog-unlisted']);
    const dangling = await validateCatalogFiles(
      root,
      catalogFiles(root).filter((path) => !path.endsWith('group.yaml')),
    );
    expect(shown(dangling)).toContain('catalog/system.yaml:6 catalog-ref');
    expect(shown(dangling)).toContain('packages/x/catalog-info.yaml:9 catalog-ref');
  });

  it('reports a kind it has no validator for instead of passing it', async () => {
    const root = tree({
      'catalog/t.yaml': 'apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec: {}\n',
    });
    expect(shown(await validateCatalogFiles(root))).toEqual(['catalog/t.yaml:2 catalog-invalid']);
  });
});

describe('scripts/new-package.mjs', () => {
  it('writes a catalog-info.yaml that validates and lists it in the root Location', async () => {
    const root = tree({
      'catalog-info.yaml': location('./catalog/all.yaml'),
      'catalog/all.yaml': `${GROUP}---\n${SYSTEM}`,
      'mkdocs.yml': 'site_name: x\n',
    });
    cpSync(join(repo, 'scripts', 'new-package.mjs'), join(root, 'new-package.mjs'));
    const description = 'Demo: a package whose description has a colon, `backticks` and "quotes"';
    const result = spawnSync(process.execPath, ['new-package.mjs', 'demo', ...description.split(' ')], { cwd: root, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const written = parse(readFileSync(join(root, 'packages/demo/catalog-info.yaml'), 'utf8')) as { metadata: Record<string, string> };
    expect(written.metadata).toMatchObject({ name: 'charter-demo', title: '@charter/demo', description });
    expect(readFileSync(join(root, 'catalog-info.yaml'), 'utf8')).toContain('- ./packages/demo/catalog-info.yaml');
    expect(await validateCatalogFiles(root)).toEqual([]);
  });

  it('refuses a folder name that cannot be a package or entity name (exit 2)', () => {
    const root = tree({});
    const result = spawnSync(process.execPath, [join(repo, 'scripts', 'new-package.mjs'), 'Bad Name', 'x'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage:');
  });
});
