// For every rule of the registry, a fixture agent that fails exactly that rule: the one change is made
// to the manifest, the policy, the code, the owners file, a playbook or an evidence report of an
// agent that passes everything, and the gate must report that rule (and no other) with its id and,
// for manifest, policy and code rules, the line of the change.
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateReadiness } from './evaluate.js';
import {
  COMMIT,
  edit,
  evaluateOptions,
  lineOf,
  makeFixture,
  passingEvidence,
  removeFixtures,
  writeEvidence,
  type EvidenceData,
} from './__fixtures__/harness.js';
import { RULES } from './rules/registry.js';
import type { RuleStatus } from './types.js';

interface Case {
  readonly rule: string;
  /** What the rule reports (default `fail`). */
  readonly status?: RuleStatus;
  readonly manifest?: readonly [string, string][];
  readonly policy?: readonly [string, string][];
  readonly source?: readonly [string, string][];
  readonly owners?: readonly [string, string][];
  readonly playbook?: { readonly file: string; readonly from: string; readonly to: string };
  readonly evidence?: (data: EvidenceData) => void;
  /** The result must point at the line of `file` holding `marker`. */
  readonly at?: { readonly file: 'agent.yaml' | 'policy.yaml' | 'src/tools.ts'; readonly marker: string };
}

const CASES: readonly Case[] = [
  {
    rule: 'BIZ-1',
    manifest: [
      [
        'problem: Support answers 12,000 order questions a month and each one waits 6 hours for a person.',
        'problem: Support answers order questions and each one waits hours for a person.',
      ],
    ],
    at: { file: 'agent.yaml', marker: 'problem: Support answers order questions' },
  },
  {
    rule: 'BIZ-2',
    manifest: [
      [
        '      - name: first-contact resolution\n        unit: percent\n        baseline: 60\n        target: 70\n        direction: increase\n',
        '',
      ],
    ],
    at: { file: 'agent.yaml', marker: 'kpis:' },
  },
  { rule: 'BIZ-3', manifest: [['paybackMonths: 4', 'paybackMonths: 30']], at: { file: 'agent.yaml', marker: 'paybackMonths: 30' } },
  {
    rule: 'BIZ-4',
    owners: [['    charter.dev/on-call: oncall/fixture-team\n', '    team-chat: fixture\n']],
    at: { file: 'agent.yaml', marker: 'owner: group:default/fixture-team' },
  },
  {
    rule: 'BIZ-5',
    status: 'fail',
    manifest: [
      [
        'hypothesis: Answering routine questions saves 1.5 FTE, about 90,000 USD a year, at under 0.05 USD a question.',
        'hypothesis: Answering routine questions saves time and money for the support team.',
      ],
    ],
    at: { file: 'agent.yaml', marker: 'hypothesis:' },
  },
  { rule: 'REL-1', manifest: [['successRate: 0.97', 'successRate: 0.8']], at: { file: 'agent.yaml', marker: 'successRate: 0.8' } },
  { rule: 'REL-2', manifest: [['maxSteps: 12', 'maxSteps: 60']], at: { file: 'agent.yaml', marker: 'maxSteps: 60' } },
  {
    rule: 'REL-3',
    source: [
      [
        '  timeoutMs: 5000,\n  retry: { attempts: 2 },\n  execute: ({ orderId }) => ({ status',
        '  retry: { attempts: 2 },\n  execute: ({ orderId }) => ({ status',
      ],
    ],
    at: { file: 'src/tools.ts', marker: 'export const lookupOrder = defineTool({' },
  },
  {
    rule: 'REL-4',
    source: [['  idempotencyKey: ({ orderId }) => `refund:${orderId}`,\n', '']],
    at: { file: 'src/tools.ts', marker: "sideEffects: 'irreversible'" },
  },
  {
    rule: 'REL-5',
    manifest: [
      [
        '      - { name: shadow, kind: shadow, weight: 0, stabilization: 7d }\n      - { name: canary, kind: canary, weight: 5, stabilization: 24h }\n',
        '      - { name: ramp, kind: progressive, weight: 10, stabilization: 24h }\n',
      ],
    ],
    at: { file: 'agent.yaml', marker: 'name: ramp, kind: progressive' },
  },
  { rule: 'REL-6', evidence: (e) => void (e['alert-rules'].promtool.tests[0] = { name: 'pages', expect: 'fires', ok: false }) },
  {
    rule: 'REL-7',
    evidence: (e) => {
      const suite = e['scenario-suite'];
      suite.passed = 23;
      const first = suite.scenarios[0];
      if (first) suite.scenarios[0] = { ...first, passed: false, failures: ['status escalated, expected completed'] };
    },
  },
  {
    rule: 'REL-8',
    evidence: (e) => void (e['scenario-suite'].coverage = e['scenario-suite'].coverage.filter((c) => c.category !== 'timeouts')),
  },
  {
    rule: 'REL-9',
    evidence: (e) => {
      const data = e.consistency;
      data.consistent = 23;
      const first = data.scenarios[0];
      if (first) data.scenarios[0] = { ...first, outcomes: 2, signatures: ['a1', 'b2', 'a1'] };
    },
  },
  { rule: 'REL-10', evidence: (e) => void (e.soak.effects.duplicated = 1) },
  {
    rule: 'OBS-1',
    evidence: (e) =>
      void (e.telemetry.metrics = e.telemetry.metrics.map((m) =>
        m.name === 'charter_guardrail_trips_total' ? { ...m, agents: ['another-agent'] } : m,
      )),
  },
  { rule: 'OBS-2', manifest: [['latencyP95Ms: 8000', 'latencyP95Ms: 1100']], at: { file: 'agent.yaml', marker: 'latencyP95Ms: 1100' } },
  { rule: 'OBS-3', evidence: (e) => void (e.telemetry.audit.sideEffectRecords = 1) },
  {
    rule: 'OBS-4',
    playbook: {
      file: 'tool-timeouts.md',
      from: 'alerts: [CharterToolTimeouts, CharterAgentLatencyBudgetBurn]',
      to: 'alerts: [CharterAgentLatencyBudgetBurn]',
    },
  },
  {
    rule: 'OBS-5',
    evidence: (e) =>
      void (e.telemetry.spans = e.telemetry.spans.map((s) =>
        s.operation === 'chat' ? { ...s, attributes: s.attributes.filter((a) => a !== 'gen_ai.usage.input_tokens') } : s,
      )),
  },
  { rule: 'OBS-6', evidence: (e) => void (e.telemetry.steps = { perceive: 1, decide: 2, act: 1 }) },
  { rule: 'FAL-1', manifest: [['      id: gpt-4.1-mini', '      id: gpt-4o-mini']], at: { file: 'agent.yaml', marker: 'fallback:' } },
  { rule: 'FAL-2', manifest: [['transcript: true', 'transcript: false']], at: { file: 'agent.yaml', marker: 'transcript: false' } },
  {
    rule: 'FAL-3',
    manifest: [['maxEscalationRate: 0.2', 'maxEscalationRate: 0.4']],
    at: { file: 'agent.yaml', marker: 'maxEscalationRate: 0.4' },
  },
  { rule: 'FAL-4', manifest: [['    - cost-runaway\n', '']], at: { file: 'agent.yaml', marker: 'playbooks:' } },
  { rule: 'FAL-5', evidence: (e) => void (e['kill-switch'].modelCalls = 1) },
  { rule: 'FAL-6', evidence: (e) => void (e['scenario-suite'].approvals = { paused: 1, approved: 1, denied: 0, resumedAsExpected: 1 }) },
  { rule: 'FAL-7', evidence: (e) => void (e['scenario-suite'].escalations.withPacket = 2) },
  { rule: 'SEC-1', policy: [['mode: enforce', 'mode: monitor']], at: { file: 'policy.yaml', marker: 'mode: monitor' } },
  // The schema itself rejects an irreversible tool without approval: the manifest has an issue, and the
  // gate still reads what it says and fails exactly SEC-2 (with the issue held against readiness).
  {
    rule: 'SEC-2',
    manifest: [['approval: when amount > 100', 'approval: never # refunds without a human']],
    at: { file: 'agent.yaml', marker: 'never # refunds' },
  },
  {
    rule: 'SEC-3',
    manifest: [['scopes: [payments:refund]', 'scopes: [payments:admin]']],
    source: [["scopes: ['payments:refund']", "scopes: ['payments:admin']"]],
    at: { file: 'agent.yaml', marker: 'payments:admin' },
  },
  { rule: 'SEC-4', manifest: [['retentionDays: 30', 'retentionDays: 120']], at: { file: 'agent.yaml', marker: 'retentionDays: 120' } },
  { rule: 'SEC-5', evidence: (e) => void (e['guardrail-eval'].injection = { cases: 16, blocked: 15, sideEffects: 0 }) },
  { rule: 'SEC-6', evidence: (e) => void (e['guardrail-eval'].secrets = { cases: 3, caught: 2 }) },
  {
    rule: 'SEC-7',
    source: [
      ["import { z } from 'zod';\n", "import { z } from 'zod';\n\nexport const paymentsKey = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc9aB';\n"],
    ],
    at: { file: 'src/tools.ts', marker: 'paymentsKey' },
  },
  {
    rule: 'SEC-8',
    policy: [
      [
        '    tool-result:\n      - detector: injection\n        action: deny',
        '    tool-result:\n      - detector: injection\n        action: redact # tool results',
      ],
    ],
    at: { file: 'policy.yaml', marker: 'redact # tool results' },
  },
  { rule: 'SEC-9', evidence: (e) => void (e['scenario-suite'].attacks = { total: 4, blocked: 3, sideEffects: 1 }) },
  { rule: 'PERF-1', evidence: (e) => void (e.bench.latencyMs.p95 = 9000) },
  { rule: 'PERF-2', evidence: (e) => void (e.bench.costUsd.mean = 0.06) },
  { rule: 'PERF-3', manifest: [['maxCostUsd: 0.25', 'maxCostUsd: 0.6']], at: { file: 'agent.yaml', marker: 'maxCostUsd: 0.6' } },
  { rule: 'PERF-4', evidence: (e) => void (e.bench.successRatio = 0.9) },
];

afterAll(() => {
  removeFixtures();
});

describe('the fixture agent', () => {
  it('passes every rule with its evidence: ready', { timeout: 180_000 }, async () => {
    const dir = makeFixture('base');
    writeEvidence(dir, passingEvidence());
    const report = await evaluateReadiness(evaluateOptions(dir));
    expect(report.results.filter((r) => r.status !== 'pass').map((r) => `${r.ruleId}: ${r.message}`)).toEqual([]);
    expect(report.ready).toBe(true);
    expect(report.commit).toBe(COMMIT);
    expect(report.lint).toMatchObject({ ran: true, files: 1, problems: 0 });
  });
});

describe('one fixture per rule fails exactly that rule', () => {
  it('covers every rule of the registry', () => {
    expect(CASES.map((c) => c.rule).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it.each(CASES.map((c) => [c.rule, c] as const))(
    '%s',
    async (_id, testCase) => {
      const dir = makeFixture(testCase.rule);
      for (const [from, to] of testCase.manifest ?? []) edit(dir, 'agent.yaml', from, to);
      for (const [from, to] of testCase.policy ?? []) edit(dir, 'policy.yaml', from, to);
      for (const [from, to] of testCase.source ?? []) edit(dir, 'src/tools.ts', from, to);
      for (const [from, to] of testCase.owners ?? []) edit(dir, 'owners.yaml', from, to);
      if (testCase.playbook) edit(dir, `playbooks/${testCase.playbook.file}`, testCase.playbook.from, testCase.playbook.to);
      const evidence = passingEvidence();
      testCase.evidence?.(evidence);
      writeEvidence(dir, evidence);

      const report = await evaluateReadiness(evaluateOptions(dir));
      const failing = report.results.filter((r) => r.status !== 'pass');
      expect(
        failing.map((r) => `${r.ruleId} ${r.status}`),
        failing.map((r) => `${r.ruleId}: ${r.message}`).join('\n'),
      ).toEqual([`${testCase.rule} ${testCase.status ?? 'fail'}`]);
      const result = failing[0];
      expect(result?.message.length).toBeGreaterThan(0);
      expect(result?.remediation.length).toBeGreaterThan(0);
      if (testCase.at) {
        const marker = testCase.at.marker.split('\n')[0] ?? '';
        expect(result?.location?.file).toBe(testCase.at.file);
        expect(result?.location?.line).toBe(lineOf(dir, testCase.at.file, marker));
      }
      // A blocker holds the agent; a warning never does.
      const rule = RULES.find((r) => r.id === testCase.rule);
      expect(report.ready).toBe(rule?.severity === 'warning' && report.issues.every((i) => i.severity !== 'error'));
    },
    180_000,
  );
});
