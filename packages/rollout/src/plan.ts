import { createHash } from 'node:crypto';
import { durationToMs, loadAgent, type AgentManifest, type LoadAgentOptions } from '@charter/spec';
import { RolloutError, RolloutErrorCode } from './errors.js';

/** One stage of a plan: `spec.rollout.stages[i]` with its stabilisation period in milliseconds. */
export interface PlanStage {
  readonly name: string;
  readonly kind: 'shadow' | 'canary' | 'progressive';
  /** Share of traffic served by the candidate, 0-100 (0 for shadow). */
  readonly weight: number;
  readonly stabilizationMs: number;
}

/** The analysis thresholds of `spec.rollout.analysis`, with durations in milliseconds. */
export interface PlanAnalysis {
  readonly intervalMs: number;
  readonly minSamples: number;
  readonly maxErrorRateIncrease: number;
  readonly maxLatencyIncreasePct: number;
  readonly maxDisagreementRate: number;
  readonly autoRollback: boolean;
}

/** What a rollout follows: the agent's stages and thresholds, and the SLOs the error budget is measured against. */
export interface RolloutPlan {
  /** The agent's `metadata.name`. */
  readonly agent: string;
  readonly stages: readonly PlanStage[];
  readonly analysis: PlanAnalysis;
  readonly slos: { readonly successRate: number; readonly maxEscalationRate: number; readonly latencyP95Ms: number };
  /** SHA-256 (hex, 16 characters) of the plan: a stored rollout refuses to continue under another plan. */
  readonly hash: string;
}

/** The rollout plan of a validated manifest (`spec.rollout`, `spec.slos`). */
export function planFromManifest(manifest: AgentManifest): RolloutPlan {
  const { rollout, slos } = manifest.spec;
  const stages = rollout.stages.map((stage) => ({
    name: stage.name,
    kind: stage.kind,
    weight: stage.weight,
    stabilizationMs: durationToMs(stage.stabilization),
  }));
  const analysis = {
    intervalMs: durationToMs(rollout.analysis.interval),
    minSamples: rollout.analysis.minSamples,
    maxErrorRateIncrease: rollout.analysis.maxErrorRateIncrease,
    maxLatencyIncreasePct: rollout.analysis.maxLatencyIncreasePct,
    maxDisagreementRate: rollout.analysis.maxDisagreementRate,
    autoRollback: rollout.analysis.autoRollback,
  };
  const plannedSlos = { successRate: slos.successRate, maxEscalationRate: slos.maxEscalationRate, latencyP95Ms: slos.latencyP95Ms };
  const hash = createHash('sha256')
    .update(JSON.stringify({ stages, analysis, slos: plannedSlos }))
    .digest('hex')
    .slice(0, 16);
  return { agent: manifest.metadata.name, stages, analysis, slos: plannedSlos, hash };
}

/**
 * Loads the manifest at `path` (or the `agent.yaml` in a folder) with `loadAgent` and returns its
 * rollout plan. Throws `ROLLOUT_BAD_PLAN` listing every error as `file:line:column message` when the
 * agent does not load cleanly (a rollout never starts from a manifest with errors).
 */
export function loadRolloutPlan(
  path: string,
  options: LoadAgentOptions = {},
): { plan: RolloutPlan; manifest: AgentManifest; policyVersion: string; manifestFile: string } {
  const agent = loadAgent(path, options);
  const errors = agent.issues.filter((issue) => issue.severity === 'error');
  if (!agent.ok || agent.manifest === undefined || errors.length > 0) {
    const lines = errors.map((issue) => `${issue.file}:${issue.line}:${issue.column} ${issue.message} [${issue.code}]`);
    throw new RolloutError(
      RolloutErrorCode.BadPlan,
      `the agent at ${agent.manifestFile} does not load, so it has no rollout plan; fix these first:\n${lines.join('\n')}`,
    );
  }
  return {
    plan: planFromManifest(agent.manifest),
    manifest: agent.manifest,
    policyVersion: agent.policy?.spec.version ?? 'n/a',
    manifestFile: agent.manifestFile,
  };
}
