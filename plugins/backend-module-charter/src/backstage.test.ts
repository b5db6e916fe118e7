// Charter against a real Backstage backend, in process: the catalog (with the scaffolder entity model
// and the AI model layer for mcp-server APIs), the scaffolder, the MCP actions backend and Charter's
// module, reading this repository and two fixture repositories over loopback HTTP (`type: url`
// locations). Processing errors are read from the catalog's `experimental.catalog.errors` events: the
// entities API never shows them.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { createBackendModule, type BackendFeature } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, type TestBackend } from '@backstage/backend-test-utils';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { checkCatalog, entityKey, generateCatalog, writeCatalog } from '@charter/catalog';
import { evaluateReadiness, formatReport, type Report } from '@charter/readiness';
import { createRolloutController, FileRolloutStore, loadRolloutPlan } from '@charter/rollout';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import charterModule from './index.js';
import { serveFolders, waitFor, type StaticServer } from './__tests__/support.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const fixtures = join(import.meta.dirname, '__fixtures__');

interface Entity {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; links?: { url: string; title?: string }[] };
  spec?: Record<string, unknown>;
  relations?: { type: string; targetRef: string }[];
}
interface ErrorEvent {
  entity: string;
  location?: string;
  errors: { name: string; message: string }[];
}

/** A module that records the catalog's processing errors as they are published. */
function errorsProbe(sink: ErrorEvent[]): BackendFeature {
  return createBackendModule({
    pluginId: 'catalog',
    moduleId: 'charter-test-errors-probe',
    register(reg) {
      reg.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'charter-test-errors-probe',
            topics: ['experimental.catalog.errors'],
            onEvent: async (params) => {
              sink.push(params.eventPayload as ErrorEvent);
              return Promise.resolve();
            },
          });
        },
      });
    },
  });
}

/** The BackendFeature of a dynamically imported package (CommonJS default exports arrive wrapped once more). */
async function feature(load: Promise<unknown>): Promise<BackendFeature> {
  const module = (await load) as { default: BackendFeature | { default: BackendFeature } };
  const value = module.default;
  return '$$type' in value ? value : value.default;
}

let server: StaticServer | undefined;
let backend: TestBackend | undefined;
/** The file server, once beforeAll started it. */
function files(): StaticServer {
  if (server === undefined) throw new Error('the file server did not start');
  return server;
}
let base: string;
const errors: ErrorEvent[] = [];
/** A copy of the fixture repository with its catalog generated and status published. */
let fixtureRepo: string;
const auth = { Authorization: mockCredentials.user.header() };
const FIXTURE_COMMIT = '0123456789abcdef0123456789abcdef01234567';
/** The desk agent's readiness as @charter/readiness judged it in beforeAll (no evidence: held). */
let deskReport: Report;
const deskStatus = () => (deskReport.ready ? 'ready' : 'held');
const deskScore = () => `${deskReport.score.passed}/${deskReport.score.total}`;
const deskBlockers = () =>
  deskReport.results.filter((r) => r.severity === 'blocker' && r.status !== 'pass' && r.status !== 'waived').map((r) => r.ruleId);

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON shape it expects
async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...auth, ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

async function entities(): Promise<Entity[]> {
  const { status, body } = await api<Entity[]>('/api/catalog/entities');
  expect(status).toBe(200);
  return body;
}

const keyOf = (entity: Entity) => entityKey(entity);
const repoCatalog = generateCatalog({ root: repo });

beforeAll(async () => {
  fixtureRepo = mkdtempSync(join(tmpdir(), 'charter-backstage-fixture-'));
  cpSync(join(fixtures, 'repo'), fixtureRepo, { recursive: true });
  writeCatalog(generateCatalog({ root: fixtureRepo }));
  // What the desk agent's pipeline publishes: its readiness report (charter check --format json) ...
  mkdirSync(join(fixtureRepo, 'agents', 'desk', '.charter'), { recursive: true });
  deskReport = await evaluateReadiness({ dir: join(fixtureRepo, 'agents', 'desk'), commit: FIXTURE_COMMIT, lint: false });
  writeFileSync(join(fixtureRepo, 'agents', 'desk', '.charter', 'readiness.json'), formatReport(deskReport, 'json'));
  // The rollout as @charter/rollout's controller writes it into a FileRolloutStore: started, so in shadow.
  const { plan } = loadRolloutPlan(join(fixtureRepo, 'agents', 'desk', 'agent.yaml'));
  const rollout = createRolloutController({
    plan,
    store: new FileRolloutStore(join(fixtureRepo, 'agents', 'desk', '.charter', 'rollouts')),
  });
  const started = await rollout.start({ candidate: 'v2', skipGate: 'the Backstage test publishes no readiness gate' });
  if (!started.ok) throw new Error(`the fixture rollout did not start: ${started.reason}`);
  server = await serveFolders({ repo, fixture: fixtureRepo, handwritten: join(fixtures, 'handwritten') });
  backend = await startTestBackend({
    features: [
      await feature(import('@backstage/plugin-catalog-backend')),
      await feature(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model')),
      await feature(import('@backstage/plugin-catalog-backend-module-ai-model')),
      await feature(import('@backstage/plugin-scaffolder-backend')),
      // publish:github, which the templates end with (it does not support dry-run, so a dry-run skips it).
      await feature(import('@backstage/plugin-scaffolder-backend-module-github')),
      await feature(import('@backstage/plugin-mcp-actions-backend')),
      charterModule,
      errorsProbe(errors),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            reading: { allow: [{ host: files().host }] },
            actions: { pluginSources: ['catalog'] },
          },
          catalog: {
            rules: [{ allow: ['Component', 'API', 'Resource', 'System', 'Domain', 'Group', 'User', 'Location', 'Template'] }],
            locations: [
              { type: 'url', target: `${files().origin}/repo/catalog-info.yaml` },
              { type: 'url', target: `${files().origin}/fixture/catalog-info.yaml` },
              { type: 'url', target: `${files().origin}/handwritten/catalog-info.yaml` },
            ],
          },
        },
      }),
    ],
  });
  base = `http://localhost:${backend.server.port()}`;
});

afterAll(async () => {
  await backend?.stop();
  await server?.close();
});

describe('this repository in a real Backstage catalog', () => {
  const expected = repoCatalog.entities.map((placed) => keyOf(placed.entity as Entity));

  it('the committed catalog is what the repository generates, and the generator finds no problem', () => {
    expect(repoCatalog.issues).toEqual([]);
    expect(checkCatalog(repoCatalog)).toEqual([]);
  });

  it('ingests 100 % of the generated entities, with zero processing errors', async () => {
    const ingested = await waitFor(
      async () => {
        const keys = new Set((await entities()).map(keyOf));
        return expected.every((key) => keys.has(key)) ? keys : undefined;
      },
      () => `not every entity of the repository was ingested: ${JSON.stringify(errors.slice(0, 5))}`,
    );
    expect(expected.filter((key) => !ingested.has(key))).toEqual([]);
    const repoErrors = errors.filter((event) => event.location?.includes(`${files().origin}/repo/`));
    expect(repoErrors).toEqual([]);
  });

  it('has the expected relations and no relation pointing at an entity the catalog does not have', async () => {
    // Relations arrive with stitching, which the catalog defers after processing (an incoming relation
    // needs the other end processed too): wait until the last ones asserted below are there.
    const all = await waitFor(
      async () => {
        const list = await entities();
        const has = (key: string, relation: string) =>
          (list.find((entity) => keyOf(entity) === key)?.relations ?? []).some((r) => `${r.type} ${r.targetRef}` === relation);
        return has('component:default/support-desk', 'dependsOn api:default/tool-refund-order') &&
          has('api:default/tool-refund-order', 'apiConsumedBy component:default/support-desk')
          ? list
          : undefined;
      },
      () => 'support-desk and tool-refund-order never got their dependsOn / apiConsumedBy relations',
    );
    const byKey = new Map(all.map((entity) => [keyOf(entity), entity]));
    const relations = (key: string) => (byKey.get(key)?.relations ?? []).map((relation) => `${relation.type} ${relation.targetRef}`);
    const agent = relations('component:default/support-desk');
    expect(agent).toEqual(
      expect.arrayContaining([
        'ownedBy group:default/customer-care',
        'partOf system:default/charter',
        'dependsOn api:default/tool-lookup-order',
        'dependsOn api:default/tool-refund-order',
        'dependsOn resource:default/support-desk-policy',
        'consumesApi api:default/tool-refund-order',
      ]),
    );
    expect(relations('resource:default/support-desk-policy')).toEqual(
      expect.arrayContaining(['dependencyOf component:default/support-desk']),
    );
    expect(relations('component:default/charter-spec')).toEqual(expect.arrayContaining(['providesApi api:default/charter-agent-schema']));
    expect(relations('system:default/charter')).toEqual(expect.arrayContaining(['partOf domain:default/ai-governance']));
    expect(relations('api:default/tool-refund-order')).toEqual(expect.arrayContaining(['apiConsumedBy component:default/support-desk']));
    const repoKeys = new Set(expected);
    const dangling = all
      .filter((entity) => repoKeys.has(keyOf(entity)))
      .flatMap((entity) =>
        (entity.relations ?? [])
          .filter((relation) => !byKey.has(relation.targetRef))
          .map((r) => `${keyOf(entity)} ${r.type} ${r.targetRef}`),
      );
    expect(dangling).toEqual([]);
  });

  it('the schema APIs carry their JSON Schema as the definition ($text read over HTTP)', async () => {
    const all = await entities();
    const schema = all.find((entity) => keyOf(entity) === 'api:default/charter-agent-schema');
    const definition = String(schema?.spec?.definition);
    expect(JSON.parse(definition)).toEqual(JSON.parse(readFileSync(join(repo, 'packages', 'spec', 'schema', 'agent.schema.json'), 'utf8')));
  });

  it('agent Components carry the manifest, SLO and rollout annotations, the live status and links to the playbooks', async () => {
    const agent = (await entities()).find((entity) => keyOf(entity) === 'component:default/support-desk');
    const annotations = agent?.metadata.annotations ?? {};
    expect(annotations).toMatchObject({
      'charter.dev/manifest': '../../packages/reference-agent/agent.yaml',
      'charter.dev/manifest-url': `${files().origin}/repo/packages/reference-agent/agent.yaml`,
      'charter.dev/slo-success-rate': '0.97',
      'charter.dev/rollout-stages': 'shadow,canary,ramp-10,ramp-25,ramp-50,full',
      'charter.dev/readiness-status': expect.stringMatching(/^(ready|held|unknown)$/),
      'charter.dev/rollout-stage': expect.any(String),
    });
    const links = (agent?.metadata.links ?? []).map((link) => link.url);
    expect(links).toContain(`${files().origin}/repo/playbooks/tool-timeouts.md`);
    expect(links).toHaveLength(9);
  });
});

describe('the Charter catalog processor', () => {
  it('ingests an organisation repository: mcp-server API with remotes, readiness and rollout from what the pipeline published', async () => {
    const fixtureCatalog = generateCatalog({ root: fixtureRepo });
    expect(fixtureCatalog.issues).toEqual([]);
    const keys = fixtureCatalog.entities.map((placed) => keyOf(placed.entity as Entity));
    const all = await waitFor(
      async () => {
        const list = await entities();
        const present = new Set(list.map(keyOf));
        return keys.every((key) => present.has(key)) ? list : undefined;
      },
      () => `the fixture repository was not ingested: ${JSON.stringify(errors.filter((e) => e.location?.includes('/fixture/')))}`,
    );
    expect(errors.filter((event) => event.location?.includes(`${files().origin}/fixture/`))).toEqual([]);
    const mcp = all.find((entity) => keyOf(entity) === 'api:default/desk-tools');
    expect(mcp?.spec).toMatchObject({ type: 'mcp-server', remotes: [{ type: 'streamable-http', url: 'http://127.0.0.1:7010/mcp' }] });
    const desk = all.find((entity) => keyOf(entity) === 'component:default/desk');
    expect(desk?.metadata.annotations).toMatchObject({
      'charter.dev/readiness-status': deskStatus(),
      'charter.dev/readiness-score': deskScore(),
      'charter.dev/rollout-stage': 'shadow',
    });
    expect((desk?.relations ?? []).map((relation) => `${relation.type} ${relation.targetRef}`)).toContain(
      'dependsOn api:default/desk-tools',
    );
  });

  it('emits the relations a hand-written agent entity does not state, from its manifest', async () => {
    const manual = await waitFor(
      async () => (await entities()).find((entity) => keyOf(entity) === 'component:default/manual-desk'),
      () => `manual-desk was not ingested: ${JSON.stringify(errors.filter((e) => e.entity.includes('manual')))}`,
    );
    expect(manual.spec?.dependsOn).toBeUndefined();
    expect((manual.relations ?? []).map((relation) => `${relation.type} ${relation.targetRef}`)).toEqual(
      expect.arrayContaining([
        'dependsOn api:default/tool-find-order',
        'dependsOn api:default/tool-return-order',
        'dependsOn resource:default/manual-desk-policy',
        'consumesApi api:default/tool-find-order',
      ]),
    );
    expect(manual.metadata.annotations?.['charter.dev/readiness-status']).toBe('unknown');
    expect(manual.metadata.annotations?.['charter.dev/rollout-stage']).toBe('not-started');
  });

  it('a broken agent manifest is a processing error naming its file and line, and the entity is not ingested', async () => {
    const manifestUrl = `${files().origin}/handwritten/broken/agent.yaml`;
    const event = await waitFor(
      async () => Promise.resolve(errors.find((candidate) => candidate.entity === 'component:default/broken-desk')),
      () => 'no processing error for the broken agent',
    );
    const line =
      readFileSync(join(fixtures, 'handwritten', 'broken', 'agent.yaml'), 'utf8')
        .split('\n')
        .findIndex((text) => text.includes('successRate: 1.5')) + 1;
    expect(line).toBeGreaterThan(1);
    const messages = event.errors.map((error) => error.message);
    expect(messages).toEqual([
      expect.stringMatching(
        new RegExp(
          `^component:default/broken-desk: its Agent manifest does not load: ${manifestUrl.replace(/\./g, '\\.')}:${line}:\\d+ .*successRate`,
        ),
      ),
    ]);
    expect(event.errors[0]?.name).toBe('InputError');
    expect((await entities()).some((entity) => keyOf(entity) === 'component:default/broken-desk')).toBe(false);
  });
});

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(dir, path));
    }
  };
  walk(dir);
  return files.sort();
}

/** One page of a template's parameters (`spec.parameters` is one page or a list of them). */
interface ParameterPage {
  required?: string[];
  properties?: Record<string, { default?: unknown }>;
}

/**
 * The values a template runs with, as Backstage's form submits them: every parameter's default, then
 * the template's `values.example.yaml` (the file `charter new <template> --values` takes) or, for a
 * template that ships none, this suite's `__fixtures__/template-values/<template>.yaml`. The scaffolder's
 * dry-run applies no defaults itself. Throws naming what a template lacks and where to write it.
 */
function templateValues(dir: string): Record<string, unknown> {
  const template = parse(readFileSync(join(dir, 'template.yaml'), 'utf8')) as { spec: { parameters?: ParameterPage | ParameterPage[] } };
  const pages = [template.spec.parameters ?? []].flat();
  const values: Record<string, unknown> = {};
  for (const page of pages)
    for (const [key, property] of Object.entries(page.properties ?? {})) if (property.default !== undefined) values[key] = property.default;
  const example = join(dir, 'values.example.yaml');
  const ours = join(fixtures, 'template-values', `${basename(dir)}.yaml`);
  const file = [example, ours].find((candidate) => existsSync(candidate));
  if (file !== undefined) Object.assign(values, parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
  const missing = pages.flatMap((page) => page.required ?? []).filter((key) => values[key] === undefined);
  if (missing.length > 0)
    throw new Error(
      `${relative(repo, dir)} needs values for ${missing.join(', ')}: write them in ${relative(repo, example)} (charter new --values takes the same file) or in ${relative(repo, ours)}`,
    );
  return values;
}

/** A template's folder as the scaffolder's dry-run takes it: every file, base64, with its relative path. */
function directoryContents(dir: string): { path: string; base64Content: string }[] {
  const files: { path: string; base64Content: string }[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push({ path: relative(dir, path), base64Content: readFileSync(path).toString('base64') });
    }
  };
  walk(dir);
  return files;
}

interface DryRunResponse {
  log: { body: { message: string; stepId?: string; status?: string } }[];
  directoryContents: { path: string; base64Content: string }[];
  output: Record<string, unknown>;
  error?: { name: string; message: string };
}

async function dryRun(templateDir: string, values: Record<string, unknown>) {
  const template = parse(readFileSync(join(templateDir, 'template.yaml'), 'utf8')) as Record<string, unknown>;
  return api<DryRunResponse>('/api/scaffolder/v2/dry-run', {
    method: 'POST',
    body: JSON.stringify({ template, values, directoryContents: directoryContents(templateDir) }),
  });
}

const rendered = (response: DryRunResponse) =>
  new Map(response.directoryContents.map((file) => [file.path, Buffer.from(file.base64Content, 'base64').toString('utf8')]));

describe('the scaffolder: dry-runs and Charter actions', () => {
  const fixtureTemplate = join(fixtures, 'repo', 'templates', 'new-agent');

  it('dry-runs the fixture template: the files render and charter:manifest:validate runs on them', async () => {
    const { status, body } = await dryRun(fixtureTemplate, { name: 'returns-desk', owner: 'group:default/care', successRate: 0.9 });
    expect(body.error).toBeUndefined();
    expect(status).toBe(200);
    const files = rendered(body);
    expect(files.get('agent.yaml')).toContain('name: returns-desk');
    expect(files.get('agent.yaml')).toContain('owner: "group:default/care"');
    expect(files.get('policy.yaml')).toContain('name: returns-desk-policy');
    const messages = body.log.map((entry) => entry.body.message).join('\n');
    expect(messages).toContain('agent returns-desk is valid (dry run)');
    // charter:readiness:check ran @charter/readiness on the rendered agent: no evidence yet, so held.
    expect(messages).toContain('the workspace is not a git commit: no evidence can match it');
    expect(messages).toMatch(/returns-desk: held \(\d+\/41\); \d+ blocker\(s\)/);
    expect(body.output).toMatchObject({
      text: [
        { title: 'Validated', content: 'Agent returns-desk owned by group:default/care' },
        { title: 'Readiness', content: expect.stringMatching(/^\d+\/41 rules pass; ready false$/) },
      ],
    });
  });

  it('charter:manifest:validate refuses a manifest the values break, with file:line:column', async () => {
    const { status, body } = await dryRun(fixtureTemplate, { name: 'bad-desk', owner: 'group:default/care', successRate: 1.5 });
    expect(status).toBe(400);
    expect(body.error?.message).toMatch(/the Agent manifest agent\.yaml does not load \(1 problem\):\nagent\.yaml:19:\d+ .*successRate/);
  });

  it('charter:manifest:validate validates a GuardrailPolicy as its own kind, and refuses a broken one with file:line:column', async () => {
    const valid = await dryRun(fixtureTemplate, { name: 'pack-desk', owner: 'group:default/care', manifestPath: 'policy.yaml' });
    expect(valid.body.error).toBeUndefined();
    expect(valid.status).toBe(200);
    expect(valid.body.log.map((entry) => entry.body.message).join('\n')).toContain(
      'policy.yaml: GuardrailPolicy pack-desk-policy is valid (dry run)',
    );
    expect((valid.body.output.text as unknown[] | undefined)?.[0]).toEqual({
      title: 'Validated',
      content: 'GuardrailPolicy pack-desk-policy owned by group:default/care',
    });
    // An owner that is not a group reference: the policy's metadata.owner line, and nothing from the agent.
    const line =
      readFileSync(join(fixtureTemplate, 'skeleton', 'policy.yaml'), 'utf8')
        .split('\n')
        .findIndex((text) => text.includes('owner:')) + 1;
    const broken = await dryRun(fixtureTemplate, { name: 'pack-desk', owner: 'care', manifestPath: 'policy.yaml' });
    expect(broken.status).toBe(400);
    expect(broken.body.error?.message).toMatch(
      new RegExp(`^the GuardrailPolicy policy\\.yaml does not load \\(1 problem\\):\\npolicy\\.yaml:${line}:\\d+ .*group reference`),
    );
  });

  it('charter:readiness:check fails the step when asked to and the new agent is held, naming the blockers', async () => {
    const { status, body } = await dryRun(fixtureTemplate, {
      name: 'strict-desk',
      owner: 'group:default/care',
      successRate: 0.95,
      strict: true,
    });
    expect(status).toBe(400);
    expect(body.error?.message).toMatch(/^strict-desk is held in staging \(\d+\/41\):\n[A-Z]{2,4}-\d+ /);
    expect(body.error?.message).toContain('Run charter check on the agent for the remediation of each rule.');
  });

  it('charter:manifest:validate refuses a path outside the workspace and a missing manifest, saying what to do', async () => {
    const outside = await dryRun(fixtureTemplate, { name: 'x-desk', owner: 'group:default/care', manifestPath: '../../etc/passwd' });
    expect(outside.status).toBe(400);
    expect(outside.body.error?.message).toContain(
      'input.manifest "../../etc/passwd" is outside the task\'s workspace: give a path relative to the workspace',
    );
    const missing = await dryRun(fixtureTemplate, { name: 'x-desk', owner: 'group:default/care', manifestPath: 'nope.yaml' });
    expect(missing.status).toBe(400);
    expect(missing.body.error?.message).toContain("no Agent manifest at nope.yaml in the task's workspace");
  });

  // The repository's templates (templates/*/template.yaml) and `charter new` arrive with the golden-path work.
  const templatesDir = join(repo, 'templates');
  const templates = existsSync(templatesDir)
    ? readdirSync(templatesDir).filter((name) => existsSync(join(templatesDir, name, 'template.yaml')))
    : [];
  const cli = join(repo, 'packages', 'cli', 'bin', 'charter.js');

  if (templates.length === 0)
    it('has no template in templates/ yet, and no charter new to compare a dry-run with', () => {
      expect(spawnSync(process.execPath, [cli, 'new', '--help'], { encoding: 'utf8' }).status).not.toBe(0);
    });
  else
    it.each(templates)('templates/%s dry-runs, byte-identical to what charter new renders with the same values', async (name) => {
      const dir = join(templatesDir, name);
      const values = templateValues(dir);
      const { status, body } = await dryRun(dir, values);
      expect({ status, error: body.error }).toEqual({ status: 200, error: undefined });
      // The steps that do not support dry-run (publish:github, catalog:register) are skipped; Charter's run.
      const actions = (parse(readFileSync(join(dir, 'template.yaml'), 'utf8')) as { spec: { steps: { id: string; action: string }[] } })
        .spec.steps;
      const messages = body.log.map((entry) => entry.body.message).join('\n');
      for (const step of actions.filter((candidate) => candidate.action === 'charter:manifest:validate'))
        expect(messages, `${name}: step ${step.id}`).toMatch(/: (agent|GuardrailPolicy) \S+ is valid \(dry run\)/);
      for (const step of actions.filter((candidate) => candidate.action === 'charter:readiness:check'))
        expect(messages, `${name}: step ${step.id}`).toMatch(/: (ready|held) \(\d+\/\d+\); \d+ blocker\(s\)/);
      const scratch = mkdtempSync(join(tmpdir(), `charter-new-${name}-`));
      const valuesFile = join(scratch, 'values.json');
      writeFileSync(valuesFile, JSON.stringify(values));
      const out = join(scratch, 'out');
      const result = spawnSync(process.execPath, [cli, 'new', name, out, '--values', valuesFile], { cwd: repo, encoding: 'utf8' });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      const dryRunFiles = new Map(body.directoryContents.map((file) => [file.path, Buffer.from(file.base64Content, 'base64')]));
      expect(listFiles(out)).toEqual([...dryRunFiles.keys()].sort());
      expect(dryRunFiles.size).toBeGreaterThan(0);
      for (const [path, bytes] of dryRunFiles)
        expect({ path, same: readFileSync(join(out, path)).equals(bytes) }).toEqual({ path, same: true });
    });
});

describe('the MCP actions backend offers Charter actions to the official MCP client', () => {
  let client: Client | undefined;
  const mcp = (): Client => {
    if (client === undefined) throw new Error('the MCP client did not connect');
    return client;
  };

  beforeAll(async () => {
    client = new Client({ name: 'charter-test', version: '1.0.0' });
    // The SDK's transport declares `sessionId?: string`, which exactOptionalPropertyTypes reads strictly.
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/api/mcp-actions/v1`), { requestInit: { headers: auth } });
    await client.connect(transport as unknown as Transport);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the three read-only Charter actions with truthful hints', async () => {
    const { tools } = await mcp().listTools();
    const charter = tools.filter((tool) => tool.name.includes('charter'));
    // Tool names are namespaced by the plugin whose registry holds the action.
    expect(charter.map((tool) => tool.name).sort()).toEqual([
      'catalog.charter-agent-readiness',
      'catalog.charter-list-agents',
      'catalog.charter-validate-manifest',
    ]);
    for (const tool of charter)
      expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
  });

  it('calls charter-list-agents and charter-agent-readiness, and charter-validate-manifest refuses a broken manifest with its line', async () => {
    await waitFor(
      async () => ((await entities()).some((entity) => keyOf(entity) === 'component:default/desk') ? true : undefined),
      () => 'desk not ingested',
    );
    const listed = await mcp().callTool({ name: 'catalog.charter-list-agents', arguments: { owner: 'group:default/care' } });
    expect(listed.isError).toBeFalsy();
    const text = (listed.content as { type: string; text: string }[])[0]?.text ?? '';
    const agents = (JSON.parse(text) as { agents: { entityRef: string; readinessStatus: string }[] }).agents;
    expect(agents.map((agent) => agent.entityRef)).toContain('component:default/desk');
    expect(agents.find((agent) => agent.entityRef === 'component:default/desk')?.readinessStatus).toBe(deskStatus());

    const readiness = await mcp().callTool({ name: 'catalog.charter-agent-readiness', arguments: { agent: 'desk' } });
    const report = JSON.parse((readiness.content as { text: string }[])[0]?.text ?? '{}') as {
      status: string;
      score: string;
      blockers: { ruleId: string }[];
    };
    expect(report).toMatchObject({ status: deskStatus(), score: deskScore() });
    expect(report.blockers.map((blocker) => blocker.ruleId)).toEqual(deskBlockers());
    expect(deskBlockers().length).toBeGreaterThan(0);

    const manifest = readFileSync(join(fixtures, 'handwritten', 'broken', 'agent.yaml'), 'utf8');
    const policy = readFileSync(join(fixtures, 'handwritten', 'broken', 'policy.yaml'), 'utf8');
    const validated = await mcp().callTool({ name: 'catalog.charter-validate-manifest', arguments: { manifest, policy } });
    const result = JSON.parse((validated.content as { text: string }[])[0]?.text ?? '{}') as {
      ok: boolean;
      issues: { line: number; message: string }[];
    };
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([
      expect.objectContaining({ line: manifest.split('\n').findIndex((l) => l.includes('successRate: 1.5')) + 1 }),
    ]);
    const unknown = await mcp().callTool({ name: 'catalog.charter-agent-readiness', arguments: { agent: 'no-such-agent' } });
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).toContain('is not an agent in the catalog: list the agents with charter-list-agents');
  });
});
