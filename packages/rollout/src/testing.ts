// `@charter/rollout/testing`: the contract every RolloutStore must keep, as a plain async check that
// throws on the first violation (usable from any test runner). A new store (e.g. PostgreSQL) runs it
// against fresh instances: `await checkRolloutStore(() => new MyStore(...))`.
import { RolloutError, RolloutErrorCode } from './errors.js';
import type { RolloutPlan } from './plan.js';
import { initialState, transition, type RolloutState } from './state.js';
import type { RolloutStore, TransitionDraft } from './store.js';

const PLAN: RolloutPlan = {
  agent: 'contract-agent',
  stages: [
    { name: 'canary', kind: 'canary', weight: 5, stabilizationMs: 0 },
    { name: 'full', kind: 'progressive', weight: 100, stabilizationMs: 0 },
  ],
  analysis: {
    intervalMs: 1000,
    minSamples: 1,
    maxErrorRateIncrease: 0.02,
    maxLatencyIncreasePct: 20,
    maxDisagreementRate: 0.1,
    autoRollback: true,
  },
  slos: { successRate: 0.97, maxEscalationRate: 0.2, latencyP95Ms: 1000 },
  hash: 'contract',
};

function fail(message: string): never {
  throw new RolloutError(RolloutErrorCode.Store, `RolloutStore contract: ${message}`);
}

function draftOf(from: RolloutState, to: RolloutState): TransitionDraft {
  return {
    seq: to.seq,
    id: to.id,
    at: to.updatedAt,
    event: 'start',
    from: { status: from.status, stage: from.stage, weight: from.weight },
    to: { status: to.status, stage: to.stage, weight: to.weight },
    actor: { type: 'system', id: 'contract' },
    reason: 'contract check',
    guards: [],
    statistics: { ok: true },
  };
}

/**
 * Checks a store against the `RolloutStore` contract: unknown ids load as undefined; a write from
 * version 0 creates version 1; a stale expected version writes nothing and returns the current state;
 * a transition is logged with the write, numbered as the state's `seq`; of concurrent writes from the
 * same version exactly one wins; values read are not shared with the store. `makeStore` must return
 * an empty store (or one without the ids used here: `contract-<random>`).
 */
export async function checkRolloutStore(makeStore: () => RolloutStore | Promise<RolloutStore>): Promise<void> {
  const store = await makeStore();
  const id = `contract-${Math.random().toString(36).slice(2, 10)}`;
  if ((await store.load(id)) !== undefined) fail('an id never written must load as undefined');
  if ((await store.transitions(id)).length !== 0) fail('an id never written must have no transitions');
  const pending = initialState(PLAN, id, 1);
  const started = transition(PLAN, pending, { type: 'start' }, 2, 'contract check');
  if (!started.ok) fail(started.reason);
  const first = await store.compareAndSwap(id, 0, started.next, draftOf(pending, started.next));
  if (!first.ok) fail('the first write (expected version 0) must succeed');
  if (first.state.version !== 1) fail(`the first write must produce version 1, got ${first.state.version}`);
  if (first.transition?.version !== 1 || first.transition.seq !== 1 || first.transition.state.status !== 'canary')
    fail('the transition record must carry version 1, seq 1 and the state after the transition');
  const stale = await store.compareAndSwap(id, 0, { ...started.next, reason: 'stale' });
  if (stale.ok) fail('a write with a stale expected version must not succeed');
  if (stale.current?.version !== 1) fail('a lost compare-and-swap must return the current state');
  const loaded = await store.load(id);
  if (loaded?.version !== 1 || loaded.status !== 'canary' || loaded.reason !== 'contract check') fail('load must return the last write');
  (loaded as { reason: string | undefined }).reason = 'mutated by the caller';
  if ((await store.load(id))?.reason !== 'contract check') fail('a value returned by load must not be the stored value itself');
  const racers = await Promise.all(
    [1, 2, 3, 4, 5].map((n) => store.compareAndSwap(id, 1, { ...loaded, reason: `racer ${n}`, updatedAt: 3 + n })),
  );
  if (racers.filter((result) => result.ok).length !== 1) fail('of concurrent writes from the same version exactly one must win');
  const paused = transition(PLAN, (await store.load(id)) ?? fail('state vanished'), { type: 'pause' }, 10, 'contract pause');
  if (!paused.ok) fail(paused.reason);
  const second = await store.compareAndSwap(id, 2, paused.next, { ...draftOf(started.next, paused.next), event: 'pause' });
  if (!second.ok || second.state.version !== 3) fail('a transition from version 2 must produce version 3');
  const log = await store.transitions(id);
  if (log.map((record) => `${record.seq}:${record.event}:${record.version}`).join(',') !== '1:start:1,2:pause:3')
    fail(
      `the transition log must hold exactly the two transitions in order, got ${log.map((r) => `${r.seq}:${r.event}:${r.version}`).join(',')}`,
    );
  await store.close?.();
}
