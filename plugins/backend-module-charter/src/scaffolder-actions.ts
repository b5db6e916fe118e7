import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { loadAgent, loadPolicy, MANIFEST_FILE, type SpecIssue } from '@charter/spec';
import { formatIssue } from './agent-source.js';
import { CharterModuleError, CharterModuleErrorCode } from './errors.js';

/**
 * `value`, or `fallback` when the scaffolder passed nothing: it checks action input against the JSON
 * Schema but does not apply the schema's defaults, so an input typed as present can be undefined.
 */
function orDefault<T>(value: T | undefined, fallback: T): T {
  return value ?? fallback;
}

/** A workspace-relative path the action may read: inside the workspace (else a clear refusal). */
function workspacePath(workspace: string, path: string, what: string): string {
  try {
    return resolveSafeChildPath(workspace, path);
  } catch (error) {
    throw new CharterModuleError(
      CharterModuleErrorCode.BadInput,
      `${what} "${path}" is outside the task's workspace: give a path relative to the workspace, without ..`,
      { cause: error },
    );
  }
}

/** The manifest an action input names: a file, or a folder holding agent.yaml, inside the workspace. */
function manifestIn(workspace: string, path: string): string {
  const target = workspacePath(workspace, path, 'input.manifest');
  const file = existsSync(target) && statSync(target).isDirectory() ? join(target, MANIFEST_FILE) : target;
  if (!existsSync(file))
    throw new CharterModuleError(
      CharterModuleErrorCode.BadInput,
      `no Agent manifest at ${relative(workspace, file) || path} in the task's workspace: render it first (fetch:template) or fix input.manifest`,
    );
  return file;
}

/** The top-level `kind:` of a YAML file (its first one), if it states one. */
const TOP_LEVEL_KIND = /^kind:[ \t]*["']?([A-Za-z]{1,64})/m;

/** The size limit of `@charter/spec`'s loaders (1 MiB). */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** What a validated document gives the step's outputs. */
interface Validated {
  readonly kind: 'Agent' | 'GuardrailPolicy';
  readonly name: string;
  readonly owner: string;
  readonly tools?: string[];
  readonly issues: readonly SpecIssue[];
}

/**
 * Loads the file as the kind it declares: a GuardrailPolicy with `loadPolicy`, anything else as an
 * Agent manifest with its policy and playbooks (`loadAgent`, which names a wrong kind itself).
 * Throws listing every error as `file:line:column message [code]`.
 */
function validateDocument(file: string, playbookDirs: string[] | undefined, shown: (path: string) => string): Validated {
  const refuse = (what: string, issues: readonly SpecIssue[]): never => {
    const errors = issues.filter((issue) => issue.severity === 'error');
    throw new CharterModuleError(
      CharterModuleErrorCode.InvalidManifest,
      `${what} ${shown(file)} does not load (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n${errors
        .map((issue) => formatIssue({ ...issue, file: shown(issue.file) }))
        .join('\n')}`,
    );
  };
  // A file over the loaders' 1 MiB limit is left to loadAgent, which refuses it naming the limit.
  const kind = statSync(file).size > MAX_DOCUMENT_BYTES ? undefined : TOP_LEVEL_KIND.exec(readFileSync(file, 'utf8'))?.[1];
  if (kind === 'GuardrailPolicy') {
    const policy = loadPolicy({ path: file });
    if (policy.value === undefined) return refuse('the GuardrailPolicy', policy.issues);
    return { kind, name: policy.value.metadata.name, owner: policy.value.metadata.owner, issues: policy.issues };
  }
  const agent = loadAgent(file, playbookDirs === undefined ? {} : { playbookDirs });
  if (!agent.ok || agent.manifest === undefined) return refuse('the Agent manifest', agent.issues);
  return {
    kind: 'Agent',
    name: agent.manifest.metadata.name,
    owner: agent.manifest.metadata.owner,
    tools: agent.manifest.spec.tools.map((tool) => tool.name),
    issues: agent.issues,
  };
}

/**
 * `charter:manifest:validate`: loads the document at `input.manifest` of the task's workspace as the
 * kind it declares and fails the step listing every problem as `file:line:column message [code]`. An
 * Agent manifest is loaded with the policy and playbooks it names, exactly as `charter validate` does;
 * a GuardrailPolicy (a policy pack) on its own. Runs in dry-runs too (it only reads).
 */
export function createManifestValidateAction() {
  return createTemplateAction({
    id: 'charter:manifest:validate',
    description:
      'Validates a Charter Agent manifest (its GuardrailPolicy and playbooks included) or a GuardrailPolicy in the workspace and fails the step with every problem as file:line:column.',
    supportsDryRun: true,
    examples: [
      {
        description: 'Validate the rendered manifest',
        example: 'steps:\n  - id: validate\n    action: charter:manifest:validate\n    input:\n      manifest: ./agent.yaml\n',
      },
      {
        description: 'Validate a rendered guardrail policy pack',
        example: 'steps:\n  - id: validate\n    action: charter:manifest:validate\n    input:\n      manifest: ./policy.yaml\n',
      },
    ],
    schema: {
      input: {
        manifest: (z) =>
          z
            .string()
            .min(1, 'input.manifest names the Agent manifest (or its folder) or the GuardrailPolicy, relative to the workspace')
            .default(MANIFEST_FILE)
            .describe('The Agent manifest (a folder means its agent.yaml) or a GuardrailPolicy file, relative to the workspace'),
        playbooks: (z) =>
          z
            .string()
            .min(1)
            .optional()
            .describe('The folder of the playbooks the manifest names, relative to the workspace (default: the nearest playbooks/ folder)'),
      },
      output: {
        kind: (z) => z.enum(['Agent', 'GuardrailPolicy']).describe('The kind of the validated document'),
        name: (z) => z.string().describe('metadata.name of the document'),
        agent: (z) => z.string().optional().describe('metadata.name of the agent (Agent manifests only)'),
        owner: (z) => z.string().describe('metadata.owner of the document'),
        tools: (z) => z.array(z.string()).optional().describe('The tools the manifest grants (Agent manifests only)'),
        warnings: (z) => z.number().int().describe('Warnings found (they do not fail the step)'),
      },
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- the scaffolder's handler type is async
    async handler(ctx) {
      const file = manifestIn(ctx.workspacePath, orDefault(ctx.input.manifest, MANIFEST_FILE));
      const playbookDirs =
        ctx.input.playbooks === undefined ? undefined : [workspacePath(ctx.workspacePath, ctx.input.playbooks, 'input.playbooks')];
      const shown = (path: string) => relative(ctx.workspacePath, path) || path;
      const document = validateDocument(file, playbookDirs, shown);
      const warnings = document.issues.filter((issue) => issue.severity === 'warning');
      for (const issue of warnings) ctx.logger.warn(formatIssue({ ...issue, file: shown(issue.file) }));
      const what = document.kind === 'Agent' ? 'agent' : 'GuardrailPolicy';
      ctx.logger.info(`${shown(file)}: ${what} ${document.name} is valid${ctx.isDryRun === true ? ' (dry run)' : ''}`);
      ctx.output('kind', document.kind);
      ctx.output('name', document.name);
      ctx.output('owner', document.owner);
      if (document.kind === 'Agent') ctx.output('agent', document.name);
      if (document.tools !== undefined) ctx.output('tools', document.tools);
      ctx.output('warnings', warnings.length);
    },
  });
}

/** What `charter:readiness:check` needs of a readiness report (`@charter/readiness`'s `Report`). */
export interface ReadinessReportLike {
  readonly agent: { readonly name: string };
  readonly ready: boolean;
  readonly score: { readonly passed: number; readonly total: number };
  readonly results: readonly {
    readonly ruleId: string;
    readonly title: string;
    readonly severity: string;
    readonly status: string;
    readonly message: string;
    readonly remediation?: string;
  }[];
}

/** Evaluates the agent in `dir` (`evaluateReadiness` of `@charter/readiness`). */
export type ReadinessEvaluator = (options: { dir: string; commit: string; lint: boolean }) => Promise<ReadinessReportLike>;

/** The commit a workspace is at: its git HEAD when it is a checkout, else undefined. */
function workspaceCommit(dir: string): string | undefined {
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  const commit = result.status === 0 ? result.stdout.trim() : '';
  return /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined;
}

/**
 * `charter:readiness:check`: evaluates the production-readiness standard on the agent at `input.manifest`
 * of the workspace (`evaluateReadiness` of `@charter/readiness`, injected) and outputs `ready`, the
 * score and the blockers. Evidence is bound to a commit: `input.commit`, else the workspace's git HEAD,
 * else `uncommitted` (a freshly rendered workspace is not a commit, so no evidence can match and its
 * evidence rules are missing — said in the log). The code rules need the workspace's dependencies
 * installed, so `input.lint` is off by default. A new agent is normally held: the step fails only when
 * `input.failIfHeld` is true. Runs in dry-runs too (it only reads).
 */
export function createReadinessCheckAction(evaluate: ReadinessEvaluator) {
  return createTemplateAction({
    id: 'charter:readiness:check',
    description:
      "Evaluates Charter's production-readiness standard on the agent in the workspace and outputs ready, the score and the blockers; fails the step when failIfHeld is set and the agent is held.",
    supportsDryRun: true,
    examples: [
      {
        description: 'Report the readiness of the rendered agent',
        example: 'steps:\n  - id: readiness\n    action: charter:readiness:check\n    input:\n      manifest: ./agent.yaml\n',
      },
    ],
    schema: {
      input: {
        manifest: (z) =>
          z
            .string()
            .min(1, 'input.manifest names the Agent manifest (or its folder) relative to the workspace')
            .default(MANIFEST_FILE)
            .describe('The Agent manifest, or a folder holding agent.yaml, relative to the workspace'),
        failIfHeld: (z) => z.boolean().default(false).describe('Fail the step when the agent is held in staging'),
        commit: (z) =>
          z
            .string()
            .regex(/^[0-9a-f]{7,64}$/, 'input.commit is a git commit id')
            .optional()
            .describe("The commit the evidence must be for (default: the workspace's git HEAD)"),
        lint: (z) => z.boolean().default(false).describe("Lint the agent's code with type information (needs its dependencies installed)"),
      },
      output: {
        ready: (z) => z.boolean().describe('True when no unwaived blocker fails or lacks evidence'),
        score: (z) => z.string().describe('passed/total rules'),
        commit: (z) => z.string().describe('The commit the evidence was looked up for'),
        blockers: (z) => z.array(z.string()).describe('Blockers that fail or lack evidence: "RULE-ID title: message"'),
      },
    },
    async handler(ctx) {
      const file = manifestIn(ctx.workspacePath, orDefault(ctx.input.manifest, MANIFEST_FILE));
      const failIfHeld = orDefault(ctx.input.failIfHeld, false);
      const commit = ctx.input.commit ?? workspaceCommit(ctx.workspacePath);
      if (commit === undefined) ctx.logger.info('the workspace is not a git commit: no evidence can match it (evaluated as "uncommitted")');
      const report = await evaluate({ dir: file, commit: commit ?? 'uncommitted', lint: orDefault(ctx.input.lint, false) });
      const blockers = report.results
        .filter((result) => result.severity === 'blocker' && result.status !== 'pass' && result.status !== 'waived')
        .map((result) => `${result.ruleId} ${result.title}: ${result.message}`);
      const score = `${report.score.passed}/${report.score.total}`;
      ctx.logger.info(`${report.agent.name}: ${report.ready ? 'ready' : 'held'} (${score}); ${blockers.length} blocker(s)`);
      if (failIfHeld && !report.ready)
        throw new CharterModuleError(
          CharterModuleErrorCode.NotReady,
          `${report.agent.name} is held in staging (${score}):\n${blockers.join('\n')}\nRun charter check on the agent for the remediation of each rule.`,
        );
      ctx.output('ready', report.ready);
      ctx.output('score', score);
      ctx.output('commit', commit ?? 'uncommitted');
      ctx.output('blockers', blockers);
    },
  });
}
