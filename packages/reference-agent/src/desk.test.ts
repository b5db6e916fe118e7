import { createExecutor, MemoryLedger } from '@charter/tools';
import type { LedgerRecord } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { createDesk } from './desk.js';

const email = { to: ['ana@example.com'], subject: 'Your refund', body: 'We refunded 49.90 USD.' };

describe('the desk tools name their side effects', () => {
  it('a retried send_email mails once, and the same message again is replayed, not re-sent', async () => {
    const desk = createDesk({ faults: { send_email: { transient: 1 } } });
    const executor = createExecutor(desk.tools, { ledger: new MemoryLedger() });
    const first = await executor.execute('send_email', email, { runId: 'r1' });
    expect(first).toMatchObject({ ok: true, meta: { attempts: 2, replayed: false } });
    const again = await executor.execute('send_email', { ...email, to: ['ANA@example.com'] }, { runId: 'r1' });
    expect(again).toMatchObject({ ok: true, meta: { replayed: true } });
    expect(desk.outbox).toHaveLength(1);
    const other = await executor.execute('send_email', { ...email, body: 'A different message.' }, { runId: 'r1' });
    expect(other.ok && !other.meta.replayed).toBe(true);
    expect(desk.outbox).toHaveLength(2);
  });

  it('escalate_to_human opens one ticket per summary', async () => {
    const desk = createDesk({ faults: { escalate_to_human: { transient: 1 } } });
    const executor = createExecutor(desk.tools, { ledger: new MemoryLedger() });
    const args = { summary: 'Customer wants a human.', priority: 'high' };
    expect((await executor.execute('escalate_to_human', args, { runId: 'r1' })).ok).toBe(true);
    expect((await executor.execute('escalate_to_human', args, { runId: 'r1' })).meta.replayed).toBe(true);
    expect(desk.tickets).toEqual([{ summary: 'Customer wants a human.', priority: 'high' }]);
  });

  it('a refund left in doubt (started, never acknowledged) is reconciled against the payments side, not repeated', async () => {
    const started = (runId: string): LedgerRecord => ({
      key: 'refund_order:refund:A-1001',
      state: 'started',
      tool: 'refund_order',
      version: '1.0.3',
      runId,
      at: new Date(0).toISOString(),
    });
    // The refund happened before the crash: the reconcile finds it and the ledger replays it.
    const paid = createDesk();
    const ledger = new MemoryLedger();
    paid.refunds.push({ orderId: 'A-1001', amount: 49.9 });
    await ledger.append(started('crashed-run'));
    const again = await createExecutor(paid.tools, { ledger }).execute(
      'refund_order',
      { orderId: 'A-1001', amount: 49.9, reason: 'damaged' },
      { runId: 'r2' },
    );
    expect(again).toMatchObject({ ok: true, value: { refundId: 'R-A-1001', amount: 49.9 }, meta: { replayed: true } });
    expect(paid.refunds).toHaveLength(1);
    // It did not happen: the refund runs now, once.
    const unpaid = createDesk();
    const ledger2 = new MemoryLedger();
    await ledger2.append(started('crashed-run'));
    const now = await createExecutor(unpaid.tools, { ledger: ledger2 }).execute(
      'refund_order',
      { orderId: 'A-1001', amount: 49.9, reason: 'damaged' },
      { runId: 'r2' },
    );
    expect(now).toMatchObject({ ok: true, meta: { replayed: false } });
    expect(unpaid.refunds).toEqual([{ orderId: 'A-1001', amount: 49.9 }]);
  });
});
