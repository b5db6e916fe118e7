// Runs the real `promtool` (Debian package `prometheus`; `scripts/install-ci-tools.sh` installs it)
// against the rules generated for the reference agent. Without promtool the tests are skipped
// locally and FAIL in CI (CI is set), so CI can never pass without checking the rules for real.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAgent, playbookRoutes } from '@charter/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { alertRulesToYaml, generateAlertRules, type AlertingRule, type AlertRuleOptions, type PrometheusRuleFile } from './alerts.js';

const here = dirname(fileURLToPath(import.meta.url));
const manifestPath = join(here, '..', '..', 'reference-agent', 'agent.yaml');
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0 ? 'promtool' : undefined;
const inCi = Boolean(process.env.CI);
const work = mkdtempSync(join(tmpdir(), 'charter-promtool-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function requirePromtool(): string {
  if (!promtool) throw new Error('promtool is not installed: run scripts/install-ci-tools.sh (Debian package "prometheus")');
  return promtool;
}

function rules(options: Partial<AlertRuleOptions> = {}): PrometheusRuleFile {
  const agent = loadAgent(manifestPath);
  if (!agent.manifest) throw new Error(`reference manifest: ${JSON.stringify(agent.issues)}`);
  return generateAlertRules(agent.manifest, { routes: playbookRoutes(agent.playbooks), ...options });
}

function writeRules(name: string, file: PrometheusRuleFile): string {
  const path = join(work, name);
  writeFileSync(path, alertRulesToYaml(file));
  return path;
}

function run(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(requirePromtool(), args, { encoding: 'utf8', cwd: work });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The alert as promtool reports it when it fires: labels and the (untemplated) annotations. */
function expected(file: PrometheusRuleFile, alert: string, severity: 'page' | 'ticket', extra: Record<string, string> = {}) {
  const rule = file.groups
    .flatMap((group) => group.rules)
    .find((r): r is AlertingRule => 'alert' in r && r.alert === alert && r.labels.severity === severity);
  if (!rule) throw new Error(`no ${severity} ${alert}`);
  return { exp_labels: { ...rule.labels, ...extra }, exp_annotations: { ...rule.annotations } };
}

interface Series {
  readonly series: string;
  readonly values: string;
}

/** Writes a promtool unit-test file (JSON is YAML) and runs `promtool test rules` on it. */
function testRules(
  rulesFile: string,
  name: string,
  inputSeries: Series[],
  alertTests: { eval_time: string; alertname: string; exp_alerts: unknown[] }[],
) {
  const path = join(work, `${name}.test.yaml`);
  writeFileSync(
    path,
    JSON.stringify(
      {
        rule_files: [rulesFile],
        evaluation_interval: '1m',
        tests: [{ interval: '1m', input_series: inputSeries, alert_rule_test: alertTests }],
      },
      null,
      2,
    ),
  );
  return run(['test', 'rules', path]);
}

const runs = (status: string, values: string): Series => ({
  series: `charter_agent_runs_total{agent="support-desk",status="${status}"}`,
  values,
});

describe.skipIf(!promtool && !inCi)('promtool (real)', () => {
  it('check rules accepts the rules generated for the reference agent', () => {
    const path = writeRules('support-desk.rules.yaml', rules());
    const result = run(['check', 'rules', path]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.status).toBe(0);
  });

  it('check rules rejects a broken rule file (the check is real)', () => {
    const path = join(work, 'broken.rules.yaml');
    writeFileSync(path, 'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m]) >\n');
    expect(run(['check', 'rules', path]).status).not.toBe(0);
  });

  it('an unhealthy error rate fires the page (and ticket) alert; a healthy one fires nothing', () => {
    const file = rules();
    const path = writeRules('support-desk.rules.yaml', file);
    // 50 % of 20 runs a minute fail: 0.5 > 14.4 × 3 % = 43.2 % over 1h and 5m.
    const unhealthy = testRules(
      path,
      'unhealthy',
      [runs('completed', '0+10x120'), runs('failed', '0+10x120')],
      [
        {
          eval_time: '70m',
          alertname: 'CharterAgentErrorBudgetBurn',
          exp_alerts: [expected(file, 'CharterAgentErrorBudgetBurn', 'page'), expected(file, 'CharterAgentErrorBudgetBurn', 'ticket')],
        },
      ],
    );
    expect(unhealthy.output).toContain('SUCCESS');
    expect(unhealthy.status).toBe(0);
    // 1 % of 100 runs a minute fail: under the 3 % budget at every window.
    const healthy = testRules(
      path,
      'healthy',
      [runs('completed', '0+99x420'), runs('failed', '0+1x420')],
      [
        { eval_time: '70m', alertname: 'CharterAgentErrorBudgetBurn', exp_alerts: [] },
        { eval_time: '6h30m', alertname: 'CharterAgentErrorBudgetBurn', exp_alerts: [] },
      ],
    );
    expect(healthy.output).toContain('SUCCESS');
    expect(healthy.status).toBe(0);
  });

  it('promtool fails the test when a healthy series is expected to page (assertions are live)', () => {
    const file = rules();
    const path = writeRules('support-desk.rules.yaml', file);
    const wrong = testRules(
      path,
      'wrong',
      [runs('completed', '0+99x120'), runs('failed', '0+1x120')],
      [{ eval_time: '70m', alertname: 'CharterAgentErrorBudgetBurn', exp_alerts: [expected(file, 'CharterAgentErrorBudgetBurn', 'page')] }],
    );
    expect(wrong.status).not.toBe(0);
  });

  it('the minimum-traffic guard keeps two failures at 3 a.m. from paging; without it they would', () => {
    // About 4 runs an hour, two of which fail between minute 30 and 36.
    const quiet = [runs('completed', '0+0.04x70'), runs('failed', '0x30 1x5 2x35')];
    const guarded = testRules(writeRules('guarded.rules.yaml', rules()), 'guarded', quiet, [
      { eval_time: '40m', alertname: 'CharterAgentErrorBudgetBurn', exp_alerts: [] },
    ]);
    expect(guarded.output).toContain('SUCCESS');
    expect(guarded.status).toBe(0);
    const loose = rules({ minRunsPerHour: 1 });
    const unguarded = testRules(writeRules('unguarded.rules.yaml', loose), 'unguarded', quiet, [
      { eval_time: '40m', alertname: 'CharterAgentErrorBudgetBurn', exp_alerts: [expected(loose, 'CharterAgentErrorBudgetBurn', 'page')] },
    ]);
    expect(unguarded.output).toContain('SUCCESS');
    expect(unguarded.status).toBe(0);
  });

  it('slow runs fire the latency page alert from the histogram buckets', () => {
    const file = rules();
    const path = writeRules('support-desk.rules.yaml', file);
    const bucket = (le: string, values: string): Series => ({
      series: `charter_agent_run_duration_seconds_bucket{agent="support-desk",status="completed",le="${le}"}`,
      values,
    });
    // 20 runs a minute, 4 of them within 8 s: 80 % slow > 14.4 × 5 % = 72 %.
    const result = testRules(
      path,
      'latency',
      [
        runs('completed', '0+20x90'),
        bucket('8', '0+4x90'),
        bucket('+Inf', '0+20x90'),
        { series: 'charter_agent_run_duration_seconds_count{agent="support-desk",status="completed"}', values: '0+20x90' },
      ],
      [
        {
          eval_time: '70m',
          alertname: 'CharterAgentLatencyBudgetBurn',
          exp_alerts: [expected(file, 'CharterAgentLatencyBudgetBurn', 'page'), expected(file, 'CharterAgentLatencyBudgetBurn', 'ticket')],
        },
      ],
    );
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('a tool timing out on a third of its calls pages with the tool label the playbook disables', () => {
    const file = rules();
    const path = writeRules('support-desk.rules.yaml', file);
    const calls = (tool: string, extra: string, values: string): Series => ({
      series: `charter_tool_calls_total{agent="support-desk",tool="${tool}",${extra}}`,
      values,
    });
    const result = testRules(
      path,
      'tool-timeouts',
      [
        runs('completed', '0+20x90'),
        calls('lookup_order', 'outcome="ok",error_code=""', '0+20x90'),
        calls('lookup_order', 'outcome="error",error_code="TOOL_TIMEOUT"', '0+10x90'),
        calls('search_kb', 'outcome="ok",error_code=""', '0+20x90'),
      ],
      [
        {
          eval_time: '80m',
          alertname: 'CharterToolTimeouts',
          exp_alerts: [expected(file, 'CharterToolTimeouts', 'page', { tool: 'lookup_order' })],
        },
      ],
    );
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});

describe.skipIf(!promtool && !inCi)('promtool (real): the model fallback alert', () => {
  const model = (id: string, values: string): Series => ({
    series: `gen_ai_client_operation_duration_seconds_count{agent="support-desk",gen_ai_operation_name="chat",gen_ai_request_model="${id}"}`,
    values,
  });
  const fallbacks = (reason: string, values: string): Series => ({
    series: `charter_model_fallbacks_total{agent="support-desk",model="gpt-4o-mini",fallback_model="gpt-4.1-mini",reason="${reason}"}`,
    values,
  });

  it('pages when most model calls go to the fallback (charter_model_fallbacks_total), with the runbook of model-provider-outage', () => {
    const file = rules();
    const path = writeRules('support-desk.rules.yaml', file);
    // 20 runs and 40 model calls a minute: the primary's breaker is open, 36 calls go to the fallback.
    const result = testRules(
      path,
      'fallback-active',
      [
        runs('completed', '0+20x60'),
        model('gpt-4o-mini', '0+4x60'),
        model('gpt-4.1-mini', '0+36x60'),
        fallbacks('breaker_open', '0+36x60'),
      ],
      [
        { eval_time: '4m', alertname: 'CharterModelFallbackActive', exp_alerts: [] },
        { eval_time: '20m', alertname: 'CharterModelFallbackActive', exp_alerts: [expected(file, 'CharterModelFallbackActive', 'page')] },
      ],
    );
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
    expect(expected(file, 'CharterModelFallbackActive', 'page').exp_annotations.runbook_url).toContain('/playbooks/model-provider-outage/');
  });

  it('stays quiet when a few calls fall back (a flaky primary that still serves most calls)', () => {
    const path = writeRules('support-desk.rules.yaml', rules());
    // 40 calls a minute, 4 of them failed on the primary (5xx) and were retried on the fallback.
    const result = testRules(
      path,
      'fallback-quiet',
      [runs('completed', '0+20x60'), model('gpt-4o-mini', '0+36x60'), model('gpt-4.1-mini', '0+4x60'), fallbacks('server_error', '0+4x60')],
      [{ eval_time: '30m', alertname: 'CharterModelFallbackActive', exp_alerts: [] }],
    );
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});

describe('promtool availability', () => {
  it.skipIf(Boolean(promtool) || inCi)('promtool is not installed: the promtool tests above were skipped (they fail in CI)', () => {
    expect(promtool).toBeUndefined();
  });
});
