import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLedger } from '@charter/tools';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createShop, shopAgent } from './__fixtures__/shop.js';
import { createAgent, FileStore, MemoryStore, memoryEscalation, parseState, serializeState } from './index.js';
import { scripted } from './models.js';

describe('checkpoints', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'charter-state-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function makeAgent(store: FileStore | MemoryStore) {
    const shop = createShop();
    const agent = createAgent({
      agent: shopAgent(),
      model: scripted({
        turns: [
          {
            text: 'Checking.',
            toolCalls: [
              { tool: 'lookup_order', args: { orderId: 'A-2' } },
              { tool: 'refund_order', args: { orderId: 'A-2', amount: 250, reason: 'damaged' } },
            ],
          },
          { text: 'Done.' },
        ],
      }),
      tools: shop.tools,
      store,
      ledger: new MemoryLedger(),
      escalation: memoryEscalation(),
    });
    return { agent, shop };
  }

  async function pausedRun(store: FileStore | MemoryStore) {
    const made = makeAgent(store);
    const result = await made.agent.run('Refund A-2', { runId: 'cp-1', context: { customerEmail: 'ana@example.com' } });
    return { ...made, result };
  }

  it('a paused run round-trips through JSON unchanged', async () => {
    const store = new MemoryStore();
    const { result } = await pausedRun(store);
    expect(result.status).toBe('paused');
    const state = await store.load('cp-1');
    expect(state).toBeDefined();
    if (state === undefined) return;
    expect(parseState(serializeState(state), 'test')).toEqual(state);
    expect(JSON.parse(JSON.stringify(state))).toEqual(JSON.parse(serializeState(state)));
    // The lookup ran in the same turn before the refund paused; its result waits with the turn.
    expect(state.turnResults[0]?.role).toBe('tool');
    expect(state.queue.map((c) => c.tool)).toEqual(['refund_order']);
  });

  it('the file store writes atomically (no temp files left) and resumes from disk in a new agent', async () => {
    const store = new FileStore(dir);
    await pausedRun(store);
    expect(readdirSync(dir)).toEqual(['cp-1.json']);
    // A different agent instance (fresh tools, fresh store object on the same directory) resumes it.
    const { agent, shop } = makeAgent(new FileStore(dir));
    const done = await agent.resume('cp-1', { approved: true, approver: 'lead' });
    expect(done.status).toBe('completed');
    expect(shop.refunds).toHaveLength(1);
    expect(done.actions.map((a) => `${a.tool}:${a.outcome}`)).toEqual(['lookup_order:ok', 'refund_order:ok']);
  });

  it('a corrupt checkpoint is a typed error, not a silent fallback', async () => {
    const store = new FileStore(dir);
    writeFileSync(join(dir, 'bad.json'), '{"v": 99}');
    await expect(store.load('bad')).rejects.toMatchObject({ code: 'AGENT_BAD_STATE' });
    writeFileSync(join(dir, 'worse.json'), 'not json');
    await expect(store.load('worse')).rejects.toMatchObject({ code: 'AGENT_BAD_STATE' });
    expect(await store.load('missing')).toBeUndefined();
  });

  it('claims are exclusive until released', async () => {
    const store = new FileStore(dir);
    expect(await store.claim('r')).toBe(true);
    expect(await store.claim('r')).toBe(false);
    await store.release('r');
    expect(await store.claim('r')).toBe(true);
  });
});
