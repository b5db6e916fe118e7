import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './__fixtures__/harness.js';
import { readEffects } from './__fixtures__/shop.js';

describe('charter serve over PGlite (the embedded default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('a sync run answers 200 with the finished run; GET shows it', async () => {
    const res = await h.request('/v1/agents/serve-shop/runs', { key: h.keys.acme, body: { input: 'hello there' } });
    expect(res.status).toBe(200);
    const run = (await res.json()) as { id: string; status: string; output: string; usage: { tokens: number } };
    expect(run).toMatchObject({ status: 'completed', output: 'Hello! You said 11 characters.' });
    expect(run.usage.tokens).toBeGreaterThan(0);
    expect(res.headers.get('location')).toBe(`/v1/runs/${run.id}`);
    const got = await h.request(`/v1/runs/${run.id}`, { key: h.keys.acme });
    expect(await got.json()).toMatchObject({ id: run.id, status: 'completed' });
  });
});
