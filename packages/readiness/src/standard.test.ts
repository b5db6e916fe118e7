import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from './rules/registry.js';
import { renderStandard } from './standard.js';
import { DIMENSIONS } from './types.js';

const committed = join(import.meta.dirname, '..', '..', '..', 'docs', 'standards', 'production-readiness.md');

describe('the rule registry', () => {
  it('has at least 30 rules, at least four per dimension, unique ids prefixed by their dimension', () => {
    expect(RULES.length).toBeGreaterThanOrEqual(30);
    for (const dimension of DIMENSIONS) {
      const own = RULES.filter((rule) => rule.dimension === dimension.id);
      expect(own.length, dimension.id).toBeGreaterThanOrEqual(4);
      for (const rule of own) expect(rule.id).toMatch(new RegExp(`^${dimension.prefix}-\\d{1,2}$`));
    }
    expect(new Set(RULES.map((rule) => rule.id)).size).toBe(RULES.length);
  });

  it('every rule states its requirement, rationale, what it reads, when it passes and what to do; references use real ids', () => {
    for (const rule of RULES) {
      for (const text of [rule.title, rule.rationale, rule.passes, rule.remediation]) expect(text.length, rule.id).toBeGreaterThan(15);
      expect(rule.reads.length, rule.id).toBeGreaterThan(0);
      for (const id of rule.references.owaspLlm) expect(id, rule.id).toMatch(/^LLM(?:0[1-9]|10)$/);
      for (const id of rule.references.owaspAgentic) expect(id, rule.id).toMatch(/^T(?:[1-9]|1[0-5])$/);
      for (const id of rule.references.nistAiRmf) expect(id, rule.id).toMatch(/^(?:GOVERN|MAP|MEASURE|MANAGE) \d\.\d{1,2}$/);
      const count = rule.references.owaspLlm.length + rule.references.owaspAgentic.length + rule.references.nistAiRmf.length;
      expect(count, `${rule.id} has no reference`).toBeGreaterThan(0);
      if (rule.lint) expect(rule.reads.filter((read) => read.startsWith('lint ')).length, rule.id).toBe(rule.lint.length);
    }
  });

  it('keeps the ids the standard published before the registry existed', () => {
    const published = [
      'REL-1',
      'REL-2',
      'REL-3',
      'REL-4',
      'REL-5',
      'REL-6',
      'OBS-1',
      'OBS-2',
      'OBS-3',
      'OBS-4',
      'OBS-5',
      'FAL-1',
      'FAL-2',
      'FAL-3',
      'FAL-4',
      'FAL-5',
    ];
    const more = [
      'SEC-1',
      'SEC-2',
      'SEC-3',
      'SEC-4',
      'SEC-5',
      'SEC-6',
      'PERF-1',
      'PERF-2',
      'PERF-3',
      'PERF-4',
      'BIZ-1',
      'BIZ-2',
      'BIZ-3',
      'BIZ-4',
    ];
    for (const id of [...published, ...more])
      expect(
        RULES.some((rule) => rule.id === id),
        id,
      ).toBe(true);
  });
});

describe('docs/standards/production-readiness.md', () => {
  it('is generated from the registry (run `npm run generate:docs -w @charter/readiness` after changing a rule)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(renderStandard());
  });

  it('names every rule with its severity and pass condition', () => {
    const text = renderStandard();
    for (const rule of RULES) {
      expect(text).toContain(`### ${rule.id}`);
      expect(text).toContain(`**${rule.title}** (${rule.severity})`);
    }
  });
});
