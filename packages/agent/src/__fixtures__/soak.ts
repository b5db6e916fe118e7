// The fault soak shared by the test suite (1,000 runs) and `npm run soak` (10,000 runs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditSink, createMemorySink, createTelemetry, openAuditLog, verifyAudit } from '@charter/telemetry';
import { defineTool, FileLedger, TransientToolError } from '@charter/tools';
import { z } from 'zod';
import { createAgent, MemoryStore, memoryEscalation, type RunResult } from '../index.js';
import { scripted } from '../models.js';
import { faultyModel, seededRandom, seedOf } from '../testing.js';
import { shopAgent } from './shop.js';

export interface SoakOptions {
  readonly runs: number;
  readonly seed: number;
  readonly transientRate?: number;
  readonly timeoutRate?: number;
  readonly malformedRate?: number;
  /** Per-attempt tool timeout (ms). */
  readonly toolTimeoutMs?: number;
  readonly concurrency?: number;
}

export interface SoakReport {
  readonly runs: number;
  readonly byStatus: Record<string, number>;
  readonly byReason: Record<string, number>;
  readonly escalatedWithoutPacket: number;
  readonly packets: number;
  /** Refund side effects executed per order: every value must be ≤ 1. */
  readonly maxRefundsPerOrder: number;
  readonly refunds: number;
  readonly toolErrorsSeen: number;
  readonly repairsSeen: number;
  /** Refund calls answered from the idempotency ledger (no new execution). */
  readonly ledgerReplays: number;
  /** Failed refund calls by error code (TOOL_IN_DOUBT, TOOL_IN_FLIGHT, TOOL_TRANSIENT, …). */
  readonly refundErrors: Record<string, number>;
  /**
   * Orders told TOOL_IN_DOUBT by one call while another call refunded them: the in-doubt call met a
   * `started` record whose owner was still running (in flight, not in doubt). Must be 0.
   */
  readonly doubtedWhileRefunded: number;
  readonly unhandledRejections: number;
  readonly audit: { readonly ok: boolean; readonly records: number };
  readonly ms: number;
}

export async function soak(options: SoakOptions): Promise<SoakReport> {
  const dir = mkdtempSync(join(tmpdir(), 'charter-soak-'));
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const transientRate = options.transientRate ?? 0.2;
    const timeoutRate = options.timeoutRate ?? 0.05;
    const toolTimeoutMs = options.toolTimeoutMs ?? 5;
    const loaded = shopAgent();
    const { manifest, policy } = loaded;
    const audit = openAuditLog(join(dir, 'audit.jsonl'));
    const events = createMemorySink();
    const telemetry = createTelemetry({
      agent: manifest.metadata.name,
      sinks: [createAuditSink(audit, { policyVersion: policy.spec.version }), { write: () => undefined }],
    });
    void events;
    const ledger = new FileLedger(join(dir, 'ledger.jsonl'));
    const escalation = memoryEscalation();
    const store = new MemoryStore();
    // The payment "downstream": applies a refund once per idempotency key, as a real payment API does.
    const applied = new Map<string, number>();
    const effectsPerOrder = new Map<string, number>();
    const streams = new Map<string, () => number>();
    const rand = (runId: string): (() => number) => {
      let r = streams.get(runId);
      if (r === undefined) {
        r = seededRandom(seedOf(`${options.seed}:${runId}`));
        streams.set(runId, r);
      }
      return r;
    };
    const hang = (signal: AbortSignal): Promise<void> =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, toolTimeoutMs * 4);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    async function hazard(runId: string, signal: AbortSignal): Promise<void> {
      const r = rand(runId);
      if (r() < transientRate) throw new TransientToolError('injected transient failure');
      if (r() < timeoutRate) {
        await hang(signal);
        throw new TransientToolError('injected hang');
      }
    }
    const retry = { attempts: 3, baseDelayMs: 0, maxDelayMs: 1, maxTotalMs: 1000 };
    const tools = [
      defineTool({
        name: 'lookup_order',
        version: '1.0.0',
        description: 'Look up an order.',
        input: z.object({ orderId: z.string().regex(/^A-\d{1,6}$/) }),
        output: z.object({ orderId: z.string(), status: z.string() }),
        sideEffects: 'none',
        scopes: ['orders:read'],
        timeoutMs: toolTimeoutMs,
        retry,
        breaker: false,
        async execute({ orderId }, ctx) {
          await hazard(ctx.runId, ctx.signal);
          return { orderId, status: 'delivered' };
        },
      }),
      defineTool({
        name: 'refund_order',
        version: '1.0.0',
        description: 'Refund an order.',
        input: z.object({ orderId: z.string().regex(/^A-\d{1,6}$/), amount: z.number().positive(), reason: z.string() }),
        output: z.object({ refundId: z.string() }),
        sideEffects: 'irreversible',
        scopes: ['payments:refund'],
        timeoutMs: toolTimeoutMs,
        retry,
        breaker: false,
        idempotencyKey: ({ orderId }) => `refund:${orderId}`,
        async execute({ orderId }, ctx) {
          await hazard(ctx.runId, ctx.signal);
          const key = ctx.idempotencyKey ?? `none:${ctx.callId}`;
          if (!applied.has(key)) {
            applied.set(key, 1);
            effectsPerOrder.set(orderId, (effectsPerOrder.get(orderId) ?? 0) + 1);
          }
          // The acknowledgement may be lost after the effect (a timeout): the retry must not refund again.
          await hazard(ctx.runId, ctx.signal);
          return { refundId: `R-${orderId}` };
        },
      }),
      defineTool({
        name: 'send_email',
        version: '1.0.0',
        description: 'unused',
        input: z.object({ to: z.array(z.string()) }),
        output: z.object({}),
        sideEffects: 'irreversible',
        scopes: ['email:send'],
        execute: () => ({}),
      }),
      defineTool({
        name: 'escalate_to_human',
        version: '1.0.0',
        description: 'unused',
        input: z.object({}),
        output: z.object({}),
        sideEffects: 'reversible',
        scopes: ['tickets:write'],
        execute: () => ({}),
      }),
    ];
    const started = performance.now();
    const results: RunResult[] = [];
    const orderOf = new Map<string, string>();
    const concurrency = options.concurrency ?? 8;
    let next = 0;
    async function worker(): Promise<void> {
      for (;;) {
        const i = next++;
        if (i >= options.runs) return;
        const runId = `soak-${options.seed}-${i}`;
        // Every 25th run resubmits the order of the run started just before it (a customer who clicks twice):
        // usually still in flight, on another executor over the same ledger. It must wait for that call and
        // replay its result (or fail with TOOL_IN_FLIGHT), never refund again.
        const orderId = i % 25 === 24 ? `A-${i - 1}` : `A-${i}`;
        orderOf.set(runId, orderId);
        const model = faultyModel(
          scripted({
            turns: [
              { toolCalls: [{ tool: 'lookup_order', args: { orderId } }] },
              { toolCalls: [{ tool: 'refund_order', args: { orderId, amount: 40, reason: 'damaged' } }] },
              { cases: [{ when: { ok: false }, text: 'The refund did not go through; a colleague will follow up.' }], text: 'Refunded.' },
            ],
          }),
          { malformedRate: options.malformedRate ?? 0.05, random: seededRandom(seedOf(`${options.seed}:model:${runId}`)) },
        );
        const agent = createAgent({ agent: loaded, model, tools, telemetry, ledger, escalation, store });
        results.push(
          await agent.run(`Refund 40 USD on order ${orderId}, it arrived damaged.`, {
            runId,
            context: { customerEmail: 'ana@example.com' },
          }),
        );
        streams.delete(runId);
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker));
    await telemetry.flush();
    await ledger.close();
    const ms = performance.now() - started;
    const byStatus: Record<string, number> = {};
    const byReason: Record<string, number> = {};
    for (const r of results) {
      byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      if (r.reason !== undefined) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    }
    const refundErrors: Record<string, number> = {};
    const refundedOk = new Set<string>();
    const doubted = new Set<string>();
    for (const r of results)
      for (const a of r.actions) {
        if (a.tool !== 'refund_order') continue;
        const orderId = orderOf.get(r.runId) ?? '?';
        if (a.outcome === 'ok') refundedOk.add(orderId);
        if (a.outcome !== 'error') continue;
        refundErrors[a.errorCode ?? '?'] = (refundErrors[a.errorCode ?? '?'] ?? 0) + 1;
        if (a.errorCode === 'TOOL_IN_DOUBT') doubted.add(orderId);
      }
    const verification = verifyAudit(audit.path);
    return {
      runs: results.length,
      byStatus,
      byReason,
      escalatedWithoutPacket: results.filter(
        (r) => r.status === 'escalated' && (r.escalation === undefined || !escalation.packets.some((p) => p.runId === r.runId)),
      ).length,
      packets: escalation.packets.length,
      maxRefundsPerOrder: Math.max(0, ...effectsPerOrder.values()),
      refunds: [...effectsPerOrder.values()].reduce((a, b) => a + b, 0),
      toolErrorsSeen: results.reduce((n, r) => n + r.actions.filter((a) => a.outcome === 'error').length, 0),
      repairsSeen: results.filter((r) => r.steps > 3).length,
      ledgerReplays: results.reduce((n, r) => n + r.actions.filter((a) => a.tool === 'refund_order' && a.replayed === true).length, 0),
      refundErrors,
      doubtedWhileRefunded: [...doubted].filter((orderId) => refundedOk.has(orderId)).length,
      unhandledRejections: unhandled,
      audit: { ok: verification.ok, records: verification.records },
      ms,
    };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    rmSync(dir, { recursive: true, force: true });
  }
}
