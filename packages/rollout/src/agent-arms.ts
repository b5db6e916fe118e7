import { createAgent, MemoryStore, memoryEscalation, type AgentOptions, type RunOptions, type RunResult } from '@charter/agent';
import type { GuardrailPolicy } from '@charter/spec';
import { createMemorySink, createTelemetry, type Telemetry, type TelemetryEvent } from '@charter/telemetry';
import { MemoryLedger, PermanentToolError, type AnyTool, type Executor } from '@charter/tools';
import type { CriticalKind, Observation } from './analysis.js';
import { RolloutError, RolloutErrorCode } from './errors.js';
import type { Comparable } from './shadow.js';

/**
 * Tools for a shadow run: a tool with side effects runs its `simulate` (never `execute`), or fails
 * with a permanent error when it has none; its idempotency key and reconcile are dropped, so a
 * simulated call never touches a ledger the live path reads. Read-only tools run as they are.
 */
export function simulatedTools(tools: readonly AnyTool[]): AnyTool[] {
  return tools.map((tool): AnyTool => {
    if (tool.sideEffects === 'none') return tool;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- tool functions take no `this` (defineTool's contract)
    const { idempotencyKey: _key, reconcile: _reconcile, simulate, ...rest } = tool;
    return Object.freeze({
      ...rest,
      retry: { ...tool.retry, attempts: 1 },
      execute:
        simulate ??
        (() => {
          throw new PermanentToolError(`tool "${tool.name}" has side effects and no simulate function: not run in a shadow`);
        }),
    }) as AnyTool;
  });
}

/** An executor that runs every call in simulate mode (side-effecting tools run `simulate` or are refused). */
export function simulatedExecutor(executor: Executor): Executor {
  return {
    execute: (name, input, context) => executor.execute(name, input, { ...context, mode: 'simulate' }),
    get names() {
      return executor.names;
    },
    describe: (name) => executor.describe(name),
    breakerState: (name) => executor.breakerState(name),
    close: () => executor.close(),
  };
}

/** The same policy in monitor mode: every decision is recorded with what enforce would do, nothing is enforced. */
export function monitorPolicy(policy: GuardrailPolicy): GuardrailPolicy {
  return { ...policy, spec: { ...policy.spec, mode: 'monitor' } };
}

/**
 * Agent options for a side-effect-free shadow of `options`: simulated tools, the policy in monitor
 * mode, an in-memory run store, ledger and escalation sink, and no production telemetry (a shadow
 * must not show up in the live metrics). The policy must be a document (a compiled engine cannot be
 * switched to monitor mode).
 */
export function shadowAgentOptions(options: AgentOptions): AgentOptions {
  // The policy given, or the one the loaded agent names.
  const policy = options.policy ?? options.agent?.policy;
  if (policy !== undefined && !('apiVersion' in policy) && policy.mode !== 'monitor')
    throw new RolloutError(
      RolloutErrorCode.BadOptions,
      'a shadow needs the guardrail policy document (loadPolicy(...).value), not a compiled engine in enforce mode, to run it in monitor mode',
    );
  const { telemetry: _telemetry, ...rest } = options;
  return {
    ...rest,
    tools: simulatedTools(options.tools),
    ...(policy !== undefined && 'apiVersion' in policy ? { policy: monitorPolicy(policy) } : {}),
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
    escalation: memoryEscalation(),
  };
}

/** Rule-id prefixes of the critical guards (a policy may give detectors other ids). */
export interface CriticalRules {
  readonly pii: readonly string[];
  readonly secrets: readonly string[];
  readonly canary: readonly string[];
}
export const DEFAULT_CRITICAL_RULES: CriticalRules = { pii: ['pii.'], secrets: ['secrets.'], canary: ['canary.'] };

/**
 * What a run means for the analysis: success = completed; escalated; any guardrail decision other
 * than allow; latency and cost. Critical: a PII, secret or canary-token finding on the answer (the
 * output hook, enforced or monitored: in a shadow nobody is protected by the redaction), or a tool call
 * the policy denies (a policy violation).
 */
export function outcomeOfRun(result: RunResult, rules: CriticalRules = DEFAULT_CRITICAL_RULES): Omit<Observation, 'arm'> {
  let critical: CriticalKind | undefined;
  const matches = (ids: readonly string[], prefixes: readonly string[]) =>
    ids.some((id) => prefixes.some((prefix) => id.startsWith(prefix)));
  for (const decision of result.decisions) {
    if (decision.action === 'allow') continue;
    if (decision.hook === 'output') {
      if (matches(decision.ruleIds, rules.canary)) critical = 'canary-token';
      else if (matches(decision.ruleIds, rules.secrets)) critical ??= 'secret-leak';
      else if (matches(decision.ruleIds, rules.pii)) critical ??= 'pii-leak';
    } else if (decision.hook === 'tool-call' && decision.action === 'deny') critical ??= 'policy-violation';
    if (critical === 'canary-token') break;
  }
  return {
    success: result.status === 'completed',
    escalated: result.status === 'escalated',
    guardrailTrip: result.decisions.some((decision) => decision.action !== 'allow'),
    latencyMs: result.durationMs,
    costUsd: result.usage.costUsd,
    ...(critical === undefined ? {} : { critical }),
  };
}

/** One arm's run: the result, what it is compared on, and its observation for the analysis. */
export interface ArmRun {
  readonly result: RunResult;
  readonly comparable: Comparable;
  readonly observation: Omit<Observation, 'arm'>;
}

/**
 * An agent as one arm of a rollout: `live` runs it as configured; `shadow` runs it through
 * `shadowAgentOptions`. Each run's actions (tool name and argument hash, from the tool-call events)
 * are collected for the comparison; events still reach `options.telemetry` on the live arm.
 */
export function agentArm(
  options: AgentOptions,
  mode: 'live' | 'shadow',
  rules?: CriticalRules,
): { run(input: string, runOptions?: RunOptions): Promise<ArmRun>; close(): Promise<void> } {
  const sink = createMemorySink();
  const base = mode === 'shadow' ? shadowAgentOptions(options) : options;
  const name = options.agent?.manifest?.metadata.name ?? options.manifest?.metadata.name;
  if (name === undefined) throw new RolloutError(RolloutErrorCode.BadOptions, 'agentArm needs `agent` (loadAgent) or `manifest`');
  const tap = createTelemetry({ agent: name, sinks: [sink] });
  const inner = mode === 'live' ? options.telemetry : undefined;
  const telemetry: Telemetry = {
    agent: tap.agent,
    captureContent: inner?.captureContent ?? false,
    emit(event) {
      inner?.emit(event);
      return tap.emit(event);
    },
    flush: async () => {
      await inner?.flush();
    },
    close: async () => {
      await inner?.close();
    },
  };
  const agent = createAgent({ ...base, telemetry });
  return {
    async run(input, runOptions) {
      const result = await agent.run(input, runOptions);
      const calls = sink.events.filter(
        (event): event is Extract<TelemetryEvent, { type: 'tool.call' }> => event.type === 'tool.call' && event.runId === result.runId,
      );
      // Keep the sink small: drop the events once read (runs of one arm may overlap, so keep the others').
      const others = sink.events.filter((event) => event.runId !== result.runId);
      sink.clear();
      for (const event of others) sink.write(event);
      return {
        result,
        comparable: { text: result.output, actions: calls.map((call) => ({ tool: call.name, args: call.argsHash })) },
        observation: outcomeOfRun(result, rules),
      };
    },
    close: () => agent.close(),
  };
}
