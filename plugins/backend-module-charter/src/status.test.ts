import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRolloutController, FileRolloutStore, planFromManifest } from '@charter/rollout';
import { requireAgent } from '@charter/spec';
import { describe, expect, it } from 'vitest';
import type { ReadText } from './agent-source.js';
import { readReadiness, readRollout } from './status.js';

const manifestUrl = 'http://localhost:1/agents/desk/agent.yaml';
const { manifest } = requireAgent(join(import.meta.dirname, '__fixtures__', 'repo', 'agents', 'desk', 'agent.yaml'));
/** A ReadText over an in-memory map of URL → text (a missing URL reads as a 404). */
const reader =
  (files: Record<string, string>): ReadText =>
  (url) =>
    Promise.resolve(files[url]);

describe('readReadiness', () => {
  const reportUrl = 'http://localhost:1/agents/desk/.charter/readiness.json';
  const report = { format: 'charter.readiness', agent: 'desk', ready: true, score: { passed: 41, total: 41 }, results: [] };

  it('reads ready or held and the score from the published report', async () => {
    expect(await readReadiness(manifest, manifestUrl, reader({ [reportUrl]: JSON.stringify(report) }))).toMatchObject({
      status: 'ready',
      score: '41/41',
      blockers: [],
    });
  });

  it('is unknown, with the reason, without a report, for text that is no report, and for another agent’s', async () => {
    expect(await readReadiness(manifest, manifestUrl, reader({}))).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('no readiness report at'),
    });
    expect(await readReadiness(manifest, manifestUrl, reader({ [reportUrl]: 'not json' }))).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('is not a charter.readiness report'),
    });
    expect(
      await readReadiness(manifest, manifestUrl, reader({ [reportUrl]: JSON.stringify({ ...report, agent: 'other' }) })),
    ).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('is the report of other, not desk'),
    });
  });
});

describe('readRollout', () => {
  const stateUrl = 'http://localhost:1/agents/desk/.charter/rollouts/desk.state.json';

  /** The state file a FileRolloutStore holds after the controller started a rollout of `plan`. */
  async function startedState(plan = planFromManifest(manifest)): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'charter-rollout-state-'));
    const started = await createRolloutController({ plan, store: new FileRolloutStore(dir) }).start({
      candidate: 'v2',
      skipGate: 'unit test',
    });
    expect(started.ok).toBe(true);
    const file = readdirSync(dir).find((name) => name.endsWith('.state.json'));
    return readFileSync(join(dir, file ?? ''), 'utf8');
  }

  it('names the stage the rollout is in, from the store the controller wrote', async () => {
    const status = await readRollout(manifest, manifestUrl, reader({ [stateUrl]: await startedState() }));
    expect(status).toMatchObject({ stage: 'shadow', status: 'shadow', weight: 0 });
    expect(status.description).toContain('"shadow"');
  });

  it('is not-started without a state, unknown for an invalid one and for the state of another plan', async () => {
    expect(await readRollout(manifest, manifestUrl, reader({}))).toMatchObject({ stage: 'not-started' });
    expect(await readRollout(manifest, manifestUrl, reader({ [stateUrl]: '{"format":"charter.rollout"}' }))).toMatchObject({
      stage: 'unknown',
      reason: expect.stringContaining(stateUrl),
    });
    const otherPlan = { ...planFromManifest(manifest), hash: 'sha256:another' };
    expect(await readRollout(manifest, manifestUrl, reader({ [stateUrl]: await startedState(otherPlan) }))).toMatchObject({
      stage: 'unknown',
      reason: expect.stringContaining('spec.rollout changed since this rollout started'),
    });
  });
});
