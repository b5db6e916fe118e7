import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashArguments } from '../canonical.js';
import { TelemetryError, TelemetryErrorCode } from '../errors.js';
import type { EventInput, TelemetryEvent } from '../events.js';
import { TelemetryEvent as EventSchema } from '../events.js';
import { loadEvents } from '../read.js';
import { formatProfile, percentile, profileEvents, renderProfileHtml } from './index.js';

const FIXTURE = join(import.meta.dirname, '..', '__fixtures__', 'profile', 'desk-events.jsonl');

/** An event as a test writes it: without the fields `run` fills in (distributes over the union). */
type Draft = EventInput extends infer E ? (E extends unknown ? Omit<E, 'runId'> : never) : never;

/** Builds a valid run: each input gets v, seq, agent and a ts 10 ms after the previous one. */
function run(runId: string, inputs: readonly Draft[], agent = 'desk', start = 0): TelemetryEvent[] {
  return inputs.map((input, seq) => EventSchema.parse({ ...input, runId, v: 1, seq, agent, ts: start + seq * 10 }));
}

const read = (callId: string, name: string, args: unknown, result?: unknown, outcome: 'ok' | 'error' = 'ok'): Draft[] => [
  {
    type: 'tool.call',
    callId,
    name,
    version: '1.0.0',
    sideEffects: 'none',
    argsHash: hashArguments(args),
    ...(result === undefined ? {} : { args: args as never }),
  },
  {
    type: 'tool.result',
    callId,
    name,
    version: '1.0.0',
    durationMs: 5,
    outcome,
    retries: 0,
    ...(result === undefined ? {} : { result: result as never }),
  },
];
const ask = (callId: string, output?: unknown): Draft[] => [
  { type: 'model.request', callId, provider: 'p', model: 'm' },
  {
    type: 'model.response',
    callId,
    provider: 'p',
    model: 'm',
    inputTokens: 10,
    outputTokens: 5,
    costUsd: 0.01,
    latencyMs: 3,
    finishReason: 'stop',
    ...(output === undefined ? {} : { output: output as never }),
  },
];

describe('profileEvents on the recorded reference-agent fixture', () => {
  const profile = profileEvents(loadEvents(FIXTURE));

  it('finds the planted slow tool first, with nearest-rank percentiles of its recorded durations', () => {
    const [slowest] = profile.tools;
    expect(slowest?.tool).toBe('search_kb');
    const durations = loadEvents(FIXTURE)
      .flatMap((event) => (event.type === 'tool.result' && event.name === 'search_kb' ? [event.durationMs] : []))
      .sort((a, b) => a - b);
    expect(slowest?.calls).toBe(durations.length);
    expect(slowest?.p50Ms).toBe(percentile(durations, 50));
    expect(slowest?.p99Ms).toBe(durations[durations.length - 1]);
    for (const other of profile.tools.slice(1)) expect(other.p95Ms).toBeLessThan(100);
  });

  it('finds the planted repeated call (same tool and canonical arguments, same run) and names the original', () => {
    const repeated = profile.unnecessary.filter((call) => call.reasons.includes('repeated'));
    expect(repeated).toEqual([
      expect.objectContaining({
        runId: 'happy-order-status',
        tool: 'lookup_order',
        callId: 'call_0_0-again',
        repeatOf: 'call_0_0',
        tenant: 'acme',
      }),
    ]);
  });

  it('groups by agent and tenant, and the groups add up to the totals', () => {
    expect(profile.agents.map((agent) => agent.key)).toEqual(['support-desk']);
    expect(profile.tenants.map((tenant) => tenant.key).sort()).toEqual(['acme', 'globex']);
    const sum = profile.tenants.reduce((total, tenant) => total + tenant.costUsd, 0);
    expect(sum).toBeCloseTo(profile.totals.costUsd, 9);
    expect(profile.tenants.reduce((total, tenant) => total + tenant.runs, 0)).toBe(profile.runs);
    const paths = profile.paths.reduce((total, path) => total + path.totalCostUsd, 0);
    expect(paths).toBeCloseTo(profile.totals.costUsd, 9);
  });

  it('puts the slow tool time into the act phase', () => {
    const { perceive, decide, act, reflect } = profile.phases;
    expect(act).toBeGreaterThan(5 * (perceive + decide + reflect));
  });

  it('filters by agent and tenant', () => {
    expect(profileEvents(loadEvents(FIXTURE), { tenant: 'globex' }).runs).toBe(profile.tenants.find((t) => t.key === 'globex')?.runs);
    expect(profileEvents(loadEvents(FIXTURE), { agent: 'nobody' }).runs).toBe(0);
  });

  it('renders a table naming the slow tool and the repeated call, and an HTML page with four charts', () => {
    const text = formatProfile(profile);
    expect(text).toMatch(/Slowest tools \(by p95\)\n.*\n-.*\nsearch_kb /);
    expect(text).toContain('repeated (of call_0_0)');
    const html = renderProfileHtml(profile);
    for (const chart of ['tools', 'phases', 'paths', 'tenants']) expect(html).toContain(`data-chart="${chart}"`);
    expect(html).not.toMatch(/<script|src="http|href="http/);
  });
});

describe('unnecessary calls: the definitions', () => {
  it('a read whose result no model request follows is unread; one a later request follows is used', () => {
    const events = [
      ...run('r1', [{ type: 'run.started' }, ...read('a', 'search', { q: 'x' }), ...ask('m1'), ...read('b', 'search', { q: 'y' })]),
    ];
    const profile = profileEvents(events);
    expect(profile.unnecessary.map((call) => [call.callId, call.reasons])).toEqual([['b', ['unread']]]);
  });

  it('a result denied by an enforced tool-result guardrail is withheld; a monitor-mode decision is not', () => {
    const deny = (callId: string, mode: 'enforce' | 'monitor'): Draft => ({
      type: 'guardrail.decision',
      hook: 'tool-result',
      action: 'deny',
      ruleIds: ['injection'],
      callId,
      mode,
    });
    const events = run('r1', [
      ...read('a', 'kb', { q: 1 }),
      deny('a', 'enforce'),
      ...read('b', 'kb', { q: 2 }),
      deny('b', 'monitor'),
      ...ask('m'),
    ]);
    expect(profileEvents(events).unnecessary.map((call) => [call.callId, call.reasons])).toEqual([['a', ['withheld']]]);
  });

  it('with content, a result none of whose values appears later is unreferenced; one whose id is reused is used', () => {
    const events = run('r1', [
      ...read('a', 'lookup', { id: 'o-1' }, { orderId: 'ORD-7781', total: 129.5 }),
      ...read('b', 'weather', { city: 'x' }, { forecast: 'sunny spells' }),
      ...ask('m', [{ type: 'text', text: 'Your order ORD-7781 is on its way.' }]),
    ]);
    const profile = profileEvents(events);
    expect(profile.content).toBe(true);
    expect(profile.unnecessary.map((call) => [call.callId, call.reasons])).toEqual([['b', ['unreferenced']]]);
  });

  it('a failed call is never the original of a repeat (the retry is legitimate); calls with effects need no later use', () => {
    const events = run('r1', [
      ...read('a', 'lookup', { id: 1 }, undefined, 'error'),
      ...read('b', 'lookup', { id: 1 }),
      ...ask('m'),
      { type: 'tool.call', callId: 'c', name: 'email', version: '1', sideEffects: 'irreversible', argsHash: hashArguments({ to: 'x' }) },
      { type: 'tool.result', callId: 'c', name: 'email', version: '1', durationMs: 1, outcome: 'ok', retries: 0 },
      { type: 'run.escalated', durationMs: 50, reason: 'handoff' },
    ]);
    expect(profileEvents(events).unnecessary).toEqual([]);
  });

  it('the same call in two runs is no repeat; twice in one run is', () => {
    const twice = run('r1', [...read('a', 'lookup', { id: 1 }), ...read('b', 'lookup', { id: 1 }), ...ask('m')]);
    const apart = [
      ...run('r2', [...read('a', 'lookup', { id: 1 }), ...ask('m')]),
      ...run('r3', [...read('a', 'lookup', { id: 1 }), ...ask('m')]),
    ];
    expect(profileEvents(twice).unnecessary.map((call) => call.reasons)).toEqual([['repeated']]);
    expect(profileEvents(apart).unnecessary).toEqual([]);
  });

  it('phases last from their step event to the next step or terminal event; rollout transitions are not runs', () => {
    const events = run('r1', [
      { type: 'step', step: 0, phase: 'perceive' },
      { type: 'step', step: 0, phase: 'decide' },
      ...ask('m'),
      { type: 'step', step: 0, phase: 'reflect' },
      { type: 'run.completed', status: 'completed', durationMs: 60, steps: 1 },
    ]);
    const transition = EventSchema.parse({
      v: 1,
      ts: 0,
      seq: 0,
      agent: 'desk',
      runId: 'rollout:x',
      type: 'rollout.transition',
      transition: 1,
      event: 'start',
      from: 'draft',
      to: 'shadow',
      weight: 0,
      actor: 'human',
      reason: 'go',
    });
    const profile = profileEvents([...events, transition]);
    expect(profile.runs).toBe(1);
    expect(profile.phases).toEqual({ perceive: 10, decide: 30, act: 0, reflect: 10 });
  });
});

describe('loadEvents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'charter-profile-'));

  it('names the first bad line as file:line and counts the others', () => {
    const file = join(dir, 'bad.jsonl');
    const good = JSON.stringify(run('r', [{ type: 'run.started' }])[0]);
    writeFileSync(file, `${good}\n{not json\n\n${JSON.stringify({ v: 1, type: 'step' })}\n`);
    let caught: unknown;
    try {
      loadEvents(file);
    } catch (error) {
      caught = error;
    }
    expect(TelemetryError.isInstance(caught)).toBe(true);
    expect((caught as TelemetryError).code).toBe(TelemetryErrorCode.EventsInvalid);
    expect((caught as TelemetryError).message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: not JSON.*\\(and 1 more bad line\\(s\\)\\)`),
    );
  });

  it('an unreadable file is TELEMETRY_EVENTS_UNREADABLE', () => {
    expect(() => loadEvents(join(dir, 'missing.jsonl'))).toThrow(expect.objectContaining({ code: TelemetryErrorCode.EventsUnreadable }));
  });
});
