// `npm run registry:start` / `npm run registry:stop`: a local stand-in for your organisation's npm
// registry, for trying the golden path from a checkout (docs/getting-started.md). It builds the packages,
// starts Verdaccio (tools/verdaccio) in the background on 127.0.0.1:4873 with its storage in
// .charter/registry/, and publishes every public @charter/* package there with changeset publish. A
// project then maps the scope in its .npmrc: `@charter:registry=http://127.0.0.1:4873/`.
// The server stops itself after an hour if `stop` never comes.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser, ensureVerdaccio, publishAll, verdaccioCommand, waitFor, writeConfig } from './verdaccio.mjs';

const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, '.charter', 'registry');
const PID = join(DIR, 'pids.json');
const PORT = Number(process.env.CHARTER_REGISTRY_PORT ?? 4873);
const URL_ = `http://127.0.0.1:${PORT}/`;
const TTL_MS = 60 * 60 * 1000;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function stop() {
  if (existsSync(PID)) {
    for (const pid of JSON.parse(readFileSync(PID, 'utf8'))) if (alive(pid)) process.kill(pid, 'SIGTERM');
  }
  rmSync(DIR, { recursive: true, force: true });
  console.log('registry: stopped');
}

async function start() {
  if (existsSync(PID) && JSON.parse(readFileSync(PID, 'utf8')).some(alive)) {
    console.error(`registry: already running on ${URL_} (npm run registry:stop first)`);
    process.exit(1);
  }
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  ensureVerdaccio();
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const [command, args] = verdaccioCommand(writeConfig(DIR, ['@charter']), PORT);
  const log = openSync(join(DIR, 'verdaccio.log'), 'a');
  const server = spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
  server.unref();
  closeSync(log);
  // A watchdog ends a forgotten server after an hour.
  const watchdog = spawn(process.execPath, ['-e', `setTimeout(() => { try { process.kill(${server.pid}) } catch {} }, ${TTL_MS})`], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  writeFileSync(PID, JSON.stringify([server.pid, watchdog.pid]));
  try {
    await waitFor(`${URL_}-/ping`, undefined, 30_000);
    const token = await createUser(URL_);
    const published = publishAll(ROOT, URL_, token, join(DIR, 'publisher.npmrc'));
    if (published.status !== 0) throw new Error(`changeset publish failed:\n${published.stdout}\n${published.stderr}`);
  } catch (error) {
    stop();
    console.error(`registry: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  console.log(
    `registry: ${URL_} serves every public @charter package; map the scope with @charter:registry=${URL_} (npm run registry:stop ends it)`,
  );
}

const command = process.argv[2];
if (command === 'start') await start();
else if (command === 'stop') stop();
else {
  console.error('usage: node scripts/local-registry.mjs start|stop');
  process.exit(2);
}
