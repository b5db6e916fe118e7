// `node scripts/conventions.mjs [root]`: the repository's conventions check (run by `npm test` before the
// build). Dependency layers and declared dependencies from the actual imports, package READMEs, catalog
// files and error codes; see scripts/conventions/*.mjs and docs/architecture/index.md. Prints one line
// per violation (`file:line: message [rule]`); exit 0 when there is none, 1 when there are, 2 on bad use.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkConventions, formatViolation } from './conventions/check.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h') || args.length > 1) {
  console.log('usage: node scripts/conventions.mjs [repository root]');
  process.exit(args.length > 1 ? 2 : 0);
}
const root = resolve(args[0] ?? resolve(import.meta.dirname, '..'));
if (!existsSync(resolve(root, 'package.json'))) {
  console.error(`conventions: ${root} has no package.json: give the repository root`);
  process.exit(2);
}
const started = performance.now();
const { violations, packages } = await checkConventions(root);
for (const violation of violations) console.error(formatViolation(violation));
const took = `${Math.round(performance.now() - started)} ms`;
if (violations.length > 0) {
  console.error(`conventions: ${violations.length} violation${violations.length === 1 ? '' : 's'} in ${packages} packages (${took})`);
  process.exit(1);
}
console.log(`conventions: ${packages} packages follow the conventions (${took})`);
