import { afterEach, describe, expect, it, vi } from 'vitest';
import { StateError } from './errors.js';
import { testPostgres } from './testing.js';

describe('testPostgres', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('skips, and says so once, when no server is named and CI is not set', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const pg = testPostgres('@charter/x', {});
    expect(pg.skip).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toBe(`@charter/x: ${pg.skipMessage}`);
    expect(pg.skipMessage).toContain('CHARTER_TEST_DATABASE_URL is not set');
  });

  it('does not skip under CI without a server: asking for the URL fails with STATE_BAD_CONFIG naming the fix', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const pg = testPostgres('@charter/x', { CI: 'true', CHARTER_TEST_DATABASE_URL: '' });
    expect(pg.skip).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    expect(() => pg.url()).toThrow(StateError);
    expect(() => pg.url()).toThrow(/pg-test-server\.sh start/);
    try {
      pg.url();
    } catch (error) {
      expect(StateError.isInstance(error) && error.code).toBe('STATE_BAD_CONFIG');
    }
  });

  it('gives the named server and fresh schema names', () => {
    const pg = testPostgres('@charter/x', { CHARTER_TEST_DATABASE_URL: 'postgres://u@127.0.0.1:5/db' });
    expect(pg.skip).toBe(false);
    expect(pg.url()).toBe('postgres://u@127.0.0.1:5/db');
    const a = pg.freshSchema('t_run');
    expect(a).toMatch(/^t_run_[0-9a-f]{10}$/);
    expect(pg.freshSchema('t_run')).not.toBe(a);
  });
});
