import { openState, type StateStores } from '@charter/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingQueries } from './__fixtures__/sql.js';
import { TenantStore } from './tenants.js';

describe('tenant authentication', () => {
  let state: StateStores;
  beforeAll(async () => {
    state = await openState({ url: 'pglite:memory' });
  });
  afterAll(async () => {
    await state.close();
  });

  it("one tenant's concurrent authentications share one read; a revocation is read afresh", async () => {
    const db = countingQueries(state.sql!, 'FROM tenants WHERE');
    const tenants = new TenantStore(db.sql);
    const { apiKey } = await tenants.add('shared');
    const all = await Promise.all(Array.from({ length: 20 }, () => tenants.authenticate(apiKey)));
    expect(all.every((tenant) => tenant?.id === 'shared')).toBe(true);
    expect(db.queries).toBe(1);
    expect(await tenants.authenticate(`${apiKey.slice(0, -1)}x`)).toBeUndefined(); // a wrong key: the cached row, no read
    expect(db.queries).toBe(1);
    await tenants.revoke('shared');
    const after = db.queries;
    expect(await tenants.authenticate(apiKey)).toBeUndefined();
    expect(db.queries).toBe(after + 1);
  });
});
