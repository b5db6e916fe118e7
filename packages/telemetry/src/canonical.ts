import type * as NodeCrypto from 'node:crypto';
import { TelemetryError, TelemetryErrorCode } from './errors.js';

// node:crypto is not loaded by Node at startup and costs ≈ 4 ms to load: it is fetched on first use
// (process.getBuiltinModule, Node ≥ 20.16) instead of imported, and kept here for the hot paths.
let cryptoModule: typeof NodeCrypto | undefined;
export function nodeCrypto(): typeof NodeCrypto {
  cryptoModule ??= process.getBuiltinModule('node:crypto');
  return cryptoModule;
}

const MAX_DEPTH = 128;

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers and strings as
 * `JSON.stringify` writes them (the ECMAScript forms RFC 8785 also uses). Object properties whose value
 * is `undefined` are left out, as in JSON. Anything JSON cannot represent faithfully (non-finite
 * numbers, bigint, functions, symbols, `undefined` in an array or at the top, class instances such as
 * `Date` or `Map`, cycles) is a `TELEMETRY_NOT_CANONICAL` error, never a silent conversion.
 */
export function canonicalJson(value: unknown): string {
  return write(value, undefined, 0);
}

/** Where a value sits: built into a JSON pointer only when an error names it (no string per value on the hot path). */
interface Path {
  readonly parent: Path | undefined;
  readonly segment: string | number;
}

function pointer(path: Path | undefined): string {
  let out = '';
  for (let at = path; at !== undefined; at = at.parent) out = `/${at.segment}${out}`;
  return out;
}

function fail(path: Path | undefined, what: string): never {
  throw new TelemetryError(
    TelemetryErrorCode.NotCanonical,
    `cannot write ${what} at "${pointer(path) || '/'}" as canonical JSON: convert it to a string, number, boolean, null, array or plain object first`,
  );
}

function write(value: unknown, path: Path | undefined, depth: number): string {
  if (depth > MAX_DEPTH) fail(path, `a value nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) fail(path, String(value));
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          if (item === undefined) fail({ parent: path, segment: i }, 'undefined');
          out += write(item, { parent: path, segment: i }, depth + 1);
        }
        return out + ']';
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) fail(path, `an instance of ${value.constructor.name}`);
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(key) + ':' + write(item, { parent: path, segment: key }, depth + 1);
      }
      return out + '}';
    }
    default:
      return fail(path, typeof value);
  }
}

/** Lower-case hex SHA-256 of a UTF-8 string (one-shot `crypto.hash`, Node ≥ 20.12: about 2-3× faster than a Hash object on short inputs). */
export function sha256Hex(text: string): string {
  return nodeCrypto().hash('sha256', text, 'hex');
}

/**
 * SHA-256 of the canonical JSON of tool arguments: the `argsHash` of `tool.call` events, audit
 * records and recordings. Equal arguments hash equally whatever their key order.
 */
export function hashArguments(args: unknown): string {
  return sha256Hex(canonicalJson(args));
}
