// `prepack` / `postpack` of @charter/cli: the published package carries the repository's templates
// (templates/<name>/template.yaml + skeleton/) in its own templates/ folder, so `charter new <name>`
// works from an installed CLI. `--clean` removes the copy again after packing.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const pkg = join(import.meta.dirname, '..');
const target = join(pkg, 'templates');
rmSync(target, { recursive: true, force: true });
if (!process.argv.includes('--clean')) {
  const source = join(pkg, '..', '..', 'templates');
  if (!existsSync(source)) {
    process.stderr.write(`bundle-templates: no templates at ${source}\n`);
    process.exit(1);
  }
  // templates/tsconfig.json is the repository's lint setup for the skeletons, not part of a template.
  const lintConfig = join(source, 'tsconfig.json');
  cpSync(source, target, { recursive: true, filter: (path) => path !== lintConfig && !/[/\\](?:node_modules|dist)(?:[/\\]|$)/.test(path) });
}
