// @charter/telemetry/profile: `charter profile`'s analysis, a pure function over recorded events, and its
// table and HTML renderings. A subpath so the core entry stays small.
export { NO_TENANT, percentile, PHASES, PROFILE_VERSION, profileEvents } from './analyze.js';
export type {
  GroupStat,
  ModelStat,
  PathStat,
  PhaseTimes,
  Profile,
  ProfileOptions,
  ToolStat,
  UnnecessaryCall,
  UnnecessaryReason,
} from './analyze.js';
export { formatMs, formatPath, formatProfile, formatUsd } from './format.js';
export type { FormatProfileOptions } from './format.js';
export { renderProfileHtml } from './html.js';
export type { ProfileHtmlOptions } from './html.js';
