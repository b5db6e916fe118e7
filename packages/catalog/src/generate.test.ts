import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  CatalogError,
  checkCatalog,
  entityKey,
  generateCatalog,
  GENERATED_HEADER,
  writeCatalog,
  type CatalogEntity,
  type GeneratedCatalog,
} from './index.js';

const fixture = join(import.meta.dirname, '__fixtures__', 'repo');

/** A writable copy of the fixture repository. */
function copy(): string {
  const root = mkdtempSync(join(tmpdir(), 'charter-catalog-'));
  cpSync(fixture, root, { recursive: true });
  return root;
}

const byKey = (catalog: GeneratedCatalog) => new Map(catalog.entities.map((placed) => [entityKey(placed.entity), placed]));
const shown = (catalog: GeneratedCatalog) =>
  catalog.issues.map((issue) => `${relative(catalog.root, issue.file)}:${issue.line} ${issue.code}`);

function entity(catalog: GeneratedCatalog, key: string): CatalogEntity {
  const found = byKey(catalog).get(key);
  if (found === undefined) throw new Error(`no ${key} in ${[...byKey(catalog).keys()].join(', ')}`);
  return found.entity;
}

describe('generateCatalog', () => {
  const catalog = generateCatalog({ root: fixture });

  it('makes every entity of the repository and nothing from a template skeleton or a private package', () => {
    expect(catalog.issues).toEqual([]);
    expect([...byKey(catalog).keys()].sort()).toEqual([
      'api:default/acme-widget-schema',
      'api:default/desk-tools',
      'api:default/tool-lookup-order',
      'api:default/tool-refund-order',
      'component:default/acme-lib',
      'component:default/acme-tools',
      'component:default/desk',
      'domain:default/ai',
      'group:default/care',
      'group:default/platform',
      'location:default/agents',
      'resource:default/desk-policy',
      'resource:default/playbook-slow-tools',
      'system:default/agents',
      'template:default/new-agent',
    ]);
  });

  it('writes the agent as a Component of type agent that depends on its tools, the MCP server serving one, and its policy', () => {
    const agent = entity(catalog, 'component:default/desk');
    expect(agent.spec).toEqual({
      type: 'agent',
      lifecycle: 'experimental',
      owner: 'group:default/care',
      system: 'agents',
      dependsOn: [
        'api:default/tool-lookup-order',
        'api:default/tool-refund-order',
        'resource:default/desk-policy',
        'api:default/desk-tools',
      ],
      consumesApis: ['api:default/tool-lookup-order', 'api:default/tool-refund-order', 'api:default/desk-tools'],
    });
    const annotations = agent.metadata.annotations ?? {};
    expect(annotations).toMatchObject({
      [ANNOTATIONS.rolloutStages]: 'shadow,full',
      [ANNOTATIONS.playbooks]: 'slow-tools',
      [ANNOTATIONS.model]: 'openai-compatible/gpt-4o-mini',
      'charter.dev/slo-latency-p95-ms': '5000',
      'charter.dev/slo-success-rate': '0.95',
      'charter.dev/slo-window': '30d',
    });
    // Relative paths point from the generated file at the real files.
    const agentsFile = join(fixture, 'catalog', 'generated', 'agents.yaml');
    expect(resolve(dirname(agentsFile), annotations[ANNOTATIONS.manifest] ?? '')).toBe(join(fixture, 'agents', 'desk', 'agent.yaml'));
    expect(resolve(dirname(agentsFile), annotations[ANNOTATIONS.policy] ?? '')).toBe(join(fixture, 'agents', 'desk', 'policy.yaml'));
  });

  it('publishes schemas as jsonschema APIs read with $text, MCP servers with spec.remotes, tools with their grants', () => {
    const schema = entity(catalog, 'api:default/acme-widget-schema');
    expect(schema.spec).toMatchObject({ type: 'jsonschema', definition: { $text: '../../packages/lib/schema/widget.schema.json' } });
    expect(entity(catalog, 'component:default/acme-lib').spec).toMatchObject({
      type: 'library',
      providesApis: ['api:default/acme-widget-schema'],
      dependsOn: ['component:default/acme-tools'],
    });
    expect(entity(catalog, 'api:default/desk-tools').spec).toEqual({
      type: 'mcp-server',
      lifecycle: 'experimental',
      owner: 'group:default/platform',
      system: 'agents',
      remotes: [{ type: 'streamable-http', url: 'http://127.0.0.1:7010/mcp' }],
    });
    const refund = entity(catalog, 'api:default/tool-refund-order');
    expect(refund.spec).toMatchObject({ type: 'charter-tool', owner: 'group:default/care' });
    expect(String(refund.spec?.definition)).toContain('approval: when amount > 100');
  });

  it('lists the org data, every generated file and the templates in the root Location, and marks files as generated', () => {
    const location = catalog.files[0];
    expect(location?.path).toBe(join(fixture, 'catalog-info.yaml'));
    const [doc] = parseAllDocuments(location?.text ?? '');
    expect((doc?.toJS() as CatalogEntity).spec?.targets).toEqual([
      './catalog/groups.yaml',
      './catalog/generated/system.yaml',
      './catalog/generated/packages.yaml',
      './catalog/generated/apis.yaml',
      './catalog/generated/tools.yaml',
      './catalog/generated/agents.yaml',
      './catalog/generated/playbooks.yaml',
      './templates/new-agent/template.yaml',
    ]);
    for (const file of catalog.files) expect(file.text.startsWith(GENERATED_HEADER)).toBe(true);
    const playbook = entity(catalog, 'resource:default/playbook-slow-tools');
    expect(playbook.metadata.annotations?.[ANNOTATIONS.techdocs]).toBe('dir:../..');
  });

  it('is deterministic: the same repository gives the same bytes', () => {
    expect(generateCatalog({ root: fixture }).files).toEqual(catalog.files);
  });

  it('writes into --out with references computed from there', () => {
    const out = mkdtempSync(join(tmpdir(), 'charter-catalog-out-'));
    const elsewhere = generateCatalog({ root: fixture, out });
    expect(elsewhere.files.map((file) => relative(out, file.path))).toContain('catalog-info.yaml');
    const schema = elsewhere.entities.find((placed) => placed.entity.metadata.name === 'acme-widget-schema');
    const target = (schema?.entity.spec?.definition as { $text: string }).$text;
    expect(resolve(out, target)).toBe(join(fixture, 'packages', 'lib', 'schema', 'widget.schema.json'));
  });
});

describe('problems in the sources', () => {
  it('a broken manifest is an agent-invalid issue at its line, and the agent is left out', () => {
    const root = copy();
    const manifest = join(root, 'agents', 'desk', 'agent.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('successRate: 0.95', 'successRate: 1.5'));
    const catalog = generateCatalog({ root });
    expect(shown(catalog)).toEqual(['agents/desk/agent.yaml:23 agent-invalid']);
    expect(catalog.issues[0]?.message).toContain('successRate');
    expect(byKey(catalog).has('component:default/desk')).toBe(false);
  });

  it('an owner no Group defines is a dangling reference at the line that names it', () => {
    const root = copy();
    const playbook = join(root, 'playbooks', 'slow-tools.md');
    writeFileSync(playbook, readFileSync(playbook, 'utf8').replace('owner: group:default/care', 'owner: group:default/nobody'));
    const manifest = join(root, 'agents', 'desk', 'agent.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('owner: group:default/care', 'owner: group:default/ghosts'));
    const catalog = generateCatalog({ root });
    expect(shown(catalog)).toEqual([
      'agents/desk/agent.yaml:7 dangling-reference', // the agent's owner, and the owner of each tool API it alone is granted
      'agents/desk/agent.yaml:7 dangling-reference',
      'agents/desk/agent.yaml:7 dangling-reference',
      'playbooks/slow-tools.md:8 dangling-reference',
    ]);
    expect(catalog.issues[0]?.message).toContain('group:default/ghosts');
  });

  it('a template owner and a package dependency that resolve nowhere are reported in the hand-written file', () => {
    const root = copy();
    const template = join(root, 'templates', 'new-agent', 'template.yaml');
    writeFileSync(template, readFileSync(template, 'utf8').replace('owner: group:default/platform', 'owner: group:default/gone'));
    const catalog = generateCatalog({ root });
    expect(shown(catalog)).toEqual(['templates/new-agent/template.yaml:7 dangling-reference']);
  });

  it('two sources making one entity, a malformed MCP declaration, an invalid and a missing org file are issues', () => {
    const root = copy();
    const lib = join(root, 'packages', 'lib', 'package.json');
    writeFileSync(lib, readFileSync(lib, 'utf8').replace('"name": "desk-tools"', '"name": "tool-lookup-order"'));
    let catalog = generateCatalog({ root });
    expect(shown(catalog)).toContain('packages/lib/package.json:8 duplicate-entity');
    writeFileSync(lib, readFileSync(lib, 'utf8').replace('"remotes": [', '"remotes": [], "x": ['));
    catalog = generateCatalog({ root });
    expect(shown(catalog)).toContain('packages/lib/package.json:8 mcp-server-invalid');
    writeFileSync(join(root, 'catalog', 'groups.yaml'), 'kind: Group\nmetadata: [\n');
    catalog = generateCatalog({ root });
    expect(shown(catalog)).toContain('catalog/groups.yaml:3 source-invalid');
    rmSync(join(root, 'catalog', 'groups.yaml'));
    catalog = generateCatalog({ root });
    expect(shown(catalog)).toContain('package.json:7 source-invalid');
    expect(catalog.issues.find((issue) => issue.code === 'source-invalid')?.message).toContain(
      'charter.catalog.org names catalog/groups.yaml',
    );
  });

  it('a missing or invalid charter.catalog section throws CatalogError naming the field', () => {
    const root = copy();
    const pkg = join(root, 'package.json');
    const json = JSON.parse(readFileSync(pkg, 'utf8')) as { charter: { catalog: Record<string, unknown> } };
    json.charter.catalog.owner = 'platform';
    writeFileSync(pkg, JSON.stringify(json));
    expect(() => generateCatalog({ root })).toThrow(/charter\.catalog\.owner must be a group or user reference/);
    writeFileSync(pkg, '{}');
    try {
      generateCatalog({ root });
      expect.unreachable();
    } catch (error) {
      expect(CatalogError.isInstance(error) && error.code).toBe('CATALOG_BAD_CONFIG');
    }
    expect(() => generateCatalog({ root: join(root, 'agents') })).toThrow(/has no package.json/);
  });
});

describe('checkCatalog and writeCatalog', () => {
  it('reports missing, stale (at the first differing line) and extra generated files; writing fixes all three', () => {
    const root = copy();
    let catalog = generateCatalog({ root });
    expect(checkCatalog(catalog).map((issue) => issue.code)).toEqual(Array(catalog.files.length).fill('missing-file'));
    writeCatalog(catalog);
    expect(checkCatalog(catalog)).toEqual([]);

    const agents = join(root, 'catalog', 'generated', 'agents.yaml');
    writeFileSync(agents, readFileSync(agents, 'utf8').replace('owner: group:default/care', 'owner: group:default/platform'));
    writeFileSync(join(root, 'catalog', 'generated', 'old.yaml'), `${GENERATED_HEADER}kind: Group\n`);
    writeFileSync(join(root, 'catalog', 'generated', 'mine.yaml'), 'kind: Group\n'); // not generated: left alone
    catalog = generateCatalog({ root });
    const issues = checkCatalog(catalog);
    const ownerLine = readFileSync(agents, 'utf8').split('\n').indexOf('  owner: group:default/platform') + 1;
    expect(ownerLine).toBeGreaterThan(1);
    expect(issues.map((issue) => `${relative(root, issue.file)}:${issue.line} ${issue.code}`)).toEqual([
      `catalog/generated/agents.yaml:${ownerLine} stale-file`,
      'catalog/generated/old.yaml:1 extra-file',
    ]);
    const { written, deleted } = writeCatalog(catalog);
    expect(written.map((path) => relative(root, path))).toEqual(['catalog/generated/agents.yaml']);
    expect(deleted.map((path) => relative(root, path))).toEqual(['catalog/generated/old.yaml']);
    expect(existsSync(join(root, 'catalog', 'generated', 'mine.yaml'))).toBe(true);
    expect(checkCatalog(catalog)).toEqual([]);
  });
});
