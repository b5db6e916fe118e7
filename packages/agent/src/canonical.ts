/** A stable string for a JSON-like value (object keys sorted): equal values give equal keys. */
export function canonicalKey(value: unknown): string {
  // Never undefined when not strict.
  return write(value, false, 0) ?? 'undefined';
}

/** Deeper than this, a value is not plain JSON for `jsonKey` (the depth canonical JSON of @charter/telemetry allows). */
const MAX_JSON_DEPTH = 128;

/**
 * The canonical key of a plain JSON value — equal to `canonicalKey(value)` and to the canonical JSON
 * of @charter/telemetry (`canonicalJson`, what `argsHash` hashes) — or `undefined` when the value holds
 * anything those two write differently or JSON cannot represent: `undefined`, a non-finite number, a
 * sparse array, an instance of a class, a bigint, a function, a symbol, nesting deeper than 128.
 */
export function jsonKey(value: unknown): string | undefined {
  return write(value, true, 0);
}

// Loops and string concatenation, no intermediate arrays: this runs on every tool call (loop detection).
function write(value: unknown, strict: boolean, depth: number): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return strict && !Number.isFinite(value) ? undefined : JSON.stringify(value);
    case 'object':
      break;
    default:
      // Non-strict: `undefined`, functions and symbols as the text "undefined"; a bigint throws, as in JSON.
      if (strict) return undefined;
      return value === undefined ? 'undefined' : text(value);
  }
  if (strict && depth > MAX_JSON_DEPTH) return undefined;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (i in value) {
        const item = write(value[i], strict, depth + 1);
        if (item === undefined) return undefined;
        out += item;
      } else if (strict) return undefined;
    }
    return `${out}]`;
  }
  if (strict) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return undefined;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (!sorted(keys)) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = write(record[key], strict, depth + 1);
    if (item === undefined) return undefined;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${item}`;
  }
  return `${out}}`;
}

function sorted(keys: readonly string[]): boolean {
  let previous: string | undefined;
  for (const key of keys) {
    if (previous !== undefined && previous > key) return false;
    previous = key;
  }
  return true;
}

/** `JSON.stringify` of a function or a symbol, which is undefined: the text "undefined" then. */
function text(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  return json ?? 'undefined';
}
