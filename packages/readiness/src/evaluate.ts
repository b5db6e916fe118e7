import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  EVIDENCE_DIR,
  loadAgent,
  loadPlaybook,
  loadPolicy,
  MANIFEST_FILE,
  manifestDigest,
  playbookRoutes,
  type AgentManifest,
  type EvidenceDataOf,
  type EvidenceKind,
  type GuardrailPolicy,
  type Playbook,
  type PlaybookRoutes,
} from '@charter/spec';
import { alertRulesToYaml, generateAlertRules, METRIC_BUCKETS, type AlertingRule } from '@charter/telemetry';
import { ReadinessError, ReadinessErrorCode } from './errors.js';
import { readEvidence, type EvidenceSet } from './evidence.js';
import { lintAgent, type LintOptions, type LintOutcome } from './lint.js';
import { ownerSources, resolveOwner } from './owners.js';
import type { Anchor, Outcome, PlaybookLookup, RuleContext, RuleDefinition } from './rules/context.js';
import { RULES } from './rules/registry.js';
import {
  DIMENSIONS,
  type DimensionScore,
  type Report,
  type RuleResult,
  type RuleStatus,
  type SourceLocation,
  type WaiverResult,
} from './types.js';
import { isExpired, loadWaivers } from './waivers.js';
import { readYamlSource, type YamlSource } from './yaml-source.js';

export interface EvaluateOptions {
  /** The agent's folder (holding `agent.yaml`) or its manifest file. */
  readonly dir: string;
  /** Where the evidence reports are; default `<agent folder>/.charter/evidence`. */
  readonly evidenceDir?: string;
  /** The commit evidence must be for; default the checkout's `git rev-parse HEAD`. */
  readonly commit?: string;
  /** The time of the evaluation (waiver expiry, evidence age); default now. */
  readonly now?: number | Date;
  /** Lint the agent's sources (default true); `false` leaves the code rules without evidence. */
  readonly lint?: boolean | LintOptions;
  /** YAML files holding the organisation's Groups; default `owners.yaml` beside the manifest and `<repo>/catalog/*.yaml`. */
  readonly ownerFiles?: readonly string[];
  /** The repository root; default the nearest folder above the agent with `.git`. */
  readonly repoRoot?: string;
  /** Folders of the playbooks; default the nearest `playbooks/` from the manifest's folder up to the repository root. */
  readonly playbookDirs?: readonly string[];
}

function repoRootOf(from: string): string {
  let current = from;
  for (;;) {
    if (existsSync(join(current, '.git'))) return current;
    const parent = dirname(current);
    if (parent === current) return from;
    current = parent;
  }
}

type PlaybookLoader = (path: string) => ReturnType<typeof loadPlaybook>;

/**
 * The routes of every valid playbook in the folders (`<id>.md`; README.md and invalid files are skipped:
 * OBS-4 and FAL-4 report what they miss). `load` reads one file (evaluateReadiness passes one that reads
 * each playbook once per evaluation).
 */
export function playbookRoutesIn(dirs: readonly string[], load: PlaybookLoader = (path) => loadPlaybook({ path })): PlaybookRoutes {
  const found: Playbook[] = [];
  for (const folder of dirs) {
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder).sort()) {
      if (!name.endsWith('.md') || name === 'README.md') continue;
      const value = load(join(folder, name)).value;
      if (value !== undefined) found.push(value);
    }
  }
  return playbookRoutes(found);
}

function nearestPlaybookDir(dir: string): string | undefined {
  let current = dir;
  for (;;) {
    const candidate = join(current, 'playbooks');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    if (existsSync(join(current, '.git'))) return undefined;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

const COMMIT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * HEAD read from the repository's files: `.git` a folder or a `gitdir:` file (worktrees, submodules),
 * HEAD a commit or `ref: <name>` found loose or in `packed-refs` (in the worktree's folder or the
 * common one). Undefined for anything else (e.g. the reftable format): git itself answers then.
 */
function headFromFiles(dir: string): string | undefined {
  if (process.env.GIT_DIR !== undefined) return undefined; // git's own rules for where the repository is
  let current = resolve(dir);
  let dotGit: string | undefined;
  for (;;) {
    const candidate = join(current, '.git');
    if (existsSync(candidate)) {
      dotGit = candidate;
      break;
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
  let gitDir = dotGit;
  if (statSync(dotGit).isFile()) {
    const pointer = /^gitdir: ([^\n]{1,4096})/.exec(readText(dotGit) ?? '')?.[1]?.trim();
    if (pointer === undefined) return undefined;
    gitDir = resolve(current, pointer);
  }
  const commonPointer = readText(join(gitDir, 'commondir'))?.trim();
  const commonDir = commonPointer === undefined || commonPointer === '' ? gitDir : resolve(gitDir, commonPointer);
  const head = readText(join(gitDir, 'HEAD'))?.trim();
  if (head === undefined) return undefined;
  if (COMMIT.test(head)) return head;
  const ref = /^ref: (refs\/\S{1,1000})$/.exec(head)?.[1];
  if (ref === undefined) return undefined;
  for (const folder of [gitDir, commonDir]) {
    const loose = readText(join(folder, ref))?.trim();
    if (loose !== undefined) return COMMIT.test(loose) ? loose : undefined;
  }
  for (const line of (readText(join(commonDir, 'packed-refs')) ?? '').split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1).trim() === ref) {
      const commit = line.slice(0, space);
      return COMMIT.test(commit) ? commit : undefined;
    }
  }
  return undefined;
}

/**
 * The checkout's HEAD commit, or undefined outside a git checkout (or without git). Read from the
 * repository's files when their layout is the usual one (no process to start); otherwise `git rev-parse HEAD`.
 */
export function gitHead(dir: string): string | undefined {
  const fromFiles = headFromFiles(dir);
  if (fromFiles !== undefined) return fromFiles;
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  const commit = result.status === 0 ? result.stdout.trim() : '';
  return COMMIT.test(commit) ? commit : undefined;
}

function pointerValue(root: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '/') return root;
  let current = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) current = /^\d{1,9}$/.test(key) ? current[Number(key)] : undefined;
    else if (typeof current === 'object' && current !== null) current = (current as Record<string, unknown>)[key];
    else return undefined;
  }
  return current;
}

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/**
 * Evaluates an agent against every rule of the production-readiness standard and returns the report
 * every output format renders. Reads the manifest and what it names (`loadAgent`), lints the agent's
 * sources with `@charter/eslint-plugin`, reads the evidence reports under `.charter/evidence/`, and
 * applies waivers. Throws `ReadinessError` only for input it cannot judge (no manifest, a bad or
 * unknown waiver, no commit, a lint that cannot run); findings are results, never errors.
 */
export async function evaluateReadiness(options: EvaluateOptions): Promise<Report> {
  const started = performance.now();
  const now = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const target = resolve(options.dir);
  if (!existsSync(target))
    throw new ReadinessError(ReadinessErrorCode.NoManifest, `${options.dir} does not exist: name an agent's folder or its manifest`);
  const manifestFile = statSync(target).isDirectory() ? join(target, MANIFEST_FILE) : target;
  if (!existsSync(manifestFile) || !statSync(manifestFile).isFile())
    throw new ReadinessError(
      ReadinessErrorCode.NoManifest,
      `no ${MANIFEST_FILE} in ${options.dir}: name an agent's folder or its manifest file`,
    );
  const dir = dirname(manifestFile);
  const repoRoot = options.repoRoot === undefined ? repoRootOf(dir) : resolve(options.repoRoot);
  const show = (file: string): string => relative(dir, file) || file;

  const loaded = loadAgent(manifestFile, options.playbookDirs === undefined ? {} : { playbookDirs: options.playbookDirs });
  const source = readYamlSource(manifestFile, show(manifestFile));
  const valid: AgentManifest | undefined = loaded.manifest;
  const value: unknown = valid ?? source.value;
  const at = (pointer: string): unknown => pointerValue(value, pointer);
  const name = typeof at('/metadata/name') === 'string' ? (at('/metadata/name') as string) : '';

  // The policy: loadAgent's when the manifest validates, else read from what the manifest says.
  let policy: GuardrailPolicy | undefined = loaded.policy;
  let policyProblem: string | undefined;
  let policySource: YamlSource | undefined;
  const policyPath = typeof at('/spec/policy') === 'string' ? resolve(dir, at('/spec/policy') as string) : undefined;
  if (policyPath === undefined) policyProblem = 'spec.policy is not set';
  else if (!existsSync(policyPath)) policyProblem = `spec.policy names ${show(policyPath)}, which does not exist`;
  else {
    policySource = readYamlSource(policyPath, show(policyPath));
    if (policy === undefined) {
      const result = loadPolicy({ path: policyPath });
      policy = result.value;
      const first = result.issues.find((issue) => issue.severity === 'error');
      if (policy === undefined)
        policyProblem = `${show(policyPath)}:${first?.line ?? 1}:${first?.column ?? 1} ${first?.message ?? 'does not validate as a GuardrailPolicy'}`;
    }
  }

  const commit = options.commit ?? gitHead(dir);
  if (commit === undefined)
    throw new ReadinessError(
      ReadinessErrorCode.NoCommit,
      `cannot tell the commit of ${dir} (not a git checkout?): pass the commit the evidence must be for (--commit or CHARTER_COMMIT)`,
    );
  const digest = manifestDigest(source.text, policySource?.text ?? '');
  const evidenceDir = options.evidenceDir === undefined ? join(dir, EVIDENCE_DIR) : resolve(options.evidenceDir);
  const evidence: EvidenceSet = readEvidence(evidenceDir, dir, { agent: name, commit, manifestDigest: digest, now });

  const lint: LintOutcome =
    options.lint === false
      ? { ran: false, cached: false, cache: 'off', files: [], findings: [], durationMs: 0, reason: 'lint turned off' }
      : await lintAgent(dir, manifestFile, { ...(typeof options.lint === 'object' ? options.lint : {}), manifestValue: source.value });

  const ownerRef = typeof at('/metadata/owner') === 'string' ? (at('/metadata/owner') as string) : '';
  const owner = resolveOwner(ownerRef, options.ownerFiles ?? ownerSources(dir, repoRoot), repoRoot);

  const playbookDirs =
    options.playbookDirs?.map((folder) => resolve(folder)) ??
    [loaded.playbookDir ?? nearestPlaybookDir(dir)].filter((d): d is string => d !== undefined);
  // Each playbook file is read once per evaluation (the alert routes read every playbook of the
  // folders, the rules the ones the manifest names).
  const playbookFiles = new Map<string, ReturnType<typeof loadPlaybook>>();
  const loadPlaybookOnce: PlaybookLoader = (path) => {
    const known = playbookFiles.get(path);
    if (known !== undefined) return known;
    const result = loadPlaybook({ path });
    playbookFiles.set(path, result);
    return result;
  };
  // The playbooks loadAgent already read (valid ones, from the same folders): not read again.
  for (const [id, value] of loaded.playbooks) {
    const file = playbookDirs.map((folder) => join(folder, `${id}.md`)).find((candidate) => existsSync(candidate));
    if (file !== undefined) playbookFiles.set(file, { value, issues: loaded.issues.filter((issue) => issue.file === file) });
  }
  let alerts: readonly AlertingRule[] | string;
  let alertRulesDigest: string | undefined;
  try {
    // A manifest with schema errors is still read for its alerts (rules judge what it says).
    // Each alert's runbook is the playbook whose triggers name it, among every playbook of the folders
    // (FAL-4 then judges whether the manifest lists the ones its alerts open; an alert no playbook
    // routes makes the generation fail, which OBS-4 reports).
    const rules = generateAlertRules((valid ?? source.value) as AgentManifest, {
      routes: playbookRoutesIn(playbookDirs, loadPlaybookOnce),
    });
    alerts = rules.groups.flatMap((group) => group.rules).filter((rule): rule is AlertingRule => 'alert' in rule);
    alertRulesDigest = sha256(alertRulesToYaml(rules));
  } catch (error) {
    alerts = `the alerts cannot be generated from the manifest: ${error instanceof Error ? error.message : String(error)}`;
  }

  const playbooks = new Map<string, PlaybookLookup>();
  const playbook = (id: string): PlaybookLookup => {
    const cached = playbooks.get(id);
    if (cached) return cached;
    let lookup: PlaybookLookup;
    const file = playbookDirs.map((folder) => join(folder, `${id}.md`)).find((candidate) => existsSync(candidate));
    if (file === undefined) {
      lookup = {
        id,
        file: undefined,
        playbook: undefined,
        problem: `not found in ${playbookDirs.length === 0 ? 'any playbooks/ folder' : playbookDirs.map(show).join(', ')}`,
      };
    } else {
      const result = loadPlaybookOnce(file);
      const first = result.issues.find((issue) => issue.severity === 'error');
      lookup = {
        id,
        file: show(file),
        playbook: result.value,
        problem: result.value === undefined ? `${show(file)}:${first?.line ?? 1} ${first?.message ?? 'does not validate'}` : undefined,
      };
    }
    playbooks.set(id, lookup);
    return lookup;
  };

  const known = new Set(RULES.map((rule) => rule.id));
  const waivers = loadWaivers(source, dir, known);

  const context: RuleContext = {
    at,
    num: (pointer) => {
      const v = at(pointer);
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    },
    str: (pointer) => {
      const v = at(pointer);
      return typeof v === 'string' && v !== '' ? v : undefined;
    },
    list: (pointer) => {
      const v = at(pointer);
      return Array.isArray(v) ? (v as readonly unknown[]) : [];
    },
    manifest: valid,
    policy,
    policyProblem,
    evidence: <K extends EvidenceKind>(kind: K) => {
      const report = evidence.fresh(kind);
      if (report === undefined) throw new Error(`rule asked for ${kind} evidence it did not declare`);
      return report.data as EvidenceDataOf<K>;
    },
    lint: (rules) => {
      const wanted = new Set(rules.map((rule) => `@charter/${rule}`));
      return lint.findings.filter((finding) => wanted.has(finding.ruleId) || finding.ruleId === 'fatal');
    },
    lintedFiles: lint.files,
    owner,
    alerts,
    alertRulesDigest,
    playbook,
    runDurationBuckets: METRIC_BUCKETS.runDuration,
  };

  const locate = (anchor: Anchor | undefined, rule: RuleDefinition): SourceLocation => {
    if (anchor === undefined) return source.locate(rule.anchor);
    if ('manifest' in anchor) return source.locate(anchor.manifest);
    if ('policy' in anchor) return policySource?.locate(anchor.policy) ?? source.locate('/spec/policy');
    return anchor.source;
  };

  const evaluateRule = (rule: RuleDefinition): Outcome => {
    const stale = (rule.evidence ?? []).map((kind) => evidence.status(kind)).filter((status) => status.state !== 'fresh');
    if (stale.length > 0)
      return {
        status: 'missing-evidence',
        message: stale.map((status) => `${status.kind} evidence ${status.state}: ${status.reason ?? ''}`).join('; '),
      };
    if (rule.lint !== undefined && !lint.ran)
      return { status: 'missing-evidence', message: `the code was not linted: ${lint.reason ?? 'unknown reason'}` };
    return rule.check(context);
  };

  const waiverResults: WaiverResult[] = [];
  const results: RuleResult[] = RULES.map((rule) => {
    const outcome = evaluateRule(rule);
    const location = locate(outcome.at, rule);
    const base = {
      ruleId: rule.id,
      dimension: rule.dimension,
      severity: rule.severity,
      title: rule.title,
      message: outcome.message,
      remediation: rule.remediation,
      location,
      evidence: rule.evidence ?? [],
    };
    const waiver = waivers.find((w) => w.rule === rule.id);
    if (waiver === undefined) return { ...base, status: outcome.status };
    const expired = isExpired(waiver, now);
    const state: WaiverResult['state'] = expired ? 'expired' : outcome.status === 'pass' ? 'unused' : 'active';
    const waiverResult: WaiverResult = { ...waiver, state };
    waiverResults.push(waiverResult);
    if (state === 'active')
      return { ...base, status: 'waived', waivedStatus: outcome.status as Exclude<RuleStatus, 'pass'>, waiver: waiverResult };
    return { ...base, status: outcome.status, waiver: waiverResult };
  });
  // Waivers naming the same rule twice: the first applies, the others are reported as they are.
  for (const waiver of waivers)
    if (!waiverResults.some((w) => w.location === waiver.location))
      waiverResults.push({ ...waiver, state: isExpired(waiver, now) ? 'expired' : 'unused' });

  const order = (result: RuleResult): number =>
    DIMENSIONS.findIndex((d) => d.id === result.dimension) * 1000 + Number(/-(\d{1,3})$/.exec(result.ruleId)?.[1] ?? 0);
  results.sort((a, b) => order(a) - order(b));

  const holds = (result: RuleResult): boolean => result.severity === 'blocker' && result.status !== 'pass' && result.status !== 'waived';
  const dimensions: DimensionScore[] = DIMENSIONS.map((dimension) => {
    const own = results.filter((result) => result.dimension === dimension.id);
    const passed = own.filter((result) => result.status === 'pass').length;
    return {
      id: dimension.id,
      title: dimension.title,
      total: own.length,
      passed,
      failed: own.filter((result) => result.status === 'fail').length,
      missing: own.filter((result) => result.status === 'missing-evidence').length,
      waived: own.filter((result) => result.status === 'waived').length,
      score: own.length === 0 ? 1 : passed / own.length,
      ready: !own.some(holds),
    };
  });
  const errors = loaded.issues.filter((issue) => issue.severity === 'error');
  const passedAll = results.filter((result) => result.status === 'pass').length;
  const ready = !results.some(holds) && !waiverResults.some((w) => w.state === 'expired') && errors.length === 0;
  const title = at('/metadata/title');
  return {
    format: 'charter.readiness',
    v: 1,
    agent: {
      name,
      ...(typeof title === 'string' ? { title } : {}),
      owner: ownerRef,
      lifecycle: typeof at('/metadata/lifecycle') === 'string' ? (at('/metadata/lifecycle') as string) : 'experimental',
    },
    dir,
    manifest: show(manifestFile),
    commit,
    manifestDigest: digest,
    evaluatedAt: new Date(now).toISOString(),
    ready,
    score: { passed: passedAll, total: results.length, score: results.length === 0 ? 1 : passedAll / results.length },
    dimensions,
    results,
    waivers: waiverResults,
    evidence: evidence.statuses,
    lint: {
      ran: lint.ran,
      cached: lint.cached,
      cache: lint.cache,
      files: lint.files.length,
      durationMs: Math.round(lint.durationMs),
      problems: lint.findings.length,
      ...(lint.reason === undefined ? {} : { reason: lint.reason }),
    },
    issues: loaded.issues.map((issue) => ({
      file: isAbsolute(issue.file) ? show(issue.file) : issue.file,
      line: issue.line,
      column: issue.column,
      message: issue.message,
      code: issue.code,
      severity: issue.severity,
    })),
    durationMs: Math.round(performance.now() - started),
  };
}

/** The manifest text the evidence digest is computed from, for producers: the manifest and the policy it names. */
export function agentDigest(manifestFile: string): string {
  const text = readFileSync(manifestFile, 'utf8');
  const source = readYamlSource(manifestFile, manifestFile, text);
  const policy = pointerValue(source.value, '/spec/policy');
  const policyFile = typeof policy === 'string' ? resolve(dirname(manifestFile), policy) : undefined;
  return manifestDigest(text, policyFile !== undefined && existsSync(policyFile) ? readFileSync(policyFile, 'utf8') : '');
}
