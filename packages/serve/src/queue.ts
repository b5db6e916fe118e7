// The durable run queue in the state database's `jobs` table. Admission checks the bounded queue and
// the tenant's quotas; workers claim with `FOR UPDATE SKIP LOCKED` in start-time fair-queuing order
// (a job's `vtime` is its tenant's previous virtual time plus 1/weight, never behind the queue's head),
// skipping tenants at their running cap, and hold a lease they renew; an expired lease is taken over.
import { randomBytes } from 'node:crypto';
import type { SqlDriver } from '@charter/state';
import { type Quotas, requestBurst } from './quotas.js';

export type JobKind = 'run' | 'resume';
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobPayload {
  readonly input: string;
  readonly user?: string | undefined;
  readonly context?: Readonly<Record<string, string | readonly string[]>> | undefined;
  readonly variant?: 'control' | 'shadow' | 'candidate' | undefined;
  /** A resume: the human's decision. */
  readonly decision?: { readonly approved: boolean; readonly approver: string; readonly reason?: string | undefined } | undefined;
  /** The process (`host:pid`) whose request waits for the run: a finish in another process notifies it. */
  readonly waiter?: string | undefined;
  /** Usage already charged to the tenant for this run (a resume charges only what it adds). */
  readonly charged?: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number } | undefined;
}

export interface Job {
  readonly id: string;
  readonly tenant: string;
  readonly agent: string;
  readonly kind: JobKind;
  readonly status: JobStatus;
  readonly payload: JobPayload;
  readonly attempts: number;
  readonly result: unknown;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface Row {
  job_id: string;
  tenant_id: string;
  agent: string;
  kind: JobKind;
  status: JobStatus;
  payload: JobPayload | string;
  attempts: number | string;
  result: unknown;
  created_at: Date | string;
  updated_at: Date | string;
}

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

function toJob(row: Row): Job {
  return {
    id: row.job_id,
    tenant: row.tenant_id,
    agent: row.agent,
    kind: row.kind,
    status: row.status,
    payload: json(row.payload),
    attempts: Number(row.attempts),
    result: row.result === null || row.result === undefined ? undefined : json(row.result),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Why a run request was not admitted, and when to try again. */
export type Rejection =
  | { readonly kind: 'queue-full'; readonly retryAfterS: number; readonly queued: number; readonly limit: number }
  | {
      readonly kind: 'quota';
      readonly quota: keyof Quotas;
      readonly limit: number;
      /** requestsPerMinute: requests admitted in the last 60 s; concurrentRuns: runs queued or running; per day: tokens or USD charged today. */
      readonly used: number;
      /** requestsPerMinute: the most its token bucket admits at once (`requestBurst(limit)`). */
      readonly burst?: number;
      readonly retryAfterS: number;
    };

export interface QueueOptions {
  readonly agent: string;
  /** Queued jobs of every tenant at most (default 1000): beyond it, 503 + Retry-After. */
  readonly maxQueued?: number;
  /** Lease of a claimed job (default 10 000 ms), renewed every third of it while the worker lives. */
  readonly leaseMs?: number;
  /** Runs of one tenant running at once across every worker (default: no cap). */
  readonly maxRunningPerTenant?: number;
  /**
   * How long a refusal by `requestsPerMinute`, `tokensPerDay` or `costPerDayUsd` is answered from memory
   * (default 1000 ms, never beyond its Retry-After; 0: always ask the database). Refusing is never unsafe:
   * these quotas cannot come free before the Retry-After the database gave.
   */
  readonly refusalCacheMs?: number;
}

export const newRunId = (): string => `run_${randomBytes(12).toString('base64url')}`;

/** A tenant's admissions in flight from one process at most (the database runs one at a time: the others wait for its lock). */
const ADMISSIONS_IN_FLIGHT = 4;

const VIRTUAL_NOW = `coalesce((SELECT min(vtime) FROM jobs WHERE status = 'queued'), (SELECT max(vtime) FROM jobs WHERE status <> 'queued'), 0)`;
const TODAY = `(now() AT TIME ZONE 'UTC')::date`;

/** The parameters serve_finish takes ($1-$9), shared by `finish` and `finishAndClaim`. */
function finishParams(
  job: Job,
  holder: string,
  outcome: { readonly status: 'done' | 'failed'; readonly result: unknown },
  usage: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number },
): unknown[] {
  return [
    job.id,
    holder,
    outcome.status,
    JSON.stringify(outcome.result ?? null),
    job.attempts,
    job.kind === 'run' ? 1 : 0,
    usage.inputTokens,
    usage.outputTokens,
    usage.costUsd,
  ];
}

export class JobQueue {
  readonly #db: SqlDriver;
  readonly agent: string;
  readonly maxQueued: number;
  readonly leaseMs: number;
  readonly maxRunningPerTenant: number;
  /**
   * A tenant's last refusal by a quota that cannot come free before its Retry-After (requests per minute:
   * the bucket's next token and the oldest request leaving the minute come no earlier; tokens and cost per
   * day: only grow until midnight). Within
   * `refusalCacheMs` of it, and while the tenant's limit is the same, the refusal is answered here without
   * the database: a flooding tenant's 429s cost this instance little and the database nothing.
   */
  readonly #refused = new Map<
    string,
    { readonly rejection: Rejection & { kind: 'quota' }; readonly until: number; readonly retryAt: number }
  >();
  readonly #refusalCacheMs: number;
  /** Per tenant, its admissions in flight from this process (at most ADMISSIONS_IN_FLIGHT) and those waiting for one to end. */
  readonly #gates = new Map<string, { active: number; readonly waiting: (() => void)[] }>();

  constructor(db: SqlDriver, options: QueueOptions) {
    this.#db = db;
    this.agent = options.agent;
    this.maxQueued = options.maxQueued ?? 1000;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.maxRunningPerTenant = options.maxRunningPerTenant ?? 1_000_000;
    this.#refusalCacheMs = options.refusalCacheMs ?? 1000;
  }

  /**
   * Admits a run request: checks the bounded queue and the tenant's quotas, then inserts the job.
   * Returns the job, or why it was refused. One transaction, so two requests of one tenant cannot both pass the last free slot.
   */
  async enqueue(
    tenant: { readonly id: string; readonly weight: number },
    quotas: Quotas,
    payload: JobPayload,
    runId: string = newRunId(),
  ): Promise<{ readonly job: Job } | { readonly rejected: Rejection }> {
    const refused = this.#refusedNow(tenant.id, quotas);
    if (refused !== undefined) return { rejected: refused };
    // The database serialises a tenant's admissions (its advisory lock): more than four of one tenant in
    // flight from this process would only wait for that lock on pooled connections that the other
    // tenants' statements need. The rest wait here, and a refusal meanwhile answers them from memory.
    let gate = this.#gates.get(tenant.id);
    if (gate === undefined) this.#gates.set(tenant.id, (gate = { active: 0, waiting: [] }));
    if (gate.active < ADMISSIONS_IN_FLIGHT) gate.active++;
    else {
      await new Promise<void>((resolve) => gate.waiting.push(resolve)); // the slot of an admission that ended
      const again = this.#refusedNow(tenant.id, quotas);
      if (again !== undefined) {
        this.#leave(tenant.id, gate);
        return { rejected: again };
      }
    }
    try {
      return await this.#admit(tenant, quotas, payload, runId);
    } finally {
      this.#leave(tenant.id, gate);
    }
  }

  /** Ends an admission of the tenant: its slot goes to the next one waiting. */
  #leave(tenant: string, gate: { active: number; readonly waiting: (() => void)[] }): void {
    const next = gate.waiting.shift();
    if (next !== undefined) next();
    else if (--gate.active === 0) this.#gates.delete(tenant);
  }

  /**
   * A refusal of the tenant by a quota that `enqueue` would repeat from memory right now (undefined: it
   * would ask the database). Lets a caller answer it before building the job.
   */
  refusedNow(tenant: string, quotas: Quotas): Rejection | undefined {
    return this.#refusedNow(tenant, quotas);
  }

  /** A refusal of the tenant still valid (see `#refused`), with its Retry-After from now. */
  #refusedNow(tenant: string, quotas: Quotas): Rejection | undefined {
    const refused = this.#refused.get(tenant);
    if (refused === undefined) return undefined;
    const now = Date.now();
    const { rejection } = refused;
    if (now < refused.until && quotas[rejection.quota] === rejection.limit)
      return { ...rejection, retryAfterS: Math.max(1, Math.ceil((refused.retryAt - now) / 1000)) };
    this.#refused.delete(tenant);
    return undefined;
  }

  async #admit(
    tenant: { readonly id: string; readonly weight: number },
    quotas: Quotas,
    payload: JobPayload,
    runId: string,
  ): Promise<{ readonly job: Job } | { readonly rejected: Rejection }> {
    const now = Date.now();
    // One statement (migration 8's serve_admit_paced): under the tenant's admission lock, the queue bound
    // and the quotas are checked (requestsPerMinute: the sliding minute and the token bucket) and the job
    // inserted, with its token taken, only when all pass; durable, like every admission.
    const burst = requestBurst(quotas.requestsPerMinute);
    const { rows } = await this.#db.query<{
      o_outcome: 'queued' | 'queue-full' | keyof Quotas;
      o_queued: string;
      o_recent: string;
      o_free_in: number | string | null;
      o_active: string;
      o_tokens: string;
      o_cost: string;
      o_created_at: Date | string | null;
      o_updated_at: Date | string | null;
    }>('SELECT * FROM serve_admit_paced($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11)', [
      runId,
      tenant.id,
      this.agent,
      JSON.stringify(payload),
      tenant.weight,
      this.maxQueued,
      quotas.requestsPerMinute,
      burst,
      quotas.concurrentRuns,
      quotas.tokensPerDay,
      quotas.costPerDayUsd,
    ]);
    const row = rows[0];
    if (row === undefined) throw new Error(`the admission of ${runId} returned nothing`);
    if (row.o_outcome === 'queued') {
      const at = new Date(row.o_created_at ?? Date.now()).toISOString();
      const job: Job = {
        id: runId,
        tenant: tenant.id,
        agent: this.agent,
        kind: 'run',
        status: 'queued',
        payload,
        attempts: 0,
        result: undefined,
        createdAt: at,
        updatedAt: new Date(row.o_updated_at ?? at).toISOString(),
      };
      return { job };
    }
    if (row.o_outcome === 'queue-full') {
      const queued = Number(row.o_queued);
      return { rejected: { kind: 'queue-full', retryAfterS: 1, queued, limit: this.maxQueued } };
    }
    const untilMidnight = Math.max(1, Math.ceil((Date.UTC(...utcTomorrow()) - Date.now()) / 1000));
    const quota = row.o_outcome;
    // When the quota can come free at the earliest (ms from now; concurrentRuns: any moment).
    const freeInMs =
      quota === 'requestsPerMinute'
        ? Math.max(0, Math.ceil(Number(row.o_free_in ?? 0) * 1000))
        : quota === 'concurrentRuns'
          ? 0
          : Date.UTC(...utcTomorrow()) - now;
    const [used, retryAfterS] =
      quota === 'requestsPerMinute'
        ? [Number(row.o_recent), Math.max(1, Math.ceil(freeInMs / 1000))]
        : quota === 'concurrentRuns'
          ? [Number(row.o_active), 1]
          : [Number(quota === 'tokensPerDay' ? row.o_tokens : row.o_cost), untilMidnight];
    const rejection = {
      kind: 'quota',
      quota,
      limit: quotas[quota],
      used,
      ...(quota === 'requestsPerMinute' ? { burst } : {}),
      retryAfterS,
    } as const;
    if (freeInMs > 0 && this.#refusalCacheMs > 0)
      this.#refused.set(tenant.id, { rejection, until: now + Math.min(this.#refusalCacheMs, freeInMs), retryAt: now + freeInMs });
    return { rejected: rejection };
  }

  /** Queues a resume of a paused run (the approval endpoint); false when the run is not paused or not the tenant's. */
  async enqueueResume(runId: string, tenant: string, decision: NonNullable<JobPayload['decision']>): Promise<Job | undefined> {
    const { rows } = await this.#db.query<Row>(
      `UPDATE jobs SET kind = 'resume', status = 'queued', updated_at = now(), vtime = ${VIRTUAL_NOW},
         payload = payload || jsonb_build_object('decision', $3::jsonb, 'charged', result -> 'usage')
       WHERE job_id = $1 AND tenant_id = $2 AND agent = $4 AND status = 'done' AND result ->> 'status' = 'paused'
       RETURNING *`,
      [runId, tenant, JSON.stringify(decision), this.agent],
    );
    return rows[0] === undefined ? undefined : toJob(rows[0]);
  }

  /** A tenant's job (another tenant's is undefined, like a missing one). */
  async get(runId: string, tenant: string): Promise<Job | undefined> {
    const { rows } = await this.#db.query<Row>('SELECT * FROM jobs WHERE job_id = $1 AND tenant_id = $2 AND agent = $3', [
      runId,
      tenant,
      this.agent,
    ]);
    return rows[0] === undefined ? undefined : toJob(rows[0]);
  }

  /**
   * Claims the next job for `holder`: first a running job whose lease expired (its worker died), then the
   * queued job with the smallest virtual time among tenants below their running cap.
   */
  async claim(holder: string, takeover = true): Promise<Job | undefined> {
    // One statement (migration 7's serve_claim), committed without a WAL flush: a claim lost in a server
    // crash only returns the job to the queue. Candidates are read in fair order without locks (a
    // concurrent claimer must still see them, to pass over a tenant at its cap); per tenant, an advisory
    // lock serialises the running count with the claim, so two workers never both take a tenant's last
    // free slot; the job itself is taken with FOR UPDATE SKIP LOCKED.
    const { rows } = await this.#db.query<Row>('SELECT * FROM serve_claim($1, $2, $3, $4, $5)', [
      holder,
      this.leaseMs,
      this.agent,
      Math.min(this.maxRunningPerTenant, 1_000_000),
      takeover,
    ]);
    return rows[0] === undefined ? undefined : toJob(rows[0]);
  }

  /** Renews the leases `holder` has on `jobIds`. */
  async renew(holder: string, jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.#db.query(
      `UPDATE jobs SET lease_until = clock_timestamp() + $2 * interval '1 millisecond' WHERE holder = $1 AND status = 'running' AND job_id = ANY($3::text[])`,
      [holder, this.leaseMs, [...jobIds]],
    );
  }

  /**
   * Finishes a claimed job (fenced: only the holder of this attempt may) and charges the tenant the usage
   * it added, in one transaction. False when the lease was lost: another worker owns the job now.
   */
  async finish(
    job: Job,
    holder: string,
    outcome: { readonly status: 'done' | 'failed'; readonly result: unknown },
    usage: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number },
  ): Promise<boolean> {
    // A finish lost in a server crash leaves the job running: its lease expires and the run is executed
    // again under the same id, which the idempotency ledger (durable) answers without a second effect.
    // The fenced update and the charge are one statement (migration 7's serve_finish): the charge is made
    // only when the update matched.
    const { rows } = await this.#db.query<{ kept: boolean }>(
      'SELECT serve_finish($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9) AS kept',
      finishParams(job, holder, outcome, usage),
    );
    return rows[0]?.kept === true;
  }

  /**
   * `finish`, then `claim` for the same holder, in one statement: the worker's next job (or undefined) comes
   * back with whether the finish was kept.
   */
  async finishAndClaim(
    job: Job,
    holder: string,
    outcome: { readonly status: 'done' | 'failed'; readonly result: unknown },
    usage: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number },
    takeover = true,
  ): Promise<{ readonly kept: boolean; readonly next: Job | undefined }> {
    const { rows } = await this.#db.query<{ o_kept: boolean; o_next: Row | string | null }>(
      'SELECT * FROM serve_finish_claim($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)',
      [...finishParams(job, holder, outcome, usage), this.leaseMs, this.agent, Math.min(this.maxRunningPerTenant, 1_000_000), takeover],
    );
    const row = rows[0];
    const next = row?.o_next === null || row?.o_next === undefined ? undefined : toJob(json<Row>(row.o_next));
    return { kept: row?.o_kept === true, next };
  }

  /** Gives a claimed job back to the queue (graceful shutdown of a worker that could not finish it). */
  async release(job: Job, holder: string): Promise<void> {
    await this.#db.query(
      `UPDATE jobs SET status = 'queued', holder = NULL, lease_until = NULL, updated_at = now() WHERE job_id = $1 AND holder = $2 AND status = 'running'`,
      [job.id, holder],
    );
  }

  /** Queued and running jobs of this agent, per tenant (for /metrics and /readyz). */
  async depth(): Promise<{ readonly queued: number; readonly running: number }> {
    const { rows } = await this.#db.query<{ queued: string; running: string }>(
      `SELECT count(*) FILTER (WHERE status = 'queued') AS queued, count(*) FILTER (WHERE status = 'running') AS running
       FROM jobs WHERE agent = $1 AND status IN ('queued', 'running')`,
      [this.agent],
    );
    return { queued: Number(rows[0]?.queued ?? 0), running: Number(rows[0]?.running ?? 0) };
  }

  /** Usage charged to a tenant today. */
  async usageToday(tenant: string): Promise<{ readonly runs: number; readonly tokens: number; readonly costUsd: number }> {
    const { rows } = await this.#db.query<{ runs: string; tokens: string; cost: string }>(
      `SELECT coalesce(sum(runs), 0) AS runs, coalesce(sum(input_tokens + output_tokens), 0) AS tokens, coalesce(sum(cost_usd), 0) AS cost
       FROM usage WHERE tenant_id = $1 AND day = ${TODAY}`,
      [tenant],
    );
    return { runs: Number(rows[0]?.runs ?? 0), tokens: Number(rows[0]?.tokens ?? 0), costUsd: Number(rows[0]?.cost ?? 0) };
  }
}

function utcTomorrow(): [number, number, number] {
  const now = new Date();
  return [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1];
}
