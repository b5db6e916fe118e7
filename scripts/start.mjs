// `npm start`: build the CLI (and what it depends on) and validate every Charter document in the repo.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };
const build = spawnSync('npx', ['turbo', 'run', 'build', '--filter=@charter/cli...', '--output-logs=errors-only'], { stdio: ['ignore', 'ignore', 'inherit'], env });
if (build.status !== 0) {
  console.error('npm start: the build failed (run `npx turbo run build` to see why)');
  process.exit(build.status ?? 1);
}
const validate = spawnSync(process.execPath, ['packages/cli/dist/bin.js', 'validate', ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(validate.status ?? 1);
