import { join } from 'node:path';
import { loadAgent } from '@charter/spec';
import { describe, expect, it } from 'vitest';
import { Scenario } from './scenario.js';
import { loadDeskSpec, PACKAGE_ROOT, runScenario } from './suite.js';

const spec = loadDeskSpec();

/** One confirmation e-mail to `to`, approved by the lead when the run pauses. */
function email(to: readonly string[]): Scenario {
  return Scenario.parse({
    name: 'email-recipients',
    description: 'A confirmation e-mail to the given recipients.',
    category: 'approval',
    input: 'Please email me the status of order A-1001.',
    model: 'scripted',
    approval: { approved: true, approver: 'lead@support.acme-shop.example' },
    script: {
      turns: [
        { toolCalls: [{ tool: 'send_email', args: { to, subject: 'Your order A-1001', body: 'Your order was delivered.' } }] },
        { text: 'Sent.' },
      ],
    },
    expect: { status: 'completed' },
  });
}

describe('the desk agent, loaded from its manifest alone', () => {
  it('finds its policy through spec.policy, and the two files state nothing twice', () => {
    const loaded = loadAgent(join(PACKAGE_ROOT, 'agent.yaml'));
    expect(loaded.issues).toEqual([]);
    expect(loaded.policyFile).toBe(join(PACKAGE_ROOT, loaded.manifest?.spec.policy ?? ''));
    expect(spec.policy.spec.tools?.allow).toBeUndefined();
    expect(spec.policy.spec.tools?.rules.filter((rule) => rule.approval !== undefined)).toEqual([]);
  });

  it('send_email: the customer alone goes out; a copy to a support colleague waits for approval; four recipients are refused', async () => {
    const alone = await runScenario(spec, email(['ana@example.com']));
    expect(alone.paused).toBeUndefined();
    expect(alone.desk.outbox.map((mail) => mail.to)).toEqual([['ana@example.com']]);

    const copied = await runScenario(spec, email(['ana@example.com', 'lead@support.acme-shop.example']));
    expect(copied.paused?.approval).toMatchObject({ tool: 'send_email', ruleIds: ['tool.approval'] });
    expect(copied.paused?.approval?.reason).toContain('when to.length > 1');
    expect(copied.result.status).toBe('completed');
    expect(copied.desk.outbox).toHaveLength(1);

    const crowd = await runScenario(
      spec,
      email(['ana@example.com', 'a@support.acme-shop.example', 'b@support.acme-shop.example', 'c@support.acme-shop.example']),
    );
    expect(crowd.paused).toBeUndefined();
    expect(crowd.result.decisions.flatMap((decision) => decision.ruleIds)).toContain('tool.arg.max-items');
    expect(crowd.desk.outbox).toEqual([]);
  });
});
