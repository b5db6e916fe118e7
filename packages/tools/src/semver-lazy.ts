import { createRequire } from 'node:module';
import type * as Semver from 'semver';

// `import semver from 'semver'` loads 47 CommonJS files (≈ 30 ms) when @charter/tools is imported,
// and nothing needs it before a tool is defined or a registry built. Each function below is required
// on first use from its own semver module (the same code `semver`'s index re-exports), so importing
// costs nothing and the first use loads only the files that function needs. semver keeps no state.
const require = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

function fn(path: string): unknown {
  let f = loaded.get(path);
  if (f === undefined) {
    f = require(path);
    loaded.set(path, f);
  }
  return f;
}

/** The parts of `semver` this package uses, each loaded on first call. */
export const semver = {
  valid: (version: string): string | null => (fn('semver/functions/valid.js') as typeof Semver.valid)(version),
  eq: (a: string, b: string): boolean => (fn('semver/functions/eq.js') as typeof Semver.eq)(a, b),
  compare: (a: string, b: string): 1 | 0 | -1 => (fn('semver/functions/compare.js') as typeof Semver.compare)(a, b),
  rcompare: (a: string, b: string): 1 | 0 | -1 => (fn('semver/functions/rcompare.js') as typeof Semver.rcompare)(a, b),
  major: (version: string): number => (fn('semver/functions/major.js') as typeof Semver.major)(version),
  minor: (version: string): number => (fn('semver/functions/minor.js') as typeof Semver.minor)(version),
  satisfies: (version: string, range: string): boolean => (fn('semver/functions/satisfies.js') as typeof Semver.satisfies)(version, range),
} as const;
