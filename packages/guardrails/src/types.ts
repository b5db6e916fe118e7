import type { GuardrailAction, GuardrailHook, RedactionMode } from '@charter/spec';

export type { GuardrailAction, GuardrailHook, RedactionMode } from '@charter/spec';

/** How bad a finding is, independent of what the policy does about it. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Which part of the engine produced a finding. */
export type DetectorName =
  'pii' | 'secrets' | 'injection' | 'keywords' | 'canary' | 'length' | 'classifier' | 'tool' | 'provenance' | 'engine';

/** One thing a detector or tool rule found. Offsets are UTF-16 indices into the string at `path`. */
export interface Finding {
  /** Stable id of the rule, e.g. `pii.email`, `secrets.github-pat`, `injection.instruction-override`, `tool.arg.max`. */
  readonly ruleId: string;
  readonly detector: DetectorName;
  /** For PII and secrets: `EMAIL`, `PHONE`, `CREDIT_CARD`, `IBAN`, `US_SSN`, `IP_ADDRESS`, `SECRET`, custom names. */
  readonly entity?: string;
  readonly severity: Severity;
  /** What the policy does about this finding. */
  readonly action: GuardrailAction;
  readonly start: number;
  readonly end: number;
  /** JSON pointer of the string inside the content or tool arguments (`""` for a plain string). */
  readonly path: string;
  readonly message: string;
  /** Injection or classifier score (0-1) of the detector that produced the finding. */
  readonly score?: number;
  /** How the span is replaced when the decision is `redact`. */
  readonly redaction?: RedactionMode | 'remove';
}

/** The outcome of one evaluation. Identical input (and run state) gives an identical decision. */
export interface Decision {
  readonly hook: GuardrailHook;
  /**
   * What the caller must do. In `monitor` mode `allow`, except `needs-approval` when a tool grant's
   * approval condition holds (the manifest's approvals apply in both modes).
   */
  readonly action: GuardrailAction;
  /** What `enforce` mode decides (equal to `action` when enforced). */
  readonly wouldBe: GuardrailAction;
  /** False in `monitor` mode. */
  readonly enforced: boolean;
  /** The rule behind `wouldBe` (the first finding with the most severe action). */
  readonly ruleId: string | undefined;
  readonly findings: readonly Finding[];
  /** The redacted content, when `wouldBe` is `redact` (same shape as the request's content). */
  readonly content?: unknown;
  /** The redacted tool arguments, when `wouldBe` is `redact` at the `tool-call` hook. */
  readonly args?: unknown;
  /** Highest injection or classifier score seen, when one of them ran and scored above 0. */
  readonly score?: number;
}

/** A tool call as the engine sees it. */
export interface ToolCall {
  readonly name: string;
  readonly args?: unknown;
  /** Facts for argument rules (e.g. `customerEmail`), merged over the run's context. */
  readonly context?: Readonly<Record<string, unknown>>;
  /**
   * Why the caller found this call not grounded in trusted context (the agent loop's provenance check):
   * each becomes a `provenance.ungrounded` finding with the policy's provenance action. Empty or absent: grounded.
   */
  readonly ungrounded?: readonly UngroundedReason[];
}

/** One reason a tool call is not grounded in trusted context. */
export interface UngroundedReason {
  /** JSON pointer of the argument (`""`: the call itself — the user did not ask for this kind of action). */
  readonly path: string;
  /** What the approver reads: the value and the untrusted content it came from. */
  readonly message: string;
}

/** What to evaluate. `content` may be a string or any JSON-like value (string leaves are scanned). */
export interface GuardrailRequest {
  readonly hook: GuardrailHook;
  readonly content?: unknown;
  readonly toolCall?: ToolCall;
}

/** What a classifier decides when it cannot score: `fail-closed` applies the detector's action, `fail-open` allows. */
export type ClassifierFailureMode = 'fail-closed' | 'fail-open';

/** What a pluggable (model-based) classifier returns. */
export interface ClassifierResult {
  /** 0-1; compared with the detector's threshold. */
  readonly score: number;
  readonly label?: string;
  readonly spans?: readonly { readonly start: number; readonly end: number }[];
  /**
   * Set when the classifier could not score (timeout, HTTP error, bad response): the engine records a
   * finding `<rule>.error` with the detector's action (`fail-closed`) or `<rule>.unavailable` with `allow`
   * (`fail-open`), so a failure is always visible in the decision and never a silent pass.
   */
  readonly failure?: { readonly mode: ClassifierFailureMode; readonly code: string; readonly message: string };
}

/** An async detector an organisation registers by name, e.g. a hosted prompt-injection model. */
export type Classifier = (text: string, info: { readonly hook: GuardrailHook }) => ClassifierResult | Promise<ClassifierResult>;
