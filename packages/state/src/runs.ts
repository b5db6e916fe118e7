import { parseState, type RunState, type RunStore, serializeState } from '@charter/agent';
import { StateError, StateErrorCode } from './errors.js';
import { holderId, positiveMs } from './holder.js';
import type { SqlDriver } from './sql.js';

export interface SqlRunStoreOptions {
  /**
   * How long a claim on a run lasts without renewal. The holder renews its claims every third of it, so
   * a live holder keeps them; a process that died (SIGKILL, lost host) loses them after this. Default 30 000 ms.
   */
  readonly leaseMs?: number;
}

/**
 * Run checkpoints in PostgreSQL (or PGlite): one row per run, written by one statement that also keeps
 * the `approvals` projection (the approval a paused run waits for; settled when the run moves on).
 * `claim` is a lease in `run_claims`: exclusive across processes and hosts, renewed while held, taken
 * over once expired.
 */
export class SqlRunStore implements RunStore {
  readonly #db: SqlDriver;
  readonly #holder = holderId();
  readonly #leaseMs: number;
  readonly #held = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(db: SqlDriver, options: SqlRunStoreOptions = {}) {
    this.#db = db;
    this.#leaseMs = positiveMs('leaseMs', options.leaseMs ?? 30_000);
  }

  /** This store's holder id (`host:pid:random`), as written in `run_claims.holder`. */
  get holder(): string {
    return this.#holder;
  }

  async save(state: RunState): Promise<void> {
    const pending = state.pending;
    await this.#db.query(
      `WITH run AS (
         INSERT INTO runs (run_id, agent, status, state) VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_id) DO UPDATE SET agent = excluded.agent, status = excluded.status, state = excluded.state,
           saves = runs.saves + 1, updated_at = now()
       ),
       requested AS (
         INSERT INTO approvals (approval_id, run_id, agent, tool, call_id, args, reason, status, requested_at)
         SELECT $5, $1, $2, $6, $7, $8, $9, 'pending', to_timestamp($10::float8 / 1000)
         WHERE $5::text IS NOT NULL
         ON CONFLICT (approval_id) DO NOTHING
       )
       UPDATE approvals SET
         status = CASE WHEN ($11::jsonb ->> call_id) IS NOT NULL THEN 'granted' ELSE 'denied' END,
         decided_by = coalesce(decided_by, $11::jsonb ->> call_id),
         decided_at = coalesce(decided_at, now())
       WHERE run_id = $1 AND status = 'pending' AND approval_id IS DISTINCT FROM $5::text AND $3 <> 'paused'`,
      [
        state.runId,
        state.agent,
        state.status,
        serializeState(state),
        pending?.approvalId ?? null,
        pending?.tool ?? null,
        pending?.callId ?? null,
        pending === undefined ? null : JSON.stringify(pending.args ?? null),
        pending?.reason ?? null,
        pending?.requestedAt ?? null,
        JSON.stringify(state.approved),
      ],
    );
  }

  async load(runId: string): Promise<RunState | undefined> {
    const { rows } = await this.#db.query<{ state: string }>('SELECT state FROM runs WHERE run_id = $1', [runId]);
    const row = rows[0];
    return row === undefined ? undefined : parseState(row.state, `${this.#db.kind}:${this.#db.schema}.runs/${runId}`);
  }

  async delete(runId: string): Promise<void> {
    await this.#db.query(
      `WITH r AS (DELETE FROM runs WHERE run_id = $1), a AS (DELETE FROM approvals WHERE run_id = $1)
       DELETE FROM run_claims WHERE run_id = $1`,
      [runId],
    );
    this.#held.delete(runId);
  }

  async claim(runId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `INSERT INTO run_claims (run_id, holder, lease_until) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
       ON CONFLICT (run_id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
       WHERE run_claims.lease_until < clock_timestamp()
       RETURNING run_id`,
      [runId, this.#holder, this.#leaseMs],
    );
    if (rowCount !== 1) return false;
    this.#held.add(runId);
    this.#renewLater();
    return true;
  }

  async release(runId: string): Promise<void> {
    this.#held.delete(runId);
    if (this.#held.size === 0) this.#stopRenewing();
    await this.#db.query('DELETE FROM run_claims WHERE run_id = $1 AND holder = $2', [runId, this.#holder]);
  }

  /** Stops renewing claims (they expire after the lease); the driver stays open. */
  close(): Promise<void> {
    this.#held.clear();
    this.#stopRenewing();
    return Promise.resolve();
  }

  #renewLater(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(
      () => {
        void this.#db
          .query(
            `UPDATE run_claims SET lease_until = clock_timestamp() + $2 * interval '1 millisecond' WHERE holder = $1 AND run_id = ANY($3::text[])`,
            [this.#holder, this.#leaseMs, [...this.#held]],
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
}

export function corrupt(what: string, detail: string): StateError {
  return new StateError(StateErrorCode.Corrupt, `${what} is not what Charter wrote (${detail}): restore it from a backup or delete it`);
}
