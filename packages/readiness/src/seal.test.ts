import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sealKey, sealOf, userCacheFolder } from './seal.js';

const work = mkdtempSync(join(tmpdir(), 'charter-seal-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the cache seal', () => {
  it('makes its key once (32 bytes, readable by the user alone) and keeps it', () => {
    const file = join(work, 'made', 'seal.key');
    const key = sealKey(file);
    expect(key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).equals(key)).toBe(true);
    expect(sealKey(file).equals(key)).toBe(true);
    expect(sealKey(join(work, 'other', 'seal.key')).equals(key)).toBe(false);
  });

  it('seals bytes so that another key or another byte gives another seal', () => {
    const a = sealKey(join(work, 'a.key'));
    const b = sealKey(join(work, 'b.key'));
    expect(sealOf(a, 'body')).toMatch(/^[0-9a-f]{64}$/);
    expect(sealOf(a, 'body')).toBe(sealOf(a, 'body'));
    expect(sealOf(a, 'body')).not.toBe(sealOf(b, 'body'));
    expect(sealOf(a, 'body')).not.toBe(sealOf(a, 'bodY'));
  });

  it('refuses a key that is too short, naming the fix', () => {
    const file = join(work, 'short.key');
    writeFileSync(file, 'short');
    expect(() => sealKey(file)).toThrow(/shorter than 32 bytes: delete it/);
  });

  it("lives in the user's cache folder: XDG_CACHE_HOME when absolute, else ~/.cache", () => {
    expect(userCacheFolder({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/charter');
    expect(userCacheFolder({ XDG_CACHE_HOME: 'relative' })).toMatch(/\/\.cache\/charter$/);
    expect(userCacheFolder({})).toMatch(/\/\.cache\/charter$/);
  });
});
