import { emptyStats, type BinaryStat, type StageStats } from './analysis.js';
import { RolloutError, RolloutErrorCode } from './errors.js';
import type { RolloutPlan } from './plan.js';
import { ALL_CONTROL, splitRouting, type Routing } from './router.js';

/** Format marker and version of a stored rollout state. */
export const STATE_FORMAT = 'charter.rollout';
export const STATE_VERSION = 1;

/** Where a rollout is. `shadow`, `canary` and `ramp` are the active stages; the last three are terminal. */
export type RolloutStatus = 'pending' | 'shadow' | 'canary' | 'ramp' | 'complete' | 'paused' | 'aborted' | 'rolled-back';
export const ROLLOUT_STATUSES: readonly RolloutStatus[] = [
  'pending',
  'shadow',
  'canary',
  'ramp',
  'complete',
  'paused',
  'aborted',
  'rolled-back',
];
export type ActiveStatus = 'shadow' | 'canary' | 'ramp';

/**
 * What can happen to a rollout:
 * - `start`: pending → the first stage (guard: readiness gate);
 * - `promote`: a stage → the next one, or the last → complete (guards: samples, stabilisation, verdict, gate, error budget);
 * - `pause` / `resume`: hold a stage / continue it at its planned weight;
 * - `set-weight`: hold a stage at a lower weight (0 = every request to the control), as `pause` does;
 * - `abort`: the kill switch, by a human: every request to the control, for good;
 * - `rollback`: the same, by automation (a failed verdict or a critical finding).
 */
export type RolloutEventType = 'start' | 'promote' | 'pause' | 'resume' | 'set-weight' | 'abort' | 'rollback';
export const ROLLOUT_EVENTS: readonly RolloutEventType[] = ['start', 'promote', 'pause', 'resume', 'set-weight', 'abort', 'rollback'];

/** The persisted state of one rollout: plain JSON. */
export interface RolloutState {
  readonly format: typeof STATE_FORMAT;
  readonly v: typeof STATE_VERSION;
  /** The rollout id (default: the agent name). */
  readonly id: string;
  readonly agent: string;
  /** `RolloutPlan.hash` of the plan the rollout was started with. */
  readonly planHash: string;
  /** Incremented by every write (compare-and-swap); 0 before the first write. */
  readonly version: number;
  /** Transitions so far; the transition log's last record has this number. */
  readonly seq: number;
  readonly status: RolloutStatus;
  /** Index of the current (or paused) stage in the plan; −1 before start. */
  readonly stage: number;
  /** Candidate's share of traffic now, 0-100. */
  readonly weight: number;
  /** The active status a paused rollout continues in. */
  readonly pausedFrom: ActiveStatus | undefined;
  /** Epoch ms when the current stage began (its stabilisation period counts from here). */
  readonly stageStartedAt: number | undefined;
  /** Labels of what is compared, e.g. the candidate's and the control's versions. */
  readonly candidate: string | undefined;
  readonly control: string | undefined;
  /** The current stage's statistics (reset at every stage change). */
  readonly stats: StageStats;
  /** The candidate's successes over the whole rollout (error budget). */
  readonly cumulative: BinaryStat;
  readonly updatedAt: number;
  /** Why the last transition happened. */
  readonly reason: string | undefined;
}

export function initialState(plan: RolloutPlan, id: string, now: number): RolloutState {
  return {
    format: STATE_FORMAT,
    v: STATE_VERSION,
    id,
    agent: plan.agent,
    planHash: plan.hash,
    version: 0,
    seq: 0,
    status: 'pending',
    stage: -1,
    weight: 0,
    pausedFrom: undefined,
    stageStartedAt: undefined,
    candidate: undefined,
    control: undefined,
    stats: emptyStats(),
    cumulative: { n: 0, x: 0 },
    updatedAt: now,
    reason: undefined,
  };
}

export function isTerminal(status: RolloutStatus): boolean {
  return status === 'complete' || status === 'aborted' || status === 'rolled-back';
}

export function isActive(status: RolloutStatus): status is ActiveStatus {
  return status === 'shadow' || status === 'canary' || status === 'ramp';
}

function statusOfStage(plan: RolloutPlan, index: number): ActiveStatus {
  const kind = plan.stages[index]?.kind;
  return kind === 'shadow' ? 'shadow' : kind === 'canary' ? 'canary' : 'ramp';
}

/** The event and its argument (`weight` for `set-weight`). */
export interface RolloutEvent {
  readonly type: RolloutEventType;
  readonly weight?: number;
}

export type TransitionCheck = { readonly ok: true; readonly next: RolloutState } | { readonly ok: false; readonly reason: string };

/**
 * The state machine: the state `event` leads to from `state`, or why it is not allowed. Pure (guards
 * that need the outside world — samples, verdict, gate, budget — are the controller's). The result
 * keeps `version` (the store bumps it) and bumps `seq`.
 */
export function transition(plan: RolloutPlan, state: RolloutState, event: RolloutEvent, at: number, reason: string): TransitionCheck {
  const refuse = (why: string): TransitionCheck => ({
    ok: false,
    reason: `${event.type} is not allowed from ${describe(plan, state)}: ${why}`,
  });
  const base = { ...state, seq: state.seq + 1, updatedAt: at, reason };
  const enterStage = (index: number): RolloutState => {
    const stage = plan.stages[index];
    return {
      ...base,
      status: statusOfStage(plan, index),
      stage: index,
      weight: stage?.weight ?? 0,
      pausedFrom: undefined,
      stageStartedAt: at,
      stats: emptyStats(),
    };
  };
  if (isTerminal(state.status)) return refuse('the rollout has ended; start a new one');
  switch (event.type) {
    case 'start':
      if (state.status !== 'pending') return refuse('the rollout has already started');
      if (plan.stages.length === 0) return refuse('the plan has no stages');
      return { ok: true, next: enterStage(0) };
    case 'promote': {
      if (!isActive(state.status)) return refuse(state.status === 'paused' ? 'resume it first' : 'no stage is running');
      const nextIndex = state.stage + 1;
      if (nextIndex >= plan.stages.length)
        return {
          ok: true,
          next: { ...base, status: 'complete', weight: 100, pausedFrom: undefined, stageStartedAt: at, stats: emptyStats() },
        };
      return { ok: true, next: enterStage(nextIndex) };
    }
    case 'pause':
      if (!isActive(state.status)) return refuse(state.status === 'paused' ? 'it is already paused' : 'no stage is running');
      return { ok: true, next: { ...base, status: 'paused', pausedFrom: state.status } };
    case 'resume': {
      if (state.status !== 'paused' || state.pausedFrom === undefined) return refuse('it is not paused');
      const planned = plan.stages[state.stage]?.weight ?? state.weight;
      return { ok: true, next: { ...base, status: state.pausedFrom, pausedFrom: undefined, weight: planned } };
    }
    case 'set-weight': {
      const weight = event.weight;
      if (weight === undefined || !Number.isFinite(weight) || weight < 0 || weight > 100)
        return refuse('set-weight needs a weight from 0 to 100');
      if (state.status === 'pending') return refuse('start it first');
      const planned = plan.stages[state.stage]?.weight ?? 0;
      if (weight > planned)
        return refuse(`set-weight only lowers traffic (the stage plans ${planned} %); more traffic comes from a guarded promote`);
      const pausedFrom = state.status === 'paused' ? state.pausedFrom : (state.status as ActiveStatus);
      return { ok: true, next: { ...base, status: 'paused', pausedFrom, weight } };
    }
    case 'abort':
      return { ok: true, next: { ...base, status: 'aborted', weight: 0, pausedFrom: undefined } };
    case 'rollback':
      if (state.status === 'pending') return refuse('nothing to roll back before start (abort it instead)');
      return { ok: true, next: { ...base, status: 'rolled-back', weight: 0, pausedFrom: undefined } };
  }
}

/** How requests are routed in `state`. A paused shadow stage keeps shadowing; a paused split keeps its (held) weight. */
export function routingOf(state: RolloutState): Routing {
  switch (state.status) {
    case 'pending':
    case 'aborted':
    case 'rolled-back':
      return ALL_CONTROL;
    case 'complete':
      return splitRouting(100);
    case 'shadow':
      return { mode: 'shadow', candidateBuckets: 0 };
    case 'canary':
    case 'ramp':
      return splitRouting(state.weight);
    case 'paused':
      if (state.pausedFrom === 'shadow') return { mode: 'shadow', candidateBuckets: 0 };
      return splitRouting(state.weight);
  }
}

/** `canary (stage 2/6 "canary", 5 %)`. */
export function describe(plan: RolloutPlan, state: RolloutState): string {
  const stage = plan.stages[state.stage];
  if (stage === undefined) return state.status;
  const paused = state.status === 'paused' ? ` from ${state.pausedFrom ?? '?'}` : '';
  return `${state.status}${paused} (stage ${state.stage + 1}/${plan.stages.length} "${stage.name}", ${state.weight} %)`;
}

/** Validates a value read from a store; throws `ROLLOUT_BAD_STATE` naming what is wrong. */
export function assertState(value: unknown, where: string): RolloutState {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null)
    throw new RolloutError(RolloutErrorCode.BadState, `${where}: not a rollout state (not an object)`);
  const s = value as Record<string, unknown>;
  if (s.format !== STATE_FORMAT) problems.push(`format is ${JSON.stringify(s.format)}, expected "${STATE_FORMAT}"`);
  if (s.v !== STATE_VERSION) problems.push(`v is ${JSON.stringify(s.v)}, expected ${STATE_VERSION}`);
  for (const key of ['id', 'agent', 'planHash'] as const) if (typeof s[key] !== 'string') problems.push(`${key} must be a string`);
  for (const key of ['version', 'seq', 'stage', 'weight', 'updatedAt'] as const)
    if (typeof s[key] !== 'number' || !Number.isFinite(s[key])) problems.push(`${key} must be a number`);
  if (!ROLLOUT_STATUSES.includes(s.status as RolloutStatus))
    problems.push(`status ${JSON.stringify(s.status)} is not one of ${ROLLOUT_STATUSES.join(', ')}`);
  if (typeof s.stats !== 'object' || s.stats === null) problems.push('stats must be an object');
  if (typeof s.cumulative !== 'object' || s.cumulative === null) problems.push('cumulative must be an object');
  if (problems.length > 0) throw new RolloutError(RolloutErrorCode.BadState, `${where}: not a valid rollout state: ${problems.join('; ')}`);
  return normalise(s as unknown as RolloutState);
}

/** JSON drops `undefined`: put the optional fields back so a state read equals the state written. */
function normalise(state: RolloutState): RolloutState {
  return {
    ...state,
    pausedFrom: state.pausedFrom ?? undefined,
    stageStartedAt: state.stageStartedAt ?? undefined,
    candidate: state.candidate ?? undefined,
    control: state.control ?? undefined,
    reason: state.reason ?? undefined,
  };
}
