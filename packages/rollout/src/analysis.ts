import type { PlanAnalysis } from './plan.js';
import { confidenceRadius } from './sequential.js';

/** Zero-tolerance findings: one of them on the candidate rolls the rollout back at once. */
export const CRITICAL_KINDS = ['pii-leak', 'secret-leak', 'canary-token', 'policy-violation'] as const;
export type CriticalKind = (typeof CRITICAL_KINDS)[number];

export type Arm = 'control' | 'candidate';

/** One request's outcome on one arm. Optional fields that are absent are not counted (unknown ≠ no). */
export interface Observation {
  readonly arm: Arm;
  /** The request ended as it should (for an agent run: `completed`). */
  readonly success: boolean;
  readonly latencyMs: number;
  readonly costUsd?: number;
  readonly escalated?: boolean;
  /** A guardrail decided anything but allow. */
  readonly guardrailTrip?: boolean;
  /** A human reversed or corrected the answer (reported later, e.g. from a review queue). */
  readonly humanOverride?: boolean;
  /** A zero-tolerance finding on this request. */
  readonly critical?: CriticalKind;
}

/** Successes (or events) `x` out of `n` observations that reported the field. */
export interface BinaryStat {
  n: number;
  x: number;
}
/** Count, sum and sum of squares of a continuous value. */
export interface ContinuousStat {
  n: number;
  sum: number;
  sumSq: number;
}

/** Sufficient statistics of one arm: additive, so deltas from several processes merge by adding. */
export interface ArmStats {
  requests: number;
  success: BinaryStat;
  escalation: BinaryStat;
  guardrailTrip: BinaryStat;
  humanOverride: BinaryStat;
  /** Of ln(latency in ms): latency is compared as a ratio of geometric means. */
  logLatency: ContinuousStat;
  /** Of the cost in USD: compared as a ratio of means. */
  cost: ContinuousStat;
  critical: Record<CriticalKind, number>;
}

/** Everything a stage's analysis needs; plain JSON, persisted with the rollout state. */
export interface StageStats {
  control: ArmStats;
  candidate: ArmStats;
  /** Shadow comparisons candidate vs control: `x` = disagreements. */
  disagreement: BinaryStat;
  /** Control vs a second run of the control on a sample: `x` = disagreements (the noise floor). */
  noise: BinaryStat;
}

export function emptyArm(): ArmStats {
  return {
    requests: 0,
    success: { n: 0, x: 0 },
    escalation: { n: 0, x: 0 },
    guardrailTrip: { n: 0, x: 0 },
    humanOverride: { n: 0, x: 0 },
    logLatency: { n: 0, sum: 0, sumSq: 0 },
    cost: { n: 0, sum: 0, sumSq: 0 },
    critical: { 'pii-leak': 0, 'secret-leak': 0, 'canary-token': 0, 'policy-violation': 0 },
  };
}

export function emptyStats(): StageStats {
  return { control: emptyArm(), candidate: emptyArm(), disagreement: { n: 0, x: 0 }, noise: { n: 0, x: 0 } };
}

function bit(stat: BinaryStat, value: boolean | undefined): void {
  if (value === undefined) return;
  stat.n++;
  if (value) stat.x++;
}

/** Adds one observation to `stats` in place (a few additions: the per-request cost of the analysis). */
export function observe(stats: StageStats, observation: Observation): void {
  const arm = observation.arm === 'candidate' ? stats.candidate : stats.control;
  arm.requests++;
  bit(arm.success, observation.success);
  bit(arm.escalation, observation.escalated);
  bit(arm.guardrailTrip, observation.guardrailTrip);
  bit(arm.humanOverride, observation.humanOverride);
  const log = Math.log(Math.max(observation.latencyMs, 0.001));
  arm.logLatency.n++;
  arm.logLatency.sum += log;
  arm.logLatency.sumSq += log * log;
  const cost = observation.costUsd;
  if (cost !== undefined) {
    arm.cost.n++;
    arm.cost.sum += cost;
    arm.cost.sumSq += cost * cost;
  }
  if (observation.critical !== undefined) arm.critical[observation.critical]++;
}

/** Adds a shadow comparison (candidate vs control) or a noise-floor comparison (control vs control). */
export function observeComparison(stats: StageStats, agree: boolean, noise = false): void {
  bit(noise ? stats.noise : stats.disagreement, !agree);
}

function addBinary(a: BinaryStat, b: BinaryStat, sign: number): void {
  a.n += sign * b.n;
  a.x += sign * b.x;
}
function addContinuous(a: ContinuousStat, b: ContinuousStat, sign: number): void {
  a.n += sign * b.n;
  a.sum += sign * b.sum;
  a.sumSq += sign * b.sumSq;
}
function addArm(a: ArmStats, b: ArmStats, sign: number): void {
  a.requests += sign * b.requests;
  addBinary(a.success, b.success, sign);
  addBinary(a.escalation, b.escalation, sign);
  addBinary(a.guardrailTrip, b.guardrailTrip, sign);
  addBinary(a.humanOverride, b.humanOverride, sign);
  addContinuous(a.logLatency, b.logLatency, sign);
  addContinuous(a.cost, b.cost, sign);
  for (const kind of CRITICAL_KINDS) a.critical[kind] += sign * b.critical[kind];
}

/** Adds `b` (or subtracts it, `sign` −1) into `a` in place. */
export function addStats(a: StageStats, b: StageStats, sign = 1): void {
  addArm(a.control, b.control, sign);
  addArm(a.candidate, b.candidate, sign);
  addBinary(a.disagreement, b.disagreement, sign);
  addBinary(a.noise, b.noise, sign);
}

/** `a + b` as a new value (statistics from several processes merge by adding). */
export function mergeStats(a: StageStats, b: StageStats): StageStats {
  const out = structuredClone(a);
  addStats(out, b);
  return out;
}

export function isEmptyStats(stats: StageStats): boolean {
  return stats.control.requests === 0 && stats.candidate.requests === 0 && stats.disagreement.n === 0 && stats.noise.n === 0;
}

export type MetricName = 'success' | 'escalation' | 'guardrailTrips' | 'humanOverrides' | 'disagreement' | 'latency' | 'cost';
export const METRIC_NAMES: readonly MetricName[] = [
  'success',
  'escalation',
  'guardrailTrips',
  'humanOverrides',
  'disagreement',
  'latency',
  'cost',
];

/**
 * - `pass`: the confidence sequence lies at or below the tolerance (no regression beyond it);
 * - `fail`: it lies above the tolerance (a regression beyond it, at level α);
 * - `inconclusive`: it straddles the tolerance; `insufficient`: fewer than `minSamples` per arm;
 * - `skipped`: no arm reported the metric (not part of the verdict).
 */
export type MetricVerdict = 'pass' | 'fail' | 'inconclusive' | 'insufficient' | 'skipped';

/** One metric's comparison of the candidate with the concurrent control. */
export interface MetricResult {
  readonly metric: MetricName;
  /**
   * The regression in the metric's bad direction: the increase of a bad-outcome rate (failure,
   * escalation, trips, overrides) in absolute points, the excess disagreement over the noise floor,
   * or the relative increase of latency (geometric mean) or cost (mean).
   */
  readonly effect: number;
  /** The always-valid (1 − α) confidence sequence on `effect` at this look. */
  readonly lower: number;
  readonly upper: number;
  readonly tolerance: number;
  /** Point estimates: a rate, a geometric-mean latency in ms, or a mean cost in USD. */
  readonly control: number;
  readonly candidate: number;
  readonly nControl: number;
  readonly nCandidate: number;
  readonly verdict: MetricVerdict;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface AnalysisResult {
  readonly verdict: Verdict;
  /** Zero-tolerance findings on the candidate in this stage (any count > 0 makes the verdict `fail`). */
  readonly critical: readonly { readonly kind: CriticalKind; readonly count: number }[];
  readonly metrics: readonly MetricResult[];
  /** One line: why the verdict is what it is. */
  readonly summary: string;
}

export interface AnalysisConfig {
  readonly minSamples: number;
  readonly maxErrorRateIncrease: number;
  readonly maxLatencyIncreasePct: number;
  readonly maxDisagreementRate: number;
  /** Not in the manifest: default 20 (%). */
  readonly maxCostIncreasePct: number;
  /** Level of every confidence sequence; default 0.05. */
  readonly alpha: number;
  /** False when the stage has no concurrent control (weight 100): only critical findings decide. */
  readonly concurrentControl: boolean;
}

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_MAX_COST_INCREASE_PCT = 20;

export function analysisConfig(
  analysis: PlanAnalysis,
  overrides: Partial<Pick<AnalysisConfig, 'alpha' | 'maxCostIncreasePct' | 'concurrentControl'>> = {},
): AnalysisConfig {
  return {
    minSamples: analysis.minSamples,
    maxErrorRateIncrease: analysis.maxErrorRateIncrease,
    maxLatencyIncreasePct: analysis.maxLatencyIncreasePct,
    maxDisagreementRate: analysis.maxDisagreementRate,
    maxCostIncreasePct: overrides.maxCostIncreasePct ?? DEFAULT_MAX_COST_INCREASE_PCT,
    alpha: overrides.alpha ?? DEFAULT_ALPHA,
    concurrentControl: overrides.concurrentControl ?? true,
  };
}

/** Smoothed variance of a rate (Laplace: (x+1)/(n+2)) so that 0/n and n/n still carry uncertainty. */
function rateVariance(stat: BinaryStat): number {
  const p = (stat.x + 1) / (stat.n + 2);
  return (p * (1 - p)) / stat.n;
}

/** One result object of a single shape (the analysis runs after every observation: keep it allocation-light). */
function metricResult(
  metric: MetricName,
  tolerance: number,
  control: number,
  candidate: number,
  nControl: number,
  nCandidate: number,
  effect: number,
  lower: number,
  upper: number,
  verdict: MetricVerdict,
): MetricResult {
  return { metric, effect, lower, upper, tolerance, control, candidate, nControl, nCandidate, verdict };
}

function decide(lower: number, upper: number, tolerance: number): MetricVerdict {
  if (lower > tolerance) return 'fail';
  if (upper <= tolerance) return 'pass';
  return 'inconclusive';
}

/**
 * A bad-outcome rate (`bad` = true when `x` counts bad outcomes; for success, failures are n − x):
 * effect = rate(candidate) − rate(control), tolerance in absolute points, mixing scale τ = tolerance.
 */
function compareRate(
  metric: MetricName,
  control: BinaryStat,
  candidate: BinaryStat,
  bad: boolean,
  tolerance: number,
  config: AnalysisConfig,
): MetricResult {
  const pc = control.n === 0 ? 0 : (bad ? control.x : control.n - control.x) / control.n;
  const pt = candidate.n === 0 ? 0 : (bad ? candidate.x : candidate.n - candidate.x) / candidate.n;
  const r = (effect: number, lower: number, upper: number, verdict: MetricVerdict) =>
    metricResult(metric, tolerance, pc, pt, control.n, candidate.n, effect, lower, upper, verdict);
  if (control.n === 0 && candidate.n === 0) return r(0, -Infinity, Infinity, 'skipped');
  if (control.n < config.minSamples || candidate.n < config.minSamples) return r(pt - pc, -Infinity, Infinity, 'insufficient');
  const variance = rateVariance(control) + rateVariance(candidate);
  const effect = pt - pc;
  const radius = confidenceRadius(variance, Math.max(tolerance, 1e-3), config.alpha);
  return r(effect, effect - radius, effect + radius, decide(effect - radius, effect + radius, tolerance));
}

function sampleVariance(stat: ContinuousStat): number {
  if (stat.n < 2) return 0;
  const mean = stat.sum / stat.n;
  return Math.max(0, (stat.sumSq - stat.n * mean * mean) / (stat.n - 1));
}

/** Latency: the log-scale difference of means, reported as the relative change of the geometric mean. */
function compareLatency(control: ContinuousStat, candidate: ContinuousStat, config: AnalysisConfig): MetricResult {
  const tolerance = config.maxLatencyIncreasePct / 100;
  const mc = control.n === 0 ? 0 : control.sum / control.n;
  const mt = candidate.n === 0 ? 0 : candidate.sum / candidate.n;
  const gc = control.n === 0 ? 0 : Math.exp(mc);
  const gt = candidate.n === 0 ? 0 : Math.exp(mt);
  const r = (effect: number, lower: number, upper: number, verdict: MetricVerdict) =>
    metricResult('latency', tolerance, gc, gt, control.n, candidate.n, effect, lower, upper, verdict);
  if (control.n === 0 && candidate.n === 0) return r(0, -Infinity, Infinity, 'skipped');
  const effect = Math.expm1(mt - mc);
  if (control.n < Math.max(2, config.minSamples) || candidate.n < Math.max(2, config.minSamples))
    return r(effect, -Infinity, Infinity, 'insufficient');
  const variance = sampleVariance(control) / control.n + sampleVariance(candidate) / candidate.n;
  const logTolerance = Math.log1p(tolerance);
  const radius = confidenceRadius(variance, logTolerance, config.alpha);
  const lower = Math.expm1(mt - mc - radius);
  const upper = Math.expm1(mt - mc + radius);
  return r(effect, lower, upper, decide(mt - mc - radius, mt - mc + radius, logTolerance));
}

/** Cost: the relative change of the mean, variance by the delta method. */
function compareCost(control: ContinuousStat, candidate: ContinuousStat, config: AnalysisConfig): MetricResult {
  const tolerance = config.maxCostIncreasePct / 100;
  const mc = control.n === 0 ? 0 : control.sum / control.n;
  const mt = candidate.n === 0 ? 0 : candidate.sum / candidate.n;
  const r = (effect: number, lower: number, upper: number, verdict: MetricVerdict) =>
    metricResult('cost', tolerance, mc, mt, control.n, candidate.n, effect, lower, upper, verdict);
  if (control.n === 0 && candidate.n === 0) return r(0, -Infinity, Infinity, 'skipped');
  if (control.n < Math.max(2, config.minSamples) || candidate.n < Math.max(2, config.minSamples))
    return r(mc > 0 ? mt / mc - 1 : 0, -Infinity, Infinity, 'insufficient');
  if (!(mc > 0)) {
    // A free control (offline model): any spend by the candidate is an unbounded relative increase.
    return mt > 0 ? r(Infinity, Infinity, Infinity, 'fail') : r(0, 0, 0, 'pass');
  }
  const ratio = mt / mc;
  const variance =
    ratio * ratio * (sampleVariance(candidate) / (candidate.n * mt * mt || 1) + sampleVariance(control) / (control.n * mc * mc));
  const effect = ratio - 1;
  const radius = confidenceRadius(variance, tolerance, config.alpha);
  return r(effect, effect - radius, effect + radius, decide(effect - radius, effect + radius, tolerance));
}

/** Shadow disagreement beyond the noise floor (control vs itself); without a noise sample the floor is 0. */
function compareDisagreement(stats: StageStats, config: AnalysisConfig): MetricResult {
  const { disagreement, noise } = stats;
  const tolerance = config.maxDisagreementRate;
  const d = disagreement.n === 0 ? 0 : disagreement.x / disagreement.n;
  const d0 = noise.n === 0 ? 0 : noise.x / noise.n;
  const r = (effect: number, lower: number, upper: number, verdict: MetricVerdict) =>
    metricResult('disagreement', tolerance, d0, d, noise.n, disagreement.n, effect, lower, upper, verdict);
  if (disagreement.n === 0) return r(0, -Infinity, Infinity, 'skipped');
  if (disagreement.n < config.minSamples) return r(d - d0, -Infinity, Infinity, 'insufficient');
  const variance = rateVariance(disagreement) + (noise.n === 0 ? 0 : rateVariance(noise));
  const effect = d - d0;
  const radius = confidenceRadius(variance, Math.max(tolerance, 1e-3), config.alpha);
  return r(effect, effect - radius, effect + radius, decide(effect - radius, effect + radius, tolerance));
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

/**
 * The stage's verdict against the concurrent control. `fail` when the candidate has any critical
 * finding or one metric regressed beyond its tolerance; `pass` when every reported metric is within
 * tolerance with at least `minSamples` per arm; `inconclusive` otherwise. Valid at every look: call
 * it after every observation or batch without inflating false alarms.
 */
export function analyse(stats: StageStats, config: AnalysisConfig): AnalysisResult {
  const critical = CRITICAL_KINDS.filter((kind) => stats.candidate.critical[kind] > 0).map((kind) => ({
    kind,
    count: stats.candidate.critical[kind],
  }));
  const c = stats.control;
  const t = stats.candidate;
  const tol = config.maxErrorRateIncrease;
  const metrics: MetricResult[] = config.concurrentControl
    ? [
        compareRate('success', c.success, t.success, false, tol, config),
        compareRate('escalation', c.escalation, t.escalation, true, tol, config),
        compareRate('guardrailTrips', c.guardrailTrip, t.guardrailTrip, true, tol, config),
        compareRate('humanOverrides', c.humanOverride, t.humanOverride, true, tol, config),
        compareDisagreement(stats, config),
        compareLatency(c.logLatency, t.logLatency, config),
        compareCost(c.cost, t.cost, config),
      ]
    : [];
  if (critical.length > 0) {
    const list = critical.map((entry) => `${entry.kind} ×${entry.count}`).join(', ');
    return { verdict: 'fail', critical, metrics, summary: `critical: ${list} on the candidate (zero tolerance)` };
  }
  const failed = metrics.filter((metric) => metric.verdict === 'fail');
  if (failed.length > 0) {
    const list = failed.map(
      (metric) => `${metric.metric} +${pct(metric.effect)} (CS ${pct(metric.lower)}…${pct(metric.upper)} > ${pct(metric.tolerance)})`,
    );
    return { verdict: 'fail', critical, metrics, summary: `regression beyond tolerance: ${list.join('; ')}` };
  }
  if (!config.concurrentControl)
    return { verdict: 'pass', critical, metrics, summary: 'no concurrent control at 100 %: no critical finding' };
  const counted = metrics.filter((metric) => metric.verdict !== 'skipped');
  const open = counted.filter((metric) => metric.verdict !== 'pass');
  if (counted.length > 0 && open.length === 0)
    return { verdict: 'pass', critical, metrics, summary: `every metric within tolerance (${counted.map((m) => m.metric).join(', ')})` };
  const waiting = open.map((metric) => `${metric.metric} ${metric.verdict}`).join(', ');
  return { verdict: 'inconclusive', critical, metrics, summary: counted.length === 0 ? 'no observations yet' : `waiting: ${waiting}` };
}

/**
 * The candidate's error-budget burn over the whole rollout: `exhausted` when the always-valid lower
 * bound of its failure rate exceeds the SLO's allowed rate (1 − successRate), i.e. it burns the budget
 * faster than the SLO allows, at level α.
 */
export function errorBudgetOf(
  cumulative: BinaryStat,
  successRateSlo: number,
  minSamples: number,
  alpha = DEFAULT_ALPHA,
): { readonly exhausted: boolean; readonly burnRate: number; readonly summary: string } {
  const allowed = 1 - successRateSlo;
  const failures = cumulative.n - cumulative.x;
  const rate = cumulative.n === 0 ? 0 : failures / cumulative.n;
  const burnRate = allowed > 0 ? rate / allowed : rate > 0 ? Infinity : 0;
  if (cumulative.n < minSamples)
    return { exhausted: false, burnRate, summary: `${cumulative.n} candidate requests (< ${minSamples}): burn rate not judged yet` };
  const radius = confidenceRadius(rateVariance({ n: cumulative.n, x: failures }), Math.max(allowed, 1e-3), alpha);
  const exhausted = rate - radius > allowed;
  return {
    exhausted,
    burnRate,
    summary: `candidate failure rate ${pct(rate)} (lower bound ${pct(Math.max(0, rate - radius))}) vs the SLO's ${pct(allowed)}: burn rate ${burnRate.toFixed(2)}`,
  };
}
