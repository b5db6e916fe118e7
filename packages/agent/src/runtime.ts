import type { LanguageModelV3, LanguageModelV3FunctionTool } from '@ai-sdk/provider';
import type { AgentManifest, PlaybookRoutes } from '@charter/spec';
import type { AnyTool, Executor } from '@charter/tools';
import type { ControlGate } from './controls.js';
import type { CostRuntime } from './cost/setup.js';
import type { EscalationSink } from './escalation.js';
import type { ModelBreakers } from './fallback.js';
import type { Governor } from './governance.js';
import type { Observer } from './observe.js';
import type { ProvenanceGate } from './provenance-gate.js';
import type { RunStore } from './store.js';

/** What the phases share: built once per agent by `createAgent`. */
export interface Runtime {
  readonly name: string;
  readonly manifest: AgentManifest;
  /** The primary model (`spec.model`, or the `model` option). */
  readonly model: LanguageModelV3;
  /** The fallback (`spec.model.fallback`, or the `fallbackModel` option); undefined without one. */
  readonly fallbackModel: LanguageModelV3 | undefined;
  readonly breakers: ModelBreakers;
  /** How long a primary call may take when a fallback exists. */
  readonly modelTimeoutMs: number;
  /** Playbook routing from the playbooks the agent was given (the context packet's `playbook`). */
  readonly routes: PlaybookRoutes | undefined;
  readonly executor: Executor;
  /** The manifest's granted tools, by name (whether a call needs approval is the guardrail engine's to decide). */
  readonly tools: ReadonlyMap<string, { readonly tool: AnyTool }>;
  readonly modelTools: readonly LanguageModelV3FunctionTool[];
  readonly guard: Governor;
  readonly governed: boolean;
  readonly observer: Observer;
  readonly escalation: EscalationSink;
  readonly store: RunStore;
  readonly instructions: string;
  readonly handoffTool: string | undefined;
  readonly maxInputChars: number;
  readonly clock: () => number;
  /** Operational controls (kill switch, disabled tools, require-all), when the agent was given a source. */
  readonly controls?: ControlGate | undefined;
  /** The cost controls (`spec.cost`) and the pricing of calls. */
  readonly cost: CostRuntime;
  /** The provenance check of side-effecting calls, loaded by the first (absent when governance is off or the policy disables it). */
  readonly provenance?: ProvenanceGate | undefined;
}
