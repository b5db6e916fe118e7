import { SpecError, SpecErrorCode } from './errors.js';

/** Comparison operators an approval condition may use. */
export type ApprovalOperator = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** One comparison of a tool-call argument (dotted path) against a literal. */
export interface ApprovalCondition {
  readonly field: string;
  readonly op: ApprovalOperator;
  readonly value: number | string | boolean;
}

/** A parsed approval policy: never, always, or when every/any condition holds. */
export type ApprovalPolicy =
  | { readonly kind: 'never' }
  | { readonly kind: 'always' }
  | { readonly kind: 'when'; readonly join: 'and' | 'or'; readonly conditions: readonly ApprovalCondition[] };

const MAX_POLICY_LENGTH = 256;
// Fixed keyword prefix, bounded identifier and literal lengths: linear on any input.
const CONDITION = /^([A-Za-z_][\w.]{0,63})\s{0,8}(>=|<=|==|!=|>|<)\s{0,8}(-?\d{1,15}(?:\.\d{1,6})?|"[^"]{0,64}"|'[^']{0,64}'|true|false)$/;

/**
 * Parses `never`, `always` or `when <field> <op> <literal> [and|or …]`, e.g. `when amount > 100`.
 * Returns a message instead of throwing so the loader can report it with a position.
 */
export function parseApprovalPolicy(text: string): { value: ApprovalPolicy } | { error: string } {
  const source = text.trim();
  if (source.length > MAX_POLICY_LENGTH) return { error: `approval policy is longer than ${MAX_POLICY_LENGTH} characters` };
  if (source === 'never') return { value: { kind: 'never' } };
  if (source === 'always') return { value: { kind: 'always' } };
  if (!source.startsWith('when ')) {
    return { error: `approval policy must be "never", "always" or "when <argument> <op> <value>", got "${source}"` };
  }
  const body = source.slice(5);
  const hasAnd = body.includes(' and ');
  const hasOr = body.includes(' or ');
  if (hasAnd && hasOr) return { error: 'approval policy mixes "and" and "or": use one of them' };
  const join = hasOr ? 'or' : 'and';
  const conditions: ApprovalCondition[] = [];
  for (const part of body.split(` ${join} `)) {
    const match = CONDITION.exec(part.trim());
    if (!match) {
      return { error: `cannot read condition "${part.trim()}": write it as <argument> <op> <value>, e.g. "amount > 100"` };
    }
    const [, field, op, raw] = match as unknown as [string, string, ApprovalOperator, string];
    conditions.push({ field, op, value: parseLiteral(raw) });
  }
  return { value: { kind: 'when', join, conditions } };
}

function parseLiteral(raw: string): number | string | boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw.startsWith('"') || raw.startsWith("'")) return raw.slice(1, -1);
  return Number(raw);
}

/** Parses an approval policy or throws `SpecError` (`SPEC_BAD_APPROVAL_POLICY`). */
export function compileApprovalPolicy(text: string): ApprovalPolicy {
  const result = parseApprovalPolicy(text);
  if ('error' in result) throw new SpecError(SpecErrorCode.BadApprovalPolicy, result.error);
  return result.value;
}

/**
 * The policy as a test of tool-call arguments alone: what `requiresApproval` answers, with each
 * condition's dotted path split once here rather than on every call (the guardrail engine keeps the
 * test of each compiled approval). A condition reads a dotted path such as `refund.amount` (or `length`
 * of a list or a string); an argument that is missing or of another type does not hold.
 */
export function compileApprovalTest(policy: ApprovalPolicy): (args: unknown) => boolean {
  if (policy.kind === 'never') return () => false;
  if (policy.kind === 'always') return () => true;
  const tests = policy.conditions.map(conditionTest);
  if (tests.length === 1) return tests[0] as (args: unknown) => boolean;
  return policy.join === 'and' ? (args) => tests.every((test) => test(args)) : (args) => tests.some((test) => test(args));
}

function conditionTest(condition: ApprovalCondition): (args: unknown) => boolean {
  const segments = condition.field.split('.');
  const { op, value: expected } = condition;
  return (args) => {
    let actual: unknown = args;
    for (const key of segments) {
      if (typeof actual === 'string' && key === 'length') {
        actual = actual.length;
        continue;
      }
      if (typeof actual !== 'object' || actual === null) {
        actual = undefined;
        break;
      }
      actual = (actual as Record<string, unknown>)[key];
    }
    switch (op) {
      case '==':
        return actual === expected;
      case '!=':
        return actual !== expected;
      default:
        if (typeof actual !== 'number' || typeof expected !== 'number') return false;
        if (op === '>') return actual > expected;
        if (op === '>=') return actual >= expected;
        if (op === '<') return actual < expected;
        return actual <= expected;
    }
  };
}

// The test of each policy asked about, made once (policies are values that callers keep and reuse).
const tests = new WeakMap<ApprovalPolicy, (args: unknown) => boolean>();

/**
 * True when a call with these arguments needs a human's approval under the policy. A condition on
 * an argument that is missing or of another type does not hold; callers that want to fail closed on
 * a missing argument combine the policy with the tool's input schema, which makes it required.
 */
export function requiresApproval(policy: ApprovalPolicy, args: unknown): boolean {
  let test = tests.get(policy);
  if (test === undefined) {
    test = compileApprovalTest(policy);
    tests.set(policy, test);
  }
  return test(args);
}
