import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

/**
 * Records side effects by idempotency key. `append` resolves only once the record is durable. `get`
 * returns the latest record of a key.
 *
 * `lock` is optional. A ledger that has it is safe to share between processes: the executor holds
 * `lock(key)` while it reads the latest record, decides and appends `started`, and releases it before
 * the tool runs. A ledger without `lock` is safe within one process only (identical calls in flight
 * share one execution there); two processes could both run the effect.
 */
export interface IdempotencyLedger {
  get(key: string): Promise<LedgerRecord | undefined>;
  append(record: LedgerRecord): Promise<void>;
  /** Takes an exclusive lock on `key` across processes; resolves to its release, which never rejects. */
  lock?(key: string): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class LedgerError extends ToolError {
  override readonly name = 'LedgerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ToolErrorCode.Ledger, message, options);
  }
}

/** An in-process ledger: protects retries and replays, not crash-restarts. */
export class MemoryLedger implements IdempotencyLedger {
  readonly #records = new Map<string, LedgerRecord>();

  get(key: string): Promise<LedgerRecord | undefined> {
    return Promise.resolve(this.#records.get(key));
  }

  append(record: LedgerRecord): Promise<void> {
    this.#records.set(record.key, record);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const MAX_LEDGER_BYTES = 256 * 1024 * 1024;
/** How long an opening process waits before it treats an unterminated last line as torn. */
const SETTLE_MS = 20;
const REPAIR_LOCK = 'ledger-repair.lock';
const SYNC_READ_BYTES = 64 * 1024;

export interface FileLedgerOptions {
  /** How long `lock` waits for another holder before failing with `TOOL_LEDGER`. Default 10 000 ms. */
  readonly lockTimeoutMs?: number;
  /** A lock older than this is broken even when its process is alive. Default 30 000 ms. */
  readonly staleLockMs?: number;
}

/**
 * The durable default: an append-only JSON Lines file, shareable by processes on one host. Every
 * `append` writes one line with a single `O_APPEND` write and fsyncs before it resolves, so a record
 * that was acknowledged survives a crash. `get` first reads what other processes appended since the
 * last read (a `fstat` when nothing changed); an unterminated last line is left for the next read.
 * `lock(key)` is a lock file in `<path>.locks/`, created exclusively; a lock whose process is dead or
 * that is older than `staleLockMs` is broken. On open, a torn last line (a crash mid-write) is cut
 * off; any other unreadable line is a `LedgerError`.
 */
export class FileLedger implements IdempotencyLedger {
  readonly path: string;
  readonly #locks: string;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  readonly #records = new Map<string, LedgerRecord>();
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
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.#staleLockMs = options.staleLockMs ?? 30_000;
    for (const [name, value] of [
      ['lockTimeoutMs', this.#lockTimeoutMs],
      ['staleLockMs', this.#staleLockMs],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0)
        throw new LedgerError(`FileLedger option ${name} must be a positive number of milliseconds, got ${String(value)}`);
    }
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

  async lock(key: string): Promise<() => Promise<void>> {
    if (this.#closed) throw new LedgerError(`the idempotency ledger ${this.path} is closed`);
    if (!this.#locksReady) {
      await this.#mkdirLocks();
      this.#locksReady = true;
    }
    const name = `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.lock`;
    return this.#acquire(join(this.#locks, name), `key "${key}"`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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
    const release = await this.#acquire(join(this.#locks, REPAIR_LOCK), 'the torn-line repair');
    try {
      const before = await this.#read(handle);
      if (this.#offset === before) return;
      await delay(SETTLE_MS);
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

  async #acquire(file: string, what: string): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.#lockTimeoutMs;
    let wait = 1;
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
      if (fd !== undefined) return hold(fd, file);
      const holder = await inspectLock(file);
      if (holder !== undefined && (await this.#breakIfStale(file, holder))) continue;
      if (Date.now() >= deadline) {
        const by = holder?.pid === undefined ? 'another process' : `process ${holder.pid}`;
        throw new LedgerError(
          `timed out after ${this.#lockTimeoutMs} ms waiting for the ledger lock on ${what}, held by ${by}: if that process hangs, stop it (its lock is then broken) or delete ${file}`,
        );
      }
      await delay(wait * (0.5 + Math.random() / 2));
      wait = Math.min(wait * 2, 16);
    }
  }

  /** Breaks a lock whose holder died or that outlived `staleLockMs`; true when it was broken. */
  async #breakIfStale(file: string, holder: LockHolder): Promise<boolean> {
    const age = Date.now() - holder.at;
    if (age <= this.#staleLockMs && (holder.pid === undefined || isAlive(holder.pid))) return false;
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

/** Writes `{ pid, at }` into a lock file just created; returns its release (only ever deletes our own file). */
function hold(fd: number, file: string): () => Promise<void> {
  let ino: number;
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now() }));
    ino = fstatSync(fd).ino;
  } catch (error) {
    rmSync(file, { force: true });
    throw new LedgerError(`cannot write the lock ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    closeSync(fd);
  }
  let released = false;
  return () => {
    if (!released) {
      released = true;
      try {
        // If ours was broken as stale, the file at this path now belongs to someone else.
        if (statSync(file).ino === ino) unlinkSync(file);
      } catch {
        // Already gone (broken as stale): nothing to release.
      }
    }
    return Promise.resolve();
  };
}

interface LockHolder {
  readonly pid: number | undefined;
  /** Epoch ms the lock was taken (its mtime when the holder has not written its content yet). */
  readonly at: number;
  readonly ino: number;
}

async function inspectLock(file: string): Promise<LockHolder | undefined> {
  try {
    const [info, text] = await Promise.all([stat(file), readFile(file, 'utf8')]);
    let pid: number | undefined;
    let at = info.mtimeMs;
    try {
      const parsed = JSON.parse(text) as { pid?: unknown; at?: unknown };
      if (Number.isSafeInteger(parsed.pid) && (parsed.pid as number) > 0) pid = parsed.pid as number;
      if (typeof parsed.at === 'number' && Number.isFinite(parsed.at)) at = parsed.at;
    } catch {
      // Created but not written yet: its age comes from the file itself.
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
