import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { SemverRange, SemverVersion } from './index.js';
import { isSemverRange, isSemverVersion } from './semver-lazy.js';

const versions = ['1.0.0', '0.1.2', '1.2.3-beta.1', '1.2.3+build.5', 'v1.2.3', '1.2', '01.2.3', 'x', ''];
const ranges = ['^1.0.0', '~2.3', '>=2 <3', '1.x || 2.x', '*', 'latest', '>>1', 'not a range'];

describe('semver checks loaded on first use', () => {
  it('agree with the semver package', () => {
    for (const v of versions) expect(isSemverVersion(v), v).toBe(semver.valid(v) !== null);
    for (const r of ranges) expect(isSemverRange(r), r).toBe(semver.validRange(r) !== null);
  });

  it('back the SemverVersion and SemverRange schemas', () => {
    expect(SemverVersion.safeParse('1.4.2').success).toBe(true);
    const bad = SemverVersion.safeParse('1.4');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('must be a semver version such as "1.0.0"');
    expect(SemverRange.safeParse('>=2 <3').success).toBe(true);
    expect(SemverRange.safeParse('not a range').error?.issues[0]?.message).toBe('must be a semver range such as "^1.0.0"');
  });
});
