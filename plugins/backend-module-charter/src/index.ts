import { createBackendFeatureLoader } from '@backstage/backend-plugin-api';
import { catalogModuleCharter, scaffolderModuleCharter } from './modules.js';

/**
 * Charter in a Backstage backend: `backend.add(import('@charter/backstage-backend-module'))` installs
 * the catalog module (agent processor, read-only actions) and the scaffolder module (template actions).
 */
export default createBackendFeatureLoader({
  loader() {
    return [catalogModuleCharter, scaffolderModuleCharter];
  },
});

export { formatIssue, loadRemoteAgent } from './agent-source.js';
export type { ReadText, RemoteAgent } from './agent-source.js';
export { CharterModuleError, CharterModuleErrorCode } from './errors.js';
export { catalogModuleCharter, scaffolderModuleCharter } from './modules.js';
export { CharterAgentProcessor, isAgentEntity, LIVE_ANNOTATIONS, resolveFromLocation, urlReaderText } from './processor.js';
export { ACTION_NAMES, registerCharterActions, validateManifestText } from './registry-actions.js';
export { createManifestValidateAction, createReadinessCheckAction } from './scaffolder-actions.js';
export { DEFAULT_STATUS_LOCATIONS, readReadiness, readRollout } from './status.js';
export type { ReadinessStatus, RolloutStatus, StatusLocations } from './status.js';
