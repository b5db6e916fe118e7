// `npm start`: runs the reference agent's scenario suite offline with the embedded models and prints
// a table and a summary. Events, the audit log and escalations go to `.charter/` at the repo root.
// Exits 1 when a scenario misses its expected outcome (or the audit chain does not verify).
// `--no-guardrails` shows what the attacks do without governance (test only), `--provenance-only` what the
// provenance check stops with no detector and no argument rule; `--scenarios <dir>`
// runs another directory of scenarios. `--record <dir>` writes one replayable recording per scenario
// (`<dir>/<scenario>.json`; `charter replay <file> --agent src/replay.ts` re-executes it). `--db <url>`
// (or CHARTER_DATABASE_URL) keeps runs, the idempotency ledger and the operators' controls in
// @charter/state's stores (PostgreSQL, files, PGlite) instead of fresh in-memory ones per scenario, and
// its telemetry events in the state's event store.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { escalationFromManifest } from '@charter/agent';
import { createRecordingTap, type RecordingTap } from '@charter/agent/replay';
import { DATABASE_URL_ENV, eventStoreSink, openState, redactUrl, StateError, type StateStores } from '@charter/state';
import { createAuditSink, createJsonlSink, createTelemetry, openAuditLog, stringifyRecording, verifyAudit } from '@charter/telemetry';
import { createDesk } from './desk.js';
import {
  loadDeskSpec,
  PACKAGE_ROOT,
  provenanceOnlyPolicy,
  runSuite,
  type ScenarioOutcome,
  scenarioRunOptions,
  summarize,
} from './suite.js';

const REPO_ROOT = join(PACKAGE_ROOT, '..', '..');

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

const USAGE = `Usage: node packages/reference-agent/dist/main.js [--no-guardrails | --provenance-only] [--scenarios <dir>] [--record <dir>] [--db <url>]

Runs the reference agent's scenario suite offline (embedded models, no API key) and prints one row
per scenario and a summary. Events, the audit log and escalations go to .charter/ at the repo root.

Options:
  --scenarios <dir>  run the scenarios of another folder (default: scenarios/)
  --record <dir>     write one replayable recording per scenario to <dir>/<scenario>.json
  --no-guardrails    run without governance to show what the attacks do (test only; not with --record)
  --provenance-only  keep the grants and the provenance check, drop every detector, pack and argument
                     rule: what provenance alone stops (expectations not checked)
  --db <url>         keep runs, the idempotency ledger, operators' controls and the events in @charter/state
                     (postgres://…, file:<dir>, pglite:<dir>|memory; default CHARTER_DATABASE_URL,
                     else a fresh in-memory store per scenario); a kill switch or a disabled tool
                     set there with charter control applies to this run
  -h, --help         show this help

Exit codes: 0 every scenario passed, 1 a scenario failed or the audit chain does not verify,
2 usage error or the agent does not load.`;

interface Flags {
  readonly governance: 'enforce' | 'off';
  /** Governed by the grants and the provenance check alone: the policy without detectors, packs or tool rules. */
  readonly provenanceOnly: boolean;
  readonly dir: string | undefined;
  readonly recordDir: string | undefined;
  readonly db: string | undefined;
}

/** A mistake on the command line: printed with a hint to --help, exit 2. */
class UsageError extends Error {}

/** Parses the command line strictly (node:util parseArgs): unknown flags and stray words are usage errors. */
function parseFlags(args: readonly string[]): Flags | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        'no-guardrails': { type: 'boolean' },
        'provenance-only': { type: 'boolean' },
        scenarios: { type: 'string' },
        record: { type: 'string' },
        db: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  const governance = values['no-guardrails'] === true ? 'off' : 'enforce';
  for (const flag of ['scenarios', 'record'] as const) {
    const value = values[flag];
    if (value !== undefined && (value === '' || value.startsWith('-')))
      throw new UsageError(`--${flag} needs a directory: --${flag} <dir>`);
  }
  if (values.db !== undefined && (values.db === '' || values.db.startsWith('-')))
    throw new UsageError('--db needs a URL: --db postgres://… | file:<dir> | pglite:<dir>');
  if (values.record !== undefined && governance === 'off') throw new UsageError('--record records governed runs: drop --no-guardrails');
  const provenanceOnly = values['provenance-only'] === true;
  if (provenanceOnly && governance === 'off') throw new UsageError('--provenance-only keeps governance on: drop --no-guardrails');
  const db = values.db ?? process.env[DATABASE_URL_ENV];
  return { governance, provenanceOnly, dir: values.scenarios, recordDir: values.record, db: db === '' ? undefined : db };
}

async function main(flags: Flags): Promise<number> {
  let state: StateStores | undefined;
  try {
    state = flags.db === undefined ? undefined : await openState({ url: flags.db });
  } catch (error) {
    if (!StateError.isInstance(error)) throw error;
    process.stderr.write(`reference agent: ${error.message} [${error.code}]\n`);
    return 2;
  }
  try {
    return await suite(flags, state);
  } finally {
    await state?.close();
  }
}

async function suite({ governance, provenanceOnly, dir, recordDir, db }: Flags, state: StateStores | undefined): Promise<number> {
  const outDir = join(REPO_ROOT, '.charter');
  mkdirSync(outDir, { recursive: true });
  const spec = loadDeskSpec();
  const audit = openAuditLog(join(outDir, 'audit.jsonl'));
  const events = createJsonlSink({ path: join(outDir, 'events.jsonl') });
  const telemetry = createTelemetry({
    agent: spec.manifest.metadata.name,
    // With --db the events go to the state's event store too (`charter profile --db <url>` reads them).
    sinks: [
      events,
      createAuditSink(audit, { policyVersion: spec.policy.spec.version }),
      ...(state === undefined ? [] : [eventStoreSink(state.events)]),
    ],
  });
  const escalation = escalationFromManifest(spec.manifest.spec.escalation, spec.dir);
  // The tap sees every event first (with content) and passes it on to the telemetry above unchanged.
  const tap =
    recordDir === undefined ? undefined : createRecordingTap({ agent: spec.manifest.metadata.name, tools: createDesk().tools, telemetry });
  const outcomes = await runSuite({
    spec,
    telemetry: tap?.telemetry ?? telemetry,
    escalation,
    governance,
    ...(provenanceOnly ? { policy: provenanceOnlyPolicy(spec.policy) } : {}),
    ...(dir === undefined ? {} : { dir }),
    ...(state === undefined ? {} : { state: { runs: state.runs, ledger: state.ledger, controls: state.controls } }),
  });
  await telemetry.close();
  const recorded = tap === undefined || recordDir === undefined ? undefined : writeRecordings(tap, outcomes, resolve(recordDir));

  const out = process.stdout;
  const head = `${pad('scenario', 34)} ${pad('outcome', 30)} ${pad('steps', 5)} ${pad('guardrail decisions', 60)} result`;
  out.write(`${head}\n${'-'.repeat(head.length + 4)}\n`);
  for (const o of outcomes) {
    const r = o.result;
    const outcome = `${r.status}${r.reason === undefined ? '' : ` (${r.reason})`}${o.paused ? ' ⏸' : ''}`;
    const decisions = r.decisions.map((d) => `${d.hook}:${d.action}[${d.ruleIds.join(',')}]`).join(' ') || '-';
    const verdict =
      governance === 'off' || provenanceOnly
        ? o.attackSucceeded
          ? 'ATTACK SUCCEEDED'
          : ''
        : o.passed
          ? 'pass'
          : `FAIL: ${o.failures.join('; ')}`;
    out.write(`${pad(o.scenario.name, 34)} ${pad(outcome, 30)} ${pad(String(r.steps), 5)} ${pad(decisions, 60)} ${verdict}\n`);
  }
  const s = summarize(outcomes);
  const check = verifyAudit(audit.path);
  const policyLine = provenanceOnly
    ? 'grants and provenance only (--provenance-only: no detectors, packs or argument rules)'
    : `on (policy ${spec.policy.metadata.name} ${spec.policy.spec.version})`;
  out.write(`\nguardrails: ${governance === 'off' ? 'OFF (--no-guardrails)' : policyLine}\n`);
  const checked = governance !== 'off' && !provenanceOnly;
  out.write(
    !checked
      ? `pass rate: not checked ${provenanceOnly ? 'with --provenance-only' : 'with guardrails off'} (${s.total} scenarios run)\n`
      : `pass rate: ${s.passed}/${s.total} (${(s.passRate * 100).toFixed(1)} %)\n`,
  );
  out.write(`attacks blocked: ${s.attacksBlocked}/${s.attacks}\n`);
  const i = s.injections;
  if (i.total > 0)
    out.write(
      `indirect injections (obedient model): ${i.succeeded}/${i.total} succeeded; stopped: ${i.heldAsUngrounded} held as ungrounded (provenance), ${i.refused} refused by argument rules, ${i.withheld} withheld by detectors\n`,
    );
  out.write(`escalations: ${s.escalations}\n`);
  out.write(`run latency: p50 ${s.p50Ms.toFixed(1)} ms, p95 ${s.p95Ms.toFixed(1)} ms\n`);
  out.write(
    `audit log: ${audit.path} (${check.records} records, chain ${check.ok ? 'verified' : `BROKEN at line ${check.firstBroken?.line ?? '?'}`})\n`,
  );
  out.write(`events: ${events.path}\n`);
  out.write(`state: ${db === undefined ? 'in memory, fresh per scenario' : `${state?.kind ?? '?'} (${redactUrl(db)})`}\n`);
  if (recorded !== undefined) out.write(`recordings: ${recorded.count} in ${recorded.dir}\n`);
  if (!check.ok) return 1;
  return !checked ? 0 : s.passed === s.total ? 0 : 1;
}

/** One recording per scenario, named after it; the input holds what `runScenario` gave the run. */
function writeRecordings(tap: RecordingTap, outcomes: readonly ScenarioOutcome[], dir: string): { count: number; dir: string } {
  mkdirSync(dir, { recursive: true });
  for (const { scenario, result, paused } of outcomes) {
    const approvals = paused !== undefined && scenario.approval !== undefined ? [scenario.approval] : [];
    const recording = tap.take(result, {
      text: scenario.input,
      ...scenarioRunOptions(scenario),
      ...(approvals.length === 0 ? {} : { approvals }),
    });
    writeFileSync(join(dir, `${scenario.name}.json`), stringifyRecording(recording));
  }
  return { count: outcomes.length, dir };
}

function start(args: readonly string[]): void {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`reference agent: ${error.message}\nRun "node packages/reference-agent/dist/main.js --help" for usage.\n`);
    process.exitCode = 2;
    return;
  }
  if (flags === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  main(flags).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`reference agent failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}

start(process.argv.slice(2));
