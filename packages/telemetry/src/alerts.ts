import type { AgentManifest, PlaybookRoutes } from '@charter/spec';
import { durationToMs } from '@charter/spec';
import { TelemetryError, TelemetryErrorCode } from './errors.js';
import { METRICS } from './metric-names.js';
import { METRIC_BUCKETS } from './metrics.js';

/**
 * Prometheus rules from an Agent manifest's SLOs: recording rules for the SLIs, multi-window,
 * multi-burn-rate alerts (Google SRE workbook, chapter 5) and signal alerts, each linked to the
 * playbook that handles it. Pure and deterministic: the same manifest gives byte-identical YAML.
 */

/**
 * Every alert `generateAlertRules` can produce and when it fires. The playbook its `runbook_url` opens
 * is not stated here: it comes from the playbooks' own `triggers.alerts` (`playbookRoutes` of
 * `@charter/spec`), passed in as `routes`.
 */
export const ALERTS = {
  CharterAgentErrorBudgetBurn: {
    when: 'Failed runs burn the success-rate error budget (page: 1 h/5 m at 14.4×, 6 h/30 m at 6×; ticket: 3 d/6 h at 1×).',
  },
  CharterAgentLatencyBudgetBurn: { when: 'Runs slower than `latencyP95Ms` burn the latency budget (5 % of runs), same windows.' },
  CharterAgentEscalationRateHigh: { when: 'The share of runs handed to a human exceeds `maxEscalationRate` (ticket) or twice it (page).' },
  CharterAgentCostPerRunHigh: {
    when: 'Model spend per run exceeds `costPerRequestUsd` (ticket) or twice it, capped at `maxCostUsd` (page).',
  },
  CharterAgentSatisfactionLow: { when: 'Average satisfaction over 6 h falls below `minSatisfaction` (only when the manifest sets it).' },
  CharterToolTimeouts: { when: "More than 10 % of one tool's calls time out (`TOOL_TIMEOUT`)." },
  CharterToolCircuitsOpen: { when: 'Circuit breakers are open (`TOOL_UNAVAILABLE`) on two or more tools at once.' },
  CharterModelFallbackActive: {
    when: 'Over half of the model calls go to the fallback model (`charter_model_fallbacks_total`; only when the manifest names a fallback).',
  },
  CharterGuardrailDenySpike: { when: 'Guardrails deny input or tool results in more than 5 % of runs (injection attempts).' },
  CharterGuardrailOutputBlocks: { when: 'Guardrails block or redact output in more than 2 % of runs (PII or secrets in answers).' },
} as const satisfies Record<string, { readonly when: string }>;
export type AlertName = keyof typeof ALERTS;

/**
 * The default `runbook_url`: the playbook's page in Charter's TechDocs site, relative to the Backstage
 * host. The site (mkdocs.yml at the repository root, playbooks under `playbooks/<id>/`) is built from
 * the `techdocs-ref` of the System `charter` (catalog/system.yaml); a test checks the entity and the page.
 */
export const DEFAULT_RUNBOOK_URL = '/docs/default/system/charter/playbooks/{id}/';

/** Error codes (from `@charter/tools`) the generated expressions select on. */
export const ALERT_ERROR_CODES = { timeout: 'TOOL_TIMEOUT', unavailable: 'TOOL_UNAVAILABLE' } as const;

export interface AlertRuleOptions {
  /** `runbook_url` template; `{id}` is replaced by the playbook id. Default `DEFAULT_RUNBOOK_URL`. */
  readonly runbookUrl?: string;
  /**
   * Minimum-traffic guard: an alert fires only when the agent averaged at least this many runs an
   * hour over the alert's long window, so one failure at 3 a.m. does not page. Default 10.
   */
  readonly minRunsPerHour?: number;
  /** Upper bounds (seconds) of the run-duration histogram. Default: `@charter/telemetry`'s own. */
  readonly runDurationBucketsSeconds?: readonly number[];
  /**
   * Which playbook each alert's `runbook_url` opens: `playbookRoutes(playbooks)` of `@charter/spec`,
   * built from the playbooks the manifest names (`loadAgent(path).playbooks`). Every alert the
   * manifest produces needs a playbook that lists it in `triggers.alerts`; a missing one is an error.
   */
  readonly routes: Pick<PlaybookRoutes, 'alerts'>;
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export interface AlertingRule {
  readonly alert: AlertName;
  readonly expr: string;
  readonly for?: string;
  readonly labels: { readonly severity: 'page' | 'ticket'; readonly agent: string };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

/** A Prometheus rule file (`rule_files:` entry), as an object. */
export interface PrometheusRuleFile {
  readonly groups: readonly RuleGroup[];
}

/** Rate windows of the recording rules, short to long. */
export const SLI_WINDOWS = ['5m', '30m', '1h', '6h', '3d'] as const;
type Window = (typeof SLI_WINDOWS)[number];

/** Window pairs and budget shares of the multi-window, multi-burn-rate alerts. */
const BURN_CONDITIONS = [
  { severity: 'page', long: '1h', short: '5m', budgetShare: 0.02 },
  { severity: 'page', long: '6h', short: '30m', budgetShare: 0.05 },
  { severity: 'ticket', long: '3d', short: '6h', budgetShare: 0.1 },
] as const;

const HOURS: Record<Window, number> = { '5m': 1 / 12, '30m': 0.5, '1h': 1, '6h': 6, '3d': 72 };

const ID = /^[a-z][a-z0-9_-]{0,63}$/;

/** Recording-rule names, `level:metric:operation` as Prometheus recommends. */
export const SLI_RECORDS = {
  runs: (w: Window) => `agent:charter_agent_runs:rate${w}`,
  errors: (w: Window) => `agent:charter_agent_run_errors:ratio_rate${w}`,
  slow: (w: Window) => `agent:charter_agent_run_slow:ratio_rate${w}`,
  costPerRun: (w: Window) => `agent:charter_agent_cost_usd_per_run:ratio_rate${w}`,
  escalations: (w: Window) => `agent:charter_agent_run_escalations:ratio_rate${w}`,
} as const;

/** Formats a number for PromQL and YAML: at most 12 significant digits, no float noise. */
function num(value: number): string {
  return String(Number(value.toPrecision(12)));
}

function pct(value: number): string {
  return `${num(value * 100)} %`;
}

/** A regex label matcher for a histogram bound that accepts both "10" and "10.0" (Prometheus 3 normalises `le`). */
function leMatcher(bound: number): string {
  const text = num(bound);
  return Number.isInteger(bound) ? `le=~"${text}(?:[.]0)?"` : `le="${text}"`;
}

function fail(message: string): never {
  throw new TelemetryError(TelemetryErrorCode.BadOptions, message);
}

interface Resolved {
  readonly runbookUrl: string;
  readonly minRunsPerHour: number;
  readonly buckets: readonly number[];
  readonly playbooks: ReadonlyMap<AlertName, string>;
}

function resolveOptions(options: AlertRuleOptions): Resolved {
  const runbookUrl = options.runbookUrl ?? DEFAULT_RUNBOOK_URL;
  if (!runbookUrl.includes('{id}') || /[\s"]/.test(runbookUrl)) {
    fail(
      `runbookUrl must contain "{id}" and no spaces or quotes, got ${JSON.stringify(runbookUrl)}: e.g. "https://backstage.example.com/docs/default/system/charter/playbooks/{id}/"`,
    );
  }
  const minRunsPerHour = options.minRunsPerHour ?? 10;
  if (!Number.isFinite(minRunsPerHour) || minRunsPerHour <= 0)
    fail(`minRunsPerHour must be a positive number, got ${String(minRunsPerHour)}`);
  const buckets = options.runDurationBucketsSeconds ?? METRIC_BUCKETS.runDuration;
  if (
    buckets.length === 0 ||
    buckets.some((bound, index) => !Number.isFinite(bound) || bound <= 0 || (index > 0 && bound <= (buckets[index - 1] ?? 0)))
  ) {
    fail('runDurationBucketsSeconds must be positive, finite and strictly increasing');
  }
  const alerts = (options as { routes?: { alerts?: unknown } } | undefined)?.routes?.alerts;
  if (!(alerts instanceof Map))
    fail('routes must be playbookRoutes(playbooks) from @charter/spec: the playbooks decide which runbook each alert opens');
  const playbooks = new Map<AlertName, string>();
  for (const [name, id] of alerts as ReadonlyMap<unknown, unknown>) {
    if (typeof name !== 'string' || !Object.hasOwn(ALERTS, name)) continue; // a playbook may name alerts of other generators
    if (typeof id !== 'string' || !ID.test(id))
      fail(`routes: ${name} must route to a playbook id such as "tool-timeouts", got ${JSON.stringify(id)}`);
    playbooks.set(name as AlertName, id);
  }
  return { runbookUrl, minRunsPerHour, buckets, playbooks };
}

/**
 * Generates the Prometheus rules for one agent: recording rules for its SLIs at 5m, 30m, 1h, 6h and
 * 3d, burn-rate alerts for the success-rate and latency SLOs, threshold alerts for escalation rate
 * and cost per run, and signal alerts (tool timeouts, open circuits, model fallback, guardrail
 * spikes). Throws `TelemetryError` (`TELEMETRY_BAD_OPTIONS`) on options it cannot honour.
 */
export function generateAlertRules(manifest: AgentManifest, options: AlertRuleOptions): PrometheusRuleFile {
  const resolved = resolveOptions(options);
  const name = manifest.metadata.name;
  const { slos, budgets, model } = manifest.spec;
  const sel = `agent="${name}"`;
  const runs = METRICS.runs.prometheus;
  const sumRate = (metric: string, matchers: string, window: string, by = 'agent') =>
    `sum by (${by}) (rate(${metric}{${matchers}}[${window}]))`;

  const latencyTargetSeconds = slos.latencyP95Ms / 1000;
  const bound = resolved.buckets.find((value) => value >= latencyTargetSeconds - 1e-9);
  if (bound === undefined) {
    fail(
      `latencyP95Ms ${slos.latencyP95Ms} ms is above the largest run-duration bucket (${num(resolved.buckets.at(-1) ?? 0)} s): add a bucket boundary at or above it`,
    );
  }

  const recording: RecordingRule[] = [];
  for (const w of SLI_WINDOWS) {
    const allRuns = sumRate(runs, sel, w);
    recording.push(
      { record: SLI_RECORDS.runs(w), expr: allRuns },
      { record: SLI_RECORDS.errors(w), expr: `${sumRate(runs, `${sel},status="failed"`, w)}\n/\n${allRuns}` },
      {
        record: SLI_RECORDS.slow(w),
        expr: `1 - (\n  ${sumRate(`${METRICS.runDuration.prometheus}_bucket`, `${sel},${leMatcher(bound)}`, w)}\n  /\n  ${sumRate(`${METRICS.runDuration.prometheus}_count`, sel, w)}\n)`,
      },
      { record: SLI_RECORDS.costPerRun(w), expr: `${sumRate(METRICS.cost.prometheus, sel, w)}\n/\n${allRuns}` },
      { record: SLI_RECORDS.escalations(w), expr: `${sumRate(runs, `${sel},status="escalated"`, w)}\n/\n${allRuns}` },
    );
  }

  const windowMs = durationToMs(slos.window);
  const windowHours = windowMs / 3_600_000;
  const windowText = slos.window;
  const guard = (w: Window) => `${SLI_RECORDS.runs(w)}{${sel}} * 3600 >= ${num(resolved.minRunsPerHour)}`;
  const runbook = (alert: AlertName) => {
    const id = resolved.playbooks.get(alert);
    if (id === undefined)
      fail(
        `no playbook lists ${alert} in its triggers.alerts, so its runbook_url would open nothing: add it to the triggers of a playbook the manifest names (spec.playbooks)`,
      );
    return resolved.runbookUrl.replaceAll('{id}', id);
  };
  const labels = (severity: 'page' | 'ticket') => ({ severity, agent: name });

  /** Multi-window, multi-burn-rate conditions for a ratio SLI with error budget `budget`. */
  const burn = (record: (w: Window) => string, budget: number, severity: 'page' | 'ticket') =>
    BURN_CONDITIONS.filter((condition) => condition.severity === severity)
      .map((condition) => {
        const factor = num((condition.budgetShare * windowHours) / HOURS[condition.long]);
        const threshold = `(${factor} * ${num(budget)})`;
        return `(\n  ${record(condition.long)}{${sel}} > ${threshold}\n  and ${record(condition.short)}{${sel}} > ${threshold}\n  and ${guard(condition.long)}\n)`;
      })
      .join('\nor\n');
  const burnText = (severity: 'page' | 'ticket', budget: number) =>
    BURN_CONDITIONS.filter((condition) => condition.severity === severity)
      .map((condition) => {
        const factor = (condition.budgetShare * windowHours) / HOURS[condition.long];
        return `above ${pct(Math.min(1, factor * budget))} of runs over both ${condition.long} and ${condition.short} (${num(factor)}× burn rate)`;
      })
      .join(', or ');

  const alerts: AlertingRule[] = [];
  const errorBudget = 1 - slos.successRate;
  const latencyBudget = 0.05;
  const latencyNote =
    Math.abs(bound - latencyTargetSeconds) < 1e-9
      ? `${num(bound)} s`
      : `${num(bound)} s (the smallest bucket at or above the ${num(latencyTargetSeconds)} s target)`;
  const budgetSpent = (severity: 'page' | 'ticket') =>
    severity === 'page' ? 'spending 2 % of it in 1h or 5 % in 6h' : 'spending 10 % of it in 3d';
  for (const severity of ['page', 'ticket'] as const) {
    alerts.push({
      alert: 'CharterAgentErrorBudgetBurn',
      expr: burn(SLI_RECORDS.errors, errorBudget, severity),
      labels: labels(severity),
      annotations: {
        summary: `${name}: failed runs are burning the ${windowText} error budget (${budgetSpent(severity)})`,
        description: `Failed runs are ${burnText(severity, errorBudget)}, with at least ${num(resolved.minRunsPerHour)} runs an hour. SLO: ${pct(slos.successRate)} of runs succeed over ${windowText} (error budget ${pct(errorBudget)}).`,
        runbook_url: runbook('CharterAgentErrorBudgetBurn'),
      },
    });
  }
  for (const severity of ['page', 'ticket'] as const) {
    alerts.push({
      alert: 'CharterAgentLatencyBudgetBurn',
      expr: burn(SLI_RECORDS.slow, latencyBudget, severity),
      labels: labels(severity),
      annotations: {
        summary: `${name}: runs slower than ${num(latencyTargetSeconds)} s are burning the ${windowText} latency budget (${budgetSpent(severity)})`,
        description: `Runs slower than ${latencyNote} are ${burnText(severity, latencyBudget)}. SLO: p95 run duration at most ${num(slos.latencyP95Ms)} ms, i.e. at most 5 % of runs slower.`,
        runbook_url: runbook('CharterAgentLatencyBudgetBurn'),
      },
    });
  }

  // Threshold SLOs: a share or an amount per run that must stay under its target.
  const escalationPage = Math.min(2 * slos.maxEscalationRate, (1 + slos.maxEscalationRate) / 2);
  const costPage = Math.min(2 * slos.costPerRequestUsd, budgets.maxCostUsd);
  const threshold = (record: (w: Window) => string, long: Window, short: Window, limit: number) =>
    `${record(long)}{${sel}} > ${num(limit)}\nand ${record(short)}{${sel}} > ${num(limit)}\nand ${guard(long)}`;
  alerts.push(
    {
      alert: 'CharterAgentEscalationRateHigh',
      expr: threshold(SLI_RECORDS.escalations, '1h', '5m', escalationPage),
      labels: labels('page'),
      annotations: {
        summary: `${name}: ${pct(escalationPage)} or more of runs are handed to humans`,
        description: `Escalated runs exceed ${pct(escalationPage)} over 1h and 5m (SLO: at most ${pct(slos.maxEscalationRate)}). The human queue fills faster than it drains.`,
        runbook_url: runbook('CharterAgentEscalationRateHigh'),
      },
    },
    {
      alert: 'CharterAgentEscalationRateHigh',
      expr: threshold(SLI_RECORDS.escalations, '6h', '30m', slos.maxEscalationRate),
      labels: labels('ticket'),
      annotations: {
        summary: `${name}: escalation rate above its ${pct(slos.maxEscalationRate)} SLO`,
        description: `Escalated runs exceed ${pct(slos.maxEscalationRate)} over 6h and 30m (SLO: at most ${pct(slos.maxEscalationRate)} over ${windowText}).`,
        runbook_url: runbook('CharterAgentEscalationRateHigh'),
      },
    },
    {
      alert: 'CharterAgentCostPerRunHigh',
      expr: threshold(SLI_RECORDS.costPerRun, '1h', '5m', costPage),
      labels: labels('page'),
      annotations: {
        summary: `${name}: model spend above ${num(costPage)} USD per run`,
        description: `Cost per run exceeds ${num(costPage)} USD over 1h and 5m (SLO ${num(slos.costPerRequestUsd)} USD, hard budget ${num(budgets.maxCostUsd)} USD per run). Denial of wallet until proven otherwise.`,
        runbook_url: runbook('CharterAgentCostPerRunHigh'),
      },
    },
    {
      alert: 'CharterAgentCostPerRunHigh',
      expr: threshold(SLI_RECORDS.costPerRun, '6h', '30m', slos.costPerRequestUsd),
      labels: labels('ticket'),
      annotations: {
        summary: `${name}: cost per run above its ${num(slos.costPerRequestUsd)} USD SLO`,
        description: `Cost per run exceeds ${num(slos.costPerRequestUsd)} USD over 6h and 30m.`,
        runbook_url: runbook('CharterAgentCostPerRunHigh'),
      },
    },
  );

  if (slos.minSatisfaction !== undefined) {
    const score = METRICS.satisfaction.prometheus;
    alerts.push({
      alert: 'CharterAgentSatisfactionLow',
      expr: `${sumRate(`${score}_sum`, sel, '6h')}\n/\n${sumRate(`${score}_count`, sel, '6h')}\n< ${num(slos.minSatisfaction)}\nand on (agent) sum by (agent) (increase(${score}_count{${sel}}[6h])) >= 20`,
      for: '30m',
      labels: labels('ticket'),
      annotations: {
        summary: `${name}: average satisfaction below ${num(slos.minSatisfaction)}`,
        description: `The average rating over 6h (at least 20 ratings) is below the ${num(slos.minSatisfaction)} SLO: answers may be wrong or unhelpful.`,
        runbook_url: runbook('CharterAgentSatisfactionLow'),
      },
    });
  }

  const calls = METRICS.toolCalls.prometheus;
  const trafficGuard = `and on (agent) ${guard('1h')}`;
  alerts.push(
    {
      alert: 'CharterToolTimeouts',
      expr: `${sumRate(calls, `${sel},error_code="${ALERT_ERROR_CODES.timeout}"`, '10m', 'agent, tool')}\n/\n${sumRate(calls, sel, '10m', 'agent, tool')}\n> 0.1\n${trafficGuard}`,
      for: '5m',
      labels: labels('page'),
      annotations: {
        summary: `${name}: a tool is timing out`,
        description: `More than 10 % of one tool's calls ended in ${ALERT_ERROR_CODES.timeout} over 10m (the alert's tool label names it).`,
        runbook_url: runbook('CharterToolTimeouts'),
      },
    },
    {
      alert: 'CharterToolCircuitsOpen',
      expr: `count by (agent) (\n  ${sumRate(calls, `${sel},error_code="${ALERT_ERROR_CODES.unavailable}"`, '5m', 'agent, tool')} > 0\n) >= 2\n${trafficGuard}`,
      for: '5m',
      labels: labels('page'),
      annotations: {
        summary: `${name}: circuit breakers open on two or more tools`,
        description: `Calls to two or more tools fail fast with ${ALERT_ERROR_CODES.unavailable}: a shared dependency is down or retries are amplifying a failure.`,
        runbook_url: runbook('CharterToolCircuitsOpen'),
      },
    },
  );

  if (model.fallback) {
    const ops = `${METRICS.modelDuration.prometheus}_count`;
    const primary = `${model.provider}/${model.id}`;
    const fallback = `${model.fallback.provider}/${model.fallback.id}`;
    alerts.push({
      alert: 'CharterModelFallbackActive',
      expr: `${sumRate(METRICS.modelFallbacks.prometheus, sel, '10m')}\n/\n${sumRate(ops, sel, '10m')}\n> 0.5\n${trafficGuard}`,
      for: '5m',
      labels: labels('page'),
      annotations: {
        summary: `${name}: most model calls go to the fallback ${model.fallback.id}`,
        description: `Over half of the model calls in 10m went to the fallback ${fallback} instead of ${primary} (${METRICS.modelFallbacks.prometheus}, by reason). A call switches when the primary times out or answers 5xx, 429, 408 or 409 or fails on the network; after 3 such failures in a row (the agent's default) the primary's circuit breaker sends every call to the fallback for 30 s, then one probe call tries the primary and the agent switches back when it answers. The model.switch-fallback action holds the breaker open by hand.`,
        runbook_url: runbook('CharterModelFallbackActive'),
      },
    });
  }

  const trips = METRICS.guardrailTrips.prometheus;
  alerts.push(
    {
      alert: 'CharterGuardrailDenySpike',
      expr: `${sumRate(trips, `${sel},hook=~"input|tool-result",action="deny"`, '10m')}\n/\n${sumRate(runs, sel, '10m')}\n> 0.05\n${trafficGuard}`,
      for: '5m',
      labels: labels('page'),
      annotations: {
        summary: `${name}: guardrails deny input in more than 5 % of runs`,
        description:
          'Input or tool-result guardrails denied content in more than 5 % of runs over 10m: a prompt-injection campaign or a poisoned source.',
        runbook_url: runbook('CharterGuardrailDenySpike'),
      },
    },
    {
      alert: 'CharterGuardrailOutputBlocks',
      expr: `${sumRate(trips, `${sel},hook="output",action=~"deny|redact"`, '10m')}\n/\n${sumRate(runs, sel, '10m')}\n> 0.02\n${trafficGuard}`,
      for: '5m',
      labels: labels('page'),
      annotations: {
        summary: `${name}: guardrails block or redact output in more than 2 % of runs`,
        description:
          'Output guardrails denied or redacted answers in more than 2 % of runs over 10m: the agent is trying to reveal personal data or secrets.',
        runbook_url: runbook('CharterGuardrailOutputBlocks'),
      },
    },
  );

  return {
    groups: [
      { name: `charter-${name}-slis`, interval: '1m', rules: recording },
      { name: `charter-${name}-alerts`, interval: '1m', rules: alerts },
    ],
  };
}

/** Serialises a rule file as YAML that `promtool check rules` accepts; deterministic, key order fixed. */
export function alertRulesToYaml(file: PrometheusRuleFile): string {
  const out: string[] = ['# Generated by `charter alerts` from the Agent manifest. Do not edit: regenerate.', 'groups:'];
  for (const group of file.groups) {
    out.push(`  - name: ${scalar(group.name)}`);
    if (group.interval !== undefined) out.push(`    interval: ${scalar(group.interval)}`);
    out.push('    rules:');
    for (const rule of group.rules) {
      if ('record' in rule) {
        out.push(`      - record: ${scalar(rule.record)}`);
        out.push(...block('expr', rule.expr, 8));
        continue;
      }
      out.push(`      - alert: ${scalar(rule.alert)}`);
      out.push(...block('expr', rule.expr, 8));
      if (rule.for !== undefined) out.push(`        for: ${scalar(rule.for)}`);
      out.push('        labels:');
      out.push(`          severity: ${scalar(rule.labels.severity)}`);
      out.push(`          agent: ${scalar(rule.labels.agent)}`);
      out.push('        annotations:');
      out.push(`          summary: ${scalar(rule.annotations.summary)}`);
      out.push(`          description: ${scalar(rule.annotations.description)}`);
      out.push(`          runbook_url: ${scalar(rule.annotations.runbook_url)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

const PLAIN = /^[a-z][\w:.-]{0,200}$/i;
const RESERVED = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n']);

/** A plain YAML scalar when unambiguous, else a double-quoted one (JSON string syntax is valid YAML). */
function scalar(value: string): string {
  return PLAIN.test(value) && !RESERVED.has(value.toLowerCase()) ? value : JSON.stringify(value);
}

/** A literal block scalar (`|-`) for multi-line PromQL; a quoted scalar for a single line. */
function block(key: string, value: string, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (!value.includes('\n')) return [`${pad}${key}: ${scalar(value)}`];
  return [`${pad}${key}: |-`, ...value.split('\n').map((line) => (line === '' ? '' : `${pad}  ${line}`))];
}
