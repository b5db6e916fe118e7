import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFeature } from '@openfeature/server-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceManifest } from './__fixtures__/reference.js';
import { createRolloutController } from './controller.js';
import { RolloutProvider } from './openfeature.js';
import { planFromManifest } from './plan.js';
import { flagKeyOf, route, splitRouting } from './router.js';
import { storeRoutingSource } from './source.js';
import { FileRolloutStore } from './store.js';

const plan = { ...planFromManifest(referenceManifest()) };
const FLAG = flagKeyOf(plan.agent);

afterAll(async () => {
  await OpenFeature.close();
});

describe('OpenFeature provider through @openfeature/server-sdk', () => {
  it('answers agent.<name>.variant from the stored rollout; after an abort by another process the next evaluation is control', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-rollout-of-'));
    const store = new FileRolloutStore(dir);
    const operator = createRolloutController({ plan, store, gate: () => Promise.resolve({ ready: true }) });
    await OpenFeature.setProviderAndWait(
      new RolloutProvider({ agent: plan.agent, source: storeRoutingSource(new FileRolloutStore(dir), plan.agent) }),
    );
    const client = OpenFeature.getClient();

    // Pending: everyone gets the control.
    expect(await client.getStringValue(FLAG, 'unset', { targetingKey: 'user-1' })).toBe('control');
    await operator.start({ candidate: 'v2' });
    expect(await client.getStringDetails(FLAG, 'unset', { targetingKey: 'user-1' })).toMatchObject({
      value: 'shadow',
      variant: 'shadow',
      reason: 'STATIC',
    });

    // Held at 0 % (the playbooks' rollout.set-weight 0): the shadow keeps running, nobody gets the candidate.
    await operator.setWeight(0);
    expect(await client.getStringValue(FLAG, 'unset', { targetingKey: 'user-1' })).toBe('shadow');

    // A canary at 5 % (a plan without shadow, answered by its controller in this process): the
    // SDK's answers are the router's, key by key.
    const canary = createRolloutController({
      plan: { ...plan, stages: plan.stages.slice(1), hash: 'of-canary' },
      store: new FileRolloutStore(join(dir, 'canary')),
      gate: () => Promise.resolve({ ready: true }),
    });
    await canary.start({ candidate: 'v2' });
    await OpenFeature.setProviderAndWait(
      new RolloutProvider([
        { agent: plan.agent, source: canary },
        { agent: 'other-agent', source: { routing: () => splitRouting(100) } },
      ]),
    );
    let candidates = 0;
    for (let index = 0; index < 5_000; index++) {
      const details = await client.getStringDetails(FLAG, 'unset', { targetingKey: `user-${index}` });
      expect(details.value).toBe(route(splitRouting(5), FLAG, `user-${index}`));
      if (details.value === 'candidate') candidates++;
    }
    expect(candidates).toBeGreaterThan(150);
    expect(await client.getStringValue(flagKeyOf('other-agent'), 'unset', { targetingKey: 'x' })).toBe('candidate');
    expect(await client.getStringDetails(FLAG, 'unset', {})).toMatchObject({ value: 'control', reason: 'DEFAULT' });

    // The kill switch, through the store another process reads: the very next evaluation is control.
    const sourceFromStore = storeRoutingSource(new FileRolloutStore(join(dir, 'canary')), plan.agent);
    await OpenFeature.setProviderAndWait(new RolloutProvider({ agent: plan.agent, source: sourceFromStore }));
    const inCandidate =
      Array.from({ length: 200 }, (_, index) => `user-${index}`).find((key) => route(splitRouting(5), FLAG, key) === 'candidate') ?? '';
    expect(await client.getStringValue(FLAG, 'unset', { targetingKey: inCandidate })).toBe('candidate');
    const killer = createRolloutController({
      plan: { ...plan, stages: plan.stages.slice(1), hash: 'of-canary' },
      store: new FileRolloutStore(join(dir, 'canary')),
    });
    await killer.abort({ reason: 'charter rollout abort' });
    expect(await client.getStringValue(FLAG, 'unset', { targetingKey: inCandidate })).toBe('control');
  });

  it('unknown flags are FLAG_NOT_FOUND and other types TYPE_MISMATCH (the SDK returns the default)', async () => {
    await OpenFeature.setProviderAndWait(new RolloutProvider({ agent: plan.agent, source: { routing: () => splitRouting(50) } }));
    const client = OpenFeature.getClient();
    expect(await client.getStringDetails('agent.nobody.variant', 'dflt', { targetingKey: 'u' })).toMatchObject({
      value: 'dflt',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await client.getBooleanDetails(FLAG, false, { targetingKey: 'u' })).toMatchObject({ value: false, errorCode: 'TYPE_MISMATCH' });
  });
});
