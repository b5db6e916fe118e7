// One small interface over the two SQL drivers: node-postgres against a server (several processes,
// several hosts) and PGlite (PostgreSQL compiled to WASM, in this process). Every store speaks only
// this interface, so the same SQL runs on both.
import { StateError, StateErrorCode } from './errors.js';

export interface SqlResult<Row> {
  readonly rows: Row[];
  /** Rows inserted, updated, deleted or returned by the statement. */
  readonly rowCount: number;
}

/** Runs one statement with `$1`-style parameters. */
export interface SqlClient {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /** Runs several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface TransactionOptions {
  /**
   * `false`: the commit does not wait for its WAL flush (`synchronous_commit` off for this transaction):
   * a server crash may lose the transaction, never half of it. For writes that are recomputed when lost
   * (a claim, a lease). Default `true`.
   */
  readonly durable?: boolean;
}

/** The statement that opens a transaction: one round trip, also when the commit need not be durable. */
const begin = (options: TransactionOptions | undefined): string =>
  options?.durable === false ? 'BEGIN; SET LOCAL synchronous_commit TO off' : 'BEGIN';

export interface SqlDriver extends SqlClient {
  readonly kind: 'postgres' | 'pglite';
  /** The PostgreSQL schema every table lives in (the connection's `search_path`). */
  readonly schema: string;
  /** Runs `fn` in one transaction on one connection: commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * `LISTEN channel` on a connection of its own: `onNotify` gets each notification's payload (any
   * process's `pg_notify(channel, payload)`, delivered after it commits). `onLost` is called once if the
   * connection dies (notifications sent meanwhile are lost: listen again, and poll for what was missed).
   * Resolves, once listening, to the function that stops it. `close` stops every listener.
   */
  listen?(channel: string, onNotify: (payload: string) => void, onLost?: (error: unknown) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): string {
  if (!SCHEMA.test(channel))
    throw new StateError(
      StateErrorCode.BadConfig,
      `channel "${channel.slice(0, 80)}" is not a plain lower-case identifier: use letters, digits and "_"`,
    );
  return channel;
}

export function checkSchema(schema: string): string {
  if (!SCHEMA.test(schema))
    throw new StateError(
      StateErrorCode.BadConfig,
      `schema "${schema.slice(0, 80)}" is not a plain lower-case PostgreSQL identifier: use letters, digits and "_" (e.g. "charter")`,
    );
  return schema;
}

/** Error codes (node errno and SQLSTATE) that mean the server cannot be reached or refused us. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '28P01', '28000', '3D000', '57P03']);

function wrap(error: unknown, text: string): StateError {
  if (StateError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const statement = text.replace(/\s+/g, ' ').trim().slice(0, 80);
  if (typeof code === 'string' && CONNECT_CODES.has(code))
    return new StateError(
      StateErrorCode.Connect,
      `cannot reach the database (${code}: ${message}): check CHARTER_DATABASE_URL / --db and that the server runs`,
      { cause: error },
    );
  return new StateError(StateErrorCode.Query, `query failed (${typeof code === 'string' ? `${code}: ` : ''}${message}): ${statement}`, {
    cause: error,
  });
}

// --- node-postgres ------------------------------------------------------------------------------

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  readonly url: string;
  /** Schema for Charter's tables; default `charter`. */
  readonly schema?: string;
  /** Connections in the pool; default 10. */
  readonly maxConnections?: number;
}

interface PgClientLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
}
interface PgListenerLike {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  end(): Promise<void>;
}
interface PgPoolLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  connect(): Promise<PgClientLike>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Connects to a PostgreSQL server through a node-postgres pool. `pg` is loaded on first use. */
export async function connectPostgres(options: PostgresOptions): Promise<SqlDriver> {
  const schema = checkSchema(options.schema ?? 'charter');
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    options: `-c search_path=${schema}`,
    // A dead server must not hang a caller forever.
    connectionTimeoutMillis: 10_000,
  }) as unknown as PgPoolLike;
  // An idle connection the server closes (restart, failover) emits here; the next query reconnects.
  pool.on('error', () => undefined);
  const listeners = new Set<PgListenerLike>();
  let closed = false;
  const guard = (): void => {
    if (closed) throw new StateError(StateErrorCode.Closed, 'the PostgreSQL store is closed');
  };
  const clientOf = (client: { query: PgPoolLike['query'] }): SqlClient => ({
    async query(text: string, params: readonly unknown[] = []) {
      try {
        const result = await client.query(text, params as unknown[]);
        return { rows: result.rows as never[], rowCount: result.rowCount ?? 0 };
      } catch (error) {
        throw wrap(error, text);
      }
    },
    async exec(text: string) {
      try {
        await client.query(text);
      } catch (error) {
        throw wrap(error, text);
      }
    },
  });
  const direct = clientOf(pool);
  const driver: SqlDriver = {
    kind: 'postgres',
    schema,
    query(text, params) {
      guard();
      return direct.query(text, params);
    },
    exec(text) {
      guard();
      return direct.exec(text);
    },
    async transaction(fn, options) {
      guard();
      let client: PgClientLike;
      try {
        client = await pool.connect();
      } catch (error) {
        throw wrap(error, 'BEGIN');
      }
      const tx = clientOf(client);
      let broken = false;
      try {
        await tx.exec(begin(options));
        const value = await fn(tx);
        await tx.exec('COMMIT');
        return value;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async listen(channel, onNotify, onLost) {
      guard();
      checkChannel(channel);
      const client = new pg.Client({
        connectionString: options.url,
        options: `-c search_path=${schema}`,
        connectionTimeoutMillis: 10_000,
      }) as unknown as PgListenerLike;
      let lost = false;
      const lose = (error?: Error): void => {
        if (lost || !listeners.has(client)) return;
        lost = true;
        listeners.delete(client);
        void client.end().catch(() => undefined);
        onLost?.(error ?? new Error('the listening connection ended'));
      };
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify(message.payload ?? '');
      });
      client.on('error', lose);
      client.on('end', lose);
      listeners.add(client);
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (error) {
        listeners.delete(client);
        await client.end().catch(() => undefined);
        throw wrap(error, `LISTEN ${channel}`);
      }
      return async () => {
        if (!listeners.delete(client)) return;
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      const open = [...listeners];
      listeners.clear();
      await Promise.all(open.map((client) => client.end().catch(() => undefined)));
      await pool.end();
    },
  };
  // Fail at open, with the connection error, rather than on the first store call.
  await driver.query('SELECT 1');
  return driver;
}

// --- PGlite -------------------------------------------------------------------------------------

export interface PgliteOptions {
  /** A folder for a persisted database; omitted: in memory. */
  readonly dataDir?: string;
  readonly schema?: string;
}

/**
 * Opens PGlite in this process. One process only: PGlite has no shared memory between processes, so
 * two processes must never open the same `dataDir` (ADR 0008). Loaded on first use (≈ 20 MB of WASM).
 */
export async function openPglite(options: PgliteOptions = {}): Promise<SqlDriver> {
  const schema = checkSchema(options.schema ?? 'charter');
  const { PGlite } = await import('@electric-sql/pglite');
  let db: InstanceType<typeof PGlite>;
  try {
    db = options.dataDir === undefined ? await PGlite.create() : await PGlite.create(options.dataDir);
  } catch (error) {
    throw new StateError(
      StateErrorCode.Connect,
      `cannot open PGlite${options.dataDir === undefined ? '' : ` at ${options.dataDir}`}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  await db.exec(`SET search_path TO ${schema}`);
  let closed = false;
  const guard = (): void => {
    if (closed) throw new StateError(StateErrorCode.Closed, 'the PGlite store is closed');
  };
  type Target = Pick<typeof db, 'query' | 'exec'>;
  const clientOf = (target: Target): SqlClient => ({
    async query(text: string, params: readonly unknown[] = []) {
      try {
        const result = await target.query(text, params as unknown[]);
        // affectedRows counts writes; a SELECT reports its rows.
        return { rows: result.rows as never[], rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
      } catch (error) {
        throw wrap(error, text);
      }
    },
    async exec(text: string) {
      try {
        await target.exec(text);
      } catch (error) {
        throw wrap(error, text);
      }
    },
  });
  const direct = clientOf(db);
  return {
    kind: 'pglite',
    schema,
    query(text, params) {
      guard();
      return direct.query(text, params);
    },
    exec(text) {
      guard();
      return direct.exec(text);
    },
    async transaction(fn, options) {
      guard();
      return db.transaction(async (tx) => {
        if (options?.durable === false) await tx.exec('SET LOCAL synchronous_commit TO off');
        return fn(clientOf(tx));
      });
    },
    async listen(channel, onNotify) {
      guard();
      checkChannel(channel);
      // One process, one connection: this listener is never lost.
      const stop = await db.listen(channel, onNotify);
      return async () => {
        if (!closed) await stop();
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
