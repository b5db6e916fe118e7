// The golden path, end to end, as an agent team lives it: the platform team publishes every public
// @charter/* package to the organisation's registry (`npm run release`: changeset publish), here a real
// Verdaccio on 127.0.0.1; a team scaffolds each template into a folder outside this workspace whose
// .npmrc maps the @charter scope to that registry (every other package comes from the public registry),
// installs it, commits the lockfile, and runs the project's own CI workflow (.github/workflows/ci.yaml):
// every `run` step in order, in the project, as GitHub's runner would (bash -eo pipefail, CI=true, a
// GITHUB_STEP_SUMMARY file, `if: always()` honoured); the `uses` steps are GitHub's own actions and are
// checked, not run (the checkout is the folder, Node is this Node, an uploaded file must exist). That
// is its tests, its lint with @charter/eslint-plugin and the template's gates: the evidence and
// `charter check` (SARIF), the contract diff against the last release (`charter tools diff`), the
// policy's labelled evaluation. Verdaccio is stopped and every folder removed even when a step fails.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentServiceValues } from '../packages/cli/src/testing.js';
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

const commit = (dir: string, message: string): void => {
  ok('git', ['add', '-A'], dir);
  ok('git', ['-c', 'user.name=golden', '-c', 'user.email=golden@example.com', 'commit', '-qm', message], dir);
};

interface WorkflowStep {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly 'working-directory'?: string;
}
interface StepResult {
  readonly step: string;
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly output: string;
}

/**
 * Runs a project's GitHub Actions workflow the way GitHub's runner runs its `run` steps: in order, each
 * with `bash --noprofile --norc -eo pipefail`, CI=true and a GITHUB_STEP_SUMMARY file; after a failure
 * only `if: always()` steps run. `uses` steps are GitHub's actions: checkout (this folder is the
 * checkout), setup-node (the version must be the Node running here), upload-sarif and upload-artifact
 * (the file must exist; a SARIF file must be SARIF 2.1.0). Any other action or condition is refused,
 * so a workflow change that this runner cannot honour fails the test instead of passing unseen.
 */
function runWorkflow(
  dir: string,
  file = '.github/workflows/ci.yaml',
  only: (step: string) => boolean = () => true,
): { steps: StepResult[]; summary: string } {
  const workflow = parse(readFileSync(join(dir, file), 'utf8')) as { jobs: Record<string, { steps: WorkflowStep[] }> };
  const summary = join(dir, '..', `${relative(work, dir)}.step-summary.md`);
  writeFileSync(summary, '');
  const steps: StepResult[] = [];
  let failed = false;
  for (const [job, { steps: list }] of Object.entries(workflow.jobs)) {
    for (const step of list) {
      const label = `${job}: ${step.name ?? step.uses ?? step.run ?? '?'}`;
      if (!only(label)) continue;
      if (step.if !== undefined && step.if !== 'always()') throw new Error(`${label}: the runner knows no condition "${step.if}"`);
      if (failed && step.if !== 'always()') {
        steps.push({ step: label, status: 'skipped', output: '' });
        continue;
      }
      let result: StepResult;
      if (step.run !== undefined) {
        const cwd = join(dir, step['working-directory'] ?? '.');
        const env = { ...process.env, ...step.env, CI: 'true', GITHUB_STEP_SUMMARY: summary };
        const ran = run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], cwd, env);
        result = { step: label, status: ran.status === 0 ? 'ok' : 'failed', output: output(ran) };
      } else if (step.uses !== undefined) {
        const [action = ''] = step.uses.split('@');
        const input = step.with ?? {};
        let problem: string | undefined;
        if (action === 'actions/checkout') problem = existsSync(join(dir, '.git')) ? undefined : 'not a git checkout';
        else if (action === 'actions/setup-node')
          problem =
            String(input['node-version']) === process.versions.node.split('.')[0]
              ? undefined
              : `node-version ${String(input['node-version'])}, but this is Node ${process.versions.node}`;
        else if (action === 'github/codeql-action/upload-sarif') {
          const sarif = join(dir, String(input.sarif_file));
          problem = !existsSync(sarif)
            ? `${String(input.sarif_file)} was not written`
            : (JSON.parse(readFileSync(sarif, 'utf8')) as { version?: string }).version === '2.1.0'
              ? undefined
              : `${String(input.sarif_file)} is not SARIF 2.1.0`;
        } else if (action === 'actions/upload-artifact')
          problem = existsSync(join(dir, String(input.path))) ? undefined : `${String(input.path)} was not written`;
        else throw new Error(`${label}: the runner does not know the action ${step.uses}`);
        result = { step: label, status: problem === undefined ? 'ok' : 'failed', output: problem ?? '' };
      } else throw new Error(`${label}: neither run nor uses`);
      steps.push(result);
      if (result.status === 'failed') failed = true;
    }
  }
  return { steps, summary: readFileSync(summary, 'utf8') };
}

/** Every step of the workflow passed; the message names the first that did not, with its output. */
function expectWorkflowPassed(result: { steps: StepResult[] }): void {
  const bad = result.steps.find((step) => step.status !== 'ok');
  expect(bad, bad === undefined ? '' : `${bad.step} ${bad.status}\n${bad.output}`).toBeUndefined();
}

/** Scaffolds a template with `charter new` into the work folder, maps the scopes to the registry, commits it and its lockfile. */
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
  commit(dir, `scaffolded from ${template}`);
  // The team's first `npm install` writes the lockfile they commit; the workflow's `npm ci` installs from it.
  ok('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  commit(dir, 'lockfile');
  return dir;
}

/**
 * After the workflow's `npm ci`: every @charter package came from the registry, none from this
 * workspace: a real folder (not a link) whose lockfile integrity is the tarball the registry serves.
 */
function expectInstalledFromRegistry(dir: string): void {
  if (registry === undefined) throw new Error('no registry');
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
  // Three installed projects and a registry's storage: removing them took over 120 s at load average 40.
}, 600_000);

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

  // The evidence checks the generated alert rules with promtool (scripts/install-ci-tools.sh installs it in CI).
  const promtool = spawnSync('promtool', ['--version']).status === 0;
  if (!promtool && process.env.CI === undefined)
    console.warn('golden path: agent-service skipped: promtool is not installed (apt-get install prometheus); CI fails instead');

  it.skipIf(!promtool && process.env.CI === undefined)(
    'agent-service: installed from the registry, its CI workflow passes (tests, lint, evidence, charter check: ready with no gap, the kill switch proven); the gate holds it without its business case',
    () => {
      const dir = scaffold(
        'agent-service',
        'triage-desk',
        agentServiceValues('triage-desk', {
          title: 'Triage desk',
          description: 'Answers questions about service requests and opens tickets for the service desk.',
          dataClassification: 'internal',
          actionSideEffects: 'reversible',
        }),
      );
      const ci = runWorkflow(dir);
      expectWorkflowPassed(ci);
      expectInstalledFromRegistry(dir);
      expect(ci.steps.map((step) => step.step)).toEqual(
        expect.arrayContaining([
          'agent: Install',
          'agent: Test',
          'agent: Lint (typescript-eslint and @charter/eslint-plugin)',
          'agent: Readiness gate (charter check)',
        ]),
      );
      expect(ci.summary).toContain('triage-desk is ready for production');
      // The gate's SARIF (what code scanning receives) and its JSON agree: every blocker passes on fresh
      // evidence; the one gap is the kill switch's evidence, a warning until the state store produces it.
      const sarif = JSON.parse(readFileSync(join(dir, 'readiness.sarif'), 'utf8')) as { version: string; runs: { results: unknown[] }[] };
      expect(sarif.version).toBe('2.1.0');
      const check = () => {
        const result = run('npx', ['charter', 'check', '.', '--format', 'json'], dir);
        const report = JSON.parse(result.stdout) as {
          ready: boolean;
          results: { ruleId: string; status: string; severity: string }[];
          evidence: { kind: string; state: string }[];
        };
        return {
          exit: result.status,
          report,
          status: (id: string) => report.results.find((r) => r.ruleId === id)?.status,
          gaps: report.results.filter((r) => r.status !== 'pass').map((r) => `${r.ruleId} ${r.severity} ${r.status}`),
        };
      };
      const before = check();
      expect(before.exit).toBe(0);
      expect(before.report.ready).toBe(true);
      expect(before.gaps).toEqual([]);
      expect(before.report.evidence.filter((e) => e.state !== 'fresh').map((e) => e.kind)).toEqual([]);
      expect(before.status('FAL-5')).toBe('pass');
      const runOutput = ok('npx', ['charter', 'run', '.', '--scenario', 'scenarios/happy-lookup.yaml'], dir);
      expect(runOutput).toContain('outcome completed');
      // Without its business case the business rules fail and the agent is held (exit 1).
      const manifest = join(dir, 'agent.yaml');
      const document = parseDocument(readFileSync(manifest, 'utf8'));
      document.deleteIn(['spec', 'businessCase']);
      writeFileSync(manifest, document.toString());
      commit(dir, 'no business case');
      const after = check();
      expect(after.exit).toBe(1);
      expect(after.report.ready).toBe(false);
      for (const id of ['BIZ-1', 'BIZ-2', 'BIZ-3']) expect(after.status(id), id).toBe('fail');
    },
    600_000,
  );

  it("agent-tool: installed from the registry, its CI workflow passes; the workflow's contract diff refuses a breaking change without a major version", () => {
    if (registry === undefined) throw new Error('no registry');
    const dir = scaffold('agent-tool', 'tool-lookup-record', {
      name: '@acme/tool-lookup-record',
      toolName: 'lookup_record',
      description: 'Look up one record by id: its title and status.',
      owner: 'group:default/platform-team',
      sideEffects: 'none',
      repoUrl: 'github.com?owner=acme&repo=tool-lookup-record',
    });
    const first = runWorkflow(dir);
    expectWorkflowPassed(first);
    expectInstalledFromRegistry(dir);
    const diffStep = 'tool: Contract against the last release (charter tools diff; a breaking change needs a major version)';
    expect(first.steps.find((step) => step.step === diffStep)?.output).toContain('has no release yet');
    // Release 1.0.0, then make a breaking change (a new required input) with only a minor bump: the
    // workflow's diff step refuses it; with a major bump it passes.
    ok('npm', ['publish', '--registry', registry.url], dir);
    const tool = join(dir, 'src', 'tool.ts');
    writeFileSync(
      tool,
      readFileSync(tool, 'utf8').replace('recordId: z.string().regex(', 'tenant: z.string().min(1),\n  recordId: z.string().regex('),
    );
    const release = (version: string) => {
      writeFileSync(tool, readFileSync(tool, 'utf8').replace(/export const VERSION = '[^']*';/, `export const VERSION = '${version}';`));
      ok('npm', ['version', version, '--no-git-tag-version'], dir);
      ok('npm', ['run', 'contract'], dir);
      commit(dir, `release ${version}`);
      return runWorkflow(dir, '.github/workflows/ci.yaml', (step) => step === diffStep).steps;
    };
    const [refused] = release('1.1.0');
    expect(refused?.status, refused?.output).toBe('failed');
    expect(refused?.output).toMatch(/BREAKING/);
    const [accepted] = release('2.0.0');
    expect(accepted?.status, accepted?.output).toBe('ok');
  }, 600_000);

  it('guardrail-policy: installed from the registry, its CI workflow passes (validate, tests, lint, the labelled evaluation, its report)', () => {
    const dir = scaffold('guardrail-policy', 'acme-baseline', {
      name: 'acme-baseline',
      description: 'The baseline guardrails every Acme agent extends.',
      owner: 'group:default/platform-team',
      repoUrl: 'github.com?owner=acme&repo=acme-baseline',
    });
    const ci = runWorkflow(dir);
    expectWorkflowPassed(ci);
    expectInstalledFromRegistry(dir);
    expect(ci.steps.find((step) => step.step === 'policy: Evaluate against the labelled set')?.output).toMatch(
      /(\d+)\/\1 cases as labelled/,
    );
    const report = JSON.parse(readFileSync(join(dir, 'eval', 'report.json'), 'utf8')) as { total: number; passed: number };
    expect(report.total).toBeGreaterThan(0);
    expect(report.passed).toBe(report.total);
  }, 600_000);
});
