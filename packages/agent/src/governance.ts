// The only module that talks to @charter/guardrails: an API change there touches this file alone.
import {
  APPROVAL_RULE,
  compilePolicy,
  type GuardrailEngine as Engine,
  type GuardrailRun,
  type UngroundedReason,
} from '@charter/guardrails';
import type { GuardrailAction, GuardrailHook, GuardrailPolicy, ToolGrant } from '@charter/spec';
import { AgentError, AgentErrorCode } from './errors.js';
import type { RunState } from './state.js';

// The hooks and actions are @charter/spec's shared values.
export type Hook = GuardrailHook;
export type Action = GuardrailAction;

/** What the loop asks guardrails. */
export interface GuardRequest {
  readonly hook: Hook;
  readonly content?: unknown;
  readonly toolCall?: { readonly name: string; readonly args?: unknown; readonly ungrounded?: readonly UngroundedReason[] };
}

/** The part of a guardrail decision the loop reads. */
export interface GuardDecision {
  readonly action: Action;
  /** What enforce mode decides (differs from `action` in monitor mode). */
  readonly wouldBe: Action;
  readonly enforced: boolean;
  readonly ruleIds: readonly string[];
  /** Why a call needs approval, for the approver: the messages of the approval conditions that hold. */
  readonly approvals?: readonly string[];
  readonly content?: unknown;
  readonly args?: unknown;
}

/** The guardrails of one run. */
export interface GuardSession {
  evaluate(request: GuardRequest): GuardDecision | Promise<GuardDecision>;
}

/** The loop's view of a compiled policy. */
export interface Governor {
  /** `GuardrailPolicy.spec.version`, or `off`. */
  readonly policyVersion: string;
  readonly enabled: boolean;
  /** True when the policy wants side-effecting calls checked for provenance (`spec.provenance.enabled`). */
  readonly provenance: boolean;
  /** The session of a run (created on first use; restored from the run state after a resume). */
  session(state: RunState): GuardSession;
  /** PII and secrets replaced (for escalation packets and telemetry content). */
  redact(text: string): string;
}

/** The compiled engine type of `@charter/guardrails`, accepted as `policy`. */
export type GuardrailEngine = Engine;

// The guard session of a run is kept on its state under this symbol, not enumerable: never serialised
// or copied with the state, found by one property read (a WeakMap costs a hash lookup per evaluation).
// One symbol for every agent, so every run state has the same shape whichever agent runs it.
const SESSION = Symbol('charter.guard-session');
type Held = RunState & { readonly [SESSION]?: { readonly owner: object; readonly session: GuardSession } };

const ALLOW: GuardDecision = Object.freeze({ action: 'allow', wouldBe: 'allow', enforced: true, ruleIds: Object.freeze([]) });

function isEngine(value: unknown): value is Engine {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { evaluate?: unknown }).evaluate === 'function' &&
    typeof (value as { createRun?: unknown }).createRun === 'function'
  );
}

/**
 * Builds the governor from a policy document or a compiled engine, always with the manifest's tool
 * grants: they are the allow-list and the approvals, decided by the engine alone. With `off` (test
 * only) no guardrail runs, but the grants and their approvals still do.
 */
export function createGovernance(
  policy: GuardrailPolicy | Engine | undefined,
  mode: 'enforce' | 'off',
  canaries: readonly string[],
  grants: readonly ToolGrant[],
): Governor {
  let engine: Engine;
  if (mode === 'off') {
    engine = compile({ version: '0.0.0' }, grants, canaries);
  } else if (policy === undefined) {
    throw new AgentError(
      AgentErrorCode.BadOptions,
      'createAgent needs a policy: pass `agent: loadAgent(path)` (the manifest names its policy), or `policy` with `manifest`',
    );
  } else if (isEngine(policy)) {
    checkEngineGrants(policy, grants);
    engine = policy;
  } else {
    engine = compile(policy, grants, canaries);
  }
  const owner = {};
  const others = new WeakMap<RunState, GuardSession>();
  return {
    policyVersion: mode === 'off' ? 'off' : engine.version,
    enabled: mode !== 'off',
    // An engine compiled by an older @charter/guardrails has no `provenance`: the policy default (enabled).
    provenance: mode !== 'off' && ((engine as Partial<Pick<Engine, 'provenance'>>).provenance?.enabled ?? true),
    redact: mode === 'off' ? (text) => text : (text) => engine.redact(text),
    session(state) {
      const held = (state as Held)[SESSION];
      if (held?.owner === owner) return held.session;
      // A state another governor holds already (never in the loop: a run state belongs to one agent).
      if (held !== undefined) {
        let session = others.get(state);
        if (session === undefined) others.set(state, (session = open(engine, state, canaries)));
        return session;
      }
      const session = open(engine, state, canaries);
      Object.defineProperty(state, SESSION, { value: { owner, session }, enumerable: false });
      return session;
    },
  };
}

function compile(
  policy: GuardrailPolicy | { readonly version: string },
  grants: readonly ToolGrant[],
  canaries: readonly string[],
): Engine {
  try {
    return compilePolicy(policy, { canaries, grants });
  } catch (error) {
    throw new AgentError(AgentErrorCode.BadOptions, `the guardrail policy does not compile: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A compiled engine must carry the manifest's grants: otherwise its allow-list and approvals are not the manifest's. */
function checkEngineGrants(engine: Engine, grants: readonly ToolGrant[]): void {
  const expected = grants.map((grant) => `${grant.name}: ${grant.approval.trim()}`);
  const actual = engine.grants?.map((grant) => `${grant.name}: ${grant.approval}`);
  if (actual?.length === expected.length && actual.every((line, index) => line === expected[index])) return;
  throw new AgentError(
    AgentErrorCode.BadOptions,
    actual === undefined
      ? "the compiled policy was compiled without the manifest's tool grants: compile it with compilePolicy(policy, { grants: manifest.spec.tools })"
      : `the compiled policy's grants (${actual.join('; ') || 'none'}) are not the manifest's (${expected.join('; ') || 'none'}): compile it with compilePolicy(policy, { grants: manifest.spec.tools })`,
  );
}

function toDecision(decision: ReturnType<Engine['evaluate']>): GuardDecision {
  if (decision.wouldBe === 'allow') return ALLOW;
  const ids: string[] = [];
  const approvals: string[] = [];
  for (const finding of decision.findings) {
    if (finding.action !== 'allow' && !ids.includes(finding.ruleId)) ids.push(finding.ruleId);
    if (finding.ruleId === APPROVAL_RULE) approvals.push(finding.message);
  }
  if (ids.length === 0 && decision.ruleId !== undefined) ids.push(decision.ruleId);
  return {
    action: decision.action,
    wouldBe: decision.wouldBe,
    enforced: decision.enforced,
    ruleIds: ids,
    ...(approvals.length === 0 ? {} : { approvals }),
    ...(decision.content === undefined ? {} : { content: decision.content }),
    ...(decision.args === undefined ? {} : { args: decision.args }),
  };
}

function open(engine: Engine, state: RunState, canaries: readonly string[]): GuardSession {
  const run: GuardrailRun = engine.createRun({ context: state.context, canaries });
  // A resumed run gets a fresh engine run: replay the tool calls it already made so per-run limits
  // (maxCallsPerRun) count them again.
  const refused = new Set(state.actions.filter((a) => a.outcome === 'refused').map((a) => a.callId));
  for (const message of state.messages) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) {
      if (part.type === 'tool-call' && !refused.has(part.toolCallId) && state.actions.some((a) => a.callId === part.toolCallId)) {
        engine.evaluate({ hook: 'tool-call', toolCall: { name: part.toolName, args: part.input } }, run);
      }
    }
  }
  const asyncEngine = engine.hasAsync;
  return {
    evaluate(request) {
      const req =
        request.toolCall === undefined
          ? { hook: request.hook, content: request.content }
          : {
              hook: request.hook,
              content: request.content,
              toolCall: {
                name: request.toolCall.name,
                args: request.toolCall.args,
                ...(request.toolCall.ungrounded === undefined ? {} : { ungrounded: request.toolCall.ungrounded }),
              },
            };
      if (asyncEngine) return engine.evaluateAsync(req, run).then(toDecision);
      return toDecision(engine.evaluate(req, run));
    },
  };
}
