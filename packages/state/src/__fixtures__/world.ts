// A tiny world for the state tests: tools whose side effects are lines in a file, so effects can be
// counted across processes. `refund_order` is irreversible, keyed by order, and can reconcile.
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadManifest, loadPolicy } from '@charter/spec';
import type { AgentManifest, GuardrailPolicy } from '@charter/spec';
import { defineTool } from '@charter/tools';
import { z } from 'zod';

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

export interface WorldOptions {
  /** Every executed effect is appended here as a JSON line `{ tool, key, pid }`. */
  readonly effects: string;
  /** Hold the refund this long before and after making it (widens races). */
  readonly holdMs?: number;
  /** Give refund_order a reconcile function (default true). */
  readonly reconcile?: boolean;
  /** Hold each lookup this long (a run that is still going when a control changes). */
  readonly lookupHoldMs?: number;
  /** Die (SIGKILL) right after the refund's effect, before the executor records it. */
  readonly crashAfterRefund?: boolean;
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function tools(options: WorldOptions) {
  const effect = (tool: string, key: string) => appendFileSync(options.effects, `${JSON.stringify({ tool, key, pid: process.pid })}\n`);
  const retry = { attempts: 1, baseDelayMs: 0, maxDelayMs: 1, maxTotalMs: 1000 };
  return [
    defineTool({
      name: 'lookup_order',
      version: '1.0.0',
      description: 'Look up an order by id.',
      input: z.object({ orderId: z.string().regex(/^A-\d{1,6}$/) }),
      output: z.object({ orderId: z.string(), total: z.number() }),
      sideEffects: 'none',
      scopes: ['orders:read'],
      retry,
      breaker: false,
      async execute({ orderId }) {
        if (options.lookupHoldMs !== undefined) await sleep(options.lookupHoldMs);
        return { orderId, total: 250 };
      },
    }),
    defineTool({
      name: 'refund_order',
      version: '1.0.0',
      description: 'Refund an order (irreversible).',
      input: z.object({
        orderId: z.string().regex(/^A-\d{1,6}$/),
        amount: z.number().positive(),
        reason: z.string().max(200).default('requested'),
      }),
      output: z.object({ refundId: z.string(), amount: z.number() }),
      sideEffects: 'irreversible',
      scopes: ['payments:refund'],
      timeoutMs: 20_000,
      retry,
      breaker: false,
      idempotencyKey: ({ orderId }) => `refund:${orderId}`,
      // Asks the "downstream system" (the effects file) whether the refund was made.
      ...(options.reconcile === false
        ? {}
        : {
            reconcile({ orderId, amount }: { orderId: string; amount: number }) {
              const done = readEffects(options.effects).some((e) => e.tool === 'refund_order' && e.key === orderId);
              return done ? { done: true as const, value: { refundId: `R-${orderId}`, amount } } : { done: false as const };
            },
          }),
      async execute({ orderId, amount }) {
        if (options.holdMs !== undefined) await sleep(options.holdMs);
        effect('refund_order', orderId);
        if (options.crashAfterRefund === true) process.kill(process.pid, 'SIGKILL');
        if (options.holdMs !== undefined) await sleep(options.holdMs);
        return { refundId: `R-${orderId}`, amount };
      },
    }),
    defineTool({
      name: 'send_email',
      version: '1.0.0',
      description: 'Send an email.',
      input: z.object({
        to: z.array(z.string()).min(1).max(5),
        subject: z.string().max(200),
        body: z.string().max(5000),
        urgent: z.boolean().default(false),
      }),
      output: z.object({ sent: z.boolean() }),
      sideEffects: 'irreversible',
      scopes: ['email:send'],
      retry,
      breaker: false,
      execute({ subject }) {
        effect('send_email', subject);
        return { sent: true };
      },
    }),
    defineTool({
      name: 'escalate_to_human',
      version: '1.0.0',
      description: 'Open a ticket for a human agent.',
      input: z.object({ summary: z.string().max(2000), priority: z.enum(['low', 'normal', 'high']).default('normal') }),
      output: z.object({ ticket: z.string() }),
      sideEffects: 'reversible',
      scopes: ['tickets:write'],
      retry,
      breaker: false,
      execute({ summary }) {
        effect('escalate_to_human', summary.slice(0, 40));
        return { ticket: 'T-1' };
      },
    }),
  ];
}
