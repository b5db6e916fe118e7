import { createRequire } from 'node:module';
import type * as Semver from 'semver';

// `semver` loads 47 CommonJS files (≈ 30 ms on this project's machines) and only validation needs
// it, never an import: each function is required on first use, by its own module, so validating a
// version loads the 21 files it needs and nothing at import time. semver has no shared state.
const require = createRequire(import.meta.url);
let valid: typeof Semver.valid | undefined;
let validRange: typeof Semver.validRange | undefined;

/** Whether `value` is a valid semver version (`semver.valid(value) !== null`). */
export function isSemverVersion(value: string): boolean {
  valid ??= require('semver/functions/valid.js') as typeof Semver.valid;
  return valid(value) !== null;
}

/** Whether `value` is a valid semver range (`semver.validRange(value) !== null`). */
export function isSemverRange(value: string): boolean {
  validRange ??= require('semver/ranges/valid.js') as typeof Semver.validRange;
  return validRange(value) !== null;
}
