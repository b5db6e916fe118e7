import { type IdempotencyLedger, LedgerError, type LedgerRecord } from '@charter/tools';
import { StateError } from './errors.js';
import { delay, holderId, positiveMs } from './holder.js';
import type { SqlDriver } from './sql.js';

export interface SqlLedgerOptions {
  /**
   * How long a `lock` lasts without renewal. A live holder renews it every third of this; the lock of
   * a process that died (SIGKILL, lost host) is taken over once it expires. Default 30 000 ms.
   */
  readonly leaseMs?: number;
  /** How long `lock` waits for another holder before failing with `TOOL_LEDGER`. Default 10 000 ms. */
  readonly lockTimeoutMs?: number;
}

interface Held {
  readonly token: string;
  /** The record read atomically with taking the lock; `get` returns it while the lock is held. */
  record: LedgerRecord | undefined;
  released: boolean;
}

/**
 * The idempotency ledger in PostgreSQL (or PGlite), shareable by processes on any number of hosts.
 *
 * - `lock(key)` takes a lease row in `ledger_locks` (primary key: one holder per key; a fresh unique
 *   token per acquisition) and then reads the key's record, both in one call of the `ledger_lock`
 *   function (one round trip; the read gets its own snapshot, taken after the lock was won); the
 *   following `get` returns that record. A live holder renews the lease; an expired one is taken over.
 * - `append` of `started` for a key this ledger holds is fenced: it writes only while the lease row
 *   still carries our token (a row lock via `FOR UPDATE`), and releases the lock in the same statement,
 *   the point where the executor releases it anyway. A holder whose lease
 *   expired and was taken over gets `TOOL_LEDGER` instead of writing a second `started`.
 * - Records are the latest per key (`ledger` table); `completed` and `failed` replace `started`.
 */
export class SqlLedger implements IdempotencyLedger {
  readonly #db: SqlDriver;
  readonly #leaseMs: number;
  readonly #lockTimeoutMs: number;
  readonly #held = new Map<string, Held>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(db: SqlDriver, options: SqlLedgerOptions = {}) {
    this.#db = db;
    this.#leaseMs = positiveMs('leaseMs', options.leaseMs ?? 30_000);
    this.#lockTimeoutMs = positiveMs('lockTimeoutMs', options.lockTimeoutMs ?? 10_000);
  }

  async get(key: string): Promise<LedgerRecord | undefined> {
    this.#open();
    const held = this.#held.get(key);
    if (held !== undefined && !held.released) return held.record;
    const { rows } = await this.#call('read', () => this.#db.query<{ record: string }>('SELECT record FROM ledger WHERE key = $1', [key]));
    return rows[0] === undefined ? undefined : parseRecord(rows[0].record, key);
  }

  async append(record: LedgerRecord): Promise<void> {
    this.#open();
    const text = JSON.stringify(record);
    const held = this.#held.get(record.key);
    // Only the claim ('started') is fenced: 'completed' and 'failed' come from whoever ran the effect,
    // which may be another executor on this ledger while a third one holds the key's lock.
    if (held === undefined || held.released || record.state !== 'started') {
      await this.#call('write', () =>
        this.#db.query(
          `INSERT INTO ledger (key, state, tool, run_id, record) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (key) DO UPDATE SET state = excluded.state, tool = excluded.tool, run_id = excluded.run_id,
             record = excluded.record, updated_at = now()`,
          [record.key, record.state, record.tool, record.runId, text],
        ),
      );
      return;
    }
    const { rows } = await this.#call('write', () =>
      this.#db.query<{ fenced: boolean }>(
        `WITH fence AS (SELECT key FROM ledger_locks WHERE key = $1 AND holder = $6 FOR UPDATE),
         written AS (
           INSERT INTO ledger (key, state, tool, run_id, record)
           SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM fence)
           ON CONFLICT (key) DO UPDATE SET state = excluded.state, tool = excluded.tool, run_id = excluded.run_id,
             record = excluded.record, updated_at = now()
           RETURNING key
         ),
         unlocked AS (DELETE FROM ledger_locks WHERE key IN (SELECT key FROM written) AND holder = $6)
         SELECT EXISTS (SELECT 1 FROM written) AS fenced`,
        [record.key, record.state, record.tool, record.runId, text, held.token],
      ),
    );
    if (rows[0]?.fenced !== true) {
      this.#forget(record.key, held);
      throw new LedgerError(
        `lost the ledger lock on key "${record.key}" before writing "${record.state}": its lease (${this.#leaseMs} ms) expired and another process took it; nothing was written`,
      );
    }
    this.#forget(record.key, held);
  }

  async lock(key: string): Promise<() => Promise<void>> {
    this.#open();
    const token = holderId();
    const deadline = Date.now() + this.#lockTimeoutMs;
    let wait = 1;
    for (;;) {
      const { rows } = await this.#call('lock', () =>
        this.#db.query<{ acquired: boolean; current_record: string | null }>(
          'SELECT acquired, current_record FROM ledger_lock($1, $2, $3)',
          [key, token, this.#leaseMs],
        ),
      );
      const row = rows[0];
      if (row?.acquired === true) {
        const record = row.current_record === null ? undefined : parseRecord(row.current_record, key);
        const held: Held = { token, record, released: false };
        this.#held.set(key, held);
        this.#renewLater();
        return () => this.#release(key, held);
      }
      if (Date.now() >= deadline)
        throw new LedgerError(
          `timed out after ${this.#lockTimeoutMs} ms waiting for the ledger lock on key "${key}": another process holds it; a holder that died loses it after its lease (${this.#leaseMs} ms)`,
        );
      await delay(wait * (0.5 + Math.random() / 2));
      wait = Math.min(wait * 2, 50);
    }
  }

  /** Stops renewing; held locks expire after their lease. The driver stays open (its owner closes it). */
  close(): Promise<void> {
    this.#closed = true;
    this.#held.clear();
    this.#stopRenewing();
    return Promise.resolve();
  }

  async #release(key: string, held: Held): Promise<void> {
    if (held.released) return;
    this.#forget(key, held);
    try {
      await this.#db.query('DELETE FROM ledger_locks WHERE key = $1 AND holder = $2', [key, held.token]);
    } catch {
      // Never rejects (the executor's contract): an undeleted lock expires with its lease.
    }
  }

  #forget(key: string, held: Held): void {
    held.released = true;
    if (this.#held.get(key) === held) this.#held.delete(key);
    if (this.#held.size === 0) this.#stopRenewing();
  }

  #renewLater(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(
      () => {
        const tokens = [...this.#held.values()].map((held) => held.token);
        if (tokens.length === 0) return;
        void this.#db
          .query(`UPDATE ledger_locks SET lease_until = clock_timestamp() + $2 * interval '1 millisecond' WHERE holder = ANY($1::text[])`, [
            tokens,
            this.#leaseMs,
          ])
          .catch(() => undefined);
      },
      Math.max(10, Math.floor(this.#leaseMs / 3)),
    );
    this.#timer.unref();
  }

  #stopRenewing(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #open(): void {
    if (this.#closed) throw new LedgerError('the SQL idempotency ledger is closed');
  }

  async #call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new LedgerError(
        `cannot ${what} the idempotency ledger (${this.#db.kind}, schema ${this.#db.schema}): ${StateError.isInstance(error) ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}

function parseRecord(text: string, key: string): LedgerRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LedgerError(`the ledger record of key "${key}" is not JSON: repair or delete the row`, { cause: error });
  }
  const record = value as Partial<LedgerRecord> | null;
  if (record?.key !== key || (record.state !== 'started' && record.state !== 'completed' && record.state !== 'failed'))
    throw new LedgerError(`the ledger record of key "${key}" is not a ledger record: repair or delete the row`);
  return record as LedgerRecord;
}
