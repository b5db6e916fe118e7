import { assertState, describeState, planFromManifest, type RolloutState } from '@charter/rollout';
import { manifestDigest, type AgentManifest } from '@charter/spec';
import type { ReadText } from './agent-source.js';

/** Where an agent's pipeline publishes its live status, relative to the manifest's folder. */
export interface StatusLocations {
  /** The readiness report (`charter check --format json --out …`, format `charter.readiness`). Default `.charter/readiness.json`. */
  readonly readinessReport: string;
  /** The folder of the rollout store (`FileRolloutStore`): `<agent>.state.json` in it. Default `.charter/rollouts`. */
  readonly rolloutDir: string;
}

export const DEFAULT_STATUS_LOCATIONS: StatusLocations = { readinessReport: '.charter/readiness.json', rolloutDir: '.charter/rollouts' };

/** What the catalog shows of an agent's readiness. */
export interface ReadinessStatus {
  /**
   * `ready`, `held` (a blocker fails or lacks evidence), `stale` (the report judged another version of
   * the manifest or its policy) or `unknown` (no report published, or it is not this agent's).
   */
  readonly status: 'ready' | 'held' | 'stale' | 'unknown';
  /** `passed/total` rules; undefined when unknown. */
  readonly score: string | undefined;
  /** The report's URL (whether or not it was there). */
  readonly reportUrl: string;
  readonly evaluatedAt?: string;
  readonly commit?: string;
  /** Blockers that fail or lack evidence: rule id, title, message. */
  readonly blockers: readonly { readonly ruleId: string; readonly title: string; readonly status: string; readonly message: string }[];
  /** Why the status is unknown, when it is. */
  readonly reason?: string;
}

/** What the catalog shows of an agent's rollout. */
export interface RolloutStatus {
  /** The stage name the rollout is in, or `pending`, `complete`, `aborted`, `rolled-back`; `not-started` without a published state; `unknown` for an invalid or outdated one. */
  readonly stage: string;
  /** The rollout status of the state file (`pending`, `shadow`, `canary`, `ramp`, `complete`, `paused`, `aborted`, `rolled-back`). */
  readonly status: string | undefined;
  /** The candidate's share of traffic, percent. */
  readonly weight: number | undefined;
  /** `@charter/rollout`'s one-line description of the state, e.g. `canary (stage 2/6 "canary", 5 %)`. */
  readonly description?: string;
  /** Why the stage is unknown, when it is. */
  readonly reason?: string;
}

interface ReportShape {
  format?: unknown;
  agent?: { name?: unknown };
  manifestDigest?: unknown;
  ready?: unknown;
  score?: { passed?: unknown; total?: unknown };
  evaluatedAt?: unknown;
  commit?: unknown;
  results?: { ruleId?: unknown; title?: unknown; severity?: unknown; status?: unknown; message?: unknown }[];
}

async function readJson(read: ReadText, url: string): Promise<unknown> {
  const text = await read(url);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * The readiness of the agent whose manifest is at `manifestUrl`, from the report its pipeline published
 * (`charter check --format json`): `ready` or `held` with the score and the blockers; `stale` when the
 * report's `manifestDigest` is not the digest of the manifest and policy texts as they are now (the
 * gate's own rule: evidence is bound to them); `unknown` with the reason (no report, not JSON, not a
 * `charter.readiness` report, another agent's).
 */
export async function readReadiness(
  manifest: { readonly metadata: { readonly name: string } },
  texts: { readonly manifest: string; readonly policy: string | undefined },
  manifestUrl: string,
  read: ReadText,
  locations: StatusLocations = DEFAULT_STATUS_LOCATIONS,
): Promise<ReadinessStatus> {
  const reportUrl = new URL(locations.readinessReport, manifestUrl).href;
  const unknown = (reason: string): ReadinessStatus => ({ status: 'unknown', score: undefined, reportUrl, blockers: [], reason });
  const report = (await readJson(read, reportUrl)) as ReportShape | null | undefined;
  if (report === undefined) return unknown(`no readiness report at ${reportUrl}: publish charter check --format json there`);
  if (report === null || typeof report !== 'object' || report.format !== 'charter.readiness')
    return unknown(`${reportUrl} is not a charter.readiness report`);
  if (report.agent?.name !== manifest.metadata.name)
    return unknown(`${reportUrl} is the report of ${String(report.agent?.name)}, not ${manifest.metadata.name}`);
  const passed = typeof report.score?.passed === 'number' ? report.score.passed : undefined;
  const total = typeof report.score?.total === 'number' ? report.score.total : undefined;
  const blockers = (report.results ?? [])
    .filter((result) => result.severity === 'blocker' && result.status !== 'pass' && result.status !== 'waived')
    .map((result) => ({
      ruleId: String(result.ruleId),
      title: String(result.title),
      status: String(result.status),
      message: String(result.message),
    }));
  const current = manifestDigest(texts.manifest, texts.policy ?? '');
  const stale = report.manifestDigest !== current;
  return {
    status: stale ? 'stale' : report.ready === true ? 'ready' : 'held',
    ...(stale
      ? {
          reason: `${reportUrl} judged manifest ${String(report.manifestDigest)}, not the current ${current}: run charter check again and publish it`,
        }
      : {}),
    score: passed === undefined || total === undefined ? undefined : `${passed}/${total}`,
    reportUrl,
    blockers,
    ...(typeof report.evaluatedAt === 'string' ? { evaluatedAt: report.evaluatedAt } : {}),
    ...(typeof report.commit === 'string' ? { commit: report.commit } : {}),
  };
}

/**
 * The rollout of the agent, from the rollout store's state file (`<rolloutDir>/<agent>.state.json` of
 * `FileRolloutStore`), validated with `@charter/rollout`'s `assertState` and read against the plan of
 * the manifest as it is now: the stage's name, or `pending`, `complete`, `aborted`, `rolled-back`;
 * `not-started` without a state file; `unknown` (with the reason) for a file that is not a valid state
 * or belongs to another plan (the manifest's `spec.rollout` changed since the rollout started).
 */
export async function readRollout(
  manifest: AgentManifest,
  manifestUrl: string,
  read: ReadText,
  locations: StatusLocations = DEFAULT_STATUS_LOCATIONS,
): Promise<RolloutStatus> {
  const dir = locations.rolloutDir.endsWith('/') ? locations.rolloutDir : `${locations.rolloutDir}/`;
  const url = new URL(`${dir}${manifest.metadata.name}.state.json`, manifestUrl).href;
  const json = await readJson(read, url);
  if (json === undefined) return { stage: 'not-started', status: undefined, weight: undefined };
  let state: RolloutState;
  try {
    state = assertState(json, url);
  } catch (error) {
    return { stage: 'unknown', status: undefined, weight: undefined, reason: (error as Error).message };
  }
  const plan = planFromManifest(manifest);
  if (state.planHash !== plan.hash)
    return {
      stage: 'unknown',
      status: state.status,
      weight: state.weight,
      reason: `${url} is the state of another rollout plan: spec.rollout changed since this rollout started`,
    };
  const active = !['pending', 'complete', 'aborted', 'rolled-back'].includes(state.status);
  const stage = active ? (plan.stages[state.stage]?.name ?? state.status) : state.status;
  return { stage, status: state.status, weight: state.weight, description: describeState(plan, state) };
}
