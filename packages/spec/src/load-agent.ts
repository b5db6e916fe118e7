import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { AgentManifest } from './agent.js';
import { crossCheck } from './cross-check.js';
import { SpecError, SpecErrorCode } from './errors.js';
import type { GuardrailPolicy } from './guardrail-policy.js';
import { loadManifest, loadPolicy, type LoadOptions, type SpecIssue, type SpecIssueCode } from './loader.js';
import { locatePointer } from './locate.js';
import { loadPlaybook } from './playbook.js';
import type { Playbook } from './playbook-schema.js';

/** The file name `loadAgent` looks for when given a folder. */
export const MANIFEST_FILE = 'agent.yaml';

export interface LoadAgentOptions extends LoadOptions {
  /**
   * Folders holding the playbooks (`<id>.md`) the manifest names. Default: the nearest `playbooks/`
   * folder in the manifest's folder or above it, up to the repository root (the folder with `.git`).
   */
  readonly playbookDirs?: readonly string[];
}

/**
 * An agent as its manifest states it: the manifest, the guardrail policy it names, the playbooks it
 * lists, and where they are. Paths in the manifest resolve against `dir`, never the working folder.
 */
export interface LoadedAgent {
  /** The validated manifest; undefined when it has errors (see `issues`). */
  readonly manifest: AgentManifest | undefined;
  /** The policy `spec.policy` names; undefined when missing or invalid. */
  readonly policy: GuardrailPolicy | undefined;
  /** The playbooks `spec.playbooks` names that were found and are valid, by id. */
  readonly playbooks: ReadonlyMap<string, Playbook>;
  /** The absolute folder of the manifest: every relative path in it resolves against this. */
  readonly dir: string;
  /** The absolute path of the manifest file. */
  readonly manifestFile: string;
  /** The absolute path of the policy file (set when `spec.policy` could be read from the manifest). */
  readonly policyFile: string | undefined;
  /** The folder the playbooks were looked up in (undefined when none was found or none is named). */
  readonly playbookDir: string | undefined;
  /** Every problem in the manifest and in what it names, errors and warnings, in file order. */
  readonly issues: readonly SpecIssue[];
  /** True when no issue is an error: `manifest` and `policy` are then both set. */
  readonly ok: boolean;
  /** Resolves a path written in the manifest (e.g. `spec.escalation.target`) against `dir`. */
  resolve(path: string): string;
}

/** A `LoadedAgent` whose manifest and policy loaded without errors. */
export interface ValidAgent extends LoadedAgent {
  readonly manifest: AgentManifest;
  readonly policy: GuardrailPolicy;
  readonly policyFile: string;
  readonly ok: true;
}

/**
 * Loads an agent from its manifest path (or a folder holding `agent.yaml`): the manifest, the
 * GuardrailPolicy `spec.policy` names and the playbooks `spec.playbooks` lists, every path resolved
 * against the manifest's folder. Never throws: problems (including those of the policy and the
 * playbooks, in their own files) come back as `issues` with file, line and column. The policy is
 * checked against the manifest: what it restates (`tools.allow`, a rule's `approval`), rules for
 * tools the manifest does not grant, and approvals its constraints make unreachable are errors
 * with both positions (`related`).
 */
export function loadAgent(path: string, options: LoadAgentOptions = {}): LoadedAgent {
  const manifestFile = manifestPath(resolve(path));
  const dir = dirname(manifestFile);
  const issues: SpecIssue[] = [];
  const loaded = loadManifest({ path: manifestFile }, options);
  issues.push(...loaded.issues);
  const manifest = loaded.value;
  let policy: GuardrailPolicy | undefined;
  let policyFile: string | undefined;
  let playbookDir: string | undefined;
  const playbooks = new Map<string, Playbook>();

  if (manifest !== undefined) {
    const text = readFileSync(manifestFile, 'utf8');
    const at = (pointer: string, code: SpecIssueCode, message: string): SpecIssue => {
      const position = locatePointer(text, pointer) ?? { line: 1, column: 1, endLine: 1, endColumn: 1 };
      return { code, severity: 'error', message, file: manifestFile, pointer, document: 0, ...position };
    };

    policyFile = resolve(dir, manifest.spec.policy);
    if (!existsSync(policyFile) || !statSync(policyFile).isFile()) {
      issues.push(
        at(
          '/spec/policy',
          'policy-not-found',
          `spec.policy names ${manifest.spec.policy}, which is not a file next to the manifest (${display(policyFile)}): create it or fix the path`,
        ),
      );
    } else {
      const result = loadPolicy({ path: policyFile }, options);
      issues.push(...result.issues);
      policy = result.value;
      // What the policy restates from the manifest, or contradicts: reported with both positions.
      if (policy !== undefined) issues.push(...crossCheck({ manifest, manifestFile, manifestText: text, policy, policyFile }));
    }

    if (manifest.spec.playbooks.length > 0) {
      const dirs = options.playbookDirs?.map((folder) => resolve(folder)) ?? nearestPlaybookDir(dir);
      playbookDir = dirs[0];
      if (dirs.length === 0) {
        issues.push(
          at(
            '/spec/playbooks',
            'playbook-not-found',
            `spec.playbooks names ${manifest.spec.playbooks.length} playbook(s) but there is no playbooks/ folder in ${display(dir)} or above it up to the repository root: add one or pass its folder`,
          ),
        );
      } else {
        manifest.spec.playbooks.forEach((id, index) => {
          const file = dirs.map((folder) => join(folder, `${id}.md`)).find((candidate) => existsSync(candidate));
          if (file === undefined) {
            issues.push(
              at(
                `/spec/playbooks/${index}`,
                'playbook-not-found',
                `playbook "${id}" is not in ${dirs.map(display).join(' or ')}: write ${id}.md there or fix the id`,
              ),
            );
            return;
          }
          const result = loadPlaybook({ path: file }, options);
          issues.push(...result.issues);
          if (result.value !== undefined) playbooks.set(id, result.value);
        });
      }
    }
  }

  const ok = manifest !== undefined && policy !== undefined && !issues.some((issue) => issue.severity === 'error');
  return {
    manifest,
    policy,
    playbooks,
    dir,
    manifestFile,
    policyFile,
    playbookDir,
    issues,
    ok,
    resolve: (target: string) => (isAbsolute(target) ? target : resolve(dir, target)),
  };
}

/**
 * Like `loadAgent`, but throws `SpecError` (`SPEC_INVALID`) listing every error as
 * `file:line:column message [code]` when the agent does not load cleanly. For programs that cannot
 * go on without a valid agent (the reference agent's `main`, `charter run`).
 */
export function requireAgent(path: string, options: LoadAgentOptions = {}): ValidAgent {
  const agent = loadAgent(path, options);
  if (!agent.ok) {
    const errors = agent.issues.filter((issue) => issue.severity === 'error');
    const lines = errors.map((issue) => `${display(issue.file)}:${issue.line}:${issue.column} ${issue.message} [${issue.code}]`);
    throw new SpecError(SpecErrorCode.Invalid, `the agent at ${display(agent.manifestFile)} does not load:\n${lines.join('\n')}`);
  }
  return agent as ValidAgent;
}

/** A folder resolves to its `agent.yaml`; a file is taken as it is (missing files are reported by the loader). */
function manifestPath(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, MANIFEST_FILE);
  return path;
}

/** The nearest `playbooks/` folder from `dir` upwards, not above the repository root (the folder with `.git`). */
function nearestPlaybookDir(dir: string): string[] {
  let current = dir;
  for (;;) {
    const candidate = join(current, 'playbooks');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return [candidate];
    if (existsSync(join(current, '.git'))) return [];
    const parent = dirname(current);
    if (parent === current) return [];
    current = parent;
  }
}

function display(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath === '' || relativePath.startsWith('..') ? path : relativePath;
}
