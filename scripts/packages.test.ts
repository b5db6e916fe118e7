// Charter consumed as packages: every public @charter/* package packs into a tarball that works outside
// this repository. What `npm pack` would upload holds the build (dist, types), README, LICENSE and what
// the exports name, and no TypeScript source, test or fixture; installed from the tarballs into an empty
// folder (other dependencies from the registry), every export imports and the CLI runs its templates.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportEntries, packedFiles, packTarball, publicPackages } from './packages.mjs';

const root = join(import.meta.dirname, '..');
const packages = publicPackages(root);
const license = readFileSync(join(root, 'LICENSE'), 'utf8');

// A file that only exists for development: TypeScript sources (declarations are fine), tests, fixtures, configs.
const SOURCE_ONLY =
  /(?:^|\/)(?:src|tests?|__fixtures__|bench|eval|examples)\/|\.test\.|\.test-d\.|(?<!\.d)\.ts$|^tsconfig|^vitest\.config|^\.turbo\//;

describe('every public package packs for consumers', () => {
  it('the public packages are the @charter/* workspaces that are not private', () => {
    expect(packages.map((p) => p.name)).toContain('@charter/cli');
    expect(packages.map((p) => p.name)).not.toContain('@charter/reference-agent');
    for (const p of packages) expect(p.name).toMatch(/^@charter\//);
  });

  it.each(packages.map((p) => [p.name, p] as const))('%s: dist, types, README, LICENSE, exports; no source or test files', (_name, p) => {
    const files = packedFiles(p.dir).map((file) => file.path);
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    expect(readFileSync(join(p.dir, 'LICENSE'), 'utf8')).toBe(license);
    // Template skeletons (the CLI's templates/) are data rendered into new projects, sources and tests included.
    expect(files.filter((file) => SOURCE_ONLY.test(file) && !/^templates\/[a-z0-9-]+\/skeleton\//.test(file))).toEqual([]);
    // Every export a consumer resolves (any condition but the repository's own source condition) is in the tarball.
    for (const entry of exportEntries(p.manifest)) {
      if (entry.conditions.includes('@charter/source')) continue;
      const target = entry.target.replace(/^\.\//, '');
      if (target.includes('*')) {
        const prefix = target.slice(0, target.indexOf('*'));
        expect(
          files.some((file) => file.startsWith(prefix)),
          `${p.name} ${entry.subpath} → ${entry.target}`,
        ).toBe(true);
      } else expect(files, `${p.name} ${entry.subpath} → ${entry.target}`).toContain(target);
    }
    if (p.name === '@charter/cli') {
      expect(files).toContain('bin/charter.js');
      for (const template of ['agent-service', 'agent-tool', 'guardrail-policy'])
        expect(files).toContain(`templates/${template}/template.yaml`);
      expect(files).toContain("templates/agent-service/skeleton/${{ '.gitignore' }}");
    }
  });
});

describe('installed from the tarballs into an empty folder', () => {
  const work = mkdtempSync(join(tmpdir(), 'charter-tarballs-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

  it('every export of every package imports, and the installed CLI renders a template', () => {
    const tarballs = join(work, 'tarballs');
    const consumer = join(work, 'consumer');
    spawnSync('mkdir', ['-p', tarballs, consumer]);
    const files = packages.map((p) => packTarball(p.dir, tarballs));
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // Optional peers (the MCP SDK for @charter/tools/mcp, the AI SDK and OpenAI Agents adapters) are what a
    // consumer of those subpaths installs: install them too, at the declared ranges.
    const peers = new Map<string, string>();
    for (const p of packages)
      for (const [name, range] of Object.entries((p.manifest.peerDependencies ?? {}) as Record<string, string>))
        if (!name.startsWith('@charter/')) peers.set(name, range);
    const install = spawnSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        ...files,
        ...[...peers].map(([name, range]) => `${name}@${range}`),
      ],
      {
        cwd: consumer,
        encoding: 'utf8',
      },
    );
    expect(install.status, install.stderr).toBe(0);

    // One fresh process per package: each export subpath imported with Node's default conditions.
    const failures: string[] = [];
    for (const p of packages) {
      for (const subpath of new Set(exportEntries(p.manifest).map((entry) => entry.subpath))) {
        if (subpath.includes('*') || subpath === './package.json') continue;
        const specifier = subpath === '.' ? p.name : `${p.name}/${subpath.slice(2)}`;
        const run = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(specifier)})`], {
          cwd: consumer,
          encoding: 'utf8',
        });
        if (run.status !== 0) failures.push(`${specifier}: ${run.stderr.split('\n').slice(0, 6).join(' | ')}`);
      }
    }
    expect(failures).toEqual([]);

    const help = spawnSync(join(consumer, 'node_modules', '.bin', 'charter'), ['--help'], { cwd: consumer, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    const dryRun = spawnSync(
      join(consumer, 'node_modules', '.bin', 'charter'),
      [
        'new',
        'guardrail-policy',
        'pack-check',
        '--dry-run',
        '--set',
        'name=pack-check',
        '--set',
        'description=A policy from the packed CLI.',
        '--set',
        'owner=group:default/platform-team',
        '--set',
        'repoUrl=github.com?owner=acme&repo=pack-check',
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(dryRun.status, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('.gitignore');
    expect(dryRun.stdout).toContain('nothing written');
  }, 600_000);
});
