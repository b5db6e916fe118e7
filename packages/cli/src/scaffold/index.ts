// The scaffolder behind `charter new`: Backstage software templates rendered locally, byte for byte as the
// scaffolder's fetch:template renders them. The CLI command is a thin shell over `scaffold`.
export { ScaffoldError, ScaffoldErrorCode } from './errors.js';
export type { ValueIssue } from './errors.js';
export { DEFAULT_INTEGRATIONS, parseEntityRef, parseRepoUrl, pick, projectSlug, scaffolderFilters } from './filters.js';
export type { CompoundEntityRef, IntegrationType, RepoSpec } from './filters.js';
export { loadTemplate, TEMPLATE_API_VERSION, TEMPLATE_FILE } from './template.js';
export type { FetchStep, JsonSchema, LoadedTemplate, TemplateParameter } from './template.js';
export { coerceSetValue, missingParameters, validateValues, withDefaults } from './values.js';
export type { Values } from './values.js';
export { renderSkeleton } from './render.js';
export type { RenderedEntry, RenderSkeletonOptions } from './render.js';
export { findTemplate, isEmptyTarget, listTemplates, scaffold, TEMPLATE_ROOTS, writeRendered } from './scaffold.js';
export type { ScaffoldOptions, ScaffoldResult } from './scaffold.js';
