// Rollout in the request path: each request's variant comes from @charter/rollout's router over the
// rollout's stored state, and every served run's outcome feeds the rollout's analysis.
import { offlineModel } from '@charter/agent/models';
import { type Observation } from '@charter/rollout';
import { createRolloutController, MemoryRolloutStore, planFromManifest } from '@charter/rollout';
import { openState } from '@charter/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './__fixtures__/harness.js';
import { manifest, shopAgent } from './__fixtures__/shop.js';

describe('a rollout in the request path (PGlite)', () => {
  let h: Harness;
  const store = new MemoryRolloutStore();
  const plan = planFromManifest(manifest());
  const controller = createRolloutController({ plan, store });
  const seen: Observation[] = [];

  beforeAll(async () => {
    const candidate = {
      ...shopAgent({ effects: '/dev/null' }),
      model: offlineModel('offline', 'candidate', () => [{ type: 'text', text: 'Candidate here.' }]),
    };
    h = await startHarness({
      state: await openState({ url: 'pglite:memory' }),
      serve: {
        rollout: {
          store,
          candidate,
          observe: (observation) => {
            seen.push(observation);
            controller.observe(observation);
          },
        },
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await h.state.close();
  });

  it('no rollout started: every request is served by the control', async () => {
    const res = await h.request('/v1/agents/serve-shop/runs', { key: h.keys.acme, body: { input: 'hi', user: 'u-1' } });
    expect(await res.json()).toMatchObject({ status: 'completed', variant: 'control', output: 'Hello! You said 2 characters.' });
    expect(seen.map((o) => o.arm)).toEqual(['control']);
  });

  it('once the rollout routes to the candidate, requests get the candidate and its outcomes reach the analysis', async () => {
    await controller.start({ candidate: 'v2', control: 'v1', skipGate: 'test: no readiness gate here' });
    const routing = controller.routing();
    expect(routing.mode).not.toBe('control');
    const variants = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const body = (await (
        await h.request('/v1/agents/serve-shop/runs', { key: h.keys.globex, body: { input: 'hi', user: `user-${i}` } })
      ).json()) as {
        variant: string;
        output: string;
      };
      variants.add(body.variant);
      if (body.variant === 'candidate') expect(body.output).toBe('Candidate here.');
      else expect(body.output).toBe('Hello! You said 2 characters.');
    }
    // The fixture plan's first stage: every request to the candidate (progressive, 100 %), or a shadow.
    expect([...variants].some((v) => v === 'candidate' || v === 'shadow')).toBe(true);
    await controller.flush();
    const state = await store.load(plan.agent);
    expect((state?.stats.candidate.requests ?? 0) + (state?.stats.control.requests ?? 0)).toBeGreaterThanOrEqual(12);
    expect(seen.some((o) => o.arm === 'candidate')).toBe(true);
  });
});
