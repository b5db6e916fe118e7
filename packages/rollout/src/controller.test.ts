import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemorySink, createTelemetry, openAuditLog, verifyAudit } from '@charter/telemetry';
import { describe, expect, it } from 'vitest';
import { referenceManifest } from './__fixtures__/reference.js';
import type { Observation } from './analysis.js';
import { createRolloutController, type RolloutControllerOptions } from './controller.js';
import { RolloutError } from './errors.js';
import { planFromManifest, type RolloutPlan } from './plan.js';
import { ALL_CONTROL } from './router.js';
import { MemoryRolloutStore } from './store.js';

const manifest = referenceManifest();
const plan = planFromManifest(manifest);
const HOUR = 3_600_000;

function setup(
  overrides: { [K in keyof RolloutControllerOptions]?: RolloutControllerOptions[K] | undefined } = {},
  thePlan: RolloutPlan = plan,
) {
  const dir = mkdtempSync(join(tmpdir(), 'charter-rollout-'));
  const audit = openAuditLog(join(dir, 'audit.jsonl'));
  const sink = createMemorySink();
  let now = 1_000_000;
  const telemetry = createTelemetry({ agent: thePlan.agent, sinks: [sink], clock: () => now });
  const store = new MemoryRolloutStore();
  const options: Record<string, unknown> = {
    plan: thePlan,
    store,
    audit,
    telemetry,
    policyVersion: '1.0.0',
    clock: () => now,
    gate: () => Promise.resolve({ ready: true, summary: 'readiness: 0 blocking findings' }),
    ...overrides,
  };
  if (options.gate === undefined) delete options.gate;

  const controller = createRolloutController(options as unknown as RolloutControllerOptions);
  return { controller, store, audit, sink, dir, advanceTime: (ms: number) => (now += ms) };
}

function traffic(
  controller: ReturnType<typeof setup>['controller'],
  arm: 'control' | 'candidate',
  n: number,
  successRate: number,
  extra: Partial<Observation> = {},
) {
  for (let index = 0; index < n; index++)
    controller.observe({
      arm,
      success: index % 1000 < successRate * 1000,
      latencyMs: 1000,
      costUsd: 0.01,
      escalated: false,
      guardrailTrip: false,
      ...extra,
    });
}

describe('rollout controller', () => {
  it('refuses to start without a gate unless told to skip it, and records the skip', async () => {
    const { controller, audit } = setup({ gate: undefined });
    await expect(controller.start({ candidate: 'v2' })).rejects.toMatchObject({
      code: 'ROLLOUT_NO_GATE',
      message: expect.stringMatching(/no readiness gate is wired/) as unknown,
    });
    const started = await controller.start({ candidate: 'v2', skipGate: 'readiness package not installed' });
    expect(started).toMatchObject({ ok: true, state: { status: 'shadow', candidate: 'v2', seq: 1, version: 1 } });
    expect(started.ok && started.transition.reason).toMatch(/SKIPPED: no readiness gate wired \(readiness package not installed\)/);
    const record = JSON.parse(readFileSync(audit.path, 'utf8').trim()) as Record<string, unknown>;
    expect(record).toMatchObject({
      kind: 'rollout.transition',
      runId: 'rollout:support-desk#1',
      rollout: { event: 'start', from: 'pending', to: 'shadow', weight: 0 },
    });
  });

  it('a gate that is not ready keeps the rollout pending', async () => {
    const { controller } = setup({ gate: () => Promise.resolve({ ready: false, summary: '2 blocking findings' }) });
    expect(await controller.start({ candidate: 'v2' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/2 blocking findings/) as unknown,
    });
    expect((await controller.load()).status).toBe('pending');
  });

  it('promotes only when samples, stabilisation, verdict, budget and gate hold; each transition is an event and an audit record', async () => {
    const { controller, sink, audit, advanceTime } = setup();
    await controller.start({ candidate: 'v2' });
    let outcome = await controller.advance();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      expect(outcome.guards.filter((g) => !g.ok).map((g) => g.guard)).toEqual(['samples', 'stabilisation', 'verdict', 'gate']);
    traffic(controller, 'control', 3_000, 0.97);
    traffic(controller, 'candidate', 3_000, 0.97);
    for (let index = 0; index < 3_000; index++) controller.observeComparison(index % 50 !== 0);
    outcome = await controller.advance();
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.guards.filter((g) => !g.ok).map((g) => g.guard)).toEqual(['stabilisation', 'gate']);
    advanceTime(7 * 24 * HOUR);
    outcome = await controller.advance({ reason: 'shadow looks good' });
    expect(outcome).toMatchObject({ ok: true, state: { status: 'canary', weight: 5, stats: { control: { requests: 0 } } } });
    if (!outcome.ok) return;
    expect(outcome.transition.guards.map((g) => `${g.guard}:${g.ok}`)).toEqual([
      'samples:true',
      'stabilisation:true',
      'verdict:true',
      'error-budget:true',
      'gate:true',
    ]);
    expect(outcome.transition.statistics).toMatchObject({ requests: { control: 3_000, candidate: 3_000 }, verdict: 'pass' });
    const events = sink.ofType('rollout.transition');
    expect(events.map((e) => `${e.transition}:${e.event}:${e.from}->${e.to}`)).toEqual([
      '1:start:pending->shadow',
      '2:promote:shadow->canary',
    ]);
    expect(verifyAudit(audit.path)).toMatchObject({ ok: true, records: 2 });
  });

  it('automation rolls back a regression (autoRollback) and only pauses it when autoRollback is off', async () => {
    for (const autoRollback of [true, false]) {
      const thePlan = { ...plan, analysis: { ...plan.analysis, autoRollback }, stages: plan.stages.slice(1), hash: `x${autoRollback}` };
      const { controller } = setup({}, thePlan);
      await controller.start({ candidate: 'v2' });
      traffic(controller, 'control', 20_000, 0.97);
      traffic(controller, 'candidate', 2_000, 0.9);
      const evaluation = await controller.evaluate();
      expect(evaluation.action).toBe(autoRollback ? 'rollback' : 'pause');
      expect(evaluation.state.status).toBe(autoRollback ? 'rolled-back' : 'paused');
      expect(evaluation.transition?.actor).toEqual({ type: 'system', id: 'rollout-controller' });
      expect(evaluation.transition?.reason).toMatch(/regression beyond tolerance: success/);
    }
  });

  it('a critical finding routes this process to the control at once and rolls back on that request', async () => {
    const { controller } = setup({}, { ...plan, stages: plan.stages.slice(1), hash: 'critical' });
    await controller.start({ candidate: 'v2' });
    expect(controller.routing()).toMatchObject({ mode: 'split' });
    const result = controller.observe({ arm: 'candidate', success: true, latencyMs: 900, critical: 'canary-token' });
    expect(result.critical).toBe(true);
    expect(controller.routing()).toEqual(ALL_CONTROL);
    if (!result.critical) return;
    const evaluation = await result.rollback;
    expect(evaluation).toMatchObject({ action: 'rollback', state: { status: 'rolled-back', weight: 0 } });
    expect(evaluation.transition?.guards).toEqual([
      { guard: 'critical', ok: false, detail: 'critical: canary-token ×1 on the candidate (zero tolerance)' },
    ]);
  });

  it('kill switch and playbook actions: abort, set-weight; other actions are refused', async () => {
    const { controller } = setup({}, { ...plan, stages: plan.stages.slice(1), hash: 'kill' });
    await controller.start({ candidate: 'v2' });
    await controller.applyPlaybookAction({ type: 'rollout.set-weight', weight: 2 });
    expect(controller.current()).toMatchObject({ status: 'paused', weight: 2 });
    await expect(controller.applyPlaybookAction({ type: 'tool.disable', tool: 'refund_order' })).rejects.toMatchObject({
      code: 'ROLLOUT_BAD_OPTIONS',
    });
    const aborted = await controller.applyPlaybookAction({ type: 'rollout.abort' });
    expect(aborted).toMatchObject({ ok: true, state: { status: 'aborted', weight: 0 } });
    expect(controller.routing()).toEqual(ALL_CONTROL);
    await expect(controller.resume()).rejects.toSatisfy(
      (error: unknown) => RolloutError.isInstance(error) && error.code === 'ROLLOUT_ILLEGAL_TRANSITION',
    );
  });

  it('refuses a stored rollout started from another plan', async () => {
    const { store } = setup();
    const first = createRolloutController({ plan, store, gate: () => Promise.resolve({ ready: true }) });
    await first.start({ candidate: 'v2' });
    const changed = createRolloutController({ plan: { ...plan, hash: 'different' }, store });
    await expect(changed.load()).rejects.toMatchObject({ code: 'ROLLOUT_PLAN_CHANGED' });
  });

  it('two controllers on one store: statistics add up, and only one of two racing promotions happens', async () => {
    const { store, advanceTime } = setup();
    let now = 0;
    const make = () => createRolloutController({ plan, store, clock: () => now, gate: () => Promise.resolve({ ready: true }) });
    const a = make();
    const b = make();
    await a.start({ candidate: 'v2' });
    await b.load();
    traffic(a, 'control', 1_500, 0.97);
    traffic(b, 'control', 1_500, 0.97);
    traffic(a, 'candidate', 1_500, 0.97);
    traffic(b, 'candidate', 1_500, 0.97);
    await a.flush();
    await b.flush();
    expect((await a.load()).stats.control.requests).toBe(3_000);
    now += 8 * 24 * HOUR;
    advanceTime(0);
    const results = await Promise.all([a.evaluate(), b.evaluate()]);
    expect(results.filter((r) => r.action === 'promote')).toHaveLength(1);
    expect((await a.transitions()).map((t) => t.event)).toEqual(['start', 'promote']);
  });
});
