import { describe, expect, it } from 'vitest';
import { fisherOneSided, holm, normalQuantile, wilson } from './stats.js';

/** C(n, k) exactly, for checking the log-space computation. */
function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

describe('stats', () => {
  it('normalQuantile matches the standard normal table', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('wilson gives the score interval (8 of 10: 0.490-0.943; 0 of 3: 0-0.561) and [0, 1] for no cases', () => {
    const w = wilson(8, 10);
    expect(w.accuracy).toBe(0.8);
    expect(w.low).toBeCloseTo(0.4902, 4);
    expect(w.high).toBeCloseTo(0.9433, 4);
    expect(wilson(0, 3).low).toBe(0);
    expect(wilson(0, 3).high).toBeCloseTo(0.5615, 4);
    expect(wilson(96, 96).high).toBe(1);
    expect(wilson(96, 96).low).toBeCloseTo(0.9615, 4);
    expect(wilson(0, 0)).toEqual({ accuracy: 0, low: 0, high: 1 });
    expect(wilson(8, 10, 0.99).low).toBeLessThan(w.low);
  });

  it('fisherOneSided is the hypergeometric lower tail', () => {
    // 3/3 against 0/3: the only table at least as extreme, 1 of C(6,3) = 20.
    expect(fisherOneSided(3, 3, 0, 3)).toBeCloseTo(0.05, 12);
    // 60/60 against 54/60: all six failures fall on the current side.
    const exact = Number(choose(60, 6)) / Number(choose(120, 6));
    expect(fisherOneSided(60, 60, 54, 60)).toBeCloseTo(exact, 12);
    // A tail of several tables: 8/10 against 3/10.
    const tail = [0, 1, 2, 3].reduce((sum, k) => sum + Number(choose(10, k) * choose(10, 11 - k)), 0) / Number(choose(20, 11));
    expect(fisherOneSided(8, 10, 3, 10)).toBeCloseTo(tail, 12);
    expect(fisherOneSided(5, 5, 5, 5)).toBeCloseTo(1, 12);
    expect(fisherOneSided(2, 5, 5, 5)).toBeCloseTo(1, 12);
    expect(fisherOneSided(0, 0, 3, 3)).toBe(1);
  });

  it('holm multiplies the k-th smallest p by (m - k + 1) and keeps the order monotone', () => {
    const adjusted = holm([0.01, 0.04, 0.03]);
    expect(adjusted[0]).toBeCloseTo(0.03, 12);
    expect(adjusted[1]).toBeCloseTo(0.06, 12);
    expect(adjusted[2]).toBeCloseTo(0.06, 12);
    expect(holm([0.5, 0.9])).toEqual([1, 1]);
  });
});
