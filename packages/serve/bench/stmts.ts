// throwaway: sequential sync runs, to count SQL statements per run from the server log
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '@charter/state';
import { shopAgent } from '../src/__fixtures__/shop.js';
import { createService } from '../src/service.js';
const url = process.env.CHARTER_TEST_DATABASE_URL!;
const schema = `st_${Date.now()}`;
const state = await openState({ url, schema, maxConnections: 20, leaseMs: 2000 });
const effects = join(mkdtempSync(join(tmpdir(), 'st-')), 'e.jsonl');
const service = createService({ agent: shopAgent({ effects }), state, workers: Number(process.env.W ?? 1), leaseMs: 1000, idleMs: 1000, quotas: { requestsPerMinute: 1e6, concurrentRuns: 1e5 } });
const base = await service.listen({ port: 0 });
const { apiKey } = await service.tenants.add('a', {});
const N = Number(process.env.N ?? 20);
console.log('MARK-START');
await fetch('http://127.0.0.1:1/').catch(() => {});
const t0 = performance.now();
const par = Number(process.env.P ?? 1);
let order = 0;
await Promise.all(Array.from({ length: par }, async () => {
  while (order < N) {
    const res = await fetch(`${base}/v1/agents/serve-shop/runs`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ input: `refund A-${++order} 40` }) });
    if (res.status >= 300) console.log(res.status, await res.text());
    else await res.text();
  }
}));
const ms = performance.now() - t0;
console.log(JSON.stringify({ runs: N, ms, perRunMs: ms / N, runsPerS: (N * 1000) / ms }));
await service.close?.();
process.exit(0);
