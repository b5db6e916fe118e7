import type { AgentManifest } from '@charter/spec';
import { ServeError, ServeErrorCode } from './errors.js';

/** What one tenant may use. Every field is a positive limit. */
export interface Quotas {
  /**
   * Run requests admitted per minute, paced: a token bucket of `requestBurst(limit)` requests (a tenth of
   * the limit) refilled at limit / 60 a second, and never more than the limit in any sliding 60 s.
   */
  readonly requestsPerMinute: number;
  /** Runs queued or running at once (admission). */
  readonly concurrentRuns: number;
  /** Model tokens per UTC day, charged from each run's real usage. */
  readonly tokensPerDay: number;
  /** Model spend per UTC day in USD, charged from each run's real usage. */
  readonly costPerDayUsd: number;
}

export const QUOTA_KEYS = ['requestsPerMinute', 'concurrentRuns', 'tokensPerDay', 'costPerDayUsd'] as const;

/**
 * The burst of a `requestsPerMinute` limit: how many requests its token bucket holds (admitted at once
 * after a quiet spell), a tenth of the limit (six seconds of its rate), at least 1.
 */
export function requestBurst(requestsPerMinute: number): number {
  return Math.max(1, Math.ceil(requestsPerMinute / 10));
}

/**
 * Defaults from the manifest's per-run budgets: a day holds 1,000 runs that each spend their whole token
 * and cost budget; 600 run requests a minute; 20 runs in the system at once.
 */
export function defaultQuotas(manifest: Pick<AgentManifest, 'spec'>): Quotas {
  const budgets = manifest.spec.budgets;
  return {
    requestsPerMinute: 600,
    concurrentRuns: 20,
    tokensPerDay: budgets.maxTokens * 1000,
    costPerDayUsd: Math.round(budgets.maxCostUsd * 1000 * 1e6) / 1e6,
  };
}

/** Checks a partial quota (from `charter tenants set-quota` or the tenant's settings). */
export function checkQuotas(value: unknown, where: string): Partial<Quotas> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ServeError(ServeErrorCode.BadTenant, `${where}: quotas must be an object of ${QUOTA_KEYS.join(', ')}`);
  const out: Record<string, number> = {};
  for (const [key, limit] of Object.entries(value)) {
    if (!(QUOTA_KEYS as readonly string[]).includes(key))
      throw new ServeError(ServeErrorCode.BadTenant, `${where}: unknown quota "${key.slice(0, 40)}"; quotas: ${QUOTA_KEYS.join(', ')}`);
    if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0)
      throw new ServeError(ServeErrorCode.BadTenant, `${where}: quota ${key} must be a positive number, got ${String(limit).slice(0, 40)}`);
    if (key !== 'costPerDayUsd' && !Number.isInteger(limit))
      throw new ServeError(ServeErrorCode.BadTenant, `${where}: quota ${key} must be a whole number, got ${limit}`);
    out[key] = limit;
  }
  return out;
}
