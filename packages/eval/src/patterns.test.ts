import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type EvalCase, loadPlaybook, type Playbook } from '@charter/spec';
import { describe, expect, it } from 'vitest';
import { findPatterns } from './patterns.js';

const PLAYBOOK_DIR = join(import.meta.dirname, '..', '..', '..', 'playbooks');
const playbooks: Playbook[] = readdirSync(PLAYBOOK_DIR)
  .filter((f) => f.endsWith('.md') && f !== 'README.md')
  .map((f) => loadPlaybook({ path: join(PLAYBOOK_DIR, f) }).value)
  .filter((p): p is Playbook => p !== undefined);

let n = 0;
const failed = (over: Partial<EvalCase>): EvalCase => ({
  id: `case-${++n}`,
  source: 'scenario',
  category: 'happy',
  passed: false,
  failures: ['x'],
  status: 'completed',
  ruleIds: [],
  errorCodes: [],
  costUsd: 0.001,
  ...over,
});

describe('findPatterns', () => {
  it('ranks a planted cluster first by frequency × cost and links the playbook whose triggers cover it', () => {
    expect(playbooks.length).toBeGreaterThan(5);
    const cases: EvalCase[] = [
      // The planted cluster: four expensive runs that escalated after tool timeouts.
      ...[1, 2, 3, 4].map(() =>
        failed({ category: 'faults', status: 'escalated', reason: 'tool_failure', errorCodes: ['TOOL_TIMEOUT'], costUsd: 0.05 }),
      ),
      // More frequent but cheap: five runs a guardrail rule refused.
      ...[1, 2, 3, 4, 5].map(() => failed({ category: 'pii', ruleIds: ['pii.phone'], costUsd: 0.001 })),
      // Passing cases never form patterns.
      { ...failed({ errorCodes: ['TOOL_BUSY'], costUsd: 9 }), passed: true, failures: [] },
    ];
    const patterns = findPatterns(cases, playbooks);
    expect(patterns.slice(0, 3).map((p) => [p.kind, p.value, p.count])).toEqual([
      ['error-code', 'TOOL_TIMEOUT', 4],
      ['escalation', 'tool_failure', 4],
      ['category', 'faults', 4],
    ]);
    expect(patterns[0]).toMatchObject({ costUsd: 0.2, score: 0.2, playbooks: ['tool-timeouts'] });
    expect(patterns[1]?.playbooks).toEqual(['tool-timeouts', 'cascading-failure']);
    expect(patterns[2]?.playbooks).toEqual(['tool-timeouts', 'cascading-failure']);
    // The rule no playbook lists is flagged as having none.
    expect(patterns.find((p) => p.kind === 'rule' && p.value === 'pii.phone')).toMatchObject({ count: 5, playbooks: [] });
    expect(patterns.some((p) => p.value === 'TOOL_BUSY')).toBe(false);
  });

  it('runs that cost nothing rank by frequency', () => {
    const patterns = findPatterns([
      failed({ category: 'a', costUsd: 0 }),
      failed({ category: 'b', costUsd: 0 }),
      failed({ category: 'b', costUsd: 0 }),
    ]);
    expect(patterns.map((p) => [p.value, p.count, p.score])).toEqual([
      ['b', 2, 0],
      ['a', 1, 0],
    ]);
  });
});
