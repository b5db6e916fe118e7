import type { LanguageModelV3CallOptions, LanguageModelV3Content } from '@ai-sdk/provider';
import { MemoryLedger } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { createShop, shopAgent } from './__fixtures__/shop.js';
import { createAgent, MemoryStore, memoryEscalation } from './index.js';
import { offlineModel } from './models.js';

/** A model (or provider) that gives every tool call the same id — and one that gives none. */
function reusingModel(calls: readonly { tool: string; args: unknown }[], id: string) {
  return offlineModel('test.reuse', 'reuse', (options: LanguageModelV3CallOptions): LanguageModelV3Content[] => {
    const turn = options.prompt.filter((m) => m.role === 'assistant').length;
    const next = calls[turn];
    if (next === undefined) return [{ type: 'text', text: 'Done.' }];
    return [{ type: 'tool-call', toolCallId: id, toolName: next.tool, input: JSON.stringify(next.args) }];
  });
}

function setup(calls: readonly { tool: string; args: unknown }[], id = 'call_1') {
  const shop = createShop();
  const agent = createAgent({
    agent: shopAgent(),
    model: reusingModel(calls, id),
    tools: shop.tools,
    escalation: memoryEscalation(),
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
  });
  return { agent, shop };
}

const context = { customerEmail: 'ana@example.com', customerId: 'C-1' };

describe('tool-call ids are unique within a run', () => {
  it('an approval is not inherited by a later call that reuses the approved call’s id', async () => {
    const { agent, shop } = setup([
      { tool: 'refund_order', args: { orderId: 'A-2', amount: 250, reason: 'damaged' } },
      { tool: 'refund_order', args: { orderId: 'A-3', amount: 300, reason: 'damaged' } },
    ]);
    const paused = await agent.run('Refund A-2 and A-3', { context, runId: 'reuse-approval' });
    expect(paused.status).toBe('paused');
    const second = await agent.resume('reuse-approval', { approved: true, approver: 'lead@example.com' });
    // The second refund (same model id, different order, above the threshold) must ask again.
    expect(second.status).toBe('paused');
    expect(second.approval).toMatchObject({ tool: 'refund_order', args: { orderId: 'A-3', amount: 300 } });
    expect(second.approval?.callId).not.toBe('call_1');
    expect(shop.refunds).toEqual([{ orderId: 'A-2', amount: 250 }]);
  });

  it('a reused id does not replay an earlier call’s result from the ledger; a missing id gets one', async () => {
    for (const id of ['call_1', '']) {
      const { agent, shop } = setup(
        [
          { tool: 'send_email', args: { to: ['ana@example.com'], subject: 'Receipt', body: 'Receipt for A-1' } },
          { tool: 'send_email', args: { to: ['ana@example.com'], subject: 'Receipt', body: 'Receipt for A-2' } },
        ],
        id,
      );
      const result = await agent.run('Email me the receipts for A-1 and A-2', { context });
      const ids = result.actions.map((a) => a.callId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(result.actions.every((a) => a.outcome === 'ok' && a.replayed !== true)).toBe(true);
      expect(shop.emails.map((e) => e.body)).toEqual(['Receipt for A-1', 'Receipt for A-2']);
    }
  });
});
