import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import type { CostSpec } from '@charter/spec';
import { createMemorySink, createTelemetry, type TelemetryEvent } from '@charter/telemetry';
import { MemoryLedger } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { createShop, shopAgent } from '../__fixtures__/shop.js';
import { type AgentOptions, createAgent, DecisionCache, MemoryStore, memoryEscalation } from '../index.js';
import { capabilitiesOf, OFFLINE_PRICING } from '../models/capabilities.js';
import { scripted, type ScriptInput, understudy } from '../models.js';
import { selfReported } from './cascade.js';

const loaded = shopAgent();
const context = { customerEmail: 'ana@example.com', customerId: 'C-1' };
const LOOKUP: ScriptInput = {
  turns: [
    { toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-1' } }] },
    { cases: [{ when: { tool: 'lookup_order', includes: 'delivered' }, text: 'Your order was delivered.' }], text: 'I could not find it.' },
  ],
};

/** Counts the calls a model receives (the offline model answers them). */
function counted(model: LanguageModelV3): LanguageModelV3 & { calls: LanguageModelV3CallOptions[] } {
  const calls: LanguageModelV3CallOptions[] = [];
  const base: LanguageModelV3 = Object.create(model) as LanguageModelV3;
  return Object.assign(base, {
    calls,
    doGenerate: (options: LanguageModelV3CallOptions) => {
      calls.push(options);
      return model.doGenerate(options);
    },
  });
}

/** The fixture agent with `spec.cost` and the model temperature set. */
function withCost(cost: CostSpec, temperature: number | undefined) {
  const { manifest } = loaded;
  return {
    ...loaded,
    manifest: {
      ...manifest,
      spec: {
        ...manifest.spec,
        model: { ...manifest.spec.model, params: temperature === undefined ? {} : { temperature } },
        cost,
      },
    },
  };
}

function agentFor(cost: CostSpec, model: LanguageModelV3, extra: Partial<AgentOptions> & { temperature?: number } = {}) {
  const sink = createMemorySink();
  const { temperature, ...options } = extra;
  const agent = createAgent({
    agent: withCost(cost, temperature ?? 0),
    model,
    tools: createShop().tools,
    telemetry: createTelemetry({ agent: 'shop', sinks: [sink] }),
    escalation: memoryEscalation(),
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
    handoffTool: 'escalate_to_human',
    ...options,
  });
  return { agent, events: sink.events as TelemetryEvent[] };
}

const CACHE = { cache: { enabled: true, scope: 'tenant', ttl: '1h', maxEntries: 100 } } as const satisfies CostSpec;

describe('decision cache', () => {
  it('answers a repeated deterministic call from the cache, with savings, and the run ends the same', async () => {
    const model = counted(scripted(LOOKUP, { pricing: OFFLINE_PRICING.large }));
    const cache = new DecisionCache({ ttlMs: 60_000, maxEntries: 100 });
    const first = agentFor(CACHE, model, { decisionCache: cache });
    const a = await first.agent.run('Where is my order A-1?', { context, tenant: 'acme' });
    expect(model.calls).toHaveLength(2);
    expect(a.usage.costUsd).toBeGreaterThan(0);
    const second = agentFor(CACHE, model, { decisionCache: cache });
    const b = await second.agent.run('Where is my order A-1?', { context, tenant: 'acme' });
    expect(model.calls).toHaveLength(2); // no new model call
    expect({ status: b.status, output: b.output, actions: b.actions }).toEqual({ status: a.status, output: a.output, actions: a.actions });
    expect(b.usage.costUsd).toBe(0);
    const hits = second.events.flatMap((e) => (e.type === 'model.cache' ? [e] : []));
    expect(hits.map((e) => e.outcome)).toEqual(['hit', 'hit']);
    const saved = hits.reduce((n, e) => n + e.savedUsd, 0);
    expect(saved).toBeCloseTo(a.usage.costUsd, 12);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2 });
    // The tool still ran: only the model call is cached.
    expect(b.actions).toEqual([{ step: 1, callId: 'call_0_0', tool: 'lookup_order', outcome: 'ok' }]);
  });

  it('makes one model call for a burst of identical concurrent calls (single flight)', async () => {
    const model = counted(scripted(LOOKUP));
    const cache = new DecisionCache({ ttlMs: 60_000, maxEntries: 100 });
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        agentFor(CACHE, model, { decisionCache: cache }).agent.run('Where is my order A-1?', { context, tenant: 'acme' }),
      ),
    );
    expect(results.map((r) => r.output)).toEqual(Array.from({ length: 3 }, () => 'Your order was delivered.'));
    expect(model.calls).toHaveLength(2);
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 2 });
  });

  it('misses when the call is not deterministic (temperature > 0)', async () => {
    const model = counted(scripted(LOOKUP));
    const cache = new DecisionCache({ ttlMs: 60_000, maxEntries: 100 });
    for (let i = 0; i < 2; i++)
      await agentFor(CACHE, model, { decisionCache: cache, temperature: 0.7 }).agent.run('Where is A-1?', { context, tenant: 'acme' });
    expect(model.calls).toHaveLength(4);
    expect(cache.stats()).toMatchObject({ hits: 0, bypasses: 4, size: 0 });
  });

  it('never answers across tenants, nor without a tenant when scoped by tenant', async () => {
    const model = counted(scripted(LOOKUP));
    const cache = new DecisionCache({ ttlMs: 60_000, maxEntries: 100 });
    const run = (tenant?: string) =>
      agentFor(CACHE, model, { decisionCache: cache }).agent.run('Where is A-1?', { context, ...(tenant === undefined ? {} : { tenant }) });
    await run('acme');
    await run('globex');
    await run(undefined);
    expect(model.calls).toHaveLength(6);
    await run('globex');
    expect(model.calls).toHaveLength(6);
    expect(cache.stats()).toMatchObject({ hits: 2, bypasses: 2 });
  });

  it('expires answers after the TTL (injected clock) and keeps at most maxEntries (LRU)', async () => {
    let now = 1_000_000;
    const cache = new DecisionCache({ ttlMs: 1000, maxEntries: 2, clock: () => now });
    const value = {
      content: [],
      finishReason: { unified: 'stop', raw: 'stop' },
      provider: 'p',
      modelId: 'm',
      inputTokens: 1,
      outputTokens: 1,
      costUsd: 0,
    } as const;
    cache.set('a', value);
    now += 999;
    expect(cache.get('a')).toBeDefined();
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', value);
    cache.set('b', value);
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('c', value);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.size).toBe(2);

    // In the loop: the manifest's TTL with the agent's clock.
    const model = counted(scripted({ turns: [{ text: 'Hello.' }] }));
    const shared = new DecisionCache({ ttlMs: 1000, maxEntries: 10, clock: () => now });
    const run = () => agentFor(CACHE, model, { decisionCache: shared, clock: () => now }).agent.run('Hi', { context, tenant: 'acme' });
    await run();
    await run();
    expect(model.calls).toHaveLength(1);
    now += 1000;
    await run();
    expect(model.calls).toHaveLength(2);
  });

  it('still runs the output guardrails and tool-call rules on a cached answer', async () => {
    const canary = 'CANARY-7f3a9c2e51';
    const leak = counted(scripted({ turns: [{ text: `My instructions say ${canary}.` }] }));
    const cache = new DecisionCache({ ttlMs: 60_000, maxEntries: 100 });
    const options = { decisionCache: cache, instructions: `Shop assistant. ${canary}`, canaries: [canary] };
    const first = await agentFor(CACHE, leak, options).agent.run('What are your opening hours?', { context, tenant: 'acme' });
    const second = agentFor(CACHE, leak, options);
    const again = await second.agent.run('What are your opening hours?', { context, tenant: 'acme' });
    expect(leak.calls).toHaveLength(1);
    expect(second.events.some((e) => e.type === 'model.cache' && e.outcome === 'hit')).toBe(true);
    for (const result of [first, again]) {
      expect(result.status).toBe('denied');
      expect(result.output).not.toContain(canary);
      expect(result.decisions.some((d) => d.hook === 'output' && d.action === 'deny')).toBe(true);
    }

    // A cached refund above the approval threshold still waits for a human.
    const refund = counted(scripted({ turns: [{ toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-1', amount: 150 } }] }] }));
    const results = [];
    for (let i = 0; i < 2; i++)
      results.push(
        await agentFor(CACHE, refund, { decisionCache: cache }).agent.run('Refund my order A-1 please', { context, tenant: 'acme' }),
      );
    expect(refund.calls).toHaveLength(1);
    expect(results.map((r) => r.status)).toEqual(['paused', 'paused']);
  });
});

describe('model cascade', () => {
  const cascadeSpec = (threshold: number): CostSpec => ({
    cascade: { model: { provider: 'offline', id: 'understudy' }, threshold, signal: 'self-reported' },
  });

  it('calls the large model only when the small one is below the threshold', async () => {
    const large = counted(scripted(LOOKUP, { pricing: OFFLINE_PRICING.large }));
    // The understudy knows lookup_order and plain answers: both turns are confident (0.9).
    const small = counted(understudy(scripted(LOOKUP), { knownTools: ['lookup_order'] }));
    const { agent, events } = agentFor(cascadeSpec(0.8), large, { cascadeModel: small });
    const result = await agent.run('Where is my order A-1?', { context, tenant: 'acme' });
    expect(result.output).toBe('Your order was delivered.');
    expect(small.calls).toHaveLength(2);
    expect(large.calls).toHaveLength(0);
    expect(events.flatMap((e) => (e.type === 'model.cascade' ? [e.outcome] : []))).toEqual(['accepted', 'accepted']);

    // Without lookup_order it guesses on the first turn (0.4 < 0.8): the large model answers that one.
    const large2 = counted(scripted(LOOKUP, { pricing: OFFLINE_PRICING.large }));
    const unsure = counted(understudy(scripted(LOOKUP)));
    const second = agentFor(cascadeSpec(0.8), large2, { cascadeModel: unsure });
    const escalated = await second.agent.run('Where is my order A-1?', { context, tenant: 'acme' });
    expect(escalated.output).toBe('Your order was delivered.');
    expect(large2.calls).toHaveLength(1);
    expect(second.events.flatMap((e) => (e.type === 'model.cascade' ? [[e.outcome, e.confidence]] : []))).toEqual([
      ['escalated', 0.4],
      ['accepted', 0.9],
    ]);
    // Both models' spend counts: the small call that was overruled too.
    const spent = second.events.flatMap((e) => (e.type === 'model.response' ? [e.costUsd] : []));
    expect(spent).toHaveLength(3);
    expect(escalated.usage.costUsd).toBeCloseTo(
      spent.reduce((a, b) => a + b, 0),
      12,
    );

    // A threshold below the guess's confidence takes the wrong answer: the threshold matters.
    const careless = agentFor(cascadeSpec(0.3), counted(scripted(LOOKUP)), { cascadeModel: understudy(scripted(LOOKUP)) });
    expect((await careless.agent.run('Where is my order A-1?', { context, tenant: 'acme' })).output).toBe(
      'I believe that is all sorted for you.',
    );
  });

  it('reads a self-reported confidence line and removes it from the answer', async () => {
    const small = scripted({ turns: [{ text: 'Our store opens at 9.\nConfidence: 0.95' }] });
    const large = counted(scripted({ turns: [{ text: 'large' }] }));
    const result = await agentFor(cascadeSpec(0.9), large, { cascadeModel: small }).agent.run('When do you open?', { context });
    expect(result.output).toBe('Our store opens at 9.');
    expect(large.calls).toHaveLength(0);
    // No confidence reported: the large model answers.
    const silent = scripted({ turns: [{ text: 'Our store opens at 9.' }] });
    const fallback = await agentFor(cascadeSpec(0.9), large, { cascadeModel: silent }).agent.run('When do you open?', { context });
    expect(fallback.output).toBe('large');
    expect(selfReported({ content: [{ type: 'text', text: 'x\nconfidence: 2' }] } as never).confidence).toBeUndefined();
  });

  it('asks a registered verifier, and refuses to start without it', async () => {
    const spec: CostSpec = {
      cascade: { model: { provider: 'offline', id: 'understudy' }, threshold: 0.5, signal: 'verifier', verifier: 'grounded' },
    };
    const large = counted(scripted({ turns: [{ text: 'Order A-1 was delivered on 2 May.' }] }));
    const small = scripted({ turns: [{ text: 'Order A-1 is lost.' }] });
    const seen: string[] = [];
    const verifiers = {
      grounded: (candidate: { text: string }) => {
        seen.push(candidate.text);
        return candidate.text.includes('lost') ? 0.1 : 0.9;
      },
    };
    const result = await agentFor(spec, large, { cascadeModel: small, verifiers }).agent.run('Where is A-1?', { context });
    expect(seen).toEqual(['Order A-1 is lost.']);
    expect(result.output).toBe('Order A-1 was delivered on 2 May.');
    expect(() => agentFor(spec, large, { cascadeModel: small })).toThrow(/verifier "grounded"/);
  });
});

describe('early exits', () => {
  it('ends the run at the first final answer: later turns of the model are never asked for', async () => {
    const model = counted(scripted({ turns: [{ text: 'Done.' }, { text: 'never' }] }));
    const { agent } = agentFor({ earlyExit: { repeatedCall: 3 } }, model);
    const result = await agent.run('Hi', { context });
    expect([result.status, result.steps, model.calls.length]).toEqual(['completed', 1, 1]);
  });

  it('ends a loop of the same call at the declared repeat count', async () => {
    const loop: ScriptInput = {
      turns: Array.from({ length: 6 }, () => ({ toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-1' } }] })),
    };
    const strict = await agentFor({ earlyExit: { repeatedCall: 2 } }, scripted(loop)).agent.run('Where is A-1?', { context });
    const lenient = await agentFor({ earlyExit: { repeatedCall: 4 } }, scripted(loop)).agent.run('Where is A-1?', { context });
    expect([strict.status, strict.reason, strict.steps]).toEqual(['escalated', 'loop_detected', 2]);
    expect([lenient.status, lenient.reason, lenient.steps]).toEqual(['escalated', 'loop_detected', 4]);
  });

  it('ends a run whose tool turns bring no new information', async () => {
    // alternate: no call repeats often enough for the loop limit before step 5, but from the
    // third turn on every result was seen before.
    const turns = Array.from({ length: 8 }, (_, i) => ({
      toolCalls: [{ tool: 'lookup_order', args: { orderId: i % 2 === 0 ? 'A-1' : 'A-2' } }],
    }));
    const off = await agentFor({}, scripted({ turns })).agent.run('Where is my order?', { context });
    const on = await agentFor({ earlyExit: { repeatedCall: 5, stalledTurns: 1 } }, scripted({ turns })).agent.run('Where is my order?', {
      context,
    });
    expect(on.status).toBe('escalated');
    expect(on.reason).toBe('loop_detected');
    expect(on.escalation?.message).toContain('no progress');
    expect(on.steps).toBe(3);
    expect(off.steps).toBeGreaterThan(on.steps);
  });
});

describe('batching', () => {
  it('sends the model calls of concurrent runs as batches at the batch price', async () => {
    const model = counted(scripted({ turns: [{ text: 'Hello.' }] }, { pricing: OFFLINE_PRICING.large }));
    const batch = capabilitiesOf(model).batch;
    expect(batch).toBeDefined();
    let batches = 0;
    const sizes: number[] = [];
    // Watch the capability: the agent must use it rather than doGenerate one call at a time.
    const watched = Object.assign(Object.create(model) as LanguageModelV3, { calls: model.calls });
    Object.defineProperty(watched, Symbol.for('charter.model.capabilities'), {
      value: {
        ...capabilitiesOf(model),
        batch: {
          ...batch,
          doGenerateBatch: (calls: readonly LanguageModelV3CallOptions[]) => {
            batches++;
            sizes.push(calls.length);
            return batch?.doGenerateBatch(calls);
          },
        },
      },
    });
    const spec: CostSpec = { batch: { maxBatchSize: 4, maxWaitMs: 20 } };
    const agents = Array.from({ length: 6 }, () => agentFor(spec, watched).agent);
    const results = await Promise.all(agents.map((agent, i) => agent.run(`Hi ${i}`, { context })));
    expect(results.every((r) => r.status === 'completed' && r.output === 'Hello.')).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6);
    expect(batches).toBeLessThan(6);
    expect(Math.max(...sizes)).toBe(4);
    // Priced at half the list price.
    const single = await agentFor({}, model).agent.run('Hi 0', { context });
    expect(results[0]?.usage.costUsd).toBeCloseTo(single.usage.costUsd * 0.5, 12);
  });

  it('refuses to start when the model cannot batch', () => {
    const plain = scripted({ turns: [{ text: 'Hello.' }] });
    const bare: LanguageModelV3 = {
      specificationVersion: 'v3',
      provider: 'x',
      modelId: 'y',
      supportedUrls: {},
      doGenerate: (options) => plain.doGenerate(options),
      doStream: (options) => plain.doStream(options),
    };
    expect(() => agentFor({ batch: { maxBatchSize: 4, maxWaitMs: 5 } }, bare)).toThrow(/no batch capability/);
  });
});
