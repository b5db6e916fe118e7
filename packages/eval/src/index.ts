export { compareReports, evaluate, readEvalReport, readRecordings } from './evaluate.js';
export type { EvalScenarioCase, EvalSubject, EvalSubjectOptions, EvaluateOptions } from './evaluate.js';
export { EvalError, EvalErrorCode } from './errors.js';
export { formatEvalReport } from './format.js';
export { expectationOf, feedbackCategory, isLabelled, judge } from './judge.js';
export type { Expectation, Observation } from './judge.js';
export { findPatterns } from './patterns.js';
export { fisherOneSided, holm, normalQuantile, wilson } from './stats.js';
