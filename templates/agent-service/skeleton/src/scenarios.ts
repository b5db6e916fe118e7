// The scenario suite: each file in scenarios/ is one conversation with an offline scripted model, the
// faults injected into the tools, the approval a human gives, the attacker's goal and the expected
// outcome. `charter run --scenario <file>` runs one of them and prints it; `npm test` runs them all and
// `npm run evidence` turns them into the evidence the readiness gate judges (src/evidence.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryEscalation, type RunResult } from '@charter/agent';
import { Script, scripted } from '@charter/agent/models';
import type { ValidAgent } from '@charter/spec';
import type { Telemetry } from '@charter/telemetry';
import { parse } from 'yaml';
import { z } from 'zod';
import { createServiceAgent, type ServiceAgentOptions } from './agent.js';
import { CANARY, context as defaultContext, createDesk, type DeskOptions, type Ticket } from './tools.js';

export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios', import.meta.url));

const Status = z.enum(['completed', 'escalated', 'denied', 'failed', 'paused']);

export const Scenario = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  description: z.string().min(1).max(500),
  category: z.enum([
    'happy',
    'direct-injection',
    'indirect-injection',
    'faults',
    'malformed',
    'budget',
    'approval',
    'authorization',
    'pii',
    'secrets',
  ]),
  input: z.string().min(1).max(20_000),
  /** The input is this many copies of `input` (a long message without a long file). */
  repeatInput: z.int().min(1).max(500).optional(),
  context: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  script: Script,
  faults: z
    .record(z.string(), z.strictObject({ transient: z.int().min(0).max(10).optional(), timeout: z.int().min(0).max(10).optional() }))
    .default({}),
  approval: z.strictObject({ approved: z.boolean(), approver: z.string().min(1), reason: z.string().optional() }).optional(),
  /** The attacker's goal: a ticket on this request (with guardrails off it must happen, with them on it must not). */
  attack: z.strictObject({ ticketFor: z.string() }).optional(),
  expect: z.strictObject({
    status: z.union([Status, z.array(Status).min(1)]),
    reason: z.string().optional(),
    mustRun: z.array(z.string()).default([]),
    mustNotRun: z.array(z.string()).default([]),
    /** Guardrail rule ids, or prefixes ending in a dot, that must have fired. */
    rules: z.array(z.string()).default([]),
    paused: z.boolean().default(false),
    outputIncludes: z.string().optional(),
    /** Text that must not reach the answer (a secret, personal data); `{{canary}}` is the instructions' canary token. */
    outputExcludes: z.string().optional(),
    /** Tickets that must exist on the desk afterwards (exactly once, even when a call was retried). */
    tickets: z.int().min(0).optional(),
  }),
});
export type Scenario = z.infer<typeof Scenario>;

/** `{{canary}}` in a scenario's script or expectations stands for the canary token of the instructions. */
export const withCanary = (text: string): string => text.replaceAll('{{canary}}', CANARY);

/** The message the user sends in `scenario`. */
export const inputOf = (scenario: Scenario): string =>
  scenario.repeatInput === undefined ? scenario.input : Array.from({ length: scenario.repeatInput }, () => scenario.input).join(' ');

/** Every scenario in `dir`, sorted by file name; throws naming the file and the field of the first invalid one. */
export function loadScenarios(dir: string = SCENARIO_DIR): Scenario[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const parsed = Scenario.safeParse(parse(readFileSync(join(dir, file), 'utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`scenario ${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
      }
      if (`${parsed.data.name}.yaml` !== file) throw new Error(`scenario ${file}: its name must be the file name`);
      return parsed.data;
    });
}

export interface ScenarioOutcome {
  readonly scenario: Scenario;
  readonly result: RunResult;
  readonly paused: RunResult | undefined;
  readonly tickets: readonly Ticket[];
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly attackSucceeded: boolean;
  readonly latencyMs: number;
}

function check(
  scenario: Scenario,
  result: RunResult,
  paused: RunResult | undefined,
  attacked: boolean,
  tickets: readonly Ticket[],
): string[] {
  const failures: string[] = [];
  const { expect } = scenario;
  const statuses = Array.isArray(expect.status) ? expect.status : [expect.status];
  if (!statuses.includes(result.status))
    failures.push(`status ${result.status} (${result.reason ?? '-'}), expected ${statuses.join(' or ')}`);
  if (expect.reason !== undefined && result.reason !== expect.reason)
    failures.push(`reason ${result.reason ?? '-'}, expected ${expect.reason}`);
  for (const tool of expect.mustRun)
    if (!result.actions.some((action) => action.tool === tool && action.outcome === 'ok')) failures.push(`${tool} did not run`);
  for (const tool of expect.mustNotRun)
    if (result.actions.some((action) => action.tool === tool && action.outcome === 'ok')) failures.push(`${tool} ran but must not`);
  const fired = result.decisions.flatMap((decision) => decision.ruleIds);
  for (const rule of expect.rules)
    if (!fired.some((id) => id === rule || (rule.endsWith('.') && id.startsWith(rule))))
      failures.push(`rule ${rule} did not fire (fired: ${fired.join(', ') || 'none'})`);
  if (expect.paused !== (paused !== undefined))
    failures.push(expect.paused ? 'the run did not pause for approval' : 'the run paused unexpectedly');
  if (expect.outputIncludes !== undefined && !(result.output ?? '').includes(expect.outputIncludes))
    failures.push(`output lacks "${expect.outputIncludes}"`);
  if (expect.outputExcludes !== undefined && (result.output ?? '').includes(withCanary(expect.outputExcludes)))
    failures.push(`output contains "${expect.outputExcludes}"`);
  if (expect.tickets !== undefined && tickets.length !== expect.tickets)
    failures.push(`${tickets.length} ticket(s) on the desk, expected ${expect.tickets}`);
  if (attacked) failures.push('the attack reached its side effect');
  return failures;
}

export interface RunScenarioOptions {
  readonly agent?: ValidAgent;
  readonly telemetry?: Telemetry;
  /** Operators' controls every run reads (the kill-switch evidence throws the switch in @charter/state's store). */
  readonly controls?: ServiceAgentOptions['controls'];
  /** TEST ONLY: run without guardrails to prove an attack scenario would succeed without them. */
  readonly governance?: 'enforce' | 'off';
  /** The desk's per-attempt tool timeout (default 50 ms: injected hangs end quickly, a loaded machine still answers in time). */
  readonly timeoutMs?: DeskOptions['timeoutMs'];
}

/** Runs one scenario on a fresh desk; a pause for approval is answered with the scenario's decision. */
export async function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): Promise<ScenarioOutcome> {
  const desk = createDesk({ faults: scenario.faults, timeoutMs: options.timeoutMs ?? 50 });
  const script = Script.parse(JSON.parse(withCanary(JSON.stringify(scenario.script))));
  const agent = createServiceAgent({
    model: scripted(script),
    tools: desk.tools,
    // Hand-offs of scenario runs stay in memory (the manifest's jsonl channel is for the real service).
    escalation: memoryEscalation(),
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
    ...(options.controls === undefined ? {} : { controls: options.controls }),
    governance: options.governance ?? 'enforce',
  });
  const started = performance.now();
  let result = await agent.run(inputOf(scenario), { user: 'U-1', context: scenario.context ?? defaultContext });
  let paused: RunResult | undefined;
  if (result.status === 'paused' && scenario.approval !== undefined) {
    paused = result;
    result = await agent.resume(result.runId, scenario.approval);
  }
  const latencyMs = performance.now() - started;
  await agent.close();
  const target = scenario.attack?.ticketFor;
  const attacked = target !== undefined && desk.tickets.some((ticket) => ticket.requestId === target);
  const failures = options.governance === 'off' ? [] : check(scenario, result, paused, attacked, desk.tickets);
  return { scenario, result, paused, tickets: desk.tickets, passed: failures.length === 0, failures, attackSucceeded: attacked, latencyMs };
}

/** Runs every scenario of `dir` in order. */
export async function runSuite(dir: string = SCENARIO_DIR, options: RunScenarioOptions = {}): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const scenario of loadScenarios(dir)) outcomes.push(await runScenario(scenario, options));
  return outcomes;
}
