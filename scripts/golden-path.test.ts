// The golden path, end to end, as an agent team lives it: the platform team publishes every public
// @charter/* package to the organisation's registry (`npm run release`: changeset publish), here a real
// Verdaccio on 127.0.0.1; a team scaffolds each template into a folder outside this workspace whose
// .npmrc maps the @charter scope to that registry (every other package comes from the public registry),
// installs it, and runs the project's own checks: its tests, its lint with @charter/eslint-plugin, and
// the template's own gates (the readiness evidence and `charter check`, the tool-contract diff, the
// policy evaluation). Verdaccio is stopped and every folder removed even when a step fails.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicPackages } from './packages.mjs';
import { publishAll, startVerdaccio } from './verdaccio.mjs';

const root = join(import.meta.dirname, '..');
const charter = join(root, 'packages', 'cli', 'bin', 'charter.js');
const packages = publicPackages(root);

let registry: Awaited<ReturnType<typeof startVerdaccio>> | undefined;
let work = '';

/** Runs a command; on failure the assertion message holds its output. */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
const output = (result: SpawnSyncReturns<string>): string =>
  `exit ${result.status}\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`;

function ok(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const result = run(command, args, cwd, env);
  expect(result.status, `${command} ${args.join(' ')} in ${cwd}\n${output(result)}`).toBe(0);
  return result.stdout;
}

/** Scaffolds a template with `charter new` into the work folder, maps the scopes to the registry, commits, installs. */
function scaffold(template: string, name: string, values: Record<string, unknown>): string {
  if (registry === undefined) throw new Error('no registry');
  const dir = join(work, name);
  const valuesFile = join(work, `${name}.values.json`);
  writeFileSync(valuesFile, JSON.stringify(values));
  ok(process.execPath, [charter, 'new', template, dir, '--values', valuesFile], work);
  const host = registry.url.replace(/^http:/, '');
  writeFileSync(
    join(dir, '.npmrc'),
    `@charter:registry=${registry.url}\n@acme:registry=${registry.url}\n${host}:_authToken=${registry.token}\n`,
  );
  ok('git', ['init', '-q', '-b', 'main'], dir);
  ok('git', ['add', '-A'], dir);
  ok('git', ['-c', 'user.name=golden', '-c', 'user.email=golden@example.com', 'commit', '-qm', `scaffolded from ${template}`], dir);
  ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
  // Every @charter package came from the registry, none from this workspace: a real folder (not a link)
  // whose lockfile integrity is the tarball the registry serves.
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { integrity?: string; link?: boolean }>;
  };
  const charterEntries = Object.entries(lock.packages).filter(([path]) => /^node_modules\/@charter\/[^/]+$/.test(path));
  expect(charterEntries.length).toBeGreaterThan(0);
  for (const [path, entry] of charterEntries) {
    expect(lstatSync(join(dir, path)).isSymbolicLink(), path).toBe(false);
    const name = path.slice('node_modules/'.length);
    const version = (JSON.parse(readFileSync(join(dir, path, 'package.json'), 'utf8')) as { version: string }).version;
    const served = run('npm', ['view', `${name}@${version}`, 'dist.integrity', '--registry', registry.url], dir);
    expect(entry.integrity, `${path}: ${output(served)}`).toBe(served.stdout.trim());
  }
  return dir;
}

beforeAll(async () => {
  registry = await startVerdaccio({ scopes: ['@charter', '@acme'] });
  // Outside the workspace: no package.json above it, so nothing resolves from this repository.
  work = mkdtempSync(join(tmpdir(), 'charter-golden-'));
  expect(relative(root, work).startsWith('..')).toBe(true);
}, 240_000);

afterAll(async () => {
  await registry?.stop();
  // CHARTER_KEEP_GOLDEN=1 keeps the scaffolded projects for a look after a failure (never in CI).
  if (work !== '' && process.env.CHARTER_KEEP_GOLDEN !== '1') rmSync(work, { recursive: true, force: true });
}, 120_000);

describe.sequential('the golden path', () => {
  it('the release (changeset publish, what npm run release runs after the build) publishes every public package', () => {
    if (registry === undefined) throw new Error('no registry');
    ok('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], root);
    const published = publishAll(root, registry.url, registry.token, join(work, 'publisher.npmrc'));
    expect(published.status, output(published)).toBe(0);
    for (const p of packages) {
      const info = run('npm', ['view', `${p.name}@${p.version}`, 'version', '--registry', registry.url], work);
      expect(info.stdout.trim(), `${p.name}@${p.version} on the registry\n${output(info)}`).toBe(p.version);
    }
  }, 600_000);

  it('agent-service: installed from the registry, its tests, lint and charter run pass; the gate holds it without its business case', () => {
    const dir = scaffold('agent-service', 'triage-desk', {
      name: 'triage-desk',
      title: 'Triage desk',
      description: 'Answers questions about service requests and opens tickets for the service desk.',
      owner: 'group:default/platform-team',
      problem: 'Employees wait a median of 8 hours for an answer about a service request; 4,000 questions a month.',
      kpis: [
        { name: 'median time to first answer', unit: 'hours', baseline: 8, target: 0.5, direction: 'decrease' },
        { name: 'requests answered without a person', unit: 'percent', baseline: 0, target: 50, direction: 'increase' },
      ],
      roiHypothesis: 'Answering 2,000 lookups a month frees 1.5 FTE for 30,000 USD a year.',
      annualValueUsd: 120000,
      annualCostUsd: 30000,
      paybackMonths: 4,
      onCall: 'service-desk-oncall',
      ownerMembers: ['ana'],
      dataClassification: 'internal',
      actionSideEffects: 'reversible',
      repoUrl: 'github.com?owner=acme&repo=triage-desk',
    });
    ok('npm', ['test'], dir);
    ok('npm', ['run', 'lint'], dir);
    const runOutput = ok('npx', ['charter', 'run', '.', '--scenario', 'scenarios/happy-lookup.yaml'], dir);
    expect(runOutput).toContain('outcome completed');
    // The gate, from the installed CLI: every rule that needs no pipeline evidence passes (the evidence
    // script is not part of the template yet); without its business case the business rules fail.
    const check = () => {
      const result = run('npx', ['charter', 'check', '.', '--format', 'json'], dir);
      const report = JSON.parse(result.stdout) as { results: { ruleId: string; status: string }[] };
      return {
        exit: result.status,
        status: (id: string) => report.results.find((r) => r.ruleId === id)?.status,
        failed: report.results.filter((r) => r.status === 'fail').map((r) => r.ruleId),
      };
    };
    const before = check();
    expect(before.failed).toEqual([]);
    for (const id of ['BIZ-1', 'BIZ-2', 'BIZ-3', 'BIZ-4', 'FAL-1', 'FAL-4', 'OBS-4', 'SEC-7']) expect(before.status(id), id).toBe('pass');
    const manifest = join(dir, 'agent.yaml');
    const document = parseDocument(readFileSync(manifest, 'utf8'));
    document.deleteIn(['spec', 'businessCase']);
    writeFileSync(manifest, document.toString());
    ok('git', ['-c', 'user.name=golden', '-c', 'user.email=golden@example.com', 'commit', '-qam', 'no business case'], dir);
    const after = check();
    expect(after.exit).toBe(1);
    for (const id of ['BIZ-1', 'BIZ-2', 'BIZ-3']) expect(after.status(id), id).toBe('fail');
  }, 600_000);

  it('agent-tool: installed from the registry, its contract tests and lint pass; a breaking change needs a major version', () => {
    if (registry === undefined) throw new Error('no registry');
    const dir = scaffold('agent-tool', 'tool-lookup-record', {
      name: '@acme/tool-lookup-record',
      toolName: 'lookup_record',
      description: 'Look up one record by id: its title and status.',
      owner: 'group:default/platform-team',
      sideEffects: 'none',
      repoUrl: 'github.com?owner=acme&repo=tool-lookup-record',
    });
    ok('npm', ['test'], dir);
    ok('npm', ['run', 'lint'], dir);
    expect(ok('npm', ['run', 'contract:diff'], dir)).toContain('has no release yet');
    // Release 1.0.0, then make a breaking change (a new required input) with only a minor bump: refused.
    ok('npm', ['publish', '--registry', registry.url], dir);
    const tool = join(dir, 'src', 'tool.ts');
    writeFileSync(
      tool,
      readFileSync(tool, 'utf8').replace('recordId: z.string().regex(', 'tenant: z.string().min(1),\n  recordId: z.string().regex('),
    );
    const bump = (version: string) => {
      writeFileSync(tool, readFileSync(tool, 'utf8').replace(/export const VERSION = '[^']*';/, `export const VERSION = '${version}';`));
      ok('npm', ['version', version, '--no-git-tag-version'], dir);
      ok('npm', ['run', 'contract'], dir);
    };
    bump('1.1.0');
    const refused = run('npm', ['run', 'contract:diff'], dir);
    expect(refused.status, output(refused)).toBe(1);
    expect(refused.stdout).toMatch(/BREAKING/);
    bump('2.0.0');
    ok('npm', ['run', 'contract:diff'], dir);
  }, 600_000);

  it('guardrail-policy: installed from the registry, its tests, lint and labelled evaluation pass', () => {
    const dir = scaffold('guardrail-policy', 'acme-baseline', {
      name: 'acme-baseline',
      description: 'The baseline guardrails every Acme agent extends.',
      owner: 'group:default/platform-team',
      repoUrl: 'github.com?owner=acme&repo=acme-baseline',
    });
    ok('npm', ['run', 'validate'], dir);
    ok('npm', ['test'], dir);
    ok('npm', ['run', 'lint'], dir);
    expect(ok('npm', ['run', 'eval'], dir)).toMatch(/(\d+)\/\1 cases as labelled/);
  }, 600_000);
});
