import { checkSync } from 'recheck';
import { describe, expect, it } from 'vitest';
import { injectionPatterns, injectionRules } from './detectors/injection.js';
import { piiPatterns } from './detectors/pii.js';
import { secretRules, secretsPatterns } from './detectors/secrets.js';

const all: { name: string; regex: RegExp }[] = [
  ...secretRules.map((rule) => ({ name: `secrets.${rule.id}`, regex: rule.regex })),
  ...injectionRules.map((rule) => ({ name: `injection.${rule.id}`, regex: rule.regex })),
  ...piiPatterns.map((regex, index) => ({ name: `pii#${index}`, regex })),
  ...injectionPatterns.map((regex, index) => ({ name: `injection#${index}`, regex })),
  ...secretsPatterns.map((regex, index) => ({ name: `secrets#${index}`, regex })),
];

describe('built-in patterns are linear-time', () => {
  it('recheck finds no super-linear pattern among all built-in patterns', () => {
    const vulnerable: string[] = [];
    for (const { name, regex } of all) {
      const result = checkSync(regex.source, regex.flags.replace('g', ''), { timeout: 10_000 });
      if (result.status === 'vulnerable') vulnerable.push(`${name}: ${result.complexity.type} ${regex.source}`);
      if (result.status === 'unknown') vulnerable.push(`${name}: unknown (${result.error.kind})`);
    }
    expect(vulnerable).toEqual([]);
    expect(all.length).toBeGreaterThan(80);
  }, 240_000);

  it('no built-in pattern takes more than 20 ms on 64 KB adversarial inputs', () => {
    const inputs = [
      'a'.repeat(65_536),
      '1'.repeat(65_536),
      '1 '.repeat(32_768),
      'A'.repeat(65_536),
      'ignore '.repeat(9362),
      '-'.repeat(65_536),
      '@'.repeat(65_536),
      'x@'.repeat(32_768),
    ];
    const slow: string[] = [];
    for (const { name, regex } of all) {
      for (const input of inputs) {
        const copy = new RegExp(regex.source, regex.flags);
        const started = performance.now();
        if (copy.global)
          while (copy.exec(input) !== null)
            if (copy.lastIndex === 0) break;
            else copy.test(input);
        const elapsed = performance.now() - started;
        if (elapsed > 20) slow.push(`${name} ${elapsed.toFixed(1)} ms on ${JSON.stringify(input.slice(0, 8))}…`);
      }
    }
    expect(slow).toEqual([]);
  }, 120_000);
});
