import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UrlReaderService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { LocationSpec } from '@backstage/plugin-catalog-common';
import { processingResult, type CatalogProcessor, type CatalogProcessorEmit } from '@backstage/plugin-catalog-node';
import { agentCatalogFacts, ANNOTATIONS, ENTITY_TYPES, parseEntityRef, refKey } from '@charter/catalog';
import { locatePointer } from '@charter/spec';
import { formatIssue, loadRemoteAgent, type ReadText } from './agent-source.js';
import { DEFAULT_STATUS_LOCATIONS, readReadiness, readRollout, type StatusLocations } from './status.js';

/** Charter's annotations the processor adds at ingestion, beside the ones `charter catalog` writes. */
export const LIVE_ANNOTATIONS = {
  readinessStatus: ANNOTATIONS.readinessStatus,
  readinessScore: ANNOTATIONS.readinessScore,
  rolloutStage: ANNOTATIONS.rolloutStage,
  /** The manifest's absolute URL, resolved from `charter.dev/manifest` against the entity's location. */
  manifestUrl: 'charter.dev/manifest-url',
} as const;

/** Whether an entity is an agent Component. */
export function isAgentEntity(entity: Entity): boolean {
  return entity.kind.toLowerCase() === 'component' && (entity.spec as { type?: unknown } | undefined)?.type === ENTITY_TYPES.agent;
}

/** A `ReadText` over Backstage's UrlReader: undefined for a 404, the error otherwise. */
export function urlReaderText(reader: UrlReaderService): ReadText {
  return async (url) => {
    try {
      const response = await reader.readUrl(url);
      return (await response.buffer()).toString('utf8');
    } catch (error) {
      if ((error as { name?: unknown }).name === 'NotFoundError') return undefined;
      throw error;
    }
  };
}

/** The absolute URL of a path written relative to the catalog file at `location`. */
export function resolveFromLocation(location: LocationSpec, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  if (location.type === 'file') return pathToFileURL(resolve(dirname(location.target), path)).href;
  return new URL(path, location.target).href;
}

const refKeyOf = (ref: string, defaultKind?: string) => refKey(parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }));

/**
 * The catalog processor for agent Components (`kind: Component`, `spec.type: agent`). For each one it
 * reads the manifest its `charter.dev/manifest` annotation names (relative to the entity's catalog
 * file) with the policy and playbooks the manifest names, through Backstage's UrlReader, and loads it
 * as `loadAgent` does:
 * - a manifest that does not load is a processing error per problem, naming `<url>:<line>:<column>`
 *   (the entity is then not updated, as for any processing error);
 * - an entity that says something else than its manifest (name, owner, lifecycle) is a processing
 *   error at the manifest's line;
 * - the relations the manifest implies (`dependsOn` its tools' APIs and its policy, `consumesApi` its
 *   tools' APIs) are emitted when the entity does not state them itself (hand-written agent entities
 *   get them too);
 * - the live status is added as annotations: readiness status and score from the report the agent's
 *   pipeline publishes, the rollout stage from the rollout store's state, links to the playbooks.
 */
export class CharterAgentProcessor implements CatalogProcessor {
  readonly #read: ReadText;
  readonly #locations: StatusLocations;

  constructor(
    options: { reader: UrlReaderService; locations?: Partial<StatusLocations> } | { read: ReadText; locations?: Partial<StatusLocations> },
  ) {
    this.#read = 'read' in options ? options.read : urlReaderText(options.reader);
    this.#locations = { ...DEFAULT_STATUS_LOCATIONS, ...options.locations };
  }

  getProcessorName(): string {
    return 'CharterAgentProcessor';
  }

  async preProcessEntity(entity: Entity, location: LocationSpec, emit: CatalogProcessorEmit): Promise<Entity> {
    if (!isAgentEntity(entity)) return entity;
    const name = `component:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`;
    const manifestPath = entity.metadata.annotations?.[ANNOTATIONS.manifest];
    if (manifestPath === undefined || manifestPath.trim() === '') {
      emit(
        processingResult.inputError(
          location,
          `${name} is an agent Component without the ${ANNOTATIONS.manifest} annotation: name its Agent manifest (relative to this catalog file), or generate the entity with charter catalog`,
        ),
      );
      return entity;
    }
    const manifestUrl = resolveFromLocation(location, manifestPath);
    const remote = await loadRemoteAgent(manifestUrl, this.#read);
    const errors = remote.issues.filter((issue) => issue.severity === 'error');
    for (const issue of errors)
      emit(processingResult.inputError(location, `${name}: its Agent manifest does not load: ${formatIssue(issue)}`));
    const { manifest, policy } = remote.agent;
    if (errors.length > 0 || manifest === undefined) return entity;

    const facts = agentCatalogFacts(manifest, policy);
    const spec = (entity.spec ?? {}) as { owner?: unknown; lifecycle?: unknown; dependsOn?: unknown };
    const at = (pointer: string) => {
      const position = remote.manifestText === undefined ? undefined : locatePointer(remote.manifestText, pointer);
      return `${manifestUrl}:${position?.line ?? 1}:${position?.column ?? 1}`;
    };
    const mismatch = (field: string, entityValue: unknown, manifestValue: string, pointer: string) => {
      emit(
        processingResult.inputError(
          location,
          `${name}: ${field} is ${JSON.stringify(entityValue)} but its manifest says ${JSON.stringify(manifestValue)} at ${at(pointer)}: the manifest is the source of truth; regenerate the entity (charter catalog) or fix the manifest [catalog-mismatch]`,
        ),
      );
    };
    if (entity.metadata.name !== facts.name) mismatch('metadata.name', entity.metadata.name, facts.name, '/metadata/name');
    const ownerMatches = (() => {
      try {
        return typeof spec.owner === 'string' && refKeyOf(spec.owner, 'Group') === refKeyOf(facts.owner, 'Group');
      } catch {
        return false;
      }
    })();
    if (!ownerMatches) mismatch('spec.owner', spec.owner, facts.owner, '/metadata/owner');
    if (spec.lifecycle !== facts.lifecycle) mismatch('spec.lifecycle', spec.lifecycle, facts.lifecycle, '/metadata/lifecycle');

    // Relations the manifest implies that the entity does not state itself: dependsOn its tools' APIs and
    // its policy (with the reverse dependencyOf where Backstage's model has one: not for APIs), and
    // consumesApi / apiConsumedBy for the tools' APIs, as the built-in processing does for spec fields.
    const statedRefs = (field: unknown, defaultKind?: string) =>
      new Set(
        (Array.isArray(field) ? field : []).flatMap((ref: unknown) => {
          try {
            return typeof ref === 'string' ? [refKeyOf(ref, defaultKind)] : [];
          } catch {
            return [];
          }
        }),
      );
    const statedDependsOn = statedRefs(spec.dependsOn);
    const statedConsumes = statedRefs((entity.spec as { consumesApis?: unknown } | undefined)?.consumesApis, 'API');
    const self = { kind: 'component', namespace: entity.metadata.namespace ?? 'default', name: entity.metadata.name };
    for (const ref of facts.dependsOn) {
      const target = parseEntityRef(ref);
      if (statedDependsOn.has(refKey(target))) continue;
      emit(processingResult.relation({ source: self, type: 'dependsOn', target }));
      if (target.kind !== 'api') emit(processingResult.relation({ source: target, type: 'dependencyOf', target: self }));
    }
    for (const ref of facts.consumesApis) {
      const target = parseEntityRef(ref);
      if (statedConsumes.has(refKey(target))) continue;
      emit(processingResult.relation({ source: self, type: 'consumesApi', target }));
      emit(processingResult.relation({ source: target, type: 'apiConsumedBy', target: self }));
    }

    // Live status: readiness and rollout as published by the agent's pipeline, links to the playbooks.
    const [readiness, rollout] = await Promise.all([
      readReadiness(manifest, { manifest: remote.manifestText ?? '', policy: remote.policyText }, manifestUrl, this.#read, this.#locations),
      readRollout(manifest, manifestUrl, this.#read, this.#locations),
    ]);
    const links = [...(entity.metadata.links ?? [])];
    for (const id of facts.playbooks) {
      const url = remote.playbookUrls.get(id);
      const playbook = remote.agent.playbooks.get(id);
      if (url === undefined || links.some((link) => link.url === url)) continue;
      links.push({ url, title: `Playbook: ${playbook?.metadata.title ?? id}`, type: 'playbook', icon: 'docs' });
    }
    return {
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: {
          ...entity.metadata.annotations,
          [LIVE_ANNOTATIONS.manifestUrl]: manifestUrl,
          [LIVE_ANNOTATIONS.readinessStatus]: readiness.status,
          ...(readiness.score === undefined ? {} : { [LIVE_ANNOTATIONS.readinessScore]: readiness.score }),
          [LIVE_ANNOTATIONS.rolloutStage]: rollout.stage,
        },
        ...(links.length > 0 ? { links } : {}),
      },
    };
  }
}
