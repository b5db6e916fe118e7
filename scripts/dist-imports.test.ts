// Every built module of every package imports on its own, in a fresh module graph (one Node process
// each): import cycles and modules that depend on another module having been imported first fail here.
// `npm test` builds every package before vitest runs; alone: `npx turbo run build && npx vitest run --project scripts`.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distModules, importEachAlone } from './dist-imports.mjs';

const repo = join(import.meta.dirname, '..');

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'charter-dist-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('importEachAlone', () => {
  it('catches a module that only loads when its cycle partner was imported first', async () => {
    const root = tree({
      'package.json': JSON.stringify({ name: 'fixture', private: true, workspaces: ['packages/*'] }),
      'plugins/unbuilt/package.json': JSON.stringify({ name: 'plugin', scripts: { build: 'tsc' } }),
      'packages/p/package.json': JSON.stringify({ name: 'p', type: 'module', bin: { p: './dist/cli.js' }, scripts: { build: 'tsc' } }),
      // index imports a first, which works; b alone evaluates a first, whose `fromB` reads b before b is set.
      'packages/p/dist/index.js': "export { a } from './a.js';\nexport { b } from './b.js';\n",
      'packages/p/dist/a.js': "import { b } from './b.js';\nexport function a() { return 1; }\nexport const fromB = b;\n",
      'packages/p/dist/b.js': "import { a } from './a.js';\nexport const b = a();\n",
      'packages/p/dist/cli.js': "if (!process.argv.includes('--help')) throw new Error('run without --help');\nconsole.log('usage: p');\n",
      'packages/q/package.json': JSON.stringify({ name: 'q', type: 'module', scripts: { build: 'tsc' } }),
    });
    const { modules, unbuilt } = distModules(root);
    expect(unbuilt).toEqual(['packages/q']);
    expect(modules.map(({ rel, program }) => `${rel}${program ? ' (program)' : ''}`)).toEqual([
      'packages/p/dist/a.js',
      'packages/p/dist/b.js',
      'packages/p/dist/cli.js (program)',
      'packages/p/dist/index.js',
    ]);
    const results = await importEachAlone(modules);
    expect(results.filter((result) => !result.ok).map((result) => result.module.rel)).toEqual(['packages/p/dist/b.js']);
    expect(results.find((result) => !result.ok)?.output).toContain('ReferenceError');
  });
});

describe('the repository', () => {
  it('every dist module of every package imports on its own', async () => {
    const { modules, unbuilt } = distModules(repo);
    expect(unbuilt, 'packages without dist/: build first (npm test does; alone: npx turbo run build)').toEqual([]);
    expect(modules.length).toBeGreaterThan(50);
    const failed = (await importEachAlone(modules))
      .filter((result) => !result.ok)
      .map(({ module, status, timedOut, output }) => `${module.rel}: ${timedOut ? 'timed out' : `exit ${String(status)}`}\n${output}`);
    expect(failed).toEqual([]);
  });
});
