// Every Backstage catalog file of the repository validates with @backstage/catalog-model's own validators
// (entity policies + the kind's validator), and the check reports what is wrong with file:line.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
  it('finds the root Location, the org data, the generated files and the templates, and the Location lists every other one', () => {
    const files = catalogFiles(repo).map((path) => relative(repo, path));
    expect(files).toContain('catalog-info.yaml');
    expect(files).toContain('catalog/groups.yaml');
    expect(files).toContain('catalog/generated/agents.yaml');
    expect(files.filter((file) => file.startsWith('packages/'))).toEqual([]); // charter catalog generates the package Components
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
      'catalog/t.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: t\nspec: {}\n',
    });
    expect(shown(await validateCatalogFiles(root))).toEqual(['catalog/t.yaml:2 catalog-invalid']);
  });

  it('validates Templates with the Template v1beta3 schema and mcp-server APIs with their own validator', async () => {
    const template = (spec: string) => `apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n${spec}`;
    const good = template('  type: service\n  owner: group:default/platform-team\n  steps: []\n');
    const mcp = (remotes: string) =>
      `apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: m\nspec:\n  type: mcp-server\n  lifecycle: experimental\n  owner: group:default/platform-team\n${remotes}`;
    const root = tree({
      'catalog-info.yaml': location(
        './catalog/all.yaml',
        './templates/a/template.yaml',
        './templates/b/template.yaml',
        './catalog/mcp.yaml',
      ),
      'catalog/all.yaml': `${GROUP}---\n${SYSTEM}`,
      'templates/a/template.yaml': good,
      'templates/b/template.yaml': template('  type: service\n  owner: group:default/platform-team\n'),
      'catalog/mcp.yaml': `${mcp('  remotes:\n    - type: streamable-http\n      url: http://127.0.0.1:7007/api/mcp-actions/v1\n')}---\n${mcp('  remotes: []\n').replace('name: m', 'name: n')}`,
    });
    const violations = await validateCatalogFiles(root);
    expect(shown(violations)).toEqual(['catalog/mcp.yaml:21 catalog-invalid', 'templates/b/template.yaml:5 catalog-invalid']);
    expect(violations[1]?.message).toContain("must have required property 'steps'");
  });

  it('resolves $text placeholders relative to the file and reports a missing target', async () => {
    const api = (target: string) =>
      `apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: s\nspec:\n  type: jsonschema\n  lifecycle: experimental\n  owner: group:default/platform-team\n  definition:\n    $text: ${target}\n`;
    const root = tree({
      'catalog-info.yaml': location('./catalog/all.yaml', './catalog/generated/api.yaml'),
      'catalog/all.yaml': `${GROUP}---\n${SYSTEM}`,
      'catalog/generated/api.yaml': api('../../schema/x.schema.json'),
      'schema/x.schema.json': '{}\n',
    });
    expect(await validateCatalogFiles(root)).toEqual([]);
    writeFileSync(join(root, 'catalog/generated/api.yaml'), api('../../schema/gone.json'));
    expect(shown(await validateCatalogFiles(root))).toEqual(['catalog/generated/api.yaml:9 catalog-placeholder']);
  });
});

describe('scripts/new-package.mjs', () => {
  it('writes no catalog file: charter catalog generates the package Component', () => {
    const root = tree({ 'catalog-info.yaml': location('./catalog/all.yaml'), 'catalog/all.yaml': `${GROUP}---\n${SYSTEM}` });
    cpSync(join(repo, 'scripts', 'new-package.mjs'), join(root, 'new-package.mjs'));
    const result = spawnSync(process.execPath, ['new-package.mjs', 'demo', 'Demo:', 'a', 'package'], { cwd: root, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('npx charter catalog');
    expect(existsSync(join(root, 'packages/demo/catalog-info.yaml'))).toBe(false);
    expect(readFileSync(join(root, 'catalog-info.yaml'), 'utf8')).toBe(location('./catalog/all.yaml'));
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
