export { checkCatalog, writeCatalog } from './check.js';
export { readRootPackage } from './config.js';
export type { CatalogConfig, NamedEntityConfig, RootPackage } from './config.js';
export { discoverSources, findRepositoryRoot, SKIP_DIRS, workspaceFolders } from './discover.js';
export type { RepositorySources } from './discover.js';
export { CatalogError, CatalogErrorCode } from './errors.js';
export { generateCatalog, GENERATED_HEADER, packageEntityName, schemaApiName } from './generate.js';
export type { CatalogIssue, CatalogIssueCode, GeneratedCatalog, GeneratedFile, GenerateOptions, PlacedEntity } from './generate.js';
export {
  agentCatalogFacts,
  agentRef,
  ANNOTATIONS,
  entityKey,
  entityName,
  ENTITY_TYPES,
  parseEntityRef,
  playbookName,
  policyName,
  policyRef,
  REFERENCE_FIELDS,
  refKey,
  SLO_ANNOTATIONS,
  toolApiName,
  toolApiRef,
} from './model.js';
export type { CatalogEntity, EntityRef } from './model.js';
