// The served agent of the tests and the load test: a shop with two tools whose side effects are lines in
// a file (countable across processes), and an offline model with a configurable latency that answers
// from the request text alone, so a run re-executed by another worker makes the same calls.
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memoryEscalation } from '@charter/agent';
import { offlineModel } from '@charter/agent/models';
import { loadManifest, loadPolicy } from '@charter/spec';
import type { AgentManifest, GuardrailPolicy } from '@charter/spec';
import { defineTool } from '@charter/tools';
import { z } from 'zod';
import type { ServedAgentOptions } from '../service.js';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

export function manifest(): AgentManifest {
  const { value, issues } = loadManifest({ path: here('./agent.yaml') });
  if (value === undefined || issues.some((i) => i.severity === 'error')) throw new Error(`fixture manifest: ${JSON.stringify(issues)}`);
  return value;
}

export function policy(): GuardrailPolicy {
  const { value, issues } = loadPolicy({ path: here('./policy.yaml') });
  if (value === undefined || issues.some((i) => i.severity === 'error')) throw new Error(`fixture policy: ${JSON.stringify(issues)}`);
  return value;
}

export function readEffects(path: string): { tool: string; key: string; pid: number }[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { tool: string; key: string; pid: number });
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    });
  });

export interface ShopOptions {
  /** Every refund is appended here as `{ tool, key, pid }`. */
  readonly effects: string;
  /** Latency of every model call (default 0: an instant model). */
  readonly modelLatencyMs?: number;
  /** Hold each refund this long before making it (a worker killed mid-run). */
  readonly refundHoldMs?: number;
}

const REFUND = /refund (A-\d{1,6}) (\d{1,5})/;

/**
 * The offline model: "refund A-7 40" → lookup_order, then refund_order (approval above 100 USD), then
 * "Refunded."; anything else → one answer. Turn n answers the prompt holding n assistant messages.
 */
export function shopModel(latencyMs = 0) {
  const model = offlineModel('offline', 'shop', (options) => {
    const user = options.prompt.find((message) => message.role === 'user');
    const text =
      user !== undefined && Array.isArray(user.content) ? user.content.map((part) => ('text' in part ? part.text : '')).join(' ') : '';
    const turn = options.prompt.filter((message) => message.role === 'assistant').length;
    const refund = REFUND.exec(text);
    if (refund === null) return [{ type: 'text', text: `Hello! You said ${text.length} characters.` }];
    const [, orderId = '', amount = '0'] = refund;
    if (turn === 0) return [{ type: 'tool-call', toolCallId: 'call_0_0', toolName: 'lookup_order', input: JSON.stringify({ orderId }) }];
    if (turn === 1)
      return [
        { type: 'tool-call', toolCallId: 'call_1_0', toolName: 'refund_order', input: JSON.stringify({ orderId, amount: Number(amount) }) },
      ];
    return [{ type: 'text', text: 'Refunded.' }];
  });
  if (latencyMs <= 0) return model;
  return {
    ...model,
    async doGenerate(options: Parameters<typeof model.doGenerate>[0]) {
      await sleep(latencyMs, options.abortSignal);
      return model.doGenerate(options);
    },
  };
}

export function shopTools(options: ShopOptions) {
  return [
    defineTool({
      name: 'lookup_order',
      version: '1.0.0',
      description: 'Look up an order by id.',
      input: z.object({ orderId: z.string().regex(/^A-\d{1,6}$/) }),
      output: z.object({ orderId: z.string(), total: z.number() }),
      sideEffects: 'none',
      scopes: ['orders:read'],
      execute: ({ orderId }) => ({ orderId, total: 250 }),
    }),
    defineTool({
      name: 'refund_order',
      version: '1.0.0',
      description: 'Refund an order (irreversible).',
      input: z.object({ orderId: z.string().regex(/^A-\d{1,6}$/), amount: z.number().positive() }),
      output: z.object({ refundId: z.string(), amount: z.number() }),
      sideEffects: 'irreversible',
      scopes: ['payments:refund'],
      retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 1, maxTotalMs: 60_000 },
      timeoutMs: 60_000,
      idempotencyKey: ({ orderId }) => `refund:${orderId}`,
      // In doubt (a worker died between "started" and "completed"): the effects file says whether it happened.
      reconcile: ({ orderId, amount }) =>
        readEffects(options.effects).some((effect) => effect.key === `refund:${orderId}`)
          ? { done: true, value: { refundId: `R-${orderId}`, amount } }
          : { done: false },
      async execute({ orderId, amount }) {
        if (options.refundHoldMs !== undefined) await sleep(options.refundHoldMs);
        appendFileSync(options.effects, `${JSON.stringify({ tool: 'refund_order', key: `refund:${orderId}`, pid: process.pid })}\n`);
        return { refundId: `R-${orderId}`, amount };
      },
    }),
    defineTool({
      name: 'send_email',
      version: '1.0.0',
      description: 'Send an email.',
      input: z.object({ to: z.string(), body: z.string() }),
      output: z.object({ sent: z.boolean() }),
      sideEffects: 'irreversible',
      scopes: ['email:send'],
      execute: () => ({ sent: true }),
    }),
    defineTool({
      name: 'escalate_to_human',
      version: '1.0.0',
      description: 'Hand the conversation to a human.',
      input: z.object({ summary: z.string() }),
      output: z.object({ ticket: z.string() }),
      sideEffects: 'reversible',
      scopes: ['tickets:write'],
      execute: () => ({ ticket: 'T-1' }),
    }),
  ];
}

/** The served agent's options. */
export function shopAgent(options: ShopOptions & { readonly pricing?: boolean }): ServedAgentOptions {
  return {
    manifest: manifest(),
    policy: policy(),
    model: shopModel(options.modelLatencyMs ?? 0),
    tools: shopTools(options),
    escalation: memoryEscalation(),
    ...(options.pricing === true ? { pricing: { inputPerMTokUsd: 1000, outputPerMTokUsd: 1000 } } : {}),
  };
}
