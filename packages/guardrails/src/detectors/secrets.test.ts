import { describe, expect, it } from 'vitest';
import { secretFixtures } from '../__fixtures__/secrets.js';
import { compileSecrets, secretRules } from './secrets.js';
import { TextView, type Hit } from './common.js';

function scan(text: string, rules?: string[]): Hit[] {
  const detector = compileSecrets({ action: 'deny', redaction: 'mask', minEntropy: 3, ...(rules ? { rules } : {}) });
  const hits: Hit[] = [];
  detector.scan(new TextView(text), (hit) => hits.push(hit));
  return hits;
}

describe('secret rules', () => {
  it('ships at least 40 rules with unique ids, descriptions and keywords', () => {
    expect(secretRules.length).toBeGreaterThanOrEqual(40);
    expect(new Set(secretRules.map((rule) => rule.id)).size).toBe(secretRules.length);
    for (const rule of secretRules) {
      expect(rule.description.length, rule.id).toBeGreaterThan(5);
      expect(rule.keywords.length, rule.id).toBeGreaterThan(0);
      expect(
        rule.keywords.every((keyword) => keyword === keyword.toLowerCase()),
        rule.id,
      ).toBe(true);
      expect(rule.regex.global, rule.id).toBe(true);
    }
  });

  it('has true-positive and false-positive fixtures for every rule, and none for unknown rules', () => {
    expect(Object.keys(secretFixtures).sort()).toEqual(secretRules.map((rule) => rule.id).sort());
    for (const [id, fixture] of Object.entries(secretFixtures)) {
      expect(fixture.tp.length, id).toBeGreaterThan(0);
      expect(fixture.fp.length, id).toBeGreaterThan(0);
    }
  });

  describe.each(secretRules.map((rule) => [rule.id, rule] as const))('%s', (id, rule) => {
    const fixture = secretFixtures[id];
    it('detects every true positive (rule alone and in the full detector) and a keyword is present', () => {
      for (const text of fixture?.tp ?? []) {
        expect(new RegExp(rule.regex.source, rule.regex.flags).test(text), `${id} regex on ${text}`).toBe(true);
        expect(
          rule.keywords.some((keyword) => text.toLowerCase().includes(keyword)),
          `${id} keyword in ${text}`,
        ).toBe(true);
        expect(
          scan(text, [id]).map((hit) => hit.ruleId),
          text,
        ).toContain(`secrets.${id}`);
        expect(
          scan(text).map((hit) => hit.ruleId),
          text,
        ).toContain(`secrets.${id}`);
      }
    });
    it('matches no false positive', () => {
      for (const text of fixture?.fp ?? []) expect(scan(text, [id]), `${id} on ${text}`).toEqual([]);
    });
  });

  it('reports the span of the secret value, not the keyword around it', () => {
    const value = secretFixtures['generic-api-key']?.tp[0] ?? '';
    const [hit] = scan(value);
    expect(hit).toBeDefined();
    expect(value.slice(hit?.start, hit?.end)).toMatch(/^[a-z0-9]{32}$/i);
  });

  it('does not report a specific secret twice through a generic rule', () => {
    const text = `api_key = "ghp_${'a1B2c3D4e5'.repeat(3)}a1B2c3"`;
    expect(scan(text).map((hit) => hit.ruleId)).toEqual(['secrets.github-pat']);
  });

  it('rejects unknown rule ids with a typed error', () => {
    expect(() => compileSecrets({ action: 'deny', redaction: 'mask', minEntropy: 3, rules: ['nope'] })).toThrow(
      /unknown secrets rule "nope"/,
    );
  });
});
