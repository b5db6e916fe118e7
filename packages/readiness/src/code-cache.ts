// A V8 code cache for a large CommonJS module (TypeScript's compiler, ~9 MB), made after the module has
// run so that it also holds the functions V8 compiled lazily. Node 20 has no `module.enableCompileCache`.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

export interface CodeCacheLoad {
  /** `hit`: V8 took the stored code; `miss`: none stored; `rejected`: V8 refused it (another V8, other flags); `loaded`: the module was already loaded. */
  readonly cache: 'hit' | 'miss' | 'rejected' | 'loaded';
  /** Stores the code V8 has compiled for the module so far (after a miss or a rejection; otherwise nothing). Never throws. */
  readonly save: () => void;
}

const WRAPPER = '(function (exports, require, module, __filename, __dirname) { ';

/**
 * Loads the CommonJS file `file` into `require.cache` (where a later `require` of it finds it), compiled
 * with the code stored in `cacheDir` for this file (path, size, mtime) and this Node. A stored code V8
 * rejects is replaced by `save()`; an unreadable or unwritable cache only costs the compilation.
 */
export function loadWithCodeCache(file: string, cacheDir: string): CodeCacheLoad {
  const require = createRequire(file);
  if (require.cache[file] !== undefined) return { cache: 'loaded', save: () => undefined };
  const stat = statSync(file);
  const id = createHash('sha256')
    .update(`${file}\n${stat.size}\n${stat.mtimeMs}\n${process.version}\n${process.arch}`)
    .digest('hex')
    .slice(0, 24);
  const cacheFile = join(cacheDir, `${basename(file)}-${id}.v8`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(`${WRAPPER}${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    columnOffset: -WRAPPER.length,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const cache = cachedData === undefined ? 'miss' : script.cachedDataRejected === true ? 'rejected' : 'hit';
  const module = new Module(file);
  module.filename = file;
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  require.cache[file] = module;
  try {
    run.call(module.exports, module.exports, require, module, file, dirname(file));
  } catch (error) {
    Reflect.deleteProperty(require.cache, file);
    throw error;
  }
  module.loaded = true;
  return {
    cache,
    save: () => {
      if (cache === 'hit') return;
      try {
        mkdirSync(cacheDir, { recursive: true });
        const temp = `${cacheFile}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
      } catch {
        // a cache that cannot be written costs the next run the compilation, nothing else
      }
    },
  };
}
