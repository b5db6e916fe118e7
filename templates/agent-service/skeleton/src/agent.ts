// The agent: loaded from its manifest (agent.yaml, with the policy it names) and given its tools.
import { fileURLToPath } from 'node:url';
import {
  createAgent,
  MemoryStore,
  type Agent,
  type AgentOptions,
  type ControlSource,
  type EscalationSink,
  type RunStore,
} from '@charter/agent';
import { requireAgent, type ValidAgent } from '@charter/spec';
import type { Telemetry } from '@charter/telemetry';
import { MemoryLedger, type AnyTool, type IdempotencyLedger } from '@charter/tools';
import { canaries, createTools, instructions } from './tools.js';

/** The manifest beside this package's src/ and dist/. */
export const MANIFEST_PATH = fileURLToPath(new URL('../agent.yaml', import.meta.url));

/** The agent as its manifest states it; throws listing every problem with file:line when it does not load cleanly. */
export function loadServiceAgent(path: string = MANIFEST_PATH): ValidAgent {
  return requireAgent(path);
}

export interface ServiceAgentOptions {
  /**
   * The model; tests and scenarios pass an offline one (`scripted` from @charter/agent/models). Default:
   * the manifest's `spec.model` with its fallback, built from the environment's credentials.
   */
  readonly model?: AgentOptions['model'];
  readonly tools?: readonly AnyTool[];
  readonly agent?: ValidAgent;
  readonly telemetry?: Telemetry;
  /** Where hand-offs go; default the manifest's escalation channel. */
  readonly escalation?: EscalationSink;
  /** Paused runs; default in memory (a host application passes a durable store). */
  readonly store?: RunStore;
  /** The idempotency ledger of side-effecting calls; default in memory, one per agent. */
  readonly ledger?: IdempotencyLedger;
  /** Operators' controls (kill switch, disabled tools): e.g. `openState(…).controls` of @charter/state; default none. */
  readonly controls?: ControlSource;
  /** TEST ONLY: 'off' proves that the guardrails, not the model, stop attacks. */
  readonly governance?: 'enforce' | 'off';
}

/** Creates the agent; run store and idempotency ledger default to in-memory ones (a host application passes durable ones). */
export function createServiceAgent(options: ServiceAgentOptions): Agent {
  return createAgent({
    agent: options.agent ?? loadServiceAgent(),
    ...(options.model === undefined ? {} : { model: options.model }),
    tools: options.tools ?? createTools(),
    instructions,
    canaries: [...canaries],
    store: options.store ?? new MemoryStore(),
    ledger: options.ledger ?? new MemoryLedger(),
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
    ...(options.escalation === undefined ? {} : { escalation: options.escalation }),
    ...(options.controls === undefined ? {} : { controls: options.controls }),
    governance: options.governance ?? 'enforce',
  });
}
