// The templates' package.json files depend on @charter/* by version range, never by path. This keeps
// those ranges in step with the packages: it reports a range the current version does not satisfy (or
// a path, file: or workspace: dependency), and with --write sets each range to ^<current version>.
// `npm run version-packages` runs it after `changeset version`; scripts/template-versions.test.ts checks it.
//   node scripts/template-versions.mjs [--write]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import semver from 'semver';
import { publicPackages } from './packages.mjs';

const DEPENDENCY = /"(@charter\/[a-z0-9-]{1,60})": "([^"\n]{1,100})"/g;

/** Every skeleton package.json under templates/. */
function skeletonManifests(root) {
  const templates = join(root, 'templates');
  const found = [];
  for (const entry of readdirSync(templates, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(templates, entry.name, 'skeleton', 'package.json');
    try {
      readFileSync(file);
      found.push(file);
    } catch {
      // a template without a package
    }
  }
  return found.sort();
}

/**
 * Problems of the skeletons' @charter dependencies (and, with `write`, the fixed files).
 * @returns {{ file: string; name: string; range: string; message: string }[]}
 */
export function checkTemplateVersions(root, { write = false } = {}) {
  const versions = new Map(publicPackages(root).map((p) => [p.name, p.version]));
  const problems = [];
  for (const file of skeletonManifests(root)) {
    const text = readFileSync(file, 'utf8');
    const updated = text.replace(DEPENDENCY, (whole, name, range) => {
      const version = versions.get(name);
      const rel = relative(root, file);
      if (version === undefined) {
        problems.push({ file: rel, name, range, message: `${name} is not a public package of this repository` });
        return whole;
      }
      const byRange = semver.validRange(range) !== null && !/^(?:file|link|workspace|git|https?):|^[./]/.test(range);
      if (byRange && semver.satisfies(version, range)) return whole;
      problems.push({
        file: rel,
        name,
        range,
        message: byRange ? `${name} is at ${version}, outside "${range}"` : `${name} must be a version range, not "${range}"`,
      });
      return `"${name}": "^${version}"`;
    });
    if (write && updated !== text) writeFileSync(file, updated);
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const write = process.argv.includes('--write');
  const problems = checkTemplateVersions(join(import.meta.dirname, '..'), { write });
  for (const problem of problems) console.log(`${problem.file}: ${problem.message}${write ? ' (fixed)' : ''}`);
  if (problems.length === 0) console.log('template versions: every @charter dependency is a range the current version satisfies');
  process.exitCode = problems.length > 0 && !write ? 1 : 0;
}
