/** A stable string for a JSON-like value (object keys sorted): equal values give equal keys. */
export function canonicalKey(value: unknown): string {
  if (value === null || typeof value !== 'object') return value === undefined ? 'undefined' : JSON.stringify(value);
  // Loops and string concatenation, no intermediate arrays: this runs on every tool call (loop detection).
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (i in value) out += canonicalKey(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (!sorted(keys)) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalKey(record[key])}`;
  }
  return `${out}}`;
}

function sorted(keys: readonly string[]): boolean {
  let previous = '';
  for (const [i, key] of keys.entries()) {
    if (i > 0 && previous > key) return false;
    previous = key;
  }
  return true;
}
