import {
  type IdempotencyLedger,
  InFlightError,
  LedgerError,
  type LedgerLockOptions,
  type LedgerRecord,
  ToolError,
  ToolErrorCode,
} from '@charter/tools';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateError } from './errors.js';
import { holderId, positiveMs } from './holder.js';
import type { SqlDriver } from './sql.js';

export interface SqlLedgerOptions {
  /**
   * How long a `lock` (the claim, then the owner of the `started` record) lasts without renewal. A live
   * holder renews it every third of this; the lease of a process that died (SIGKILL, lost host) expires,
   * and its `started` record is then in doubt. Default 30 000 ms.
   */
  readonly leaseMs?: number;
  /**
   * How long `lock` waits for another holder when the caller names no `waitMs` (the executor names the
   * tool's call budget), before failing with `TOOL_IN_FLIGHT`. Default 10 000 ms.
   */
  readonly lockTimeoutMs?: number;
}

interface Held {
  readonly token: string;
  /** The record read atomically with taking the lock; `get` returns it (then what we appended) while held. */
  record: LedgerRecord | undefined;
  released: boolean;
}

/**
 * The idempotency ledger in PostgreSQL (or PGlite), shareable by processes on any number of hosts.
 *
 * The executor holds `lock(key)` for a whole keyed call — from reading the record through the tool's
 * run to `completed` or `failed` — and this ledger keeps that lease in two places:
 * - while the call decides (no `started` of its own yet), a claim row in `ledger_locks` (primary key:
 *   one holder per key; a fresh unique token per acquisition), taken by the `ledger_lock` function,
 *   which then reads the key's record in a new snapshot (one round trip); the following `get` returns it;
 * - once it appended `started`, the record itself: `holder` (our token) and `lease_until` are written
 *   with it, in the same statement that checks the claim is still ours (`FOR UPDATE`; a holder whose
 *   claim expired and was taken over gets `TOOL_LEDGER` and writes nothing) and deletes the claim row.
 *   This owner is durable, unlike the UNLOGGED claim rows that a server crash empties.
 *
 * A live holder renews both every third of `leaseMs`. `ledger_lock` does not hand out a key whose
 * `started` record has a live owner: that call is **in flight**, and a waiter polls (backing off to
 * 50 ms) until it ends — then finds `completed` or `failed` and the executor replays or runs it — or
 * until its `waitMs` is over: `TOOL_IN_FLIGHT`, naming the holder. `completed`/`failed` and the release
 * clear the owner, so a `started` record left by a call that timed out or was aborted is **in doubt**
 * at once; one whose owner died (SIGKILL, lost host) becomes in doubt when its lease expires.
 * Records are the latest per key (`ledger` table); `completed` and `failed` replace `started`.
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
    const values = [record.key, record.state, record.tool, record.runId, text];
    if (held === undefined || held.released || record.state !== 'started') {
      // The end of a call ('completed', 'failed': its effect happened or not, say so even if our lease
      // was lost), or a record from a caller without the lock: no owner. The holder's claim row goes too.
      await this.#call('write', () =>
        this.#db.query(
          `WITH written AS (
             INSERT INTO ledger (key, state, tool, run_id, record) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (key) DO UPDATE SET state = excluded.state, tool = excluded.tool, run_id = excluded.run_id,
               record = excluded.record, holder = NULL, lease_until = NULL, updated_at = now()
             RETURNING key
           )
           DELETE FROM ledger_locks WHERE key = (SELECT key FROM written) AND holder = $6`,
          [...values, held === undefined || held.released ? null : held.token],
        ),
      );
      if (held !== undefined && !held.released) this.#forget(record.key, held);
      return;
    }
    // Our claim (or our own live 'started', for a second one) fences the write; the record takes over the lease.
    const { rows } = await this.#call('write', () =>
      this.#db.query<{ fenced: boolean }>(
        `WITH claim AS (SELECT key FROM ledger_locks WHERE key = $1 AND holder = $6 FOR UPDATE),
         owned AS (
           SELECT key FROM ledger WHERE key = $1 AND holder = $6 AND state = 'started' AND lease_until >= clock_timestamp() FOR UPDATE
         ),
         written AS (
           INSERT INTO ledger (key, state, tool, run_id, record, holder, lease_until)
           SELECT $1, $2, $3, $4, $5, $6, clock_timestamp() + $7 * interval '1 millisecond'
           WHERE EXISTS (SELECT 1 FROM claim) OR EXISTS (SELECT 1 FROM owned)
           ON CONFLICT (key) DO UPDATE SET state = excluded.state, tool = excluded.tool, run_id = excluded.run_id,
             record = excluded.record, holder = excluded.holder, lease_until = excluded.lease_until, updated_at = now()
           RETURNING key
         ),
         unclaimed AS (DELETE FROM ledger_locks WHERE key IN (SELECT key FROM written) AND holder = $6)
         SELECT EXISTS (SELECT 1 FROM written) AS fenced`,
        [...values, held.token, this.#leaseMs],
      ),
    );
    if (rows[0]?.fenced !== true) {
      this.#forget(record.key, held);
      throw new LedgerError(
        `lost the ledger lock on key "${record.key}" before writing "${record.state}": its lease (${this.#leaseMs} ms) expired and another process took it; nothing was written`,
      );
    }
    held.record = record;
  }

  async lock(key: string, options: LedgerLockOptions = {}): Promise<() => Promise<void>> {
    this.#open();
    const { signal } = options;
    if (signal?.aborted === true) throw aborted(key);
    const token = holderId();
    const waitMs = options.waitMs ?? this.#lockTimeoutMs;
    const begun = Date.now();
    const deadline = begun + waitMs;
    let wait = 1;
    for (;;) {
      const { rows } = await this.#call('lock', () =>
        this.#db.query<{ acquired: boolean; current_record: string | null; current_holder: string | null }>(
          'SELECT acquired, current_record, current_holder FROM ledger_lock($1, $2, $3)',
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
        throw new InFlightError(
          key,
          `an identical call with idempotency key "${key}" is still in flight (${row?.current_holder ?? 'another holder'} renews its ledger lease) after waiting ${Date.now() - begun} ms: try again later to get its result; a holder that died loses the lease after ${this.#leaseMs} ms`,
        );
      if (!(await pause(Math.min(wait * (0.5 + Math.random() / 2), Math.max(1, deadline - Date.now())), signal))) throw aborted(key);
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
      // The call ended without `completed` or `failed` (timed out, aborted, the ledger failed): its
      // `started` record, if any, has no owner any more and is in doubt from now on.
      await this.#db.query(
        `WITH unclaimed AS (DELETE FROM ledger_locks WHERE key = $1 AND holder = $2)
         UPDATE ledger SET holder = NULL, lease_until = NULL WHERE key = $1 AND holder = $2`,
        [key, held.token],
      );
    } catch {
      // Never rejects (the executor's contract): an unreleased claim or owner expires with its lease.
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
          .query(
            `WITH claims AS (
               UPDATE ledger_locks SET lease_until = clock_timestamp() + $2 * interval '1 millisecond' WHERE holder = ANY($1::text[])
             )
             UPDATE ledger SET lease_until = clock_timestamp() + $2 * interval '1 millisecond'
             WHERE holder = ANY($1::text[]) AND state = 'started'`,
            [tokens, this.#leaseMs],
          )
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

/** Resolves true after `ms`, false as soon as the signal aborts (at once when it already has). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return sleep(ms, true, signal === undefined ? undefined : { signal }).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'AbortError') return false;
    throw error;
  });
}

function aborted(key: string): ToolError {
  return new ToolError(ToolErrorCode.Aborted, `waiting for the ledger lock on key "${key}" was aborted by the caller`);
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
