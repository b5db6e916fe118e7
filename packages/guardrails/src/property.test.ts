import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, createRedactor } from './index.js';

const engine = compilePolicy({
  version: '1.0.0',
  extends: ['strict'],
  hooks: {
    output: [
      { detector: 'pii', action: 'redact' },
      { detector: 'secrets', action: 'redact' },
    ],
  },
});

// Values the detectors must find, embedded in random text.
const email = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), fc.stringMatching(/^[a-z]{2,10}$/), fc.constantFrom('com', 'org', 'io', 'example'))
  .map(([user, host, tld]) => `${user}@${host}.${tld}`);
const cardNumber = fc.constantFrom('4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005', '6011111111111117');
const iban = fc.constantFrom('DE89 3704 0044 0532 0130 00', 'GB82WEST12345698765432', 'NL91 ABNA 0417 1643 00');
const ssn = fc
  .tuple(fc.integer({ min: 1, max: 665 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 }))
  .map(([a, g, s]) => `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`);
const phone = fc
  .tuple(fc.integer({ min: 200, max: 999 }), fc.integer({ min: 200, max: 999 }), fc.integer({ min: 0, max: 9999 }))
  .map(([a, b, c]) => `(${a}) ${b}-${String(c).padStart(4, '0')}`);
// eslint-disable-next-line regexp/use-ignore-case -- fast-check's stringMatching does not support the i flag
const secret = fc.stringMatching(/^[A-Za-z0-9]{36}$/).map((tail) => `ghp_${tail}`);
const sensitive = fc.oneof(email, cardNumber, iban, ssn, phone, secret);
const filler = fc.stringMatching(/^[a-z ,.]{0,40}$/).map((text) => ` ${text} `);

describe('properties', () => {
  it('a redacted output never contains a detected value, and redacting again finds nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, sensitive), { minLength: 1, maxLength: 6 }), filler, (parts, tail) => {
        const text = parts.map(([f, value]) => f + value).join('') + tail;
        const decision = engine.evaluate({ hook: 'output', content: text });
        expect(decision.action).toBe('redact');
        const redacted = decision.content as string;
        for (const [, value] of parts) expect(redacted).not.toContain(value);
        for (const finding of decision.findings) expect(redacted).not.toContain(text.slice(finding.start, finding.end));
        expect(engine.evaluate({ hook: 'output', content: redacted }).findings).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('the engine never throws on any string or any value, at any hook', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('input', 'output', 'tool-call', 'tool-result' as const),
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.anything()),
        fc.anything(),
        (hook, content, args) => {
          const run = engine.createRun();
          const decision = engine.evaluate({ hook, content, toolCall: { name: 'any_tool', args } }, run);
          expect(['allow', 'redact', 'needs-approval', 'deny']).toContain(decision.action);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decisions are deterministic', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.array(fc.tuple(filler, sensitive)).map((parts) => parts.flat().join('')),
        ),
        (text) => {
          const a = engine.evaluate({ hook: 'input', content: text }, engine.createRun());
          const b = engine.evaluate({ hook: 'input', content: text }, engine.createRun());
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('spans are within the text and findings are ordered per detector', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        for (const finding of engine.evaluate({ hook: 'tool-result', content: text }).findings) {
          expect(finding.start).toBeGreaterThanOrEqual(0);
          expect(finding.end).toBeLessThanOrEqual(text.length);
          expect(finding.end).toBeGreaterThanOrEqual(finding.start);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('createRedactor redacts from options or from an engine, and leaves clean text alone', () => {
    const redact = createRedactor({ mode: 'mask' });
    expect(redact('mail ana@example.org now')).toBe('mail *************** now');
    expect(redact('nothing here')).toBe('nothing here');
    const fromEngine = createRedactor(engine);
    expect(fromEngine('card 4111 1111 1111 1111 key ghp_' + 'Ab1'.repeat(12))).toBe(`card [CREDIT_CARD_1] key ${'*'.repeat(40)}`);
    expect(() => createRedactor({ mode: 'hash' })).toThrow(expect.objectContaining({ code: 'GUARDRAILS_MISSING_SALT' }) as Error);
  });
});
