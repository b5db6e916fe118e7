import { FinalRunStatus, GuardrailAction, GuardrailHook, SideEffects } from '@charter/spec';
import { z } from 'zod';

/** Version of the event schema; written as `v` on every event. Bump on a breaking change. */
export const EVENT_SCHEMA_VERSION = 1;

/** Any JSON value (content: prompts, outputs, tool arguments and results). */
export const JsonValue = z.json();
export type JsonValue = z.infer<typeof JsonValue>;

const Id = z.string().min(1).max(200);
const NonNegative = z.number().nonnegative();
const Count = z.int().nonnegative();

/** Fields every event carries. `emit` fills `v`, `ts`, `seq` and `agent`. */
const Base = {
  v: z.literal(EVENT_SCHEMA_VERSION),
  /** Epoch milliseconds. */
  ts: NonNegative,
  runId: Id,
  /** 0, 1, 2… within a run, in emission order. */
  seq: Count,
  /** The agent's `metadata.name`. */
  agent: Id,
};

export const StepPhase = z.enum(['perceive', 'decide', 'act', 'reflect']);
export type StepPhase = z.infer<typeof StepPhase>;

/** What a tool call may change (`@charter/spec`'s shared value, re-exported for event consumers). */
export { SideEffects };

export const BudgetKind = z.enum(['steps', 'tokens', 'cost', 'time']);
export type BudgetKind = z.infer<typeof BudgetKind>;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { error: 'a SHA-256 hex digest (64 lower-case hex characters)' });

export const RunStarted = z.strictObject({
  ...Base,
  type: z.literal('run.started'),
  model: z.strictObject({ provider: Id, id: Id }).optional(),
  conversationId: Id.optional(),
  /** The tenant the run serves (`charter serve`'s tenant id), when there is one: `charter profile` groups by it. */
  tenant: Id.optional(),
  /** Manifest `metadata.version` of the agent that ran. */
  agentVersion: z.string().max(64).optional(),
  /** Content: the run input (only with `captureContent`, always redacted). */
  input: JsonValue.optional(),
});

export const RunCompleted = z.strictObject({
  ...Base,
  type: z.literal('run.completed'),
  /** `denied` when a guardrail refused the run and the agent answered with a refusal. */
  status: FinalRunStatus.extract(['completed', 'denied']),
  durationMs: NonNegative,
  steps: Count,
  costUsd: NonNegative.optional(),
  output: JsonValue.optional(),
});

export const RunFailed = z.strictObject({
  ...Base,
  type: z.literal('run.failed'),
  durationMs: NonNegative,
  errorCode: Id,
  message: z.string().max(2000),
});

export const RunEscalated = z.strictObject({
  ...Base,
  type: z.literal('run.escalated'),
  durationMs: NonNegative,
  reason: Id,
});

export const StepEvent = z.strictObject({
  ...Base,
  type: z.literal('step'),
  step: Count,
  phase: StepPhase,
});

export const ModelRequest = z.strictObject({
  ...Base,
  type: z.literal('model.request'),
  /** Correlates the request with its response. */
  callId: Id,
  provider: Id,
  model: Id,
  step: Count.optional(),
  messages: JsonValue.optional(),
});

export const ModelResponse = z.strictObject({
  ...Base,
  type: z.literal('model.response'),
  callId: Id,
  provider: Id,
  model: Id,
  inputTokens: Count,
  outputTokens: Count,
  costUsd: NonNegative,
  latencyMs: NonNegative,
  /** e.g. `stop`, `tool-calls`, `length`, `content-filter`, `error`. */
  finishReason: Id,
  output: JsonValue.optional(),
});

/**
 * Why a model call went to the fallback model: the primary's circuit breaker is open, or the primary
 * failed this call with a timeout, a 5xx, a 429 or another retryable error (network, 408, 409).
 */
export const MODEL_FALLBACK_REASONS = ['breaker_open', 'timeout', 'server_error', 'rate_limited', 'unavailable'] as const;
export const ModelFallbackReason = z.enum(MODEL_FALLBACK_REASONS);
export type ModelFallbackReason = (typeof MODEL_FALLBACK_REASONS)[number];

/**
 * One model call sent to the fallback model (`spec.model.fallback`) instead of the primary. Emitted
 * before the fallback's own `model.request`, whose `callId` is this event's `fallbackCallId`.
 */
export const ModelFallback = z.strictObject({
  ...Base,
  type: z.literal('model.fallback'),
  /** The primary's call id (its `model.request`/`model.response`; none when the breaker was open). */
  callId: Id,
  /** The fallback's call id. */
  fallbackCallId: Id,
  /** The primary model. */
  provider: Id,
  model: Id,
  /** The fallback model. */
  fallbackProvider: Id,
  fallbackModel: Id,
  reason: ModelFallbackReason,
  /** What the primary's failure was, without content (e.g. `HTTP 503`, `no answer within 20000 ms`). */
  error: z.string().max(500).optional(),
});

/**
 * A lookup of the decision cache (`spec.cost.cache`) for one model call: `hit` (answered from the
 * cache: the saved tokens and dollars are what the call cost when it was made), `miss` (the model was
 * called and its answer stored) or `bypass` (not cacheable: not deterministic, or no tenant/user in a
 * scoped cache).
 */
export const ModelCache = z.strictObject({
  ...Base,
  type: z.literal('model.cache'),
  callId: Id,
  provider: Id,
  model: Id,
  outcome: z.enum(['hit', 'miss', 'bypass']),
  savedInputTokens: Count,
  savedOutputTokens: Count,
  savedUsd: NonNegative,
});

/**
 * One step of the model cascade (`spec.cost.cascade`): the small model answered with `confidence`;
 * `accepted` when it reached `threshold`, `escalated` when the large model was called instead (a
 * failed small call escalates without a confidence).
 */
export const ModelCascade = z.strictObject({
  ...Base,
  type: z.literal('model.cascade'),
  callId: Id,
  /** The small model. */
  provider: Id,
  model: Id,
  /** The large model (spec.model). */
  largeProvider: Id,
  largeModel: Id,
  outcome: z.enum(['accepted', 'escalated']),
  confidence: z.number().min(0).max(1).optional(),
  threshold: z.number().min(0).max(1),
});

export const ToolCall = z.strictObject({
  ...Base,
  type: z.literal('tool.call'),
  /** The model's tool call id (`gen_ai.tool.call.id`). */
  callId: Id,
  name: Id,
  version: z.string().min(1).max(64),
  sideEffects: SideEffects,
  /** SHA-256 of the canonical JSON of the arguments (`hashArguments`): always present, content or not. */
  argsHash: Sha256Hex,
  args: JsonValue.optional(),
});

export const ToolResult = z.strictObject({
  ...Base,
  type: z.literal('tool.result'),
  callId: Id,
  name: Id,
  version: z.string().min(1).max(64),
  durationMs: NonNegative,
  outcome: z.enum(['ok', 'error']),
  retries: Count,
  /** The tool SDK's error code when `outcome` is `error` (e.g. `TOOL_TIMEOUT`). */
  errorCode: Id.optional(),
  result: JsonValue.optional(),
});

export const GuardrailDecision = z.strictObject({
  ...Base,
  type: z.literal('guardrail.decision'),
  hook: GuardrailHook,
  action: GuardrailAction,
  ruleIds: z.array(Id).max(64),
  /** The tool call the decision is about (tool-call and tool-result hooks). */
  callId: Id.optional(),
  /** `monitor` decisions are recorded but not enforced. */
  mode: z.enum(['enforce', 'monitor']).optional(),
});

export const ApprovalRequested = z.strictObject({
  ...Base,
  type: z.literal('approval.requested'),
  approvalId: Id,
  tool: Id,
  toolVersion: z.string().min(1).max(64),
  sideEffects: SideEffects,
  callId: Id,
  argsHash: Sha256Hex,
  /** Why approval is needed, e.g. the manifest policy `when amount > 100`. */
  reason: z.string().max(500),
});

export const ApprovalGranted = z.strictObject({
  ...Base,
  type: z.literal('approval.granted'),
  approvalId: Id,
  approver: Id,
});

export const ApprovalDenied = z.strictObject({
  ...Base,
  type: z.literal('approval.denied'),
  approvalId: Id,
  approver: Id,
  reason: z.string().max(500).optional(),
});

export const BudgetExceeded = z.strictObject({
  ...Base,
  type: z.literal('budget.exceeded'),
  budget: BudgetKind,
  limit: NonNegative,
  used: NonNegative,
});

export const Escalation = z.strictObject({
  ...Base,
  type: z.literal('escalation'),
  /** Low-cardinality reason code (a metric label), e.g. `approval_denied`, `budget`, `low_confidence`. */
  reason: Id,
  channel: z.string().max(32).optional(),
  target: z.string().max(500).optional(),
});

export const Feedback = z.strictObject({
  ...Base,
  type: z.literal('feedback'),
  /** Customer satisfaction rating, 1-5. */
  score: z.number().min(1).max(5),
});

/**
 * A staged rollout (`@charter/rollout`) changed state. `runId` is `rollout:<id>`; `transition` numbers
 * the rollout's transitions 1, 2, 3…; `statistics` holds the analysis behind the decision (counts,
 * effects and confidence sequences, never content).
 */
export const RolloutTransition = z.strictObject({
  ...Base,
  type: z.literal('rollout.transition'),
  transition: z.int().positive(),
  /** start, promote, pause, resume, abort, rollback, set-weight. */
  event: z.string().min(1).max(32),
  from: z.string().min(1).max(32),
  to: z.string().min(1).max(32),
  /** The stage name after the transition, when there is one. */
  stage: z.string().max(64).optional(),
  /** The candidate's share of traffic after the transition, 0-100. */
  weight: z.number().min(0).max(100),
  actor: z.enum(['human', 'system']),
  reason: z.string().max(2000),
  statistics: JsonValue.optional(),
});

/** Every event `@charter/telemetry` knows, discriminated by `type`. */
export const TelemetryEvent = z.discriminatedUnion('type', [
  RunStarted,
  RunCompleted,
  RunFailed,
  RunEscalated,
  StepEvent,
  ModelRequest,
  ModelResponse,
  ModelFallback,
  ModelCache,
  ModelCascade,
  ToolCall,
  ToolResult,
  GuardrailDecision,
  ApprovalRequested,
  ApprovalGranted,
  ApprovalDenied,
  BudgetExceeded,
  Escalation,
  Feedback,
  RolloutTransition,
]);
export type TelemetryEvent = z.infer<typeof TelemetryEvent>;
export type EventType = TelemetryEvent['type'];
export type EventOf<T extends EventType> = Extract<TelemetryEvent, { type: T }>;

/** What the agent passes to `emit`: an event without the fields telemetry fills in. */
export type EventInput = TelemetryEvent extends infer E
  ? E extends TelemetryEvent
    ? Omit<E, 'v' | 'ts' | 'seq' | 'agent'>
    : never
  : never;

/** Names of the content fields of each event type (dropped unless `captureContent`, redacted when kept). */
export const CONTENT_FIELDS: Readonly<Partial<Record<EventType, readonly string[]>>> = {
  'run.started': ['input'],
  'run.completed': ['output'],
  'model.request': ['messages'],
  'model.response': ['output'],
  'tool.call': ['args'],
  'tool.result': ['result'],
};

/** Events that end a run. */
export const TERMINAL_EVENTS: ReadonlySet<EventType> = new Set(['run.completed', 'run.failed', 'run.escalated']);
