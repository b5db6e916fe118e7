import { describe, expect, it } from 'vitest';
import { compileApprovalPolicy } from './approval.js';
import { crossCheck, unreachableBecause } from './cross-check.js';
import type { ArgumentConstraint } from './guardrail-policy.js';
import { loadManifest, loadPolicy } from './loader.js';

type Args = Readonly<Record<string, Partial<ArgumentConstraint>>>;
const dead = (approval: string, args: Args) => unreachableBecause(compileApprovalPolicy(approval), args);
const recipients = { domains: ['support.example'], context: ['customerEmail'] };

describe('unreachableBecause: an approval no permitted call can meet', () => {
  it('list length against maxItems (recipients take a string or a list; maxItems makes it a list)', () => {
    expect(dead('when to.length > 1', { to: { required: true, maxItems: 1, recipients } })).toEqual([{ path: 'to', key: 'maxItems' }]);
    expect(dead('when to.length > 1', { to: { maxItems: 3, recipients } })).toBeUndefined();
    expect(dead('when to.length >= 2', { to: { maxItems: 2 } })).toBeUndefined();
    // Lengths are whole numbers: nothing lies strictly between 1 and 2.
    expect(dead('when to.length > 1.5', { to: { maxItems: 1 } })).toEqual([{ path: 'to', key: 'maxItems' }]);
    expect(dead('when to.length == 2', { to: { maxItems: 1 } })).toEqual([{ path: 'to', key: 'maxItems' }]);
  });

  it('string length against maxLength', () => {
    expect(dead('when note.length > 5', { note: { maxLength: 5 } })).toEqual([{ path: 'note', key: 'maxLength' }]);
    expect(dead('when note.length > 4', { note: { maxLength: 5 } })).toBeUndefined();
    expect(dead('when note == "abcdef"', { note: { maxLength: 3 } })).toEqual([{ path: 'note', key: 'maxLength' }]);
    // Without maxLength or maxItems the argument may be a list or a string of any length.
    expect(dead('when note.length > 500', { note: { required: true } })).toBeUndefined();
  });

  it('numbers against min and max (inclusive, as the engine checks them)', () => {
    expect(dead('when amount > 600', { amount: { max: 500 } })).toEqual([{ path: 'amount', key: 'max' }]);
    expect(dead('when amount > 500', { amount: { max: 500 } })).toEqual([{ path: 'amount', key: 'max' }]);
    expect(dead('when amount >= 500', { amount: { max: 500 } })).toBeUndefined();
    expect(dead('when amount < 0', { amount: { min: 0.01, max: 500 } })).toEqual([{ path: 'amount', key: 'min' }]);
    expect(dead('when amount == 700', { amount: { max: 500 } })).toEqual([{ path: 'amount', key: 'max' }]);
    expect(dead('when amount > 100', { amount: { min: 0.01, max: 500 } })).toBeUndefined();
  });

  it('equality against an enum', () => {
    const reason = { enum: ['damaged', 'late', 'goodwill'] };
    expect(dead('when reason == "lost"', { reason })).toEqual([{ path: 'reason', key: 'enum' }]);
    expect(dead('when reason == "goodwill"', { reason })).toBeUndefined();
    expect(dead('when urgent == true', { urgent: { enum: [false] } })).toEqual([{ path: 'urgent', key: 'enum' }]);
    expect(dead('when amount > 100', { amount: { enum: [50, 100] } })).toEqual([{ path: 'amount', key: 'enum' }]);
    // The enum allows 900 but max does not: max is the cause.
    expect(dead('when amount == 900', { amount: { enum: [50, 900], max: 500 } })).toEqual([{ path: 'amount', key: 'max' }]);
  });

  it('`!=` holds on a missing argument: unreachable only when the one allowed value is required', () => {
    expect(dead('when priority != "low"', { priority: { enum: ['low'] } })).toBeUndefined();
    expect(dead('when priority != "low"', { priority: { enum: ['low'], required: true } })).toEqual([
      { path: 'priority', key: 'enum' },
      { path: 'priority', key: 'required' },
    ]);
  });

  it('`or` is unreachable only if every condition is; `and` if any is — or their combination is', () => {
    const args: Args = { amount: { max: 500 }, reason: { enum: ['damaged', 'goodwill'] } };
    expect(dead('when amount > 600 or reason == "goodwill"', args)).toBeUndefined();
    expect(dead('when amount > 600 or reason == "lost"', args)).toEqual([
      { path: 'amount', key: 'max' },
      { path: 'reason', key: 'enum' },
    ]);
    expect(dead('when amount > 100 and reason == "lost"', args)).toEqual([{ path: 'reason', key: 'enum' }]);
    expect(dead('when amount > 100 and reason == "goodwill"', args)).toBeUndefined();
    // Each condition alone has a value (50 < 200, 300 > 100); together none of the enum's values fits.
    expect(dead('when amount > 100 and amount < 200', { amount: { enum: [50, 300] } })).toEqual([{ path: 'amount', key: 'enum' }]);
  });

  it('fields inside an argument that can only be a number or a string are never there', () => {
    expect(dead('when refund.amount > 5', { refund: { max: 10 } })).toEqual([{ path: 'refund', key: 'max' }]);
    expect(dead('when refund.amount > 5', { refund: { required: true } })).toBeUndefined();
    expect(dead('when amount.length > 1', { amount: { min: 0 } })).toEqual([{ path: 'amount', key: 'min' }]);
  });

  it('leaves alone what no constraint causes: never, always, unconstrained fields, self-contradictions', () => {
    expect(dead('never', { amount: { max: 1 } })).toBeUndefined();
    expect(dead('always', { amount: { max: 1 } })).toBeUndefined();
    expect(dead('when amount > 600', { other: { max: 1 } })).toBeUndefined();
    expect(dead('when amount > 5 and amount < 3', { amount: { max: 500 } })).toBeUndefined();
  });
});

const MANIFEST = `apiVersion: charter.dev/v1alpha1
kind: Agent
metadata:
  name: shop
  owner: group:default/shop
spec:
  businessCase:
    problem: Customers wait a day for a refund of a damaged order.
    users: [customers]
    kpis:
      - { name: hours to refund, unit: hours, baseline: 24, target: 1, direction: decrease }
    roi:
      hypothesis: Refunding small orders at once keeps customers.
  model: { provider: offline, id: scripted }
  tools:
    - name: refund_order
      version: ^1.0.0
      sideEffects: irreversible
      scopes: [payments:refund]
      approval: when amount > 600
    - name: send_email
      version: ^1.0.0
      sideEffects: irreversible
      scopes: [email:send]
      approval: when to.length > 1
  policy: ./policy.yaml
  budgets: { maxSteps: 8, maxTokens: 20000, maxCostUsd: 0.5, timeoutMs: 30000 }
  slos: { latencyP95Ms: 8000, successRate: 0.97, costPerRequestUsd: 0.05, maxEscalationRate: 0.2 }
  escalation: { channel: console, target: stderr }
  rollout:
    stages:
      - { name: full, kind: progressive, weight: 100, stabilization: 1h }
  data: { classification: internal, retentionDays: 30, pii: false }
`;

const POLICY = `apiVersion: charter.dev/v1alpha1
kind: GuardrailPolicy
metadata:
  name: shop-policy
  owner: group:default/shop
spec:
  version: 1.0.0
  tools:
    allow: [refund_order, send_email, wipe_disk]
    rules:
      - tool: refund_order
        approval: when amount > 100
        args:
          amount: { required: true, max: 500 }
      - tool: send_email
        args:
          to: { required: true, maxItems: 1 }
`;

function check(manifestText: string, policyText: string) {
  const manifest = loadManifest({ text: manifestText, file: 'agent.yaml' });
  const policy = loadPolicy({ text: policyText, file: 'policy.yaml' });
  if (manifest.value === undefined || policy.value === undefined) throw new Error(JSON.stringify([...manifest.issues, ...policy.issues]));
  return crossCheck({
    manifest: manifest.value,
    manifestFile: 'agent.yaml',
    manifestText,
    policy: policy.value,
    policyFile: 'policy.yaml',
    policyText,
  });
}

const lineOf = (text: string, needle: string, from = 0) =>
  text.split('\n').findIndex((line, at) => at >= from && line.includes(needle)) + 1;

describe('crossCheck: what the policy restates or contradicts, with both positions', () => {
  const issues = check(MANIFEST, POLICY);
  const brief = issues.map((issue) => [
    issue.code,
    `${issue.file}:${issue.line}`,
    ...(issue.related ?? []).map((r) => `${r.file}:${r.line}`),
  ]);

  it('finds every problem, each an error', () => {
    expect(brief).toEqual([
      ['duplicate-statement', `policy.yaml:${lineOf(POLICY, 'allow:')}`, `agent.yaml:${lineOf(MANIFEST, '  tools:')}`],
      ['ungranted-tool', `policy.yaml:${lineOf(POLICY, 'allow:')}`, `agent.yaml:${lineOf(MANIFEST, '  tools:')}`],
      [
        'duplicate-statement',
        `policy.yaml:${lineOf(POLICY, 'approval: when amount > 100')}`,
        `agent.yaml:${lineOf(MANIFEST, 'approval: when amount > 600')}`,
      ],
      [
        'unreachable-approval',
        `agent.yaml:${lineOf(MANIFEST, 'approval: when amount > 600')}`,
        `policy.yaml:${lineOf(POLICY, 'max: 500')}`,
      ],
      [
        'unreachable-approval',
        `agent.yaml:${lineOf(MANIFEST, 'approval: when to.length > 1')}`,
        `policy.yaml:${lineOf(POLICY, 'maxItems: 1')}`,
      ],
    ]);
    expect(issues.every((issue) => issue.severity === 'error')).toBe(true);
  });

  it('says what to do, and where each side stands', () => {
    const [allow, wipe, approval, amount, to] = issues;
    expect(allow?.message).toContain('remove tools.allow');
    expect(allow?.message).toContain('only the policy names wipe_disk');
    expect(allow?.related?.[0]?.message).toBe('the manifest grants refund_order, send_email');
    expect(wipe?.message).toContain('"wipe_disk", which the manifest does not grant');
    expect(wipe?.pointer).toBe('/spec/tools/allow/2');
    expect(approval?.message).toContain('they disagree (policy: when amount > 100; manifest: when amount > 600)');
    expect(amount?.message).toContain(
      'the approval of "refund_order" (when amount > 600) can never apply: the policy\'s amount.max: 500 denies',
    );
    expect(to?.related?.[0]).toMatchObject({ file: 'policy.yaml', message: "the policy's constraint to.maxItems: 1" });
    // Positions cover the whole entry: `approval: when to.length > 1` and `maxItems: 1`.
    expect(to).toMatchObject({ column: 7, endColumn: 7 + 'approval: when to.length > 1'.length, pointer: '/spec/tools/1/approval' });
    const maxItems = POLICY.split('\n')[lineOf(POLICY, 'maxItems: 1') - 1] ?? '';
    expect(to?.related?.[0]).toMatchObject({ column: maxItems.indexOf('maxItems') + 1, endColumn: maxItems.indexOf('1 }') + 2 });
  });

  it('a rule for a tool the manifest does not grant, with a did-you-mean', () => {
    const text = POLICY.replace('    allow: [refund_order, send_email, wipe_disk]\n', '').replace(
      '- tool: send_email',
      '- tool: send_mail',
    );
    const typo = check(MANIFEST, text);
    expect(typo.filter((issue) => issue.code === 'ungranted-tool')).toEqual([
      expect.objectContaining({
        suggestion: 'send_email',
        pointer: '/spec/tools/rules/1/tool',
        line: lineOf(text, 'tool: send_mail'),
        message: expect.stringContaining(
          'the policy has a rule for "send_mail", which the manifest does not grant (did you mean "send_email"?)',
        ),
      }),
    ]);
  });

  it('an approval stated the same in both files is a duplicate, not a disagreement', () => {
    const same = check(MANIFEST, POLICY.replace('approval: when amount > 100', 'approval: when amount > 600'));
    expect(same.find((issue) => issue.code === 'duplicate-statement' && issue.pointer.endsWith('/approval'))?.message).toContain(
      'is stated in both files: state it once',
    );
  });

  it('a policy that only adds constraints to granted tools is clean', () => {
    const clean = POLICY.replace('    allow: [refund_order, send_email, wipe_disk]\n', '')
      .replace('        approval: when amount > 100\n', '')
      .replace('maxItems: 1', 'maxItems: 3')
      .replace('max: 500', 'max: 1000');
    expect(check(MANIFEST, clean)).toEqual([]);
  });
});
