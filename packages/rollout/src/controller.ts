import { existsSync, readFileSync } from 'node:fs';
import type { PlaybookAction } from '@charter/spec';
import type { AuditLog, JsonValue, Telemetry } from '@charter/telemetry';
import {
  analyse,
  addStats,
  analysisConfig,
  emptyStats,
  errorBudgetOf,
  isEmptyStats,
  mergeStats,
  observe as addObservation,
  observeComparison as addComparison,
  type AnalysisConfig,
  type AnalysisResult,
  type Observation,
  type StageStats,
} from './analysis.js';
import { RolloutError, RolloutErrorCode } from './errors.js';
import type { RolloutPlan } from './plan.js';
import { ALL_CONTROL, type Routing } from './router.js';
import { describe, initialState, isActive, isTerminal, routingOf, transition, type RolloutEvent, type RolloutState } from './state.js';
import { finiteOrNull, type Actor, type GuardResult, type RolloutStore, type TransitionRecord } from './store.js';

/** The readiness gate: `@charter/readiness`'s `evaluateReadiness` wired by the caller. */
export type Gate = () => Promise<{ readonly ready: boolean; readonly summary?: string }>;

/** Error-budget check; the default judges the candidate's burn rate against `spec.slos.successRate`. */
export type ErrorBudgetCheck = (
  state: RolloutState,
  plan: RolloutPlan,
) => Promise<{ readonly exhausted: boolean; readonly summary: string }>;

export interface RolloutControllerOptions {
  readonly plan: RolloutPlan;
  readonly store: RolloutStore;
  /** Default: the agent name. */
  readonly id?: string;
  /** Checked on `start` and on every promotion. Without one, both need an explicit `skipGate` reason. */
  readonly gate?: Gate;
  readonly errorBudget?: ErrorBudgetCheck;
  /** Every transition is emitted as a `rollout.transition` event. */
  readonly telemetry?: Telemetry;
  /** Every transition is appended as a `rollout.transition` audit record. */
  readonly audit?: AuditLog;
  /** `policyVersion` of the audit records (the guardrail policy in force); default `n/a`. */
  readonly policyVersion?: string;
  /**
   * Transitions in the store's log older than this with no audit record (the process died between
   * committing and auditing) are audited when the controller first loads. Default 10 000 ms.
   */
  readonly auditGraceMs?: number;
  readonly clock?: () => number;
  /** Level of the confidence sequences; default 0.05. */
  readonly alpha?: number;
  readonly maxCostIncreasePct?: number;
  /** Called after every committed transition (after the event and the audit record). */
  readonly onTransition?: (record: TransitionRecord) => void;
}

export interface OperatorOptions {
  /** Default: `{ type: 'human', id: 'operator' }`. */
  readonly actor?: Actor;
  readonly reason?: string;
}

export interface GatedOptions extends OperatorOptions {
  /** Proceed without a readiness gate; the text (why) is recorded in the transition and the audit log. */
  readonly skipGate?: string;
}

export interface StartOptions extends GatedOptions {
  /** What is rolled out, e.g. the candidate's version. */
  readonly candidate: string;
  readonly control?: string;
}

export type TransitionOutcome =
  | { readonly ok: true; readonly state: RolloutState; readonly transition: TransitionRecord }
  | { readonly ok: false; readonly state: RolloutState; readonly reason: string; readonly guards: readonly GuardResult[] };

/** What one `evaluate` found and did. */
export interface Evaluation {
  readonly state: RolloutState;
  readonly analysis: AnalysisResult | undefined;
  readonly guards: readonly GuardResult[];
  /** What automation did: nothing, or the transition it committed. */
  readonly action: 'none' | 'promote' | 'pause' | 'rollback';
  readonly transition: TransitionRecord | undefined;
}

export type ObserveResult = { readonly critical: false } | { readonly critical: true; readonly rollback: Promise<Evaluation> };

export interface RolloutController {
  readonly id: string;
  readonly plan: RolloutPlan;
  /** The stored state (pending when never started), rolled forward; audits transitions that missed theirs. */
  load(): Promise<RolloutState>;
  /** The last state this controller read or wrote (sync; `load` refreshes it). */
  current(): RolloutState;
  /** How requests are routed now, from `current()`; all control at once after a critical finding here. */
  routing(): Routing;
  start(options: StartOptions): Promise<TransitionOutcome>;
  /** Promotes to the next stage when every guard holds; otherwise returns the guards that did not. */
  advance(options?: GatedOptions): Promise<TransitionOutcome>;
  pause(options?: OperatorOptions): Promise<TransitionOutcome>;
  resume(options?: OperatorOptions): Promise<TransitionOutcome>;
  /** The kill switch: every request to the control at the next flag evaluation. */
  abort(options?: OperatorOptions): Promise<TransitionOutcome>;
  /** Holds the stage at a lower weight (0 = all control); `resume` restores the planned weight. */
  setWeight(weight: number, options?: OperatorOptions): Promise<TransitionOutcome>;
  /** Runs a playbook mitigation's machine action: `rollout.abort` or `rollout.set-weight`. */
  applyPlaybookAction(action: PlaybookAction, options?: OperatorOptions): Promise<TransitionOutcome>;
  /** Records one request's outcome (sync, a few additions). A critical finding on the candidate rolls back at once. */
  observe(observation: Observation): ObserveResult;
  /** Records a shadow comparison (candidate vs control) or, with `noise`, control vs control. */
  observeComparison(agree: boolean, noise?: boolean): void;
  /** Writes the recorded observations into the store (merging with other processes'). */
  flush(): Promise<RolloutState>;
  /** Flushes, analyses the stage and lets automation act: roll back or pause on a failure, promote when every guard holds. */
  evaluate(options?: { readonly automate?: boolean }): Promise<Evaluation>;
  /** The guards a promotion needs, evaluated now (the gate is asked only when the others hold). */
  guards(options?: {
    readonly skipGate?: string;
  }): Promise<{ readonly analysis: AnalysisResult | undefined; readonly guards: readonly GuardResult[] }>;
  transitions(): Promise<readonly TransitionRecord[]>;
}

const SYSTEM: Actor = { type: 'system', id: 'rollout-controller' };
const OPERATOR: Actor = { type: 'human', id: 'operator' };
const MAX_CAS_ATTEMPTS = 8;

/** The controller of one rollout: the state machine over a store, the analysis, the guards and the automation. */
export function createRolloutController(options: RolloutControllerOptions): RolloutController {
  const { plan, store } = options;
  const id = options.id ?? plan.agent;
  const clock = options.clock ?? Date.now;
  const auditGraceMs = options.auditGraceMs ?? 10_000;
  const policyVersion = options.policyVersion ?? 'n/a';
  let state: RolloutState = initialState(plan, id, clock());
  let loaded = false;
  let halted = false;
  // Observations not yet written to the store, tagged with the stage they belong to.
  let pending: StageStats = emptyStats();
  let pendingStage: number | undefined;
  let critical: Promise<Evaluation> | undefined;
  let routed: { state: RolloutState | undefined; routing: Routing } = { state: undefined, routing: ALL_CONTROL };

  const configFor = (current: RolloutState): AnalysisConfig => {
    const stageWeight = plan.stages[current.stage]?.weight ?? 0;
    return analysisConfig(plan.analysis, {
      ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
      ...(options.maxCostIncreasePct === undefined ? {} : { maxCostIncreasePct: options.maxCostIncreasePct }),
      concurrentControl: stageWeight < 100,
    });
  };

  async function read(): Promise<RolloutState> {
    const stored = await store.load(id);
    if (stored !== undefined && stored.planHash !== plan.hash)
      throw new RolloutError(
        RolloutErrorCode.PlanChanged,
        `rollout "${id}" was started with another plan (${stored.planHash}, now ${plan.hash}): the manifest's spec.rollout or spec.slos changed mid-rollout; abort it and start a new one, or restore the manifest`,
      );
    state = stored ?? initialState(plan, id, clock());
    if (isTerminal(state.status) || state.status === 'pending') halted = false;
    if (!loaded) {
      loaded = true;
      await auditMissing();
    }
    return state;
  }

  const load = read;

  /** Audit records (and events) for committed transitions whose process died before writing them. */
  async function auditMissing(): Promise<void> {
    const audit = options.audit;
    if (audit === undefined) return;
    const log = await store.transitions(id);
    if (log.length === 0) return;
    const seen = new Set<string>();
    if (existsSync(audit.path)) {
      for (const line of readFileSync(audit.path, 'utf8').split('\n')) {
        if (!line.includes('"rollout.transition"')) continue;
        try {
          const record = JSON.parse(line) as { runId?: unknown };
          if (typeof record.runId === 'string') seen.add(record.runId);
        } catch {
          // verifyAudit reports broken lines; here only the rollout's own records matter.
        }
      }
    }
    const now = clock();
    for (const record of log) {
      if (seen.has(auditRunId(record)) || now - record.at < auditGraceMs) continue;
      announce(record, true);
    }
  }

  function auditRunId(record: TransitionRecord): string {
    return `rollout:${record.id}#${record.seq}`;
  }

  function announce(record: TransitionRecord, recovered = false): void {
    const stage = plan.stages[record.to.stage]?.name;
    const statistics = jsonSafe(record.statistics);
    const reason = (recovered ? `${record.reason} [audited after a restart]` : record.reason).slice(0, 2000);
    options.audit?.append({
      kind: 'rollout.transition',
      ts: new Date(record.at).toISOString(),
      agent: plan.agent,
      runId: auditRunId(record),
      actor: record.actor,
      policyVersion,
      reason,
      rollout: {
        id: record.id,
        transition: record.seq,
        event: record.event,
        from: record.from.status,
        to: record.to.status,
        ...(stage === undefined ? {} : { stage }),
        weight: record.to.weight,
        ...(statistics === undefined ? {} : { statistics }),
      },
    });
    if (!recovered) {
      options.telemetry?.emit({
        type: 'rollout.transition',
        runId: `rollout:${record.id}`,
        transition: record.seq,
        event: record.event,
        from: record.from.status,
        to: record.to.status,
        ...(stage === undefined ? {} : { stage }),
        weight: record.to.weight,
        actor: record.actor.type,
        reason,
        ...(statistics === undefined ? {} : { statistics }),
      });
      options.onTransition?.(record);
    }
  }

  /**
   * Commits `event` from the freshest state. `expectVersion` pins the state the caller's guards were
   * evaluated on: when another process moved first, nothing is written and the outcome says so.
   */
  async function commit(
    event: RolloutEvent,
    actor: Actor,
    reason: string,
    details: { guards?: readonly GuardResult[]; statistics?: unknown; expectVersion?: number; patch?: Partial<RolloutState> } = {},
  ): Promise<TransitionOutcome> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = attempt === 0 && details.expectVersion === state.version ? state : await read();
      if (details.expectVersion !== undefined && current.version !== details.expectVersion)
        return {
          ok: false,
          state: current,
          reason: `another process changed rollout "${id}" first (${describe(plan, current)}); evaluate again`,
          guards: [],
        };
      const at = clock();
      const check = transition(plan, current, event, at, reason);
      if (!check.ok) throw new RolloutError(RolloutErrorCode.IllegalTransition, check.reason);
      const next = { ...check.next, ...details.patch };
      const result = await store.compareAndSwap(id, current.version, next, {
        seq: next.seq,
        id,
        at,
        event: event.type,
        from: { status: current.status, stage: current.stage, weight: current.weight },
        to: { status: next.status, stage: next.stage, weight: next.weight },
        actor,
        reason,
        guards: details.guards ?? [],
        statistics: details.statistics ?? statisticsOf(current, undefined),
      });
      if (result.ok) {
        state = result.state;
        if (result.transition === undefined)
          throw new RolloutError(RolloutErrorCode.Store, 'the store did not return the transition it logged');
        announce(result.transition);
        return { ok: true, state, transition: result.transition };
      }
      if (details.expectVersion !== undefined)
        return {
          ok: false,
          state: result.current ?? state,
          reason: `another process changed rollout "${id}" first; evaluate again`,
          guards: [],
        };
    }
    throw new RolloutError(
      RolloutErrorCode.Conflict,
      `rollout "${id}" kept changing under ${MAX_CAS_ATTEMPTS} attempts to write it: too many writers?`,
    );
  }

  async function flush(): Promise<RolloutState> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await read();
      if (isEmptyStats(pending)) return current;
      const delta = structuredClone(pending);
      const deltaStage = pendingStage;
      const sameStage = deltaStage === current.stage && !isTerminal(current.status) && current.status !== 'pending';
      const next: RolloutState = {
        ...current,
        stats: sameStage ? mergeStats(current.stats, delta) : current.stats,
        cumulative: {
          n: current.cumulative.n + delta.candidate.success.n,
          x: current.cumulative.x + delta.candidate.success.x,
        },
        updatedAt: clock(),
      };
      const result = await store.compareAndSwap(id, current.version, next);
      if (result.ok) {
        // Observations recorded while the write was in flight stay pending for the next flush.
        addStats(pending, delta, -1);
        state = result.state;
        return state;
      }
    }
    throw new RolloutError(
      RolloutErrorCode.Conflict,
      `rollout "${id}" kept changing under ${MAX_CAS_ATTEMPTS} attempts to save its statistics`,
    );
  }

  async function gateResult(skipGate: string | undefined): Promise<GuardResult> {
    if (options.gate !== undefined) {
      let result: { readonly ready: boolean; readonly summary?: string };
      try {
        result = await options.gate();
      } catch (error) {
        return { guard: 'gate', ok: false, detail: `the readiness gate failed: ${(error as Error).message}` };
      }
      return { guard: 'gate', ok: result.ready, detail: result.summary ?? (result.ready ? 'ready' : 'not ready') };
    }
    if (skipGate !== undefined && skipGate.trim() !== '')
      return { guard: 'gate', ok: true, detail: `SKIPPED: no readiness gate wired (${skipGate})` };
    return {
      guard: 'gate',
      ok: false,
      detail: 'no readiness gate is wired: proceed only with an explicit reason to skip it (skipGate, --skip-gate)',
    };
  }

  async function guardsOf(
    current: RolloutState,
    skipGate: string | undefined,
  ): Promise<{ analysis: AnalysisResult | undefined; guards: GuardResult[] }> {
    if (!isActive(current.status)) return { analysis: undefined, guards: [] };
    const stage = plan.stages[current.stage];
    const config = configFor(current);
    const analysis = analyse(current.stats, config);
    const min = plan.analysis.minSamples;
    const { control, candidate } = current.stats;
    const samplesOk = config.concurrentControl ? control.requests >= min && candidate.requests >= min : candidate.requests >= min;
    const elapsed = clock() - (current.stageStartedAt ?? clock());
    const needed = stage?.stabilizationMs ?? 0;
    const budget = options.errorBudget
      ? await options.errorBudget(current, plan)
      : errorBudgetOf(current.cumulative, plan.slos.successRate, min, config.alpha);
    const guards: GuardResult[] = [
      {
        guard: 'samples',
        ok: samplesOk,
        detail: `control ${control.requests}, candidate ${candidate.requests} (need ${min} per arm${config.concurrentControl ? '' : '; no control at 100 %'})`,
      },
      { guard: 'stabilisation', ok: elapsed >= needed, detail: `${formatMs(elapsed)} of ${formatMs(needed)} elapsed` },
      { guard: 'verdict', ok: analysis.verdict === 'pass', detail: `${analysis.verdict}: ${analysis.summary}` },
      { guard: 'error-budget', ok: !budget.exhausted, detail: budget.summary },
    ];
    // The gate may be expensive (a readiness evaluation): ask it only when everything else holds.
    guards.push(
      guards.every((guard) => guard.ok)
        ? await gateResult(skipGate)
        : { guard: 'gate', ok: false, detail: 'not asked: other guards do not hold' },
    );
    return { analysis, guards };
  }

  async function evaluate(evaluateOptions: { readonly automate?: boolean } = {}): Promise<Evaluation> {
    const automate = evaluateOptions.automate ?? true;
    const current = await flush();
    if (!isActive(current.status) && current.status !== 'paused')
      return { state: current, analysis: undefined, guards: [], action: 'none', transition: undefined };
    const config = configFor(current);
    const analysis = analyse(current.stats, config);
    const statistics = statisticsOf(current, analysis);
    if (analysis.critical.length > 0) {
      const guard: GuardResult = { guard: 'critical', ok: false, detail: analysis.summary };
      const outcome = await system({ type: 'rollback' }, `rolled back: ${analysis.summary}`, { guards: [guard], statistics });
      return done(outcome, analysis, [guard], 'rollback');
    }
    if (automate && analysis.verdict === 'fail') {
      const guard: GuardResult = { guard: 'verdict', ok: false, detail: analysis.summary };
      if (plan.analysis.autoRollback) {
        const outcome = await system({ type: 'rollback' }, `rolled back: ${analysis.summary}`, {
          guards: [guard],
          statistics,
          expectVersion: current.version,
        });
        return done(outcome, analysis, [guard], 'rollback');
      }
      if (current.status !== 'paused') {
        const outcome = await system({ type: 'pause' }, `paused (autoRollback is off): ${analysis.summary}`, {
          guards: [guard],
          statistics,
          expectVersion: current.version,
        });
        return done(outcome, analysis, [guard], 'pause');
      }
    }
    if (!automate || current.status === 'paused') return { state: current, analysis, guards: [], action: 'none', transition: undefined };
    const { guards } = await guardsOf(current, undefined);
    if (!guards.every((guard) => guard.ok)) return { state: current, analysis, guards, action: 'none', transition: undefined };
    const outcome = await system({ type: 'promote' }, `promoted: every guard holds (${analysis.summary})`, {
      guards,
      statistics,
      expectVersion: current.version,
    });
    return done(outcome, analysis, guards, 'promote');
  }

  /** A transition by automation; when another process ended the rollout first, there is nothing left to do. */
  async function system(
    event: RolloutEvent,
    reason: string,
    details: { guards: readonly GuardResult[]; statistics: unknown; expectVersion?: number },
  ): Promise<TransitionOutcome> {
    try {
      return await commit(event, SYSTEM, reason, details);
    } catch (error) {
      if (RolloutError.isInstance(error) && error.code === RolloutErrorCode.IllegalTransition && isTerminal(state.status))
        return { ok: false, state, reason: error.message, guards: [] };
      throw error;
    }
  }

  function done(
    outcome: TransitionOutcome,
    analysis: AnalysisResult,
    guards: readonly GuardResult[],
    action: Evaluation['action'],
  ): Evaluation {
    if (!outcome.ok) return { state: outcome.state, analysis, guards, action: 'none', transition: undefined };
    return { state: outcome.state, analysis, guards, action, transition: outcome.transition };
  }

  /** Observations belong to the stage they were made in: a stage change drops what was not flushed. */
  function retag(): void {
    if (pendingStage === state.stage) return;
    if (!isEmptyStats(pending)) pending = emptyStats();
    pendingStage = state.stage;
  }

  const controller: RolloutController = {
    id,
    plan,
    load,
    current: () => state,
    routing() {
      if (halted) return ALL_CONTROL;
      if (routed.state !== state) routed = { state, routing: routingOf(state) };
      return routed.routing;
    },
    async start(startOptions) {
      if (typeof startOptions.candidate !== 'string' || startOptions.candidate.trim() === '')
        throw new RolloutError(RolloutErrorCode.BadOptions, 'start needs `candidate`: a label for what is rolled out (e.g. its version)');
      const current = await load();
      if (current.status !== 'pending')
        throw new RolloutError(RolloutErrorCode.IllegalTransition, `rollout "${id}" has already started (${describe(plan, current)})`);
      const gate = await gateResult(startOptions.skipGate);
      if (!gate.ok && options.gate === undefined)
        throw new RolloutError(RolloutErrorCode.NoGate, `cannot start rollout "${id}": ${gate.detail}`);
      if (!gate.ok) return { ok: false, state: current, reason: `the readiness gate does not pass: ${gate.detail}`, guards: [gate] };
      const reason =
        startOptions.reason ??
        `started: candidate ${startOptions.candidate}${startOptions.control ? ` vs control ${startOptions.control}` : ''}`;
      return commit({ type: 'start' }, startOptions.actor ?? OPERATOR, `${reason}; ${gate.detail}`, {
        guards: [gate],
        expectVersion: current.version,
        patch: { candidate: startOptions.candidate, control: startOptions.control },
      });
    },
    async advance(advanceOptions = {}) {
      const current = await flush();
      if (!isActive(current.status))
        throw new RolloutError(
          RolloutErrorCode.IllegalTransition,
          `rollout "${id}" is ${describe(plan, current)}: only a running stage can be promoted${current.status === 'paused' ? ' (resume it first)' : ''}`,
        );
      const { analysis, guards } = await guardsOf(current, advanceOptions.skipGate);
      const failing = guards.filter((guard) => !guard.ok);
      if (failing.length > 0)
        return {
          ok: false,
          state: current,
          reason: `not promoted: ${failing.map((guard) => `${guard.guard} (${guard.detail})`).join('; ')}`,
          guards,
        };
      const gate = guards.find((guard) => guard.guard === 'gate');
      const reason = `${advanceOptions.reason ?? 'promoted by an operator'}${gate === undefined ? '' : `; ${gate.detail}`}`;
      return commit({ type: 'promote' }, advanceOptions.actor ?? OPERATOR, reason, {
        guards,
        statistics: statisticsOf(current, analysis),
        expectVersion: current.version,
      });
    },
    pause: (o = {}) => commit({ type: 'pause' }, o.actor ?? OPERATOR, o.reason ?? 'paused by an operator'),
    resume: (o = {}) => commit({ type: 'resume' }, o.actor ?? OPERATOR, o.reason ?? 'resumed by an operator'),
    async abort(o = {}) {
      halted = true;
      return commit({ type: 'abort' }, o.actor ?? OPERATOR, o.reason ?? 'aborted by an operator (kill switch)');
    },
    setWeight(weight, o = {}) {
      if (!Number.isFinite(weight) || weight < 0 || weight > 100)
        return Promise.reject(new RolloutError(RolloutErrorCode.BadOptions, `a weight is a percentage from 0 to 100, got ${weight}`));
      return commit({ type: 'set-weight', weight }, o.actor ?? OPERATOR, o.reason ?? `weight set to ${weight} % by an operator`);
    },
    applyPlaybookAction(action, o = {}) {
      switch (action.type) {
        case 'rollout.abort':
          return controller.abort({ ...o, reason: o.reason ?? 'playbook action rollout.abort' });
        case 'rollout.set-weight':
          if (action.weight === undefined)
            return Promise.reject(new RolloutError(RolloutErrorCode.BadOptions, 'rollout.set-weight needs "weight" (0-100)'));
          return controller.setWeight(action.weight, { ...o, reason: o.reason ?? `playbook action rollout.set-weight ${action.weight}` });
        default:
          return Promise.reject(
            new RolloutError(
              RolloutErrorCode.BadOptions,
              `playbook action ${action.type} is not a rollout action (rollout.abort, rollout.set-weight)`,
            ),
          );
      }
    },
    observe(observation) {
      retag();
      addObservation(pending, observation);
      if (observation.critical === undefined || observation.arm !== 'candidate') return { critical: false };
      // Zero tolerance: this process routes everything to the control now, before the store is written.
      halted = true;
      critical ??= evaluate().finally(() => {
        critical = undefined;
      });
      return { critical: true, rollback: critical };
    },
    observeComparison(agree, noise = false) {
      retag();
      addComparison(pending, agree, noise);
    },
    flush,
    evaluate,
    async guards(o = {}) {
      const current = await flush();
      return guardsOf(current, o.skipGate);
    },
    transitions: () => store.transitions(id),
  };
  return controller;
}

/** The statistics a transition records: counts, the verdict and each metric's effect and confidence sequence. */
export function statisticsOf(state: RolloutState, analysis: AnalysisResult | undefined): unknown {
  const { control, candidate } = state.stats;
  return {
    requests: { control: control.requests, candidate: candidate.requests },
    cumulative: state.cumulative,
    ...(state.stats.disagreement.n > 0 ? { disagreement: state.stats.disagreement, noise: state.stats.noise } : {}),
    ...(analysis === undefined
      ? {}
      : {
          verdict: analysis.verdict,
          summary: analysis.summary,
          critical: analysis.critical,
          metrics: analysis.metrics
            .filter((metric) => metric.verdict !== 'skipped')
            .map((metric) => ({
              metric: metric.metric,
              verdict: metric.verdict,
              effect: round(metric.effect),
              lower: round(metric.lower),
              upper: round(metric.upper),
              tolerance: metric.tolerance,
              n: [metric.nControl, metric.nCandidate],
            })),
        }),
  };
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : value;
}

function jsonSafe(value: unknown): JsonValue | undefined {
  if (value === undefined) return undefined;
  return JSON.parse(JSON.stringify(value, finiteOrNull)) as JsonValue;
}

export function formatMs(ms: number): string {
  const DAY = 86_400_000;
  const HOUR = 3_600_000;
  if (ms >= 2 * DAY && ms % DAY === 0) return `${ms / DAY}d`;
  if (ms >= HOUR && ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 2 * DAY) return `${(ms / DAY).toFixed(1)}d`;
  if (ms >= HOUR) return `${(ms / HOUR).toFixed(1)}h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)}m`;
  return `${Math.round(ms / 1000)}s`;
}
