// The PostgreSQL the tests run against: CHARTER_TEST_DATABASE_URL (scripts/pg-test-server.sh starts one).
// Without it the PostgreSQL tests are skipped with this message, except under CI, where they fail.
import { randomBytes } from 'node:crypto';
import { openState, type StateStores } from '@charter/state';

export const PG_URL = process.env.CHARTER_TEST_DATABASE_URL;
const inCi = Boolean(process.env.CI);
export const PG_SKIP = (PG_URL === undefined || PG_URL === '') && !inCi;
export const PG_SKIP_MESSAGE =
  'CHARTER_TEST_DATABASE_URL is not set: PostgreSQL tests skipped (start a server: eval "$(bash scripts/pg-test-server.sh start)")';
if (PG_SKIP) console.warn(`@charter/serve: ${PG_SKIP_MESSAGE}`);

export function pgUrl(): string {
  if (PG_URL === undefined || PG_URL === '')
    throw new Error('CHARTER_TEST_DATABASE_URL is not set but CI is: .ci/run must start PostgreSQL (scripts/pg-test-server.sh start)');
  return PG_URL;
}

export function freshSchema(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A state on a fresh schema of the test PostgreSQL, and how to drop that schema afterwards. */
export async function freshPgState(
  prefix: string,
  options: { readonly leaseMs?: number } = {},
): Promise<{ state: StateStores; drop: () => Promise<void> }> {
  const schema = freshSchema(prefix);
  return {
    state: await openState({ url: pgUrl(), schema, ...options }),
    drop: async () => {
      const admin = await openState({ url: pgUrl(), schema });
      await admin.sql!.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    },
  };
}
