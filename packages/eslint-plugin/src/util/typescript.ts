import { createRequire } from 'node:module';
import type TypeScript from 'typescript';

/**
 * The TypeScript compiler API, loaded with `require`: an ESM `import` of its 9 MB CommonJS file makes
 * Node scan the whole file for export names first (measured: ~450 ms CPU on every lint that loads the
 * plugin, on top of the ~200 ms `require` itself). Types come from `import type ts from 'typescript'`.
 */
export const typescript: typeof TypeScript = createRequire(import.meta.url)('typescript') as typeof TypeScript;
