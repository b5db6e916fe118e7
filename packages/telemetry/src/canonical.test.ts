import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashArguments, sha256Hex } from './canonical.js';
import { TelemetryError, TelemetryErrorCode } from './errors.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ é: 1, z: 2, Z: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"Z":3,"z":2,"é":1}');
  });

  it('writes numbers and strings in their ECMAScript form', () => {
    expect(canonicalJson([1.5, -0, 1e21, 0.1, 'a"\\\n\u2028'])).toBe('[1.5,0,1e+21,0.1,"a\\"\\\\\\n\u2028"]');
  });

  it('leaves out undefined properties', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it.each([
    ['NaN', { a: Number.NaN }, '/a'],
    ['Infinity', [Number.POSITIVE_INFINITY], '/0'],
    ['bigint', { n: 1n }, '/n'],
    ['a function', { f: () => 1 }, '/f'],
    ['undefined in an array', [1, undefined], '/1'],
    ['a Date', { when: new Date(0) }, '/when'],
    ['a Map', new Map(), '/'],
  ])('rejects %s with TELEMETRY_NOT_CANONICAL naming the path', (_name, value, path) => {
    try {
      canonicalJson(value);
      expect.unreachable('should throw');
    } catch (error) {
      expect(TelemetryError.isInstance(error)).toBe(true);
      expect((error as TelemetryError).code).toBe(TelemetryErrorCode.NotCanonical);
      expect((error as Error).message).toContain(`"${path}"`);
    }
  });

  it('rejects cycles instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/deeper than/);
  });

  it('is stable under key reordering and a JSON round trip (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const canonical = canonicalJson(value);
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
        expect(canonicalJson(shuffleKeys(value))).toBe(canonical);
        expect(JSON.parse(canonical)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('hashArguments', () => {
  it('hashes equal arguments equally whatever their key order', () => {
    expect(hashArguments({ orderId: 'A1', amount: 120 })).toBe(hashArguments({ amount: 120, orderId: 'A1' }));
    expect(hashArguments({ orderId: 'A1', amount: 120 })).not.toBe(hashArguments({ orderId: 'A1', amount: 121 }));
  });

  it('is SHA-256 of the canonical JSON', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hashArguments({ b: 1, a: 2 })).toBe(sha256Hex('{"a":2,"b":1}'));
  });
});

function shuffleKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shuffleKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).reverse();
    return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v)]));
  }
  return value;
}
