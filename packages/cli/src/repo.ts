import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest ancestor of `from` holding `.git` (the repository root), else `from` itself. */
export function findRepoRoot(from: string): string {
  let current = from;
  for (;;) {
    if (existsSync(join(current, '.git'))) return current;
    const parent = dirname(current);
    if (parent === current) return from;
    current = parent;
  }
}
