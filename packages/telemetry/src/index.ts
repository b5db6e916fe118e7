export { TelemetryError, TelemetryErrorCode } from './errors.js';
export {
  ApprovalDenied,
  ApprovalGranted,
  ApprovalRequested,
  BudgetExceeded,
  BudgetKind,
  CONTENT_FIELDS,
  Escalation,
  EVENT_SCHEMA_VERSION,
  Feedback,
  GuardrailDecision,
  JsonValue,
  MODEL_FALLBACK_REASONS,
  ModelFallback,
  ModelCache,
  ModelCascade,
  ModelFallbackReason,
  ModelRequest,
  ModelResponse,
  RunCompleted,
  RunEscalated,
  RunFailed,
  RolloutTransition,
  RunStarted,
  SideEffects,
  StepEvent,
  StepPhase,
  TelemetryEvent,
  ToolCall,
  ToolResult,
} from './events.js';
export type { EventInput, EventOf, EventType } from './events.js';
export { createTelemetry } from './telemetry.js';
export type { ContentLocation, Redactor, Sink, Telemetry, TelemetryOptions } from './telemetry.js';
export { canonicalJson, hashArguments, sha256Hex } from './canonical.js';
export { createMemorySink } from './sinks/memory.js';
export type { MemorySink } from './sinks/memory.js';
export { createJsonlSink } from './sinks/jsonl.js';
export type { JsonlSink, JsonlSinkOptions } from './sinks/jsonl.js';
export { createOtelSink, GenAiAttributes, SpanEventNames } from './sinks/otel.js';
export type { OtelSink, OtelSinkOptions } from './sinks/otel.js';
export { METRICS } from './metric-names.js';
export type { MetricDefinition, MetricKey } from './metric-names.js';
export { METRIC_BUCKETS, observeEvent, otelAttributeKey } from './metrics.js';
export type { HistogramKey, Labels, Observe } from './metrics.js';
export { createPrometheusSink } from './prometheus.js';
export type { PrometheusSink } from './prometheus.js';
export { loadEvents, parseEvents, readEvents } from './read.js';
export type { EventIssue, ReadEventsResult } from './read.js';
export {
  AUDIT_GENESIS_HASH,
  AUDIT_HMAC_KEY_ENV,
  AUDIT_SCHEMA_VERSION,
  AuditActor,
  AuditEntry,
  AuditKind,
  AuditRecord,
  auditRecordHash,
  createAuditSink,
  openAuditLog,
  verifyAudit,
  verifyAuditBytes,
} from './audit.js';
export type { AuditBreak, AuditLog, AuditLogOptions, AuditSinkOptions, AuditVerification, VerifyAuditOptions } from './audit.js';
export {
  createRecorder,
  createReplay,
  diffRecordings,
  formatRecordingDiff,
  parseRecording,
  readRecording,
  RECORDING_VERSION,
  Recording,
  RecordedDecision,
  RecordedModelResponse,
  RecordedToolCall,
  RecordedToolResult,
  RunStatus,
  stringifyRecording,
} from './replay.js';
export type {
  DiffSection,
  Recorder,
  RecordingDifference,
  RecordingInput,
  ReplayModel,
  ReplaySession,
  ReplayTools,
  ToolResultInput,
} from './replay.js';
// SLO burn-rate alert rules (src/alerts.ts, written alongside by the operations work).
export {
  ALERT_ERROR_CODES,
  alertRulesToYaml,
  ALERTS,
  DEFAULT_RUNBOOK_URL,
  generateAlertRules,
  SLI_RECORDS,
  SLI_WINDOWS,
} from './alerts.js';
export type { AlertingRule, AlertName, AlertRuleOptions, PrometheusRuleFile, RecordingRule, RuleGroup } from './alerts.js';
