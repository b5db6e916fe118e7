// Builds fixture agents for the tests: a copy of ./agent (a small agent that passes every rule) in a
// folder inside this package (so its sources resolve @charter/tools and zod through the workspace's
// node_modules for type-aware lint), with the repository's playbooks, and evidence written for it.
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EVIDENCE_FORMAT,
  EVIDENCE_VERSION,
  EvidenceReport,
  loadManifest,
  manifestDigest,
  type AgentManifest,
  type EvidenceDataOf,
  type EvidenceKind,
} from '@charter/spec';
import { alertRulesToYaml, generateAlertRules, METRICS } from '@charter/telemetry';
import { parse } from 'yaml';
import { playbookRoutesIn } from '../evaluate.js';

export const PACKAGE = join(import.meta.dirname, '..', '..');
export const REPO = join(PACKAGE, '..', '..');
export const FIXTURE = join(import.meta.dirname, 'agent');
/** Where fixture agents are made (ignored by git: `.charter/`). */
export const WORK = join(PACKAGE, '.charter', 'fixtures');
/** A lint cache shared by every fixture: unchanged sources and tools are linted once. */
export const LINT_CACHE = join(PACKAGE, '.charter', 'fixtures-lint-cache');
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';
/** The evaluation time of every test (waivers expire relative to it). */
export const NOW = Date.parse('2026-06-01T12:00:00.000Z');

export type EvidenceData = { -readonly [K in EvidenceKind]: EvidenceDataOf<K> };

let counter = 0;
/** The fixtures this test file made: test files run in parallel, so each removes only its own. */
const made = new Set<string>();

/** A fresh copy of the fixture agent (with `playbooks/` copied from the repository). */
export function makeFixture(name: string): string {
  const dir = join(WORK, `${name.replace(/[^a-zA-Z0-9-]/g, '-')}-${process.pid}-${randomBytes(4).toString('hex')}-${counter++}`);
  made.add(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(FIXTURE, dir, { recursive: true });
  cpSync(join(REPO, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
  return dir;
}

/** Removes the fixtures this test file made — never WORK itself, which other test files are using at the same time. */
export function removeFixtures(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

/** Replaces `from` by `to` in a file of the fixture; throws when `from` is not there (a stale test). */
export function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
  writeFileSync(path, text.replace(from, to));
}

/** The 1-based line of the first line of `file` containing `marker`. */
export function lineOf(dir: string, file: string, marker: string): number {
  const index = readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(marker));
  if (index === -1) throw new Error(`${file} has no line with "${marker}"`);
  return index + 1;
}

const names = Array.from({ length: 24 }, (_, i) => `scenario-${String(i + 1).padStart(2, '0')}`);
const prom = Object.values(METRICS).map((metric) => metric.prometheus);

/** Evidence that passes every rule, for the fixture agent. */
export function passingEvidence(): EvidenceData {
  return {
    'scenario-suite': {
      total: 24,
      passed: 24,
      coverage: (
        [
          'malformed-input',
          'timeouts',
          'transient-failures',
          'direct-injection',
          'indirect-injection',
          'pii',
          'secrets',
          'approvals',
          'budgets',
        ] as const
      ).map((category) => ({ category, scenarios: 2, passed: 2 })),
      attacks: { total: 4, blocked: 4, sideEffects: 0 },
      escalations: { total: 3, withPacket: 3 },
      approvals: { paused: 2, approved: 1, denied: 1, resumedAsExpected: 2 },
      scenarios: names.map((name) => ({
        name,
        category: 'happy',
        covers: [],
        status: 'completed',
        passed: true,
        failures: [],
        steps: 2,
        latencyMs: 1,
        costUsd: 0.0001,
        tokens: 300,
      })),
    },
    consistency: {
      repeats: 3,
      total: 24,
      consistent: 24,
      outcome: ['status', 'reason', 'actions', 'decisions', 'output'],
      scenarios: names.map((name) => ({ name, outcomes: 1, signatures: ['a1', 'a1', 'a1'] })),
    },
    soak: {
      runs: 600,
      seed: 1,
      concurrency: 4,
      faults: { transientRate: 0.2, timeoutRate: 0.05, malformedRate: 0.05 },
      byStatus: { completed: 590, escalated: 10 },
      byReason: { malformed_output: 10 },
      effects: { reported: 500, lost: 0, duplicated: 0, ledgerReplays: 20 },
      escalatedWithoutPacket: 0,
      unhandledRejections: 0,
      audit: { ok: true, records: 600 },
    },
    bench: {
      runs: 200,
      success: 200,
      successRatio: 1,
      concurrency: 4,
      model: { provider: 'charter', id: 'scripted', offline: true },
      pricing: { inputPerMTokUsd: 0.15, outputPerMTokUsd: 0.6, source: 'fixture prices' },
      latencyMs: { p50: 1, p95: 40, p99: 900, max: 1000 },
      costUsd: { mean: 0.0002, p95: 0.0001, max: 0.004 },
      throughputRunsPerSec: 100,
    },
    'guardrail-eval': {
      policy: { name: 'fixture-policy', version: '1.0.0', mode: 'enforce' },
      injection: { cases: 16, blocked: 16, sideEffects: 0 },
      secrets: { cases: 3, caught: 3 },
      pii: { cases: 3, redacted: 3 },
      cases: [],
    },
    'alert-rules': {
      rules: 0,
      rulesDigest: `sha256:${'0'.repeat(64)}`,
      alerts: [],
      promtool: {
        version: 'promtool, version 2.42.0',
        check: { ok: true, output: 'SUCCESS' },
        tests: [
          { name: 'pages on an unhealthy series', expect: 'fires', ok: true },
          { name: 'silent on a healthy series', expect: 'silent', ok: true },
        ],
      },
    },
    telemetry: {
      scenarios: ['scenario-01'],
      events: Object.fromEntries(
        [
          'run.started',
          'run.completed',
          'run.escalated',
          'model.request',
          'model.response',
          'tool.call',
          'tool.result',
          'guardrail.decision',
          'approval.requested',
          'approval.granted',
          'escalation',
          'step',
        ].map((type) => [type, 2]),
      ),
      steps: { perceive: 1, decide: 2, act: 1, reflect: 1 },
      spans: [
        { operation: 'invoke_agent', count: 1, attributes: ['gen_ai.agent.name', 'gen_ai.operation.name'] },
        {
          operation: 'chat',
          count: 2,
          attributes: ['gen_ai.operation.name', 'gen_ai.request.model', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens'],
        },
        { operation: 'execute_tool', count: 1, attributes: ['gen_ai.operation.name', 'gen_ai.tool.name'] },
      ],
      spanEvents: {
        'charter.step': 5,
        'charter.guardrail.decision': 1,
        'charter.approval.requested': 1,
        'charter.approval.granted': 1,
        'charter.escalation': 1,
      },
      metrics: prom.map((name) => ({ name, series: 2, agents: ['fixture-desk'] })),
      audit: { ok: true, records: 6, sideEffectCalls: 2, sideEffectRecords: 2, approvals: 1, approvalRecords: 1 },
    },
    'kill-switch': { switch: 'agent.kill-switch flag (fixture)', runs: 3, escalated: 3, modelCalls: 0 },
  };
}

/**
 * The digest of the alert rules generated from the fixture's manifest, as the gate computes it; when
 * they cannot be generated (no playbook routes an alert), the digest of the evidence as it was written
 * before the change (the pipeline could not have produced a newer one).
 */
function alertDigest(dir: string, previous: string): string {
  const path = join(dir, 'agent.yaml');
  const manifest = loadManifest({ path }).value ?? (parse(readFileSync(path, 'utf8')) as AgentManifest);
  let yaml: string;
  try {
    yaml = alertRulesToYaml(generateAlertRules(manifest, { routes: playbookRoutesIn([join(dir, 'playbooks')]) }));
  } catch {
    return previous;
  }
  return `sha256:${createHash('sha256').update(yaml).digest('hex')}`;
}

export interface WriteOptions {
  readonly commit?: string;
  readonly producedAt?: string;
  /** Kinds not to write. */
  readonly omit?: readonly EvidenceKind[];
  /** Write the reports for this digest instead of the fixture's own. */
  readonly digest?: string;
}

/** Writes `data` as evidence reports for the fixture in `dir`, validated against the spec's schema. */
export function writeEvidence(dir: string, data: EvidenceData, options: WriteOptions = {}): string {
  const out = join(dir, '.charter', 'evidence');
  mkdirSync(out, { recursive: true });
  const policy = join(dir, 'policy.yaml');
  const digest = options.digest ?? manifestDigest(readFileSync(join(dir, 'agent.yaml'), 'utf8'), readFileSync(policy, 'utf8'));
  data['alert-rules'].rulesDigest = alertDigest(dir, data['alert-rules'].rulesDigest);
  for (const kind of Object.keys(data) as EvidenceKind[]) {
    if (options.omit?.includes(kind)) continue;
    const report = EvidenceReport.parse({
      format: EVIDENCE_FORMAT,
      v: EVIDENCE_VERSION,
      kind,
      agent: 'fixture-desk',
      commit: options.commit ?? COMMIT,
      manifestDigest: digest,
      producedAt: options.producedAt ?? new Date(NOW - 60_000).toISOString(),
      producer: { name: 'readiness test harness', version: '0.0.0' },
      data: data[kind],
    });
    writeFileSync(join(out, `${kind}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
  return out;
}

/** The options every test evaluates a fixture with. */
export function evaluateOptions(dir: string) {
  return { dir, commit: COMMIT, now: NOW, lint: { cacheDir: LINT_CACHE }, playbookDirs: [join(dir, 'playbooks')] } as const;
}
