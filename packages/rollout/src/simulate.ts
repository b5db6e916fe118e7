import type { CriticalKind, Observation } from './analysis.js';
import { createRolloutController, type RolloutController } from './controller.js';
import { RolloutError, RolloutErrorCode } from './errors.js';
import type { RolloutPlan } from './plan.js';
import { createRouter } from './router.js';
import { isTerminal, type RolloutStatus } from './state.js';
import { MemoryRolloutStore, type TransitionRecord } from './store.js';

/** How the simulated candidate differs from the control. */
export interface CandidateProfile {
  /** Success-rate drop in points (5 → 97 % becomes 92 %). */
  readonly successDropPts?: number;
  /** Latency increase in percent (every request's latency × (1 + N/100)). */
  readonly latencyIncreasePct?: number;
  /** Probability that a candidate request leaks PII. */
  readonly leakRate?: number;
  /** The candidate's N-th request (1-based) leaks PII. */
  readonly leakAt?: number;
}

/** The control's synthetic traffic. */
export interface Baseline {
  readonly successRate: number;
  readonly escalationRate: number;
  readonly guardrailTripRate: number;
  readonly humanOverrideRate: number;
  /** Median latency (ms) and the σ of its log (lognormal). */
  readonly latencyMedianMs: number;
  readonly latencySigma: number;
  readonly costUsd: number;
  /** Share of shadow comparisons that disagree by chance (the same for the control run twice). */
  readonly disagreementRate: number;
}

export const DEFAULT_BASELINE: Baseline = {
  successRate: 0.97,
  escalationRate: 0.05,
  guardrailTripRate: 0.02,
  humanOverrideRate: 0.01,
  latencyMedianMs: 1200,
  latencySigma: 0.5,
  costUsd: 0.01,
  disagreementRate: 0.03,
};

export interface SimulationOptions {
  readonly plan: RolloutPlan;
  readonly candidate?: CandidateProfile;
  readonly baseline?: Partial<Baseline>;
  /** Requests per analysis interval (`spec.rollout.analysis.interval`); default 200. */
  readonly requestsPerInterval?: number;
  /** Replaces every stage's stabilisation period (ms), e.g. 0 to promote as soon as the guards hold. */
  readonly stabilizationMs?: number;
  /** Start at the first canary stage (no shadow). */
  readonly skipShadow?: boolean;
  /** Distinct users (targeting keys); default 1,000,000. */
  readonly users?: number;
  readonly seed?: number;
  /** Stop (outcome `stalled`) after this many requests; default 5,000,000. */
  readonly maxRequests?: number;
  /** Record a point per interval (for the timeline and the chart); default true. */
  readonly timeline?: boolean;
  readonly alpha?: number;
}

/** The state of the rollout and the traffic of one analysis interval. */
export interface TimelinePoint {
  /** Simulated time since start, ms. */
  readonly t: number;
  readonly status: RolloutStatus;
  readonly stage: string;
  /** Planned candidate weight (%) at the end of the interval. */
  readonly weight: number;
  /** Share (%) of this interval's requests the router sent to the candidate (shadow: 0). */
  readonly candidateShare: number;
  readonly requests: number;
  /** Stage-to-date success rates and geometric-mean latencies per arm (NaN before any request). */
  readonly successControl: number;
  readonly successCandidate: number;
  readonly latencyControlMs: number;
  readonly latencyCandidateMs: number;
  readonly verdict: string;
}

export interface SimulationResult {
  readonly outcome: 'complete' | 'rolled-back' | 'paused' | 'stalled';
  readonly transitions: readonly TransitionRecord[];
  readonly timeline: readonly TimelinePoint[];
  readonly requests: number;
  readonly candidateRequests: number;
  /** Where a rollback happened: the stage, and the requests (all, and the candidate's) in that stage until then. */
  readonly rollback?: {
    readonly stage: string;
    readonly kind: string;
    readonly stageRequests: number;
    readonly stageCandidateRequests: number;
    readonly reason: string;
  };
}

/** A small fast seeded generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Drives synthetic traffic through the real router, controller and analysis (in-memory store, a
 * simulated clock, a gate that is always ready), one analysis interval at a time, until the rollout
 * completes, is rolled back or paused, or `maxRequests` is reached. A critical finding is handled as
 * in production: `observe` rolls back before the next request is routed.
 */
export async function simulateRollout(options: SimulationOptions): Promise<SimulationResult> {
  const baseline = { ...DEFAULT_BASELINE, ...options.baseline };
  const profile = options.candidate ?? {};
  const perInterval = options.requestsPerInterval ?? 200;
  const users = options.users ?? 1_000_000;
  const maxRequests = options.maxRequests ?? 5_000_000;
  const keepTimeline = options.timeline ?? true;
  if (!Number.isInteger(perInterval) || perInterval < 1)
    throw new RolloutError(RolloutErrorCode.BadOptions, `requestsPerInterval must be a positive integer, got ${perInterval}`);
  let stages = options.plan.stages;
  if (options.skipShadow) stages = stages.filter((stage) => stage.kind !== 'shadow');
  if (options.stabilizationMs !== undefined) stages = stages.map((stage) => ({ ...stage, stabilizationMs: options.stabilizationMs ?? 0 }));
  const plan: RolloutPlan = { ...options.plan, stages, hash: `${options.plan.hash}-sim` };
  const random = seededRandom(options.seed ?? 1);
  let now = 0;
  const controller: RolloutController = createRolloutController({
    plan,
    store: new MemoryRolloutStore({ copy: false }),
    clock: () => now,
    gate: () => Promise.resolve({ ready: true, summary: 'simulation: no readiness gate' }),
    ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
  });
  await controller.start({ candidate: 'simulated-candidate', control: 'simulated-control', actor: { type: 'system', id: 'simulation' } });
  const router = createRouter(plan.agent);
  const successCandidate = baseline.successRate - (profile.successDropPts ?? 0) / 100;
  const latencyFactor = 1 + (profile.latencyIncreasePct ?? 0) / 100;
  const logMedian = Math.log(baseline.latencyMedianMs);

  const outcome = (arm: 'control' | 'candidate', critical: CriticalKind | undefined): Observation => {
    const success = random() < (arm === 'candidate' ? successCandidate : baseline.successRate);
    const latency = Math.exp(logMedian + baseline.latencySigma * gaussian(random)) * (arm === 'candidate' ? latencyFactor : 1);
    return {
      arm,
      success,
      escalated: random() < baseline.escalationRate,
      guardrailTrip: random() < baseline.guardrailTripRate,
      humanOverride: random() < baseline.humanOverrideRate,
      latencyMs: latency,
      costUsd: baseline.costUsd * Math.exp(0.3 * gaussian(random)),
      ...(critical === undefined ? {} : { critical }),
    };
  };

  const timeline: TimelinePoint[] = [];
  let requests = 0;
  let candidateRequests = 0;
  let stageRequests = 0;
  let stageCandidateRequests = 0;
  let currentStage = controller.current().stage;
  let rollback: SimulationResult['rollback'];

  const leakNow = (): CriticalKind | undefined => {
    if (profile.leakAt !== undefined && candidateRequests === profile.leakAt) return 'pii-leak';
    if (profile.leakRate !== undefined && random() < profile.leakRate) return 'pii-leak';
    return undefined;
  };

  for (;;) {
    const state = controller.current();
    if (isTerminal(state.status) || state.status === 'paused') break;
    if (requests >= maxRequests) break;
    let intervalCandidate = 0;
    for (let index = 0; index < perInterval; index++) {
      const routing = controller.routing();
      const variant = router.decide(routing, `u${Math.floor(random() * users)}`);
      requests++;
      stageRequests++;
      if (variant === 'control') {
        controller.observe(outcome('control', undefined));
        continue;
      }
      candidateRequests++;
      stageCandidateRequests++;
      if (variant === 'candidate') intervalCandidate++;
      const control = variant === 'shadow' ? outcome('control', undefined) : undefined;
      if (control !== undefined) controller.observe(control);
      const candidate = outcome('candidate', leakNow());
      const result = controller.observe(candidate);
      if (control !== undefined) {
        const differs = control.success !== candidate.success || random() < baseline.disagreementRate;
        controller.observeComparison(!differs);
        if (random() < 0.05) controller.observeComparison(!(random() < baseline.disagreementRate), true);
      }
      if (result.critical) {
        await result.rollback;
        break;
      }
    }
    now += plan.analysis.intervalMs;
    const before = controller.current();
    const flushed = isTerminal(before.status) ? before : await controller.flush();
    const evaluation = isTerminal(before.status) ? undefined : await controller.evaluate();
    const after = controller.current();
    if (keepTimeline) {
      const stats = flushed.stats;
      timeline.push({
        t: now,
        status: after.status,
        stage: plan.stages[after.stage]?.name ?? after.status,
        weight: after.weight,
        candidateShare: (100 * intervalCandidate) / perInterval,
        requests: perInterval,
        successControl: rate(stats.control.success),
        successCandidate: rate(stats.candidate.success),
        latencyControlMs: stats.control.logLatency.n === 0 ? NaN : Math.exp(stats.control.logLatency.sum / stats.control.logLatency.n),
        latencyCandidateMs:
          stats.candidate.logLatency.n === 0 ? NaN : Math.exp(stats.candidate.logLatency.sum / stats.candidate.logLatency.n),
        verdict: evaluation?.analysis?.verdict ?? '-',
      });
    }
    if (after.status === 'rolled-back' && rollback === undefined) {
      const stage = plan.stages[after.stage];
      rollback = {
        stage: stage?.name ?? '?',
        kind: stage?.kind ?? '?',
        stageRequests,
        stageCandidateRequests,
        reason: after.reason ?? '',
      };
    }
    if (after.stage !== currentStage || after.status === 'complete') {
      currentStage = after.stage;
      stageRequests = 0;
      stageCandidateRequests = 0;
    }
  }
  const final = controller.current().status;
  return {
    outcome: final === 'complete' ? 'complete' : final === 'rolled-back' ? 'rolled-back' : final === 'paused' ? 'paused' : 'stalled',
    transitions: await controller.transitions(),
    timeline,
    requests,
    candidateRequests,
    ...(rollback === undefined ? {} : { rollback }),
  };
}

function rate(stat: { n: number; x: number }): number {
  return stat.n === 0 ? NaN : stat.x / stat.n;
}

function hours(ms: number): string {
  return `${(ms / 3_600_000).toFixed(1).padStart(6)} h`;
}

/** The simulation as lines of text: each transition with its time and reason, then the outcome. */
export function formatTimeline(result: SimulationResult): string {
  const lines = result.transitions.map(
    (record) =>
      `${hours(record.at)}  ${record.event.padEnd(10)} ${`${record.from.status} → ${record.to.status}`.padEnd(24)} ${String(record.to.weight).padStart(3)} %  ${record.reason}`,
  );
  const tail = result.rollback
    ? `rolled back at ${result.rollback.stage} after ${result.rollback.stageRequests} requests in the stage (${result.rollback.stageCandidateRequests} to the candidate)`
    : result.outcome;
  lines.push(`outcome: ${tail}; ${result.requests} requests, ${result.candidateRequests} to the candidate`);
  return `${lines.join('\n')}\n`;
}
