import { RolloutError, RolloutErrorCode } from './errors.js';
import { prefixedMurmur3 } from './murmur3.js';

/** What the flag `agent.<name>.variant` answers: who serves the request. */
export type Variant = 'control' | 'shadow' | 'candidate';
export const VARIANTS: readonly Variant[] = ['control', 'shadow', 'candidate'];

/**
 * Buckets of the fractional split: a weight is a share of 10,000 (resolution 0.01 %). flagd-core
 * accepts any integer weights; a fixed total keeps every key's bucket fixed as the weight grows, which
 * is what makes expansion monotone.
 */
export const BUCKETS = 10_000;

/**
 * How traffic is routed right now:
 * - `control`: everyone gets the control (pending, aborted, rolled back, or no targeting key);
 * - `shadow`: everyone gets the control and the candidate runs beside it (`shadow` variant);
 * - `split`: the keys whose bucket is below `candidateBuckets` get the candidate, the others the control;
 * - `candidate`: everyone gets the candidate (complete).
 */
export interface Routing {
  readonly mode: 'control' | 'shadow' | 'split' | 'candidate';
  /** Buckets (of `BUCKETS`) that go to the candidate in `split` mode. */
  readonly candidateBuckets: number;
}

export const ALL_CONTROL: Routing = Object.freeze({ mode: 'control', candidateBuckets: 0 });

/** The flag key an agent's rollout answers: `agent.<name>.variant`. */
export function flagKeyOf(agent: string): string {
  return `agent.${agent}.variant`;
}

/** Buckets for a weight in percent (0-100), rounded to 0.01 %. */
export function bucketsOf(weightPct: number): number {
  if (!Number.isFinite(weightPct) || weightPct < 0 || weightPct > 100)
    throw new RolloutError(RolloutErrorCode.BadOptions, `a weight is a percentage from 0 to 100, got ${weightPct}`);
  return Math.round(weightPct * (BUCKETS / 100));
}

/** A split routing for a weight in percent: 0 → all control, 100 → all candidate. */
export function splitRouting(weightPct: number): Routing {
  const candidateBuckets = bucketsOf(weightPct);
  if (candidateBuckets === 0) return ALL_CONTROL;
  if (candidateBuckets === BUCKETS) return { mode: 'candidate', candidateBuckets };
  return { mode: 'split', candidateBuckets };
}

/**
 * The bucket (0 … BUCKETS − 1) of a targeting key, as flagd's `fractional` computes it:
 * `floor(murmur3(flagKey + targetingKey) · total / 2^32)`. The product stays below 2^46, so the
 * floating-point result is exact (flagd-core uses BigInt for the same value).
 */
export function bucketOf(flagKey: string, targetingKey: string): number {
  return Math.floor((hasherOf(flagKey)(targetingKey) * BUCKETS) / 4294967296);
}

// One prefix hasher per flag key (a process routes for a handful of agents).
const hashers = new Map<string, (key: string) => number>();
function hasherOf(flagKey: string): (key: string) => number {
  let hasher = hashers.get(flagKey);
  if (hasher === undefined) {
    if (hashers.size >= 256) hashers.clear();
    hasher = prefixedMurmur3(flagKey);
    hashers.set(flagKey, hasher);
  }
  return hasher;
}

/**
 * The variant of one request. Sticky (a function of the flag key and the targeting key only) and
 * monotone (a key in the candidate at weight w is in it at every weight above w). A missing or empty
 * targeting key gets the control, as flagd falls back to the default variant.
 */
export function route(routing: Routing, flagKey: string, targetingKey: string | undefined): Variant {
  switch (routing.mode) {
    case 'control':
      return 'control';
    case 'shadow':
      return 'shadow';
    case 'candidate':
      return 'candidate';
    case 'split':
      if (targetingKey === undefined || targetingKey === '') return 'control';
      return bucketOf(flagKey, targetingKey) < routing.candidateBuckets ? 'candidate' : 'control';
  }
}

/** A router bound to one agent's flag key. */
export interface Router {
  readonly flagKey: string;
  decide(routing: Routing, targetingKey: string | undefined): Variant;
}

export function createRouter(agent: string): Router {
  const flagKey = flagKeyOf(agent);
  return { flagKey, decide: (routing, targetingKey) => route(routing, flagKey, targetingKey) };
}
