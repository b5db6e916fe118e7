// `npm run bench -w @charter/serve`: the service's CPU for one refusal of a flooding tenant (429, repeated
// from memory) against its CPU for `GET /healthz` (the anchor: the least a request costs), both through
// fastify.inject in this process on PGlite in memory, 5 rounds of 2000 each, alternately; medians.
// Ends with ONE JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '@charter/state';
import { shopAgent } from '../src/__fixtures__/shop.js';
import { createService } from '../src/service.js';

const scratch = mkdtempSync(join(tmpdir(), 'charter-serve-refusal-'));
const state = await openState({ url: 'pglite:memory' });
const service = createService({ agent: shopAgent({ effects: join(scratch, 'effects.jsonl') }), state, workers: 1 });
// A bucket of one request: the first is admitted, every later one in the minute refused.
const key = (await service.tenants.add('flood', { quotas: { requestsPerMinute: 10 } })).apiKey;
const url = `/v1/agents/${service.agentName}/runs`;
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
let order = 0;
const refuse = () => service.app.inject({ method: 'POST', url, headers, payload: JSON.stringify({ input: `refund A-${++order} 40` }) });
const healthz = () => service.app.inject({ method: 'GET', url: '/healthz' });

for (let i = 0; i < 300; i++) {
  await refuse();
  await healthz();
}
const sample = await refuse();
if (sample.statusCode !== 429) throw new Error(`expected a 429, got ${sample.statusCode}: ${sample.body}`);

const cpuUs = async (request: () => Promise<unknown>, n: number): Promise<number> => {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await request();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
};
const rounds = { refusal: [] as number[], healthz: [] as number[] };
for (let round = 0; round < 5; round++) {
  rounds.refusal.push(await cpuUs(refuse, 2000));
  rounds.healthz.push(await cpuUs(healthz, 2000));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const refusalUs = Math.round(median(rounds.refusal) * 10) / 10;
const healthzUs = Math.round(median(rounds.healthz) * 10) / 10;
console.log('CPU µs per request (5 rounds of 2000)', {
  refusal: rounds.refusal.map((x) => Math.round(x)),
  healthz: rounds.healthz.map((x) => Math.round(x)),
});
await service.close(100);
await state.close();
rmSync(scratch, { recursive: true, force: true });
console.log(
  JSON.stringify({ refusalCpuUs: refusalUs, healthzCpuUs: healthzUs, refusalPerHealthz: Math.round((refusalUs / healthzUs) * 100) / 100 }),
);
