import type { Decision } from './types.js';

/** Stable codes of every error `@charter/guardrails` throws. Policy outcomes are never thrown: they are decisions. */
export const GuardrailErrorCode = {
  /** The policy given to `compilePolicy` is not a valid GuardrailPolicy (or its spec). */
  InvalidPolicy: 'GUARDRAILS_INVALID_POLICY',
  /** A custom pattern is not a valid regular expression or could backtrack super-linearly. */
  UnsafePattern: 'GUARDRAILS_UNSAFE_PATTERN',
  /** A `classifier` detector names a classifier that was not registered at compile time. */
  UnknownClassifier: 'GUARDRAILS_UNKNOWN_CLASSIFIER',
  /** `evaluate` was called while the policy has async (classifier) detectors: use `evaluateAsync`. */
  AsyncRequired: 'GUARDRAILS_ASYNC_REQUIRED',
  /** A request named a hook that does not exist. */
  UnknownHook: 'GUARDRAILS_UNKNOWN_HOOK',
  /** Redaction mode `hash` needs a salt: pass `salt` to `compilePolicy` / `createRedactor`. */
  MissingSalt: 'GUARDRAILS_MISSING_SALT',
  /** A policy compiled with an agent's tool grants restates them (`tools.allow`, a rule's `approval`). */
  GrantConflict: 'GUARDRAILS_GRANT_CONFLICT',
  /** A secrets rule id in the policy does not exist. */
  UnknownRule: 'GUARDRAILS_UNKNOWN_RULE',
  /** A registered classifier failed or returned a score outside 0-1. */
  ClassifierFailed: 'GUARDRAILS_CLASSIFIER_FAILED',
  /** An HTTP classifier is misconfigured: bad URL or option, or a header names an unset environment variable. */
  ClassifierConfig: 'GUARDRAILS_CLASSIFIER_CONFIG',
  /** An HTTP classifier did not answer within its timeout. */
  ClassifierTimeout: 'GUARDRAILS_CLASSIFIER_TIMEOUT',
  /** An HTTP classifier answered with a non-2xx status (`status` on the error). */
  ClassifierHttp: 'GUARDRAILS_CLASSIFIER_HTTP',
  /** An HTTP classifier could not be reached (connection refused, DNS, TLS). */
  ClassifierUnreachable: 'GUARDRAILS_CLASSIFIER_UNREACHABLE',
  /** An HTTP classifier answered with a body that has no usable score for every input. */
  ClassifierBadResponse: 'GUARDRAILS_CLASSIFIER_BAD_RESPONSE',
  /** An adapter blocked a request or response (the decision is attached). */
  Blocked: 'GUARDRAILS_BLOCKED',
} as const;
export type GuardrailErrorCode = (typeof GuardrailErrorCode)[keyof typeof GuardrailErrorCode];

const marker = Symbol.for('charter.guardrails.error');

/** Base class of every error thrown by `@charter/guardrails`. */
export class GuardrailError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'GuardrailError';
  readonly code: GuardrailErrorCode;

  constructor(code: GuardrailErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a GuardrailError from any copy of this package. */
  static isInstance(value: unknown): value is GuardrailError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/** A failure of a model-based classifier; `status` is the HTTP status when there was one. */
export class GuardrailClassifierError extends GuardrailError {
  override readonly name: string = 'GuardrailClassifierError';
  readonly status: number | undefined;
  constructor(code: GuardrailErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}

/** Thrown by an adapter when a decision blocks a request or response; carries the decision. */
export class GuardrailBlockedError extends GuardrailError {
  override readonly name: string = 'GuardrailBlockedError';
  readonly decision: Decision;
  constructor(decision: Decision) {
    super(
      GuardrailErrorCode.Blocked,
      `guardrail ${decision.wouldBe} at ${decision.hook}: ${decision.ruleId ?? 'policy'} (${decision.findings[0]?.message ?? 'no detail'})`,
    );
    this.decision = decision;
  }
}
