import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { ESCALATION_REASONS, loadAgent, loadManifest, loadPlaybook, playbookRoutes, type AgentManifest } from '@charter/spec';
import { describe, expect, it } from 'vitest';
import {
  ALERTS,
  alertRulesToYaml,
  generateAlertRules,
  SLI_WINDOWS,
  type AlertingRule,
  type AlertRuleOptions,
  type RecordingRule,
} from './alerts.js';
import { TelemetryError } from './errors.js';
import { METRICS } from './metric-names.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const snapshot = join(here, '__fixtures__', 'prometheus', 'support-desk.rules.yaml');

function reference(): AgentManifest {
  const { value, issues } = loadManifest(join(repo, 'packages', 'reference-agent', 'agent.yaml'));
  expect(issues).toEqual([]);
  if (!value) throw new Error('reference manifest did not load');
  return value;
}

/** The routes of the playbooks the reference manifest names, as `charter alerts` builds them. */
const ROUTES = playbookRoutes(loadAgent(join(repo, 'packages', 'reference-agent', 'agent.yaml')).playbooks);

function withSlos(slos: Partial<AgentManifest['spec']['slos']>, extra: Partial<AgentManifest['spec']> = {}): AgentManifest {
  const base = reference();
  return { ...base, spec: { ...base.spec, ...extra, slos: { ...base.spec.slos, ...slos } } };
}

const alertsOf = (manifest: AgentManifest, options: Partial<AlertRuleOptions> = {}) =>
  generateAlertRules(manifest, { routes: ROUTES, ...options })
    .groups.flatMap((group) => group.rules)
    .filter((rule): rule is AlertingRule => 'alert' in rule);
const recordsOf = (manifest: AgentManifest) =>
  generateAlertRules(manifest, { routes: ROUTES })
    .groups.flatMap((group) => group.rules)
    .filter((rule): rule is RecordingRule => 'record' in rule);
const find = (rules: AlertingRule[], alert: string, severity: 'page' | 'ticket') => {
  const rule = rules.find((candidate) => candidate.alert === alert && candidate.labels.severity === severity);
  if (!rule) throw new Error(`no ${severity} rule ${alert}`);
  return rule;
};

describe('generateAlertRules', () => {
  it('matches the committed rule file for the reference agent byte for byte', () => {
    const yaml = alertRulesToYaml(generateAlertRules(reference(), { routes: ROUTES }));
    expect(yaml).toBe(readFileSync(snapshot, 'utf8'));
  });

  it('is deterministic', () => {
    const once = () => alertRulesToYaml(generateAlertRules(reference(), { routes: ROUTES }));
    expect(once()).toBe(once());
  });

  it('records every SLI at 5m, 30m, 1h, 6h and 3d over the telemetry metric names', () => {
    const records = recordsOf(reference());
    expect(records).toHaveLength(5 * SLI_WINDOWS.length);
    for (const window of SLI_WINDOWS) {
      const errors = records.find((rule) => rule.record === `agent:charter_agent_run_errors:ratio_rate${window}`);
      expect(errors?.expr).toContain(`rate(${METRICS.runs.prometheus}{agent="support-desk",status="failed"}[${window}])`);
      const cost = records.find((rule) => rule.record === `agent:charter_agent_cost_usd_per_run:ratio_rate${window}`);
      expect(cost?.expr).toContain(`rate(${METRICS.cost.prometheus}{agent="support-desk"}[${window}])`);
      const escalations = records.find((rule) => rule.record === `agent:charter_agent_run_escalations:ratio_rate${window}`);
      expect(escalations?.expr).toContain('status="escalated"');
    }
  });

  it('uses 14.4× (1h/5m) and 6× (6h/30m) for pages and 1× (3d/6h) for tickets of a 30-day budget', () => {
    const rules = alertsOf(reference());
    const page = find(rules, 'CharterAgentErrorBudgetBurn', 'page').expr;
    expect(page).toContain('agent:charter_agent_run_errors:ratio_rate1h{agent="support-desk"} > (14.4 * 0.03)');
    expect(page).toContain('agent:charter_agent_run_errors:ratio_rate5m{agent="support-desk"} > (14.4 * 0.03)');
    expect(page).toContain('agent:charter_agent_run_errors:ratio_rate6h{agent="support-desk"} > (6 * 0.03)');
    expect(page).toContain('agent:charter_agent_run_errors:ratio_rate30m{agent="support-desk"} > (6 * 0.03)');
    const ticket = find(rules, 'CharterAgentErrorBudgetBurn', 'ticket').expr;
    expect(ticket).toContain('ratio_rate3d{agent="support-desk"} > (1 * 0.03)');
    expect(ticket).toContain('ratio_rate6h{agent="support-desk"} > (1 * 0.03)');
    expect(ticket).not.toContain('14.4');
  });

  it('derives the error budget from successRate and scales burn factors to the SLO window', () => {
    const rules = alertsOf(withSlos({ successRate: 0.999, window: '7d' }));
    const page = find(rules, 'CharterAgentErrorBudgetBurn', 'page').expr;
    // 2 % of a 7-day budget in 1 h: 0.02 × 168 h / 1 h = 3.36; 5 % in 6 h: 0.05 × 168 / 6 = 1.4.
    expect(page).toContain('> (3.36 * 0.001)');
    expect(page).toContain('> (1.4 * 0.001)');
  });

  it('guards every burn condition with a minimum traffic over its long window', () => {
    const rules = alertsOf(reference(), { minRunsPerHour: 25 });
    const page = find(rules, 'CharterAgentErrorBudgetBurn', 'page').expr;
    expect(page).toContain('agent:charter_agent_runs:rate1h{agent="support-desk"} * 3600 >= 25');
    expect(page).toContain('agent:charter_agent_runs:rate6h{agent="support-desk"} * 3600 >= 25');
    expect(find(rules, 'CharterAgentErrorBudgetBurn', 'ticket').expr).toContain(
      'agent:charter_agent_runs:rate3d{agent="support-desk"} * 3600 >= 25',
    );
    for (const rule of rules) {
      // Satisfaction has its own guard: at least 20 ratings in the window.
      expect(rule.expr, rule.alert).toMatch(
        rule.alert === 'CharterAgentSatisfactionLow'
          ? /increase\(charter_agent_satisfaction_score_count\{agent="support-desk"\}\[6h\]\)\) >= 20/
          : /\* 3600 >= 25/,
      );
    }
  });

  it('measures latency against the smallest bucket at or above latencyP95Ms, accepting "10" and "10.0"', () => {
    const slow = recordsOf(withSlos({ latencyP95Ms: 9000 })).find((rule) => rule.record === 'agent:charter_agent_run_slow:ratio_rate1h');
    expect(slow?.expr).toContain('le=~"10(?:[.]0)?"');
    const exact = recordsOf(reference()).find((rule) => rule.record === 'agent:charter_agent_run_slow:ratio_rate1h');
    expect(exact?.expr).toContain('le=~"8(?:[.]0)?"');
    const fractional = recordsOf(withSlos({ latencyP95Ms: 250 })).find(
      (rule) => rule.record === 'agent:charter_agent_run_slow:ratio_rate1h',
    );
    expect(fractional?.expr).toContain('le="0.25"');
    expect(find(alertsOf(withSlos({ latencyP95Ms: 9000 })), 'CharterAgentLatencyBudgetBurn', 'page').annotations.description).toContain(
      'the smallest bucket at or above the 9 s target',
    );
  });

  it('labels every alert with severity and agent and links the playbook whose triggers list it', () => {
    for (const rule of alertsOf(reference())) {
      expect(['page', 'ticket']).toContain(rule.labels.severity);
      expect(rule.labels.agent).toBe('support-desk');
      expect(rule.annotations.runbook_url).toBe(`/docs/default/system/charter/playbooks/${ROUTES.alerts.get(rule.alert) ?? '?'}/`);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.description.length).toBeGreaterThan(10);
    }
    expect(find(alertsOf(reference()), 'CharterModelFallbackActive', 'page').annotations.runbook_url).toContain('/model-provider-outage/');
  });

  it('takes a runbook URL template and the routes of other playbooks', () => {
    const rules = alertsOf(reference(), {
      runbookUrl: 'https://github.com/acme/charter/blob/main/playbooks/{id}.md',
      routes: { alerts: new Map([...ROUTES.alerts, ['CharterAgentLatencyBudgetBurn', 'model-provider-outage']]) },
    });
    expect(find(rules, 'CharterAgentLatencyBudgetBurn', 'page').annotations.runbook_url).toBe(
      'https://github.com/acme/charter/blob/main/playbooks/model-provider-outage.md',
    );
    expect(find(rules, 'CharterAgentErrorBudgetBurn', 'page').annotations.runbook_url).toBe(
      'https://github.com/acme/charter/blob/main/playbooks/cascading-failure.md',
    );
  });

  it("every alert the generator can emit and every escalation reason routes to a playbook in the repository's playbooks/", () => {
    const dir = join(repo, 'playbooks');
    const files = readdirSync(dir).filter((file) => file.endsWith('.md') && file !== 'README.md');
    const playbooks = files.map((file) => {
      const { value, issues } = loadPlaybook({ path: join(dir, file) });
      expect(issues).toEqual([]);
      if (!value) throw new Error(file);
      return value;
    });
    const ids = new Set(playbooks.map((playbook) => playbook.metadata.name));
    const routes = playbookRoutes(playbooks);
    // The reference manifest (fallback and satisfaction SLO set) makes the generator emit every alert it knows.
    const emitted = new Set(alertsOf(reference()).map((rule) => rule.alert));
    expect([...emitted].sort()).toEqual(Object.keys(ALERTS).sort());
    const unrouted = Object.keys(ALERTS).filter((alert) => !ids.has(routes.alerts.get(alert) ?? ''));
    expect(unrouted).toEqual([]);
    const unroutedReasons = ESCALATION_REASONS.filter((reason) => (routes.escalations.get(reason) ?? []).every((id) => !ids.has(id)));
    expect(unroutedReasons).toEqual([]);
    // And the reference agent's own playbooks (what `charter alerts` passes) route every alert it emits.
    expect(Object.keys(ALERTS).filter((alert) => !ROUTES.alerts.has(alert))).toEqual([]);
  });

  it('omits the fallback and satisfaction alerts when the manifest has neither', () => {
    const base = reference();
    const { fallback: _fallback, ...model } = base.spec.model;
    const { minSatisfaction: _min, ...slos } = base.spec.slos;
    const names = alertsOf({ ...base, spec: { ...base.spec, model, slos } }).map((rule) => rule.alert);
    expect(names).not.toContain('CharterModelFallbackActive');
    expect(names).not.toContain('CharterAgentSatisfactionLow');
    expect(alertsOf(base).map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['CharterModelFallbackActive', 'CharterAgentSatisfactionLow']),
    );
    const fallback = find(alertsOf(base), 'CharterModelFallbackActive', 'page');
    expect(fallback.expr).toContain('rate(charter_model_fallbacks_total{agent="support-desk"}[10m])');
    expect(fallback.expr).toContain('rate(gen_ai_client_operation_duration_seconds_count{agent="support-desk"}[10m])');
    expect(fallback.annotations.description).toContain('openai-compatible/gpt-4.1-mini instead of openai-compatible/gpt-4o-mini');
  });

  it('pages on cost at twice the SLO, capped by the per-run budget', () => {
    expect(find(alertsOf(reference()), 'CharterAgentCostPerRunHigh', 'page').expr).toContain('ratio_rate5m{agent="support-desk"} > 0.1');
    const capped = alertsOf(withSlos({ costPerRequestUsd: 0.2 }));
    expect(find(capped, 'CharterAgentCostPerRunHigh', 'page').expr).toContain('ratio_rate5m{agent="support-desk"} > 0.25');
  });

  it.each([
    [{ runbookUrl: 'https://docs.example.com/playbooks/' }, /\{id\}/],
    [{ minRunsPerHour: 0 }, /minRunsPerHour/],
    [{ runDurationBucketsSeconds: [1, 0.5] }, /strictly increasing/],
    [{ routes: { alerts: new Map([...ROUTES.alerts, ['CharterToolTimeouts', 'Bad Id']]) } }, /playbook id/],
    [
      { routes: { alerts: new Map([...ROUTES.alerts].filter(([alert]) => alert !== 'CharterModelFallbackActive')) } },
      /no playbook lists CharterModelFallbackActive/,
    ],
    [{ routes: {} as never }, /routes must be playbookRoutes/],
    [{ runDurationBucketsSeconds: [1, 2, 4] }, /latencyP95Ms 8000 ms is above the largest run-duration bucket/],
  ])('rejects bad options %j with TELEMETRY_BAD_OPTIONS', (options, message) => {
    let caught: unknown;
    try {
      generateAlertRules(reference(), { routes: ROUTES, ...options });
    } catch (error) {
      caught = error;
    }
    expect(TelemetryError.isInstance(caught)).toBe(true);
    expect((caught as TelemetryError).code).toBe('TELEMETRY_BAD_OPTIONS');
    expect((caught as Error).message).toMatch(message);
  });

  it('quotes YAML scalars that would otherwise change meaning', () => {
    const yaml = alertRulesToYaml({ groups: [{ name: 'true', rules: [{ record: 'a:b', expr: 'x{a="1"}' }] }] });
    expect(yaml).toContain('- name: "true"');
    expect(yaml).toContain('expr: "x{a=\\"1\\"}"');
  });
});
