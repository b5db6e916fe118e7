import { join } from 'node:path';
import { attempt, StateError, StateErrorCode } from './errors.js';
import { appendLine, readIfExists, withFileLock, writeAtomic } from './file-lock.js';
import { checkName } from './names.js';
import type { SqlDriver } from './sql.js';

/** A document and the version it is at (1 after the first write). */
export interface Versioned {
  readonly version: number;
  readonly value: unknown;
}

/** `compareAndSet`: written at `version`, or refused with what is there now. */
export type CasResult = { readonly ok: true; readonly version: number } | { readonly ok: false; readonly current: Versioned | undefined };

/** One entry of a document's append-only log. */
export interface LogEntry {
  /** 1, 2, 3, … per (namespace, key). */
  readonly seq: number;
  readonly entry: unknown;
}

/**
 * Versioned JSON documents with optimistic concurrency, and an append-only log beside each: what a
 * state machine needs to be shared by several instances (the rollout state maps onto it).
 */
export interface VersionedStore {
  get(namespace: string, key: string): Promise<Versioned | undefined>;
  /**
   * Writes `value` if the document is at `expectedVersion` (0: it must not exist yet); the new
   * version is `expectedVersion + 1`. Never overwrites a concurrent write: the loser gets `ok: false`.
   */
  compareAndSet(namespace: string, key: string, expectedVersion: number, value: unknown): Promise<CasResult>;
  /** Appends to the document's log; resolves to the entry's `seq`. */
  append(namespace: string, key: string, entry: unknown): Promise<number>;
  /** Log entries with `seq > after` (default 0), oldest first, at most `limit` (default 1000). */
  log(namespace: string, key: string, options?: { readonly after?: number; readonly limit?: number }): Promise<LogEntry[]>;
  close(): Promise<void>;
}

export function checkVersion(expectedVersion: number): number {
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)
    throw new StateError(
      StateErrorCode.BadConfig,
      `expectedVersion must be a non-negative integer (0 to create), got ${String(expectedVersion)}`,
    );
  return expectedVersion;
}

export function toJson(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined)
    throw new StateError(StateErrorCode.BadConfig, 'the value cannot be stored: it is not JSON (undefined or a function)');
  return text;
}

export function fromJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StateError(StateErrorCode.Corrupt, `${where} is not JSON: restore it from a backup or delete it`, { cause: error });
  }
}

export function logWindow(options: { readonly after?: number; readonly limit?: number } = {}): { after: number; limit: number } {
  const after = options.after ?? 0;
  const limit = options.limit ?? 1000;
  if (!Number.isSafeInteger(after) || after < 0 || !Number.isSafeInteger(limit) || limit < 1)
    throw new StateError(
      StateErrorCode.BadConfig,
      `log options need after ≥ 0 and limit ≥ 1 (integers), got after=${after}, limit=${limit}`,
    );
  return { after, limit };
}

/** In memory: tests and single-process use. */
export class MemoryVersionedStore implements VersionedStore {
  readonly #docs = new Map<string, { version: number; text: string }>();
  readonly #logs = new Map<string, string[]>();

  get(namespace: string, key: string): Promise<Versioned | undefined> {
    return attempt(() => {
      const doc = this.#docs.get(id(namespace, key));
      return doc === undefined ? undefined : { version: doc.version, value: JSON.parse(doc.text) as unknown };
    });
  }

  async compareAndSet(namespace: string, key: string, expectedVersion: number, value: unknown): Promise<CasResult> {
    checkVersion(expectedVersion);
    const text = toJson(value);
    const doc = this.#docs.get(id(namespace, key));
    if ((doc?.version ?? 0) !== expectedVersion) return { ok: false, current: await this.get(namespace, key) };
    this.#docs.set(id(namespace, key), { version: expectedVersion + 1, text });
    return { ok: true, version: expectedVersion + 1 };
  }

  append(namespace: string, key: string, entry: unknown): Promise<number> {
    return attempt(() => {
      const text = toJson(entry);
      const name = id(namespace, key);
      const log = this.#logs.get(name) ?? [];
      log.push(text);
      this.#logs.set(name, log);
      return log.length;
    });
  }

  log(namespace: string, key: string, options?: { readonly after?: number; readonly limit?: number }): Promise<LogEntry[]> {
    return attempt(() => {
      const { after, limit } = logWindow(options);
      const log = this.#logs.get(id(namespace, key)) ?? [];
      return Promise.resolve(
        log.slice(after, after + limit).map((text, index) => ({ seq: after + index + 1, entry: JSON.parse(text) as unknown })),
      );
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function id(namespace: string, key: string): string {
  return `${checkName('namespace', namespace)}\u0000${checkName('key', key)}`;
}

/** In PostgreSQL (or PGlite): `documents` and `document_log`. */
export class SqlVersionedStore implements VersionedStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async get(namespace: string, key: string): Promise<Versioned | undefined> {
    id(namespace, key);
    const { rows } = await this.#db.query<{ version: string; value: string }>(
      'SELECT version::text AS version, value FROM documents WHERE namespace = $1 AND key = $2',
      [namespace, key],
    );
    const row = rows[0];
    return row === undefined ? undefined : { version: Number(row.version), value: fromJson(row.value, `document ${namespace}/${key}`) };
  }

  async compareAndSet(namespace: string, key: string, expectedVersion: number, value: unknown): Promise<CasResult> {
    id(namespace, key);
    checkVersion(expectedVersion);
    const text = toJson(value);
    const { rowCount } =
      expectedVersion === 0
        ? await this.#db.query(
            'INSERT INTO documents (namespace, key, version, value) VALUES ($1, $2, 1, $3) ON CONFLICT (namespace, key) DO NOTHING RETURNING version',
            [namespace, key, text],
          )
        : await this.#db.query(
            `UPDATE documents SET version = version + 1, value = $4, updated_at = now()
             WHERE namespace = $1 AND key = $2 AND version = $3 RETURNING version`,
            [namespace, key, expectedVersion, text],
          );
    if (rowCount === 1) return { ok: true, version: expectedVersion + 1 };
    return { ok: false, current: await this.get(namespace, key) };
  }

  async append(namespace: string, key: string, entry: unknown): Promise<number> {
    id(namespace, key);
    const text = toJson(entry);
    // Concurrent appends may pick the same seq: the primary key refuses the second, which retries.
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await this.#db.query<{ seq: string }>(
          `INSERT INTO document_log (namespace, key, seq, entry)
           SELECT $1, $2, coalesce(max(seq), 0) + 1, $3 FROM document_log WHERE namespace = $1 AND key = $2
           RETURNING seq::text AS seq`,
          [namespace, key, text],
        );
        return Number(rows[0]?.seq);
      } catch (error) {
        const code = (error as { cause?: { code?: unknown } }).cause?.code;
        if (code !== '23505' || attempt >= 50) throw error;
      }
    }
  }

  async log(namespace: string, key: string, options?: { readonly after?: number; readonly limit?: number }): Promise<LogEntry[]> {
    id(namespace, key);
    const { after, limit } = logWindow(options);
    const { rows } = await this.#db.query<{ seq: string; entry: string }>(
      'SELECT seq::text AS seq, entry FROM document_log WHERE namespace = $1 AND key = $2 AND seq > $3 ORDER BY seq LIMIT $4',
      [namespace, key, after, limit],
    );
    return rows.map((row) => ({ seq: Number(row.seq), entry: fromJson(row.entry, `log entry ${namespace}/${key}#${row.seq}`) }));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * On one machine, in files: `<dir>/<namespace>/<key>.json` (`{ version, value }`, replaced atomically)
 * and `<key>.log.jsonl`, both changed under `<key>.lock`. Shareable by processes on one host.
 */
export class FileVersionedStore implements VersionedStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  #paths(namespace: string, key: string): { doc: string; log: string; lock: string } {
    id(namespace, key);
    const base = join(this.dir, namespace, key);
    return { doc: `${base}.json`, log: `${base}.log.jsonl`, lock: `${base}.lock` };
  }

  get(namespace: string, key: string): Promise<Versioned | undefined> {
    return attempt(() => {
      const { doc } = this.#paths(namespace, key);
      const text = readIfExists(doc);
      if (text === undefined) return undefined;
      const parsed = fromJson(text, doc) as { version?: unknown; value?: unknown } | null;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.version !== 'number')
        throw new StateError(StateErrorCode.Corrupt, `${doc} is not a versioned document: restore it from a backup or delete it`);
      return { version: parsed.version, value: parsed.value };
    });
  }

  async compareAndSet(namespace: string, key: string, expectedVersion: number, value: unknown): Promise<CasResult> {
    checkVersion(expectedVersion);
    const text = toJson(value);
    const paths = this.#paths(namespace, key);
    return withFileLock(paths.lock, async () => {
      const current = await this.get(namespace, key);
      if ((current?.version ?? 0) !== expectedVersion) return { ok: false, current };
      writeAtomic(paths.doc, `{"version":${expectedVersion + 1},"value":${text}}`);
      return { ok: true, version: expectedVersion + 1 };
    });
  }

  async append(namespace: string, key: string, entry: unknown): Promise<number> {
    const text = toJson(entry);
    const paths = this.#paths(namespace, key);
    return withFileLock(paths.lock, () => {
      const seq = countLines(readIfExists(paths.log)) + 1;
      appendLine(paths.log, `{"seq":${seq},"entry":${text}}`);
      return seq;
    });
  }

  log(namespace: string, key: string, options?: { readonly after?: number; readonly limit?: number }): Promise<LogEntry[]> {
    return attempt(() => {
      const { after, limit } = logWindow(options);
      const { log } = this.#paths(namespace, key);
      const lines = (readIfExists(log) ?? '').split('\n').filter((line) => line !== '');
      return Promise.resolve(
        lines.slice(after, after + limit).map((line, index) => {
          const parsed = fromJson(line, `${log}:${after + index + 1}`) as { seq: number; entry: unknown };
          return { seq: parsed.seq, entry: parsed.entry };
        }),
      );
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function countLines(text: string | undefined): number {
  if (text === undefined) return 0;
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count++;
  return count;
}
