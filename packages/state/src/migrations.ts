// The one schema of Charter's shared state, as numbered migrations. `migrate` applies the missing ones
// in a single transaction under an advisory lock, so any number of instances may start at once: the
// first applies them, the others wait for the lock and find nothing left to do.
import { StateError, StateErrorCode } from './errors.js';
import type { SqlDriver } from './sql.js';

export interface Migration {
  /** 1, 2, 3, …: applied in order, each exactly once, never edited once released. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, approvals, ledger, audit heads, documents, controls',
    sql: `
CREATE TABLE runs (
  run_id      text PRIMARY KEY,
  agent       text NOT NULL,
  status      text NOT NULL,
  state       text NOT NULL,
  saves       bigint NOT NULL DEFAULT 1,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_agent_status ON runs (agent, status);

-- Who holds a run (the process resuming it) until when: a lease, renewed while held. UNLOGGED: taking
-- and releasing a lease needs no WAL flush (no fsync); a server crash empties the table, which only
-- frees leases early (a lost ledger lock then fails its holder's fenced write instead of writing twice).
CREATE UNLOGGED TABLE run_claims (
  run_id       text PRIMARY KEY,
  holder       text NOT NULL,
  lease_until  timestamptz NOT NULL
);

-- Projection of the approvals paused runs wait for (written with the checkpoint that pauses).
CREATE TABLE approvals (
  approval_id      text PRIMARY KEY,
  run_id           text NOT NULL,
  agent            text NOT NULL,
  tool             text NOT NULL,
  call_id          text NOT NULL,
  args             text NOT NULL,
  reason           text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'granted', 'denied')),
  requested_at     timestamptz NOT NULL,
  decided_by       text,
  decision_reason  text,
  decided_at       timestamptz
);
CREATE INDEX approvals_run ON approvals (run_id);
CREATE INDEX approvals_pending ON approvals (agent, requested_at) WHERE status = 'pending';

-- The idempotency ledger: the latest record per key (started → completed | failed).
CREATE TABLE ledger (
  key         text PRIMARY KEY,
  state       text NOT NULL CHECK (state IN ('started', 'completed', 'failed')),
  tool        text NOT NULL,
  run_id      text NOT NULL,
  record      text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- The exclusive claim on a key while "read → decide → append started" runs: a lease with a fencing token.
-- UNLOGGED, like run_claims: the durable fact is the 'started' record, written with one WAL flush.
CREATE UNLOGGED TABLE ledger_locks (
  key          text PRIMARY KEY,
  holder       text NOT NULL,
  lease_until  timestamptz NOT NULL
);

-- Takes the lock of a key if it is free or its lease expired, then reads the key's record. A function,
-- so that the read is a new statement with a new snapshot: it sees the 'started' record of the holder whose
-- lock we just took over (one statement would read with a snapshot taken before that holder committed).
CREATE FUNCTION ledger_lock(p_key text, p_holder text, p_lease_ms double precision)
RETURNS TABLE (acquired boolean, current_record text) LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  INSERT INTO ledger_locks AS l (key, holder, lease_until)
  VALUES (p_key, p_holder, clock_timestamp() + p_lease_ms * interval '1 millisecond')
  ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
  WHERE l.lease_until < clock_timestamp();
  acquired := FOUND;
  current_record := NULL;
  IF acquired THEN
    SELECT t.record INTO current_record FROM ledger t WHERE t.key = p_key;
  END IF;
  RETURN NEXT;
END
$fn$;

-- The head of each hash-chained audit log, anchored outside the file.
CREATE TABLE audit_heads (
  log_id      text PRIMARY KEY,
  seq         bigint NOT NULL,
  hash        text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Versioned documents (compare-and-set by version) and an append-only log beside each.
CREATE TABLE documents (
  namespace   text NOT NULL,
  key         text NOT NULL,
  version     bigint NOT NULL CHECK (version > 0),
  value       text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, key)
);
CREATE TABLE document_log (
  namespace  text NOT NULL,
  key        text NOT NULL,
  seq        bigint NOT NULL,
  entry      text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, key, seq)
);

-- Operational controls in force (target: the tool of tool.disable, '' otherwise) and their history.
CREATE TABLE controls (
  agent   text NOT NULL,
  action  text NOT NULL,
  target  text NOT NULL DEFAULT '',
  value   text,
  set_by  text NOT NULL,
  reason  text NOT NULL,
  set_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent, action, target)
);
CREATE TABLE control_events (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agent   text NOT NULL,
  action  text NOT NULL,
  target  text NOT NULL DEFAULT '',
  op      text NOT NULL CHECK (op IN ('set', 'clear')),
  value   text,
  actor   text NOT NULL,
  reason  text NOT NULL,
  at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX control_events_agent ON control_events (agent, id);
`,
  },
  {
    version: 2,
    name: 'serving: tenants, jobs, usage',
    sql: `
CREATE TABLE tenants (
  tenant_id   text PRIMARY KEY,
  name        text NOT NULL,
  settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A queue of runs to execute: workers take jobs with FOR UPDATE SKIP LOCKED and hold a lease.
CREATE TABLE jobs (
  job_id       text PRIMARY KEY,
  tenant_id    text REFERENCES tenants (tenant_id),
  agent        text NOT NULL,
  kind         text NOT NULL,
  payload      jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  attempts     integer NOT NULL DEFAULT 0,
  run_after    timestamptz NOT NULL DEFAULT now(),
  holder       text,
  lease_until  timestamptz,
  run_id       text,
  result       jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready ON jobs (run_after) WHERE status = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE status = 'running';

-- Usage per tenant, agent and day (metering, quotas).
CREATE TABLE usage (
  tenant_id      text NOT NULL,
  agent          text NOT NULL,
  day            date NOT NULL,
  runs           bigint NOT NULL DEFAULT 0,
  input_tokens   bigint NOT NULL DEFAULT 0,
  output_tokens  bigint NOT NULL DEFAULT 0,
  cost_usd       numeric(14, 6) NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, agent, day)
);
`,
  },
  {
    version: 3,
    name: 'ledger: a started record carries its owner and lease (in flight vs in doubt)',
    sql: `
-- The owner of a 'started' record and until when it is alive: written with the record (durable, in the
-- same WAL flush), renewed while the call runs, cleared when it ends. A 'started' record with a live
-- lease is in flight: ledger_lock does not hand its key to anybody else, so an identical call waits and
-- replays the result. One whose lease was cleared or lapsed (the owner timed out, gave up or died) is in
-- doubt. Rows written before this migration have no owner: in doubt, as they were.
ALTER TABLE ledger ADD COLUMN holder text, ADD COLUMN lease_until timestamptz;
CREATE INDEX ledger_holder ON ledger (holder) WHERE holder IS NOT NULL;

-- As in migration 1, and: a key whose 'started' record has a live owner is not handed out (checked
-- before taking the claim, and again after, in a new snapshot: the owner may have committed meanwhile).
-- Says who holds the key when it is not acquired.
DROP FUNCTION ledger_lock(text, text, double precision);
CREATE FUNCTION ledger_lock(p_key text, p_holder text, p_lease_ms double precision)
RETURNS TABLE (acquired boolean, current_record text, current_holder text) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_state text;
  v_owner text;
  v_until timestamptz;
BEGIN
  acquired := false;
  current_record := NULL;
  SELECT t.holder INTO current_holder FROM ledger t
  WHERE t.key = p_key AND t.state = 'started' AND t.holder IS NOT NULL AND t.lease_until >= clock_timestamp();
  IF current_holder IS NOT NULL THEN
    RETURN NEXT;
    RETURN;
  END IF;
  INSERT INTO ledger_locks AS l (key, holder, lease_until)
  VALUES (p_key, p_holder, clock_timestamp() + p_lease_ms * interval '1 millisecond')
  ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
  WHERE l.lease_until < clock_timestamp();
  IF NOT FOUND THEN
    SELECT l.holder INTO current_holder FROM ledger_locks l WHERE l.key = p_key;
    RETURN NEXT;
    RETURN;
  END IF;
  -- A new statement, a new snapshot: it sees what a holder committed after the first check.
  SELECT t.record, t.state, t.holder, t.lease_until INTO current_record, v_state, v_owner, v_until FROM ledger t WHERE t.key = p_key;
  IF v_state = 'started' AND v_owner IS NOT NULL AND v_until >= clock_timestamp() THEN
    DELETE FROM ledger_locks WHERE key = p_key AND holder = p_holder;
    current_record := NULL;
    current_holder := v_owner;
    RETURN NEXT;
    RETURN;
  END IF;
  acquired := true;
  RETURN NEXT;
END
$fn$;
`,
  },
  {
    version: 4,
    name: 'serving: fair-share order and per-tenant indexes of jobs',
    sql: `
-- Start-time fair queuing (@charter/serve): a job's virtual start time; workers take the queued job with the smallest.
ALTER TABLE jobs ADD COLUMN vtime double precision NOT NULL DEFAULT 0;
CREATE INDEX jobs_fair ON jobs (vtime) WHERE status = 'queued';
CREATE INDEX jobs_vtime ON jobs (vtime);
CREATE INDEX jobs_tenant_status ON jobs (tenant_id, status);
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at);
`,
  },
  {
    version: 5,
    name: 'feedback',
    sql: `
-- Feedback on runs (ratings, corrections, human overrides): the labelled set of \`charter eval\`.
-- \`feedback\` holds the whole record as @charter/spec's Feedback (JSON text); the columns index it.
CREATE TABLE feedback (
  feedback_id  text PRIMARY KEY,
  run_id       text NOT NULL,
  agent        text NOT NULL,
  tenant       text,
  kind         text NOT NULL CHECK (kind IN ('rating', 'approval-denied', 'escalation-override')),
  feedback     text NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX feedback_agent_created ON feedback (agent, created_at);
CREATE INDEX feedback_run ON feedback (run_id);
`,
  },
  {
    version: 6,
    name: 'telemetry events',
    sql: `
-- Recorded telemetry (@charter/telemetry events, one row each, in append order): what charter profile reads.
CREATE TABLE telemetry_events (
  id           bigserial PRIMARY KEY,
  agent        text NOT NULL,
  run_id       text NOT NULL,
  seq          bigint NOT NULL,
  type         text NOT NULL,
  event        text NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telemetry_events_agent ON telemetry_events (agent, id);
CREATE INDEX telemetry_events_run ON telemetry_events (run_id, seq);
`,
  },
  {
    version: 7,
    name: 'serving: admission, claim and finish of a job in one statement each',
    sql: `
-- @charter/serve's queue in one round trip per step. Functions, so that each statement inside takes a new
-- snapshot after the advisory lock it waits for (one plain statement would count with a snapshot taken
-- before a concurrent holder of that lock committed).

-- Admits a run request: under the tenant's admission lock, checks the bounded queue and the tenant's
-- quotas in this order (queue-full, requestsPerMinute, concurrentRuns, tokensPerDay, costPerDayUsd) and
-- inserts the job only when every one passes. o_outcome: 'queued' or the refusal; the counts say why.
-- The sliding-minute count stops at its limit (it never needs more).
CREATE FUNCTION serve_admit(p_job_id text, p_tenant text, p_agent text, p_payload jsonb, p_weight double precision,
  p_max_queued double precision, p_rpm double precision, p_concurrent double precision, p_tokens double precision,
  p_cost double precision)
RETURNS TABLE (o_outcome text, o_queued bigint, o_recent bigint, o_oldest_age double precision, o_active bigint,
  o_tokens numeric, o_cost numeric, o_created_at timestamptz, o_updated_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('charter.serve.admit:' || p_tenant));
  SELECT count(*) INTO o_queued FROM jobs j WHERE j.status = 'queued';
  SELECT count(*) INTO o_recent FROM (
    SELECT 1 FROM jobs j WHERE j.tenant_id = p_tenant AND j.created_at > now() - interval '60 seconds'
    LIMIT least(p_rpm, 1e15)::bigint) r;
  -- Two equality counts: they use jobs_tenant_status whatever the statistics say (an IN list was seen
  -- planned over jobs_tenant_created on a young table, reading every job of the tenant).
  o_active := (SELECT count(*) FROM jobs j WHERE j.tenant_id = p_tenant AND j.status = 'queued')
    + (SELECT count(*) FROM jobs j WHERE j.tenant_id = p_tenant AND j.status = 'running');
  SELECT coalesce(sum(u.input_tokens + u.output_tokens), 0), coalesce(sum(u.cost_usd), 0) INTO o_tokens, o_cost
    FROM usage u WHERE u.tenant_id = p_tenant AND u.day = (now() AT TIME ZONE 'UTC')::date;
  o_outcome := CASE
    WHEN o_queued >= p_max_queued THEN 'queue-full'
    WHEN o_recent >= p_rpm THEN 'requestsPerMinute'
    WHEN o_active >= p_concurrent THEN 'concurrentRuns'
    WHEN o_tokens >= p_tokens THEN 'tokensPerDay'
    WHEN o_cost >= p_cost THEN 'costPerDayUsd'
    ELSE 'queued' END;
  IF o_outcome = 'requestsPerMinute' THEN
    SELECT extract(epoch FROM now() - min(j.created_at)) INTO o_oldest_age
      FROM jobs j WHERE j.tenant_id = p_tenant AND j.created_at > now() - interval '60 seconds';
  END IF;
  IF o_outcome = 'queued' THEN
    INSERT INTO jobs AS j (job_id, tenant_id, agent, kind, payload, run_id, vtime)
    VALUES (p_job_id, p_tenant, p_agent, 'run', p_payload, p_job_id, greatest(
      coalesce((SELECT min(q.vtime) FROM jobs q WHERE q.status = 'queued'), (SELECT max(q.vtime) FROM jobs q WHERE q.status <> 'queued'), 0),
      coalesce((SELECT max(q.vtime) FROM jobs q WHERE q.tenant_id = p_tenant AND q.status = 'queued') + 1.0 / p_weight, 0)))
    RETURNING j.created_at, j.updated_at INTO o_created_at, o_updated_at;
  END IF;
  RETURN NEXT;
END
$fn$;

-- Claims the next job of an agent for a holder, committed without waiting for its WAL flush (a claim lost
-- in a crash only returns the job to the queue): first, when p_takeover, a running job whose lease
-- expired; then the queued job with the smallest virtual time among tenants below p_cap running jobs
-- (p_cap >= 1000000: no cap). Per tenant, an advisory lock serialises the running count with the claim,
-- so two claimers never both take a tenant's last free slot; a tenant another claimer is locking is
-- passed over, and so is a job another claimer holds (SKIP LOCKED).
CREATE FUNCTION serve_claim(p_holder text, p_lease_ms double precision, p_agent text, p_cap bigint, p_takeover boolean)
RETURNS SETOF jobs LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  candidate record;
  passed text[] := '{}';
  running bigint;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  IF p_takeover THEN
    RETURN QUERY UPDATE jobs AS j SET holder = p_holder, lease_until = clock_timestamp() + p_lease_ms * interval '1 millisecond',
        attempts = j.attempts + 1, updated_at = now()
      WHERE j.job_id = (
        SELECT q.job_id FROM jobs q WHERE q.status = 'running' AND q.agent = p_agent AND q.lease_until < clock_timestamp()
        ORDER BY q.lease_until LIMIT 1 FOR UPDATE SKIP LOCKED)
      AND j.status = 'running' AND j.lease_until < clock_timestamp()
      RETURNING j.*;
    IF FOUND THEN RETURN; END IF;
  END IF;
  IF p_cap >= 1000000 THEN
    RETURN QUERY UPDATE jobs AS j SET status = 'running', holder = p_holder,
        lease_until = clock_timestamp() + p_lease_ms * interval '1 millisecond', attempts = j.attempts + 1, updated_at = now()
      WHERE j.job_id = (SELECT q.job_id FROM jobs q WHERE q.status = 'queued' AND q.agent = p_agent AND q.run_after <= now()
        ORDER BY q.vtime, q.created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING j.*;
    RETURN;
  END IF;
  FOR candidate IN
    SELECT q.job_id, q.tenant_id FROM jobs q WHERE q.status = 'queued' AND q.agent = p_agent AND q.run_after <= now()
    ORDER BY q.vtime, q.created_at LIMIT 16
  LOOP
    CONTINUE WHEN candidate.tenant_id = ANY (passed);
    IF NOT pg_try_advisory_xact_lock(hashtext('charter.serve.cap:' || candidate.tenant_id)) THEN
      passed := passed || candidate.tenant_id;
      CONTINUE;
    END IF;
    SELECT count(*) INTO running FROM jobs q WHERE q.tenant_id = candidate.tenant_id AND q.status = 'running';
    IF running >= p_cap THEN
      passed := passed || candidate.tenant_id;
      CONTINUE;
    END IF;
    RETURN QUERY UPDATE jobs AS j SET status = 'running', holder = p_holder,
        lease_until = clock_timestamp() + p_lease_ms * interval '1 millisecond', attempts = j.attempts + 1, updated_at = now()
      WHERE j.job_id = (SELECT q.job_id FROM jobs q WHERE q.job_id = candidate.job_id AND q.status = 'queued' FOR UPDATE SKIP LOCKED)
      RETURNING j.*;
    IF FOUND THEN RETURN; END IF;
  END LOOP;
END
$fn$;

-- Finishes a claimed job, fenced on its holder and attempt, and charges the tenant the usage it added,
-- committed without waiting for the WAL flush (a lost finish makes the job run again, which the durable
-- idempotency ledger answers). False when the fence did not match: another holder owns the job now.
-- A job whose payload names a waiting process ("waiter": host:pid, a sync request) finished by a holder
-- of another process ("host:pid:…") is announced to it: NOTIFY charter_serve_done with the job id.
CREATE FUNCTION serve_finish(p_job_id text, p_holder text, p_status text, p_result jsonb, p_attempts integer, p_runs bigint,
  p_input_tokens bigint, p_output_tokens bigint, p_cost_usd numeric)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  finished_tenant text;
  finished_agent text;
  waiter text;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  UPDATE jobs AS j SET status = p_status, result = p_result, holder = NULL, lease_until = NULL, updated_at = now()
    WHERE j.job_id = p_job_id AND j.holder = p_holder AND j.attempts = p_attempts AND j.status = 'running'
    RETURNING j.tenant_id, j.agent, j.payload ->> 'waiter' INTO finished_tenant, finished_agent, waiter;
  IF NOT FOUND THEN RETURN false; END IF;
  IF waiter IS NOT NULL AND left(p_holder, length(waiter) + 1) <> waiter || ':' THEN
    PERFORM pg_notify('charter_serve_done', p_job_id);
  END IF;
  INSERT INTO usage AS u (tenant_id, agent, day, runs, input_tokens, output_tokens, cost_usd)
  VALUES (finished_tenant, finished_agent, (now() AT TIME ZONE 'UTC')::date, p_runs, p_input_tokens, p_output_tokens, p_cost_usd)
  ON CONFLICT (tenant_id, agent, day) DO UPDATE SET runs = u.runs + excluded.runs,
    input_tokens = u.input_tokens + excluded.input_tokens, output_tokens = u.output_tokens + excluded.output_tokens,
    cost_usd = u.cost_usd + excluded.cost_usd;
  RETURN true;
END
$fn$;

-- A worker's finish and its next claim, in one statement (one transaction): serve_finish, then serve_claim.
CREATE FUNCTION serve_finish_claim(p_job_id text, p_holder text, p_status text, p_result jsonb, p_attempts integer, p_runs bigint,
  p_input_tokens bigint, p_output_tokens bigint, p_cost_usd numeric, p_lease_ms double precision, p_agent text, p_cap bigint,
  p_takeover boolean)
RETURNS TABLE (o_kept boolean, o_next jsonb) LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  o_kept := serve_finish(p_job_id, p_holder, p_status, p_result, p_attempts, p_runs, p_input_tokens, p_output_tokens, p_cost_usd);
  o_next := NULL;
  SELECT to_jsonb(c) INTO o_next FROM serve_claim(p_holder, p_lease_ms, p_agent, p_cap, p_takeover) c;
  RETURN NEXT;
END
$fn$;
`,
  },
  {
    version: 8,
    name: 'serving: requestsPerMinute paced by a token bucket',
    sql: `
-- A tenant's requestsPerMinute quota as a token bucket (@charter/serve): the bucket holds up to p_burst
-- requests and refills at p_rpm / 60 a second; a request is admitted only with a whole token in it, and
-- takes it. The tokens a tenant had at refilled_at (the refill since is computed when read); no row: full.
CREATE TABLE rate_buckets (
  tenant_id    text PRIMARY KEY,
  tokens       double precision NOT NULL,
  refilled_at  timestamptz NOT NULL
);

-- Migration 7's serve_admit, and requestsPerMinute paced: refused when the sliding minute holds p_rpm
-- requests (as before) or when the tenant's bucket holds less than one token; the token is taken in the
-- transaction that inserts the job (durable with it; a refusal writes nothing). o_free_in: seconds until
-- a requestsPerMinute refusal can come free (the bucket's next token, or the oldest request leaving the
-- minute, whichever is later). serve_admit stays for instances of the previous version.
CREATE FUNCTION serve_admit_paced(p_job_id text, p_tenant text, p_agent text, p_payload jsonb, p_weight double precision,
  p_max_queued double precision, p_rpm double precision, p_burst double precision, p_concurrent double precision,
  p_tokens double precision, p_cost double precision)
RETURNS TABLE (o_outcome text, o_queued bigint, o_recent bigint, o_free_in double precision, o_active bigint,
  o_tokens numeric, o_cost numeric, o_created_at timestamptz, o_updated_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_at timestamptz;
  v_bucket double precision;
  v_rate double precision := p_rpm / 60.0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('charter.serve.admit:' || p_tenant));
  -- After the lock (a new statement, a new snapshot): the bucket as the previous admission left it.
  v_at := clock_timestamp();
  SELECT least(p_burst, b.tokens + greatest(0, extract(epoch FROM v_at - b.refilled_at)::double precision) * v_rate)
    INTO v_bucket FROM rate_buckets b WHERE b.tenant_id = p_tenant;
  v_bucket := coalesce(v_bucket, p_burst);
  SELECT count(*) INTO o_queued FROM jobs j WHERE j.status = 'queued';
  SELECT count(*) INTO o_recent FROM (
    SELECT 1 FROM jobs j WHERE j.tenant_id = p_tenant AND j.created_at > now() - interval '60 seconds'
    LIMIT least(p_rpm, 1e15)::bigint) r;
  o_active := (SELECT count(*) FROM jobs j WHERE j.tenant_id = p_tenant AND j.status = 'queued')
    + (SELECT count(*) FROM jobs j WHERE j.tenant_id = p_tenant AND j.status = 'running');
  SELECT coalesce(sum(u.input_tokens + u.output_tokens), 0), coalesce(sum(u.cost_usd), 0) INTO o_tokens, o_cost
    FROM usage u WHERE u.tenant_id = p_tenant AND u.day = (now() AT TIME ZONE 'UTC')::date;
  o_outcome := CASE
    WHEN o_queued >= p_max_queued THEN 'queue-full'
    WHEN o_recent >= p_rpm OR v_bucket < 1 THEN 'requestsPerMinute'
    WHEN o_active >= p_concurrent THEN 'concurrentRuns'
    WHEN o_tokens >= p_tokens THEN 'tokensPerDay'
    WHEN o_cost >= p_cost THEN 'costPerDayUsd'
    ELSE 'queued' END;
  IF o_outcome = 'requestsPerMinute' THEN
    o_free_in := greatest(0, (1 - v_bucket) / v_rate);
    IF o_recent >= p_rpm THEN
      SELECT greatest(o_free_in, 60 - extract(epoch FROM now() - min(j.created_at))::double precision) INTO o_free_in
        FROM jobs j WHERE j.tenant_id = p_tenant AND j.created_at > now() - interval '60 seconds';
    END IF;
  END IF;
  IF o_outcome = 'queued' THEN
    INSERT INTO jobs AS j (job_id, tenant_id, agent, kind, payload, run_id, vtime)
    VALUES (p_job_id, p_tenant, p_agent, 'run', p_payload, p_job_id, greatest(
      coalesce((SELECT min(q.vtime) FROM jobs q WHERE q.status = 'queued'), (SELECT max(q.vtime) FROM jobs q WHERE q.status <> 'queued'), 0),
      coalesce((SELECT max(q.vtime) FROM jobs q WHERE q.tenant_id = p_tenant AND q.status = 'queued') + 1.0 / p_weight, 0)))
    RETURNING j.created_at, j.updated_at INTO o_created_at, o_updated_at;
    INSERT INTO rate_buckets AS b (tenant_id, tokens, refilled_at) VALUES (p_tenant, v_bucket - 1, v_at)
      ON CONFLICT (tenant_id) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at;
  END IF;
  RETURN NEXT;
END
$fn$;
`,
  },
];

/** The schema version this package writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export interface MigrationResult {
  /** Versions this call applied (empty when another instance had applied them). */
  readonly applied: readonly number[];
  /** The schema version now in force. */
  readonly version: number;
}

/**
 * Brings the schema to `SCHEMA_VERSION`: takes a transaction-scoped advisory lock named after the
 * schema, creates the schema and `schema_migrations` if absent, applies every missing migration in
 * order and commits. Concurrent callers queue on the lock. A database with a newer version than this
 * package knows fails with `STATE_SCHEMA_TOO_NEW` (nothing is changed).
 */
export async function migrate(driver: SqlDriver, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  checkOrder(migrations);
  try {
    return await driver.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`charter.migrate:${driver.schema}`]);
      await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${driver.schema}`);
      await tx.exec(`CREATE TABLE IF NOT EXISTS ${driver.schema}.schema_migrations (
  version     integer PRIMARY KEY,
  name        text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
)`);
      const { rows } = await tx.query<{ version: number }>(`SELECT version FROM ${driver.schema}.schema_migrations ORDER BY version`);
      const done = new Set(rows.map((row) => row.version));
      const newest = Math.max(0, ...done);
      const known = migrations.at(-1)?.version ?? 0;
      if (newest > known)
        throw new StateError(
          StateErrorCode.SchemaTooNew,
          `the database schema "${driver.schema}" is at version ${newest}, newer than the ${known} this @charter/state knows: upgrade @charter/state (never run an older one against a newer schema)`,
        );
      const applied: number[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        try {
          await tx.exec(migration.sql);
        } catch (error) {
          throw new StateError(
            StateErrorCode.Migration,
            `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}; the schema stays at version ${newest}`,
            { cause: error },
          );
        }
        await tx.query(`INSERT INTO ${driver.schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        applied.push(migration.version);
      }
      return { applied, version: Math.max(newest, ...applied) };
    });
  } catch (error) {
    if (StateError.isInstance(error) && (error.code === StateErrorCode.Migration || error.code === StateErrorCode.SchemaTooNew))
      throw error;
    throw new StateError(StateErrorCode.Migration, `cannot migrate schema "${driver.schema}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new StateError(
        StateErrorCode.Migration,
        `migration "${migration.name}" has version ${migration.version} at position ${index + 1}: versions run 1, 2, 3, … without gaps`,
      );
  });
}
