// The hot path of a step does each piece of work once: a model call's arguments are validated by
// `decide` and written canonically once (loop key, then argsHash); the run's deadline is a plain timer.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { canonicalJson, createMemorySink, createTelemetry, hashArguments } from '@charter/telemetry';
import { type AnyTool, defineTool, MemoryLedger } from '@charter/tools';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createShop, shopAgent } from './__fixtures__/shop.js';
import { canonicalKey, jsonKey } from './canonical.js';
import { createAgent, MemoryStore, memoryEscalation } from './index.js';

const loaded = shopAgent();
const { manifest } = loaded;
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };

/** The shop's tools with some replaced (by name). */
function toolsWith(...replacements: AnyTool[]): AnyTool[] {
  const names = new Set(replacements.map((tool) => tool.name));
  return [...createShop().tools.filter((tool) => !names.has(tool.name)), ...replacements];
}

/** A model that calls `tool` with `input` (JSON text) once, then answers. */
function callsOnce(tool: string, input: string): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'test',
    modelId: 'once',
    supportedUrls: {},
    doGenerate({ prompt }) {
      const called = prompt.some((message) => message.role === 'tool');
      return Promise.resolve({
        content: called ? [{ type: 'text', text: 'Done.' }] : [{ type: 'tool-call', toolCallId: 'c1', toolName: tool, input }],
        finishReason: { unified: called ? 'stop' : 'tool-calls', raw: undefined },
        usage,
        warnings: [],
      });
    },
    doStream: () => Promise.reject(new Error('not used')),
  };
}

describe('jsonKey', () => {
  it('is canonicalKey and telemetry canonicalJson of any JSON value (what JSON.parse gives)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        const key = jsonKey(parsed);
        expect(key).toBe(canonicalJson(parsed));
        expect(key).toBe(canonicalKey(parsed));
      }),
      { numRuns: 300 },
    );
  });

  it('is undefined for what canonical JSON cannot write the same way', () => {
    class Point {
      x = 1;
    }
    for (const value of [
      undefined,
      { a: undefined },
      [1, undefined],
      // eslint-disable-next-line no-sparse-arrays -- a hole is what is tested
      [1, , 2],
      Number.NaN,
      { n: Number.POSITIVE_INFINITY },
      new Point(),
      { d: new Date(0) },
      { f: () => 1 },
      Symbol('s'),
    ])
      expect(jsonKey(value)).toBeUndefined();
    let deep: unknown = 1;
    for (let i = 0; i < 140; i++) deep = [deep];
    expect(jsonKey(deep)).toBeUndefined();
    expect(jsonKey({ b: [1, 'x', null, true], a: { d: 2, c: -0 } })).toBe('{"a":{"c":0,"d":2},"b":[1,"x",null,true]}');
  });
});

describe('a tool call on the step path', () => {
  it('tool.call carries hashArguments of the arguments as the model wrote them (keys unsorted, nested)', async () => {
    const sink = createMemorySink();
    const args = {
      to: ['ana@example.com'],
      subject: 'Your order',
      body: 'Order A-1 is "delivered".\nThanks',
      meta: { z: 1, a: [2.5, null] },
    };
    const sent: unknown[] = [];
    const tools = toolsWith(
      defineTool({
        name: 'send_email',
        version: '1.0.0',
        description: 'Send an e-mail',
        input: z.object({
          to: z.array(z.string()),
          subject: z.string(),
          body: z.string(),
          meta: z.object({ z: z.number(), a: z.array(z.number().nullable()) }),
        }),
        output: z.object({}),
        sideEffects: 'irreversible',
        scopes: ['email:send'],
        execute: (input) => {
          sent.push(input);
          return {};
        },
      }),
    );
    const agent = createAgent({
      agent: loaded,
      model: callsOnce('send_email', JSON.stringify(args)),
      tools,
      telemetry: createTelemetry({ agent: manifest.metadata.name, sinks: [sink] }),
      escalation: memoryEscalation(),
      store: new MemoryStore(),
      ledger: new MemoryLedger(),
    });
    const result = await agent.run('Please email ana@example.com that order A-1 is delivered.', {
      context: { customerEmail: 'ana@example.com' },
    });
    expect(result.status).toBe('completed');
    expect(sent).toEqual([args]);
    expect(sink.ofType('tool.call').map((event) => event.argsHash)).toEqual([hashArguments(args)]);
  });

  it("the tool runs on its input schema's output, validated once by decide", async () => {
    let parses = 0;
    const received: unknown[] = [];
    const input = z
      .object({ orderId: z.string() })
      .refine(() => ++parses > 0)
      .transform(({ orderId }) => ({ orderId: orderId.trim().toUpperCase() }));
    const tools = toolsWith(
      defineTool({
        name: 'lookup_order',
        version: '1.0.0',
        description: 'Look up an order',
        input,
        output: z.object({ orderId: z.string() }),
        sideEffects: 'none',
        scopes: ['orders:read'],
        execute: (value) => {
          received.push(value);
          return value;
        },
      }),
    );
    const agent = createAgent({
      agent: loaded,
      model: callsOnce('lookup_order', '{"orderId":" a-1 "}'),
      tools,
      escalation: memoryEscalation(),
      store: new MemoryStore(),
      ledger: new MemoryLedger(),
    });
    expect((await agent.run('Where is my order A-1?')).status).toBe('completed');
    expect(received).toEqual([{ orderId: 'A-1' }]);
    expect(parses).toBe(1);
  });
});

describe("the run's deadline", () => {
  it('aborts a model call that outlives timeoutMs with a TimeoutError and escalates budget_time', async () => {
    const reasons: unknown[] = [];
    const hanging: LanguageModelV3 = {
      ...callsOnce('lookup_order', '{}'),
      doGenerate: ({ abortSignal }) =>
        new Promise((_resolve, reject) => {
          abortSignal?.addEventListener('abort', () => {
            reasons.push(abortSignal.reason);
            reject(abortSignal.reason as Error);
          });
        }),
    };
    const budgets = { ...manifest.spec.budgets, timeoutMs: 40 };
    const agent = createAgent({
      manifest: { ...manifest, spec: { ...manifest.spec, budgets, slos: { ...manifest.spec.slos, latencyP95Ms: 40 } } },
      policy: loaded.policy,
      model: hanging,
      tools: createShop().tools,
      escalation: memoryEscalation(),
      store: new MemoryStore(),
      ledger: new MemoryLedger(),
    }).run('Where is my order A-1?');
    const result = await agent;
    expect(result.status).toBe('escalated');
    expect(result.reason).toBe('budget_time');
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as DOMException).name).toBe('TimeoutError');
  });

  it("a caller's abort ends the run as well", async () => {
    const controller = new AbortController();
    const waiting: LanguageModelV3 = {
      ...callsOnce('lookup_order', '{}'),
      doGenerate: ({ abortSignal }) =>
        new Promise((_resolve, reject) => {
          abortSignal?.addEventListener('abort', () => {
            reject(new Error('aborted'));
          });
          setTimeout(() => {
            controller.abort();
          }, 5);
        }),
    };
    const result = await createAgent({
      agent: loaded,
      model: waiting,
      tools: createShop().tools,
      escalation: memoryEscalation(),
      store: new MemoryStore(),
      ledger: new MemoryLedger(),
    }).run('Where is my order A-1?', { signal: controller.signal });
    expect(result.status).toBe('escalated');
    expect(result.reason).toBe('budget_time');
  });
});
