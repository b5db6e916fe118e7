import { join } from 'node:path';
import type { LanguageModelV3FunctionTool } from '@ai-sdk/provider';
import type { AgentManifest, GuardrailPolicy, LoadedAgent } from '@charter/spec';
import { type AnyTool, createExecutor, createRegistry } from '@charter/tools';
import { z } from 'zod';
import { denyPending } from './act.js';
import { ControlGate, killSwitch } from './controls.js';
import { costSetup } from './cost/setup.js';
import { AgentError, AgentErrorCode } from './errors.js';
import { escalationFromManifest } from './escalation.js';
import { modelSetup } from './fallback.js';
import { createGovernance, type GuardrailEngine } from './governance.js';
import { Observer } from './observe.js';
import { normaliseInput, perceive } from './perceive.js';
import { ProvenanceGate } from './provenance-gate.js';
import { drive, escalate, finish, playbookRoutesOf, result } from './run.js';
import type { Runtime } from './runtime.js';
import { type RunState, STATE_VERSION } from './state.js';
import { FileStore, nodeCrypto } from './store.js';
import type { Agent, AgentOptions, ApprovalDecision, RunOptions, RunResult } from './types.js';

const RUN_ID = /^[\w.-]{1,200}$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Source {
  readonly manifest: AgentManifest;
  readonly policy: GuardrailPolicy | GuardrailEngine | undefined;
  /** The manifest's folder (relative paths in it resolve here); undefined for a manifest given as a value. */
  readonly dir: string | undefined;
}

/**
 * The manifest, policy and folder of the options: from `agent` (what `loadAgent` returned, which must
 * have loaded cleanly), or from `manifest` + `policy` given as values. Checked at run time too:
 * JavaScript callers and YAML-loaded values bypass the types.
 */
function sourceOf(options: AgentOptions): Source {
  const given: { agent: unknown; manifest: unknown } = { agent: options.agent, manifest: options.manifest };
  if (given.agent !== undefined) {
    if (given.manifest !== undefined)
      throw new AgentError(AgentErrorCode.BadOptions, 'createAgent takes `agent` or `manifest`, not both: `agent` holds the manifest');
    if (!isLoadedAgent(given.agent))
      throw new AgentError(AgentErrorCode.BadOptions, 'createAgent needs `agent` as loadAgent(path) returns it');
    const agent = given.agent;
    if (!agent.ok || agent.manifest === undefined || agent.policy === undefined) {
      const errors = agent.issues.filter((issue) => issue.severity === 'error');
      const lines = errors.slice(0, 5).map((issue) => `${issue.file}:${issue.line}:${issue.column} ${issue.message} [${issue.code}]`);
      throw new AgentError(
        AgentErrorCode.BadOptions,
        `the agent at ${agent.manifestFile} does not load (${errors.length} error${errors.length === 1 ? '' : 's'}; \`charter validate\` lists them):\n${lines.join('\n')}`,
      );
    }
    return { manifest: agent.manifest, policy: options.policy ?? agent.policy, dir: agent.dir };
  }
  if (typeof given.manifest !== 'object' || given.manifest === null || (given.manifest as { kind?: unknown }).kind !== 'Agent') {
    throw new AgentError(AgentErrorCode.BadOptions, 'createAgent needs `agent`: the value of loadAgent(path) for the manifest file');
  }
  return { manifest: given.manifest as AgentManifest, policy: options.policy, dir: undefined };
}

function isLoadedAgent(value: unknown): value is LoadedAgent {
  if (typeof value !== 'object' || value === null) return false;
  const { issues, dir, manifestFile } = value as Record<string, unknown>;
  return Array.isArray(issues) && typeof dir === 'string' && typeof manifestFile === 'string';
}

/** The manifest the options name (`agent.manifest` or `manifest`); throws AGENT_BAD_OPTIONS when there is none. */
export function manifestOf(options: AgentOptions): AgentManifest {
  return sourceOf(options).manifest;
}

function buildRuntime(options: AgentOptions): Runtime {
  const { tools } = options;
  const { manifest, policy, dir } = sourceOf(options);
  const given: { tools: unknown; governance: unknown } = { tools, governance: options.governance };
  // The model comes from spec.model through the model registry unless `model` overrides it (fallback.ts).
  const models = modelSetup(options, manifest);
  if (!Array.isArray(given.tools))
    throw new AgentError(
      AgentErrorCode.BadOptions,
      "createAgent needs `tools`: the defineTool(...) implementations of the manifest's tools",
    );
  let toolset;
  try {
    toolset = createRegistry(tools).resolve(manifest);
  } catch (error) {
    throw new AgentError(AgentErrorCode.BadOptions, `the tools do not match the manifest: ${(error as Error).message}`, { cause: error });
  }
  const executor = createExecutor(toolset, {
    ...(options.ledger === undefined ? {} : { ledger: options.ledger }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  const resolved = new Map<string, { tool: AnyTool }>();
  const modelTools: LanguageModelV3FunctionTool[] = [];
  for (const grant of manifest.spec.tools) {
    const entry = toolset.tools.get(grant.name);
    if (entry === undefined) continue;
    resolved.set(grant.name, { tool: entry.tool });
    modelTools.push({
      type: 'function',
      name: grant.name,
      description: grant.description ?? entry.tool.description,
      inputSchema: z.toJSONSchema(entry.tool.input, { io: 'input' }) as never,
    });
  }
  const handoffTool = options.handoffTool;
  if (handoffTool !== undefined && !resolved.has(handoffTool))
    throw new AgentError(AgentErrorCode.BadOptions, `handoffTool "${handoffTool}" is not a tool of the manifest`);
  if (given.governance !== undefined && given.governance !== 'enforce' && given.governance !== 'off') {
    throw new AgentError(AgentErrorCode.BadOptions, `governance must be "enforce" or "off", got ${JSON.stringify(given.governance)}`);
  }
  const governance = options.governance ?? 'enforce';
  const guard = createGovernance(policy, governance, options.canaries ?? [], manifest.spec.tools);
  const instructions = options.instructions ?? '';
  // spec.cost: cache, cascade, early exits, batching (cost/setup.ts); `model` is the batching front when batching.
  const { cost, model } = costSetup({
    options,
    manifest,
    model: models.model,
    policy,
    policyVersion: guard.policyVersion,
    governance,
    modelTools,
    toolVersions: Object.fromEntries([...resolved].map(([name, entry]) => [name, entry.tool.version])),
  });
  return {
    name: manifest.metadata.name,
    manifest,
    ...models,
    model,
    cost,
    // The playbooks option, else those of the loaded agent: their triggers route escalations.
    routes: playbookRoutesOf(manifest, options.playbooks ?? (options.agent === undefined ? undefined : options.agent.playbooks)),
    executor,
    tools: resolved,
    modelTools,
    guard,
    governed: governance === 'enforce',
    observer: new Observer(options.telemetry),
    escalation: options.escalation ?? escalationFromManifest(manifest.spec.escalation, dir),
    store: options.store ?? new FileStore(join(process.cwd(), '.charter', 'runs')),
    instructions,
    handoffTool,
    maxInputChars: options.maxInputChars ?? 20_000,
    clock: options.clock ?? Date.now,
    controls: options.controls === undefined ? undefined : new ControlGate(options.controls, manifest.metadata.name, options.clock),
    provenance: guard.provenance ? new ProvenanceGate(manifest.spec.tools, instructions) : undefined,
  };
}

function newState(rt: Runtime, runId: string, options: RunOptions): RunState {
  return {
    v: STATE_VERSION,
    runId,
    agent: rt.name,
    tenant: options.tenant,
    user: options.user,
    context: {
      ...options.context,
      ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      ...(options.user === undefined ? {} : { user: options.user }),
    },
    status: 'running',
    messages: [],
    step: 0,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    startedAt: rt.clock(),
    elapsedMs: 0,
    repairs: 0,
    actions: [],
    decisions: [],
    signatures: {},
    queue: [],
    turnResults: [],
    pending: undefined,
    approved: {},
    output: undefined,
    reason: undefined,
    owner: undefined,
  };
}

/**
 * Creates a governed agent from its manifest — `createAgent({ agent: loadAgent(path), model, tools })`:
 * `run` goes perceive → decide → act → reflect until
 * the model answers, a guardrail denies, a budget runs out, or a call needs approval (`paused`).
 * Throws `AGENT_BAD_OPTIONS` when the options cannot work.
 */
export function createAgent(options: AgentOptions): Agent {
  const rt = buildRuntime(options);

  async function run(input: string | { readonly text: string }, runOptions: RunOptions = {}): Promise<RunResult> {
    const text = normaliseInput(input, rt.maxInputChars);
    const runId = runOptions.runId ?? nodeCrypto().randomUUID();
    if (!RUN_ID.test(runId))
      throw new AgentError(AgentErrorCode.BadInput, `runId "${runId.slice(0, 80)}" must be 1-200 letters, digits, ".", "_" or "-"`);
    const loading = rt.observer.ready();
    if (loading !== undefined) await loading;
    const start = rt.clock();
    const state = newState(rt, runId, runOptions);
    rt.observer.runStarted(runId, { provider: rt.model.provider, id: rt.model.modelId }, text, runOptions.tenant);
    rt.observer.step(runId, 0, 'perceive');
    const seen = await perceive(rt, state, text);
    // A stopped agent hands every new run to a human, whatever its input guardrails decided.
    const killed = await killSwitch(rt);
    if (killed !== undefined) return escalate(rt, state, 'kill_switch', start, killed);
    if (seen.kind === 'denied') return finish(rt, state, 'denied', 'I cannot help with that request.', start);
    if (seen.kind === 'review')
      return escalate(rt, state, 'review_required', start, `the input needs a human (${seen.ruleIds.join(', ')})`);
    return drive(rt, state, runOptions.signal, start);
  }

  async function resume(
    runId: string,
    decision: ApprovalDecision,
    resumeOptions: { readonly signal?: AbortSignal } = {},
  ): Promise<RunResult> {
    const parsed = (decisionSchema ??= buildDecision()).safeParse(decision);
    if (!parsed.success)
      throw new AgentError(
        AgentErrorCode.BadDecision,
        `resume needs { approved: boolean, approver: string, reason?: string }: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    const loading = rt.observer.ready();
    if (loading !== undefined) await loading;
    if (!(await rt.store.claim(runId))) throw new AgentError(AgentErrorCode.NotPaused, `run ${runId} is being resumed by another caller`);
    try {
      const state = await rt.store.load(runId);
      if (state === undefined)
        throw new AgentError(AgentErrorCode.RunNotFound, `no checkpoint of run ${runId} in the store: was it started with the same store?`);
      // A run whose resuming process died mid-way (status `running`, owner gone) is taken over: the
      // idempotency ledger keeps its side effects at most once.
      const takeover = state.status === 'running' && state.owner !== undefined && state.owner !== process.pid && !processAlive(state.owner);
      if (!takeover && (state.status !== 'paused' || state.pending === undefined)) {
        throw new AgentError(AgentErrorCode.NotPaused, `run ${runId} is ${state.status}, not waiting for an approval`);
      }
      const start = rt.clock();
      const pending = state.pending;
      state.status = 'running';
      state.owner = process.pid;
      if (pending !== undefined && parsed.data.approved) state.approved[pending.callId] = parsed.data.approver;
      // Checkpoint the hand-over first: a second resume now sees `running`, never `paused`.
      await rt.store.save(state);
      let out: RunResult;
      if (takeover || pending === undefined) {
        out = await drive(rt, state, resumeOptions.signal, start);
      } else if (parsed.data.approved) {
        rt.observer.approvalGranted(runId, pending.approvalId, parsed.data.approver);
        out = await drive(rt, state, resumeOptions.signal, start);
      } else {
        rt.observer.approvalDenied(runId, pending.approvalId, parsed.data.approver, parsed.data.reason);
        denyPending(state, parsed.data.approver, parsed.data.reason);
        out = await escalate(
          rt,
          state,
          'approval_denied',
          start,
          `${parsed.data.approver} denied ${pending.tool}${parsed.data.reason === undefined ? '' : `: ${parsed.data.reason}`}`,
        );
      }
      if (out.status !== 'paused') {
        state.owner = undefined;
        await rt.store.save(state);
      }
      return out.status === 'paused'
        ? out
        : { ...result(rt, state, start, { escalation: out.escalation, escalationError: out.escalationError }), reason: out.reason };
    } finally {
      await rt.store.release(runId);
    }
  }

  return {
    name: rt.name,
    run,
    resume,
    async close() {
      await rt.observer.flush();
      await rt.executor.close();
    },
  };
}

// Built by the first `resume`, not at import.
function buildDecision() {
  return z.strictObject({
    approved: z.boolean(),
    approver: z.string().min(1).max(200),
    reason: z.string().max(500).optional(),
  });
}
let decisionSchema: ReturnType<typeof buildDecision> | undefined;
