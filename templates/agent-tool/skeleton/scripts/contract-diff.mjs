// `npm run contract:diff`: compares contract/tool.json with the contract of the last release of this
// package on the registry (`npm pack <name>@latest`), with `charter tools diff`: exit 1 when a breaking
// change comes without a major version bump. The first release has nothing to compare with.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const dir = '.contract-release';
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const packed = spawnSync(npm, ['pack', `${pkg.name}@latest`, '--pack-destination', dir, '--loglevel=error'], { encoding: 'utf8' });
if (packed.status !== 0) {
  if (/E404|404 Not Found|is not in this registry/.test(packed.stderr)) {
    console.log(`contract:diff: ${pkg.name} has no release yet: nothing to compare with`);
    process.exit(0);
  }
  console.error(`contract:diff: cannot fetch the last release of ${pkg.name}: ${packed.stderr}`);
  process.exit(2);
}
const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'));
const untar = spawnSync('tar', ['xzf', join(dir, tarball), '-C', dir], { encoding: 'utf8' });
const released = join(dir, 'package', 'contract', 'tool.json');
if (untar.status !== 0 || !existsSync(released)) {
  console.log(`contract:diff: the last release of ${pkg.name} has no contract/tool.json: nothing to compare with`);
  process.exit(0);
}
const diff = spawnSync('npx', ['charter', 'tools', 'diff', released, 'contract/tool.json'], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
process.exit(diff.status ?? 2);
