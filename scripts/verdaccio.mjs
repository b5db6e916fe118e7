// A throwaway Verdaccio (tools/verdaccio, its own lockfile; 6.8.x runs on Node 20) on 127.0.0.1: a
// temporary storage folder and config, local packages only (no uplink: every other package comes from
// the public registry through the consumer's .npmrc), one user whose token can publish. `stop()` kills
// the process and removes its folder. scripts/local-registry.mjs runs the same setup in the background.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
export const VERDACCIO_DIR = join(ROOT, 'tools', 'verdaccio');
const BIN = join(VERDACCIO_DIR, 'node_modules', 'verdaccio', 'bin', 'verdaccio');

/** Installs Verdaccio from tools/verdaccio/package-lock.json when it is not there yet (`npm ci`, ~45 s). */
export function ensureVerdaccio() {
  if (existsSync(BIN)) return;
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: VERDACCIO_DIR, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm ci in tools/verdaccio failed: ${result.stderr}`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `url` answers 2xx (the child, when given, must not have exited). */
export async function waitFor(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child !== undefined && child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode} before answering`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`verdaccio did not answer ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Writes a Verdaccio config into `dir` (storage and users inside it): the scopes a user may publish, nothing proxied. */
export function writeConfig(dir, scopes) {
  const packages = scopes
    .map((scope) => `  '${scope}/*':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n`)
    .join('');
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `storage: ${join(dir, 'storage')}\nauth:\n  htpasswd:\n    file: ${join(dir, 'htpasswd')}\n    max_users: 10\nuplinks: {}\npackages:\n${packages}  '**':\n    access: $all\nmax_body_size: 50mb\nlog: { type: stdout, format: pretty, level: warn }\n`,
  );
  return file;
}

/** The command and arguments that run Verdaccio with `config` on 127.0.0.1:`port`. */
export function verdaccioCommand(config, port) {
  return [process.execPath, [BIN, '--config', config, '--listen', `127.0.0.1:${port}`]];
}

/** Creates the registry's one user and returns its token (a fresh registry only). */
export async function createUser(url) {
  const response = await fetch(`${url}-/user/org.couchdb.user:golden`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'golden', password: 'golden-path-test' }),
  });
  const body = await response.json();
  if (!response.ok || typeof body.token !== 'string')
    throw new Error(`cannot create the Verdaccio user: ${response.status} ${JSON.stringify(body)}`);
  return body.token;
}

/**
 * Publishes every public package of `root` to `url` with changeset publish (what `npm run release` runs
 * after the build), the registry and token given through the environment. `npm run` and `npx` rewrite
 * npm_config_* variables for what they start, so the changeset binary runs directly.
 */
export function publishAll(root, url, token, userconfig) {
  writeFileSync(userconfig, `${url.replace(/^http:/, '')}:_authToken=${token}\n`);
  const env = { ...process.env, 'npm_config_@charter:registry': url, npm_config_userconfig: userconfig };
  return spawnSync(join(root, 'node_modules', '.bin', 'changeset'), ['publish', '--no-git-tag'], { cwd: root, env, encoding: 'utf8' });
}

/**
 * Starts Verdaccio for the scopes given (each `@scope/*` may be published by the user; nothing is proxied).
 * @param {{ scopes: string[] }} options
 * @returns {Promise<{ url: string; token: string; dir: string; log: () => string; stop: () => Promise<void> }>}
 */
export async function startVerdaccio({ scopes }) {
  ensureVerdaccio();
  const dir = mkdtempSync(join(tmpdir(), 'charter-verdaccio-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = writeConfig(dir, scopes);
  let output = '';
  const [command, args] = verdaccioCommand(config, port);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`${url}-/ping`, child, 30_000);
    const token = await createUser(url);
    return { url, token, dir, log: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
