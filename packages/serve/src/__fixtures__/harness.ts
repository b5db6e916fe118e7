// Starts the service on 127.0.0.1 over a state URL (pglite:memory or a PostgreSQL schema) with tenants.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState, sqlStores, type StateStores } from '@charter/state';
import { createService, type ServeOptions, type Service } from '../service.js';
import { shopAgent, type ShopOptions } from './shop.js';

export interface Harness {
  readonly base: string;
  readonly service: Service;
  readonly state: StateStores;
  readonly effects: string;
  readonly keys: Record<string, string>;
  request(
    path: string,
    init?: { method?: string; key?: string | undefined; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    readonly url?: string;
    readonly schema?: string;
    readonly tenants?: readonly string[];
    readonly state?: StateStores;
    readonly shop?: Partial<ShopOptions> & { readonly pricing?: boolean };
    readonly serve?: Partial<Omit<ServeOptions, 'agent' | 'state'>>;
    readonly effects?: string;
  } = {},
): Promise<Harness> {
  const effects = options.effects ?? join(mkdtempSync(join(tmpdir(), 'charter-serve-')), 'effects.jsonl');
  const state =
    options.state ??
    (await openState({
      url: options.url ?? 'pglite:memory',
      leaseMs: 2000,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    }));
  // Each service gets its own store objects over the database (own lease holders, own ledger), as a
  // separate process would: closing a service closes its agent's ledger, never another service's.
  const own = options.state?.sql === undefined ? state : sqlStores(options.state.sql, { leaseMs: 2000 });
  const service = createService({ agent: shopAgent({ effects, ...options.shop }), state: own, leaseMs: 1000, ...options.serve });
  const keys: Record<string, string> = {};
  for (const id of options.tenants ?? ['acme', 'globex']) {
    const existing = await service.tenants.get(id);
    if (existing === undefined) keys[id] = (await service.tenants.add(id)).apiKey;
  }
  const base = await service.listen();
  return {
    base,
    service,
    state,
    effects,
    keys,
    request(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`;
      if (init.body !== undefined) headers['content-type'] ??= 'application/json';
      return fetch(`${base}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers,
        ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
      });
    },
    async close() {
      await service.close(2000);
      if (options.state === undefined) await state.close();
    },
  };
}
