import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { parseEntityRef as parseBackstageRef, stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { ANNOTATIONS, ENTITY_TYPES } from '@charter/catalog';
import { loadAgent, type SpecIssue } from '@charter/spec';
import { parse } from 'yaml';
import { loadRemoteAgent, type ReadText } from './agent-source.js';
import { CharterModuleError, CharterModuleErrorCode } from './errors.js';
import { LIVE_ANNOTATIONS } from './processor.js';
import { DEFAULT_STATUS_LOCATIONS, readReadiness, type StatusLocations } from './status.js';

/** The names Charter's actions are registered under (the catalog plugin's registry: ids `catalog:<name>`). */
export const ACTION_NAMES = {
  listAgents: 'charter-list-agents',
  agentReadiness: 'charter-agent-readiness',
  validateManifest: 'charter-validate-manifest',
} as const;

const MAX_MANIFEST_CHARS = 256 * 1024;

function agentSummary(entity: Entity) {
  const annotations = entity.metadata.annotations ?? {};
  const spec = entity.spec as { owner?: unknown; lifecycle?: unknown };
  return {
    entityRef: stringifyEntityRef(entity),
    name: entity.metadata.name,
    title: entity.metadata.title ?? entity.metadata.name,
    owner: String(spec.owner),
    lifecycle: String(spec.lifecycle),
    readinessStatus: annotations[ANNOTATIONS.readinessStatus] ?? 'unknown',
    readinessScore: annotations[ANNOTATIONS.readinessScore] ?? null,
    rolloutStage: annotations[ANNOTATIONS.rolloutStage] ?? 'not-started',
    manifestUrl: annotations[LIVE_ANNOTATIONS.manifestUrl] ?? null,
  };
}

/**
 * Validates an Agent manifest given as text, with its GuardrailPolicy when given (then the policy is
 * cross-checked against the manifest as `loadAgent` does). Playbooks are not available to a text-only
 * check: `playbook-not-found` issues are left out (charter validate checks them in the repository).
 */
export function validateManifestText(
  manifest: string,
  policy: string | undefined,
): { ok: boolean; agent: string | null; issues: SpecIssue[] } {
  const dir = mkdtempSync(join(tmpdir(), 'charter-validate-'));
  try {
    const manifestFile = join(dir, 'agent.yaml');
    writeFileSync(manifestFile, manifest);
    const named = (() => {
      try {
        const doc = parse(manifest) as { spec?: { policy?: unknown } } | null;
        return typeof doc?.spec?.policy === 'string' ? doc.spec.policy : undefined;
      } catch {
        return undefined;
      }
    })();
    if (policy !== undefined && named !== undefined) {
      const policyFile = resolve(dir, named);
      if (relative(dir, policyFile).startsWith('..'))
        throw new CharterModuleError(
          CharterModuleErrorCode.BadInput,
          `spec.policy names ${named}, outside the manifest's folder: give a policy path beside the manifest to validate both`,
        );
      mkdirSync(dirname(policyFile), { recursive: true });
      writeFileSync(policyFile, policy);
    }
    const agent = loadAgent(manifestFile, { playbookDirs: [join(dir, 'playbooks')] });
    const issues = agent.issues
      .filter((issue) => issue.code !== 'playbook-not-found' && (policy !== undefined || issue.code !== 'policy-not-found'))
      .map((issue) => ({
        ...issue,
        file: relative(dir, issue.file) || issue.file,
        message: issue.message.split(`${dir}/`).join(''),
      }));
    const ok = agent.manifest !== undefined && !issues.some((issue) => issue.severity === 'error');
    return { ok, agent: agent.manifest?.metadata.name ?? null, issues };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Registers Charter's read-only operations in Backstage's actions registry, so the MCP actions
 * backend (`@backstage/plugin-mcp-actions-backend`) offers them to AI assistants: list the agents of
 * the catalog, show an agent's readiness, validate a manifest. None changes anything: each is
 * `readOnly`, not `destructive`, and `idempotent` (the same input gives the same answer until the
 * catalog or the published report changes).
 */
export function registerCharterActions(options: {
  registry: ActionsRegistryService;
  catalog: CatalogService;
  read: ReadText;
  locations?: Partial<StatusLocations>;
}): void {
  const { registry, catalog, read } = options;
  const locations = { ...DEFAULT_STATUS_LOCATIONS, ...options.locations };
  const attributes = { readOnly: true, destructive: false, idempotent: true };

  registry.register({
    name: ACTION_NAMES.listAgents,
    title: 'List Charter agents',
    description:
      'Lists the AI agents in the catalog (Components of type agent made from Charter Agent manifests) with owner, lifecycle, readiness status and score, and rollout stage. Optionally only those of one owner.',
    attributes,
    schema: {
      input: (z) =>
        z.object({
          owner: z
            .string()
            .min(1)
            .optional()
            .describe('Only agents of this owner, an entity reference such as group:default/customer-care'),
        }),
      output: (z) =>
        z.object({
          agents: z.array(
            z.object({
              entityRef: z.string(),
              name: z.string(),
              title: z.string(),
              owner: z.string(),
              lifecycle: z.string(),
              readinessStatus: z.string(),
              readinessScore: z.string().nullable(),
              rolloutStage: z.string(),
              manifestUrl: z.string().nullable(),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const filter: Record<string, string> = { kind: 'Component', 'spec.type': ENTITY_TYPES.agent };
      if (input.owner !== undefined) filter['spec.owner'] = input.owner;
      const { items } = await catalog.getEntities({ filter }, { credentials });
      const agents = items.map(agentSummary).sort((a, b) => a.entityRef.localeCompare(b.entityRef));
      return { output: { agents } };
    },
  });

  registry.register({
    name: ACTION_NAMES.agentReadiness,
    title: "Show a Charter agent's readiness",
    description:
      "Shows whether an agent may leave staging: its readiness status (ready, held, stale, unknown) and score from the readiness report its pipeline published, and the blockers that fail or lack evidence. Give the agent's name or entity reference.",
    attributes,
    schema: {
      input: (z) =>
        z.object({
          agent: z.string().min(1).describe('The agent: its name (support-desk) or entity reference (component:default/support-desk)'),
        }),
      output: (z) =>
        z.object({
          entityRef: z.string(),
          status: z.enum(['ready', 'held', 'stale', 'unknown']),
          score: z.string().nullable(),
          reportUrl: z.string(),
          evaluatedAt: z.string().nullable(),
          commit: z.string().nullable(),
          reason: z.string().nullable(),
          blockers: z.array(z.object({ ruleId: z.string(), title: z.string(), status: z.string(), message: z.string() })),
        }),
    },
    action: async ({ input, credentials }) => {
      let ref: string;
      try {
        ref = stringifyEntityRef(parseBackstageRef(input.agent, { defaultKind: 'component', defaultNamespace: 'default' }));
      } catch (error) {
        throw new CharterModuleError(CharterModuleErrorCode.BadInput, `"${input.agent}" is not an agent name or entity reference`, {
          cause: error,
        });
      }
      const entity = await catalog.getEntityByRef(ref, { credentials });
      if (entity === undefined || (entity.spec as { type?: unknown } | undefined)?.type !== ENTITY_TYPES.agent)
        throw new CharterModuleError(
          CharterModuleErrorCode.BadInput,
          `${ref} is not an agent in the catalog: list the agents with ${ACTION_NAMES.listAgents}`,
        );
      const manifestUrl = entity.metadata.annotations?.[LIVE_ANNOTATIONS.manifestUrl];
      if (manifestUrl === undefined)
        throw new CharterModuleError(
          CharterModuleErrorCode.BadInput,
          `${ref} has no ${LIVE_ANNOTATIONS.manifestUrl} annotation: the Charter catalog processor has not processed it (is the module installed?)`,
        );
      const remote = await loadRemoteAgent(manifestUrl, read);
      if (remote.manifestText === undefined)
        throw new CharterModuleError(
          CharterModuleErrorCode.BadInput,
          `the manifest of ${ref} is no longer at ${manifestUrl}: refresh the entity`,
        );
      const readiness = await readReadiness(
        { metadata: { name: entity.metadata.name } },
        { manifest: remote.manifestText, policy: remote.policyText },
        manifestUrl,
        read,
        locations,
      );
      return {
        output: {
          entityRef: ref,
          status: readiness.status,
          score: readiness.score ?? null,
          reportUrl: readiness.reportUrl,
          evaluatedAt: readiness.evaluatedAt ?? null,
          commit: readiness.commit ?? null,
          reason: readiness.reason ?? null,
          blockers: [...readiness.blockers],
        },
      };
    },
  });

  registry.register({
    name: ACTION_NAMES.validateManifest,
    title: 'Validate a Charter Agent manifest',
    description:
      'Validates an Agent manifest given as YAML text against the Charter schema (and its GuardrailPolicy when given, cross-checked as loadAgent does). Returns every problem with line, column, code and a message that says what to fix. Changes nothing.',
    attributes,
    schema: {
      input: (z) =>
        z.object({
          manifest: z.string().min(1).max(MAX_MANIFEST_CHARS).describe('The Agent manifest, YAML text (kind: Agent)'),
          policy: z.string().min(1).max(MAX_MANIFEST_CHARS).optional().describe('The GuardrailPolicy spec.policy names, YAML text'),
        }),
      output: (z) =>
        z.object({
          ok: z.boolean(),
          agent: z.string().nullable(),
          issues: z.array(
            z.object({
              severity: z.enum(['error', 'warning']),
              code: z.string(),
              file: z.string(),
              line: z.number(),
              column: z.number(),
              message: z.string(),
            }),
          ),
        }),
    },
    action: async ({ input }) => {
      const result = validateManifestText(input.manifest, input.policy);
      return Promise.resolve({
        output: {
          ok: result.ok,
          agent: result.agent,
          issues: result.issues.map(({ severity, code, file, line, column, message }) => ({ severity, code, file, line, column, message })),
        },
      });
    },
  });
}
