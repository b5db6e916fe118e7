/** A stable string for a JSON-like value (object keys sorted): equal values give equal keys. */
export function canonicalKey(value: unknown): string {
  if (value === null || typeof value !== 'object') return value === undefined ? 'undefined' : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalKey).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalKey(record[key])}`)
    .join(',')}}`;
}
