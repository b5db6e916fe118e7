import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { RolloutError, RolloutErrorCode } from './errors.js';
import { assertState, type RolloutEventType, type RolloutState, type RolloutStatus } from './state.js';

/** Who caused a transition. */
export interface Actor {
  readonly type: 'human' | 'system';
  readonly id: string;
}

/** One guard of a transition and whether it held. */
export interface GuardResult {
  readonly guard: 'samples' | 'stabilisation' | 'verdict' | 'gate' | 'error-budget' | 'critical';
  readonly ok: boolean;
  readonly detail: string;
}

/** Where a rollout was or went: status, stage index and weight. */
export interface Position {
  readonly status: RolloutStatus;
  readonly stage: number;
  readonly weight: number;
}

/** One line of the transition log. */
export interface TransitionRecord {
  readonly format: 'charter.rollout.transition';
  /** 1, 2, 3…: equals `state.seq` after the transition. */
  readonly seq: number;
  /** `state.version` after the transition. */
  readonly version: number;
  readonly id: string;
  readonly at: number;
  readonly event: RolloutEventType;
  readonly from: Position;
  readonly to: Position;
  readonly actor: Actor;
  readonly reason: string;
  readonly guards: readonly GuardResult[];
  /** The analysis behind the decision (JSON: non-finite numbers are written as null). */
  readonly statistics: unknown;
  /** The whole state after the transition: a store that crashed before saving it rolls forward from here. */
  readonly state: RolloutState;
}

/** What the caller gives `compareAndSwap` for a transition: the store fills in `format`, `version` and `state`. */
export type TransitionDraft = Omit<TransitionRecord, 'format' | 'version' | 'state'>;

export type CasResult =
  | { readonly ok: true; readonly state: RolloutState; readonly transition: TransitionRecord | undefined }
  | { readonly ok: false; readonly current: RolloutState | undefined };

/**
 * Where rollout state lives. Three operations, each atomic:
 * - `load(id)`: the latest committed state, or undefined for a rollout never written;
 * - `compareAndSwap(id, expectedVersion, next, transition?)`: writes `next` with `version =
 *   expectedVersion + 1` only if the stored version is still `expectedVersion` (0 = none stored), and
 *   appends `transition` to the log **in the same atomic step** (a crash never leaves one without
 *   the other); otherwise returns the current state and writes nothing;
 * - `transitions(id)`: the transition log, oldest first.
 * Implementations: `MemoryRolloutStore`, `FileRolloutStore` (one host); a shared PostgreSQL store
 * implements the same three with a row per rollout (`UPDATE … WHERE version = $expected`) and a
 * log table written in the same transaction.
 */
export interface RolloutStore {
  load(id: string): Promise<RolloutState | undefined>;
  compareAndSwap(id: string, expectedVersion: number, next: RolloutState, transition?: TransitionDraft): Promise<CasResult>;
  transitions(id: string): Promise<readonly TransitionRecord[]>;
  close?(): Promise<void>;
}

/**
 * What a store writes for `compareAndSwap(id, expectedVersion, next, draft)`: the state with `id` and
 * `version = expectedVersion + 1`, and the complete transition record (format, version, state). Every
 * store implementation uses it, so records are the same whichever store wrote them.
 */
export function prepareWrite(
  id: string,
  expectedVersion: number,
  next: RolloutState,
  draft: TransitionDraft | undefined,
): { readonly state: RolloutState; readonly transition: TransitionRecord | undefined } {
  const state: RolloutState = { ...next, id, version: expectedVersion + 1 };
  const transition: TransitionRecord | undefined =
    draft === undefined ? undefined : { format: 'charter.rollout.transition', ...draft, version: state.version, state };
  if (transition !== undefined && transition.seq !== state.seq)
    throw new RolloutError(
      RolloutErrorCode.BadOptions,
      `a transition record numbered ${transition.seq} does not match the state's seq ${state.seq}`,
    );
  return { state, transition };
}

/**
 * A store in this process's memory (tests, simulations). Values are copied in and out, unless
 * `copy: false` (simulations: the controller never mutates a state it was given or returned).
 */
export class MemoryRolloutStore implements RolloutStore {
  readonly #states = new Map<string, RolloutState>();
  readonly #logs = new Map<string, TransitionRecord[]>();
  readonly #copy: <T>(value: T) => T;

  constructor(options: { readonly copy?: boolean } = {}) {
    this.#copy = options.copy === false ? (value) => value : (value) => structuredClone(value);
  }

  load(id: string): Promise<RolloutState | undefined> {
    const state = this.#states.get(id);
    return Promise.resolve(state === undefined ? undefined : this.#copy(state));
  }

  compareAndSwap(id: string, expectedVersion: number, next: RolloutState, draft?: TransitionDraft): Promise<CasResult> {
    const current = this.#states.get(id);
    if ((current?.version ?? 0) !== expectedVersion) return Promise.resolve({ ok: false, current: current && this.#copy(current) });
    const { state, transition } = prepareWrite(id, expectedVersion, this.#copy(next), draft && this.#copy(draft));
    this.#states.set(id, state);
    if (transition !== undefined) {
      const log = this.#logs.get(id) ?? [];
      log.push(transition);
      this.#logs.set(id, log);
    }
    return Promise.resolve({ ok: true, state: this.#copy(state), transition: transition && this.#copy(transition) });
  }

  transitions(id: string): Promise<readonly TransitionRecord[]> {
    return Promise.resolve(this.#copy(this.#logs.get(id) ?? []));
  }
}

export interface FileRolloutStoreOptions {
  /** How long a write waits for another process's lock before failing with `ROLLOUT_STORE`. Default 10 000 ms. */
  readonly lockTimeoutMs?: number;
  /** A lock older than this is broken even when its process is alive. Default 30 000 ms. */
  readonly staleLockMs?: number;
  /**
   * Fault injection for crash tests: called at each step of a write (`locked`, `logged` after the log
   * record is durable, `saved` after the state file is replaced). Not for production use.
   */
  readonly onStep?: (step: 'locked' | 'logged' | 'saved', id: string) => void;
}

const ID = /^[a-z0-9][\w.-]{0,127}$/i;

/**
 * A store in a folder, shareable by processes on one host. Per rollout `<id>`:
 * - `<id>.transitions.jsonl`: the transition log, one record a line, each fsynced — the commit point;
 * - `<id>.state.json`: the latest state, replaced atomically (temp file, fsync, rename, fsync folder);
 * - `<id>.lock`: held (created exclusively, `{ pid, at }`) around every compare-and-swap.
 * A transition is committed once its log line is durable; a process killed before the state file is
 * replaced leaves a state file one version behind, and `load` rolls it forward from the log, so a
 * transition is neither lost nor applied twice. A torn last log line (killed mid-write) was never
 * acknowledged and is cut off by the next write. A lock whose process is dead (or older than
 * `staleLockMs`) is broken.
 */
export class FileRolloutStore implements RolloutStore {
  readonly dir: string;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  readonly #onStep: FileRolloutStoreOptions['onStep'];

  constructor(dir: string, options: FileRolloutStoreOptions = {}) {
    this.dir = dir;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.#staleLockMs = options.staleLockMs ?? 30_000;
    this.#onStep = options.onStep;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new RolloutError(RolloutErrorCode.Store, `cannot create the rollout folder ${dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** The files of one rollout. */
  paths(id: string): { readonly state: string; readonly log: string; readonly lock: string } {
    if (!ID.test(id))
      throw new RolloutError(
        RolloutErrorCode.BadOptions,
        `rollout id "${id}" must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      );
    return {
      state: join(this.dir, `${id}.state.json`),
      log: join(this.dir, `${id}.transitions.jsonl`),
      lock: join(this.dir, `${id}.lock`),
    };
  }

  /** Changes whenever the rollout's state file or log is replaced or appended to (for cheap change checks). */
  stamp(id: string): string {
    const paths = this.paths(id);
    const part = (path: string): string => {
      try {
        const info = statSync(path);
        return `${info.ino}:${info.size}:${info.mtimeMs}`;
      } catch {
        return '-';
      }
    };
    return `${part(paths.state)}|${part(paths.log)}`;
  }

  load(id: string): Promise<RolloutState | undefined> {
    return Promise.resolve().then(() => this.#recover(id));
  }

  transitions(id: string): Promise<readonly TransitionRecord[]> {
    return Promise.resolve().then(() => readLog(this.paths(id).log).records);
  }

  async compareAndSwap(id: string, expectedVersion: number, next: RolloutState, draft?: TransitionDraft): Promise<CasResult> {
    const paths = this.paths(id);
    const release = await this.#lock(paths.lock, id);
    try {
      this.#onStep?.('locked', id);
      const current = this.#recover(id);
      if ((current?.version ?? 0) !== expectedVersion) return { ok: false, current };
      const { state, transition } = prepareWrite(id, expectedVersion, next, draft);
      if (transition !== undefined) {
        appendDurably(paths.log, `${JSON.stringify(transition, finiteOrNull)}\n`);
        this.#onStep?.('logged', id);
      }
      replaceAtomically(paths.state, `${JSON.stringify(state, finiteOrNull)}\n`, this.dir);
      this.#onStep?.('saved', id);
      return { ok: true, state, transition };
    } finally {
      release();
    }
  }

  /** The state file, rolled forward to the log's last record when that record is newer. */
  #recover(id: string): RolloutState | undefined {
    const paths = this.paths(id);
    let saved: RolloutState | undefined;
    if (existsSync(paths.state)) {
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(paths.state, 'utf8'));
      } catch (error) {
        throw new RolloutError(
          RolloutErrorCode.BadState,
          `${paths.state} is not JSON: ${(error as Error).message}; restore it from the transition log`,
          {
            cause: error,
          },
        );
      }
      saved = assertState(value, paths.state);
    }
    const last = readLog(paths.log).records.at(-1);
    if (last !== undefined && last.version > (saved?.version ?? 0)) return assertState(last.state, `${paths.log} (seq ${last.seq})`);
    return saved;
  }

  async #lock(file: string, id: string): Promise<() => void> {
    const deadline = Date.now() + this.#lockTimeoutMs;
    let wait = 1;
    for (;;) {
      // The lock appears with its holder already written in it (a hard link of a complete temporary
      // file): a process killed while taking it never leaves an empty lock that nobody can judge.
      const held = tryLock(file);
      if (held !== undefined) return held;
      const holder = inspectLock(file);
      if (holder !== undefined && this.#breakIfStale(file, holder)) continue;
      if (Date.now() >= deadline) {
        const by = holder?.pid === undefined ? 'another process' : `process ${holder.pid}`;
        throw new RolloutError(
          RolloutErrorCode.Store,
          `timed out after ${this.#lockTimeoutMs} ms waiting for the lock of rollout "${id}", held by ${by}: if it hangs, stop it (its lock is then broken) or delete ${file}`,
        );
      }
      await delay(wait * (0.5 + Math.random() / 2));
      wait = Math.min(wait * 2, 16);
    }
  }

  /** Breaks the lock if its holder is dead or it is older than `staleLockMs`; breakers take turns. */
  #breakIfStale(file: string, holder: LockHolder): boolean {
    if (Date.now() - holder.at <= this.#staleLockMs && (holder.pid === undefined || isAlive(holder.pid))) return false;
    const guard = `${file}.break`;
    let fd: number;
    try {
      fd = openSync(guard, 'wx');
    } catch {
      const other = inspectLock(guard);
      if (other !== undefined && Date.now() - other.at > 5_000) rmSync(guard, { force: true });
      return false;
    }
    closeSync(fd);
    try {
      const now = inspectLock(file);
      // Another breaker replaced it meanwhile: the file there now is a live lock, not the stale one.
      if (now?.ino !== holder.ino) return now === undefined;
      unlinkSync(file);
      return true;
    } catch {
      return false;
    } finally {
      rmSync(guard, { force: true });
    }
  }
}

/** JSON replacer: NaN and ±Infinity (open confidence bounds) become null. */
export function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

function readLog(path: string): { records: TransitionRecord[] } {
  if (!existsSync(path)) return { records: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RolloutError(RolloutErrorCode.Store, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const records: TransitionRecord[] = [];
  const end = text.lastIndexOf('\n');
  // A last line without its line feed was being written when the process died: never committed.
  const lines = end === -1 ? [] : text.slice(0, end).split('\n');
  lines.forEach((line, index) => {
    if (line === '') return;
    let record: Partial<TransitionRecord>;
    try {
      record = JSON.parse(line) as Partial<TransitionRecord>;
    } catch (error) {
      throw new RolloutError(RolloutErrorCode.BadState, `${path}:${index + 1}: not a JSON transition record`, { cause: error });
    }
    if (record.format !== 'charter.rollout.transition' || typeof record.seq !== 'number' || typeof record.version !== 'number')
      throw new RolloutError(RolloutErrorCode.BadState, `${path}:${index + 1}: not a transition record (format, seq, version)`);
    const previous = records.at(-1);
    if (previous !== undefined && record.seq !== previous.seq + 1)
      throw new RolloutError(
        RolloutErrorCode.BadState,
        `${path}:${index + 1}: transition ${record.seq} follows ${previous.seq} (a record is missing or doubled)`,
      );
    records.push(record as TransitionRecord);
  });
  return { records };
}

/** Appends `line` and fsyncs; first cuts off a torn last line a killed writer left behind. */
function appendDurably(path: string, line: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'a+');
    const size = fstatSync(fd).size;
    if (size > 0) {
      const text = readFileSync(path, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      if (end !== Buffer.byteLength(text)) ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
    }
    writeSync(fd, line);
    fsyncSync(fd);
  } catch (error) {
    throw new RolloutError(RolloutErrorCode.Store, `cannot append to ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `text` to a temp file, fsyncs it, renames it over `path` and fsyncs the folder. */
function replaceAtomically(path: string, text: string, dir: string): void {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (error) {
    rmSync(temp, { force: true });
    throw new RolloutError(RolloutErrorCode.Store, `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Creates `file` holding `{ pid, at }` atomically (link of a written temporary file); undefined when it exists. */
function tryLock(file: string): (() => void) | undefined {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  let ino: number;
  try {
    writeFileSync(temp, JSON.stringify({ pid: process.pid, at: Date.now() }));
    try {
      linkSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw error;
    }
    ino = statSync(temp).ino;
  } catch (error) {
    throw new RolloutError(RolloutErrorCode.Store, `cannot create the lock ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    rmSync(temp, { force: true });
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      // If ours was broken as stale, the file at this path now belongs to someone else.
      if (statSync(file).ino === ino) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
}

interface LockHolder {
  readonly pid: number | undefined;
  readonly at: number;
  readonly ino: number;
}

function inspectLock(file: string): LockHolder | undefined {
  try {
    const info = statSync(file);
    let pid: number | undefined;
    let at = info.mtimeMs;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; at?: unknown };
      if (Number.isSafeInteger(parsed.pid) && (parsed.pid as number) > 0) pid = parsed.pid as number;
      if (typeof parsed.at === 'number' && Number.isFinite(parsed.at)) at = parsed.at;
    } catch {
      // Created but not written yet: its age comes from the file.
    }
    return { pid, at, ino: info.ino };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
