export { RolloutError, RolloutErrorCode } from './errors.js';
export { loadRolloutPlan, planFromManifest } from './plan.js';
export type { PlanAnalysis, PlanStage, RolloutPlan } from './plan.js';
export { murmur3 } from './murmur3.js';
export { ALL_CONTROL, BUCKETS, bucketOf, bucketsOf, createRouter, flagKeyOf, route, splitRouting, VARIANTS } from './router.js';
export type { Router, Routing, Variant } from './router.js';
export {
  analyse,
  analysisConfig,
  CRITICAL_KINDS,
  DEFAULT_ALPHA,
  DEFAULT_MAX_COST_INCREASE_PCT,
  emptyStats,
  errorBudgetOf,
  mergeStats,
  METRIC_NAMES,
  observe,
  observeComparison,
} from './analysis.js';
export type {
  AnalysisConfig,
  AnalysisResult,
  Arm,
  ArmStats,
  BinaryStat,
  ContinuousStat,
  CriticalKind,
  MetricName,
  MetricResult,
  MetricVerdict,
  Observation,
  StageStats,
  Verdict,
} from './analysis.js';
export { alwaysValidPValue, confidenceRadius, mixtureLikelihoodRatio, wilsonInterval } from './sequential.js';
export {
  assertState,
  describe as describeState,
  initialState,
  isActive,
  isTerminal,
  ROLLOUT_EVENTS,
  ROLLOUT_STATUSES,
  routingOf,
  STATE_FORMAT,
  STATE_VERSION,
  transition,
} from './state.js';
export type { ActiveStatus, RolloutEvent, RolloutEventType, RolloutState, RolloutStatus, TransitionCheck } from './state.js';
export { FileRolloutStore, finiteOrNull, MemoryRolloutStore, prepareWrite } from './store.js';
export type {
  Actor,
  CasResult,
  FileRolloutStoreOptions,
  GuardResult,
  Position,
  RolloutStore,
  TransitionDraft,
  TransitionRecord,
} from './store.js';
export { createRolloutController, formatMs, statisticsOf } from './controller.js';
export type {
  ErrorBudgetCheck,
  Evaluation,
  Gate,
  GatedOptions,
  ObserveResult,
  OperatorOptions,
  RolloutController,
  RolloutControllerOptions,
  StartOptions,
  TransitionOutcome,
} from './controller.js';
export { exportFlagd, flagdFlagOf } from './flagd.js';
export type { FlagdDocument, FlagdFlag } from './flagd.js';
export { storeRoutingSource } from './source.js';
export type { RoutingSource } from './source.js';
export { actionSet, compareLayered, createShadowRunner, normaliseText } from './shadow.js';
export { workerCandidate } from './shadow-worker.js';
export type { HandoffStats, ShadowWorkerOptions, WorkerCandidate, WorkerPriority } from './shadow-worker.js';
export type {
  ArmOutcome,
  Comparable,
  Comparison,
  ComparisonLayer,
  Judge,
  ShadowArm,
  ShadowComparison,
  ShadowRunner,
  ShadowRunnerOptions,
  ShadowSummary,
} from './shadow.js';
export { DEFAULT_BASELINE, formatTimeline, seededRandom, simulateRollout } from './simulate.js';
export type { Baseline, CandidateProfile, SimulationOptions, SimulationResult, TimelinePoint } from './simulate.js';
export { simulationHtml } from './html.js';
export { argoDuration, argoToYaml, exportArgo } from './argo.js';
export type { ArgoExport, ArgoExportOptions, ArgoQuery } from './argo.js';
