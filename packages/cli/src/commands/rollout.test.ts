import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAudit } from '@charter/telemetry';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIo } from '../testing.js';

const manifest = join(import.meta.dirname, '..', '..', '..', 'reference-agent', 'agent.yaml');

async function charter(cwd: string, ...args: string[]) {
  const io = captureIo(cwd, { USER: 'ana' });
  const code = await main(['rollout', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('charter rollout', () => {
  it('plan lists the stages of the manifest', async () => {
    const { code, out } = await charter(tmpdir(), 'plan', manifest);
    expect(code).toBe(0);
    expect(out).toContain('rollout plan of support-desk (flag agent.support-desk.variant');
    expect(out).toMatch(/ {2}2\. canary +canary +5 % +stabilise 24h/);
    expect(out).toContain('at least 200 samples per arm');
  });

  it('start asks the readiness gate: without evidence the agent is held (exit 1, nothing recorded); with --skip-gate it warns, starts and records the skip', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-rollout-cli-'));
    const noEvidence = mkdtempSync(join(tmpdir(), 'charter-rollout-no-evidence-'));
    const refused = await charter(cwd, 'start', manifest, '--candidate', 'v2', '--evidence', noEvidence);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('the readiness gate does not pass: readiness: held in staging by');
    expect(refused.err).toMatch(/FAIL gate +readiness: held in staging by \d+ blocker\(s\): [A-Z]+-\d/);
    const auditFile = join(cwd, '.charter', 'audit.jsonl');
    expect(existsSync(auditFile) ? readFileSync(auditFile, 'utf8') : '').toBe('');
    const started = await charter(cwd, 'start', manifest, '--candidate', 'v2', '--skip-gate', 'readiness checked by hand');
    expect(started.code).toBe(0);
    expect(started.err).toContain('WARNING: no readiness gate is checked (--skip-gate "readiness checked by hand")');
    expect(started.out).toBe('start: pending → shadow (stage 1/6 "shadow", 0 %) (transition 1)\n');
    const audit = join(cwd, '.charter', 'audit.jsonl');
    expect(verifyAudit(audit)).toMatchObject({ ok: true, records: 1 });
    expect(readFileSync(audit, 'utf8')).toContain('SKIPPED: no readiness gate wired (readiness checked by hand)');
    expect(readFileSync(join(cwd, '.charter', 'events.jsonl'), 'utf8')).toContain('"type":"rollout.transition"');
    expect(readFileSync(audit, 'utf8')).toContain('"actor":{"id":"ana","type":"human"}');

    const status = await charter(cwd, 'status', manifest);
    expect(status.code).toBe(0);
    expect(status.out).toContain('support-desk: shadow (stage 1/6 "shadow", 0 %), candidate v2');
    expect(status.out).toMatch(/FAIL samples +control 0, candidate 0 \(need 200 per arm\)/);

    const advance = await charter(cwd, 'advance', manifest, '--skip-gate', 'hand');
    expect(advance.code).toBe(1);
    expect(advance.err).toMatch(/^not promoted: samples/m);

    expect((await charter(cwd, 'pause', manifest, '--reason', 'weekend')).out).toContain('pause: shadow → paused from shadow');
    expect((await charter(cwd, 'resume', manifest)).code).toBe(0);
    const abort = await charter(cwd, 'abort', manifest, '--reason', 'customer complaints');
    expect(abort.out).toBe('abort: shadow → aborted (stage 1/6 "shadow", 0 %) (transition 4)\n');
    const flagd = JSON.parse((await charter(cwd, 'export', manifest)).out) as {
      flags: Record<string, { defaultVariant: string; targeting?: unknown }>;
    };
    expect(flagd.flags['agent.support-desk.variant']).toMatchObject({ defaultVariant: 'control' });
    expect(flagd.flags['agent.support-desk.variant']?.targeting).toBeUndefined();
    const again = await charter(cwd, 'resume', manifest);
    expect(again.code).toBe(1);
    expect(again.err).toContain('resume is not allowed from aborted');
    expect(verifyAudit(audit)).toMatchObject({ ok: true, records: 4 });
  });

  it('simulate prints a timeline and writes a chart; --json for machines', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-rollout-sim-'));
    const { code, out } = await charter(
      cwd,
      'simulate',
      manifest,
      '--success-drop',
      '5',
      '--skip-shadow',
      '--seed',
      '4',
      '--html',
      'out/chart.html',
    );
    expect(code).toBe(0);
    expect(out).toContain('simulated rollout of support-desk, candidate {"successDropPts":5}, seed 4');
    expect(out).toMatch(/rollback +canary → rolled-back +0 % +rolled back: regression beyond tolerance: success/);
    expect(out).toContain('chart written to out/chart.html');
    expect(readFileSync(join(cwd, 'out', 'chart.html'), 'utf8')).toContain('<svg id="traffic-share"');
    const json = JSON.parse((await charter(cwd, 'simulate', manifest, '--leak-rate', '0.01', '--skip-shadow', '--json')).out) as {
      outcome: string;
      rollback: { reason: string };
    };
    expect(json).toMatchObject({ outcome: 'rolled-back', rollback: { reason: expect.stringContaining('pii-leak') as unknown } });
  });

  it('export --argo writes the Rollout and the AnalysisTemplate', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-rollout-argo-'));
    const { code, out } = await charter(
      cwd,
      'export',
      manifest,
      '--argo',
      '-o',
      'k8s/rollout.yaml',
      '--prometheus-address',
      'http://prom:9090',
    );
    expect(code).toBe(0);
    expect(out).toBe('wrote the Argo Rollout and AnalysisTemplate to k8s/rollout.yaml\n');
    const yaml = readFileSync(join(cwd, 'k8s', 'rollout.yaml'), 'utf8');
    expect(yaml).toMatch(/^kind: Rollout$/m);
    expect(yaml).toMatch(/^kind: AnalysisTemplate$/m);
    expect(yaml).toContain('address: http://prom:9090');
    expect(yaml).toContain(
      'charter_agent_runs_total{agent="{{args.agent}}",rollouts_pod_template_hash="{{args.canary-hash}}",status!="completed"}',
    );
  });

  it.each([
    [[], /name a sub-command: plan, status/],
    [['launch', manifest], /unknown sub-command "launch"/],
    [['status'], /rollout status needs the Agent manifest/],
    [['status', manifest, '--html', 'x.html'], /--html does not apply to "rollout status"/],
    [['simulate', manifest, '--success-drop', 'lots'], /--success-drop must be a number of points from 0 to 100, got "lots"/],
    [['simulate', manifest, '--stabilization', 'soon'], /--stabilization must be a duration/],
    [['start', manifest, '--skip-gate', 'x'], /rollout start needs --candidate/],
    [['export', manifest, '--flagd', '--argo'], /choose one of --flagd and --argo/],
    [['status', 'nowhere.yaml'], /no Agent manifest at nowhere\.yaml: check the path/],
  ])('usage error %j → exit 2', async (args, message) => {
    const { code, err, out } = await charter(tmpdir(), ...args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(out).toBe('');
  });

  it('an invalid manifest is exit 1 with file:line:column', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-rollout-bad-'));
    const bad = join(import.meta.dirname, '..', '..', '..', 'spec', 'src', '__fixtures__', 'invalid', 'three-mistakes.yaml');
    const { code, err } = await charter(cwd, 'plan', bad);
    expect(code).toBe(1);
    expect(err).toMatch(/three-mistakes\.yaml:17:15 spec\.budgets\.maxSteps must be a number/);
    expect(existsSync(join(cwd, '.charter'))).toBe(false);
  });
});
