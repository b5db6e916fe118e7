import type * as NodeCrypto from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError, AgentErrorCode } from './errors.js';
import { parseState, type RunState, serializeState } from './state.js';

// node:crypto is not loaded by Node at startup and costs ≈ 4 ms to load: it is fetched on first use
// (process.getBuiltinModule, Node ≥ 20.16) instead of imported, and kept here for the hot paths.
let cryptoModule: typeof NodeCrypto | undefined;
export function nodeCrypto(): typeof NodeCrypto {
  cryptoModule ??= process.getBuiltinModule('node:crypto');
  return cryptoModule;
}

/** Where run checkpoints live. `load` returns a fresh copy: callers may mutate it. */
export interface RunStore {
  save(state: RunState): Promise<void>;
  load(runId: string): Promise<RunState | undefined>;
  delete(runId: string): Promise<void>;
  /**
   * Takes the run for this process: true once per run id until `release`. A paused run is claimed by
   * the `resume` that continues it, so two resumes never execute the same approval twice.
   */
  claim(runId: string): Promise<boolean>;
  release(runId: string): Promise<void>;
}

/** Keeps checkpoints in memory (tests, single-process use); still copies through JSON. */
export class MemoryStore implements RunStore {
  readonly #states = new Map<string, string>();
  readonly #claims = new Set<string>();

  save(state: RunState): Promise<void> {
    this.#states.set(state.runId, serializeState(state));
    return Promise.resolve();
  }

  load(runId: string): Promise<RunState | undefined> {
    const text = this.#states.get(runId);
    return Promise.resolve(text === undefined ? undefined : parseState(text, `memory:${runId}`));
  }

  delete(runId: string): Promise<void> {
    this.#states.delete(runId);
    return Promise.resolve();
  }

  claim(runId: string): Promise<boolean> {
    if (this.#claims.has(runId)) return Promise.resolve(false);
    this.#claims.add(runId);
    return Promise.resolve(true);
  }

  release(runId: string): Promise<void> {
    this.#claims.delete(runId);
    return Promise.resolve();
  }

  /** Run ids held. */
  get size(): number {
    return this.#states.size;
  }
}

const SAFE_ID = /^[\w.-]{1,200}$/;

/**
 * The durable default: one JSON file per run in `dir`, written to a temporary file, fsynced and
 * renamed over the old one (then the directory is fsynced), so a crash leaves the old or the new
 * checkpoint, never a torn one. Claims are lock files created with `wx` holding the owner's pid; a
 * claim by a process that no longer exists is taken over.
 */
export class FileStore implements RunStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new AgentError(AgentErrorCode.Store, `cannot create the run store directory ${dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  #path(runId: string, ext: string): string {
    if (!SAFE_ID.test(runId))
      throw new AgentError(
        AgentErrorCode.Store,
        `run id "${runId.slice(0, 80)}" cannot name a file: use letters, digits, ".", "_" and "-"`,
      );
    return join(this.dir, `${runId}${ext}`);
  }

  async save(state: RunState): Promise<void> {
    const path = this.#path(state.runId, '.json');
    const tmp = `${path}.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`;
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(serializeState(state));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
      await syncDir(this.dir);
    } catch (error) {
      await rm(tmp, { force: true });
      throw new AgentError(AgentErrorCode.Store, `cannot checkpoint run ${state.runId} to ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async load(runId: string): Promise<RunState | undefined> {
    const path = this.#path(runId, '.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AgentError(AgentErrorCode.Store, `cannot read checkpoint ${path}: ${(error as Error).message}`, { cause: error });
    }
    return parseState(text, path);
  }

  async delete(runId: string): Promise<void> {
    await rm(this.#path(runId, '.json'), { force: true });
    await rm(this.#path(runId, '.lock'), { force: true });
  }

  async claim(runId: string): Promise<boolean> {
    const path = this.#path(runId, '.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await mkdir(this.dir, { recursive: true });
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(String(process.pid));
          await handle.sync();
        } finally {
          await handle.close();
        }
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new AgentError(AgentErrorCode.Store, `cannot claim run ${runId}: ${(error as Error).message}`, { cause: error });
        }
        const owner = Number(await readFile(path, 'utf8').catch(() => ''));
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !alive(owner)) {
          await rm(path, { force: true });
          continue;
        }
        return false;
      }
    }
    return false;
  }

  async release(runId: string): Promise<void> {
    await rm(this.#path(runId, '.lock'), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}
