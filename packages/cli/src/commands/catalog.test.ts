import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIo } from '../testing.js';

const repo = join(import.meta.dirname, '..', '..', '..', '..');
const fixture = join(repo, 'packages', 'catalog', 'src', '__fixtures__', 'repo');

/** A copy of the catalog package's fixture repository, made a git checkout root (charter catalog finds the root by .git). */
function copy(): string {
  const root = mkdtempSync(join(tmpdir(), 'charter-catalog-cli-'));
  cpSync(fixture, root, { recursive: true });
  mkdirSync(join(root, '.git'));
  return root;
}

describe('charter catalog', () => {
  it('charter catalog --check passes on this repository: the committed catalog is what the repository generates', async () => {
    const io = captureIo(repo);
    const code = await main(['catalog', '--check'], io);
    expect(io.out()).toMatch(/✔ \d+ entities in \d+ generated files, up to date/);
    expect(code).toBe(0);
  });

  it('writes the catalog from a sub-folder of the repository, then --check passes', async () => {
    const root = copy();
    const first = captureIo(join(root, 'agents', 'desk'));
    expect(await main(['catalog'], first)).toBe(0);
    expect(first.out()).toContain(`wrote ${join(root, 'catalog', 'generated', 'agents.yaml')}`);
    expect(existsSync(join(root, 'catalog-info.yaml'))).toBe(true);
    const check = captureIo(root);
    expect(await main(['catalog', '--check'], check)).toBe(0);
  });

  it('--check fails (exit 1) on a stale file and on a dangling owner, naming file:line', async () => {
    const root = copy();
    expect(await main(['catalog'], captureIo(root))).toBe(0);
    const agents = join(root, 'catalog', 'generated', 'agents.yaml');
    writeFileSync(agents, readFileSync(agents, 'utf8').replace('lifecycle: experimental', 'lifecycle: production'));
    const manifest = join(root, 'agents', 'desk', 'agent.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('owner: group:default/care', 'owner: group:default/ghosts'));
    const io = captureIo(root);
    expect(await main(['catalog', '--check'], io)).toBe(1);
    expect(io.out()).toContain('agents/desk/agent.yaml:7:10: error: component:desk spec.owner names group:default/ghosts');
    expect(io.out()).toMatch(/catalog\/generated\/agents\.yaml:\d+:1: error: catalog\/generated\/agents\.yaml differs/);
    expect(readFileSync(agents, 'utf8')).toContain('lifecycle: production'); // --check writes nothing
  });

  it('--json reports files and issues; --out writes everything into a folder', async () => {
    const root = copy();
    const out = join(root, 'preview');
    const io = captureIo(root);
    expect(await main(['catalog', '--out', 'preview', '--json'], io)).toBe(0);
    const report = JSON.parse(io.out()) as { ok: boolean; files: string[]; issues: unknown[] };
    expect(report).toMatchObject({ ok: true, issues: [] });
    expect(report.files).toContain('preview/catalog-info.yaml');
    expect(existsSync(join(out, 'agents.yaml'))).toBe(true);
    expect(existsSync(join(root, 'catalog-info.yaml'))).toBe(false);
  });

  it('a repository without charter.catalog is a usage-class error (exit 2) that says what to add', async () => {
    const root = copy();
    writeFileSync(join(root, 'package.json'), '{ "name": "x" }\n');
    const io = captureIo(root);
    expect(await main(['catalog'], io)).toBe(2);
    expect(io.err()).toContain('charter.catalog is missing: add "charter": { "catalog"');
  });
});
