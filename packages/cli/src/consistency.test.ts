// Playbooks, manifests, alerts and docs name each other by id. This test keeps every name real:
// - every playbook id named by an Agent manifest, a generated alert or a docs table exists in playbooks/;
// - every playbook trigger names an alert the generator produces, an error code some package
//   exports in its `*ErrorCode` map, a guardrail rule the guardrails package exports, or a rollout check;
// - playbook queries use only metric names of @charter/telemetry and recorded SLIs; the docs build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { loadDocuments, loadPlaybook, playbookRoutes, RolloutAnalysis, type AgentManifest, type Playbook } from '@charter/spec';
import { ALERTS, DEFAULT_RUNBOOK_URL, generateAlertRules, METRICS, type AlertingRule } from '@charter/telemetry';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { discover } from './commands/validate.js';

const root = join(import.meta.dirname, '..', '..', '..');
const playbookDir = join(root, 'playbooks');
const inCi = Boolean(process.env.CI);
const has = (tool: string) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;

// --- what exists ------------------------------------------------------------------------------

const playbookFiles = readdirSync(playbookDir)
  .filter((file) => file.endsWith('.md') && file !== 'README.md')
  .sort();
const playbooks = new Map<string, { file: string; value: Playbook; body: string }>();
const playbookIssues: string[] = [];
for (const file of playbookFiles) {
  const path = join(playbookDir, file);
  const { value, issues } = loadPlaybook(path);
  for (const issue of issues) playbookIssues.push(`${relative(root, issue.file)}:${issue.line}:${issue.column}: ${issue.message}`);
  if (value)
    playbooks.set(value.metadata.name, { file, value, body: readFileSync(path, 'utf8').split('\n---\n').slice(1).join('\n---\n') });
}

const manifests: { file: string; value: AgentManifest }[] = [];
for (const file of discover(root).filter((path) => /\.ya?ml$/.test(path))) {
  for (const document of loadDocuments(file).value)
    if (document.kind === 'Agent') manifests.push({ file: relative(root, file), value: document.value });
}

// Routes from every playbook of the repository: each manifest's alerts link where the playbooks say.
const routes = playbookRoutes([...playbooks.values()].map((entry) => entry.value));
const generated = manifests.flatMap(({ file, value }) =>
  generateAlertRules(value, { routes })
    .groups.flatMap((group) => group.rules)
    .filter((rule): rule is AlertingRule => 'alert' in rule)
    .map((rule) => ({ file, rule })),
);
const generatedNames = new Set<string>(generated.map(({ rule }) => rule.alert));

// Packages are imported by name at run time (vitest resolves their sources), so this test reads
// whatever code maps they export today and needs no build of them.
const GUARDRAILS = '@charter/guardrails';

/** Error codes from every package's exported `*ErrorCode` maps, and the packages that could not be read. */
async function exportedErrorCodes(): Promise<{ codes: Map<string, string>; unavailable: string[] }> {
  const codes = new Map<string, string>();
  const unavailable: string[] = [];
  for (const name of ['@charter/spec', '@charter/tools', GUARDRAILS, '@charter/telemetry']) {
    let exports: Record<string, unknown>;
    try {
      exports = (await import(name)) as Record<string, unknown>;
    } catch (error) {
      unavailable.push(`${name} (${String(error).split('\n', 1)[0] ?? ''})`);
      continue;
    }
    const maps = Object.entries(exports).filter(([key, value]) => key.endsWith('ErrorCode') && typeof value === 'object' && value !== null);
    if (maps.length === 0) unavailable.push(`${name} (exports no *ErrorCode map)`);
    for (const [key, map] of maps) {
      for (const code of Object.values(map as Record<string, unknown>)) if (typeof code === 'string') codes.set(code, `${name} ${key}`);
    }
  }
  return { codes, unavailable };
}

/** Guardrail rule ids `@charter/guardrails` exports (any exported string list or map whose name says rules). */
async function exportedGuardrailRules(): Promise<Set<string> | string> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(GUARDRAILS)) as Record<string, unknown>;
  } catch (error) {
    return `@charter/guardrails cannot be imported: ${String(error).split('\n', 1)[0] ?? ''}`;
  }
  const ids = new Set<string>();
  for (const [key, value] of Object.entries(exports)) {
    if (!/rule/i.test(key)) continue;
    if (Array.isArray(value)) for (const item of value) if (typeof item === 'string') ids.add(item);
    if (value instanceof Set) for (const item of value) if (typeof item === 'string') ids.add(item);
  }
  return ids;
}

/** Markdown files of the docs site and the package READMEs. */
function docsFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'playbooks') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.md')) found.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk(join(root, 'docs'));
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const readme = join(root, 'packages', pkg, 'README.md');
    if (existsSync(readme)) found.push(readme);
  }
  if (existsSync(join(root, 'README.md'))) found.push(join(root, 'README.md'));
  return found.sort();
}

/** Cells of the `playbook` column of every Markdown table in `text`. */
function playbookColumn(text: string): string[] {
  const ids: string[] = [];
  let column = -1;
  for (const line of text.split('\n')) {
    if (!line.trimStart().startsWith('|')) {
      column = -1;
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (column < 0) {
      column = cells.findIndex((cell) => /^playbook$/i.test(cell.replaceAll('*', '')));
      continue;
    }
    const cell = cells[column] ?? '';
    if (/^:?-{3,}:?$/.test(cell) || cell === '' || cell === '—' || cell === '-') continue;
    // A linked cell names its playbooks by link target; a plain cell by its words.
    const targets = [...cell.matchAll(/\]\(([^()\s]{1,200})\)/g)].map((match) => match[1] ?? '');
    const words =
      targets.length > 0
        ? targets.map((target) => target.replace(/\/$/, '').split('/').at(-1)?.replace(/\.md$/, '') ?? '')
        : cell.replaceAll('`', ' ').split(/[\s,]+/);
    for (const word of words) if (/^[a-z][a-z0-9-]{0,63}$/.test(word)) ids.push(word);
  }
  return ids;
}

/** Metric names and recorded series a PromQL expression reads. */
function seriesNames(query: string): string[] {
  return [...query.matchAll(/\b(?:agent:[a-z0-9_:]{1,120}|(?:charter|gen_ai)_[a-z0-9_]{1,120})/g)].map((match) => match[0]);
}

const knownSeries = new Set<string>();
for (const metric of Object.values(METRICS)) {
  knownSeries.add(metric.prometheus);
  if (metric.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) knownSeries.add(`${metric.prometheus}${suffix}`);
  for (const label of metric.labels) knownSeries.add(label); // label names such as gen_ai_request_model
}
for (const { value } of manifests) {
  for (const group of generateAlertRules(value, { routes }).groups)
    for (const rule of group.rules) if ('record' in rule) knownSeries.add(rule.record);
}

const queriesOf = (playbook: Playbook) => [
  ...playbook.spec.diagnosis.flatMap((step) => (step.query ? [step.query] : [])),
  ...playbook.spec.verification.flatMap((check) => (check.query ? [check.query] : [])),
];

// --- the checks -------------------------------------------------------------------------------

describe('playbooks, manifests, alerts and docs agree', () => {
  it('every playbook loads and there are at least the nine the issue names', () => {
    expect(playbookIssues).toEqual([]);
    expect([...playbooks.keys()]).toEqual(
      expect.arrayContaining([
        'hallucination-quality-drop',
        'tool-timeouts',
        'cascading-failure',
        'prompt-injection',
        'pii-secret-leak',
        'cost-runaway',
        'model-provider-outage',
        'shadow-disagreement-spike',
        'approval-queue-overload',
      ]),
    );
  });

  it('every playbook id an Agent manifest names exists', () => {
    expect(manifests.length).toBeGreaterThan(0);
    const missing = manifests.flatMap(({ file, value }) =>
      value.spec.playbooks.filter((id) => !playbooks.has(id)).map((id) => `${file}: ${id}`),
    );
    expect(missing).toEqual([]);
  });

  it('every generated alert links (runbook_url) to an existing playbook that lists it as a trigger', () => {
    expect(generated.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { file, rule } of generated) {
      const id = /playbooks\/([a-z][a-z0-9-]{0,63})\/$/.exec(rule.annotations.runbook_url)?.[1];
      const playbook = id === undefined ? undefined : playbooks.get(id);
      if (!playbook) problems.push(`${file}: ${rule.alert} links ${rule.annotations.runbook_url}, which is no playbook`);
      else if (!playbook.value.spec.triggers.alerts.includes(rule.alert))
        problems.push(`${file}: ${rule.alert} opens ${id ?? ''}, whose triggers do not list it`);
    }
    for (const alert of Object.keys(ALERTS))
      if (!routes.alerts.has(alert)) problems.push(`${alert}: no playbook lists it in triggers.alerts`);
    expect(problems).toEqual([]);
  });

  it('every playbook id in a docs table (a "playbook" column) exists', () => {
    const problems: string[] = [];
    for (const file of docsFiles()) {
      for (const id of playbookColumn(readFileSync(file, 'utf8'))) if (!playbooks.has(id)) problems.push(`${relative(root, file)}: ${id}`);
    }
    expect(problems).toEqual([]);
  });

  it('the table parser finds ids in a playbook column (so the check above can fail)', () => {
    const table =
      '| code | meaning | Playbook |\n|---|---|---|\n| `TOOL_TIMEOUT` | slow | [Tool timeouts](../playbooks/tool-timeouts.md) |\n| `X` | y | — |\n| `Y` | z | `cost-runaway`, `no-such-playbook` |\n\n| a | b |\n|---|---|\n| c | d |\n';
    expect(playbookColumn(table)).toEqual(['tool-timeouts', 'cost-runaway', 'no-such-playbook']);
  });

  it('every trigger alert is one the generator produces for the repository manifests', () => {
    const unknown = [...playbooks.values()].flatMap(({ file, value }) =>
      value.spec.triggers.alerts.filter((alert) => !generatedNames.has(alert)).map((alert) => `${file}: ${alert}`),
    );
    expect(unknown).toEqual([]);
  });

  it('every trigger error code, and every error code the alerts select on, is in a package’s exported code map', async () => {
    const { codes, unavailable } = await exportedErrorCodes();
    const named = [...playbooks.values()].flatMap(({ file, value }) =>
      value.spec.triggers.errorCodes.map((code) => ({ where: file, code })),
    );
    for (const { file, rule } of generated)
      for (const match of rule.expr.matchAll(/error_code="([A-Z_]{1,64})"/g))
        named.push({ where: `${file} ${rule.alert}`, code: match[1] ?? '' });
    expect(named.length).toBeGreaterThan(0);
    const unknown = named.filter(({ code }) => !codes.has(code)).map(({ where, code }) => `${where}: ${code}`);
    expect(unknown, `packages not (yet) exporting a code map: ${unavailable.join('; ') || 'none'}`).toEqual([]);
  });

  it('every trigger guardrail rule is exported by @charter/guardrails', async () => {
    const named = [...playbooks.values()].flatMap(({ file, value }) =>
      value.spec.triggers.guardrailRules.map((rule) => `${file}: ${rule}`),
    );
    if (named.length === 0) return; // no playbook names a rule id yet
    const known = await exportedGuardrailRules();
    expect(typeof known, typeof known === 'string' ? known : '').toBe('object');
    expect(named.filter((entry) => typeof known === 'string' || !known.has(entry.split(': ')[1] ?? ''))).toEqual([]);
  });

  it('every rollout-check trigger is a field of spec.rollout.analysis', () => {
    const fields = Object.keys(RolloutAnalysis.shape);
    const unknown = [...playbooks.values()].flatMap(({ file, value }) =>
      value.spec.triggers.rolloutChecks.filter((check) => !fields.includes(check)).map((check) => `${file}: ${check}`),
    );
    expect(unknown).toEqual([]);
  });

  it('playbook queries read only @charter/telemetry metric names and recorded SLIs', () => {
    const unknown = [...playbooks.values()].flatMap(({ file, value }) =>
      queriesOf(value)
        .flatMap(seriesNames)
        .filter((name) => !knownSeries.has(name))
        .map((name) => `${file}: ${name}`),
    );
    expect(unknown).toEqual([]);
    expect(seriesNames('rate(charter_agent_runz_total[5m])')).toEqual(['charter_agent_runz_total']);
  });

  it('each playbook page shows every query, command and machine action of its front matter', () => {
    const missing: string[] = [];
    for (const { file, value, body } of playbooks.values()) {
      const expected = [
        ...queriesOf(value),
        ...value.spec.diagnosis.flatMap((step) => (step.command ? [step.command] : [])),
        ...value.spec.mitigations.flatMap((mitigation) => (mitigation.action ? [`\`${mitigation.action.type}\``] : [])),
      ];
      for (const text of expected) if (!body.includes(text)) missing.push(`${file}: ${text}`);
    }
    expect(missing).toEqual([]);
  });

  it('the playbooks index lists every playbook', () => {
    const index = readFileSync(join(playbookDir, 'README.md'), 'utf8');
    const unlisted = [...playbooks.keys()].filter((id) => !index.includes(`(${id}.md)`));
    expect(unlisted).toEqual([]);
  });
});

describe.skipIf(!has('promtool') && !inCi)('playbook PromQL parses (real promtool)', () => {
  it('promtool check rules accepts every playbook query', () => {
    const rules = [...playbooks.values()]
      .flatMap(({ value }) => queriesOf(value))
      .map((expr, index) => ({ record: `playbook:query:${index}`, expr }));
    expect(rules.length).toBeGreaterThan(20);
    const path = join(mkdtempSync(join(tmpdir(), 'charter-playbook-queries-')), 'queries.rules.yaml');
    writeFileSync(path, JSON.stringify({ groups: [{ name: 'playbook-queries', rules }] }));
    const result = spawnSync('promtool', ['check', 'rules', path], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});

// --- the alerts' default runbook_url opens a page that exists ----------------------------------

/** `/docs/<namespace>/<kind>/<name>/<page>`: Backstage TechDocs' route to an entity's page. */
const runbook = /^\/docs\/([a-z0-9-]{1,63})\/([a-z]{1,63})\/([a-z0-9-]{1,63})\/(.{0,200})$/.exec(DEFAULT_RUNBOOK_URL);
const runbookPlaybooks = [...new Set(Object.keys(ALERTS).flatMap((alert) => routes.alerts.get(alert) ?? []))];

interface CatalogEntity {
  file: string;
  kind: string;
  namespace: string;
  name: string;
  techdocsRef: string | undefined;
}

/** Every entity the root catalog-info.yaml Location reaches, and the files that could not be parsed. */
function catalogEntities(): { entities: CatalogEntity[]; unreadable: string[] } {
  const entities: CatalogEntity[] = [];
  const unreadable: string[] = [];
  const visit = (file: string) => {
    let documents: unknown[];
    try {
      documents = parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
        if (document.errors.length > 0) throw new Error(document.errors[0]?.message);
        return document.toJS() as unknown;
      });
    } catch (error) {
      unreadable.push(`${relative(root, file)}: ${String(error).split('\n')[0] ?? ''}`);
      return;
    }
    for (const document of documents) {
      const entity = document as {
        kind?: string;
        metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
        spec?: { targets?: string[] };
      };
      if (entity.kind === 'Location') for (const target of entity.spec?.targets ?? []) visit(join(dirname(file), target));
      else if (entity.kind !== undefined && entity.metadata?.name !== undefined)
        entities.push({
          file,
          kind: entity.kind,
          namespace: entity.metadata.namespace ?? 'default',
          name: entity.metadata.name,
          techdocsRef: entity.metadata.annotations?.['backstage.io/techdocs-ref'],
        });
    }
  };
  visit(join(root, 'catalog-info.yaml'));
  return { entities, unreadable };
}

/** The entity DEFAULT_RUNBOOK_URL names, and the docs folder its techdocs-ref builds. */
function runbookSite(): { entity: CatalogEntity; docsDir: string; page: string } {
  if (!runbook) throw new Error(`DEFAULT_RUNBOOK_URL ${DEFAULT_RUNBOOK_URL} is not /docs/<namespace>/<kind>/<name>/<page>`);
  const [, namespace, kind, name, page = ''] = runbook;
  const { entities, unreadable } = catalogEntities();
  const entity = entities.find(
    (candidate) => candidate.namespace === namespace && candidate.kind.toLowerCase() === kind && candidate.name === name,
  );
  if (!entity)
    throw new Error(
      `DEFAULT_RUNBOOK_URL names ${kind}:${namespace}/${name}, which no catalog file defines (${entities.map((e) => `${e.kind.toLowerCase()}:${e.namespace}/${e.name}`).join(', ')}; unparsable: ${unreadable.join('; ') || 'none'})`,
    );
  const ref = /^dir:(.{1,200})$/.exec(entity.techdocsRef ?? '')?.[1];
  if (ref === undefined) throw new Error(`${relative(root, entity.file)}: ${name} has no backstage.io/techdocs-ref: dir:<path> annotation`);
  const siteRoot = join(dirname(entity.file), ref);
  const mkdocs = readFileSync(join(siteRoot, 'mkdocs.yml'), 'utf8');
  const docsDir = join(siteRoot, /^docs_dir:\s{0,8}(\S{1,200})\s*$/m.exec(mkdocs)?.[1] ?? 'docs');
  return { entity, docsDir, page };
}

describe("the alerts' default runbook_url", () => {
  it('names a catalog entity whose techdocs-ref builds this docs site, with a Markdown page for every alert playbook', () => {
    const { entity, docsDir, page } = runbookSite();
    expect(`${entity.kind}:${entity.name}`).toBe('System:charter');
    expect(page).toBe('playbooks/{id}/');
    expect(runbookPlaybooks.length).toBeGreaterThan(5);
    const missing = runbookPlaybooks.filter((id) => !existsSync(join(docsDir, page.replace('{id}', id).replace(/\/$/, '.md'))));
    expect(missing).toEqual([]);
  });
});

describe.skipIf(!has('mkdocs') && !inCi)('docs site (real mkdocs)', () => {
  let site = '';
  let build: ReturnType<typeof spawnSync> | undefined;
  beforeAll(() => {
    site = mkdtempSync(join(tmpdir(), 'charter-site-'));
    build = spawnSync('mkdocs', ['build', '--strict', '--site-dir', site], { cwd: root, encoding: 'utf8' });
  });

  it('mkdocs build --strict passes: no broken links, every page reachable', () => {
    expect(build?.status, `${String(build?.stdout)}${String(build?.stderr)}`).toBe(0);
    expect(existsSync(join(site, 'playbooks', 'tool-timeouts', 'index.html'))).toBe(true);
    expect(existsSync(join(site, 'standards', 'production-readiness', 'index.html'))).toBe(true);
  });

  it("every alert's default runbook_url page is in the built site", () => {
    const { page } = runbookSite();
    const missing = runbookPlaybooks.filter((id) => !existsSync(join(site, page.replace('{id}', id), 'index.html')));
    expect(missing).toEqual([]);
  });
});

describe('external tools', () => {
  it.skipIf(inCi || (has('promtool') && has('mkdocs')))(
    'promtool or mkdocs is missing: their checks above were skipped (they fail in CI)',
    () => {
      expect(has('promtool') && has('mkdocs')).toBe(false);
    },
  );
});
