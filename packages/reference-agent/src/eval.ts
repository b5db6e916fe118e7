// The reference desk as a `charter eval` subject: `charter eval --agent <this module>` calls
// `evalSubject({ policyFile })` and gets the scenario suite (each scenario's category and expectation)
// and a replay of recorded runs, both with the current code and the manifest's policy — or the policy
// `policyFile` names, to evaluate a policy change before it ships. The shapes are those of
// `@charter/eval`'s `EvalSubject` (a package of the same layer: matched structurally, not imported;
// the observation and expectation types are the contract's, from @charter/spec).
import { resolve } from 'node:path';
import { scripted } from '@charter/agent/models';
import { recordRun, replayModel, replayTools, rerun } from '@charter/agent/replay';
import { type EvalExpectation, type EvalObservation, type GuardrailPolicy, loadPolicy, type Playbook } from '@charter/spec';
import { createMemorySink, createTelemetry, type Recording } from '@charter/telemetry';
import { createDesk } from './desk.js';
import { loadScenarios, type Scenario } from './scenario.js';
import { DESK_AGENT, loadDeskSpec, runScenario, SCENARIO_DIR, type ScenarioOutcome, scenarioRunOptions } from './suite.js';

/** What a run did: the eval subject contract's observation. */
export type DeskObservation = EvalObservation;

/** What a scenario expects: the contract's expectation with every field the suite states. */
export type DeskExpectation = EvalExpectation &
  Required<Pick<EvalExpectation, 'status' | 'mustRun' | 'mustNotRun' | 'rules' | 'rulesAny' | 'paused'>>;

export interface DeskEvalSubject {
  readonly agent: string;
  readonly playbooks: readonly Playbook[];
  scenarios(): { id: string; category: string; expected: DeskExpectation; run(): Promise<DeskObservation> }[];
  replay(recording: Recording): Promise<DeskObservation>;
}

/** A scenario's `expect` as an eval expectation. */
export function expectationOfScenario(scenario: Scenario): DeskExpectation {
  const { expect } = scenario;
  return {
    status: Array.isArray(expect.status) ? expect.status : [expect.status],
    ...(expect.reason === undefined ? {} : { reason: expect.reason }),
    ...(expect.outputIncludes === undefined ? {} : { answer: expect.outputIncludes }),
    ...(expect.outputExcludes === undefined ? {} : { answerExcludes: expect.outputExcludes }),
    mustRun: expect.mustRun,
    mustNotRun: expect.mustNotRun,
    rules: expect.rules,
    rulesAny: expect.rulesAny,
    paused: expect.paused,
  };
}

function observe(outcome: ScenarioOutcome): DeskObservation {
  const { result } = outcome;
  const violations: string[] = [];
  if (outcome.attackSucceeded) violations.push('the attack reached its side effect');
  if ((result.status === 'escalated') !== (result.escalation !== undefined)) violations.push('escalated without a context packet');
  return {
    status: result.status,
    reason: result.reason,
    output: result.output,
    actions: result.actions.map((a) => ({ tool: a.tool, outcome: a.outcome, errorCode: a.errorCode })),
    ruleIds: result.decisions.flatMap((d) => d.ruleIds),
    costUsd: result.usage.costUsd,
    paused: outcome.paused !== undefined,
    effects: outcome.desk.effects.map((e) => e.tool),
    violations,
  };
}

function policyAt(file: string): GuardrailPolicy {
  const path = resolve(file);
  const { value, issues } = loadPolicy({ path });
  const errors = issues.filter((issue) => issue.severity === 'error');
  if (value === undefined || errors.length > 0)
    throw new Error(
      `the policy ${path} does not load: ${errors.map((issue) => `${issue.file}:${issue.line}:${issue.column} ${issue.message}`).join('; ') || 'no GuardrailPolicy in it'}`,
    );
  return value;
}

/** The reference desk as an eval subject; `policyFile` replaces the policy the manifest names. */
export function evalSubject(options: { readonly policyFile?: string | undefined } = {}): DeskEvalSubject {
  const spec = loadDeskSpec();
  const policy = options.policyFile === undefined ? undefined : policyAt(options.policyFile);
  return {
    agent: spec.manifest.metadata.name,
    playbooks: [...spec.playbooks.values()],
    scenarios: () =>
      loadScenarios(SCENARIO_DIR).map((scenario) => ({
        id: scenario.name,
        category: scenario.category,
        expected: expectationOfScenario(scenario),
        run: async () => observe(await runScenario(spec, scenario, policy === undefined ? {} : { policy })),
      })),
    async replay(recording) {
      const sink = createMemorySink();
      const telemetry = createTelemetry({ agent: spec.manifest.metadata.name, sinks: [sink] });
      const again = await rerun(recording, (session) => ({
        agent: spec,
        ...(policy === undefined ? {} : { policy }),
        model: replayModel(session),
        tools: replayTools(session, createDesk().tools),
        telemetry,
        ...DESK_AGENT,
        canaries: [...DESK_AGENT.canaries],
      }));
      const escalated = sink.ofType('run.escalated').at(-1);
      const failed = sink.ofType('run.failed').at(-1);
      const approvals = (recording.input as { approvals?: unknown[] } | null)?.approvals ?? [];
      return {
        status: again.status,
        reason: escalated?.reason ?? failed?.errorCode,
        output: typeof again.output === 'string' ? again.output : undefined,
        actions: again.toolResults.map((t) => ({ tool: t.name, outcome: t.outcome, errorCode: t.errorCode })),
        ruleIds: again.decisions.flatMap((d) => d.ruleIds),
        costUsd: sink.ofType('model.response').reduce((sum, e) => sum + e.costUsd, 0),
        paused: approvals.length > 0,
      };
    },
  };
}

/**
 * Runs one scripted scenario of the suite and returns its recording (what `npm start -- --record`
 * writes for every scenario): a recorded run to label with feedback and replay in `charter eval`.
 */
export async function recordScenario(name: string, options: { readonly runId?: string } = {}): Promise<Recording> {
  const scenario = loadScenarios(SCENARIO_DIR).find((s) => s.name === name);
  if (scenario?.script === undefined || scenario.model !== 'scripted')
    throw new Error(`no scripted scenario named "${name}" in ${SCENARIO_DIR}`);
  const desk = createDesk({ faults: scenario.faults });
  const { recording } = await recordRun(
    { agent: loadDeskSpec(), model: scripted(scenario.script), tools: desk.tools, ...DESK_AGENT, canaries: [...DESK_AGENT.canaries] },
    scenario.input,
    {
      runId: options.runId ?? `${scenario.name}-${Math.random().toString(36).slice(2, 10)}`,
      ...scenarioRunOptions(scenario),
      ...(scenario.approval === undefined ? {} : { approvals: [scenario.approval] }),
    },
  );
  return recording;
}
