import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogProcessingExtensionPoint, catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { CharterAgentProcessor, urlReaderText } from './processor.js';
import { registerCharterActions } from './registry-actions.js';
import { evaluateReadiness } from '@charter/readiness';
import { createManifestValidateAction, createReadinessCheckAction } from './scaffolder-actions.js';
import type { StatusLocations } from './status.js';

/** `charter.status` of app-config: where agents' pipelines publish readiness reports and rollout state, relative to the manifest. */
function statusLocations(config: { getOptionalString(key: string): string | undefined }): Partial<StatusLocations> {
  const readinessReport = config.getOptionalString('charter.status.readinessReport');
  const rolloutDir = config.getOptionalString('charter.status.rolloutDir');
  return { ...(readinessReport === undefined ? {} : { readinessReport }), ...(rolloutDir === undefined ? {} : { rolloutDir }) };
}

/**
 * The catalog module: the processor for agent Components and Charter's read-only actions in the
 * catalog plugin's actions registry (ids `catalog:charter-list-agents`, `catalog:charter-agent-readiness`,
 * `catalog:charter-validate-manifest`).
 */
export const catalogModuleCharter = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'charter',
  register(reg) {
    reg.registerInit({
      deps: {
        processing: catalogProcessingExtensionPoint,
        reader: coreServices.urlReader,
        config: coreServices.rootConfig,
        registry: actionsRegistryServiceRef,
        catalog: catalogServiceRef,
      },
      async init({ processing, reader, config, registry, catalog }) {
        const locations = statusLocations(config);
        processing.addProcessor(new CharterAgentProcessor({ reader, locations }));
        registerCharterActions({ registry, catalog, read: urlReaderText(reader), locations });
        return Promise.resolve();
      },
    });
  },
});

/** The scaffolder module: `charter:manifest:validate` and `charter:readiness:check` for templates. */
export const scaffolderModuleCharter = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'charter',
  register(reg) {
    reg.registerInit({
      deps: { scaffolder: scaffolderActionsExtensionPoint },
      async init({ scaffolder }) {
        scaffolder.addActions(
          createManifestValidateAction(),
          createReadinessCheckAction((options) => evaluateReadiness(options)),
        );
        return Promise.resolve();
      },
    });
  },
});
