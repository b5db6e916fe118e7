import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: readonly z.ZodType[];
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Strips wrappers (optional, default, pipe, lazy…) to the schemas that may describe a value. */
function unwrap(schema: z.ZodType, depth = 0): z.ZodType[] {
  if (depth > 32) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return def.innerType ? unwrap(def.innerType, depth + 1) : [];
    case 'pipe':
      return def.in ? unwrap(def.in, depth + 1) : [];
    case 'lazy':
      return def.getter ? unwrap(def.getter(), depth + 1) : [];
    case 'union':
      return (def.options ?? []).flatMap((option) => unwrap(option, depth + 1));
    default:
      return [schema];
  }
}

/** The schemas that describe the value at `path` in a document validated by `root`. */
export function schemasAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType[] {
  let current = unwrap(root);
  for (const segment of path) {
    const next: z.ZodType[] = [];
    for (const schema of current) {
      const def = defOf(schema);
      if (def.type === 'object' && typeof segment === 'string') {
        const field = def.shape?.[segment];
        if (field) next.push(...unwrap(field));
      } else if (def.type === 'array' && typeof segment === 'number' && def.element) {
        next.push(...unwrap(def.element));
      } else if (def.type === 'record' && def.valueType) {
        next.push(...unwrap(def.valueType));
      }
    }
    current = next;
  }
  return current;
}

/** Keys an object at `path` may have, for "did you mean" suggestions. */
export function knownKeysAt(root: z.ZodType, path: readonly PropertyKey[], _data?: unknown): string[] {
  const keys = new Set<string>();
  for (const schema of schemasAt(root, path)) {
    const def = defOf(schema);
    if (def.type === 'object') for (const key of Object.keys(def.shape ?? {})) keys.add(key);
  }
  return [...keys];
}
