import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWithCodeCache } from './code-cache.js';

const work = mkdtempSync(join(tmpdir(), 'charter-code-cache-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const require = createRequire(import.meta.url);
let counter = 0;
/** A CommonJS module whose exported function returns `value`, with a lazily compiled inner function. */
function writeModule(value: string): string {
  const file = join(work, `module-${counter++}.cjs`);
  writeFileSync(file, moduleSource(value));
  return file;
}
function moduleSource(value: string): string {
  return `'use strict';\nconst path = require('node:path');\nfunction inner(x) { return [x, ${JSON.stringify(value)}].join(path.sep === '/' ? ':' : ';'); }\nmodule.exports = { answer: (x) => inner(x), file: __filename };\n`;
}
const unload = (file: string): void => {
  Reflect.deleteProperty(require.cache, file);
};
interface Exported {
  answer: (x: string) => string;
  file: string;
}

// Each load runs in a fresh Node process: within one process V8 keeps compiled scripts by source, and
// would answer a second compilation of the same text from memory whatever the stored code says.
function loadInChild(file: string, cacheDir: string, save = true): { cache: string; answer: string } {
  const child = `
const { createRequire } = await import('node:module');
const { loadWithCodeCache } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'code-cache.ts')).href)});
const [file, cacheDir, save] = process.argv.slice(1);
const load = loadWithCodeCache(file, cacheDir);
const answer = createRequire(file)(file).answer('x');
if (save === 'save') load.save();
process.stdout.write(JSON.stringify({ cache: load.cache, answer }));
`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, file, cacheDir, save ? 'save' : 'no'], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { cache: string; answer: string };
}

describe('loadWithCodeCache', () => {
  it('compiles and stores on a miss, takes the stored code in the next process; already loaded modules are left alone', () => {
    const file = writeModule('one');
    const cacheDir = join(work, 'cache-a');
    expect(loadInChild(file, cacheDir, false)).toEqual({ cache: 'miss', answer: 'x:one' });
    expect(existsSync(cacheDir)).toBe(false); // nothing written without save()
    expect(loadInChild(file, cacheDir)).toEqual({ cache: 'miss', answer: 'x:one' });
    expect(readdirSync(cacheDir)).toHaveLength(1);
    expect(loadInChild(file, cacheDir)).toEqual({ cache: 'hit', answer: 'x:one' });

    // In this process: the module goes where require finds it; a second load leaves it.
    const load = loadWithCodeCache(file, join(work, 'cache-in-process'));
    const exported = require(file) as Exported;
    expect(exported.answer('y')).toBe('y:one');
    expect(exported.file).toBe(file);
    expect(loadWithCodeCache(file, join(work, 'cache-in-process')).cache).toBe('loaded');
    expect(require(file)).toBe(exported);
    expect(['miss', 'hit']).toContain(load.cache);
    unload(file);
  });

  it('a stored code V8 refuses is a rejection, replaced on save; a changed file never runs the old code', () => {
    const file = writeModule('two');
    const cacheDir = join(work, 'cache-b');
    loadInChild(file, cacheDir);
    const [stored] = readdirSync(cacheDir);
    if (stored === undefined) throw new Error('no code stored');
    writeFileSync(join(cacheDir, stored), Buffer.from('not V8 code at all'));
    expect(loadInChild(file, cacheDir)).toEqual({ cache: 'rejected', answer: 'x:two' });
    expect(readFileSync(join(cacheDir, stored)).length).toBeGreaterThan(100);
    expect(loadInChild(file, cacheDir)).toEqual({ cache: 'hit', answer: 'x:two' });

    // The same path, another content (and size): another entry, the new code.
    writeFileSync(file, moduleSource('three, changed'));
    expect(loadInChild(file, cacheDir)).toEqual({ cache: 'miss', answer: 'x:three, changed' });
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it('a cache folder that cannot be written costs nothing but the compilation', () => {
    const file = writeModule('four');
    const blocked = join(work, 'blocked');
    writeFileSync(blocked, 'a file where the cache folder should be');
    const load = loadWithCodeCache(file, join(blocked, 'v8'));
    expect(load.cache).toBe('miss');
    expect(() => {
      load.save();
    }).not.toThrow();
    expect((require(file) as Exported).answer('v')).toBe('v:four');
    unload(file);
  });

  it('a module that throws while it runs is not left in require.cache', () => {
    const file = join(work, 'throws.cjs');
    writeFileSync(file, "throw new Error('broken module');\n");
    expect(() => loadWithCodeCache(file, join(work, 'cache-c'))).toThrow(/broken module/);
    expect(require.cache[file]).toBeUndefined();
  });
});
