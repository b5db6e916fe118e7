import type { Routing } from './router.js';
import { ALL_CONTROL } from './router.js';
import { routingOf } from './state.js';
import type { RolloutStore } from './store.js';

/** Where a flag evaluation reads the current routing from. */
export interface RoutingSource {
  routing(): Routing | Promise<Routing>;
}

/** A store that can say cheaply whether a rollout changed (the file store: file identities and sizes). */
interface Stamped {
  stamp(id: string): string;
}

function isStamped(store: RolloutStore): store is RolloutStore & Stamped {
  return typeof (store as Partial<Stamped>).stamp === 'function';
}

/**
 * The routing of rollout `id` as the store holds it, read at every evaluation, so that an abort by
 * any process is seen at the next flag evaluation. With `FileRolloutStore` the state is re-read only
 * when its files changed (two `stat` calls otherwise).
 */
export function storeRoutingSource(store: RolloutStore, id: string): RoutingSource {
  let lastStamp: string | undefined;
  let last: Routing = ALL_CONTROL;
  return {
    async routing() {
      if (isStamped(store)) {
        const stamp = store.stamp(id);
        if (stamp === lastStamp) return last;
        const state = await store.load(id);
        last = state === undefined ? ALL_CONTROL : routingOf(state);
        lastStamp = stamp;
        return last;
      }
      const state = await store.load(id);
      return state === undefined ? ALL_CONTROL : routingOf(state);
    },
  };
}
