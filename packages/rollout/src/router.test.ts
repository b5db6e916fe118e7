import MurmurHash3 from 'imurmurhash';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3, prefixedMurmur3 } from './murmur3.js';
import { BUCKETS, bucketOf, bucketsOf, createRouter, route, splitRouting, type Variant } from './router.js';

const FLAG = 'agent.support-desk.variant';

describe('murmur3', () => {
  it('equals imurmurhash (what flagd-core calls) on fixed and random strings, ASCII and not', () => {
    for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'abcde', `${FLAG}user-1`, 'é', '日本語テキスト', '\u8000', 'ab\u8000', '😀😀😀'])
      expect(murmur3(key)).toBe(new MurmurHash3(key).result());
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (key) => murmur3(key) === new MurmurHash3(key).result()),
      { numRuns: 20_000 },
    );
  });

  it('prefixedMurmur3(prefix)(key) equals murmur3(prefix + key) for any prefix and key', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.string({ unit: 'binary', maxLength: 30 }),
        (prefix, key) => prefixedMurmur3(prefix)(key) === murmur3(prefix + key),
      ),
      { numRuns: 20_000 },
    );
  });

  it('is the reference MurmurHash3 x86_32 for ASCII (published vectors, seed 0)', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });
});

describe('router', () => {
  const keys = fc.string({ minLength: 1, maxLength: 40 });
  const weights = fc.integer({ min: 0, max: BUCKETS }).map((buckets) => buckets / 100);

  it('is sticky: the same key gets the same variant every time, in any process state', () => {
    fc.assert(
      fc.property(keys, weights, (key, weight) => {
        const routing = splitRouting(weight);
        const first = route(routing, FLAG, key);
        return route(routing, FLAG, key) === first && createRouter('support-desk').decide(routing, key) === first;
      }),
      { numRuns: 5_000 },
    );
  });

  it('expands monotonically: a key in the candidate at weight w stays in it at every weight above w', () => {
    fc.assert(
      fc.property(keys, weights, weights, (key, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        return route(splitRouting(low), FLAG, key) !== 'candidate' || route(splitRouting(high), FLAG, key) === 'candidate';
      }),
      { numRuns: 10_000 },
    );
  });

  it('sends the weight ±1 % of 100,000 keys to the candidate, for any weight', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.string({ minLength: 1, maxLength: 8 }), (weight, prefix) => {
        const routing = splitRouting(weight);
        let candidate = 0;
        for (let index = 0; index < 100_000; index++) if (route(routing, FLAG, `${prefix}-${index}`) === 'candidate') candidate++;
        return Math.abs(candidate / 1000 - weight) <= 1;
      }),
      { numRuns: 12 },
    );
  });

  it('buckets as flagd: floor(hash · 10,000 / 2^32), candidate first', () => {
    const key = 'user-42';
    const bucket = bucketOf(FLAG, key);
    expect(bucket).toBe(Number((BigInt(murmur3(FLAG + key)) * BigInt(BUCKETS)) >> 32n));
    expect(route(splitRouting((bucket + 1) / 100), FLAG, key)).toBe('candidate');
    expect(route(splitRouting(bucket / 100), FLAG, key)).toBe('control');
  });

  it('answers control without a targeting key, shadow in a shadow stage, and rejects weights out of range', () => {
    const answers: Variant[] = [
      route(splitRouting(50), FLAG, undefined),
      route(splitRouting(50), FLAG, ''),
      route({ mode: 'shadow', candidateBuckets: 0 }, FLAG, 'u'),
      route(splitRouting(100), FLAG, 'u'),
      route(splitRouting(0), FLAG, 'u'),
    ];
    expect(answers).toEqual(['control', 'control', 'shadow', 'candidate', 'control']);
    expect(bucketsOf(2.5)).toBe(250);
    expect(() => bucketsOf(101)).toThrow(/0 to 100/);
    expect(() => bucketsOf(Number.NaN)).toThrow(/0 to 100/);
  });
});
