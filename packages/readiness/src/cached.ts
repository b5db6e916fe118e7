// `@charter/readiness/cached`: what `charter check` needs to serve a result-cache hit, and nothing that
// loads zod, @charter/spec's schemas, yaml, ESLint or TypeScript (a miss loads the evaluation on demand).
export { evaluateReadinessCached, resultCacheFile } from './result-cache.js';
export { userCacheFolder } from './seal.js';
export type { CachedEvaluateOptions, CachedEvaluation } from './result-cache.js';
export { ReadinessError, ReadinessErrorCode } from './errors.js';
export { FORMATS, formatReportWith, renderJson } from './format/light.js';
export type { FormatName } from './format/light.js';
export type { FormatOptions } from './format/common.js';
export type { SarifRule } from './format/sarif-log.js';
export { holding } from './format/common.js';
export type { Report } from './types.js';
