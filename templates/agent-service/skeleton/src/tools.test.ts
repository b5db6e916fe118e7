// Contract tests of the two tools: what they accept and refuse, what they return, and that a
// side-effecting call names its effect (the idempotency key) so a retry never repeats it.
import { createExecutor, MemoryLedger } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { loadServiceAgent } from './agent.js';
import { createDesk, CREATE_TICKET_SIDE_EFFECTS } from './tools.js';

describe('the tools', () => {
  it('match the manifest: the same names, side effects, and versions in the granted ranges', () => {
    const agent = loadServiceAgent();
    const desk = createDesk();
    for (const grant of agent.manifest.spec.tools) {
      const tool = desk.tools.find((candidate) => candidate.name === grant.name);
      expect(tool, grant.name).toBeDefined();
      expect(tool?.sideEffects).toBe(grant.sideEffects);
    }
    expect(CREATE_TICKET_SIDE_EFFECTS).toMatch(/^(reversible|irreversible)$/);
  });

  it('lookup_request returns a request and refuses an id that is not one', async () => {
    const desk = createDesk();
    const executor = createExecutor(desk.tools, { ledger: new MemoryLedger() });
    const found = await executor.execute('lookup_request', { requestId: 'REQ-1001' }, { runId: 'r1' });
    expect(found).toMatchObject({ ok: true, value: { found: true, request: { status: 'open' } } });
    const bad = await executor.execute('lookup_request', { requestId: '1001; drop table' }, { runId: 'r1' });
    expect(bad).toMatchObject({ ok: false });
  });

  it('create_ticket opens one ticket per request, summary and priority, even when the call is repeated', async () => {
    const desk = createDesk();
    const executor = createExecutor(desk.tools, { ledger: new MemoryLedger() });
    const args = { requestId: 'REQ-1001', summary: 'Still broken.', priority: 'normal' };
    const first = await executor.execute('create_ticket', args, { runId: 'r1' });
    const again = await executor.execute('create_ticket', args, { runId: 'r2' });
    expect(first).toMatchObject({ ok: true, value: { ticketId: 'T-0001' } });
    expect(again).toMatchObject({ ok: true, value: { ticketId: 'T-0001' } });
    expect(desk.tickets).toHaveLength(1);
  });
});
