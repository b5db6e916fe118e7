// `charter serve <agent dir>`: the manifest and policy from the folder (loadAgent), the tool
// implementations (and optionally a model) from a serve module, and the state from --db.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { requireAgent } from '@charter/spec';
import { DATABASE_URL_ENV, type OpenStateOptions, openState, redactUrl, type StateStores } from '@charter/state';
import { ServeError, ServeErrorCode } from './errors.js';
import { createService, type ServedAgentOptions, type ServeOptions, type Service } from './service.js';

/** The serve module's file names looked up in the agent folder, in order. */
export const SERVE_MODULES = ['serve.mjs', 'serve.js'] as const;

/**
 * Loads what an agent folder needs to be served: `loadAgent(dir)` (manifest, policy, playbooks) and
 * the serve module (`--module`, else `serve.mjs` / `serve.js` in the folder), which exports `tools`
 * (the implementations the manifest grants) and may export `model` (a `LanguageModelV3`; without it the
 * manifest's `spec.model` is resolved from the environment).
 */
export async function loadServedAgent(
  dir: string,
  options: { readonly module?: string | undefined; readonly cwd?: string } = {},
): Promise<ServedAgentOptions> {
  const cwd = options.cwd ?? process.cwd();
  const folder = resolve(cwd, dir);
  let agent: ReturnType<typeof requireAgent>;
  try {
    agent = requireAgent(folder);
  } catch (error) {
    const detail = (error as Error).message
      .split('\n')
      .filter((text) => text.trim() !== '')
      .join('; ');
    throw new ServeError(ServeErrorCode.BadAgent, `cannot serve ${dir}: ${detail}`, { cause: error });
  }
  const file =
    options.module === undefined
      ? SERVE_MODULES.map((name) => join(folder, name)).find((path) => existsSync(path))
      : resolve(cwd, options.module);
  if (file === undefined)
    throw new ServeError(
      ServeErrorCode.BadAgent,
      `no serve module in ${dir}: add ${SERVE_MODULES[0]} exporting "tools" (and optionally "model"), or pass --module <file>`,
    );
  let loaded: { tools?: unknown; model?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as { tools?: unknown; model?: unknown };
  } catch (error) {
    throw new ServeError(ServeErrorCode.BadAgent, `cannot import the serve module ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(loaded.tools))
    throw new ServeError(
      ServeErrorCode.BadAgent,
      `the serve module ${file} must export "tools": an array of defineTool(...) implementations`,
    );
  return {
    agent,
    tools: loaded.tools as ServedAgentOptions['tools'],
    ...(loaded.model === undefined || loaded.model === null ? {} : { model: loaded.model as NonNullable<ServedAgentOptions['model']> }),
  };
}

/** The state URL serve uses: --db, else CHARTER_DATABASE_URL, else PGlite in `<agent dir>/.charter/serve-db`. */
export function serveStateUrl(
  dir: string,
  db: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const fromEnv = env[DATABASE_URL_ENV];
  return db ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : `pglite:${join(resolve(dir), '.charter', 'serve-db')}`);
}

/** Opens (and migrates) the serve state; a `pglite:<dir>` gets its parent folder created first. */
export async function openServeState(url: string, options: Omit<OpenStateOptions, 'url'> = {}): Promise<StateStores> {
  if (url.startsWith('pglite:') && url !== 'pglite:memory')
    mkdirSync(dirname(resolve(options.cwd ?? process.cwd(), url.slice('pglite:'.length))), { recursive: true });
  return openState({ ...options, url });
}

export interface RunServeOptions extends Partial<Omit<ServeOptions, 'agent' | 'state'>> {
  readonly dir: string;
  readonly module?: string | undefined;
  readonly db?: string | undefined;
  readonly port?: number;
  readonly host?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

export interface RunningService {
  readonly url: string;
  /** The state URL with its password hidden. */
  readonly db: string;
  readonly service: Service;
  readonly state: StateStores;
  /** Drains (see `Service.close`), then closes the state. */
  stop(timeoutMs?: number): Promise<{ readonly finished: number; readonly requeued: number }>;
}

/** Loads the agent folder, opens (and migrates) the state and starts the service. */
export async function runServe(options: RunServeOptions): Promise<RunningService> {
  const { dir, module, db, port, host, env, cwd, ...serve } = options;
  const agent = await loadServedAgent(dir, { module, ...(cwd === undefined ? {} : { cwd }) });
  const url = serveStateUrl(resolve(cwd ?? process.cwd(), dir), db, env);
  const state = await openServeState(url, cwd === undefined ? {} : { cwd });
  let service: Service;
  try {
    service = createService({ ...serve, agent, state });
  } catch (error) {
    await state.close();
    throw error;
  }
  const address = await service.listen({ port: port ?? 8080, host: host ?? '127.0.0.1' });
  return {
    url: address,
    db: redactUrl(url),
    service,
    state,
    async stop(timeoutMs) {
      const drained = await service.close(timeoutMs);
      await state.close();
      return drained;
    },
  };
}
