import type { RolloutPlan } from './plan.js';
import { BUCKETS, flagKeyOf, type Routing } from './router.js';
import { routingOf, type RolloutState } from './state.js';

/** A flagd flag definition document (`{ flags: { <key>: … } }`), as flagd and @openfeature/flagd-core read it. */
export interface FlagdDocument {
  readonly flags: Record<string, FlagdFlag>;
}

export interface FlagdFlag {
  readonly state: 'ENABLED' | 'DISABLED';
  readonly variants: Readonly<Record<string, string>>;
  readonly defaultVariant: string;
  readonly targeting?: { readonly fractional: readonly (readonly [string, number])[] };
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The flag definition of a routing for flagd: `defaultVariant` alone when everyone gets one variant,
 * otherwise `fractional` targeting with the candidate's buckets first and the control's after,
 * out of 10,000, so that flagd buckets each targeting key exactly as the router does (and a key
 * without a targeting key falls back to the control, as in the router).
 */
export function flagdFlagOf(routing: Routing, metadata: Readonly<Record<string, string | number | boolean>> = {}): FlagdFlag {
  const variants = { control: 'control', shadow: 'shadow', candidate: 'candidate' };
  switch (routing.mode) {
    case 'split':
      return {
        state: 'ENABLED',
        variants,
        defaultVariant: 'control',
        targeting: {
          fractional: [
            ['candidate', routing.candidateBuckets],
            ['control', BUCKETS - routing.candidateBuckets],
          ],
        },
        metadata,
      };
    case 'shadow':
      return { state: 'ENABLED', variants, defaultVariant: 'shadow', metadata };
    case 'candidate':
      return { state: 'ENABLED', variants, defaultVariant: 'candidate', metadata };
    case 'control':
      return { state: 'ENABLED', variants, defaultVariant: 'control', metadata };
  }
}

/** The current stage of a rollout as a flagd document holding the flag `agent.<name>.variant`. */
export function exportFlagd(plan: RolloutPlan, state: RolloutState): FlagdDocument {
  const stage = plan.stages[state.stage];
  const metadata: Record<string, string | number | boolean> = {
    rolloutId: state.id,
    status: state.status,
    weight: state.weight,
    version: state.version,
    ...(stage === undefined ? {} : { stage: stage.name }),
  };
  return { flags: { [flagKeyOf(plan.agent)]: flagdFlagOf(routingOf(state), metadata) } };
}
