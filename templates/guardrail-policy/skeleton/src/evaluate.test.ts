// The policy decides every labelled case as labelled; and the evaluation can fail: a policy without
// the injection detector lets the injection cases through.
import { compilePolicy } from '@charter/guardrails';
import { describe, expect, it } from 'vitest';
import { evaluate, loadCases, loadEngine } from './evaluate.js';

describe('the policy against its labelled set', () => {
  it('decides every case as labelled', () => {
    const report = evaluate();
    expect(report.cases.filter((result) => !result.ok)).toEqual([]);
    expect(report.total).toBeGreaterThanOrEqual(10);
  });

  it('has attacks, personal data, secrets and benign cases', () => {
    const labels = new Set(loadCases().map((item) => item.label));
    for (const label of ['injection', 'pii', 'secrets', 'benign']) expect(labels).toContain(label);
  });

  it('fails for a policy that does not detect injection', () => {
    const weak = compilePolicy({ version: '1.0.0', hooks: { output: [{ detector: 'pii', action: 'redact' }] } });
    const report = evaluate(weak);
    expect(report.cases.filter((result) => result.label === 'injection' && !result.ok).length).toBeGreaterThan(0);
    expect(loadEngine().name).not.toBe('');
  });
});
