// `npm ci && npx charter` must work from a fresh clone: npm links the bin before anything is built,
// so the bin is a committed, executable file that no build rewrites (tsc used to emit it without its
// execute bit: "Permission denied", exit 127). The fresh-clone run itself is scripts/docs-examples.mjs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cliRoot = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };

describe('the charter bin', () => {
  it('is bin/charter.js, shipped in the package, outside what tsc emits', () => {
    expect(pkg.bin).toEqual({ charter: './bin/charter.js' });
    expect(pkg.files).toContain('bin');
    const build = JSON.parse(readFileSync(join(cliRoot, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { rootDir: string } };
    expect(build.compilerOptions.rootDir).toBe('src');
  });

  it('is committed executable (git mode 100755) and is executable here', () => {
    const staged = spawnSync('git', ['ls-files', '--stage', '--', 'bin/charter.js'], { cwd: cliRoot, encoding: 'utf8' });
    expect(staged.stdout).toMatch(/^100755 /);
    expect(statSync(join(cliRoot, 'bin', 'charter.js')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(cliRoot, 'bin', 'charter.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('without a build it says what to run and exits 70, instead of a module-not-found trace', () => {
    // A copy of the package with no dist/: what a checkout looks like before the first build.
    const dir = mkdtempSync(join(tmpdir(), 'charter-bin-'));
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(cliRoot, 'bin', 'charter.js'), join(dir, 'bin', 'charter.js'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: '@charter/cli',
        type: 'module',
        exports: { '.': { default: './dist/index.js' }, './main': { default: './dist/main.js' } },
      }),
    );
    const result = spawnSync(process.execPath, [join(dir, 'bin', 'charter.js'), '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(70);
    expect(result.stderr).toMatch(/^charter: the CLI is not built \(.*dist\/main\.js.*\): run "npm run build" in the repository/);
    expect(result.stderr).not.toContain('    at ');
  });

  it('loads only the command it runs: charter check does not load the server (fastify) that charter serve loads', () => {
    // Reports at exit which CommonJS packages were loaded (they appear in require.cache).
    const probe = `data:text/javascript,${encodeURIComponent(`
      import { createRequire } from 'node:module';
      const cache = createRequire(process.execPath).cache;
      process.on('exit', () => process.stderr.write('@@loaded ' + JSON.stringify(Object.keys(cache).some((f) => /[\\\\/]node_modules[\\\\/]fastify[\\\\/]/.test(f))) + '\\n'));
    `)}`;
    const loadsFastify = (command: string): boolean => {
      const result = spawnSync(
        process.execPath,
        ['--conditions=@charter/source', '--import', 'tsx', '--import', probe, join(cliRoot, 'bin', 'charter.js'), command, '--help'],
        { cwd: cliRoot, encoding: 'utf8' },
      );
      expect(result.status, result.stderr).toBe(0);
      const loaded = /@@loaded (true|false)/.exec(result.stderr)?.[1];
      if (loaded === undefined) throw new Error(`the probe did not report: ${result.stderr}`);
      return loaded === 'true';
    };
    expect(loadsFastify('serve')).toBe(true);
    expect(loadsFastify('check')).toBe(false);
  }, 120_000);

  it("charter check compiles TypeScript through V8's code cache in the user's cache folder: made once, then used as it is", () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'charter-xdg-cache-'));
    const agent = join(cliRoot, '..', 'readiness', 'src', '__fixtures__', 'agent');
    const check = (): { lint: { ran: boolean; problems: number; durationMs: number } } => {
      const result = spawnSync(
        process.execPath,
        [
          '--conditions=@charter/source',
          '--import',
          'tsx',
          join(cliRoot, 'bin', 'charter.js'),
          'check',
          agent,
          '--no-lint-cache',
          '--commit',
          '0123456789abcdef0123456789abcdef01234567',
          '--format',
          'json',
        ],
        { cwd: cliRoot, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome } },
      );
      expect([0, 1], result.stderr).toContain(result.status);
      return JSON.parse(result.stdout) as { lint: { ran: boolean; problems: number; durationMs: number } };
    };
    const folder = join(cacheHome, 'charter', 'v8');
    const first = check();
    expect(first.lint.ran).toBe(true);
    const stored = readdirSync(folder);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^typescript\.js-[0-9a-f]{24}\.v8$/);
    const written = statSync(join(folder, stored[0] ?? '')).mtimeMs;
    const second = check();
    expect({ ...second.lint, durationMs: 0 }).toEqual({ ...first.lint, durationMs: 0 });
    expect(readdirSync(folder)).toEqual(stored);
    expect(statSync(join(folder, stored[0] ?? '')).mtimeMs).toBe(written); // taken, not written again
    rmSync(cacheHome, { recursive: true, force: true });
  }, 180_000);
});
