import { createExecutor, MemoryLedger } from '@charter/tools';
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
});
