import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS } from '@charter/telemetry';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { referenceManifest } from './__fixtures__/reference.js';
import { argoDuration, argoToYaml, exportArgo } from './argo.js';
import { planFromManifest } from './plan.js';

const plan = planFromManifest(referenceManifest());
const promtool = spawnSync('promtool', ['--version']).status === 0;
const inCi = Boolean(process.env.CI);

describe('Argo Rollouts export', () => {
  it('writes a Rollout whose steps are the plan and an AnalysisTemplate it references', async () => {
    const exported = exportArgo(plan);
    interface Doc {
      kind: string;
      metadata: { name: string };
      spec: {
        strategy: { canary: { steps: unknown[]; analysis: { templates: unknown[]; args: { name: string }[] } } };
        args: { name: string }[];
        metrics: { name: string; interval: string; successCondition: string; provider: { prometheus: { query: string } } }[];
      };
    }
    const documents = parseAllDocuments(await argoToYaml(exported)).map((document) => document.toJS() as Doc);
    expect(documents.map((document) => document.kind)).toEqual(['Rollout', 'AnalysisTemplate']);
    const [rollout, template] = documents;
    expect(rollout?.spec.strategy.canary.steps).toEqual([
      { setWeight: 0 },
      { pause: { duration: '168h' } },
      { setWeight: 5 },
      { pause: { duration: '24h' } },
      { setWeight: 10 },
      { pause: { duration: '24h' } },
      { setWeight: 25 },
      { pause: { duration: '24h' } },
      { setWeight: 50 },
      { pause: { duration: '48h' } },
      { setWeight: 100 },
      { pause: { duration: '72h' } },
    ]);
    expect(rollout?.spec.strategy.canary.analysis.templates).toEqual([{ templateName: template?.metadata.name }]);
    expect(rollout?.spec.strategy.canary.analysis.args.map((arg) => arg.name)).toEqual(template?.spec.args.map((arg) => arg.name));
    const metrics = template?.spec.metrics ?? [];
    expect(metrics.map((metric) => `${metric.name} ${metric.successCondition}`)).toEqual([
      'error-rate-increase result[0] <= 0.02',
      'escalation-rate-increase result[0] <= 0.02',
      'guardrail-trip-rate-increase result[0] <= 0.02',
      'latency-p95-increase result[0] <= 0.2',
      'cost-per-run-increase result[0] <= 0.2',
    ]);
    expect(metrics.every((metric) => metric.interval === '5m')).toBe(true);
    // Only Charter's metric names.
    const names = new Set(Object.values(METRICS).map((metric) => metric.prometheus));
    for (const metric of metrics)
      for (const [, name] of metric.provider.prometheus.query.matchAll(/\b((?:charter|gen_ai)_[a-z_]+?)(?:_bucket)?\{/g))
        expect(names).toContain(name);
  });

  it('every query is valid PromQL (promtool check rules on the queries as recording rules)', (context) => {
    if (!promtool) {
      if (inCi) throw new Error('promtool is not installed but CI is set: scripts/install-ci-tools.sh installs it');
      console.warn('SKIPPED: promtool is not installed (apt-get install prometheus); CI would fail here');
      context.skip();
    }
    const exported = exportArgo(plan, { hashLabel: 'pod_template_hash' });
    const rules = exported.queries.map((query) => ({
      record: `charter:rollout_${query.name.replace(/-/g, '_')}`,
      expr: query.query
        .replaceAll('{{args.agent}}', 'support-desk')
        .replaceAll('{{args.canary-hash}}', 'abc123')
        .replaceAll('{{args.stable-hash}}', 'def456'),
    }));
    const dir = mkdtempSync(join(tmpdir(), 'charter-argo-'));
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'charter-rollout', rules }] }));
    const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(result.stderr + result.stdout).toContain('SUCCESS: 5 rules found');
    expect(result.status).toBe(0);
  });

  it('durations in hours or minutes, options validated', () => {
    expect(argoDuration(7 * 86_400_000)).toBe('168h');
    expect(argoDuration(90_000)).toBe('90s');
    expect(argoDuration(300_000)).toBe('5m');
    expect(() => exportArgo(plan, { hashLabel: 'bad label' })).toThrow(/not a Prometheus label name/);
    expect(() => exportArgo(plan, { window: '5 minutes' })).toThrow(/not a PromQL range/);
  });
});
