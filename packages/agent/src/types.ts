import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { AgentManifest, GuardrailPolicy, LoadedAgent, Playbook } from '@charter/spec';
import type { Telemetry } from '@charter/telemetry';
import type { AnyTool, CredentialProvider, IdempotencyLedger } from '@charter/tools';
import type { ControlSource } from './controls.js';
import type { DecisionCache } from './cost/cache.js';
import type { ConfidenceVerifier } from './cost/cascade.js';
import type { ContextPacket, EscalationSink } from './escalation.js';
import type { ModelBreakers } from './fallback.js';
import type { ModelEnv, ModelRegistry } from './models/registry.js';
import type { GuardrailEngine } from './governance.js';
import type { ActionRecord, DecisionRecord, PendingApproval, RunStatus } from './state.js';
import type { RunStore } from './store.js';

/** Model prices used to turn token usage into `costUsd`. */
export interface Pricing {
  readonly inputPerMTokUsd: number;
  readonly outputPerMTokUsd: number;
}

export interface AgentOptions {
  /**
   * The agent as `loadAgent(path)` (or `requireAgent`) returns it: the manifest (budgets, tool grants
   * and their approvals, escalation, playbooks), the policy it names, and its folder, against which
   * relative paths in it resolve (the `jsonl` escalation target). It must have loaded without errors.
   * Give this or `manifest`.
   */
  readonly agent?: LoadedAgent;
  /**
   * The manifest as a value, for a manifest that is not a file of its own: built or varied in memory
   * (tests, a host that keeps manifests in a registry). It has no folder, so a relative escalation
   * target needs an `escalation` sink; `policy` is required. Prefer `agent`. Give this or `agent`.
   */
  readonly manifest?: AgentManifest;
  /**
   * The model, overriding `spec.model`: any AI SDK provider's `LanguageModelV3`, or an offline one from
   * `@charter/agent/models` (tests, offline runs, the reference agent's scenario suite). An explicit
   * model replaces the manifest's choice whole: the manifest's fallback is not resolved either (pass
   * `fallbackModel` for one). Default: `spec.model` resolved through `models` (`resolveModel`).
   */
  readonly model?: LanguageModelV3;
  /** The fallback model, overriding `spec.model.fallback`. */
  readonly fallbackModel?: LanguageModelV3;
  /** How `spec.model` and its fallback become models when `model` is not given. Default `defaultModelRegistry`. */
  readonly models?: ModelRegistry;
  /** The environment the model registry reads (base URL, API key). Default `process.env`. */
  readonly env?: ModelEnv;
  /**
   * The models' circuit breakers (used when there is a fallback). Default: the agent's own, with 3
   * failures in a row opening a breaker for 30 s. Share one `ModelBreakers` between agents to share what they learn.
   */
  readonly modelBreakers?: ModelBreakers;
  /**
   * With a fallback, a primary call that has not answered after this many ms is abandoned and the
   * fallback gets the prompt (reason `timeout`). Default: half of `spec.budgets.timeoutMs`, at most
   * 30 000. Without a fallback only the run's own time budget bounds a call.
   */
  readonly modelTimeoutMs?: number;
  /**
   * The playbooks the manifest names; default: those of `agent` (`loadAgent(path).playbooks`). An
   * escalation's context packet names the playbook their triggers route it to (`triggers.escalations`,
   * refined by error codes and guardrail rules). Playbooks the manifest does not list are ignored.
   * Without any (a `manifest` given as a value and no `playbooks`) the packet names none.
   */
  readonly playbooks?: ReadonlyMap<string, Playbook> | Iterable<Playbook>;
  /** The tool implementations (`defineTool`); every tool the manifest grants must be among them. */
  readonly tools: readonly AnyTool[];
  /**
   * The guardrail policy: a document, or an engine compiled with the manifest's tool grants
   * (`compilePolicy(policy, { grants: manifest.spec.tools, classifiers, salt })`). With `agent`, it
   * replaces the policy the manifest names (a compiled engine, or a changed policy in a replay);
   * with `manifest`, it is required unless governance is off.
   */
  readonly policy?: GuardrailPolicy | GuardrailEngine;
  /** From `createTelemetry`; without it no events are emitted. */
  readonly telemetry?: Telemetry;
  /** Where context packets go; default: the manifest's `spec.escalation` channel (a relative `jsonl` path resolves against the manifest's folder). */
  readonly escalation?: EscalationSink;
  /** Where paused runs are checkpointed; default `FileStore('<cwd>/.charter/runs')`. */
  readonly store?: RunStore;
  /** The tools' idempotency ledger; default the tools package's `FileLedger` at `<cwd>/.charter/idempotency.jsonl`. */
  readonly ledger?: IdempotencyLedger;
  readonly credentials?: CredentialProvider;
  /**
   * Canary tokens planted in `instructions`: a policy's output `canary` detector denies any answer
   * that leaks one (system-prompt extraction).
   */
  readonly canaries?: readonly string[];
  /** The system prompt. */
  readonly instructions?: string;
  /**
   * Prices of every model call. Default: each model's declared list price (`capabilitiesOf(model).pricing`,
   * e.g. offline models built with `OFFLINE_PRICING`), else 0.
   */
  readonly pricing?: Pricing;
  /**
   * The decision cache (`spec.cost.cache`) to use instead of the agent's own: share one between agents
   * (e.g. one agent per request) so that they answer each other's repeated calls. Ignored without `spec.cost.cache`.
   */
  readonly decisionCache?: DecisionCache;
  /**
   * The small model of the cascade, overriding `spec.cost.cascade.model`. With an explicit `model` the
   * cascade runs only when this is given too (as with `fallbackModel`).
   */
  readonly cascadeModel?: LanguageModelV3;
  /** Verifiers by name, for `spec.cost.cascade.signal: verifier`. */
  readonly verifiers?: Readonly<Record<string, ConfidenceVerifier>>;
  /** A tool whose successful call hands the run to a human (ends it `escalated`, reason `handoff`). */
  readonly handoffTool?: string;
  /** Longest accepted input in characters; default 20 000. */
  readonly maxInputChars?: number;
  /** Epoch-millisecond clock (tests). */
  readonly clock?: () => number;
  /**
   * Operational controls read at every step (cached, re-read within 1 s): a kill switch escalates the
   * run without calling the model, a disabled tool is refused, require-all sends side-effecting calls
   * to approval. Default: none. `@charter/state` has file and PostgreSQL sources.
   */
  readonly controls?: ControlSource;
  /**
   * TEST ONLY: `off` runs without any guardrail (the manifest's grants and approvals still apply), to prove that the
   * guardrails — not the model — stop attacks. Never use it in production.
   */
  readonly governance?: 'enforce' | 'off';
}

/** One run-context fact: a string or a short list of strings. */
export type ContextFact = string | readonly string[];

export interface RunOptions {
  readonly tenant?: string;
  readonly user?: string;
  readonly signal?: AbortSignal;
  /** Default: a random id. */
  readonly runId?: string;
  /**
   * Facts guardrail argument rules compare against (e.g. `customerEmail`, `customerId`, or a list such
   * as `customerOrders` for `oneOfContext`). They are checkpointed with the run, so keep them small.
   */
  readonly context?: Readonly<Record<string, ContextFact>>;
}

/** A human's answer to a pending approval. */
export interface ApprovalDecision {
  readonly approved: boolean;
  readonly approver: string;
  readonly reason?: string | undefined;
}

export interface RunResult {
  /** `paused`: waiting for `agent.resume(runId, decision)`; see `approval`. */
  readonly status: RunStatus;
  readonly runId: string;
  /** The answer to the user (completed), the refusal (denied), or undefined. */
  readonly output: string | undefined;
  /** Model calls made. */
  readonly steps: number;
  readonly usage: { readonly tokens: number; readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number };
  /** The escalation reason (`EscalationReason`) of an escalated run, or the error code of a failed run. */
  readonly reason: string | undefined;
  readonly actions: readonly ActionRecord[];
  readonly decisions: readonly DecisionRecord[];
  /** The approval a paused run waits for. */
  readonly approval: PendingApproval | undefined;
  /** The context packet handed to the escalation sink. */
  readonly escalation: ContextPacket | undefined;
  /** Set when the escalation sink failed to take the packet (the run is escalated all the same). */
  readonly escalationError: string | undefined;
  readonly durationMs: number;
}

export interface Agent {
  readonly name: string;
  run(input: string | { readonly text: string }, options?: RunOptions): Promise<RunResult>;
  /** Continues a paused run, in this process or another one sharing the store and ledger. */
  resume(runId: string, decision: ApprovalDecision, options?: { readonly signal?: AbortSignal }): Promise<RunResult>;
  /** Flushes telemetry and closes the tool ledger. */
  close(): Promise<void>;
}
