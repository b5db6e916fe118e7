// Feedback kept with the runs: ratings, corrections (the labelled expectation `charter eval` checks)
// and human overrides (an approval denied). The schema is `@charter/spec`'s `Feedback`; the stores
// below keep it in memory, in a JSON-lines file (the one-machine default) or in the `feedback` table.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Feedback, FeedbackInput } from '@charter/spec';
import { attempt, StateError, StateErrorCode } from './errors.js';
import { appendLine, readIfExists, withFileLock } from './file-lock.js';
import type { SqlClient } from './sql.js';

/** Which feedback to list; every field narrows. */
export interface FeedbackFilter {
  readonly agent?: string;
  readonly runId?: string;
  readonly tenant?: string;
  /** At most this many, the newest (default 1000). */
  readonly limit?: number;
}

/** Where feedback lives: one per state location (`StateStores.feedback`). */
export interface FeedbackStore {
  /** Validates and stores one feedback; throws `STATE_BAD_FEEDBACK` naming every invalid field. */
  record(input: FeedbackInput): Promise<Feedback>;
  /** Stored feedback, oldest first. */
  list(filter?: FeedbackFilter): Promise<Feedback[]>;
}

/** Checks a feedback and gives it an id and a time. */
export function newFeedback(input: FeedbackInput, now: Date = new Date()): Feedback {
  const parsed = FeedbackInput.safeParse(input);
  if (!parsed.success)
    throw new StateError(
      StateErrorCode.BadFeedback,
      `invalid feedback: ${parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(feedback)' : issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  const value = parsed.data;
  return Feedback.parse({
    id: `fb_${now.getTime().toString(36)}_${randomBytes(6).toString('hex')}`,
    at: now.toISOString(),
    ...Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)),
  });
}

function limitOf(filter: FeedbackFilter): number {
  const limit = filter.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1)
    throw new StateError(StateErrorCode.BadConfig, `feedback limit must be a positive integer, got ${String(limit)}`);
  return limit;
}

function matches(f: Feedback, filter: FeedbackFilter): boolean {
  return (
    (filter.agent === undefined || f.agent === filter.agent) &&
    (filter.runId === undefined || f.runId === filter.runId) &&
    (filter.tenant === undefined || f.tenant === filter.tenant)
  );
}

/** In memory: tests and one process. */
export class MemoryFeedbackStore implements FeedbackStore {
  readonly #items: Feedback[] = [];

  record(input: FeedbackInput): Promise<Feedback> {
    return attempt(() => {
      const feedback = newFeedback(input);
      this.#items.push(feedback);
      return feedback;
    });
  }

  list(filter: FeedbackFilter = {}): Promise<Feedback[]> {
    return attempt(() => this.#items.filter((f) => matches(f, filter)).slice(-limitOf(filter)));
  }
}

/** On one machine: `<dir>/feedback.jsonl`, one feedback a line, appended under `feedback.lock`. */
export class FileFeedbackStore implements FeedbackStore {
  readonly dir: string;
  readonly #file: string;
  readonly #lock: string;

  constructor(dir: string) {
    this.dir = dir;
    this.#file = join(dir, 'feedback.jsonl');
    this.#lock = join(dir, 'feedback.lock');
  }

  async record(input: FeedbackInput): Promise<Feedback> {
    const feedback = newFeedback(input);
    await withFileLock(this.#lock, () => {
      appendLine(this.#file, JSON.stringify(feedback));
    });
    return feedback;
  }

  list(filter: FeedbackFilter = {}): Promise<Feedback[]> {
    return attempt(() => {
      const limit = limitOf(filter);
      const text = readIfExists(this.#file) ?? '';
      const out: Feedback[] = [];
      text.split('\n').forEach((line, index) => {
        if (line.trim() === '') return;
        let parsed: Feedback;
        try {
          parsed = Feedback.parse(JSON.parse(line));
        } catch (error) {
          throw new StateError(
            StateErrorCode.Corrupt,
            `${this.#file}:${index + 1} is not a feedback Charter wrote: restore or delete that line`,
            {
              cause: error,
            },
          );
        }
        if (matches(parsed, filter)) out.push(parsed);
      });
      return out.slice(-limit);
    });
  }
}

interface Row {
  feedback: string;
}

/** The `feedback` table (migration 5): one row per feedback, indexed by agent and by run. */
export class SqlFeedbackStore implements FeedbackStore {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async record(input: FeedbackInput): Promise<Feedback> {
    const feedback = newFeedback(input);
    await this.#db.query(
      `INSERT INTO feedback (feedback_id, run_id, agent, tenant, kind, feedback, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [feedback.id, feedback.runId, feedback.agent, feedback.tenant ?? null, feedback.kind, JSON.stringify(feedback), feedback.at],
    );
    return feedback;
  }

  async list(filter: FeedbackFilter = {}): Promise<Feedback[]> {
    const limit = limitOf(filter);
    const { rows } = await this.#db.query<Row>(
      `SELECT feedback FROM (
         SELECT feedback, created_at, feedback_id FROM feedback
         WHERE ($1::text IS NULL OR agent = $1) AND ($2::text IS NULL OR run_id = $2) AND ($3::text IS NULL OR tenant = $3)
         ORDER BY created_at DESC, feedback_id DESC LIMIT $4
       ) newest ORDER BY created_at, feedback_id`,
      [filter.agent ?? null, filter.runId ?? null, filter.tenant ?? null, limit],
    );
    return rows.map((row) => {
      try {
        return Feedback.parse(JSON.parse(row.feedback));
      } catch (error) {
        throw new StateError(
          StateErrorCode.Corrupt,
          'a row of the feedback table is not a feedback Charter wrote: restore it from a backup',
          {
            cause: error,
          },
        );
      }
    });
  }
}

/** Records feedback on a run in the state's feedback store (`openState(...).feedback`). */
export function recordFeedback(state: { readonly feedback: FeedbackStore }, input: FeedbackInput): Promise<Feedback> {
  return state.feedback.record(input);
}

/** Lists the state's feedback, oldest first (`agent`, `runId`, `tenant`, `limit` narrow it). */
export function listFeedback(state: { readonly feedback: FeedbackStore }, filter: FeedbackFilter = {}): Promise<Feedback[]> {
  return state.feedback.list(filter);
}
