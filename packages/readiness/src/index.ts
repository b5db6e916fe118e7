export { agentDigest, evaluateReadiness, gitHead } from './evaluate.js';
export { codeFingerprint, evaluateReadinessCached, resultCacheFile } from './result-cache.js';
export { userCacheFolder } from './seal.js';
export type { CachedEvaluateOptions, CachedEvaluation } from './result-cache.js';
export { changedInput, InputRecorder, nodeFiles } from './inputs.js';
export type { FolderEntry, Files, PathKind, RecordedInputs } from './inputs.js';
export type { EvaluateOptions } from './evaluate.js';
export { ReadinessError, ReadinessErrorCode } from './errors.js';
export { readEvidence, sameCommit } from './evidence.js';
export type { EvidenceExpectation, EvidenceSet } from './evidence.js';
export { lintAgent, lintCacheKey, sourceFiles } from './lint.js';
export type { LintFinding, LintOptions, LintOutcome } from './lint.js';
export { ON_CALL_ANNOTATIONS, OWNERS_FILE, ownerSources, parseGroupRef, resolveOwner } from './owners.js';
export type { OwnerGroup, OwnerResolution } from './owners.js';
export { detectorsAt, ruleById, RULES, rulesOf, STEP_PHASES, TELEMETRY_CONTRACT } from './rules/registry.js';
export type { Anchor, Outcome, PlaybookLookup, RuleContext, RuleDefinition } from './rules/context.js';
export { isExpired, loadWaivers, WAIVERS_FILE } from './waivers.js';
export type { LocatedWaiver } from './waivers.js';
export { DIMENSIONS } from './types.js';
export type {
  DimensionId,
  DimensionScore,
  EvidenceStatus,
  LintSummary,
  Report,
  ResultStatus,
  RuleReferences,
  RuleResult,
  RuleStatus,
  Severity,
  SourceLocation,
  Waiver,
  WaiverResult,
} from './types.js';
export { FORMATS, formatReport, renderHtml, renderJson, renderJunit, renderMarkdown, renderSarif, renderTerminal } from './format/index.js';
export type { FormatName, FormatOptions } from './format/index.js';
export { formatReportWith } from './format/light.js';
export type { SarifRule } from './format/sarif-log.js';
export { holding } from './format/common.js';
export { renderStandard } from './standard.js';
