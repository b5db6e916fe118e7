export { API_VERSION, DnsLabel, Duration, durationToMs, GroupRef, Identifier, Metadata, SemverRange, SemverVersion } from './common.js';
export {
  AgentManifest,
  AgentSpec,
  ApprovalPolicyText,
  Budgets,
  BusinessCase,
  DataHandling,
  Escalation,
  Kpi,
  ModelSpec,
  ReadinessWaiver,
  Rollout,
  RolloutAnalysis,
  RolloutStage,
  Slos,
  ToolGrant,
  ToolProvenance,
} from './agent.js';
export type { AgentManifestInput } from './agent.js';
export { CostBatch, CostCache, CostCascade, CostEarlyExit, CostSpec, costIssues } from './cost.js';
export type { CostContext, CostIssue } from './cost.js';
export {
  ArgumentConstraint,
  CanaryDetectorConfig,
  ClassifierDetectorConfig,
  CustomPattern,
  DetectorConfig,
  Dictionary,
  GuardrailPack,
  GuardrailPolicy,
  GuardrailPolicySpec,
  InjectionDetectorConfig,
  KeywordList,
  KeywordsDetectorConfig,
  LengthDetectorConfig,
  PiiDetectorConfig,
  PiiEntity,
  ProvenancePolicy,
  RedactionMode,
  SecretsDetectorConfig,
  ToolPolicy,
  ToolRule,
} from './guardrail-policy.js';
export type { DetectorConfigInput, GuardrailPolicyInput, GuardrailPolicySpecInput } from './guardrail-policy.js';
export { compileApprovalPolicy, compileApprovalTest, parseApprovalPolicy, requiresApproval } from './approval.js';
export type { ApprovalCondition, ApprovalOperator, ApprovalPolicy } from './approval.js';
export { isKind, kinds } from './kinds.js';
export type { Kind, KindValues } from './kinds.js';
export { loadDocuments, loadManifest, loadPolicy } from './loader.js';
export type { LoadedDocument, LoadInput, LoadOptions, LoadResult, SpecIssue, SpecIssueCode, SpecIssueRelated } from './loader.js';
export { loadAgent, MANIFEST_FILE, requireAgent } from './load-agent.js';
export type { LoadAgentOptions, LoadedAgent, ValidAgent } from './load-agent.js';
export { jsonSchemas } from './json-schema.js';
export {
  AlertRulesEvidence,
  BenchEvidence,
  ConsistencyEvidence,
  EVIDENCE_DIR,
  EVIDENCE_FORMAT,
  EVIDENCE_KINDS,
  EVIDENCE_VERSION,
  EvidenceReport,
  evidenceJsonSchema,
  GuardrailEvalEvidence,
  KillSwitchEvidence,
  manifestDigest,
  SCENARIO_COVERAGE,
  ScenarioResult,
  ScenarioSuiteEvidence,
  SoakEvidence,
  TelemetryEvidence,
} from './evidence.js';
export type { EvidenceDataOf, EvidenceKind, EvidenceOf, EvidenceReportInput, ScenarioCoverage } from './evidence.js';
export {
  Communication,
  DiagnosisStep,
  loadPlaybook,
  Mitigation,
  Playbook,
  PLAYBOOK_ACTIONS,
  PlaybookAction,
  PlaybookActionType,
  PlaybookMetadata,
  PlaybookSpec,
  PlaybookTriggers,
  PostmortemThreshold,
  ROLLOUT_CHECKS,
  VerificationCheck,
} from './playbook.js';
export type { PlaybookInput } from './playbook.js';
export {
  ESCALATION_REASONS,
  EscalationReason,
  FINAL_RUN_STATUSES,
  FinalRunStatus,
  GUARDRAIL_ACTIONS,
  GUARDRAIL_HOOKS,
  GuardrailAction,
  GuardrailHook,
  RUN_STATUSES,
  RunStatus,
  SIDE_EFFECTS,
  SideEffects,
} from './values.js';
export { playbookRoutes, routeEscalation } from './routing.js';
export { FEEDBACK_KINDS, Feedback, FeedbackCorrection, FeedbackInput, FeedbackKind } from './feedback.js';
export {
  EVAL_PATTERN_KINDS,
  EVAL_REPORT_FORMAT,
  EVAL_REPORT_VERSION,
  EvalCase,
  EvalCategory,
  EvalComparison,
  EvalComparisonRow,
  EvalPattern,
  EvalPatternKind,
  EvalProportion,
  EvalReport,
  evalReportJsonSchema,
} from './eval-report.js';
export type { EvalExpectation, EvalObservation } from './eval-report.js';
export type { EscalationContext, PlaybookRoutes } from './routing.js';
export { SpecError, SpecErrorCode } from './errors.js';
export { didYouMean } from './suggest.js';
export { locatePointer } from './locate.js';
export type { SourcePosition } from './locate.js';
