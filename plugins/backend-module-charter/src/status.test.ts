import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { evaluateReadiness, formatReport } from '@charter/readiness';
import { createRolloutController, FileRolloutStore, planFromManifest } from '@charter/rollout';
import { requireAgent } from '@charter/spec';
import { describe, expect, it } from 'vitest';
import type { ReadText } from './agent-source.js';
import { readReadiness, readRollout } from './status.js';

const manifestUrl = 'http://localhost:1/agents/desk/agent.yaml';
const manifestFile = join(import.meta.dirname, '__fixtures__', 'repo', 'agents', 'desk', 'agent.yaml');
const { manifest } = requireAgent(manifestFile);
/** A ReadText over an in-memory map of URL → text (a missing URL reads as a 404). */
const reader =
  (files: Record<string, string>): ReadText =>
  (url) =>
    Promise.resolve(files[url]);

describe('readReadiness', () => {
  const reportUrl = 'http://localhost:1/agents/desk/.charter/readiness.json';
  const texts = { manifest: readFileSync(manifestFile, 'utf8'), policy: readFileSync(join(dirname(manifestFile), 'policy.yaml'), 'utf8') };

  it('reads held or ready and the score from the report charter check publishes, with the blockers', async () => {
    const report = await evaluateReadiness({ dir: manifestFile, commit: '0123456789abcdef0123456789abcdef01234567', lint: false });
    const status = await readReadiness(manifest, texts, manifestUrl, reader({ [reportUrl]: formatReport(report, 'json') }));
    expect(status).toMatchObject({ status: report.ready ? 'ready' : 'held', score: `${report.score.passed}/${report.score.total}` });
    const blockers = report.results.filter((r) => r.severity === 'blocker' && r.status !== 'pass' && r.status !== 'waived');
    expect(status.blockers.map((blocker) => blocker.ruleId)).toEqual(blockers.map((r) => r.ruleId));
    expect(blockers.length).toBeGreaterThan(0); // no evidence was produced for the fixture: held
  });

  it('is stale when the manifest or its policy changed since the report', async () => {
    const report = await evaluateReadiness({ dir: manifestFile, commit: '0123456789abcdef0123456789abcdef01234567', lint: false });
    const files = reader({ [reportUrl]: formatReport(report, 'json') });
    expect(await readReadiness(manifest, { ...texts, manifest: `${texts.manifest}# edited\n` }, manifestUrl, files)).toMatchObject({
      status: 'stale',
      reason: expect.stringContaining('run charter check again'),
    });
    expect(await readReadiness(manifest, { ...texts, policy: undefined }, manifestUrl, files)).toMatchObject({ status: 'stale' });
  });

  it('is unknown, with the reason, without a report, for text that is no report, and for another agent’s', async () => {
    expect(await readReadiness(manifest, texts, manifestUrl, reader({}))).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('no readiness report at'),
    });
    expect(await readReadiness(manifest, texts, manifestUrl, reader({ [reportUrl]: 'not json' }))).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('is not a charter.readiness report'),
    });
    const other = JSON.stringify({ format: 'charter.readiness', agent: { name: 'other' }, ready: true, score: { passed: 1, total: 1 } });
    expect(await readReadiness(manifest, texts, manifestUrl, reader({ [reportUrl]: other }))).toMatchObject({
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
