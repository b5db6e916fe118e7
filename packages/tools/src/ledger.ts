import { createHash } from 'node:crypto';
import { closeSync, fstatSync, futimesSync, mkdirSync, openSync, readSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ToolError, ToolErrorCode } from './errors.js';

/** The life of one side effect, by idempotency key: `started` → `completed` | `failed`. */
export interface LedgerRecord {
  readonly key: string;
  readonly state: 'started' | 'completed' | 'failed';
  readonly tool: string;
  readonly version: string;
  readonly runId: string;
  /** ISO 8601 time of the record. */
  readonly at: string;
  /** The validated output, on `completed`. */
  readonly value?: unknown;
  /** The error code, on `failed`. */
  readonly code?: string;
}

/** How long `lock` may wait for another holder of the key, and what stops the wait early. */
export interface LedgerLockOptions {
  /** Give up after this many ms with `TOOL_IN_FLIGHT`; default: the ledger's `lockTimeoutMs`. */
  readonly waitMs?: number | undefined;
  /** Aborting it stops the wait with `TOOL_ABORTED`. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Records side effects by idempotency key. `append` resolves only once the record is durable. `get`
 * returns the latest record of a key.
 *
 * `lock` is optional: it is the **lease** of the one call that owns a key. The executor takes
 * `lock(key)` before it reads the latest record and holds it while it decides, appends `started`, runs
 * the tool and appends `completed` or `failed`; it releases it when the call ends. So a `started`
 * record whose key is locked is **in flight** (its owner is alive and working on it): another caller
 * waits in `lock` and then replays the result. A `started` record whose key is free is **in doubt**:
 * its owner gave up (timeout, abort) or died, and a lease of a dead owner is freed by the ledger (dead
 * pid, expired lease). A lock held by a live owner past the wait rejects with `InFlightError`
 * (`TOOL_IN_FLIGHT`). A ledger without `lock` is safe within one executor only (identical calls in
 * flight share one execution there); two executors or processes could both run the effect.
 */
export interface IdempotencyLedger {
  get(key: string): Promise<LedgerRecord | undefined>;
  append(record: LedgerRecord): Promise<void>;
  /** Takes the exclusive lease on `key` across its users; resolves to its release, which never rejects. */
  lock?(key: string, options?: LedgerLockOptions): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class LedgerError extends ToolError {
  override readonly name = 'LedgerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ToolErrorCode.Ledger, message, options);
  }
}

/** The lock of a key stayed held by a live owner for the whole wait: an identical call is still running. */
export class InFlightError extends ToolError {
  override readonly name = 'InFlightError';
  readonly key: string;
  constructor(key: string, message: string) {
    super(ToolErrorCode.InFlight, message, { retriable: true });
    this.key = key;
  }
}

function inFlight(key: string, waitedMs: number, holder: string): InFlightError {
  return new InFlightError(
    key,
    `an identical call with idempotency key "${key}" is still in flight (${holder} holds its ledger lock) after waiting ${Math.round(waitedMs)} ms: try again later to get its result`,
  );
}

function abortedWait(key: string): ToolError {
  return new ToolError(ToolErrorCode.Aborted, `waiting for the ledger lock on key "${key}" was aborted by the caller`);
}

export interface MemoryLedgerOptions {
  /** How long `lock` waits for another holder when the caller names no `waitMs`. Default 10 000 ms. */
  readonly lockTimeoutMs?: number;
}

/**
 * An in-process ledger: protects retries, replays and identical calls in flight on any number of
 * executors sharing it, not crash-restarts. `lock` is a per-key lease handed to waiters in arrival
 * order; it needs no expiry, because its owner cannot die without the ledger dying with it.
 */
export class MemoryLedger implements IdempotencyLedger {
  readonly #records = new Map<string, LedgerRecord>();
  /** Locked keys, each with its waiters in arrival order. */
  readonly #held = new Map<string, (() => void)[]>();
  readonly #lockTimeoutMs: number;

  constructor(options: MemoryLedgerOptions = {}) {
    this.#lockTimeoutMs = positive('MemoryLedger', 'lockTimeoutMs', options.lockTimeoutMs ?? 10_000);
  }

  get(key: string): Promise<LedgerRecord | undefined> {
    return Promise.resolve(this.#records.get(key));
  }

  append(record: LedgerRecord): Promise<void> {
    this.#records.set(record.key, record);
    return Promise.resolve();
  }

  lock(key: string, options: LedgerLockOptions = {}): Promise<() => Promise<void>> {
    const queue = this.#held.get(key);
    if (queue === undefined) {
      this.#held.set(key, []);
      return Promise.resolve(this.#release(key));
    }
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(abortedWait(key));
    const waitMs = options.waitMs ?? this.#lockTimeoutMs;
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = queue.indexOf(grant);
        if (at !== -1) queue.splice(at, 1);
      };
      const grant = (): void => {
        leave();
        resolve(this.#release(key));
      };
      const onAbort = (): void => {
        leave();
        reject(abortedWait(key));
      };
      const timer = setTimeout(() => {
        leave();
        reject(inFlight(key, waitMs, 'another call in this process'));
      }, waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(grant);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The release of a lease just granted: hands the key to the next waiter, or frees it. */
  #release(key: string): () => Promise<void> {
    let released = false;
    return () => {
      if (!released) {
        released = true;
        const next = this.#held.get(key)?.[0];
        if (next === undefined) this.#held.delete(key);
        else next();
      }
      return Promise.resolve();
    };
  }
}

function positive(owner: string, name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new LedgerError(`${owner} option ${name} must be a positive number of milliseconds, got ${String(value)}`);
  return value;
}

const MAX_LEDGER_BYTES = 256 * 1024 * 1024;
/** How long an opening process waits before it treats an unterminated last line as torn. */
const SETTLE_MS = 20;
const REPAIR_LOCK = 'ledger-repair.lock';
const SYNC_READ_BYTES = 64 * 1024;

export interface FileLedgerOptions {
  /**
   * How long `lock` waits for another holder when the caller names no `waitMs` (the executor names the
   * tool's call budget), before failing with `TOOL_IN_FLIGHT`. Default 10 000 ms.
   */
  readonly lockTimeoutMs?: number;
  /**
   * A lock not renewed for this long is broken even when its process is alive (a holder renews its
   * locks every third of it while it holds them, so only a hung process lets one go stale). Default 30 000 ms.
   */
  readonly staleLockMs?: number;
}

/** A lock file this ledger holds: renewed (its mtime) while held, deleted on release if still ours. */
interface HeldLock {
  readonly file: string;
  readonly ino: number;
  fd: number | undefined;
}

/**
 * The durable default: an append-only JSON Lines file, shareable by processes on one host. Every
 * `append` writes one line with a single `O_APPEND` write and fsyncs before it resolves, so a record
 * that was acknowledged survives a crash. `get` first reads what other processes appended since the
 * last read (a `fstat` when nothing changed); an unterminated last line is left for the next read.
 * `lock(key)` is a lease: a lock file in `<path>.locks/`, created exclusively, holding `{ pid, host, at }`
 * and renewed (its mtime) every third of `staleLockMs` while held, so it can be held for as long as the
 * tool runs. A lock whose process is dead (on this host) or that was not renewed for `staleLockMs` is
 * broken. On open, a torn last line (a crash mid-write) is cut off; any other unreadable line is a
 * `LedgerError`.
 */
export class FileLedger implements IdempotencyLedger {
  readonly path: string;
  readonly #locks: string;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  readonly #records = new Map<string, LedgerRecord>();
  readonly #held = new Set<HeldLock>();
  #renewal: NodeJS.Timeout | undefined;
  #ready: Promise<FileHandle> | undefined;
  #tail: Promise<void> = Promise.resolve();
  #reading: Promise<void> = Promise.resolve();
  /** Bytes of the file consumed: always the end of a complete line. */
  #offset = 0;
  #lines = 0;
  #closed = false;
  #locksReady = false;

  constructor(path: string, options: FileLedgerOptions = {}) {
    this.path = path;
    this.#locks = `${path}.locks`;
    this.#lockTimeoutMs = positive('FileLedger', 'lockTimeoutMs', options.lockTimeoutMs ?? 10_000);
    this.#staleLockMs = positive('FileLedger', 'staleLockMs', options.staleLockMs ?? 30_000);
  }

  async get(key: string): Promise<LedgerRecord | undefined> {
    const handle = await this.#open();
    await this.#refresh(handle);
    return this.#records.get(key);
  }

  async append(record: LedgerRecord): Promise<void> {
    const handle = await this.#open();
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    const write = this.#tail.then(async () => {
      // One write(2) on an O_APPEND descriptor: lines of concurrent processes never interleave.
      const { bytesWritten } = await handle.write(line, 0, line.length);
      if (bytesWritten !== line.length) throw new Error(`short write (${bytesWritten} of ${line.length} bytes)`);
      await handle.sync();
    });
    this.#tail = write.catch(() => undefined);
    try {
      await write;
    } catch (error) {
      throw new LedgerError(`cannot write the idempotency ledger ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    // The record enters the map through the next read, in file order with other processes' records.
  }

  async lock(key: string, options: LedgerLockOptions = {}): Promise<() => Promise<void>> {
    if (this.#closed) throw new LedgerError(`the idempotency ledger ${this.path} is closed`);
    if (options.signal?.aborted === true) throw abortedWait(key);
    if (!this.#locksReady) {
      await this.#mkdirLocks();
      this.#locksReady = true;
    }
    const name = `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.lock`;
    return this.#acquire(join(this.#locks, name), `key "${key}"`, {
      waitMs: options.waitMs ?? this.#lockTimeoutMs,
      signal: options.signal,
      timedOut: (waitedMs, holder) => inFlight(key, waitedMs, holder?.pid === undefined ? 'another process' : `process ${holder.pid}`),
      aborted: () => abortedWait(key),
    });
  }

  /** Stops renewing the locks still held (they go stale after `staleLockMs`) and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopRenewing();
    for (const held of this.#held) closeHeld(held);
    this.#held.clear();
    if (this.#ready === undefined) return;
    const handle = await this.#ready.catch(() => undefined);
    await this.#tail;
    await this.#reading;
    await handle?.close();
  }

  #open(): Promise<FileHandle> {
    if (this.#closed) return Promise.reject(new LedgerError(`the idempotency ledger ${this.path} is closed`));
    this.#ready ??= this.#load();
    return this.#ready;
  }

  async #load(): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      handle = await open(this.path, 'a+');
    } catch (error) {
      throw new LedgerError(`cannot open the idempotency ledger ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const size = await this.#read(handle);
      if (size === 0) await syncDirectory(dirname(this.path));
      if (this.#offset < size) await this.#repair(handle);
      return handle;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * An unterminated last line at open: a writer died mid-write (never acknowledged), or a live
   * process is writing it right now. Under the repair lock, wait a moment; if the file has not grown,
   * cut the line off.
   */
  async #repair(handle: FileHandle): Promise<void> {
    await this.#mkdirLocks();
    const file = join(this.#locks, REPAIR_LOCK);
    const release = await this.#acquire(file, 'the torn-line repair', {
      waitMs: this.#lockTimeoutMs,
      signal: undefined,
      timedOut: (waitedMs, holder) =>
        new LedgerError(
          `timed out after ${Math.round(waitedMs)} ms waiting for the ledger lock on the torn-line repair, held by ${holder?.pid === undefined ? 'another process' : `process ${holder.pid}`}: if that process hangs, stop it (its lock is then broken) or delete ${file}`,
        ),
      aborted: () => new LedgerError('the torn-line repair was aborted'),
    });
    try {
      const before = await this.#read(handle);
      if (this.#offset === before) return;
      await sleep(SETTLE_MS);
      const after = await this.#read(handle);
      if (this.#offset === after || after !== before) return;
      await handle.truncate(this.#offset);
      await handle.sync();
    } catch (error) {
      throw ToolError.isInstance(error)
        ? error
        : new LedgerError(`cannot repair the torn last line of ${this.path}: ${(error as Error).message}`, { cause: error });
    } finally {
      await release();
    }
  }

  /** Reads complete lines appended since the last read, one read at a time. */
  #refresh(handle: FileHandle): Promise<void> {
    const next = this.#reading.then(() => this.#read(handle)).then(() => undefined);
    this.#reading = next.catch(() => undefined);
    return next;
  }

  /** Applies complete lines past the offset; resolves to the file size seen. */
  async #read(handle: FileHandle): Promise<number> {
    let size: number;
    try {
      // Synchronous fstat: about a microsecond, against a thread-pool round trip for the async one.
      size = fstatSync(handle.fd).size;
    } catch (error) {
      throw new LedgerError(`cannot read the idempotency ledger ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    if (size === this.#offset) return size;
    if (size < this.#offset)
      throw new LedgerError(
        `the idempotency ledger ${this.path} shrank from ${this.#offset} to ${size} bytes while open: another program truncated or replaced it`,
      );
    if (size > MAX_LEDGER_BYTES) throw new LedgerError(`the idempotency ledger ${this.path} exceeds ${MAX_LEDGER_BYTES} bytes: rotate it`);
    const buffer = Buffer.allocUnsafe(size - this.#offset);
    let filled = 0;
    try {
      while (filled < buffer.length) {
        // Small reads (the usual refresh: a few new lines) come from the page cache: read them inline.
        const bytesRead =
          buffer.length <= SYNC_READ_BYTES
            ? readSync(handle.fd, buffer, filled, buffer.length - filled, this.#offset + filled)
            : (await handle.read(buffer, filled, buffer.length - filled, this.#offset + filled)).bytesRead;
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      throw new LedgerError(`cannot read the idempotency ledger ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    let start = 0;
    for (;;) {
      const end = buffer.indexOf(0x0a, start);
      if (end === -1 || end >= filled) break;
      const line = buffer.toString('utf8', start, end);
      if (line.trim() !== '') this.#apply(line, this.#lines + 1);
      this.#lines += 1;
      this.#offset += end - start + 1;
      start = end + 1;
    }
    return size;
  }

  #apply(line: string, lineNumber: number): void {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new LedgerError(`the idempotency ledger ${this.path} is corrupt at line ${lineNumber}: repair or move it`, { cause: error });
    }
    if (!isRecord(record)) throw new LedgerError(`the idempotency ledger ${this.path} has an invalid record at line ${lineNumber}`);
    this.#records.set(record.key, record);
  }

  async #mkdirLocks(): Promise<void> {
    try {
      await mkdir(this.#locks, { recursive: true });
    } catch (error) {
      throw new LedgerError(`cannot create the lock directory ${this.#locks}: ${(error as Error).message}`, { cause: error });
    }
  }

  async #acquire(file: string, what: string, wait: LockWait): Promise<() => Promise<void>> {
    const begun = Date.now();
    const deadline = begun + wait.waitMs;
    let backoff = 1;
    let recreated = false;
    for (;;) {
      let fd: number | undefined;
      try {
        // Synchronous: a few metadata syscalls, far cheaper than thread-pool round trips.
        fd = openSync(file, 'wx');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && !recreated) {
          // The lock directory was removed while open: recreate it once.
          recreated = true;
          await this.#mkdirLocks();
          continue;
        }
        if (code !== 'EEXIST') {
          throw new LedgerError(`cannot create the lock ${file} for ${what}: ${(error as Error).message}`, { cause: error });
        }
      }
      if (fd !== undefined) return this.#hold(fd, file);
      const holder = await inspectLock(file);
      if (holder !== undefined && (await this.#breakIfStale(file, holder))) continue;
      if (Date.now() >= deadline) throw wait.timedOut(Date.now() - begun, holder);
      if (!(await pause(Math.min(backoff * (0.5 + Math.random() / 2), Math.max(1, deadline - Date.now())), wait.signal)))
        throw wait.aborted();
      backoff = Math.min(backoff * 2, 16);
    }
  }

  /** Writes `{ pid, host, at }` into a lock file just created and keeps it renewed; returns its release. */
  #hold(fd: number, file: string): () => Promise<void> {
    let held: HeldLock;
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, host: HOST, at: Date.now() }));
      held = { file, ino: fstatSync(fd).ino, fd };
    } catch (error) {
      closeSync(fd);
      rmSync(file, { force: true });
      throw new LedgerError(`cannot write the lock ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.#held.add(held);
    this.#renewLater();
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.#held.delete(held);
        if (this.#held.size === 0) this.#stopRenewing();
        closeHeld(held);
        try {
          // If ours was broken as stale, the file at this path now belongs to someone else.
          if (statSync(file).ino === held.ino) unlinkSync(file);
        } catch {
          // Already gone (broken as stale): nothing to release.
        }
      }
      return Promise.resolve();
    };
  }

  /** Renews every held lock (its mtime, through our own descriptor) every third of `staleLockMs`. */
  #renewLater(): void {
    if (this.#renewal !== undefined) return;
    this.#renewal = setInterval(
      () => {
        const now = Date.now() / 1000;
        for (const held of this.#held) {
          try {
            // A lock broken meanwhile is an unlinked inode: renewing it touches nobody else's lock.
            if (held.fd !== undefined) futimesSync(held.fd, now, now);
          } catch {
            // The next renewal tries again; a lock not renewed goes stale and may be broken.
          }
        }
      },
      Math.max(10, Math.floor(this.#staleLockMs / 3)),
    );
    this.#renewal.unref();
  }

  #stopRenewing(): void {
    if (this.#renewal !== undefined) clearInterval(this.#renewal);
    this.#renewal = undefined;
  }

  /** Breaks a lock whose holder died (on this host) or that was not renewed for `staleLockMs`; true when it was broken. */
  async #breakIfStale(file: string, holder: LockHolder): Promise<boolean> {
    const age = Date.now() - holder.at;
    // A pid says nothing about a process on another host: there only the age counts.
    const local = holder.host === undefined || holder.host === HOST;
    if (age <= this.#staleLockMs && (holder.pid === undefined || !local || isAlive(holder.pid))) return false;
    // Serialise breakers, so one cannot delete the fresh lock another just took after breaking.
    const guard = `${file}.break`;
    let handle: FileHandle;
    try {
      handle = await open(guard, 'wx');
    } catch {
      const other = await inspectLock(guard);
      if (other !== undefined && Date.now() - other.at > 5_000) await unlink(guard).catch(() => undefined);
      return false;
    }
    await handle.close().catch(() => undefined);
    try {
      const now = await inspectLock(file);
      if (now?.ino !== holder.ino) return now === undefined;
      await unlink(file);
      return true;
    } catch {
      return false;
    } finally {
      await unlink(guard).catch(() => undefined);
    }
  }
}

const HOST = hostname().slice(0, 255);

interface LockWait {
  readonly waitMs: number;
  readonly signal: AbortSignal | undefined;
  readonly timedOut: (waitedMs: number, holder: LockHolder | undefined) => Error;
  readonly aborted: () => Error;
}

function closeHeld(held: HeldLock): void {
  if (held.fd === undefined) return;
  try {
    closeSync(held.fd);
  } catch {
    // Closing a descriptor can only fail if it is already closed.
  }
  held.fd = undefined;
}

interface LockHolder {
  readonly pid: number | undefined;
  /** The holder's host name, when it wrote one. */
  readonly host: string | undefined;
  /** Epoch ms the lock was last taken or renewed: the later of its content's `at` and its mtime. */
  readonly at: number;
  readonly ino: number;
}

async function inspectLock(file: string): Promise<LockHolder | undefined> {
  try {
    const [info, text] = await Promise.all([stat(file), readFile(file, 'utf8')]);
    let pid: number | undefined;
    let host: string | undefined;
    let at = info.mtimeMs;
    try {
      const parsed = JSON.parse(text) as { pid?: unknown; host?: unknown; at?: unknown };
      if (Number.isSafeInteger(parsed.pid) && (parsed.pid as number) > 0) pid = parsed.pid as number;
      if (typeof parsed.host === 'string') host = parsed.host;
      if (typeof parsed.at === 'number' && Number.isFinite(parsed.at)) at = Math.max(at, parsed.at);
    } catch {
      // Created but not written yet: its age comes from the file itself.
    }
    return { pid, host, at, ino: info.ino };
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

function isRecord(value: unknown): value is LedgerRecord {
  if (typeof value !== 'object' || value === null) return false;
  const { key, state } = value as { key?: unknown; state?: unknown };
  return typeof key === 'string' && (state === 'started' || state === 'completed' || state === 'failed');
}

async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } catch {
    // Some file systems cannot fsync a directory; the file's own fsync still holds.
  } finally {
    await dir.close();
  }
}

/** Resolves true after `ms`, false as soon as the signal aborts (at once when it already has). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return sleep(ms, true, signal === undefined ? undefined : { signal }).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'AbortError') return false;
    throw error;
  });
}
