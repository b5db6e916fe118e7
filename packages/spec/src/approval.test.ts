import { describe, expect, it } from 'vitest';
import { compileApprovalPolicy, compileApprovalTest, parseApprovalPolicy, requiresApproval } from './approval.js';
import { SpecError } from './errors.js';

describe('approval policies', () => {
  it('parses never, always and comparisons', () => {
    expect(compileApprovalPolicy('never')).toEqual({ kind: 'never' });
    expect(compileApprovalPolicy(' always ')).toEqual({ kind: 'always' });
    expect(compileApprovalPolicy('when amount > 100')).toEqual({
      kind: 'when',
      join: 'and',
      conditions: [{ field: 'amount', op: '>', value: 100 }],
    });
    expect(compileApprovalPolicy('when refund.amount >= 50.5 or currency != "USD"')).toEqual({
      kind: 'when',
      join: 'or',
      conditions: [
        { field: 'refund.amount', op: '>=', value: 50.5 },
        { field: 'currency', op: '!=', value: 'USD' },
      ],
    });
  });

  it('decides per call', () => {
    const policy = compileApprovalPolicy('when amount > 100');
    expect(requiresApproval(policy, { amount: 100 })).toBe(false);
    expect(requiresApproval(policy, { amount: 100.01 })).toBe(true);
    expect(requiresApproval(policy, { amount: '500' })).toBe(false);
    expect(requiresApproval(compileApprovalPolicy('when a > 1 and b == true'), { a: 2, b: true })).toBe(true);
    expect(requiresApproval(compileApprovalPolicy('when a > 1 and b == true'), { a: 2, b: false })).toBe(false);
    expect(requiresApproval(compileApprovalPolicy('when a > 1 or b == true'), { a: 0, b: true })).toBe(true);
    expect(requiresApproval(compileApprovalPolicy('when x.y < 0'), { x: { y: -1 } })).toBe(true);
    expect(requiresApproval(compileApprovalPolicy('always'), {})).toBe(true);
    expect(requiresApproval(compileApprovalPolicy('never'), { amount: 1e9 })).toBe(false);
  });

  it('explains what is wrong instead of guessing', () => {
    expect(parseApprovalPolicy('sometimes')).toEqual({ error: expect.stringContaining('must be "never", "always"') as unknown });
    expect(parseApprovalPolicy('when amount >> 100')).toEqual({ error: expect.stringContaining('cannot read condition') as unknown });
    expect(parseApprovalPolicy('when a > 1 and b > 2 or c > 3')).toEqual({ error: expect.stringContaining('mixes') as unknown });
    expect(parseApprovalPolicy(`when ${'a'.repeat(300)} > 1`)).toEqual({ error: expect.stringContaining('longer than') as unknown });
    expect(() => compileApprovalPolicy('maybe')).toThrow(SpecError);
    try {
      compileApprovalPolicy('maybe');
    } catch (error) {
      expect(SpecError.isInstance(error) && error.code).toBe('SPEC_BAD_APPROVAL_POLICY');
    }
  });
});

describe('approval conditions on list arguments', () => {
  it('reads the length of a list through ".length"', () => {
    const policy = compileApprovalPolicy('when to.length > 1');
    expect(requiresApproval(policy, { to: ['a@example.org'] })).toBe(false);
    expect(requiresApproval(policy, { to: ['a@example.org', 'b@example.org'] })).toBe(true);
    expect(requiresApproval(policy, {})).toBe(false);
  });

  it('reads the length of a string through ".length" too', () => {
    const policy = compileApprovalPolicy('when note.length > 3');
    expect(requiresApproval(policy, { note: 'abc' })).toBe(false);
    expect(requiresApproval(policy, { note: 'abcd' })).toBe(true);
    expect(requiresApproval(policy, { note: 4 })).toBe(false);
  });
});

describe('compileApprovalTest', () => {
  it('is the policy as a test of the arguments alone, the same answers as requiresApproval', () => {
    const policy = compileApprovalPolicy('when refund.amount > 100 or refund.currency != "USD"');
    const test = compileApprovalTest(policy);
    const cases: unknown[] = [
      { refund: { amount: 101, currency: 'USD' } },
      { refund: { amount: 100, currency: 'USD' } },
      { refund: { amount: 5, currency: 'EUR' } },
      { refund: null },
      { refund: 'x' },
      null,
      42,
      {},
    ];
    expect(cases.map((args) => test(args))).toEqual([true, false, true, true, true, true, true, true]);
    expect(cases.map((args) => requiresApproval(policy, args))).toEqual(cases.map((args) => test(args)));
    expect(compileApprovalTest(compileApprovalPolicy('never'))({ refund: { amount: 1e9 } })).toBe(false);
    expect(compileApprovalTest(compileApprovalPolicy('always'))(undefined)).toBe(true);
  });

  it('answers for a policy asked again after a first answer (the test made once is reused, not stale)', () => {
    const policy = compileApprovalPolicy('when a.b.length >= 2 and a.c == true');
    expect(requiresApproval(policy, { a: { b: [1], c: true } })).toBe(false);
    expect(requiresApproval(policy, { a: { b: [1, 2], c: true } })).toBe(true);
    expect(requiresApproval(policy, { a: { b: 'xy', c: false } })).toBe(false);
  });
});
