import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { APICallError, type LanguageModelV3, type LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { type AgentManifest, loadPlaybook, type Playbook } from '@charter/spec';
import { createMemorySink, createPrometheusSink, createTelemetry } from '@charter/telemetry';
import { MemoryLedger } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { createShop, shopManifest, shopPolicy } from './__fixtures__/shop.js';
import { classifyModelFailure, ModelBreakers } from './fallback.js';
import { createAgent, MemoryStore, memoryEscalation, type AgentOptions } from './index.js';
import { scripted } from './models.js';

// Two offline models stand for the primary and the fallback the manifest names. The primary is the
// scripted model behind a switch that makes it fail the way a provider does: an AI SDK APICallError
// with a status code (what @ai-sdk/openai-compatible throws for a 503), a call that never answers, or
// a 400. No network and no paid API are involved.

const ROOT = join(import.meta.dirname, '..', '..', '..');
const context = { customerEmail: 'ana@example.com', customerId: 'C-1' };
const LOOKUP = { turns: [{ toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-1' } }] }, { text: 'It was delivered.' }] };
const BACKUP = { turns: [{ text: 'The fallback answered.' }] };

type Failure = 'ok' | '503' | '429' | '400' | 'hang' | 'hang-deaf' | 'network';

/** The scripted model, failing as `mode()` says; records the options of every call. */
function switchable(modelId: string, script: Parameters<typeof scripted>[0], mode: () => Failure) {
  const inner = scripted(script, { modelId });
  const calls: LanguageModelV3CallOptions[] = [];
  const model: LanguageModelV3 = {
    ...inner,
    provider: 'test.chat',
    doGenerate(options) {
      calls.push(options);
      const failure = mode();
      if (failure === 'ok') return inner.doGenerate(options);
      if (failure === '503' || failure === '429' || failure === '400')
        return Promise.reject(
          new APICallError({
            message: `HTTP ${failure}`,
            url: 'https://models.example/v1/chat/completions',
            requestBodyValues: {},
            statusCode: Number(failure),
          }),
        );
      if (failure === 'network')
        return Promise.reject(
          Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }),
        );
      // A provider that never answers: one that honours the abort signal, and one that ignores it.
      return new Promise((_resolve, reject) => {
        if (failure === 'hang')
          options.abortSignal?.addEventListener(
            'abort',
            () => {
              reject(options.abortSignal?.reason as Error);
            },
            { once: true },
          );
      });
    },
  };
  return { model, calls };
}

function allPlaybooks(): Playbook[] {
  const dir = join(ROOT, 'playbooks');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .map((file) => loadPlaybook({ path: join(dir, file) }).value)
    .filter((playbook): playbook is Playbook => playbook !== undefined);
}

/** The shop manifest naming a primary and a fallback of the `test` provider, with params. */
function manifestWithFallback(): AgentManifest {
  const base = shopManifest();
  return {
    ...base,
    spec: {
      ...base.spec,
      model: {
        provider: 'test',
        id: 'primary',
        fallback: { provider: 'test', id: 'backup' },
        params: { temperature: 0.2, topP: 0.9, maxOutputTokens: 256, seed: 7 },
      },
      playbooks: [...base.spec.playbooks, 'model-provider-outage'],
    },
  };
}

function setup(primaryMode: () => Failure, extra: Partial<AgentOptions> = {}, backupMode: () => Failure = () => 'ok') {
  const primary = switchable('primary', LOOKUP, primaryMode);
  const backup = switchable('backup', BACKUP, backupMode);
  const events = createMemorySink();
  const prometheus = createPrometheusSink();
  const manifest = manifestWithFallback();
  const escalation = memoryEscalation();
  const agent = createAgent({
    manifest,
    // The models come from spec.model through the registry: `test/primary` and `test/backup`.
    models: { test: (id) => (id === 'primary' ? primary.model : backup.model) },
    tools: createShop().tools,
    policy: shopPolicy(),
    telemetry: createTelemetry({ agent: manifest.metadata.name, sinks: [events, prometheus] }),
    escalation,
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
    playbooks: allPlaybooks(),
    ...extra,
  });
  return { agent, primary, backup, events, prometheus, escalation };
}

describe('the fallback model (spec.model.fallback)', () => {
  it('a 5xx from the primary: the same prompt goes to the fallback, the run completes, with a model.fallback event and the metric', async () => {
    const { agent, primary, backup, events, prometheus } = setup(() => '503');
    const result = await agent.run('Where is my order A-1?', { context, runId: 'r-503' });
    expect(result.status).toBe('completed');
    expect(result.output).toBe('The fallback answered.');
    expect(primary.calls).toHaveLength(1);
    expect(backup.calls).toHaveLength(1);
    expect(backup.calls[0]?.prompt).toEqual(primary.calls[0]?.prompt);
    // spec.model.params go with every call, to both models.
    for (const call of [...primary.calls, ...backup.calls])
      expect(call).toMatchObject({ temperature: 0.2, topP: 0.9, maxOutputTokens: 256, seed: 7 });
    expect(events.ofType('model.fallback')).toEqual([
      expect.objectContaining({
        callId: 'r-503:m0',
        fallbackCallId: 'r-503:m0:fallback',
        provider: 'test.chat',
        model: 'primary',
        fallbackProvider: 'test.chat',
        fallbackModel: 'backup',
        reason: 'server_error',
        error: 'HTTP 503',
      }),
    ]);
    // The primary's failed call and the fallback's answer are both on record, in order.
    expect(
      events.events
        .filter((e) => e.type === 'model.request' || e.type === 'model.response' || e.type === 'model.fallback')
        .map((e) => `${e.type} ${'callId' in e ? e.callId : ''}`),
    ).toEqual([
      'model.request r-503:m0',
      'model.response r-503:m0',
      'model.fallback r-503:m0',
      'model.request r-503:m0:fallback',
      'model.response r-503:m0:fallback',
    ]);
    expect(events.ofType('model.response').map((e) => [e.model, e.finishReason])).toEqual([
      ['primary', 'error'],
      ['backup', 'stop'],
    ]);
    expect(prometheus.text()).toContain(
      'charter_model_fallbacks_total{agent="test-shop",model="primary",fallback_model="backup",reason="server_error"} 1',
    );
  });

  it.each([
    ['429', 'rate_limited'],
    ['network', 'unavailable'],
  ] as const)('a %s from the primary switches too (reason %s)', async (failure, reason) => {
    const { agent, events } = setup(() => failure);
    expect((await agent.run('Where is my order A-1?', { context })).output).toBe('The fallback answered.');
    expect(events.ofType('model.fallback').map((e) => e.reason)).toEqual([reason]);
  });

  it('a timeout: a primary that does not answer within modelTimeoutMs is abandoned for the fallback', async () => {
    const { agent, events, backup } = setup(() => 'hang', { modelTimeoutMs: 20 });
    const result = await agent.run('Where is my order A-1?', { context });
    expect(result.status).toBe('completed');
    expect(result.output).toBe('The fallback answered.');
    expect(backup.calls).toHaveLength(1);
    expect(events.ofType('model.fallback')).toEqual([expect.objectContaining({ reason: 'timeout', error: 'no answer within 20 ms' })]);
  });

  it('a timeout also ends a primary that ignores its abort signal', async () => {
    const { agent, events } = setup(() => 'hang-deaf', { modelTimeoutMs: 20 });
    expect((await agent.run('Where is my order A-1?', { context })).output).toBe('The fallback answered.');
    expect(events.ofType('model.fallback').map((e) => e.reason)).toEqual(['timeout']);
  });

  it('breaker: after failureThreshold failures in a row later runs skip the primary until a probe after the cool-down succeeds', async () => {
    let now = 1_000_000;
    let mode: Failure = '503';
    const modelBreakers = new ModelBreakers({ failureThreshold: 2, cooldownMs: 60_000, clock: () => now });
    const { agent, primary, events } = setup(() => mode, { modelBreakers });
    const primaryKey = { provider: 'test.chat', modelId: 'primary' };

    for (const runId of ['b1', 'b2']) expect((await agent.run('Where is my order A-1?', { context, runId })).status).toBe('completed');
    expect(primary.calls).toHaveLength(2);
    expect(modelBreakers.state(primaryKey)).toMatchObject({ state: 'open', failures: 2, until: now + 60_000 });

    // Open: the primary is not called at all; the run completes on the fallback.
    mode = 'ok';
    expect((await agent.run('Where is my order A-1?', { context, runId: 'b3' })).output).toBe('The fallback answered.');
    expect(primary.calls).toHaveLength(2);
    expect(events.ofType('model.fallback').map((e) => [e.runId, e.reason])).toEqual([
      ['b1', 'server_error'],
      ['b2', 'server_error'],
      ['b3', 'breaker_open'],
    ]);

    // After the cool-down one call probes the primary; it answers, the breaker closes, the primary serves again.
    now += 60_001;
    expect(modelBreakers.state(primaryKey).state).toBe('half-open');
    const back = await agent.run('Where is my order A-1?', { context, runId: 'b4' });
    expect(back.output).toBe('It was delivered.');
    expect(primary.calls).toHaveLength(4);
    expect(modelBreakers.state(primaryKey)).toMatchObject({ state: 'closed', failures: 0 });
    expect(events.ofType('model.fallback').filter((e) => e.runId === 'b4')).toEqual([]);
  });

  it('breaker: a failed probe opens the breaker for another cool-down', async () => {
    let now = 0;
    const modelBreakers = new ModelBreakers({ failureThreshold: 1, cooldownMs: 1000, clock: () => now });
    const { agent, primary } = setup(() => '503', { modelBreakers });
    await agent.run('Where is my order A-1?', { context });
    now = 1001;
    await agent.run('Where is my order A-1?', { context });
    expect(primary.calls).toHaveLength(2);
    expect(modelBreakers.state({ provider: 'test.chat', modelId: 'primary' })).toMatchObject({ state: 'open', until: 2001 });
  });

  it('model.switch-fallback by hand: hold() keeps calls on the fallback with no probe until it ends; reset() switches back', async () => {
    const now = 0;
    const modelBreakers = new ModelBreakers({ clock: () => now });
    const { agent, primary, events } = setup(() => 'ok', { modelBreakers });
    const key = { provider: 'test.chat', modelId: 'primary' };
    modelBreakers.hold(key, 15 * 60_000);
    expect(modelBreakers.state(key)).toMatchObject({ state: 'open', held: true });
    expect((await agent.run('Where is my order A-1?', { context })).output).toBe('The fallback answered.');
    expect(primary.calls).toHaveLength(0);
    expect(events.ofType('model.fallback').map((e) => e.reason)).toEqual(['breaker_open']);
    modelBreakers.reset(key);
    expect((await agent.run('Where is my order A-1?', { context })).output).toBe('It was delivered.');
  });

  it('a 400 does not switch: the request is wrong, not the provider; the run escalates model_error to the outage playbook', async () => {
    const { agent, backup, events } = setup(() => '400');
    const result = await agent.run('Where is my order A-1?', { context });
    expect(result.status).toBe('escalated');
    expect(result.reason).toBe('model_error');
    expect(backup.calls).toHaveLength(0);
    expect(events.ofType('model.fallback')).toEqual([]);
    expect(result.escalation?.playbook).toBe('model-provider-outage');
  });

  it('the fallback failing too escalates model_error naming both', async () => {
    const { agent, escalation } = setup(
      () => '503',
      {},
      () => '503',
    );
    const result = await agent.run('Where is my order A-1?', { context });
    expect(result.status).toBe('escalated');
    expect(result.reason).toBe('model_error');
    expect(escalation.packets[0]?.message).toMatch(/test\.chat\/primary is unavailable \(HTTP 503\) and the fallback failed too/);
  });

  it('an explicit model replaces spec.model whole: the manifest fallback is not used unless fallbackModel is given', async () => {
    const lone = setup(() => '503', { model: switchable('explicit', LOOKUP, () => '503').model });
    expect((await lone.agent.run('Where is my order A-1?', { context })).reason).toBe('model_error');
    expect(lone.backup.calls).toHaveLength(0);
    const spare = switchable('spare', BACKUP, () => 'ok');
    const withSpare = setup(() => '503', { model: switchable('explicit', LOOKUP, () => '503').model, fallbackModel: spare.model });
    expect((await withSpare.agent.run('Where is my order A-1?', { context })).output).toBe('The fallback answered.');
    expect(spare.calls).toHaveLength(1);
  });
});

describe('ModelBreakers', () => {
  it('rejects impossible settings', () => {
    expect(() => new ModelBreakers({ failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => new ModelBreakers({ cooldownMs: -1 })).toThrow(/cooldownMs/);
    expect(() => {
      new ModelBreakers().hold({ provider: 'p', modelId: 'm' }, 0);
    }).toThrow(/duration/);
  });

  it('lets exactly one probe through after the cool-down', () => {
    let now = 0;
    const breakers = new ModelBreakers({ failureThreshold: 1, cooldownMs: 10, clock: () => now });
    const key = { provider: 'p', modelId: 'm' };
    expect(breakers.admit(key)).toBe('call');
    breakers.settle(key, 'failure', false);
    expect(breakers.admit(key)).toBe('skip');
    now = 11;
    expect(breakers.admit(key)).toBe('probe');
    expect(breakers.admit(key)).toBe('skip');
    breakers.settle(key, 'none', true);
    expect(breakers.admit(key)).toBe('probe');
  });
});

describe('classifyModelFailure', () => {
  const api = (statusCode: number | undefined, isRetryable?: boolean) =>
    new APICallError({
      message: 'x',
      url: 'u',
      requestBodyValues: {},
      ...(statusCode === undefined ? {} : { statusCode }),
      ...(isRetryable === undefined ? {} : { isRetryable }),
    });

  it('switches on timeouts, 5xx, 429, 408/409 and retryable or network errors; not on 4xx or bugs', () => {
    expect(classifyModelFailure(new Error('x'), true, 50)).toEqual({ reason: 'timeout', detail: 'no answer within 50 ms' });
    expect(classifyModelFailure(api(502), false, 50)?.reason).toBe('server_error');
    expect(classifyModelFailure(api(429), false, 50)?.reason).toBe('rate_limited');
    expect(classifyModelFailure(api(408), false, 50)?.reason).toBe('unavailable');
    expect(classifyModelFailure(api(undefined, true), false, 50)?.reason).toBe('unavailable');
    expect(classifyModelFailure(Object.assign(new Error('x'), { code: 'ECONNRESET' }), false, 50)?.reason).toBe('unavailable');
    expect(classifyModelFailure(api(400), false, 50)).toBeUndefined();
    expect(classifyModelFailure(api(401), false, 50)).toBeUndefined();
    expect(classifyModelFailure(new TypeError('bug'), false, 50)).toBeUndefined();
    expect(classifyModelFailure(undefined, false, 50)).toBeUndefined();
  });
});
