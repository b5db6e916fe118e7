// `npm start`: build the reference agent (and the packages it uses), validate every Charter document
// in the repository, then run the reference agent's scenario suite offline with the embedded models.
// No API key, no server. Events, the audit log and escalations are written under .charter/.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };
const step = (label, command, args, stdio = 'inherit') => {
  const result = spawnSync(command, args, { stdio, env });
  if (result.status !== 0) {
    console.error(`npm start: ${label} failed (exit ${result.status ?? 'signal'})`);
    process.exit(result.status ?? 1);
  }
};

console.log('Building the CLI and the reference agent…');
step(
  'the build',
  'npx',
  ['turbo', 'run', 'build', '--filter=@charter/cli...', '--filter=@charter/reference-agent...', '--output-logs=errors-only'],
  ['ignore', 'ignore', 'inherit'],
);
console.log('\n$ charter validate');
step('charter validate', process.execPath, ['packages/cli/bin/charter.js', 'validate']);
console.log('\n$ reference agent: scenario suite (offline models)');
step('the scenario suite', process.execPath, ['packages/reference-agent/dist/main.js', ...process.argv.slice(2)]);
