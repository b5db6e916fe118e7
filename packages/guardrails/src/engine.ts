import {
  GuardrailHook as GuardrailHookSchema,
  GuardrailPolicy as GuardrailPolicySchema,
  GuardrailPolicySpec as GuardrailPolicySpecSchema,
  compileApprovalPolicy,
  compileApprovalTest,
  type ApprovalPolicy,
  type ArgumentConstraint,
  type DetectorConfig,
  type GuardrailPolicy,
  type GuardrailPolicySpec,
  type GuardrailPolicySpecInput,
  type GuardrailPolicyInput,
  type ToolPolicy,
} from '@charter/spec';
import { TextView, type Detector, type Hit, type ScanExtra } from './detectors/common.js';
import { compileInjection } from './detectors/injection.js';
import { compileCanary, compileKeywords, compileLength } from './detectors/lists.js';
import { compilePii } from './detectors/pii.js';
import { compileSecrets } from './detectors/secrets.js';
import { GuardrailError, GuardrailErrorCode } from './errors.js';
import { packs } from './packs.js';
import { PlaceholderState, redactText, type RedactionSpan } from './redact.js';
import type {
  Classifier,
  Decision,
  DetectorName,
  Finding,
  GuardrailAction,
  GuardrailHook,
  GuardrailRequest,
  Severity,
  ToolCall,
} from './types.js';

/** Default input cap: 256 KiB of UTF-16 code units per evaluation (content or all argument strings). */
export const DEFAULT_MAX_INPUT_CHARS = 262_144;
const MAX_DEPTH = 32;
const MAX_LEAVES = 10_000;

export interface CompileOptions {
  /** Secret for `hash` redaction (HMAC key). Required when any detector redacts with `hash`. */
  readonly salt?: string;
  /** Async classifiers referenced by `detector: classifier` entries, by name. */
  readonly classifiers?: Readonly<Record<string, Classifier>>;
  /** Input above this many characters is not scanned: the decision carries `engine.input-too-large`. */
  readonly maxInputChars?: number;
  /** Action for input above the cap (default `deny`: fail closed). */
  readonly oversize?: 'deny' | 'needs-approval';
  /** Canary tokens planted in the system prompt, checked by every `canary` detector. */
  readonly canaries?: readonly string[];
  /**
   * The agent's tool grants (the manifest's `spec.tools`): which tools exist and when a call needs a
   * human's approval. Given, they are the allow-list and the only approval conditions, and a policy
   * that states its own `tools.allow` or a rule `approval` is refused (`GUARDRAILS_GRANT_CONFLICT`).
   * Without grants (a policy used on its own, e.g. with the AI SDK adapter) the policy's are used.
   */
  readonly grants?: readonly ToolGrantInput[];
}

/** One tool grant as the engine reads it: `AgentManifest['spec']['tools'][number]` fits. */
export interface ToolGrantInput {
  readonly name: string;
  /** `never` (default), `always`, or `when <argument> <op> <value> [and|or …]`. */
  readonly approval?: string | undefined;
}

/** Rule id of a `needs-approval` finding from an approval condition (a grant's, or a standalone policy rule's). */
export const APPROVAL_RULE = 'tool.approval';

/** Rule id of a finding for a tool call not grounded in trusted context (`ToolCall.ungrounded`). */
export const PROVENANCE_RULE = 'provenance.ungrounded';

export interface RunOptions {
  /** Facts tool rules may refer to, e.g. `{ customerEmail: 'ana@example.com', customerId: 'C-1' }`. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Canary tokens of this run's system prompt. */
  readonly canaries?: readonly string[];
}

/** Per-run state: placeholder numbering, tool-call counts, context facts. Cheap to create. */
export interface GuardrailRun {
  readonly context: Readonly<Record<string, unknown>>;
  readonly canaries: readonly string[];
  /** Tool calls counted so far (those not denied), for one tool or all. */
  toolCalls(name?: string): number;
}

class Run implements GuardrailRun {
  readonly placeholders = new PlaceholderState();
  private readonly calls = new Map<string, number>();
  private total = 0;
  constructor(
    readonly context: Readonly<Record<string, unknown>>,
    readonly canaries: readonly string[],
  ) {}
  toolCalls(name?: string): number {
    return name === undefined ? this.total : (this.calls.get(name) ?? 0);
  }
  record(name: string): void {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    this.total++;
  }
}

/** A compiled policy. `evaluate` is synchronous and never throws for a policy outcome. */
export interface GuardrailEngine {
  readonly name: string;
  readonly version: string;
  readonly mode: 'enforce' | 'monitor';
  /** True when some hook has an async classifier: use `evaluateAsync` for that hook. */
  readonly hasAsync: boolean;
  /** Which detectors run at a hook, in order. */
  detectors(hook: GuardrailHook): readonly { readonly detector: string; readonly action: GuardrailAction }[];
  createRun(options?: RunOptions): GuardrailRun;
  evaluate(request: GuardrailRequest, run?: GuardrailRun): Decision;
  evaluateAsync(request: GuardrailRequest, run?: GuardrailRun): Promise<Decision>;
  /** Replaces every PII and secret span (all hooks' PII/secrets detectors) regardless of action. */
  redact(text: string, run?: GuardrailRun): string;
  /** The tool grants the engine was compiled with (`approval` normalised, `never` when absent), or undefined. */
  readonly grants: readonly { readonly name: string; readonly approval: string }[] | undefined;
  /** The policy's `spec.provenance`: whether callers should check calls, and the action an ungrounded call gets. */
  readonly provenance: { readonly enabled: boolean; readonly action: 'needs-approval' | 'deny' };
}

const RANK: Readonly<Record<GuardrailAction, number>> = { allow: 0, redact: 1, 'needs-approval': 2, deny: 3 };
const EMPTY: readonly Finding[] = Object.freeze([]);

interface CompiledClassifier {
  readonly name: string;
  readonly classify: Classifier;
  readonly action: GuardrailAction;
  readonly threshold: number;
  readonly prefix: string;
}

interface Plan {
  readonly detectors: readonly Detector[];
  readonly classifiers: readonly CompiledClassifier[];
  readonly summary: readonly { readonly detector: string; readonly action: GuardrailAction }[];
}

interface CompiledConstraint {
  readonly path: string;
  readonly pointer: string;
  readonly segments: readonly string[];
  readonly constraint: ArgumentConstraint;
}

interface CompiledToolRule {
  readonly maxCallsPerRun: number | undefined;
  readonly onViolation: 'deny' | 'needs-approval';
  readonly constraints: readonly CompiledConstraint[];
}

interface CompiledApproval {
  readonly policy: ApprovalPolicy;
  /** `compileApprovalTest(policy)` of @charter/spec: what `requiresApproval(policy, args)` answers, its paths split once. */
  readonly needed: (args: unknown) => boolean;
  readonly text: string;
  /** From a grant (the manifest's): applies in `monitor` mode too, the policy's mode is not its to relax. */
  readonly granted: boolean;
}

function isPolicyDocument(value: unknown): value is GuardrailPolicyInput {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'GuardrailPolicy';
}

function detectorKey(config: DetectorConfig): string {
  const id = config.id ?? '';
  if (config.detector === 'classifier') return `classifier:${id}:${config.options.name}`;
  return `${config.detector}:${id}`;
}

function mergeHooks(spec: GuardrailPolicySpec): Record<GuardrailHook, DetectorConfig[]> {
  const merged = { input: [], output: [], 'tool-call': [], 'tool-result': [] } as Record<GuardrailHook, DetectorConfig[]>;
  const layers = [...spec.extends.map((name) => packs[name].hooks), spec.hooks];
  for (const layer of layers) {
    for (const hook of GuardrailHookSchema.options) {
      for (const config of layer[hook] ?? []) {
        const list = merged[hook];
        const at = list.findIndex((existing) => detectorKey(existing) === detectorKey(config));
        if (at === -1) list.push(config);
        else list[at] = config;
      }
    }
  }
  return merged;
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** JSON pointer segment escaping (RFC 6901). */
function pointerSegment(key: string | number): string {
  if (typeof key === 'number') return String(key);
  return key.includes('~') || key.includes('/') ? key.replaceAll('~', '~0').replaceAll('/', '~1') : key;
}

function readPath(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function hostAllowed(host: string, domains: readonly string[]): boolean {
  const lower = host.toLowerCase();
  for (const domain of domains) {
    if (domain.startsWith('*.')) {
      if (lower.endsWith(domain.slice(1)) && lower.length > domain.length - 1) return true;
    } else if (lower === domain) return true;
  }
  return false;
}

function contextValues(context: Readonly<Record<string, unknown>>, names: readonly string[]): string[] {
  const values: string[] = [];
  for (const name of names) {
    const value = context[name];
    if (typeof value === 'string') values.push(value.toLowerCase());
    else if (Array.isArray(value)) for (const item of value) if (typeof item === 'string') values.push(item.toLowerCase());
  }
  return values;
}

const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

/**
 * Compiles a GuardrailPolicy document (or just its `spec`) into an engine. Packs named in `extends`
 * come first; the policy's own detectors replace a pack's detector of the same kind (and `id`).
 * Throws `GuardrailError` (`GUARDRAILS_INVALID_POLICY`, `GUARDRAILS_UNSAFE_PATTERN`,
 * `GUARDRAILS_UNKNOWN_CLASSIFIER`, `GUARDRAILS_MISSING_SALT`, `GUARDRAILS_UNKNOWN_RULE`).
 */
export function compilePolicy(
  policy: GuardrailPolicy | GuardrailPolicyInput | GuardrailPolicySpec | GuardrailPolicySpecInput,
  options: CompileOptions = {},
): GuardrailEngine {
  let spec: GuardrailPolicySpec;
  let name: string;
  if (isPolicyDocument(policy)) {
    const parsed = GuardrailPolicySchema.safeParse(policy);
    if (!parsed.success)
      throw new GuardrailError(GuardrailErrorCode.InvalidPolicy, `invalid GuardrailPolicy: ${describeIssues(parsed.error.issues)}`, {
        cause: parsed.error,
      });
    spec = parsed.data.spec;
    name = parsed.data.metadata.name;
  } else {
    const parsed = GuardrailPolicySpecSchema.safeParse(policy);
    if (!parsed.success)
      throw new GuardrailError(GuardrailErrorCode.InvalidPolicy, `invalid GuardrailPolicy spec: ${describeIssues(parsed.error.issues)}`, {
        cause: parsed.error,
      });
    spec = parsed.data;
    name = 'inline';
  }
  return new Engine(name, spec, options);
}

class Engine implements GuardrailEngine {
  readonly name: string;
  readonly version: string;
  readonly mode: 'enforce' | 'monitor';
  readonly hasAsync: boolean;
  private readonly plans: Record<GuardrailHook, Plan>;
  private readonly allowDecisions: Record<GuardrailHook, Decision>;
  private readonly redactors: readonly Detector[];
  private readonly salt: string | undefined;
  private readonly maxInputChars: number;
  private readonly oversize: 'deny' | 'needs-approval';
  private readonly tools: ToolPolicy | undefined;
  private readonly toolAllow: ReadonlySet<string> | undefined;
  private readonly toolDeny: ReadonlySet<string>;
  private readonly toolRules = new Map<string, CompiledToolRule>();
  private readonly approvals = new Map<string, CompiledApproval>();
  readonly grants: readonly { readonly name: string; readonly approval: string }[] | undefined;
  readonly provenance: { readonly enabled: boolean; readonly action: 'needs-approval' | 'deny' };

  constructor(name: string, spec: GuardrailPolicySpec, options: CompileOptions) {
    this.name = name;
    this.provenance = Object.freeze({ enabled: spec.provenance?.enabled ?? true, action: spec.provenance?.action ?? 'needs-approval' });
    this.version = spec.version;
    this.mode = spec.mode;
    this.salt = options.salt;
    this.maxInputChars = options.maxInputChars ?? DEFAULT_MAX_INPUT_CHARS;
    this.oversize = options.oversize ?? 'deny';
    const merged = mergeHooks(spec);
    const plans = {} as Record<GuardrailHook, Plan>;
    const allow = {} as Record<GuardrailHook, Decision>;
    const redactors: Detector[] = [];
    let hasAsync = false;
    for (const hook of GuardrailHookSchema.options) {
      const detectors: Detector[] = [];
      const classifiers: CompiledClassifier[] = [];
      for (const config of merged[hook]) {
        if (config.detector === 'classifier') {
          const classify = options.classifiers?.[config.options.name];
          if (!classify) {
            throw new GuardrailError(
              GuardrailErrorCode.UnknownClassifier,
              `hook ${hook} uses classifier "${config.options.name}", which was not registered: pass { classifiers: { "${config.options.name}": fn } } to compilePolicy`,
            );
          }
          classifiers.push({
            name: config.options.name,
            classify,
            action: config.action,
            threshold: config.threshold,
            prefix: config.id ?? 'classifier',
          });
          hasAsync = true;
          continue;
        }
        const detector = this.compileDetector(config, options, hook);
        detectors.push(detector);
        if (detector.name === 'pii' || detector.name === 'secrets') redactors.push(detector);
      }
      plans[hook] = {
        detectors,
        classifiers,
        summary: merged[hook].map((config) => ({ detector: config.detector, action: config.action })),
      };
      allow[hook] = Object.freeze({
        hook,
        action: 'allow',
        wouldBe: 'allow',
        enforced: this.mode === 'enforce',
        ruleId: undefined,
        findings: EMPTY,
      });
    }
    this.plans = plans;
    this.allowDecisions = allow;
    this.redactors = redactors;
    this.hasAsync = hasAsync;
    this.tools = spec.tools;
    this.toolDeny = new Set(spec.tools?.deny ?? []);
    if (options.grants === undefined) {
      this.grants = undefined;
      this.toolAllow = spec.tools?.allow ? new Set(spec.tools.allow) : undefined;
      for (const rule of spec.tools?.rules ?? []) {
        if (rule.approval !== undefined) this.approvals.set(rule.tool, compileApproval(rule.tool, rule.approval, false));
      }
    } else {
      this.grants = checkGrants(options.grants, spec);
      this.toolAllow = new Set(this.grants.map((grant) => grant.name));
      for (const grant of this.grants) {
        if (grant.approval !== 'never') this.approvals.set(grant.name, compileApproval(grant.name, grant.approval, true));
      }
    }
    for (const rule of spec.tools?.rules ?? []) {
      this.toolRules.set(rule.tool, {
        maxCallsPerRun: rule.maxCallsPerRun,
        onViolation: rule.onViolation,
        constraints: Object.entries(rule.args).map(([path, constraint]) => ({
          path,
          pointer: `/${path.split('.').map(pointerSegment).join('/')}`,
          segments: path.split('.'),
          constraint,
        })),
      });
    }
  }

  private compileDetector(
    config: Exclude<DetectorConfig, { detector: 'classifier' }>,
    options: CompileOptions,
    hook: GuardrailHook,
  ): Detector {
    switch (config.detector) {
      case 'pii':
        if (config.options.redaction === 'hash' && !options.salt)
          throw new GuardrailError(GuardrailErrorCode.MissingSalt, 'the pii detector redacts with "hash": pass { salt } to compilePolicy');
        return compilePii({
          action: config.action,
          entities: config.options.entities,
          redaction: config.options.redaction,
          patterns: config.options.patterns,
          dictionaries: config.options.dictionaries,
          id: config.id,
        });
      case 'secrets':
        if (config.options.redaction === 'hash' && !options.salt)
          throw new GuardrailError(
            GuardrailErrorCode.MissingSalt,
            'the secrets detector redacts with "hash": pass { salt } to compilePolicy',
          );
        return compileSecrets({
          action: config.action,
          rules: config.options.rules,
          exclude: config.options.exclude,
          redaction: config.options.redaction,
          minEntropy: config.options.minEntropy,
          id: config.id,
        });
      case 'injection':
        return compileInjection({
          action: config.action,
          threshold: config.threshold,
          decode: config.options.decode,
          id: config.id,
          origin: hook === 'input' ? 'user' : 'content',
        });
      case 'keywords':
        return compileKeywords({ action: config.action, lists: config.options.lists, id: config.id });
      case 'canary':
        return compileCanary({ action: config.action, tokens: [...config.options.tokens, ...(options.canaries ?? [])], id: config.id });
      case 'length':
        return compileLength({ action: config.action, maxChars: config.options.maxChars, id: config.id });
    }
  }

  detectors(hook: GuardrailHook): readonly { readonly detector: string; readonly action: GuardrailAction }[] {
    return this.plan(hook).summary;
  }

  createRun(options: RunOptions = {}): GuardrailRun {
    return new Run(options.context ?? {}, options.canaries ?? []);
  }

  private plan(hook: GuardrailHook): Plan {
    const plan = typeof hook === 'string' && Object.hasOwn(this.plans, hook) ? this.plans[hook] : undefined;
    if (!plan)
      throw new GuardrailError(
        GuardrailErrorCode.UnknownHook,
        `unknown hook ${JSON.stringify(hook)}: use one of ${GuardrailHookSchema.options.join(', ')}`,
      );
    return plan;
  }

  evaluate(request: GuardrailRequest, run?: GuardrailRun): Decision {
    const plan = this.plan(request.hook);
    if (plan.classifiers.length > 0) {
      throw new GuardrailError(
        GuardrailErrorCode.AsyncRequired,
        `hook ${request.hook} has async classifiers (${plan.classifiers.map((c) => c.name).join(', ')}): call evaluateAsync`,
      );
    }
    const findings = this.collect(request, plan, run as Run | undefined);
    return this.decide(request, findings, run as Run | undefined);
  }

  async evaluateAsync(request: GuardrailRequest, run?: GuardrailRun): Promise<Decision> {
    const plan = this.plan(request.hook);
    const findings = this.collect(request, plan, run as Run | undefined);
    if (plan.classifiers.length > 0) {
      const target = request.hook === 'tool-call' ? request.toolCall?.args : request.content;
      const texts: string[] = [];
      collectStrings(target, texts, 0);
      const text = texts.join('\n').slice(0, this.maxInputChars);
      const list = findings ?? [];
      for (const classifier of plan.classifiers) {
        const ruleId = `${classifier.prefix}.${classifier.name}`;
        try {
          const result = await classifier.classify(text, { hook: request.hook });
          if (result.failure !== undefined) {
            const open = result.failure.mode === 'fail-open';
            list.push({
              ruleId: `${ruleId}.${open ? 'unavailable' : 'error'}`,
              detector: 'classifier',
              severity: open ? 'medium' : 'high',
              action: open ? 'allow' : classifier.action,
              start: 0,
              end: 0,
              path: '',
              message: `classifier "${classifier.name}" ${open ? 'unavailable, allowed (fail-open)' : 'failed (fail-closed)'}: ${result.failure.code}: ${result.failure.message}`,
            });
            continue;
          }
          if (typeof result.score !== 'number' || !(result.score >= 0 && result.score <= 1)) {
            throw new GuardrailError(
              GuardrailErrorCode.ClassifierFailed,
              `classifier "${classifier.name}" returned score ${String(result.score)}, outside 0-1`,
            );
          }
          if (result.score >= classifier.threshold) {
            const spans = result.spans && result.spans.length > 0 ? result.spans : [{ start: 0, end: text.length }];
            for (const span of spans) {
              list.push({
                ruleId,
                detector: 'classifier',
                severity: result.score >= 0.8 ? 'critical' : 'high',
                action: classifier.action,
                start: span.start,
                end: span.end,
                path: '',
                message: `classifier "${classifier.name}" scored ${result.score}${result.label ? ` (${result.label})` : ''}`,
                score: result.score,
                redaction: 'remove',
              });
            }
          }
        } catch (error) {
          // No silent fallback: a failing classifier yields a finding with the detector's action.
          list.push({
            ruleId: `${ruleId}.error`,
            detector: 'classifier',
            severity: 'high',
            action: classifier.action,
            start: 0,
            end: 0,
            path: '',
            message: `classifier "${classifier.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
          });
        }
      }
      return this.decide(request, list.length > 0 ? list : undefined, run as Run | undefined);
    }
    return this.decide(request, findings, run as Run | undefined);
  }

  redact(text: string, run?: GuardrailRun): string {
    const state = (run as Run | undefined)?.placeholders ?? new PlaceholderState();
    const view = new TextView(text.length > this.maxInputChars ? text.slice(0, this.maxInputChars) : text);
    const spans: RedactionSpan[] = [];
    for (const detector of this.redactors) detector.scan(view, (hit) => spans.push(hit));
    const redacted = redactText(view.text, spans, state, this.salt);
    return text.length > this.maxInputChars ? `${redacted}[TRUNCATED]` : redacted;
  }

  private collect(request: GuardrailRequest, plan: Plan, run: Run | undefined): Finding[] | undefined {
    const findings: Finding[] = [];
    const hook = request.hook;
    if (hook === 'tool-call') this.checkTool(request.toolCall, run, findings);
    const target = hook === 'tool-call' ? request.toolCall?.args : request.content;
    if (plan.detectors.length > 0 && target !== undefined && target !== null) this.scanValue(target, plan.detectors, findings, run);
    return findings.length > 0 ? findings : undefined;
  }

  private scanValue(target: unknown, detectors: readonly Detector[], findings: Finding[], run: Run | undefined): void {
    const extra = run && run.canaries.length > 0 ? { canaries: run.canaries } : undefined;
    if (typeof target === 'string') {
      if (target.length > this.maxInputChars) {
        findings.push(this.oversizeFinding(target.length, ''));
        return;
      }
      scanString(target, '', detectors, findings, extra);
      return;
    }
    if (typeof target !== 'object') return;
    // Walk string leaves with bounded depth, count and size; over a bound → a finding, never a silent skip.
    const walk: LeafWalk = { leaves: [], total: 0, tooComplex: false };
    collectLeaves(target, '', 0, walk);
    if (walk.tooComplex) {
      findings.push({
        ruleId: 'engine.input-too-complex',
        detector: 'engine',
        severity: 'high',
        action: this.oversize,
        start: 0,
        end: 0,
        path: '',
        message: `content nests deeper than ${MAX_DEPTH} levels or holds more than ${MAX_LEAVES} strings: it was not scanned`,
      });
      return;
    }
    if (walk.total > this.maxInputChars) {
      findings.push(this.oversizeFinding(walk.total, ''));
      return;
    }
    for (const leaf of walk.leaves) scanString(leaf.text, leaf.path, detectors, findings, extra);
  }

  private oversizeFinding(length: number, path: string): Finding {
    return {
      ruleId: 'engine.input-too-large',
      detector: 'engine',
      severity: 'high',
      action: this.oversize,
      start: 0,
      end: length,
      path,
      message: `input of ${length} characters is above the ${this.maxInputChars}-character cap and was not scanned: split it or raise maxInputChars`,
    };
  }

  private checkTool(call: ToolCall | undefined, run: Run | undefined, findings: Finding[]): void {
    if (typeof call !== 'object' || typeof call.name !== 'string') {
      findings.push({
        ruleId: 'tool.invalid-call',
        detector: 'tool',
        severity: 'high',
        action: 'deny',
        start: 0,
        end: 0,
        path: '',
        message: 'a tool-call request needs toolCall: { name, args }',
      });
      return;
    }
    const name = call.name;
    if (this.toolDeny.has(name)) {
      fail(findings, 'tool.denied', 'deny', 'high', `tool "${name}" is on the deny-list`);
      return;
    }
    if (this.toolAllow && !this.toolAllow.has(name)) {
      const allowed = [...this.toolAllow].join(', ') || 'none';
      fail(
        findings,
        'tool.not-allowed',
        'deny',
        'high',
        this.grants === undefined
          ? `tool "${name}" is not on the allow-list (${allowed})`
          : `tool "${name}" is not granted to this agent (its manifest grants ${allowed})`,
      );
      return;
    }
    const maxTotal = this.tools?.maxCallsPerRun;
    if (run && maxTotal !== undefined && run.toolCalls() >= maxTotal) {
      fail(
        findings,
        'tool.max-calls-total',
        'deny',
        'high',
        `this run already made ${run.toolCalls()} tool calls, the limit is ${maxTotal}`,
      );
    }
    const args = call.args;
    const rule = this.toolRules.get(name);
    if (rule) {
      const violation = rule.onViolation;
      if (run && rule.maxCallsPerRun !== undefined && run.toolCalls(name) >= rule.maxCallsPerRun) {
        fail(
          findings,
          'tool.max-calls',
          violation,
          'high',
          `"${name}" was already called ${run.toolCalls(name)} times in this run, the limit is ${rule.maxCallsPerRun}`,
        );
      }
      if (rule.constraints.length > 0) {
        const context = call.context ? { ...run?.context, ...call.context } : (run?.context ?? {});
        for (const c of rule.constraints) checkConstraint(name, c, readPath(args, c.segments), context, violation, findings);
      }
    }
    if (call.ungrounded !== undefined && this.provenance.enabled) {
      for (const reason of call.ungrounded) {
        findings.push({
          ruleId: PROVENANCE_RULE,
          detector: 'provenance',
          severity: 'high',
          action: this.provenance.action,
          start: 0,
          end: 0,
          path: typeof reason.path === 'string' ? reason.path : '',
          message: typeof reason.message === 'string' ? reason.message.slice(0, 500) : '',
        });
      }
    }
    // The one place approval is decided: a value (`needs-approval`, rule `tool.approval`), not a second check elsewhere.
    const approval = this.approvals.get(name);
    if (approval?.needed(args) === true) {
      const finding: Finding = {
        ruleId: APPROVAL_RULE,
        detector: 'tool',
        severity: 'medium',
        action: 'needs-approval',
        start: 0,
        end: 0,
        path: '',
        message: `"${name}" needs a human's approval: ${approval.granted ? 'its grant' : 'the policy'} says ${approval.text}`,
      };
      if (approval.granted) GRANTED.add(finding);
      findings.push(finding);
    }
  }

  private decide(request: GuardrailRequest, findings: Finding[] | undefined, run: Run | undefined): Decision {
    const hook = request.hook;
    if (!findings || findings.length === 0) {
      if (hook === 'tool-call' && run && typeof request.toolCall?.name === 'string') run.record(request.toolCall.name);
      return this.allowDecisions[hook];
    }
    let wouldBe: GuardrailAction = 'allow';
    let ruleId: string | undefined;
    let score: number | undefined;
    for (const finding of findings) {
      if (ruleId === undefined || RANK[finding.action] > RANK[wouldBe]) {
        wouldBe = finding.action;
        ruleId = finding.ruleId;
      }
      if (finding.score !== undefined) score = Math.max(score ?? 0, finding.score);
    }
    const enforced = this.mode === 'enforce';
    // Monitor mode relaxes the policy's own outcomes, not the approvals the manifest grants with its tools.
    const action = enforced ? wouldBe : findings.some((finding) => GRANTED.has(finding)) ? 'needs-approval' : 'allow';
    if (hook === 'tool-call' && run && typeof request.toolCall?.name === 'string' && action !== 'deny') run.record(request.toolCall.name);
    const decision: { -readonly [K in keyof Decision]: Decision[K] } = { hook, action, wouldBe, enforced, ruleId, findings };
    if (score !== undefined) decision.score = score;
    if (wouldBe === 'redact') {
      const state = run?.placeholders ?? new PlaceholderState();
      const redactable = findings.filter((finding) => finding.action === 'redact');
      if (hook === 'tool-call') decision.args = redactValue(request.toolCall?.args, redactable, state, this.salt);
      else decision.content = redactValue(request.content, redactable, state, this.salt);
    }
    return decision;
  }
}

/** Approval findings that come from a tool grant (enforced in `monitor` mode too). */
const GRANTED = new WeakSet<Finding>();

function compileApproval(tool: string, text: string, granted: boolean): CompiledApproval {
  try {
    const policy = compileApprovalPolicy(text);
    return { policy, needed: compileApprovalTest(policy), text: text.trim(), granted };
  } catch (error) {
    throw new GuardrailError(
      GuardrailErrorCode.InvalidPolicy,
      `the approval of "${tool}" (${granted ? 'its grant' : 'its policy rule'}) does not parse: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Grants are the allow-list and the approvals: a policy compiled with them must not state either
 * again (`charter validate` shows both places). Returns the grants normalised.
 */
function checkGrants(grants: readonly ToolGrantInput[], spec: GuardrailPolicySpec): { name: string; approval: string }[] {
  const given: unknown = grants;
  if (!Array.isArray(given))
    throw new GuardrailError(GuardrailErrorCode.InvalidPolicy, "grants must be a list of { name, approval? } (the manifest's spec.tools)");
  const tools = spec.tools;
  const names = grants.map((grant) => grant.name).join(', ') || 'no tools';
  if (tools?.allow !== undefined) {
    throw new GuardrailError(
      GuardrailErrorCode.GrantConflict,
      `the policy states tools.allow (${tools.allow.join(', ')}) but the agent's grants (${names}) are the allow-list: remove spec.tools.allow from the policy`,
    );
  }
  const restated = tools?.rules.filter((rule) => rule.approval !== undefined) ?? [];
  if (restated.length > 0) {
    throw new GuardrailError(
      GuardrailErrorCode.GrantConflict,
      `the policy states the approval of ${restated.map((rule) => `"${rule.tool}" (${rule.approval ?? ''})`).join(', ')}, which the agent's grants decide: move the condition to the manifest's spec.tools and remove it from the policy rule`,
    );
  }
  return grants.map((grant) => ({ name: grant.name, approval: (grant.approval ?? 'never').trim() }));
}

/** A tool-rule finding. */
function fail(findings: Finding[], ruleId: string, action: GuardrailAction, severity: Severity, message: string, path = ''): void {
  findings.push({ ruleId, detector: 'tool', severity, action, start: 0, end: 0, path, message });
}

/** Runs every detector over one string (one shared view, so keyword scans and lower-casing happen once). */
function scanString(text: string, path: string, detectors: readonly Detector[], findings: Finding[], extra: ScanExtra | undefined): void {
  const view = new TextView(text);
  for (const detector of detectors) {
    detector.scan(
      view,
      (hit: Hit) => {
        findings.push(toFinding(hit, detector.name, detector.action, path));
      },
      extra,
    );
  }
}

interface LeafWalk {
  readonly leaves: { readonly text: string; readonly path: string }[];
  total: number;
  tooComplex: boolean;
}

/** Collects the string leaves of a JSON-like value with their JSON pointers, up to the depth and count bounds. */
function collectLeaves(value: unknown, path: string, depth: number, walk: LeafWalk): void {
  if (walk.tooComplex) return;
  if (typeof value === 'string') {
    walk.leaves.push({ text: value, path });
    walk.total += value.length;
    if (walk.leaves.length > MAX_LEAVES) walk.tooComplex = true;
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth >= MAX_DEPTH) {
    walk.tooComplex = true;
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectLeaves(value[i], `${path}/${i}`, depth + 1, walk);
    return;
  }
  for (const key of Object.keys(value))
    collectLeaves((value as Record<string, unknown>)[key], `${path}/${pointerSegment(key)}`, depth + 1, walk);
}

function toFinding(hit: Hit, detector: DetectorName, action: GuardrailAction, path: string): Finding {
  const finding: { -readonly [K in keyof Finding]: Finding[K] } = {
    ruleId: hit.ruleId,
    detector,
    severity: hit.severity,
    action,
    start: hit.start,
    end: hit.end,
    path,
    message: hit.message,
  };
  if (hit.entity !== undefined) finding.entity = hit.entity;
  if (hit.score !== undefined) finding.score = hit.score;
  if (hit.redaction !== undefined) finding.redaction = hit.redaction;
  return finding;
}

function collectStrings(value: unknown, out: string[], depth: number): void {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'object' && value !== null && depth < MAX_DEPTH && out.length < MAX_LEAVES) {
    for (const item of Array.isArray(value) ? value : Object.values(value)) collectStrings(item, out, depth + 1);
  }
}

/** Returns a copy of `value` with the findings' spans replaced in the strings they point at. */
function redactValue(value: unknown, findings: readonly Finding[], state: PlaceholderState, salt: string | undefined): unknown {
  const byPath = new Map<string, Finding[]>();
  for (const finding of findings) {
    if (finding.end <= finding.start) continue;
    const list = byPath.get(finding.path) ?? [];
    list.push(finding);
    byPath.set(finding.path, list);
  }
  const visit = (current: unknown, path: string, depth: number): unknown => {
    if (typeof current === 'string') {
      const spans = byPath.get(path);
      return spans ? redactText(current, spans, state, salt) : current;
    }
    if (typeof current !== 'object' || current === null || depth >= MAX_DEPTH) return current;
    if (Array.isArray(current)) return current.map((item, index) => visit(item, `${path}/${index}`, depth + 1));
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(current))
      copy[key] = visit((current as Record<string, unknown>)[key], `${path}/${pointerSegment(key)}`, depth + 1);
    return copy;
  };
  return visit(value, '', 0);
}

function checkConstraint(
  tool: string,
  c: CompiledConstraint,
  value: unknown,
  context: Readonly<Record<string, unknown>>,
  action: 'deny' | 'needs-approval',
  findings: Finding[],
): void {
  const { constraint, path, pointer } = c;
  const where = `"${tool}" argument ${path}`;
  if (value === undefined || value === null) {
    if (constraint.required || constraint.equalsContext !== undefined || constraint.oneOfContext !== undefined)
      fail(findings, 'tool.arg.required', action, 'medium', `${where} is required`, pointer);
    return;
  }
  if (constraint.min !== undefined || constraint.max !== undefined) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      fail(findings, 'tool.arg.type', action, 'medium', `${where} must be a number`, pointer);
      return;
    }
    if (constraint.max !== undefined && value > constraint.max)
      fail(findings, 'tool.arg.max', action, 'high', `${where} is ${value}, above the maximum ${constraint.max}`, pointer);
    if (constraint.min !== undefined && value < constraint.min)
      fail(findings, 'tool.arg.min', action, 'high', `${where} is ${value}, below the minimum ${constraint.min}`, pointer);
  }
  if (constraint.enum && !constraint.enum.includes(value as string | number | boolean)) {
    fail(
      findings,
      'tool.arg.enum',
      action,
      'medium',
      `${where} must be one of ${constraint.enum.map((v) => JSON.stringify(v)).join(', ')}`,
      pointer,
    );
  }
  // maxLength and maxItems state the kind too: a value of another kind would pass them unchecked.
  if (constraint.maxLength !== undefined && typeof value !== 'string') {
    fail(findings, 'tool.arg.type', action, 'medium', `${where} must be a string (it has a maxLength)`, pointer);
    return;
  }
  if (constraint.maxItems !== undefined && !Array.isArray(value)) {
    fail(findings, 'tool.arg.type', action, 'medium', `${where} must be a list (it has a maxItems)`, pointer);
    return;
  }
  if (constraint.maxLength !== undefined && typeof value === 'string' && value.length > constraint.maxLength) {
    fail(
      findings,
      'tool.arg.max-length',
      action,
      'medium',
      `${where} is ${value.length} characters, above the maximum ${constraint.maxLength}`,
      pointer,
    );
  }
  if (constraint.maxItems !== undefined && Array.isArray(value) && value.length > constraint.maxItems) {
    fail(
      findings,
      'tool.arg.max-items',
      action,
      'medium',
      `${where} has ${value.length} items, above the maximum ${constraint.maxItems}`,
      pointer,
    );
  }
  if (constraint.recipients) {
    const list =
      typeof value === 'string' ? value.split(/[\s,;]{1,16}/).filter((item) => item.length > 0) : Array.isArray(value) ? value : [value];
    const allowedAddresses = contextValues(context, constraint.recipients.context);
    for (const item of list) {
      if (typeof item !== 'string' || !EMAIL_SHAPE.test(item.trim())) {
        fail(
          findings,
          'tool.arg.recipient',
          action,
          'high',
          `${where} holds ${JSON.stringify(item)}, which is not an e-mail address`,
          pointer,
        );
        continue;
      }
      const address = item.trim().toLowerCase();
      const domain = address.slice(address.lastIndexOf('@') + 1);
      if (!allowedAddresses.includes(address) && !hostAllowed(domain, constraint.recipients.domains)) {
        fail(
          findings,
          'tool.arg.recipient',
          action,
          'high',
          `${where}: recipient ${address} is neither the run's ${constraint.recipients.context.join('/') || 'known'} address nor in the allowed domains (${constraint.recipients.domains.join(', ') || 'none'})`,
          pointer,
        );
      }
    }
  }
  if (constraint.urlDomains) {
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) {
      let host: string | undefined;
      if (typeof item === 'string') {
        try {
          const url = new URL(item);
          if (url.protocol === 'https:' || url.protocol === 'http:') host = url.hostname;
        } catch {
          host = undefined;
        }
      }
      if (host === undefined || !hostAllowed(host, constraint.urlDomains)) {
        fail(
          findings,
          'tool.arg.url-domain',
          action,
          'high',
          `${where}: ${JSON.stringify(item)} is not an http(s) URL on ${constraint.urlDomains.join(', ')}`,
          pointer,
        );
      }
    }
  }
  if (constraint.equalsContext !== undefined) {
    const expected = context[constraint.equalsContext];
    if (expected === undefined)
      fail(
        findings,
        'tool.arg.context',
        action,
        'high',
        `${where} must equal the run's "${constraint.equalsContext}", which the run does not provide`,
        pointer,
      );
    else if (expected !== value)
      fail(findings, 'tool.arg.context', action, 'high', `${where} does not match the run's "${constraint.equalsContext}"`, pointer);
  }
  if (constraint.oneOfContext !== undefined) {
    const allowed = context[constraint.oneOfContext];
    if (allowed === undefined)
      fail(
        findings,
        'tool.arg.context',
        action,
        'high',
        `${where} must be one of the run's "${constraint.oneOfContext}", which the run does not provide`,
        pointer,
      );
    else if (!(Array.isArray(allowed) ? allowed.includes(value) : allowed === value)) {
      fail(findings, 'tool.arg.context', action, 'high', `${where} is not one of the run's "${constraint.oneOfContext}"`, pointer);
    }
  }
}
