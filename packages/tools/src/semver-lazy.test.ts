import real from 'semver';
import { describe, expect, it } from 'vitest';
import { semver } from './semver-lazy.js';

const versions = ['0.1.0', '0.1.1', '1.0.0-rc.1', '1.0.0', '1.2.3', '2.0.0', '10.0.0'];

describe('semver functions loaded on first use', () => {
  it('give the same answers as the semver package', () => {
    for (const v of [...versions, 'v1.0.0', '1.0', 'nope']) expect(semver.valid(v), v).toBe(real.valid(v));
    for (const a of versions) {
      expect(semver.major(a)).toBe(real.major(a));
      expect(semver.minor(a)).toBe(real.minor(a));
      for (const b of versions) {
        expect(semver.compare(a, b), `${a} ${b}`).toBe(real.compare(a, b));
        expect(semver.rcompare(a, b), `${a} ${b}`).toBe(real.rcompare(a, b));
        expect(semver.eq(a, b), `${a} ${b}`).toBe(real.eq(a, b));
      }
      for (const range of ['*', '^1.0.0', '~0.1.0', '>=1 <2', '1.x || >=10', 'not a range'])
        expect(semver.satisfies(a, range), `${a} ${range}`).toBe(real.satisfies(a, range));
    }
  });
});
