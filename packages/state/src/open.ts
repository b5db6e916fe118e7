import { join, resolve } from 'node:path';
import { FileStore, MemoryStore, type RunStore } from '@charter/agent';
import { FileLedger, type IdempotencyLedger, MemoryLedger } from '@charter/tools';
import { SqlApprovals } from './approvals.js';
import { type AuditAnchorStore, FileAuditAnchorStore, MemoryAuditAnchorStore, SqlAuditAnchorStore } from './audit.js';
import { type ControlStore, FileControlStore, MemoryControlStore, SqlControlStore } from './controls.js';
import { FileVersionedStore, MemoryVersionedStore, SqlVersionedStore, type VersionedStore } from './documents.js';
import { type EventStore, FileEventStore, MemoryEventStore, SqlEventStore } from './events.js';
import { StateError, StateErrorCode } from './errors.js';
import { FileFeedbackStore, type FeedbackStore, MemoryFeedbackStore, SqlFeedbackStore } from './feedback.js';
import { SqlLedger } from './ledger.js';
import { migrate, type MigrationResult } from './migrations.js';
import { SqlRunStore } from './runs.js';
import { connectPostgres, openPglite, type SqlDriver } from './sql.js';

/** The environment variable naming the database (`--db` on the command line wins over it). */
export const DATABASE_URL_ENV = 'CHARTER_DATABASE_URL';

/** Every store of an agent's state, from one place. */
export interface StateStores {
  /** `postgres`, `pglite`, `file` or `memory`. */
  readonly kind: 'postgres' | 'pglite' | 'file' | 'memory';
  readonly runs: RunStore;
  readonly ledger: IdempotencyLedger;
  readonly controls: ControlStore;
  readonly documents: VersionedStore;
  readonly auditHeads: AuditAnchorStore;
  /** Feedback on runs: ratings, corrections, human overrides (`recordFeedback`, `listFeedback`). */
  readonly feedback: FeedbackStore;
  /** Recorded telemetry events (write them with `eventStoreSink(stores.events)`). */
  readonly events: EventStore;
  /** The approvals queue (SQL stores only: files keep approvals in the run checkpoints). */
  readonly approvals: SqlApprovals | undefined;
  /** The SQL driver (SQL stores only), e.g. for the serving tables. */
  readonly sql: SqlDriver | undefined;
  /** The migration that ran at open (SQL stores only). */
  readonly migration: MigrationResult | undefined;
  close(): Promise<void>;
}

export interface OpenStateOptions {
  /**
   * Where the state lives:
   * - `postgres://…` / `postgresql://…`: a PostgreSQL server (several processes, several hosts);
   * - `pglite:<folder>` or `pglite:memory`: PGlite in this process (one process; tests);
   * - `file:<folder>`: the one-machine default (`FileStore`, `FileLedger`, files), shareable by processes on one host;
   * - `memory:`: in this process only (tests).
   * Default: `CHARTER_DATABASE_URL` from `env`, else `file:<cwd>/.charter`.
   */
  readonly url?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** PostgreSQL schema for the tables; default `charter`. */
  readonly schema?: string;
  /** Claim and lock leases of the SQL stores (default 30 000 ms). */
  readonly leaseMs?: number;
  /** How long a SQL ledger lock waits for another holder (default 10 000 ms). */
  readonly lockTimeoutMs?: number;
  /** Pool size against a PostgreSQL server (default 10). */
  readonly maxConnections?: number;
}

/** The state location in force: `url`, else `CHARTER_DATABASE_URL`, else `file:<cwd>/.charter`. */
export function stateUrl(options: Pick<OpenStateOptions, 'url' | 'env' | 'cwd'> = {}): string {
  const fromEnv = (options.env ?? process.env)[DATABASE_URL_ENV];
  return options.url ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : `file:${join(options.cwd ?? process.cwd(), '.charter')}`);
}

/** A URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]{1,200}:)[^@]{1,500}@/i, '$1***@');
}

/**
 * Opens every store at one location and, for SQL, brings the schema up to date first (safe when
 * several instances start at once). Throws `STATE_BAD_CONFIG` for an unknown scheme and
 * `STATE_CONNECT` when the database cannot be reached.
 */
export async function openState(options: OpenStateOptions = {}): Promise<StateStores> {
  const url = stateUrl(options);
  const cwd = options.cwd ?? process.cwd();
  if (/^postgres(?:ql)?:\/\//.test(url) || url.startsWith('pglite:')) {
    const driver = url.startsWith('pglite:')
      ? await openPglite({
          ...(url === 'pglite:memory' ? {} : { dataDir: resolve(cwd, url.slice('pglite:'.length)) }),
          ...(options.schema === undefined ? {} : { schema: options.schema }),
        })
      : await connectPostgres({
          url,
          ...(options.schema === undefined ? {} : { schema: options.schema }),
          ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
        });
    return sqlStores(driver, options, await migrateOrClose(driver));
  }
  if (url.startsWith('file:')) {
    const dir = resolve(cwd, url.slice('file:'.length) || '.charter');
    return {
      kind: 'file',
      runs: new FileStore(join(dir, 'runs')),
      ledger: new FileLedger(join(dir, 'idempotency.jsonl')),
      controls: new FileControlStore(join(dir, 'controls')),
      documents: new FileVersionedStore(join(dir, 'documents')),
      auditHeads: new FileAuditAnchorStore(join(dir, 'audit-heads')),
      feedback: new FileFeedbackStore(join(dir, 'feedback')),
      events: new FileEventStore(join(dir, 'telemetry')),
      approvals: undefined,
      sql: undefined,
      migration: undefined,
      close: () => Promise.resolve(),
    };
  }
  if (url === 'memory:') {
    return {
      kind: 'memory',
      runs: new MemoryStore(),
      ledger: new MemoryLedger(),
      controls: new MemoryControlStore(),
      documents: new MemoryVersionedStore(),
      auditHeads: new MemoryAuditAnchorStore(),
      feedback: new MemoryFeedbackStore(),
      events: new MemoryEventStore(),
      approvals: undefined,
      sql: undefined,
      migration: undefined,
      close: () => Promise.resolve(),
    };
  }
  throw new StateError(
    StateErrorCode.BadConfig,
    `cannot open state at "${redactUrl(url).slice(0, 120)}": use postgres://…, pglite:<folder>, pglite:memory, file:<folder> or memory: (set ${DATABASE_URL_ENV} or pass --db)`,
  );
}

async function migrateOrClose(driver: SqlDriver): Promise<MigrationResult> {
  try {
    return await migrate(driver);
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
}

/** The stores over an open SQL driver (migrated already); `close` closes the driver. */
export function sqlStores(
  driver: SqlDriver,
  options: Pick<OpenStateOptions, 'leaseMs' | 'lockTimeoutMs'>,
  migration?: MigrationResult,
): StateStores {
  const lease = options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs };
  const runs = new SqlRunStore(driver, lease);
  const ledger = new SqlLedger(driver, {
    ...lease,
    ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
  });
  return {
    kind: driver.kind,
    runs,
    ledger,
    controls: new SqlControlStore(driver),
    documents: new SqlVersionedStore(driver),
    auditHeads: new SqlAuditAnchorStore(driver),
    feedback: new SqlFeedbackStore(driver),
    events: new SqlEventStore(driver),
    approvals: new SqlApprovals(driver),
    sql: driver,
    migration,
    async close() {
      await runs.close();
      await ledger.close();
      await driver.close();
    },
  };
}
