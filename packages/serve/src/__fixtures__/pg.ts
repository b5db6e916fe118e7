// The PostgreSQL these tests run against: see `testPostgres` (@charter/state/testing).
import { testPostgres } from '@charter/state/testing';

const pg = testPostgres('@charter/serve');
export const PG_SKIP = pg.skip;
export const PG_SKIP_MESSAGE = pg.skipMessage;
export const pgUrl = pg.url;
export const freshSchema = pg.freshSchema;
export const freshPgState = pg.freshState;
