// `prepare` (npm runs it at the end of `npm ci` and `npm install` in this repository): builds the CLI
// and the workspace packages it imports through turbo, so `npx charter` works right after `npm ci`.
// Later builds (`npm test`, `npm start`) hit turbo's cache for these packages.
//
// A failed build does not fail the install: the packages are installed, and the message below says
// what does not work yet. `npm test` builds everything again and fails on the same error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const turbo = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo');
if (!existsSync(turbo)) {
  console.warn('prepare: turbo is not installed (dev dependencies omitted?): the CLI was not built; run "npm run build" later');
  process.exit(0);
}
const started = Date.now();
const result = spawnSync(turbo, ['run', 'build', '--filter=@charter/cli...', '--output-logs=errors-only'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
});
if (result.status !== 0) {
  console.warn(
    `prepare: building the CLI failed (exit ${result.status ?? result.signal ?? '?'}): "npx charter" will not work until "npm run build" passes`,
  );
  process.exit(0);
}
console.log(`prepare: built the charter CLI and its packages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
