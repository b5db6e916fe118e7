import { openState, type StateStores } from '@charter/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    let reads = 0;
    const sql = state.sql!;
    const counting = new Proxy(sql, {
      get(target, key, receiver) {
        if (key === 'query')
          return (text: string, params?: readonly unknown[]) => {
            if (text.includes('FROM tenants WHERE')) reads++;
            return sql.query(text, params);
          };
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const tenants = new TenantStore(counting);
    const { apiKey } = await tenants.add('shared');
    const all = await Promise.all(Array.from({ length: 20 }, () => tenants.authenticate(apiKey)));
    expect(all.every((tenant) => tenant?.id === 'shared')).toBe(true);
    expect(reads).toBe(1);
    expect(await tenants.authenticate(`${apiKey.slice(0, -1)}x`)).toBeUndefined(); // a wrong key: the cached row, no read
    expect(reads).toBe(1);
    await tenants.revoke('shared');
    const after = reads;
    expect(await tenants.authenticate(apiKey)).toBeUndefined();
    expect(reads).toBe(after + 1);
  });
});
