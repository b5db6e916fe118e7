// Anchors the head of a hash-chained audit log outside its file. The chain alone shows an edited or
// removed record in the middle, but not a file cut after its last good record, nor one rewritten
// whole by someone who recomputed the hashes. The anchored head (seq and hash of the last record)
// shows both: the file must still hold that record, with that hash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AuditEntry,
  type AuditLog,
  type AuditRecord,
  type AuditVerification,
  verifyAuditBytes,
  type VerifyAuditOptions,
} from '@charter/telemetry';
import { attempt, StateError, StateErrorCode } from './errors.js';
import { readIfExists, withFileLock, writeAtomic } from './file-lock.js';
import { checkName } from './names.js';
import type { SqlDriver } from './sql.js';

/** The last record of a log: its `seq` (0-based) and `hash`. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** Where audit heads are anchored, by log id (e.g. the agent name). */
export interface AuditAnchorStore {
  head(logId: string): Promise<AuditHead | undefined>;
  /**
   * Moves the head forward; an older head is ignored (appends may be anchored out of order). The same
   * seq with another hash fails with `STATE_AUDIT_MISMATCH`: two different chains claim the log.
   */
  advance(logId: string, head: AuditHead): Promise<void>;
  close(): Promise<void>;
}

function checkHead(head: AuditHead): AuditHead {
  if (!Number.isSafeInteger(head.seq) || head.seq < 0 || !/^[0-9a-f]{64}$/.test(head.hash))
    throw new StateError(StateErrorCode.BadConfig, `an audit head needs a seq ≥ 0 and a 64-hex-digit hash, got ${JSON.stringify(head)}`);
  return head;
}

function fork(logId: string, stored: AuditHead, head: AuditHead): StateError {
  return new StateError(
    StateErrorCode.AuditMismatch,
    `audit log ${logId}: record ${head.seq} has hash ${head.hash.slice(0, 12)}…, but ${stored.hash.slice(0, 12)}… is anchored for it: the log was rewritten; keep the file and investigate`,
  );
}

/** In memory (tests). */
export class MemoryAuditAnchorStore implements AuditAnchorStore {
  readonly #heads = new Map<string, AuditHead>();

  head(logId: string): Promise<AuditHead | undefined> {
    return attempt(() => {
      return this.#heads.get(checkName('log id', logId));
    });
  }

  advance(logId: string, head: AuditHead): Promise<void> {
    return attempt(() => {
      checkName('log id', logId);
      checkHead(head);
      const stored = this.#heads.get(logId);
      if (stored?.seq === head.seq && stored.hash !== head.hash) throw fork(logId, stored, head);
      if (stored === undefined || stored.seq < head.seq) this.#heads.set(logId, { seq: head.seq, hash: head.hash });
      return;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * One file per log in `dir` (`<logId>.head.json`). Weaker than the database: whoever can rewrite the
 * audit file may be able to rewrite this one too; keep `dir` on another volume or under other rights.
 */
export class FileAuditAnchorStore implements AuditAnchorStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  head(logId: string): Promise<AuditHead | undefined> {
    return attempt(() => {
      const text = readIfExists(join(this.dir, `${checkName('log id', logId)}.head.json`));
      if (text === undefined) return undefined;
      try {
        return checkHead(JSON.parse(text) as AuditHead);
      } catch (error) {
        throw new StateError(StateErrorCode.Corrupt, `the audit head of ${logId} in ${this.dir} is unreadable: restore it`, {
          cause: error,
        });
      }
    });
  }

  async advance(logId: string, head: AuditHead): Promise<void> {
    checkName('log id', logId);
    checkHead(head);
    const file = join(this.dir, `${logId}.head.json`);
    await withFileLock(`${file}.lock`, async () => {
      const stored = await this.head(logId);
      if (stored?.seq === head.seq && stored.hash !== head.hash) throw fork(logId, stored, head);
      if (stored === undefined || stored.seq < head.seq) writeAtomic(file, JSON.stringify({ seq: head.seq, hash: head.hash }));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** In PostgreSQL (or PGlite): `audit_heads`, moved forward by one statement. */
export class SqlAuditAnchorStore implements AuditAnchorStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async head(logId: string): Promise<AuditHead | undefined> {
    checkName('log id', logId);
    const { rows } = await this.#db.query<{ seq: string; hash: string }>(
      'SELECT seq::text AS seq, hash FROM audit_heads WHERE log_id = $1',
      [logId],
    );
    const row = rows[0];
    return row === undefined ? undefined : { seq: Number(row.seq), hash: row.hash };
  }

  async advance(logId: string, head: AuditHead): Promise<void> {
    checkName('log id', logId);
    checkHead(head);
    const { rows } = await this.#db.query<{ seq: string; hash: string }>(
      `WITH moved AS (
         INSERT INTO audit_heads (log_id, seq, hash) VALUES ($1, $2, $3)
         ON CONFLICT (log_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, updated_at = now()
         WHERE audit_heads.seq < excluded.seq
         RETURNING seq
       )
       SELECT seq::text AS seq, hash FROM audit_heads WHERE log_id = $1 AND NOT EXISTS (SELECT 1 FROM moved)`,
      [logId, head.seq, head.hash],
    );
    const stored = rows[0];
    if (stored !== undefined && Number(stored.seq) === head.seq && stored.hash !== head.hash)
      throw fork(logId, { seq: Number(stored.seq), hash: stored.hash }, head);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** An audit log whose every append also anchors the new head; `flush` waits for the anchor writes. */
export interface AnchoredAuditLog extends AuditLog {
  /** Resolves once every head so far is anchored; rejects with the first anchoring error. */
  flush(): Promise<void>;
}

/**
 * Wraps an audit log (`openAuditLog`) so that each append moves the anchored head. Appends stay
 * synchronous; the anchor writes follow in order, coalesced (only the newest head is written when
 * several wait). An anchoring failure is thrown by the next `append` and by `flush`: never silent.
 */
export function anchorAuditLog(log: AuditLog, store: AuditAnchorStore, logId: string): AnchoredAuditLog {
  checkName('log id', logId);
  let pending: AuditHead | undefined;
  let writing: Promise<void> = Promise.resolve();
  let failure: unknown;
  const pump = async (): Promise<void> => {
    while (pending !== undefined) {
      const head = pending;
      pending = undefined;
      await store.advance(logId, head);
    }
  };
  const schedule = (): void => {
    writing = writing.then(pump).catch((error: unknown) => {
      failure ??= error;
    });
  };
  return {
    get path() {
      return log.path;
    },
    get size() {
      return log.size;
    },
    get lastHash() {
      return log.lastHash;
    },
    append(entry: AuditEntry): AuditRecord {
      if (failure !== undefined) throw failure as Error;
      const record = log.append(entry);
      const wasIdle = pending === undefined;
      pending = { seq: record.seq, hash: record.hash };
      if (wasIdle) schedule();
      return record;
    },
    async flush() {
      await writing;
      if (pending !== undefined) {
        schedule();
        await writing;
      }
      if (failure !== undefined) throw failure as Error;
    },
  };
}

export interface AnchoredVerification extends AuditVerification {
  /** The head anchored in the store (undefined: nothing anchored for this log yet). */
  readonly anchored: AuditHead | undefined;
  /** Why the file does not match the anchored head (truncated, replaced), when it does not. */
  readonly anchorProblem?: string;
}

/**
 * Verifies an audit file's chain (`verifyAudit`) and then that it still holds the anchored head: at
 * least `seq + 1` records, and record `seq` hashing to the anchored hash. A file cut after any record,
 * emptied, deleted or rewritten with recomputed hashes fails here although its chain may verify.
 */
export async function verifyAnchoredAudit(
  path: string,
  store: AuditAnchorStore,
  logId: string,
  options: VerifyAuditOptions = {},
): Promise<AnchoredVerification> {
  const anchored = await store.head(logId);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = `cannot read ${path}: ${(error as Error).message}`;
    return {
      ok: false,
      records: 0,
      checkpoints: 0,
      unverifiedCheckpoints: 0,
      firstBroken: { index: 0, line: 1, reason },
      anchored,
      ...(anchored === undefined ? {} : { anchorProblem: `${reason}, but record ${anchored.seq} is anchored` }),
    };
  }
  const chain = verifyAuditBytes(bytes, options);
  if (!chain.ok || anchored === undefined) return { ...chain, anchored };
  if (chain.records <= anchored.seq)
    return {
      ...chain,
      ok: false,
      anchored,
      anchorProblem: `the file holds ${chain.records} record(s) but record ${anchored.seq} is anchored: it was truncated (or replaced by a shorter log)`,
    };
  const line = bytes.toString('utf8').split('\n')[anchored.seq] ?? '';
  const hash = (JSON.parse(line) as { hash?: unknown }).hash;
  if (hash !== anchored.hash)
    return {
      ...chain,
      ok: false,
      anchored,
      anchorProblem: `record ${anchored.seq} hashes to ${String(hash).slice(0, 12)}…, but ${anchored.hash.slice(0, 12)}… is anchored: the log was rewritten`,
    };
  return { ...chain, anchored };
}
