import { METRICS } from '@charter/telemetry';
import { DEFAULT_MAX_COST_INCREASE_PCT } from './analysis.js';
import { RolloutError, RolloutErrorCode } from './errors.js';
import type { RolloutPlan } from './plan.js';

export interface ArgoExportOptions {
  /** Prometheus base address the AnalysisTemplate queries; default `http://prometheus.monitoring.svc:9090`. */
  readonly prometheusAddress?: string;
  /** The Prometheus label carrying Argo's `rollouts-pod-template-hash` pod label; default `rollouts_pod_template_hash`. */
  readonly hashLabel?: string;
  /** Range of every rate; default the manifest's analysis interval. */
  readonly window?: string;
}

/** One named query of the AnalysisTemplate: the PromQL (with `{{args.*}}` placeholders) and its limit. */
export interface ArgoQuery {
  readonly name: string;
  readonly query: string;
  /** The metric passes while `result[0] <= limit`. */
  readonly limit: number;
  readonly description: string;
}

export interface ArgoExport {
  /** `kind: Rollout` holding the canary strategy: steps, background analysis and its arguments. */
  readonly rollout: Record<string, unknown>;
  /** `kind: AnalysisTemplate` with one Prometheus metric per comparison. */
  readonly analysisTemplate: Record<string, unknown>;
  readonly queries: readonly ArgoQuery[];
}

/** Argo durations take s, m and h: `7d` → `168h`. */
export function argoDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.ceil(ms / 1000)}s`;
}

/**
 * The plan as Argo Rollouts objects, for organisations that ship agents on Kubernetes: a step list
 * (`setWeight` then `pause` for the stabilisation period, per stage) and an AnalysisTemplate whose
 * Prometheus queries compare the canary's pods with the stable ones on Charter's metric names, with
 * the manifest's tolerances as limits. Argo judges each query with a fixed threshold at every
 * interval; the sequential analysis stays in Charter's controller. A shadow stage becomes a 0 % step
 * (the shadow runs inside the agent process, not in Argo).
 */
export function exportArgo(plan: RolloutPlan, options: ArgoExportOptions = {}): ArgoExport {
  const hashLabel = options.hashLabel ?? 'rollouts_pod_template_hash';
  if (!/^[a-z_]\w{0,127}$/i.test(hashLabel))
    throw new RolloutError(RolloutErrorCode.BadOptions, `"${hashLabel}" is not a Prometheus label name`);
  const window = options.window ?? argoDuration(plan.analysis.intervalMs);
  if (!/^\d{1,6}[smhd]$/.test(window)) throw new RolloutError(RolloutErrorCode.BadOptions, `"${window}" is not a PromQL range such as 5m`);
  const address = options.prometheusAddress ?? 'http://prometheus.monitoring.svc:9090';
  const name = plan.agent;
  const sel = (arm: 'canary' | 'stable', extra = '') => `agent="{{args.agent}}",${hashLabel}="{{args.${arm}-hash}}"${extra}`;
  const runs = METRICS.runs.prometheus;
  const rateOf = (metric: string, arm: 'canary' | 'stable', extra = '') => `sum(rate(${metric}{${sel(arm, extra)}}[${window}]))`;
  const share = (metric: string, arm: 'canary' | 'stable', extra = '') => `(${rateOf(metric, arm, extra)} / ${rateOf(runs, arm)})`;
  const p95 = (arm: 'canary' | 'stable') =>
    `histogram_quantile(0.95, sum by (le) (rate(${METRICS.runDuration.prometheus}_bucket{${sel(arm)}}[${window}])))`;
  const queries: ArgoQuery[] = [
    {
      name: 'error-rate-increase',
      query: `${share(runs, 'canary', ',status!="completed"')} - ${share(runs, 'stable', ',status!="completed"')}`,
      limit: plan.analysis.maxErrorRateIncrease,
      description: 'share of runs not completed, canary minus stable',
    },
    {
      name: 'escalation-rate-increase',
      query: `${share(METRICS.escalations.prometheus, 'canary')} - ${share(METRICS.escalations.prometheus, 'stable')}`,
      limit: plan.analysis.maxErrorRateIncrease,
      description: 'escalations per run, canary minus stable',
    },
    {
      name: 'guardrail-trip-rate-increase',
      query: `${share(METRICS.guardrailTrips.prometheus, 'canary')} - ${share(METRICS.guardrailTrips.prometheus, 'stable')}`,
      limit: plan.analysis.maxErrorRateIncrease,
      description: 'guardrail trips per run, canary minus stable',
    },
    {
      name: 'latency-p95-increase',
      query: `${p95('canary')} / ${p95('stable')} - 1`,
      limit: plan.analysis.maxLatencyIncreasePct / 100,
      description: 'relative increase of the p95 run duration',
    },
    {
      name: 'cost-per-run-increase',
      query: `${share(METRICS.cost.prometheus, 'canary')} / ${share(METRICS.cost.prometheus, 'stable')} - 1`,
      limit: DEFAULT_MAX_COST_INCREASE_PCT / 100,
      description: 'relative increase of the cost per run (the controller default, not in the manifest)',
    },
  ];
  const interval = argoDuration(plan.analysis.intervalMs);
  const steps: Record<string, unknown>[] = [];
  for (const stage of plan.stages) {
    steps.push({ setWeight: stage.weight });
    steps.push({ pause: { duration: argoDuration(stage.stabilizationMs) } });
  }
  const templateName = `${name}-charter-analysis`;
  const rollout = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, labels: { 'charter.dev/agent': name } },
    spec: {
      strategy: {
        canary: {
          analysis: {
            templates: [{ templateName }],
            startingStep: plan.stages[0]?.kind === 'shadow' ? 2 : 1,
            args: [
              { name: 'agent', value: name },
              { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } },
              { name: 'stable-hash', valueFrom: { podTemplateHashValue: 'Stable' } },
            ],
          },
          steps,
        },
      },
    },
  };
  const analysisTemplate = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: templateName, labels: { 'charter.dev/agent': name } },
    spec: {
      args: [{ name: 'agent' }, { name: 'canary-hash' }, { name: 'stable-hash' }],
      metrics: queries.map((query) => ({
        name: query.name,
        interval,
        failureLimit: 1,
        successCondition: `result[0] <= ${query.limit}`,
        failureCondition: `result[0] > ${query.limit}`,
        provider: { prometheus: { address, query: query.query } },
      })),
    },
  };
  return { rollout, analysisTemplate, queries };
}

/** The two objects as one YAML stream (`---` between them). */
export async function argoToYaml(exported: ArgoExport): Promise<string> {
  const { stringify } = await import('yaml');
  const options = { lineWidth: 0 } as const;
  return `${stringify(exported.rollout, options)}---\n${stringify(exported.analysisTemplate, options)}`;
}
