import { mkdirSync } from 'node:fs';
import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
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
 */
export interface IdempotencyLedger {
  get(key: string): Promise<LedgerRecord | undefined>;
  append(record: LedgerRecord): Promise<void>;
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

/**
 * The durable default: an append-only JSON Lines file. Every `append` writes one line and fsyncs the
 * file before it resolves, so a record that was acknowledged survives a crash. On open, a torn last
 * line (the process died mid-write) is cut off; any other unreadable line is a `LedgerError`.
 */
export class FileLedger implements IdempotencyLedger {
  readonly path: string;
  readonly #records = new Map<string, LedgerRecord>();
  #ready: Promise<FileHandle> | undefined;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(path: string) {
    this.path = path;
  }

  async get(key: string): Promise<LedgerRecord | undefined> {
    await this.#open();
    return this.#records.get(key);
  }

  async append(record: LedgerRecord): Promise<void> {
    const handle = await this.#open();
    const line = `${JSON.stringify(record)}\n`;
    const write = this.#tail.then(async () => {
      await handle.write(line);
      await handle.sync();
    });
    this.#tail = write.catch(() => undefined);
    try {
      await write;
    } catch (error) {
      throw new LedgerError(`cannot write the idempotency ledger ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    this.#records.set(record.key, record);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ready === undefined) return;
    const handle = await this.#ready.catch(() => undefined);
    await this.#tail;
    await handle?.close();
  }

  #open(): Promise<FileHandle> {
    if (this.#closed) return Promise.reject(new LedgerError(`the idempotency ledger ${this.path} is closed`));
    this.#ready ??= this.#load();
    return this.#ready;
  }

  async #load(): Promise<FileHandle> {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new LedgerError(`cannot read the idempotency ledger ${this.path}: ${(error as Error).message}`, { cause: error });
      }
    }
    if (text.length > MAX_LEDGER_BYTES) throw new LedgerError(`the idempotency ledger ${this.path} exceeds ${MAX_LEDGER_BYTES} bytes: rotate it`);
    let start = 0;
    let lineNumber = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      lineNumber += 1;
      if (end === -1) {
        // A torn final line: the writer died before its newline, so the record was never acknowledged.
        await truncate(this.path, Buffer.byteLength(text.slice(0, start)));
        break;
      }
      const line = text.slice(start, end);
      start = end + 1;
      if (line.trim() === '') continue;
      let record: LedgerRecord;
      try {
        record = JSON.parse(line) as LedgerRecord;
      } catch (error) {
        throw new LedgerError(`the idempotency ledger ${this.path} is corrupt at line ${lineNumber}: repair or move it`, { cause: error });
      }
      if (typeof record.key !== 'string' || !['started', 'completed', 'failed'].includes(record.state)) {
        throw new LedgerError(`the idempotency ledger ${this.path} has an invalid record at line ${lineNumber}`);
      }
      this.#records.set(record.key, record);
    }
    mkdirSync(dirname(this.path), { recursive: true });
    const handle = await open(this.path, 'a');
    if (text.length === 0) {
      // A new file: make its directory entry durable too.
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } catch {
        // Some file systems cannot fsync a directory; the file's own fsync still holds.
      } finally {
        await dir.close();
      }
    }
    return handle;
  }
}
