// The PostgreSQL these tests run against: see `testPostgres` (@charter/state/testing).
import { testPostgres } from '../testing.js';

const pg = testPostgres('@charter/state');
export const PG_SKIP = pg.skip;
export const PG_SKIP_MESSAGE = pg.skipMessage;
export const pgUrl = pg.url;
export const freshSchema = pg.freshSchema;
