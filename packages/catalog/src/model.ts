import type { AgentManifest, GuardrailPolicy } from '@charter/spec';

/** Annotations Charter writes on catalog entities (the generator) or adds at ingestion (the Backstage module). */
export const ANNOTATIONS = {
  /** The agent's manifest, relative to the catalog file that holds the entity (written by the generator). */
  manifest: 'charter.dev/manifest',
  /** The GuardrailPolicy file an agent's manifest names, or that a policy Resource stands for. */
  policy: 'charter.dev/policy',
  /** A playbook Resource's Markdown file. */
  playbook: 'charter.dev/playbook',
  /** The ids of an agent's playbooks, comma-separated, in manifest order. */
  playbooks: 'charter.dev/playbooks',
  /** An agent's rollout plan: its stage names, comma-separated, in order. */
  rolloutStages: 'charter.dev/rollout-stages',
  /** An agent's current rollout stage (added at ingestion from the published rollout state). */
  rolloutStage: 'charter.dev/rollout-stage',
  /** `ready`, `held`, `stale` or `unknown` (added at ingestion from the published readiness report). */
  readinessStatus: 'charter.dev/readiness-status',
  /** `passed/total` rules of the readiness report (added at ingestion). */
  readinessScore: 'charter.dev/readiness-score',
  /** The model an agent calls, `provider/id`. */
  model: 'charter.dev/model',
  /** The agent's data classification. */
  dataClassification: 'charter.dev/data-classification',
  /** A published JSON Schema, relative to the catalog file (also the API's `definition.$text`). */
  schema: 'charter.dev/schema',
  /** Marks every entity the generator wrote, so a catalog can tell generated entities from hand-written ones. */
  generated: 'charter.dev/generated-by',
  /** Backstage's TechDocs reference. */
  techdocs: 'backstage.io/techdocs-ref',
} as const;

/** The SLO annotations of an agent Component, one per `spec.slos` field. */
export const SLO_ANNOTATIONS = {
  latencyP95Ms: 'charter.dev/slo-latency-p95-ms',
  successRate: 'charter.dev/slo-success-rate',
  costPerRequestUsd: 'charter.dev/slo-cost-per-request-usd',
  maxEscalationRate: 'charter.dev/slo-max-escalation-rate',
  minSatisfaction: 'charter.dev/slo-min-satisfaction',
  window: 'charter.dev/slo-window',
} as const satisfies Record<keyof AgentManifest['spec']['slos'], string>;

/** `spec.type` of the entities Charter generates. */
export const ENTITY_TYPES = {
  agent: 'agent',
  library: 'library',
  schema: 'jsonschema',
  tool: 'charter-tool',
  mcpServer: 'mcp-server',
  policy: 'guardrail-policy',
  playbook: 'playbook',
} as const;

/** A Backstage entity as the generator writes it (the fields it uses). */
export interface CatalogEntity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly title?: string;
    readonly description?: string;
    readonly tags?: readonly string[];
    readonly annotations?: Readonly<Record<string, string>>;
    readonly links?: readonly { readonly url: string; readonly title?: string; readonly type?: string }[];
  };
  readonly spec?: Readonly<Record<string, unknown>>;
}

/** A lower-case Backstage entity name from any identifier (`lookup_order` → `lookup-order`), at most 63 characters. */
export function entityName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63)
    .replace(/-$/, '');
  return name === '' ? 'unnamed' : name;
}

/** The API entity a tool an agent is granted stands for. */
export function toolApiRef(toolName: string): string {
  return `api:default/${toolApiName(toolName)}`;
}

export function toolApiName(toolName: string): string {
  return entityName(`tool-${toolName}`);
}

/** The Resource entity a GuardrailPolicy stands for. */
export function policyRef(policy: Pick<GuardrailPolicy, 'metadata'>): string {
  return `resource:default/${policyName(policy)}`;
}

export function policyName(policy: Pick<GuardrailPolicy, 'metadata'>): string {
  return entityName(policy.metadata.name);
}

/** The Resource entity a playbook stands for. */
export function playbookName(id: string): string {
  return entityName(`playbook-${id}`);
}

/** The Component entity of an agent: its manifest's name. */
export function agentRef(manifest: Pick<AgentManifest, 'metadata'>): string {
  return `component:default/${entityName(manifest.metadata.name)}`;
}

/**
 * What an agent's manifest says about its place in the catalog: the entities it depends on (the APIs
 * of the tools it is granted, then its policy), the APIs it consumes (its tools': Backstage's model
 * relates Components to APIs through `consumesApis`, which the API pages show), its owner and
 * lifecycle. The generator writes these into the agent's Component; the Backstage module checks a
 * Component against them and emits them as relations, so both read the manifest the same way.
 */
export function agentCatalogFacts(manifest: AgentManifest, policy: Pick<GuardrailPolicy, 'metadata'> | undefined) {
  const consumesApis = [...new Set(manifest.spec.tools.map((tool) => toolApiRef(tool.name)))];
  const dependsOn = [...consumesApis];
  if (policy !== undefined) dependsOn.push(policyRef(policy));
  return {
    name: entityName(manifest.metadata.name),
    owner: manifest.metadata.owner,
    lifecycle: manifest.metadata.lifecycle,
    dependsOn,
    consumesApis,
    playbooks: [...manifest.spec.playbooks],
    rolloutStages: manifest.spec.rollout.stages.map((stage) => stage.name),
  };
}

/** A parsed entity reference. */
export interface EntityRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

const REF = /^(?:([A-Za-z][A-Za-z0-9-]{0,62}):)?(?:([a-z0-9][-a-z0-9_.]{0,62})\/)?([A-Za-z0-9][-\w.]{0,62})$/;

/**
 * Parses `[kind:][namespace/]name` as Backstage does: the kind defaults to `defaultKind` (a reference
 * without one, where the field has no default, is an error), the namespace to `defaultNamespace`.
 */
export function parseEntityRef(ref: string, defaults: { defaultKind?: string | undefined; defaultNamespace?: string } = {}): EntityRef {
  const match = REF.exec(ref.trim());
  if (!match) throw new TypeError(`"${ref}" is not an entity reference ([kind:][namespace/]name)`);
  const kind = match[1] ?? defaults.defaultKind;
  if (kind === undefined) throw new TypeError(`"${ref}" names no kind: write it as kind:namespace/name`);
  return { kind: kind.toLowerCase(), namespace: (match[2] ?? defaults.defaultNamespace ?? 'default').toLowerCase(), name: match[3] ?? '' };
}

/** `kind:namespace/name`, lower case: the key the catalog compares references by. */
export function refKey(ref: EntityRef): string {
  return `${ref.kind}:${ref.namespace}/${ref.name}`.toLowerCase();
}

/** The key of an entity itself. */
export function entityKey(entity: Pick<CatalogEntity, 'kind' | 'metadata'>): string {
  return refKey({ kind: entity.kind, namespace: entity.metadata.namespace ?? 'default', name: entity.metadata.name });
}

/** Entity reference fields of `spec`, with the kind a bare name defaults to (undefined: the reference must name its kind). */
export const REFERENCE_FIELDS: readonly { readonly field: string; readonly defaultKind: string | undefined }[] = [
  { field: 'owner', defaultKind: 'Group' },
  { field: 'system', defaultKind: 'System' },
  { field: 'domain', defaultKind: 'Domain' },
  { field: 'subdomainOf', defaultKind: 'Domain' },
  { field: 'subcomponentOf', defaultKind: 'Component' },
  { field: 'parent', defaultKind: 'Group' },
  { field: 'children', defaultKind: 'Group' },
  { field: 'memberOf', defaultKind: 'Group' },
  { field: 'members', defaultKind: 'User' },
  { field: 'providesApis', defaultKind: 'API' },
  { field: 'consumesApis', defaultKind: 'API' },
  { field: 'dependsOn', defaultKind: undefined },
  { field: 'dependencyOf', defaultKind: undefined },
];
