import { describe, expect, it } from 'vitest';
import { loadManifest, loadPolicy } from './index.js';

const manifest = (tools: string) => `apiVersion: charter.dev/v1alpha1
kind: Agent
metadata: { name: shop, owner: "group:default/care" }
spec:
  businessCase:
    problem: A test shop agent that answers questions.
    users: [customers]
    kpis: [{ name: time, unit: hours, baseline: 9, target: 1, direction: decrease }]
    roi: { hypothesis: It saves the team a lot of time. }
  model: { provider: test, id: m }
  tools:
${tools}
  policy: ./policy.yaml
  budgets: { maxSteps: 8, maxTokens: 20000, maxCostUsd: 0.5, timeoutMs: 30000 }
  slos: { latencyP95Ms: 8000, successRate: 0.97, costPerRequestUsd: 0.05, maxEscalationRate: 0.2 }
  escalation: { channel: console, target: stderr }
  rollout: { stages: [{ name: full, kind: progressive, weight: 100, stabilization: 1h }] }
  data: { classification: internal, retentionDays: 30, pii: false }
`;

describe('provenance in the manifest and the policy', () => {
  it('a grant declares result trust, untrusted fields, intent words and free arguments', () => {
    const { value, issues } = loadManifest(
      manifest(`    - name: lookup_order
      version: ^1.0.0
      sideEffects: none
      provenance: { result: trusted, untrustedFields: [order.notes] }
    - name: refund_order
      version: ^1.0.0
      sideEffects: irreversible
      scopes: [payments:refund]
      approval: always
      provenance: { intent: [refund, money back], freeArgs: [reason] }`),
    );
    expect(issues).toEqual([]);
    expect(value?.spec.tools[0]?.provenance).toEqual({ result: 'trusted', untrustedFields: ['order.notes'], freeArgs: [] });
    expect(value?.spec.tools[1]?.provenance).toEqual({
      result: 'untrusted',
      untrustedFields: [],
      intent: ['refund', 'money back'],
      freeArgs: ['reason'],
    });
  });

  it('reports untrusted fields of an untrusted result and intent words on a tool without side effects, at the field', () => {
    const { issues } = loadManifest(
      manifest(`    - name: search_kb
      version: ^1.0.0
      sideEffects: none
      provenance: { untrustedFields: [body], intent: [search] }`),
    );
    expect(issues.map((issue) => [issue.code, issue.pointer])).toEqual([
      ['rule', '/spec/tools/0/provenance/untrustedFields'],
      ['rule', '/spec/tools/0/provenance/intent'],
    ]);
    expect(issues[0]?.line).toBe(15);
  });

  it('the policy states the provenance action; absent, the engine defaults apply', () => {
    const policy = (spec: string) =>
      loadPolicy(
        `apiVersion: charter.dev/v1alpha1\nkind: GuardrailPolicy\nmetadata: { name: p, owner: "group:default/x" }\nspec: { version: 1.0.0${spec} }\n`,
      );
    expect(policy(', provenance: { action: deny }').value?.spec.provenance).toEqual({ enabled: true, action: 'deny' });
    expect(policy('').value?.spec.provenance).toBeUndefined();
    expect(policy(', provenance: { action: allow }').issues[0]).toMatchObject({
      code: 'invalid-value',
      pointer: '/spec/provenance/action',
    });
  });
});
