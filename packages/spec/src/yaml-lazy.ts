import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as JsYaml from 'js-yaml';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);
let loaded: typeof Yaml | undefined;
let fast: typeof JsYaml | undefined;

/**
 * The `yaml` CST parser, loaded on first use. Valid documents never need it (js-yaml reads them), so
 * a process that only loads valid manifests does not pay its import (≈ 37 ms measured under load).
 * Node resolves `yaml` to the same CommonJS build for `import` and `require`, so this is the one copy.
 */
export function yamlCst(): typeof Yaml {
  loaded ??= require('yaml') as typeof Yaml;
  return loaded;
}

/**
 * js-yaml, loaded on first use, so importing @charter/spec (and every package above it) does not
 * pay for it when no YAML is read. `require('js-yaml')` would pick its CommonJS build (25 files,
 * ≈ 20 ms); its single-file ES module build (≈ 10 ms) is what `import 'js-yaml'` loads, so that file
 * is required (require(esm), Node ≥ 20.19: the same module instance as an import). Where
 * require(esm) is turned off, the CommonJS build — the same code — is used instead.
 */
export function jsYaml(): typeof JsYaml {
  if (fast === undefined) {
    try {
      fast = require(join(dirname(require.resolve('js-yaml/package.json')), 'dist', 'js-yaml.mjs')) as typeof JsYaml;
    } catch {
      fast = require('js-yaml') as typeof JsYaml;
    }
  }
  return fast;
}
