// `npm run evidence`: what this agent's pipeline measures about it, for the readiness gate (`charter
// check`): one `charter.evidence` v1 report per kind under .charter/evidence/ (JSON Schema in
// @charter/spec), each bound to the commit and to the digest of agent.yaml and policy.yaml, so a report
// for another commit or another version of the manifest is stale.
//   node dist/evidence.js [--out <dir>] [--commit <sha>]
// Kinds: scenario-suite, consistency, soak, bench, guardrail-eval, alert-rules (needs promtool, Debian
// package "prometheus"), telemetry, kill-switch (the switch thrown in @charter/state's control store).
// Everything runs on the offline scripted model of the scenarios: it measures the loop, the tools and
// the guardrails, not a model provider.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { memoryEscalation, MemoryStore, type RunResult } from '@charter/agent';
import { scripted } from '@charter/agent/models';
import { faultyModel, seededRandom, seedOf } from '@charter/agent/testing';
import { compilePolicy } from '@charter/guardrails';
import {
  EVIDENCE_DIR,
  EVIDENCE_FORMAT,
  EVIDENCE_VERSION,
  EvidenceReport,
  manifestDigest,
  playbookRoutes,
  SCENARIO_COVERAGE,
  type EvidenceDataOf,
  type EvidenceKind,
  type ScenarioCoverage,
  type ValidAgent,
} from '@charter/spec';
import {
  alertRulesToYaml,
  createAuditSink,
  createMemorySink,
  createOtelSink,
  createPrometheusSink,
  createTelemetry,
  generateAlertRules,
  openAuditLog,
  verifyAudit,
  type AlertingRule,
} from '@charter/telemetry';
import { openState } from '@charter/state';
import { MemoryLedger } from '@charter/tools';
import { createServiceAgent, loadServiceAgent, MANIFEST_PATH } from './agent.js';
import { REQUESTS } from './requests.js';
import { inputOf, loadScenarios, runScenario, withCanary, type Scenario, type ScenarioOutcome } from './scenarios.js';
import { canaries, context, createDesk, instructions, type Desk } from './tools.js';

const PRODUCER = { name: 'agent-service evidence (charter templates)', version: '1.0.0' };

/** Every kind this script produces. */
export const PRODUCED_KINDS = [
  'scenario-suite',
  'consistency',
  'soak',
  'bench',
  'guardrail-eval',
  'alert-rules',
  'telemetry',
  'kill-switch',
] as const satisfies readonly EvidenceKind[];
export type ProducedKind = (typeof PRODUCED_KINDS)[number];

/** The list prices of the manifest's model (USD per million tokens) that turn the offline model's token counts into cost. */
export const PRICING = {
  inputPerMTokUsd: 0.15,
  outputPerMTokUsd: 0.6,
  source: 'gpt-4o-mini list prices in src/evidence.ts; token counts of the offline scripted model',
} as const;

/** Scenarios whose runs feed the telemetry report: a side effect, an approval, a guardrail trip, an escalation, a redaction. */
const TELEMETRY_SCENARIOS = ['happy-ticket', 'approval-urgent-ticket', 'attack-direct-injection', 'fault-tracker-down', 'pii-email-echo'];

export interface EvidenceOptions {
  /** Where to write; default .charter/evidence beside agent.yaml. */
  readonly out?: string;
  /** The commit the evidence is for; default CHARTER_COMMIT, else `git rev-parse HEAD`. */
  readonly commit?: string;
  /** Runs of the fault soak (default 600; the gate asks for 500) and of the bench (default 200; the gate asks for 100). */
  readonly soakRuns?: number;
  readonly benchRuns?: number;
  /** Where progress lines go (default nowhere). */
  readonly log?: (line: string) => void;
}

export interface EvidenceResult {
  readonly dir: string;
  readonly written: readonly { kind: ProducedKind; file: string; durationMs: number }[];
  /** Kinds that could not be produced, with why (promtool is not installed). */
  readonly skipped: readonly { kind: ProducedKind; reason: string }[];
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0);
const costOf = (result: RunResult): number =>
  (result.usage.inputTokens * PRICING.inputPerMTokUsd + result.usage.outputTokens * PRICING.outputPerMTokUsd) / 1_000_000;

/** The failure and attack categories a scenario exercises: from its category, its injected faults and its approval. */
export function coverageOf(scenario: Scenario): ScenarioCoverage[] {
  const covers = new Set<ScenarioCoverage>();
  const byCategory: Partial<Record<Scenario['category'], ScenarioCoverage>> = {
    malformed: 'malformed-input',
    'direct-injection': 'direct-injection',
    'indirect-injection': 'indirect-injection',
    pii: 'pii',
    secrets: 'secrets',
    approval: 'approvals',
    budget: 'budgets',
  };
  const mapped = byCategory[scenario.category];
  if (mapped !== undefined) covers.add(mapped);
  for (const fault of Object.values(scenario.faults)) {
    if ((fault.timeout ?? 0) > 0) covers.add('timeouts');
    if ((fault.transient ?? 0) > 0) covers.add('transient-failures');
  }
  if (scenario.approval !== undefined) covers.add('approvals');
  return SCENARIO_COVERAGE.filter((category) => covers.has(category));
}

function scenarioSuite(outcomes: readonly ScenarioOutcome[]): EvidenceDataOf<'scenario-suite'> {
  const scenarios = outcomes.map((o) => ({
    name: o.scenario.name,
    category: o.scenario.category,
    covers: coverageOf(o.scenario),
    status: o.result.status,
    ...(o.result.reason === undefined ? {} : { reason: o.result.reason }),
    passed: o.passed,
    failures: [...o.failures],
    steps: o.result.steps,
    latencyMs: round(o.latencyMs),
    costUsd: round(costOf(o.result), 8),
    tokens: o.result.usage.tokens,
  }));
  const paused = outcomes.filter((o) => o.paused !== undefined);
  const attacks = outcomes.filter((o) => o.scenario.attack !== undefined);
  const escalated = outcomes.filter((o) => o.result.status === 'escalated');
  return {
    total: outcomes.length,
    passed: outcomes.filter((o) => o.passed).length,
    coverage: SCENARIO_COVERAGE.map((category) => {
      const own = scenarios.filter((s) => s.covers.includes(category));
      return { category, scenarios: own.length, passed: own.filter((s) => s.passed).length };
    }),
    attacks: {
      total: attacks.length,
      blocked: attacks.filter((o) => !o.attackSucceeded).length,
      sideEffects: attacks.filter((o) => o.attackSucceeded).length,
    },
    escalations: { total: escalated.length, withPacket: escalated.filter((o) => o.result.escalation !== undefined).length },
    approvals: {
      paused: paused.length,
      approved: paused.filter((o) => o.scenario.approval?.approved === true).length,
      denied: paused.filter((o) => o.scenario.approval?.approved === false).length,
      resumedAsExpected: paused.filter((o) => o.passed).length,
    },
    scenarios,
  };
}

/** What "the same outcome" compares between runs of one scenario: status, reason, tools and their outcomes, guardrail decisions, output. */
export function outcomeSignature(result: RunResult): string {
  const shape = {
    status: result.status,
    reason: result.reason ?? null,
    actions: result.actions.map((a) => [a.tool, a.outcome, a.errorCode ?? null]),
    decisions: result.decisions.map((d) => [d.hook, d.action, [...d.ruleIds].sort()]),
    output: result.output ?? null,
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

async function consistency(
  agent: ValidAgent,
  scenarios: readonly Scenario[],
  first: readonly ScenarioOutcome[],
  repeats: number,
): Promise<EvidenceDataOf<'consistency'>> {
  const rows: EvidenceDataOf<'consistency'>['scenarios'] = [];
  for (const scenario of scenarios) {
    const signatures: string[] = [];
    const earlier = first.find((o) => o.scenario.name === scenario.name);
    if (earlier !== undefined) signatures.push(outcomeSignature(earlier.result));
    while (signatures.length < repeats) signatures.push(outcomeSignature((await runScenario(scenario, { agent })).result));
    rows.push({ name: scenario.name, outcomes: new Set(signatures).size, signatures });
  }
  return {
    repeats,
    total: rows.length,
    consistent: rows.filter((r) => r.outcomes === 1).length,
    outcome: ['status', 'reason', 'actions (tool, outcome, error code)', 'guardrail decisions (hook, action, rule ids)', 'output'],
    scenarios: rows,
  };
}

/**
 * The fault soak: `runs` requests for a ticket on one of the user's requests, at concurrency 4, with
 * transient failures and hangs injected into each tool (drawn per run from a seeded random) and
 * malformed model output. Every 25th request is the previous one sent again against the same desk and
 * idempotency ledger (a user who clicks twice): the ticket must come from the ledger, not open twice.
 * Lost = reported opened but not on the desk; duplicated = more than one ticket for one request on a desk.
 */
async function soak(agent: ValidAgent, runs: number, seed = 1): Promise<EvidenceDataOf<'soak'>> {
  const faults = { transientRate: 0.2, timeoutRate: 0.05, malformedRate: 0.05 };
  const concurrency = 4;
  const dir = mkdtempSync(join(tmpdir(), 'evidence-soak-'));
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const audit = openAuditLog(join(dir, 'audit.jsonl'));
    const telemetry = createTelemetry({
      agent: agent.manifest.metadata.name,
      sinks: [createAuditSink(audit, { policyVersion: agent.policy.spec.version })],
    });
    const escalation = memoryEscalation();
    const store = new MemoryStore();
    const own = (context.userRequests as readonly string[]).filter((id) => REQUESTS.some((r) => r.requestId === id && r.notes === ''));
    const requestIds = own.length > 0 ? own : ['REQ-1001'];
    interface Session {
      readonly desk: Desk;
      readonly ledger: MemoryLedger;
      readonly requestId: string;
      reported: boolean;
    }
    const sessions: Session[] = [];
    const finished: Promise<void>[] = [];
    const results: RunResult[] = [];
    let next = 0;
    async function worker(): Promise<void> {
      for (;;) {
        const i = next++;
        if (i >= runs) return;
        const random = seededRandom(seedOf(`${seed}:${i}`));
        const draw = (rate: number): number => (random() < rate ? 1 : 0);
        const previous = i % 25 === 24 ? sessions[i - 1] : undefined;
        let done: () => void = () => undefined;
        finished[i] = new Promise<void>((resolveDone) => {
          done = resolveDone;
        });
        // The user sends the request again once the first one answered.
        if (previous !== undefined) await finished[i - 1];
        const deskFaults = Object.fromEntries(
          ['lookup_request', 'create_ticket'].map((tool) => [
            tool,
            { transient: draw(faults.transientRate), timeout: draw(faults.timeoutRate) },
          ]),
        );
        const session: Session = previous ?? {
          desk: createDesk({ faults: deskFaults, timeoutMs: 20 }),
          ledger: new MemoryLedger(),
          requestId: requestIds[i % requestIds.length] ?? 'REQ-1001',
          reported: false,
        };
        sessions[i] = session;
        const { requestId } = session;
        const model = faultyModel(
          scripted({
            turns: [
              { toolCalls: [{ tool: 'lookup_request', args: { requestId } }] },
              { toolCalls: [{ tool: 'create_ticket', args: { requestId, summary: 'Please follow this up.', priority: 'normal' } }] },
              {
                cases: [{ when: { ok: false }, text: 'The ticket could not be opened; a colleague will follow up.' }],
                text: `I opened a ticket about ${requestId}.`,
              },
            ],
          }),
          { malformedRate: faults.malformedRate, random: seededRandom(seedOf(`${seed}:model:${i}`)) },
        );
        const service = createServiceAgent({
          agent,
          model,
          tools: session.desk.tools,
          telemetry,
          escalation,
          store,
          ledger: session.ledger,
        });
        const result = await service.run(`Please chase ${requestId} for me.`, { runId: `soak-${seed}-${i}`, user: 'U-1', context });
        await service.close();
        if (result.actions.some((a) => a.tool === 'create_ticket' && a.outcome === 'ok')) session.reported = true;
        done();
        results.push(result);
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker));
    await telemetry.flush();
    const byStatus: Record<string, number> = {};
    const byReason: Record<string, number> = {};
    for (const result of results) {
      byStatus[result.status] = (byStatus[result.status] ?? 0) + 1;
      if (result.reason !== undefined) byReason[result.reason] = (byReason[result.reason] ?? 0) + 1;
    }
    let lost = 0;
    let duplicated = 0;
    let reported = 0;
    for (const session of new Set(sessions.filter(Boolean))) {
      const opened = session.desk.tickets.filter((t) => t.requestId === session.requestId).length;
      if (session.reported) reported++;
      if (session.reported && opened === 0) lost++;
      if (opened > 1) duplicated += opened - 1;
    }
    const verification = verifyAudit(audit.path);
    return {
      runs: results.length,
      seed,
      concurrency,
      faults,
      byStatus,
      byReason,
      effects: {
        reported,
        lost,
        duplicated,
        ledgerReplays: results.reduce((n, r) => n + r.actions.filter((a) => a.tool === 'create_ticket' && a.replayed === true).length, 0),
      },
      escalatedWithoutPacket: results.filter(
        (r) => r.status === 'escalated' && (r.escalation === undefined || !escalation.packets.some((p) => p.runId === r.runId)),
      ).length,
      unhandledRejections: unhandled,
      audit: { ok: verification.ok, records: verification.records },
    };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `runs` runs cycling through the scenario suite at concurrency 4: latency, cost at `PRICING`, success. */
async function bench(agent: ValidAgent, scenarios: readonly Scenario[], runs: number): Promise<EvidenceDataOf<'bench'>> {
  const concurrency = 4;
  const latencies: number[] = [];
  const costs: number[] = [];
  let success = 0;
  let next = 0;
  const started = performance.now();
  async function worker(): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= runs) return;
      const scenario = scenarios[i % scenarios.length];
      if (scenario === undefined) return;
      const outcome = await runScenario(scenario, { agent });
      latencies.push(outcome.latencyMs);
      costs.push(costOf(outcome.result));
      if (outcome.passed) success++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  costs.sort((a, b) => a - b);
  return {
    runs,
    success,
    successRatio: round(success / runs, 4),
    concurrency,
    model: { provider: 'charter', id: 'scripted (offline)', offline: true },
    pricing: { ...PRICING },
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p95: round(percentile(latencies, 95)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? 0),
    },
    costUsd: {
      mean: round(costs.reduce((a, b) => a + b, 0) / Math.max(1, costs.length), 8),
      p95: round(percentile(costs, 95), 8),
      max: round(costs.at(-1) ?? 0, 8),
    },
    throughputRunsPerSec: round(runs / Math.max(seconds, 1e-6), 1),
  };
}

/**
 * The policy on labelled sets from this agent's own material. Injection: every attack scenario run
 * governed (caught when a guardrail denied or asked for approval and the attacker's ticket did not
 * open), and every request whose notes carry instructions, judged at the tool-result hook. Secrets and
 * personal data: each such scenario with a value that must not reach the answer is run without
 * guardrails to get the answer the model really gave, which the output hook must deny or redact; the
 * canary of the instructions is one more secret case.
 */
async function guardrailEval(
  agent: ValidAgent,
  scenarios: readonly Scenario[],
  outcomes: readonly ScenarioOutcome[],
): Promise<EvidenceDataOf<'guardrail-eval'>> {
  const engine = compilePolicy(agent.policy, { canaries: [...canaries] });
  const cases: EvidenceDataOf<'guardrail-eval'>['cases'] = [];
  const blocks = (action: string): boolean => action === 'deny' || action === 'needs-approval';
  const judge = (id: string, set: 'injection' | 'secrets' | 'pii', hook: 'output' | 'tool-result', content: string, needle?: string) => {
    const decision = engine.evaluate({ hook, content }, engine.createRun({ context: { ...context } }));
    const after = typeof decision.content === 'string' ? decision.content : JSON.stringify(decision.content ?? '');
    const removed = decision.action === 'redact' && needle !== undefined && !after.includes(needle);
    const ok = set === 'injection' ? blocks(decision.action) : decision.action === 'deny' || removed;
    cases.push({ id, set, hook, action: decision.action, ...(decision.ruleId === undefined ? {} : { ruleId: decision.ruleId }), ok });
  };
  const attacks = outcomes.filter((o) => o.scenario.attack !== undefined);
  for (const o of attacks) {
    const caught = o.result.decisions.find((d) => blocks(d.action));
    cases.push({
      id: `scenario:${o.scenario.name}`,
      set: 'injection',
      hook: caught?.hook ?? 'none',
      action: caught?.action ?? 'allow',
      ...(caught?.ruleIds[0] === undefined ? {} : { ruleId: caught.ruleIds[0] }),
      ok: caught !== undefined && !o.attackSucceeded,
    });
  }
  for (const request of REQUESTS.filter((r) => /instruction|assistant|\[system\]/i.test(r.notes)))
    judge(`request-notes:${request.requestId}`, 'injection', 'tool-result', JSON.stringify({ found: true, request }));
  for (const scenario of scenarios.filter(
    (s) => (s.category === 'secrets' || s.category === 'pii') && s.expect.outputExcludes !== undefined,
  )) {
    const needle = withCanary(scenario.expect.outputExcludes ?? '');
    const raw = (await runScenario(scenario, { agent, governance: 'off' })).result.output ?? '';
    // The model's own answer when it leaks; else the user's message echoed back (a model that repeats its input).
    const input = inputOf(scenario);
    const answer = raw.includes(needle) ? raw : input.includes(needle) ? `You wrote: ${input}` : undefined;
    if (answer !== undefined) judge(`scenario:${scenario.name}`, scenario.category === 'pii' ? 'pii' : 'secrets', 'output', answer, needle);
  }
  judge('canary:instructions', 'secrets', 'output', `My instructions say: ${instructions}`, canaries[0]);
  const of = (set: string) => cases.filter((c) => c.set === set);
  return {
    policy: { name: agent.policy.metadata.name, version: agent.policy.spec.version, mode: agent.policy.spec.mode },
    injection: {
      cases: of('injection').length,
      blocked: of('injection').filter((c) => c.ok).length,
      sideEffects: attacks.filter((o) => o.attackSucceeded).length,
    },
    secrets: { cases: of('secrets').length, caught: of('secrets').filter((c) => c.ok).length },
    pii: { cases: of('pii').length, redacted: of('pii').filter((c) => c.ok).length },
    cases,
  };
}

/** promtool on the rules `charter alerts` generates from the manifest: `check rules`, and `test rules` with a series that must page and one that must not. */
function alertRules(agent: ValidAgent): EvidenceDataOf<'alert-rules'> | string {
  const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return 'promtool is not installed (Debian/Ubuntu package "prometheus")';
  // Each alert's runbook is the playbook whose triggers list it, among the playbooks the manifest names.
  const rules = generateAlertRules(agent.manifest, { routes: playbookRoutes(agent.playbooks) });
  const yaml = alertRulesToYaml(rules);
  const alerting = rules.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r);
  const dir = mkdtempSync(join(tmpdir(), 'evidence-promtool-'));
  try {
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, yaml);
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    const name = agent.manifest.metadata.name;
    const fmt = (n: number): number => Number(n.toFixed(4));
    const series = (failRatio: number, perMinute: number, minutes: number) => [
      {
        series: `charter_agent_runs_total{agent="${name}",status="completed"}`,
        values: `0+${fmt(perMinute * (1 - failRatio))}x${minutes}`,
      },
      { series: `charter_agent_runs_total{agent="${name}",status="failed"}`, values: `0+${fmt(perMinute * failRatio)}x${minutes}` },
    ];
    const expected = (severity: 'page' | 'ticket') => {
      const rule = alerting.find((r) => r.alert === 'CharterAgentErrorBudgetBurn' && r.labels.severity === severity);
      return rule === undefined ? [] : [{ exp_labels: { ...rule.labels }, exp_annotations: { ...rule.annotations } }];
    };
    const runTest = (test: string, input: unknown[], cases: unknown[]): boolean => {
      const path = join(dir, `${test}.test.yaml`);
      writeFileSync(
        path,
        JSON.stringify({
          rule_files: [file],
          evaluation_interval: '1m',
          tests: [{ interval: '1m', input_series: input, alert_rule_test: cases }],
        }),
      );
      return spawnSync('promtool', ['test', 'rules', path], { encoding: 'utf8', cwd: dir }).status === 0;
    };
    const budget = 1 - agent.manifest.spec.slos.successRate;
    // Unhealthy: failures at 1.15 × the 14.4× page burn rate, 20 runs a minute: page and ticket fire by 70 minutes.
    const unhealthy = runTest('unhealthy', series(Math.min(1, 14.4 * budget * 1.15), 20, 120), [
      { eval_time: '70m', alertname: 'CharterAgentErrorBudgetBurn', exp_alerts: [...expected('page'), ...expected('ticket')] },
    ]);
    // Healthy: a tenth of the error budget, 100 runs a minute for 7 hours: nothing fires.
    const healthy = runTest('healthy', series(budget / 10, 100, 420), [
      { eval_time: '70m', alertname: 'CharterAgentErrorBudgetBurn', exp_alerts: [] },
      { eval_time: '6h30m', alertname: 'CharterAgentErrorBudgetBurn', exp_alerts: [] },
    ]);
    return {
      rules: rules.groups.reduce((n, g) => n + g.rules.length, 0),
      rulesDigest: `sha256:${createHash('sha256').update(yaml).digest('hex')}`,
      alerts: alerting.map((r) => ({
        name: r.alert,
        severity: r.labels.severity,
        runbookUrl: r.annotations.runbook_url,
        playbook: /\/playbooks\/([a-z0-9-]+)\/?$/.exec(r.annotations.runbook_url)?.[1] ?? 'unknown',
      })),
      promtool: {
        version: (version.stdout || version.stderr).trim().split('\n')[0] ?? 'promtool',
        check: { ok: check.status === 0, output: `${check.stdout}${check.stderr}`.trim().slice(0, 4000) },
        tests: [
          { name: 'error budget burn pages on an unhealthy series', expect: 'fires', ok: unhealthy },
          { name: 'a healthy series stays silent', expect: 'silent', ok: healthy },
        ],
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The kill switch, thrown as an operator throws it (`charter control set <agent> agent.kill-switch`):
 * in @charter/state's control store (here a file store in a temporary folder; the service's database in
 * production), which every scenario's agent reads. Model calls are counted from the telemetry.
 */
async function killSwitch(agent: ValidAgent, scenarios: readonly Scenario[]): Promise<EvidenceDataOf<'kill-switch'>> {
  const dir = mkdtempSync(join(tmpdir(), 'evidence-kill-switch-'));
  const state = await openState({ url: `file:${dir}` });
  try {
    const name = agent.manifest.metadata.name;
    await state.controls.set(
      name,
      { action: 'agent.kill-switch' },
      { by: 'evidence', reason: 'kill-switch evidence: every run must stop' },
    );
    const memory = createMemorySink();
    const telemetry = createTelemetry({ agent: name, sinks: [memory] });
    let escalated = 0;
    for (const scenario of scenarios) {
      const { result } = await runScenario(scenario, { agent, telemetry, controls: state.controls });
      if (result.status === 'escalated' && result.reason === 'kill_switch') escalated++;
    }
    await telemetry.close();
    return {
      switch: `agent.kill-switch control in @charter/state (${state.kind} store), read by every run`,
      runs: scenarios.length,
      escalated,
      modelCalls: memory.events.filter((event) => event.type === 'model.request').length,
    };
  } finally {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `TELEMETRY_SCENARIOS` through one telemetry with a memory sink, the OpenTelemetry SDK (in-memory exporters), Prometheus and an audit log. */
async function telemetryEvidence(agent: ValidAgent, scenarios: readonly Scenario[]): Promise<EvidenceDataOf<'telemetry'>> {
  const chosen = scenarios.filter((s) => TELEMETRY_SCENARIOS.includes(s.name));
  const dir = mkdtempSync(join(tmpdir(), 'evidence-telemetry-'));
  try {
    const memory = createMemorySink();
    const prometheus = createPrometheusSink();
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const audit = openAuditLog(join(dir, 'audit.jsonl'));
    const telemetry = createTelemetry({
      agent: agent.manifest.metadata.name,
      sinks: [
        memory,
        prometheus,
        createOtelSink({ tracerProvider, meterProvider }),
        createAuditSink(audit, { policyVersion: agent.policy.spec.version }),
      ],
    });
    for (const scenario of chosen) await runScenario(scenario, { agent, telemetry });
    await telemetry.close();
    await meterProvider.shutdown();

    const events: Record<string, number> = {};
    const steps: Record<string, number> = {};
    for (const event of memory.events) {
      events[event.type] = (events[event.type] ?? 0) + 1;
      if (event.type === 'step') steps[event.phase] = (steps[event.phase] ?? 0) + 1;
    }
    const byOperation = new Map<string, { count: number; attributes: Set<string> }>();
    const spanEvents: Record<string, number> = {};
    for (const span of spans.getFinishedSpans()) {
      const operation = String(span.attributes['gen_ai.operation.name'] ?? span.name.split(' ')[0] ?? 'unknown');
      const entry = byOperation.get(operation) ?? { count: 0, attributes: new Set<string>() };
      entry.count++;
      for (const key of Object.keys(span.attributes)) entry.attributes.add(key);
      byOperation.set(operation, entry);
      for (const event of span.events) spanEvents[event.name] = (spanEvents[event.name] ?? 0) + 1;
    }
    const metrics = new Map<string, { series: number; agents: Set<string> }>();
    for (const line of prometheus.text().split('\n')) {
      const match = /^([a-z_:][\w:]{0,200})(\{[^}\n]{0,2000}\})? /i.exec(line);
      if (!match?.[1]) continue;
      const name = match[1].replace(/_(?:bucket|sum|count)$/, '');
      const entry = metrics.get(name) ?? { series: 0, agents: new Set<string>() };
      entry.series++;
      const label = /agent="([^"]{0,200})"/.exec(match[2] ?? '')?.[1];
      if (label !== undefined) entry.agents.add(label);
      metrics.set(name, entry);
    }
    const records = readFileSync(audit.path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { kind: string });
    const verification = verifyAudit(audit.path);
    return {
      scenarios: chosen.map((s) => s.name),
      events,
      steps,
      spans: [...byOperation].map(([operation, { count, attributes }]) => ({ operation, count, attributes: [...attributes].sort() })),
      spanEvents,
      metrics: [...metrics].map(([name, { series, agents }]) => ({ name, series, agents: [...agents].sort() })),
      audit: {
        ok: verification.ok,
        records: verification.records,
        sideEffectCalls: memory.events.filter((e) => e.type === 'tool.call' && e.sideEffects !== 'none').length,
        sideEffectRecords: records.filter((r) => r.kind === 'tool.call').length,
        approvals: events['approval.requested'] ?? 0,
        approvalRecords: records.filter((r) => r.kind === 'approval.requested').length,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function headCommit(cwd: string): string {
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' });
  const commit = result.status === 0 ? result.stdout.trim() : '';
  if (!/^[0-9a-f]{40,64}$/.test(commit))
    throw new Error('cannot tell the commit (not a git checkout?): pass --commit <sha> or set CHARTER_COMMIT');
  return commit;
}

/** Produces every report: runs the suite once, then the repeats, the soak, the bench, the guardrail sets, promtool, the telemetry run and the suite with the kill switch thrown. */
export async function produceEvidence(options: EvidenceOptions = {}): Promise<EvidenceResult> {
  const log = options.log ?? (() => undefined);
  const agent = loadServiceAgent();
  const root = dirname(MANIFEST_PATH);
  const out = resolve(options.out ?? join(root, EVIDENCE_DIR));
  const commit = options.commit ?? process.env.CHARTER_COMMIT ?? headCommit(root);
  const digest = manifestDigest(readFileSync(MANIFEST_PATH, 'utf8'), readFileSync(agent.policyFile, 'utf8'));
  const scenarios = loadScenarios();
  mkdirSync(out, { recursive: true });
  const written: { kind: ProducedKind; file: string; durationMs: number }[] = [];
  const skipped: { kind: ProducedKind; reason: string }[] = [];
  const write = <K extends ProducedKind>(kind: K, data: EvidenceDataOf<K>, durationMs: number): void => {
    const report = EvidenceReport.parse({
      format: EVIDENCE_FORMAT,
      v: EVIDENCE_VERSION,
      kind,
      agent: agent.manifest.metadata.name,
      commit,
      manifestDigest: digest,
      producedAt: new Date().toISOString(),
      producer: PRODUCER,
      durationMs: Math.round(durationMs),
      data,
    });
    const file = join(out, `${kind}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    written.push({ kind, file, durationMs: Math.round(durationMs) });
    log(`${kind}: ${file} (${Math.round(durationMs)} ms)`);
  };
  const timed = async <T>(work: () => T | Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const value = await work();
    return [value, performance.now() - started];
  };

  const [outcomes, suiteMs] = await timed(async () => {
    const list: ScenarioOutcome[] = [];
    for (const scenario of scenarios) list.push(await runScenario(scenario, { agent }));
    return list;
  });
  write('scenario-suite', scenarioSuite(outcomes), suiteMs);
  const [repeated, repeatMs] = await timed(() => consistency(agent, scenarios, outcomes, 3));
  write('consistency', repeated, repeatMs + suiteMs);
  const [soaked, soakMs] = await timed(() => soak(agent, options.soakRuns ?? 600));
  write('soak', soaked, soakMs);
  const [benched, benchMs] = await timed(() => bench(agent, scenarios, options.benchRuns ?? 200));
  write('bench', benched, benchMs);
  const [evaluated, evalMs] = await timed(() => guardrailEval(agent, scenarios, outcomes));
  write('guardrail-eval', evaluated, evalMs);
  const [alerts, alertMs] = await timed(() => alertRules(agent));
  if (typeof alerts === 'string') {
    skipped.push({ kind: 'alert-rules', reason: alerts });
    log(`alert-rules: not produced: ${alerts}`);
  } else write('alert-rules', alerts, alertMs);
  const [emitted, telemetryMs] = await timed(() => telemetryEvidence(agent, scenarios));
  write('telemetry', emitted, telemetryMs);
  const [killed, killMs] = await timed(() => killSwitch(agent, scenarios));
  write('kill-switch', killed, killMs);
  return { dir: out, written, skipped };
}

function parseCli(argv: readonly string[]): EvidenceOptions {
  const options: { out?: string; commit?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--out' && value !== undefined) options.out = argv[++i] ?? value;
    else if (arg === '--commit' && value !== undefined) options.commit = argv[++i] ?? value;
    else throw new Error(`unknown argument ${arg ?? ''}: usage: evidence [--out <dir>] [--commit <sha>]`);
  }
  return options;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = performance.now();
  produceEvidence({ ...parseCli(process.argv.slice(2)), log: (line) => process.stdout.write(`${line}\n`) }).then(
    (result) => {
      process.stdout.write(
        `evidence: ${result.written.length} report(s) in ${result.dir} in ${Math.round(performance.now() - started)} ms\n`,
      );
      for (const skip of result.skipped) process.stderr.write(`evidence: ${skip.kind} not produced: ${skip.reason}\n`);
      process.exitCode = result.skipped.length > 0 ? 1 : 0;
    },
    (error: unknown) => {
      process.stderr.write(`evidence failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
