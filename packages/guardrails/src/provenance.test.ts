// The engine's side of the agent loop's provenance check: a call the caller found ungrounded gets the
// policy's provenance action with rule `provenance.ungrounded`, whose message names the untrusted source.
import { describe, expect, it } from 'vitest';
import { compilePolicy, PROVENANCE_RULE } from './index.js';

const grants = [
  { name: 'refund_order', approval: 'when amount > 100' },
  { name: 'lookup_order', approval: 'never' },
];
const ungrounded = [{ path: '/amount', message: 'amount 95 comes only from the result of lookup_order (call c1)' }];
const call = { name: 'refund_order', args: { orderId: 'A-1', amount: 95 }, ungrounded };

describe('provenance findings', () => {
  it('defaults to enabled with needs-approval, naming the source in the finding', () => {
    const engine = compilePolicy({ version: '1.0.0' }, { grants });
    expect(engine.provenance).toEqual({ enabled: true, action: 'needs-approval' });
    const decision = engine.evaluate({ hook: 'tool-call', toolCall: call });
    expect(decision.action).toBe('needs-approval');
    expect(decision.ruleId).toBe(PROVENANCE_RULE);
    expect(decision.findings).toEqual([
      expect.objectContaining({
        ruleId: 'provenance.ungrounded',
        detector: 'provenance',
        path: '/amount',
        message: ungrounded[0]?.message,
      }),
    ]);
  });

  it('denies when the policy says deny, and a grounded call (no reasons) is allowed', () => {
    const engine = compilePolicy({ version: '1.0.0', provenance: { action: 'deny' } }, { grants });
    expect(engine.evaluate({ hook: 'tool-call', toolCall: call }).action).toBe('deny');
    expect(engine.evaluate({ hook: 'tool-call', toolCall: { ...call, ungrounded: [] } }).action).toBe('allow');
  });

  it('is ignored when the policy disables it', () => {
    const engine = compilePolicy({ version: '1.0.0', provenance: { enabled: false } }, { grants });
    expect(engine.provenance.enabled).toBe(false);
    expect(engine.evaluate({ hook: 'tool-call', toolCall: call }).action).toBe('allow');
  });

  it('is recorded, not enforced, in monitor mode; a grant approval still applies there', () => {
    const engine = compilePolicy({ version: '1.0.0', mode: 'monitor' }, { grants });
    const decision = engine.evaluate({ hook: 'tool-call', toolCall: call });
    expect(decision).toMatchObject({ action: 'allow', wouldBe: 'needs-approval', ruleId: PROVENANCE_RULE, enforced: false });
    const over = engine.evaluate({ hook: 'tool-call', toolCall: { ...call, args: { orderId: 'A-1', amount: 150 } } });
    expect(over.action).toBe('needs-approval');
  });

  it('does not outrank a constraint that denies', () => {
    const engine = compilePolicy(
      { version: '1.0.0', tools: { rules: [{ tool: 'refund_order', args: { amount: { max: 50 } } }] } },
      { grants },
    );
    const decision = engine.evaluate({ hook: 'tool-call', toolCall: call });
    expect(decision.action).toBe('deny');
    expect(decision.findings.map((f) => f.ruleId)).toEqual(['tool.arg.max', PROVENANCE_RULE]);
  });
});
