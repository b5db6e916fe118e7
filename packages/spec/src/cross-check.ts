// Checks an Agent manifest against the GuardrailPolicy it names. The manifest states which tools the
// agent has and when a call needs a human's approval (`spec.tools[].name`, `.approval`); the policy
// adds detectors and argument constraints. Anything the policy restates, anything it says about a
// tool the manifest does not grant, and any approval that a constraint makes impossible is reported
// with both positions.
import { readFileSync } from 'node:fs';
import type { AgentManifest } from './agent.js';
import { parseApprovalPolicy, type ApprovalCondition, type ApprovalPolicy } from './approval.js';
import type { ArgumentConstraint, GuardrailPolicy } from './guardrail-policy.js';
import { pointerLocator, type PointerLocator, type SourcePosition } from './locate.js';
import type { SpecIssue, SpecIssueCode, SpecIssueRelated } from './loader.js';
import { didYouMean } from './suggest.js';

export interface CrossCheckInput {
  readonly manifest: AgentManifest;
  readonly manifestFile: string;
  readonly policy: GuardrailPolicy;
  readonly policyFile: string;
  /** The files' text; read from the files when absent, and only once an issue needs a position. */
  readonly manifestText?: string;
  readonly policyText?: string;
}

/**
 * The issues between a manifest and its policy, all errors, each with the position in both files:
 * `duplicate-statement` (the policy's `tools.allow` or a rule's `approval` restates the manifest),
 * `ungranted-tool` (a policy rule or allow entry names a tool the manifest does not grant) and
 * `unreachable-approval` (an argument constraint denies every call the manifest's approval
 * condition would apply to).
 */
export function crossCheck(input: CrossCheckInput): SpecIssue[] {
  const { manifest, policy } = input;
  const tools = policy.spec.tools;
  if (tools === undefined) return [];
  const issues: SpecIssue[] = [];
  const files = new Files(input);
  const grants = manifest.spec.tools;
  const grantIndex = new Map(grants.map((grant, index) => [grant.name, index]));
  const names = grants.map((grant) => grant.name);
  const grantedList = names.length === 0 ? 'no tools' : names.join(', ');
  const manifestTools = (message: string) => files.related('manifest', '/spec/tools', message);

  if (tools.allow !== undefined) {
    const allow = tools.allow;
    const onlyPolicy = allow.filter((name) => !grantIndex.has(name));
    const onlyManifest = names.filter((name) => !allow.includes(name));
    const differences = [
      ...(onlyPolicy.length > 0 ? [`only the policy names ${onlyPolicy.join(', ')}`] : []),
      ...(onlyManifest.length > 0 ? [`only the manifest grants ${onlyManifest.join(', ')}`] : []),
    ];
    issues.push(
      files.issue(
        'duplicate-statement',
        'policy',
        '/spec/tools/allow',
        `the policy lists the tools the agent may call (tools.allow), which the manifest's spec.tools already states${differences.length > 0 ? ` — and the two disagree: ${differences.join('; ')}` : ''}: remove tools.allow, the manifest's grants are the allow-list`,
        [manifestTools(`the manifest grants ${grantedList}`)],
      ),
    );
    allow.forEach((name, index) => {
      if (grantIndex.has(name)) return;
      issues.push(
        ungranted(files, `/spec/tools/allow/${index}`, name, names, 'lists', manifestTools(`the manifest grants ${grantedList}`)),
      );
    });
  }

  tools.rules.forEach((rule, index) => {
    const grant = grantIndex.get(rule.tool);
    if (grant === undefined) {
      issues.push(
        ungranted(
          files,
          `/spec/tools/rules/${index}/tool`,
          rule.tool,
          names,
          'has a rule for',
          manifestTools(`the manifest grants ${grantedList}`),
        ),
      );
      return;
    }
    if (rule.approval === undefined) return;
    const stated = grants[grant]?.approval ?? 'never';
    const same = normalise(stated) === normalise(rule.approval);
    const written = files.has('manifest', `/spec/tools/${grant}/approval`);
    issues.push(
      files.issue(
        'duplicate-statement',
        'policy',
        `/spec/tools/rules/${index}/approval`,
        same
          ? `the approval of "${rule.tool}" (${rule.approval}) is stated in both files: state it once, in the manifest's spec.tools[${grant}].approval, and remove it from this rule`
          : `the approval of "${rule.tool}" is stated in both files and they disagree (policy: ${rule.approval}; manifest: ${stated}${written ? '' : ', the default'}): approvals belong to the manifest — put the condition you mean in spec.tools[${grant}].approval and remove it from this rule`,
        [
          written
            ? files.related('manifest', `/spec/tools/${grant}/approval`, `the manifest grants "${rule.tool}" with approval ${stated}`)
            : files.related('manifest', `/spec/tools/${grant}`, `the manifest grants "${rule.tool}" with approval never (the default)`),
        ],
      ),
    );
  });

  grants.forEach((grant, grantAt) => {
    const ruleAt = tools.rules.findIndex((rule) => rule.tool === grant.name);
    const rule = tools.rules[ruleAt];
    // A rule whose violations ask for approval (instead of denying) never hides an approval.
    if (rule === undefined || rule.onViolation === 'needs-approval') return;
    const parsed = parseApprovalPolicy(grant.approval);
    if ('error' in parsed) return;
    const causes = unreachableBecause(parsed.value, rule.args);
    if (causes === undefined) return;
    const described = causes.map((cause) => describeCause(cause, rule.args));
    issues.push(
      files.issue(
        'unreachable-approval',
        'manifest',
        `/spec/tools/${grantAt}/approval`,
        `the approval of "${grant.name}" (${grant.approval.trim()}) can never apply: the policy's ${described.join(' and ')} ${causes.length === 1 ? 'denies' : 'deny'} every call it would apply to before an approval is asked — drop the approval, or relax the constraint so the calls it names reach a human`,
        causes.map((cause, at) =>
          files.related(
            'policy',
            `/spec/tools/rules/${ruleAt}/args/${escape(cause.path)}/${cause.key}`,
            `the policy's constraint ${described[at] ?? cause.key}`,
          ),
        ),
      ),
    );
  });
  return issues;
}

function ungranted(
  files: Files,
  pointer: string,
  name: string,
  names: readonly string[],
  verb: string,
  related: SpecIssueRelated,
): SpecIssue {
  const suggestion = didYouMean(name, names);
  return {
    ...files.issue(
      'ungranted-tool',
      'policy',
      pointer,
      `the policy ${verb} "${name}", which the manifest does not grant${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}: grant it in the manifest's spec.tools or remove it from the policy`,
      [related],
    ),
    ...(suggestion === undefined ? {} : { suggestion }),
  };
}

function normalise(approval: string): string {
  return approval.trim().replace(/\s{1,64}/g, ' ');
}

function escape(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Positions in the two files, parsed lazily: a clean agent never loads the position-tracking parser. */
class Files {
  private readonly locators = new Map<'manifest' | 'policy', PointerLocator>();
  constructor(private readonly input: CrossCheckInput) {}

  private locator(which: 'manifest' | 'policy'): PointerLocator {
    let locator = this.locators.get(which);
    if (locator === undefined) {
      const text =
        which === 'manifest'
          ? (this.input.manifestText ?? readFileSync(this.input.manifestFile, 'utf8'))
          : (this.input.policyText ?? readFileSync(this.input.policyFile, 'utf8'));
      locator = pointerLocator(text, which === 'manifest' ? 'Agent' : 'GuardrailPolicy');
      this.locators.set(which, locator);
    }
    return locator;
  }

  private file(which: 'manifest' | 'policy'): string {
    return which === 'manifest' ? this.input.manifestFile : this.input.policyFile;
  }

  has(which: 'manifest' | 'policy', pointer: string): boolean {
    return this.locator(which)(pointer) !== undefined;
  }

  /** The position of `pointer`, or of its nearest ancestor that is written in the file. */
  position(which: 'manifest' | 'policy', pointer: string): SourcePosition {
    const locate = this.locator(which);
    for (let current = pointer; ; current = current.slice(0, current.lastIndexOf('/'))) {
      const found = locate(current, { pair: true });
      if (found !== undefined) return found;
      if (current === '') return { line: 1, column: 1, endLine: 1, endColumn: 1 };
    }
  }

  issue(
    code: SpecIssueCode,
    which: 'manifest' | 'policy',
    pointer: string,
    message: string,
    related: readonly SpecIssueRelated[],
  ): SpecIssue {
    return {
      code,
      severity: 'error',
      message,
      file: this.file(which),
      ...this.position(which, pointer),
      pointer,
      document: Math.max(0, this.locator(which).document),
      related,
    };
  }

  related(which: 'manifest' | 'policy', pointer: string, message: string): SpecIssueRelated {
    return { file: this.file(which), ...this.position(which, pointer), message };
  }
}

// ---------------------------------------------------------------------------------------------
// Reachability of an approval condition under argument constraints.
//
// The guardrail engine checks a call's argument constraints before its approval: a violation
// denies the call (with the default `onViolation: deny`), so an approval condition that only
// arguments violating a constraint can meet never reaches a human. Each constraint is read as the
// set of values it lets through (by kind: missing, number, string, boolean, list, object), and a
// condition is reachable when some value in that set meets it, with the semantics of
// `requiresApproval` (a comparison on a missing argument or another type does not hold).

/** The constraint keys the analysis reads. */
const KEYS = [
  'min',
  'max',
  'enum',
  'maxLength',
  'maxItems',
  'recipients',
  'urlDomains',
  'required',
  'equalsContext',
  'oneOfContext',
] as const;
type Key = (typeof KEYS)[number];
type Constraint = Partial<Pick<ArgumentConstraint, Key>>;

/** One constraint key that, on its own, makes an approval unreachable. */
export interface UnreachableCause {
  /** The argument path (the key of the rule's `args`). */
  readonly path: string;
  readonly key: Key;
}

type NumberPiece = { readonly values: readonly number[] } | { readonly lo: number; readonly hi: number; readonly integer: boolean };
type StringSet = { readonly values: readonly string[] } | { readonly maxLength: number };

/** The values an argument may take and still pass its constraint. */
interface Domain {
  readonly missing: boolean;
  readonly numbers: readonly NumberPiece[];
  readonly strings: StringSet | undefined;
  readonly booleans: readonly boolean[];
  readonly arrays: boolean;
  readonly objects: boolean;
}

const ANY: Domain = {
  missing: true,
  numbers: [{ lo: -Infinity, hi: Infinity, integer: false }],
  strings: { maxLength: Infinity },
  booleans: [true, false],
  arrays: true,
  objects: true,
};
const MISSING_ONLY: Domain = { missing: true, numbers: [], strings: undefined, booleans: [], arrays: false, objects: false };

/**
 * Why an approval can never apply to a call the constraints let through: the constraint keys that
 * each alone make it unreachable (or every key involved when only their combination does), or
 * undefined when it is reachable — or unreachable without any constraint (a contradiction of its
 * own, not something the policy causes).
 */
export function unreachableBecause(
  approval: ApprovalPolicy,
  args: Readonly<Record<string, Constraint>>,
): readonly UnreachableCause[] | undefined {
  if (approval.kind !== 'when') return undefined;
  if (reachable(approval, args) || !reachable(approval, {})) return undefined;
  const involved: UnreachableCause[] = [];
  for (const [path, constraint] of Object.entries(args)) {
    if (!approval.conditions.some((condition) => applies(path, condition.field))) continue;
    for (const key of KEYS) if (constraint[key] !== undefined && constraint[key] !== false) involved.push({ path, key });
  }
  const alone = involved.filter((cause) => {
    const without = Object.fromEntries(Object.entries(args[cause.path] ?? {}).filter(([key]) => key !== cause.key)) as Constraint;
    return reachable(approval, { ...args, [cause.path]: without });
  });
  return alone.length > 0 ? alone : involved;
}

function applies(path: string, field: string): boolean {
  return field === path || field.startsWith(`${path}.`);
}

function reachable(approval: Extract<ApprovalPolicy, { kind: 'when' }>, args: Readonly<Record<string, Constraint>>): boolean {
  if (approval.join === 'or') return approval.conditions.some((condition) => satisfiable(domainFor(args, condition.field), [condition]));
  const byField = new Map<string, ApprovalCondition[]>();
  for (const condition of approval.conditions) byField.set(condition.field, [...(byField.get(condition.field) ?? []), condition]);
  return [...byField].every(([field, conditions]) => satisfiable(domainFor(args, field), conditions));
}

/** The values the approval condition reads at `field`, given the constraints on it or on what holds it. */
function domainFor(args: Readonly<Record<string, Constraint>>, field: string): Domain {
  for (const [path, constraint] of Object.entries(args)) {
    if (!field.startsWith(`${path}.`) || field === `${path}.length`) continue;
    // A field inside an argument that can only be a number, string or boolean is never there.
    const holder = domainOf(constraint);
    if (!holder.arrays && !holder.objects) return MISSING_ONLY;
  }
  const direct = args[field];
  if (direct !== undefined) return domainOf(direct);
  if (field.endsWith('.length')) {
    const holder = args[field.slice(0, -'.length'.length)];
    if (holder !== undefined) return lengthDomain(holder);
  }
  return ANY;
}

function domainOf(c: Constraint): Domain {
  const required = c.required === true || c.equalsContext !== undefined || c.oneOfContext !== undefined;
  // The kinds each key lets through, as the engine checks them: min/max a number, maxLength a
  // string, maxItems a list, recipients and urlDomains a string or a list, enum its members.
  const numeric = c.min !== undefined || c.max !== undefined;
  const text = c.maxLength !== undefined;
  const list = c.maxItems !== undefined;
  const listOrText = c.recipients !== undefined || c.urlDomains !== undefined;
  const enumValues = c.enum;
  const lo = c.min ?? -Infinity;
  const hi = c.max ?? Infinity;
  const maxLength = c.maxLength ?? Infinity;
  let numbers: NumberPiece[] = [];
  if (!listOrText && !text && !list) {
    if (enumValues === undefined) numbers = [{ lo, hi, integer: false }];
    else numbers = [{ values: enumValues.filter((v): v is number => typeof v === 'number' && v >= lo && v <= hi) }];
  }
  let strings: StringSet | undefined;
  if (!numeric && !list) {
    if (enumValues === undefined) strings = { maxLength };
    else strings = { values: enumValues.filter((v): v is string => typeof v === 'string' && v.length <= maxLength) };
  }
  const scalar = !numeric && !listOrText && !text && !list;
  const booleans = !scalar ? [] : enumValues === undefined ? [true, false] : enumValues.filter((v) => typeof v === 'boolean');
  return {
    missing: !required,
    numbers,
    strings,
    booleans,
    arrays: !numeric && !text && enumValues === undefined,
    objects: scalar && enumValues === undefined,
  };
}

/** The values `<argument>.length` takes: a string's or a list's length; missing for anything else. */
function lengthDomain(c: Constraint): Domain {
  const holder = domainOf(c);
  if (holder.objects) return ANY; // an object may carry its own `length`
  const numbers: NumberPiece[] = [];
  const strings = holder.strings;
  if (strings !== undefined) {
    numbers.push('values' in strings ? { values: strings.values.map((s) => s.length) } : { lo: 0, hi: strings.maxLength, integer: true });
  }
  if (holder.arrays) numbers.push({ lo: 0, hi: c.maxItems ?? Infinity, integer: true });
  return {
    missing: holder.missing || holder.numbers.length > 0 || holder.booleans.length > 0,
    numbers,
    strings: undefined,
    booleans: [],
    arrays: false,
    objects: false,
  };
}

const ORDER = new Set(['>', '>=', '<', '<=']);

/** True when one value of the domain meets every condition (all on the same field). */
function satisfiable(domain: Domain, conditions: readonly ApprovalCondition[]): boolean {
  const onlyNotEqual = conditions.every((c) => c.op === '!=');
  // A missing argument: `!=` holds, every other comparison does not.
  if (domain.missing && onlyNotEqual) return true;
  if ((domain.arrays || domain.objects) && onlyNotEqual) return true;
  const numeric = conditions.every((c) => c.op === '!=' || typeof c.value === 'number');
  if (numeric && domain.numbers.some((piece) => pieceSatisfies(piece, conditions))) return true;
  const equality = conditions.every((c) => !ORDER.has(c.op));
  if (equality && domain.strings !== undefined && conditions.every((c) => c.op === '!=' || typeof c.value === 'string')) {
    if (stringsSatisfy(domain.strings, conditions)) return true;
  }
  if (equality && conditions.every((c) => c.op === '!=' || typeof c.value === 'boolean')) {
    if (domain.booleans.some((b) => conditions.every((c) => (c.op === '==' ? b === c.value : b !== c.value)))) return true;
  }
  return false;
}

function holdsOn(value: number, c: ApprovalCondition): boolean {
  if (c.op === '!=') return value !== c.value;
  if (typeof c.value !== 'number') return false;
  switch (c.op) {
    case '==':
      return value === c.value;
    case '>':
      return value > c.value;
    case '>=':
      return value >= c.value;
    case '<':
      return value < c.value;
    default:
      return value <= c.value;
  }
}

function pieceSatisfies(piece: NumberPiece, conditions: readonly ApprovalCondition[]): boolean {
  if ('values' in piece) return piece.values.some((value) => conditions.every((c) => holdsOn(value, c)));
  // The interval the conditions leave of the piece; `open` ends exclude the bound itself.
  const bounds = { lo: piece.lo, loOpen: false, hi: piece.hi, hiOpen: false };
  const excluded: number[] = [];
  for (const c of conditions) {
    if (c.op === '!=') {
      if (typeof c.value === 'number') excluded.push(c.value);
      continue;
    }
    const v = c.value as number;
    if (c.op !== '<' && c.op !== '<=') raise(bounds, v, c.op === '>');
    if (c.op !== '>' && c.op !== '>=') lower(bounds, v, c.op === '<');
  }
  const { lo, loOpen, hi, hiOpen } = bounds;
  if (piece.integer) {
    const first = loOpen ? Math.floor(lo) + 1 : Math.ceil(lo);
    const last = hiOpen ? Math.ceil(hi) - 1 : Math.floor(hi);
    if (first > last) return false;
    const holes = new Set(excluded.filter((v) => Number.isInteger(v) && v >= first && v <= last));
    return last - first + 1 > holes.size;
  }
  if (lo < hi) return true;
  return lo === hi && !loOpen && !hiOpen && !excluded.includes(lo);
}

interface Bounds {
  lo: number;
  loOpen: boolean;
  hi: number;
  hiOpen: boolean;
}

function raise(bounds: Bounds, v: number, open: boolean): void {
  if (v > bounds.lo) [bounds.lo, bounds.loOpen] = [v, open];
  else if (v === bounds.lo) bounds.loOpen ||= open;
}

function lower(bounds: Bounds, v: number, open: boolean): void {
  if (v < bounds.hi) [bounds.hi, bounds.hiOpen] = [v, open];
  else if (v === bounds.hi) bounds.hiOpen ||= open;
}

function stringsSatisfy(set: StringSet, conditions: readonly ApprovalCondition[]): boolean {
  const fits = (s: string) => conditions.every((c) => (c.op === '==' ? s === c.value : s !== c.value));
  if ('values' in set) return set.values.some(fits);
  const wanted = conditions.find((c) => c.op === '==');
  if (wanted !== undefined) return typeof wanted.value === 'string' && wanted.value.length <= set.maxLength && fits(wanted.value);
  // Only `!=`: any string up to maxLength other than the excluded ones.
  return set.maxLength > 0 || fits('');
}

function describeCause(cause: UnreachableCause, args: Readonly<Record<string, Constraint>>): string {
  const value = args[cause.path]?.[cause.key];
  const shown = typeof value === 'object' && !Array.isArray(value) ? '…' : JSON.stringify(value);
  return `${cause.path}.${cause.key}: ${shown}`;
}
