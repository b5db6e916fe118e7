// `@charter/state/testing`: the PostgreSQL that tests of code built on Charter's state run against.
// The server is named by CHARTER_TEST_DATABASE_URL (in this repository scripts/pg-test-server.sh starts
// one in a temporary folder). Without it the PostgreSQL tests are skipped with a message that says so,
// except under CI (`CI` set), where a skip would hide a missing server: there they fail, naming the fix.
// Each test takes a fresh schema, so test files running in parallel never share tables.
import { randomBytes } from 'node:crypto';
import { StateError, StateErrorCode } from './errors.js';
import { openState, type StateStores } from './open.js';
import { connectPostgres } from './sql.js';

/** The environment variable naming the tests' PostgreSQL. */
export const TEST_DATABASE_URL_ENV = 'CHARTER_TEST_DATABASE_URL';

/** The tests' PostgreSQL as one package's tests see it. */
export interface TestPostgres {
  /** True when no server is named and CI is not set: the PostgreSQL tests skip (`describe.skipIf(pg.skip)`). */
  readonly skip: boolean;
  /** Why they skip, and how to start a server. */
  readonly skipMessage: string;
  /** The server's URL, or a `STATE_BAD_CONFIG` error naming the fix (under CI, where nothing skips). */
  readonly url: () => string;
  /** A fresh schema name: `<prefix>_<10 hex digits>`. */
  readonly freshSchema: (prefix: string) => string;
  /** A state on a fresh schema of the server, and how to drop that schema afterwards. */
  readonly freshState: (
    prefix: string,
    options?: { readonly leaseMs?: number },
  ) => Promise<{ state: StateStores; drop: () => Promise<void> }>;
}

/**
 * The tests' PostgreSQL for the tests of `who` (a package name, shown in the skip warning, printed once
 * when the tests skip). `env` defaults to `process.env`.
 */
export function testPostgres(who: string, env: Readonly<Record<string, string | undefined>> = process.env): TestPostgres {
  const given = env[TEST_DATABASE_URL_ENV];
  const named = given !== undefined && given !== '';
  const skip = !named && !env.CI;
  const skipMessage = `${TEST_DATABASE_URL_ENV} is not set: PostgreSQL tests skipped (start a server: eval "$(bash scripts/pg-test-server.sh start)")`;
  if (skip) console.warn(`${who}: ${skipMessage}`);
  const url = (): string => {
    if (!named)
      throw new StateError(
        StateErrorCode.BadConfig,
        `${TEST_DATABASE_URL_ENV} is not set but CI is: the CI script must start PostgreSQL (scripts/pg-test-server.sh start) and export its URL`,
      );
    return given;
  };
  const freshSchema = (prefix: string): string => `${prefix}_${randomBytes(5).toString('hex')}`;
  return {
    skip,
    skipMessage,
    url,
    freshSchema,
    freshState: async (prefix, options = {}) => {
      const schema = freshSchema(prefix);
      return {
        state: await openState({ url: url(), schema, ...options }),
        drop: async () => {
          const admin = await connectPostgres({ url: url() });
          try {
            await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          } finally {
            await admin.close();
          }
        },
      };
    },
  };
}
