// `charter new`: the scaffolder's rendering rules, values validated against the template's own schema
// (each problem named, exit 2), hostile values that still give valid YAML and JSON, --dry-run, a
// non-empty target, and missing values asked for from the schema when a person is at the terminal.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadAgent } from '@charter/spec';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import {
  findTemplate,
  loadTemplate,
  parseEntityRef,
  parseRepoUrl,
  pick,
  projectSlug,
  renderSkeleton,
  type TemplateParameter,
} from '../scaffold/index.js';
import { agentServiceValues, captureIo } from '../testing.js';

const fixtures = join(import.meta.dirname, '..', '__fixtures__', 'templates');
const scratch = () => mkdtempSync(join(tmpdir(), 'charter-new-'));

const AGENT_VALUES = agentServiceValues('triage-desk');

/** Every file under `dir`, relative, sorted. */
function filesOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

async function charterNew(cwd: string, args: readonly string[], io = captureIo(cwd)) {
  const exit = await main(['new', ...args], io);
  return { exit, out: io.out(), err: io.err() };
}

describe('the scaffolder rules (fetch:template as Backstage runs it)', () => {
  const template = loadTemplate(join(fixtures, 'rules'));

  it('renders names and contents, skips empty paths, copies binaries and copyWithoutTemplating files, keeps modes, skips a false `if`', () => {
    const cwd = scratch();
    const entries = renderSkeleton(template, {
      name: 'demo',
      folder: 'docs',
      skipped: '',
      count: 2,
      flag: false,
      repoUrl: 'github.com?owner=acme&repo=rules',
      owner: 'group:default/platform-team',
    });
    const files = entries.filter((entry) => entry.type === 'file');
    expect(files.map((entry) => entry.path)).toEqual(['bin/run.sh', 'demo.txt', 'docs/page.md', 'logo.png', 'raw/demo.txt']);
    const text = (path: string) => {
      const entry = files.find((file) => file.path === path);
      return entry?.type === 'file' ? entry.content.toString('utf8') : '';
    };
    expect(text('demo.txt')).toBe('name=demo count=3 owner=platform-team host=github.com slug=acme/rules\n');
    expect(text('docs/page.md')).toBe('in docs\n');
    // copyWithoutTemplating: the name is rendered, the contents are not.
    expect(text('raw/demo.txt')).toBe('kept ${{ values.name }} as is\n');
    // A binary file is copied byte for byte, placeholders and all.
    const logo = files.find((file) => file.path === 'logo.png');
    expect(logo?.type === 'file' ? logo.content : undefined).toEqual(readFileSync(join(fixtures, 'rules', 'skeleton', 'logo.png')));
    const script = files.find((file) => file.path === 'bin/run.sh');
    expect(script?.type === 'file' ? script.mode & 0o777 : 0).toBe(
      statSync(join(fixtures, 'rules', 'skeleton', 'bin', 'run.sh')).mode & 0o777,
    );
    expect(entries.some((entry) => entry.path.startsWith('flagged'))).toBe(false);
    expect(existsSync(join(cwd, 'demo.txt'))).toBe(false);
  });

  it('runs a step whose `if` is true, into its targetPath', () => {
    const entries = renderSkeleton(template, {
      name: 'demo',
      folder: 'docs',
      skipped: '',
      count: 1,
      flag: true,
      repoUrl: 'github.com?owner=acme&repo=rules',
      owner: 'group:default/platform-team',
    });
    expect(entries.some((entry) => entry.path === 'flagged/flagged.txt')).toBe(true);
  });

  it('refuses a rendered path that leaves the target', () => {
    expect(() =>
      renderSkeleton(template, {
        name: 'demo',
        folder: '../../escape',
        skipped: '',
        count: 1,
        flag: false,
        repoUrl: 'github.com?owner=a&repo=b',
        owner: 'group:x',
      }),
    ).toThrow(/resolves outside/);
  });

  it('the Backstage filters behave as the scaffolder’s', () => {
    expect(parseRepoUrl('github.com?owner=acme&repo=desk')).toEqual({ host: 'github.com', owner: 'acme', repo: 'desk' });
    expect(parseRepoUrl('dev.azure.com?organization=o&project=p&repo=r')).toEqual({
      host: 'dev.azure.com',
      organization: 'o',
      project: 'p',
      repo: 'r',
    });
    expect(() => parseRepoUrl('github.com?repo=desk')).toThrow(/missing owner/);
    expect(() => parseRepoUrl('git.example.com?owner=a&repo=b')).toThrow(
      /No matching integration configuration for host git\.example\.com/,
    );
    expect(projectSlug('github.com?owner=acme&repo=desk')).toBe('acme/desk');
    expect(parseEntityRef('group:default/platform')).toEqual({ kind: 'group', namespace: 'default', name: 'platform' });
    expect(parseEntityRef('platform', { defaultKind: 'group' })).toEqual({ kind: 'group', namespace: 'default', name: 'platform' });
    expect(() => parseEntityRef('platform')).toThrow(/missing or empty kind/);
    expect(pick({ a: { b: [{ c: 1 }] } }, 'a.b[0].c')).toBe(1);
    expect(pick({ a: 1 }, 'b.c')).toBeUndefined();
  });
});

describe('charter new', () => {
  it('creates an agent-service project whose manifest loads cleanly and whose YAML and JSON parse', async () => {
    const cwd = scratch();
    const values = join(cwd, 'values.yaml');
    writeFileSync(
      values,
      Object.entries(AGENT_VALUES)
        .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
        .join('\n'),
    );
    const { exit, out, err } = await charterNew(cwd, ['agent-service', 'desk', '--values', values]);
    expect({ exit, err }).toEqual({ exit: 0, err: '' });
    expect(out).toMatch(/^created desk from agent-service \(\d+ files\)\n$/);
    const dir = join(cwd, 'desk');
    expect(filesOf(dir)).toContain('.gitignore');
    const { issues } = loadAgent(join(dir, 'agent.yaml'));
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    for (const file of filesOf(dir)) {
      if (/\.ya?ml$/.test(file)) expect(() => parse(readFileSync(join(dir, file), 'utf8')) as unknown, file).not.toThrow();
      if (file.endsWith('.json')) expect(() => JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown, file).not.toThrow();
    }
  });

  it('a values file with a wrong type or without a required field is refused, the field named, exit 2', async () => {
    const cwd = scratch();
    const { annualValueUsd: _value, ...rest } = AGENT_VALUES;
    writeFileSync(
      join(cwd, 'wrong.yaml'),
      `${Object.entries(rest)
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join('\n')}\nannualValueUsd: lots\n`,
    );
    const wrong = await charterNew(cwd, ['agent-service', 'a', '--values', 'wrong.yaml']);
    expect(wrong.exit).toBe(2);
    expect(wrong.err).toContain('annualValueUsd: must be a number (got "lots")');
    const { owner: _owner, ...withoutOwner } = AGENT_VALUES;
    writeFileSync(join(cwd, 'missing.json'), JSON.stringify(withoutOwner));
    const missing = await charterNew(cwd, ['agent-service', 'b', '--values', 'missing.json']);
    expect(missing.exit).toBe(2);
    expect(missing.err).toContain('owner: is required but missing');
    writeFileSync(join(cwd, 'pattern.json'), JSON.stringify({ ...AGENT_VALUES, name: 'Not A Name', dataClassification: 'secret' }));
    const pattern = await charterNew(cwd, ['agent-service', 'c', '--values', 'pattern.json']);
    expect(pattern.exit).toBe(2);
    expect(pattern.err).toContain('name: must match ^[a-z][a-z0-9-]{1,54}[a-z0-9]$ (got "Not A Name")');
    expect(pattern.err).toContain('dataClassification: must be one of "public", "internal", "confidential", "restricted" (got "secret")');
    for (const folder of ['a', 'b', 'c']) expect(existsSync(join(cwd, folder))).toBe(false);
  });

  it('--set converts to the parameter type and overrides the values file', async () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'values.json'), JSON.stringify(AGENT_VALUES));
    const { exit } = await charterNew(cwd, [
      'agent-service',
      'desk',
      '--values',
      'values.json',
      '--set',
      'paybackMonths=12.5',
      '--set',
      'containsPii=true',
      '--set',
      'dataClassification=confidential',
      '--set',
      'ownerMembers=["ana","bo"]',
    ]);
    expect(exit).toBe(0);
    const manifest = parse(readFileSync(join(cwd, 'desk', 'agent.yaml'), 'utf8')) as {
      spec: { businessCase: { roi: { paybackMonths: unknown } }; data: unknown };
    };
    expect(manifest.spec.businessCase.roi.paybackMonths).toBe(12.5);
    expect(parse(readFileSync(join(cwd, 'desk', 'owners.yaml'), 'utf8'))).toMatchObject({
      metadata: { name: 'platform-team', namespace: 'default' },
      spec: { members: ['ana', 'bo'] },
    });
    expect(manifest.spec.data).toMatchObject({ classification: 'confidential', pii: true });
  });

  it('--dry-run lists the files and writes nothing', async () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'values.json'), JSON.stringify(AGENT_VALUES));
    const { exit, out } = await charterNew(cwd, ['agent-service', 'desk', '--values', 'values.json', '--dry-run']);
    expect(exit).toBe(0);
    expect(out).toContain('  agent.yaml\n');
    expect(out).toMatch(/dry run: \d+ files from agent-service for desk; nothing written\n$/);
    expect(readdirSync(cwd)).toEqual(['values.json']);
  });

  it('refuses a non-empty target without --force, and writes into it with --force', async () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'values.json'), JSON.stringify(AGENT_VALUES));
    mkdirSync(join(cwd, 'desk'));
    writeFileSync(join(cwd, 'desk', 'notes.txt'), 'mine');
    const refused = await charterNew(cwd, ['agent-service', 'desk', '--values', 'values.json']);
    expect(refused.exit).toBe(2);
    expect(refused.err).toBe('charter new: desk is not empty: choose a new folder, or pass --force to write into it\n');
    expect(readdirSync(join(cwd, 'desk'))).toEqual(['notes.txt']);
    const forced = await charterNew(cwd, ['agent-service', 'desk', '--values', 'values.json', '--force']);
    expect(forced.exit).toBe(0);
    expect(readFileSync(join(cwd, 'desk', 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(cwd, 'desk', 'agent.yaml'))).toBe(true);
  });

  it('an unknown template names the ones there are', async () => {
    const { exit, err } = await charterNew(scratch(), ['agnet-service']);
    expect(exit).toBe(2);
    expect(err).toContain('no template "agnet-service": name one of agent-service, agent-tool, guardrail-policy');
  });

  it('in a terminal, asks for the missing required values from the schema, in order, and uses the answers', async () => {
    const cwd = scratch();
    const asked: TemplateParameter[] = [];
    const answers: Record<string, unknown> = {
      ...AGENT_VALUES,
      name: 'asked-desk',
      description: 'Asked for in the terminal, then rendered.',
      repoUrl: 'github.com?owner=acme&repo=asked',
    };
    const io = {
      ...captureIo(cwd),
      prompt: () =>
        Promise.resolve({
          ask: (parameter: TemplateParameter) => {
            asked.push(parameter);
            return Promise.resolve(answers[parameter.name]);
          },
        }),
    };
    const exit = await main(['new', 'agent-service'], io);
    expect({ exit, err: io.err() }).toEqual({ exit: 0, err: '' });
    expect(asked.map((parameter) => parameter.name)).toEqual([
      'name',
      'description',
      'owner',
      'problem',
      'kpis',
      'roiHypothesis',
      'annualValueUsd',
      'annualCostUsd',
      'paybackMonths',
      'onCall',
      'ownerMembers',
      'repoUrl',
    ]);
    expect(asked[2]?.schema['ui:field']).toBe('OwnerPicker');
    // [dir] defaults to the name that was asked for.
    expect(parse(readFileSync(join(cwd, 'asked-desk', 'agent.yaml'), 'utf8'))).toMatchObject({ metadata: { name: 'asked-desk' } });
  });
});

describe('hostile values still give valid YAML and JSON', () => {
  // Quotes, newlines, template syntax, YAML indicators and comment marks, unicode line separators, and
  // strings at the schema's maximum length.
  const nasty = [
    `"double" and 'single' quotes`,
    'line one\nline two\r\n- not a list: item\n  indented: true',
    '${{ values.name }} {{ raw }} {% if true %}x{% endif %}',
    '- : ? | > # & * ! % @ ` [ ] { } , \\ \u2028 \u2029 \u0085 \t end',
    'key: value # comment\n---\n...\n!!python/object:os.system',
  ];
  const fill = (seed: string, max: number) => (seed.length >= max ? seed.slice(0, max) : `${seed} ${'x'.repeat(max - seed.length - 1)}`);

  const cases = [
    {
      template: 'agent-service',
      values: (n: string) => ({
        ...AGENT_VALUES,
        title: fill(n, 100),
        description: fill(n, 500),
        problem: fill(n, 1000),
        kpis: [
          { name: fill(n, 80), unit: fill(n, 32), baseline: 8, target: 1, direction: 'decrease' },
          { name: fill(n, 40), unit: 'percent', baseline: 10, target: 50, direction: 'increase' },
        ],
        roiHypothesis: fill(n, 1000),
        onCall: fill(n, 200),
      }),
      check: (dir: string, values: Record<string, unknown>) => {
        const manifest = parse(readFileSync(join(dir, 'agent.yaml'), 'utf8')) as {
          metadata: Record<string, unknown>;
          spec: { businessCase: Record<string, unknown> };
        };
        expect(manifest.metadata.description).toBe(values.description);
        expect(manifest.metadata.title).toBe(values.title);
        expect(manifest.spec.businessCase.problem).toBe(values.problem);
        expect(manifest.spec.businessCase.kpis).toEqual(values.kpis);
        expect(
          (parse(readFileSync(join(dir, 'owners.yaml'), 'utf8')) as { metadata: { annotations: Record<string, string> } }).metadata
            .annotations['charter.dev/on-call'],
        ).toBe(values.onCall);
        expect((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { description: string }).description).toBe(
          values.description,
        );
        expect(
          (parse(readFileSync(join(dir, 'catalog-info.yaml'), 'utf8')) as { metadata: { description: string } }).metadata.description,
        ).toBe(values.description);
        expect(loadAgent(join(dir, 'agent.yaml')).issues.filter((issue) => issue.severity === 'error')).toEqual([]);
      },
    },
    {
      template: 'agent-tool',
      values: (n: string) => ({
        name: '@acme/tool-x',
        toolName: 'lookup_x',
        description: fill(n, 500),
        owner: 'group:default/platform-team',
        repoUrl: 'github.com?owner=acme&repo=tool-x',
      }),
      check: (dir: string, values: Record<string, unknown>) => {
        expect((JSON.parse(readFileSync(join(dir, 'contract', 'tool.json'), 'utf8')) as { description: string }).description).toBe(
          values.description,
        );
        expect((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { description: string }).description).toBe(
          values.description,
        );
      },
    },
    {
      template: 'guardrail-policy',
      values: (n: string) => ({
        name: 'acme-baseline',
        description: fill(n, 500),
        owner: 'group:default/platform-team',
        repoUrl: 'github.com?owner=acme&repo=p',
      }),
      check: (dir: string, values: Record<string, unknown>) => {
        expect((parse(readFileSync(join(dir, 'policy.yaml'), 'utf8')) as { metadata: { description: string } }).metadata.description).toBe(
          values.description,
        );
      },
    },
  ];

  it.each(cases.flatMap(({ template, values, check }) => nasty.map((n, index) => ({ template, values: values(n), check, index }))))(
    '$template with hostile value set $index',
    async ({ template, values, check }) => {
      const cwd = scratch();
      writeFileSync(join(cwd, 'values.json'), JSON.stringify(values));
      const { exit, err } = await charterNew(cwd, [template, 'out', '--values', 'values.json']);
      expect({ exit, err }).toEqual({ exit: 0, err: '' });
      const dir = join(cwd, 'out');
      for (const file of filesOf(dir)) {
        const text = readFileSync(join(dir, file), 'utf8');
        if (/\.ya?ml$/.test(file)) expect(() => parse(text, { uniqueKeys: true }) as unknown, file).not.toThrow();
        if (file.endsWith('.json')) expect(() => JSON.parse(text) as unknown, file).not.toThrow();
      }
      check(dir, values);
    },
  );
});

describe('findTemplate', () => {
  it('finds a template by name or by folder', () => {
    expect(findTemplate('agent-service', '/')).toMatch(/templates[/\\]agent-service$/);
    expect(findTemplate(join(fixtures, 'rules'), '/')).toBe(join(fixtures, 'rules'));
  });
});
