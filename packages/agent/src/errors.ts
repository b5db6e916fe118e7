/** Stable codes of every error `@charter/agent` throws. Run outcomes are never thrown: they are results. */
export const AgentErrorCode = {
  /** `createAgent` was given options it cannot run with (missing manifest, tool not granted, …). */
  BadOptions: 'AGENT_BAD_OPTIONS',
  /** `run` was given input that is not a non-empty string or `{ text }` within the length cap. */
  BadInput: 'AGENT_BAD_INPUT',
  /** `resume` named a run the store does not hold. */
  RunNotFound: 'AGENT_RUN_NOT_FOUND',
  /** `resume` named a run that is not waiting for an approval (it finished or was resumed already). */
  NotPaused: 'AGENT_NOT_PAUSED',
  /** `resume` was given a decision that is not `{ approved, approver }`. */
  BadDecision: 'AGENT_BAD_DECISION',
  /** A run store could not read or write a checkpoint. */
  Store: 'AGENT_STORE',
  /** A checkpoint is not a valid run state (corrupt file or another version). */
  BadState: 'AGENT_BAD_STATE',
  /** An escalation sink could not deliver a context packet. */
  Escalation: 'AGENT_ESCALATION',
  /** A scripted model scenario is invalid. */
  BadScript: 'AGENT_BAD_SCRIPT',
  /**
   * The model `spec.model` names cannot be built: its provider is not in the model registry, an
   * environment variable it needs is missing (`ModelConfigError.variable`), or its package is absent.
   */
  ModelConfig: 'AGENT_MODEL_CONFIG',
  /** A replayed run reached something the recording holds as a failure (a model call that failed). */
  Replay: 'AGENT_REPLAY',
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

const marker = Symbol.for('charter.agent.error');

/** Base class of every error thrown by `@charter/agent`. */
export class AgentError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'AgentError';
  readonly code: AgentErrorCode;

  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for an AgentError from any copy of this package. */
  static isInstance(value: unknown): value is AgentError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/**
 * `AGENT_MODEL_CONFIG`: the model the manifest names cannot be built. `variable` names the missing or
 * invalid environment variable when that is the cause; the message says what to set.
 */
export class ModelConfigError extends AgentError {
  override readonly name: string = 'ModelConfigError';
  readonly variable: string | undefined;

  constructor(message: string, options: { readonly variable?: string; readonly cause?: unknown } = {}) {
    super(AgentErrorCode.ModelConfig, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.variable = options.variable;
  }
}
