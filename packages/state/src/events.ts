// Recorded telemetry in the state store: the events of @charter/telemetry, appended by a telemetry sink
// (`eventStoreSink`) and read back in order (e.g. by `charter profile --db <url>`). The JSONL sink keeps
// a file per process; this store puts every instance's events in one place.
import { mkdirSync, openSync, closeSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import { parseEvents, type Sink, TelemetryEvent } from '@charter/telemetry';
import { attempt, StateError, StateErrorCode } from './errors.js';
import { readIfExists, withFileLock } from './file-lock.js';
import type { SqlDriver } from './sql.js';

/** Which events `read` returns; every field narrows. */
export interface EventQuery {
  /** Only this agent's events (`metadata.name`). */
  readonly agent?: string;
  /** Only the events of this run. */
  readonly runId?: string;
  /** At most this many events (the oldest first). */
  readonly limit?: number;
}

/** Telemetry events, in the order they were appended. */
export interface EventStore {
  append(events: readonly TelemetryEvent[]): Promise<void>;
  read(query?: EventQuery): Promise<TelemetryEvent[]>;
  close(): Promise<void>;
}

/** The event, validated: anything else is `STATE_BAD_CONFIG` (the store never holds an event the profile cannot read). */
function valid(event: TelemetryEvent): TelemetryEvent {
  const parsed = TelemetryEvent.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StateError(
      StateErrorCode.BadConfig,
      `not a telemetry event (${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'event'}: ${issue.message}`}): append what @charter/telemetry emits`,
    );
  }
  return parsed.data;
}

function matches(event: TelemetryEvent, query: EventQuery): boolean {
  return (query.agent === undefined || event.agent === query.agent) && (query.runId === undefined || event.runId === query.runId);
}

function checkLimit(query: EventQuery): number | undefined {
  if (query.limit !== undefined && (!Number.isSafeInteger(query.limit) || query.limit < 0))
    throw new StateError(StateErrorCode.BadConfig, `an event query's limit must be a non-negative integer, got ${String(query.limit)}`);
  return query.limit;
}

/** In memory (tests). */
export class MemoryEventStore implements EventStore {
  readonly #events: TelemetryEvent[] = [];

  append(events: readonly TelemetryEvent[]): Promise<void> {
    return attempt(() => {
      for (const event of events) this.#events.push(valid(event));
    });
  }

  read(query: EventQuery = {}): Promise<TelemetryEvent[]> {
    return attempt(() => {
      const limit = checkLimit(query);
      const found = this.#events.filter((event) => matches(event, query));
      return limit === undefined ? found : found.slice(0, limit);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * One JSONL file (`<dir>/events.jsonl`, the JSONL sink's format), appended under a file lock by every
 * process on the host; a batch is one write and one fsync. A line that is not a valid event is
 * `STATE_CORRUPT` naming file:line.
 */
export class FileEventStore implements EventStore {
  readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'events.jsonl');
  }

  async append(events: readonly TelemetryEvent[]): Promise<void> {
    if (events.length === 0) return;
    const text = events.map((event) => `${JSON.stringify(valid(event))}\n`).join('');
    mkdirSync(join(this.file, '..'), { recursive: true });
    await withFileLock(`${this.file}.lock`, () => {
      try {
        const fd = openSync(this.file, 'a');
        try {
          writeSync(fd, text);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        throw new StateError(StateErrorCode.Query, `cannot append to ${this.file}: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  read(query: EventQuery = {}): Promise<TelemetryEvent[]> {
    return attempt(() => {
      const limit = checkLimit(query);
      const { value, issues } = parseEvents(readIfExists(this.file) ?? '');
      const first = issues[0];
      if (first !== undefined)
        throw new StateError(
          StateErrorCode.Corrupt,
          `${this.file}:${first.line}: ${first.path === '' ? '' : `${first.path}: `}${first.message}: the event log is damaged; repair or remove the line`,
        );
      const found = value.filter((event) => matches(event, query));
      return limit === undefined ? found : found.slice(0, limit);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** In PostgreSQL (or PGlite): `telemetry_events`, one row per event, a batch in one statement. */
export class SqlEventStore implements EventStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async append(events: readonly TelemetryEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(valid);
    // One INSERT … SELECT FROM unnest(...) per batch: five arrays, whatever the batch size.
    await this.#db.query(
      `INSERT INTO telemetry_events (agent, run_id, seq, type, event)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[])`,
      [
        rows.map((event) => event.agent),
        rows.map((event) => event.runId),
        rows.map((event) => event.seq),
        rows.map((event) => event.type),
        rows.map((event) => JSON.stringify(event)),
      ],
    );
  }

  async read(query: EventQuery = {}): Promise<TelemetryEvent[]> {
    const limit = checkLimit(query);
    const { rows } = await this.#db.query<{ id: string; event: string }>(
      `SELECT id::text AS id, event FROM telemetry_events
       WHERE ($1::text IS NULL OR agent = $1) AND ($2::text IS NULL OR run_id = $2)
       ORDER BY telemetry_events.id LIMIT $3`,
      [query.agent ?? null, query.runId ?? null, limit ?? null],
    );
    return rows.map((row) => {
      let parsed;
      try {
        parsed = TelemetryEvent.safeParse(JSON.parse(row.event) as unknown);
      } catch (error) {
        throw new StateError(StateErrorCode.Corrupt, `telemetry_events row ${row.id} is not JSON: repair or delete the row`, {
          cause: error,
        });
      }
      if (!parsed.success)
        throw new StateError(
          StateErrorCode.Corrupt,
          `telemetry_events row ${row.id} is not a valid event (${parsed.error.issues[0]?.message ?? 'invalid'}): repair or delete the row`,
        );
      return parsed.data;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface EventStoreSinkOptions {
  /** Append once this many events wait (default 256); `flush` and `close` append the rest. */
  readonly batch?: number;
}

/**
 * A telemetry sink (`createTelemetry({ sinks: [eventStoreSink(stores.events)] })`) that appends events
 * to an `EventStore` in batches, in order. `flush` waits for every event written so far; a failed append
 * is thrown by the next `write`, `flush` or `close`: never silent.
 */
export function eventStoreSink(
  store: EventStore,
  options: EventStoreSinkOptions = {},
): Sink & { flush(): Promise<void>; close(): Promise<void> } {
  const batch = options.batch ?? 256;
  if (!Number.isSafeInteger(batch) || batch < 1)
    throw new StateError(StateErrorCode.BadConfig, `eventStoreSink: batch must be a positive integer, got ${String(batch)}`);
  let buffer: TelemetryEvent[] = [];
  let writing: Promise<void> = Promise.resolve();
  let failure: unknown;
  let closed = false;
  const drain = (): void => {
    if (buffer.length === 0) return;
    const events = buffer;
    buffer = [];
    writing = writing
      .then(() => store.append(events))
      .catch((error: unknown) => {
        failure ??= error;
      });
  };
  const check = (): void => {
    if (failure !== undefined)
      throw new StateError(StateErrorCode.Query, `the event store refused events: ${(failure as Error).message}`, { cause: failure });
  };
  return {
    write(event) {
      if (closed) throw new StateError(StateErrorCode.Closed, 'eventStoreSink: written after close()');
      check();
      buffer.push(event);
      if (buffer.length >= batch) drain();
    },
    async flush() {
      drain();
      await writing;
      check();
    },
    async close() {
      if (closed) return;
      drain();
      closed = true;
      await writing;
      check();
    },
  };
}
