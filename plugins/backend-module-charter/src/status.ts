import type { AgentManifest } from '@charter/spec';
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
  /** `ready`, `held` (a blocker fails or lacks evidence), or `unknown` (no report published, or it is not this agent's). */
  readonly status: 'ready' | 'held' | 'unknown';
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
  /** The stage name the rollout is in, or `pending`, `complete`, `aborted`, `rolled-back`, or `not-started` without a published state. */
  readonly stage: string;
  /** The rollout status of the state file (`pending`, `shadow`, `canary`, `ramp`, `complete`, `paused`, `aborted`, `rolled-back`). */
  readonly status: string | undefined;
  /** The candidate's share of traffic, percent. */
  readonly weight: number | undefined;
}

interface ReportShape {
  format?: unknown;
  agent?: unknown;
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
 * (`charter check --format json`): `ready` or `held` with the score and the blockers, or `unknown`
 * with the reason (no report, not JSON, not a `charter.readiness` report, another agent's).
 */
export async function readReadiness(
  manifest: { readonly metadata: { readonly name: string } },
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
  if (report.agent !== manifest.metadata.name)
    return unknown(`${reportUrl} is the report of ${String(report.agent)}, not ${manifest.metadata.name}`);
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
  return {
    status: report.ready === true ? 'ready' : 'held',
    score: passed === undefined || total === undefined ? undefined : `${passed}/${total}`,
    reportUrl,
    blockers,
    ...(typeof report.evaluatedAt === 'string' ? { evaluatedAt: report.evaluatedAt } : {}),
    ...(typeof report.commit === 'string' ? { commit: report.commit } : {}),
  };
}

/** The rollout of the agent, from the rollout store's state file (`<rolloutDir>/<agent>.state.json`, format `charter.rollout`). */
export async function readRollout(
  manifest: Pick<AgentManifest, 'metadata' | 'spec'>,
  manifestUrl: string,
  read: ReadText,
  locations: StatusLocations = DEFAULT_STATUS_LOCATIONS,
): Promise<RolloutStatus> {
  const dir = locations.rolloutDir.endsWith('/') ? locations.rolloutDir : `${locations.rolloutDir}/`;
  const json = (await readJson(read, new URL(`${dir}${manifest.metadata.name}.state.json`, manifestUrl).href)) as
    | {
        format?: unknown;
        status?: unknown;
        stage?: unknown;
        weight?: unknown;
      }
    | null
    | undefined;
  if (json === undefined || json === null || typeof json !== 'object' || json.format !== 'charter.rollout')
    return { stage: 'not-started', status: undefined, weight: undefined };
  const status = typeof json.status === 'string' ? json.status : undefined;
  const weight = typeof json.weight === 'number' ? json.weight : undefined;
  const stageName = typeof json.stage === 'number' ? manifest.spec.rollout.stages[json.stage]?.name : undefined;
  const stage =
    status === undefined || ['pending', 'complete', 'aborted', 'rolled-back'].includes(status)
      ? (status ?? 'unknown')
      : (stageName ?? status);
  return { stage, status, weight };
}
