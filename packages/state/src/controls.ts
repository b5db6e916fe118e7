import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Control, ControlAction, ControlSource } from '@charter/agent';
import { PLAYBOOK_ACTIONS } from '@charter/spec';
import { attempt, StateError, StateErrorCode } from './errors.js';
import { appendLine, readIfExists, withFileLock, writeAtomic } from './file-lock.js';
import { checkName } from './names.js';
import type { SqlDriver } from './sql.js';

/** What an operator sets: the action, its target tool (`tool.disable`) or value (`rollout.set-weight`). */
export interface ControlInput {
  readonly action: ControlAction;
  readonly target?: string | undefined;
  readonly value?: unknown;
}

/** Who changes a control and why: both are recorded with the change. */
export interface ControlActor {
  readonly by: string;
  readonly reason: string;
}

/** One recorded change of a control. */
export interface ControlEvent {
  readonly agent: string;
  readonly action: ControlAction;
  readonly target: string | undefined;
  readonly op: 'set' | 'clear';
  readonly value: unknown;
  readonly by: string;
  readonly reason: string;
  /** ISO 8601. */
  readonly at: string;
}

/**
 * Operational controls of agents, with an audit trail of every change. A `ControlSource` for
 * `createAgent({ controls })`: every instance that reads the same store obeys the same controls.
 */
export interface ControlStore extends ControlSource {
  controls(agent: string): Promise<readonly Control[]>;
  /** Sets (or replaces) a control and records who and why. */
  set(agent: string, control: ControlInput, actor: ControlActor): Promise<void>;
  /** Clears a control (every `tool.disable` of the agent when `target` is omitted); false when none was set. */
  clear(agent: string, action: ControlAction, target: string | undefined, actor: ControlActor): Promise<boolean>;
  /** Recorded changes, oldest first (at most the last `limit`, default 100). */
  history(agent: string, limit?: number): Promise<readonly ControlEvent[]>;
  close(): Promise<void>;
}

const ACTIONS = new Set<string>(PLAYBOOK_ACTIONS);
const TOOL = /^[a-z][a-z0-9_-]{0,63}$/;

/** Checks a control; returns its normalised form (target '' for agent-wide controls). */
export function checkControl(agent: string, control: ControlInput): { action: ControlAction; target: string; value: unknown } {
  checkName('agent', agent);
  if (!ACTIONS.has(control.action))
    throw new StateError(
      StateErrorCode.BadControl,
      `unknown control action "${control.action}": use one of ${PLAYBOOK_ACTIONS.join(', ')}`,
    );
  if (control.action === 'tool.disable') {
    if (control.target === undefined || !TOOL.test(control.target))
      throw new StateError(
        StateErrorCode.BadControl,
        `tool.disable needs the tool to disable (a tool name such as "refund_order"), got ${JSON.stringify(control.target ?? null)}`,
      );
  } else if (control.target !== undefined) {
    throw new StateError(StateErrorCode.BadControl, `${control.action} takes no tool: only tool.disable does`);
  }
  if (control.action === 'rollout.set-weight') {
    const weight = control.value;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100)
      throw new StateError(
        StateErrorCode.BadControl,
        `rollout.set-weight needs a weight from 0 to 100, got ${JSON.stringify(weight ?? null)}`,
      );
  } else if (control.action === 'model.switch-fallback') {
    if (control.value !== undefined && typeof control.value !== 'string')
      throw new StateError(StateErrorCode.BadControl, 'model.switch-fallback takes an optional fallback model name (a string)');
  } else if (control.value !== undefined) {
    throw new StateError(StateErrorCode.BadControl, `${control.action} takes no value`);
  }
  return { action: control.action, target: control.target ?? '', value: control.value };
}

/** `by` defaults to the operating-system user; `reason` must say why. */
export function checkActor(actor: ControlActor): ControlActor {
  const by = actor.by.trim();
  const reason = actor.reason.trim();
  if (by === '' || by.length > 200)
    throw new StateError(StateErrorCode.BadControl, 'a control change needs who made it (--by, 1-200 characters)');
  if (reason === '' || reason.length > 2000)
    throw new StateError(StateErrorCode.BadControl, 'a control change needs a reason (--reason, 1-2000 characters): it is audited');
  return { by, reason };
}

/** The current operating-system user, for `by` when none is given. */
export function defaultActor(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

function toControl(row: { action: string; target: string; value?: unknown; by: string; reason: string }): Control {
  return {
    action: row.action as ControlAction,
    ...(row.target === '' ? {} : { target: row.target }),
    ...(row.value === undefined || row.value === null ? {} : { value: row.value }),
    by: row.by,
    reason: row.reason,
  };
}

interface Stored {
  agent: string;
  action: ControlAction;
  target: string;
  value?: unknown;
  by: string;
  reason: string;
  at: string;
}

/** In memory: tests and one process. */
export class MemoryControlStore implements ControlStore {
  #controls: Stored[] = [];
  readonly #events: ControlEvent[] = [];

  controls(agent: string): Promise<readonly Control[]> {
    return attempt(() => {
      checkName('agent', agent);
      return this.#controls.filter((c) => c.agent === agent).map(toControl);
    });
  }

  set(agent: string, control: ControlInput, actor: ControlActor): Promise<void> {
    return attempt(() => {
      const { action, target, value } = checkControl(agent, control);
      const who = checkActor(actor);
      const at = new Date().toISOString();
      this.#controls = this.#controls.filter((c) => !(c.agent === agent && c.action === action && c.target === target));
      this.#controls.push({ agent, action, target, ...(value === undefined ? {} : { value }), ...who, at });
      this.#events.push({ agent, action, target: target || undefined, op: 'set', value, ...who, at });
      return;
    });
  }

  clear(agent: string, action: ControlAction, target: string | undefined, actor: ControlActor): Promise<boolean> {
    return attempt(() => {
      checkControl(agent, { action, target: action === 'tool.disable' ? (target ?? 'any') : undefined, value: weightOf(action) });
      const who = checkActor(actor);
      const at = new Date().toISOString();
      const gone = this.#controls.filter((c) => matches(c, agent, action, target));
      this.#controls = this.#controls.filter((c) => !matches(c, agent, action, target));
      for (const c of gone) this.#events.push({ agent, action, target: c.target || undefined, op: 'clear', value: undefined, ...who, at });
      return gone.length > 0;
    });
  }

  history(agent: string, limit = 100): Promise<readonly ControlEvent[]> {
    return attempt(() => {
      return this.#events.filter((e) => e.agent === agent).slice(-limit);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function matches(c: Stored, agent: string, action: ControlAction, target: string | undefined): boolean {
  return c.agent === agent && c.action === action && (target === undefined || c.target === target);
}

/** `checkControl` for a clear: the weight is not needed to clear a set-weight. */
function weightOf(action: ControlAction): number | undefined {
  return action === 'rollout.set-weight' ? 0 : undefined;
}

/**
 * On one machine: `<dir>/controls.json` (replaced atomically under `controls.lock`) and the audit
 * trail `<dir>/control-events.jsonl`. Every process on the host that reads the folder obeys it.
 */
export class FileControlStore implements ControlStore {
  readonly dir: string;
  readonly #file: string;
  readonly #events: string;
  readonly #lock: string;

  constructor(dir: string) {
    this.dir = dir;
    this.#file = join(dir, 'controls.json');
    this.#events = join(dir, 'control-events.jsonl');
    this.#lock = join(dir, 'controls.lock');
  }

  #read(): Stored[] {
    const text = readIfExists(this.#file);
    if (text === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new StateError(StateErrorCode.Corrupt, `${this.#file} is not JSON: restore it or delete it (clears every control)`, {
        cause: error,
      });
    }
    const list = (parsed as { controls?: unknown } | null)?.controls;
    if (!Array.isArray(list)) throw new StateError(StateErrorCode.Corrupt, `${this.#file} has no "controls" list: restore it or delete it`);
    return list as Stored[];
  }

  #write(controls: readonly Stored[]): void {
    writeAtomic(this.#file, `${JSON.stringify({ v: 1, controls }, null, 2)}\n`);
  }

  controls(agent: string): Promise<readonly Control[]> {
    return attempt(() => {
      checkName('agent', agent);
      return Promise.resolve(
        this.#read()
          .filter((c) => c.agent === agent)
          .map(toControl),
      );
    });
  }

  async set(agent: string, control: ControlInput, actor: ControlActor): Promise<void> {
    const { action, target, value } = checkControl(agent, control);
    const who = checkActor(actor);
    await withFileLock(this.#lock, () => {
      const at = new Date().toISOString();
      const rest = this.#read().filter((c) => !(c.agent === agent && c.action === action && c.target === target));
      appendLine(this.#events, JSON.stringify({ agent, action, target: target || undefined, op: 'set', value, ...who, at }));
      this.#write([...rest, { agent, action, target, ...(value === undefined ? {} : { value }), ...who, at }]);
    });
  }

  async clear(agent: string, action: ControlAction, target: string | undefined, actor: ControlActor): Promise<boolean> {
    checkControl(agent, { action, target: action === 'tool.disable' ? (target ?? 'any') : undefined, value: weightOf(action) });
    const who = checkActor(actor);
    return withFileLock(this.#lock, () => {
      const at = new Date().toISOString();
      const all = this.#read();
      const gone = all.filter((c) => matches(c, agent, action, target));
      if (gone.length === 0) return false;
      for (const c of gone)
        appendLine(this.#events, JSON.stringify({ agent, action, target: c.target || undefined, op: 'clear', ...who, at }));
      this.#write(all.filter((c) => !matches(c, agent, action, target)));
      return true;
    });
  }

  history(agent: string, limit = 100): Promise<readonly ControlEvent[]> {
    return attempt(() => {
      const lines = (readIfExists(this.#events) ?? '').split('\n').filter((line) => line !== '');
      const events = lines.map((line) => JSON.parse(line) as ControlEvent).filter((event) => event.agent === agent);
      return events.slice(-limit).map((event) => ({ ...event, target: event.target, value: event.value }));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** In PostgreSQL (or PGlite): `controls` and `control_events`, each change one statement. */
export class SqlControlStore implements ControlStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async controls(agent: string): Promise<readonly Control[]> {
    checkName('agent', agent);
    const { rows } = await this.#db.query<{ action: string; target: string; value: string | null; by: string; reason: string }>(
      'SELECT action, target, value, set_by AS by, reason FROM controls WHERE agent = $1 ORDER BY set_at, action, target',
      [agent],
    );
    return rows.map((row) => toControl({ ...row, value: row.value === null ? undefined : (JSON.parse(row.value) as unknown) }));
  }

  async set(agent: string, control: ControlInput, actor: ControlActor): Promise<void> {
    const { action, target, value } = checkControl(agent, control);
    const who = checkActor(actor);
    await this.#db.query(
      `WITH upsert AS (
         INSERT INTO controls (agent, action, target, value, set_by, reason) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (agent, action, target) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,
           reason = excluded.reason, set_at = now()
       )
       INSERT INTO control_events (agent, action, target, op, value, actor, reason) VALUES ($1, $2, $3, 'set', $4, $5, $6)`,
      [agent, action, target, value === undefined ? null : JSON.stringify(value), who.by, who.reason],
    );
  }

  async clear(agent: string, action: ControlAction, target: string | undefined, actor: ControlActor): Promise<boolean> {
    checkControl(agent, { action, target: action === 'tool.disable' ? (target ?? 'any') : undefined, value: weightOf(action) });
    const who = checkActor(actor);
    const { rowCount } = await this.#db.query(
      `WITH gone AS (
         DELETE FROM controls WHERE agent = $1 AND action = $2 AND ($3::text IS NULL OR target = $3::text) RETURNING target
       )
       INSERT INTO control_events (agent, action, target, op, actor, reason) SELECT $1, $2, target, 'clear', $4, $5 FROM gone RETURNING id`,
      [agent, action, target ?? null, who.by, who.reason],
    );
    return rowCount > 0;
  }

  async history(agent: string, limit = 100): Promise<readonly ControlEvent[]> {
    checkName('agent', agent);
    const { rows } = await this.#db.query<{
      action: string;
      target: string;
      op: 'set' | 'clear';
      value: string | null;
      actor: string;
      reason: string;
      at: Date | string;
    }>(
      `SELECT * FROM (SELECT id, action, target, op, value, actor, reason, at FROM control_events WHERE agent = $1 ORDER BY id DESC LIMIT $2) recent
       ORDER BY id`,
      [agent, limit],
    );
    return rows.map((row) => ({
      agent,
      action: row.action as ControlAction,
      target: row.target === '' ? undefined : row.target,
      op: row.op,
      value: row.value === null ? undefined : (JSON.parse(row.value) as unknown),
      by: row.actor,
      reason: row.reason,
      at: new Date(row.at).toISOString(),
    }));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
