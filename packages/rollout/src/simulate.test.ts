// The simulation figures, from the real router, controller and analysis, on fewer runs than
// `npm run simulate:figures -w @charter/rollout` (1,000 each; its output is in the README).
import { describe, expect, it } from 'vitest';
import { referenceManifest } from './__fixtures__/reference.js';
import { planFromManifest } from './plan.js';
import { formatTimeline, simulateRollout } from './simulate.js';

const plan = planFromManifest(referenceManifest());

describe('simulated rollouts of the reference plan', () => {
  it('healthy candidates complete every stage; none is rolled back (30 rollouts)', async () => {
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const result = await simulateRollout({ plan, stabilizationMs: 0, timeline: false, seed });
      outcomes.push(result.outcome);
      if (seed === 1)
        expect(result.transitions.map((t) => t.to.status)).toEqual(['shadow', 'canary', 'ramp', 'ramp', 'ramp', 'ramp', 'complete']);
    }
    expect(outcomes.filter((outcome) => outcome === 'rolled-back')).toEqual([]);
    expect(outcomes.filter((outcome) => outcome === 'complete')).toHaveLength(30);
  });

  it('a 97 % → 92 % success regression is rolled back at canary in ≥ 95 % of 100 simulations', async () => {
    const detections: number[] = [];
    let atCanary = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const result = await simulateRollout({
        plan,
        candidate: { successDropPts: 5 },
        skipShadow: true,
        stabilizationMs: 0,
        timeline: false,
        seed,
      });
      if (result.outcome === 'rolled-back' && result.rollback?.kind === 'canary') {
        atCanary++;
        detections.push(result.rollback.stageCandidateRequests);
        expect(result.rollback.reason).toMatch(/success/);
      }
    }
    expect(atCanary).toBeGreaterThanOrEqual(95);
    detections.sort((a, b) => a - b);
    // Never before the minimum sample per arm.
    expect(detections[0]).toBeGreaterThanOrEqual(plan.analysis.minSamples);
  });

  it('a candidate that leaks PII once is rolled back on that request: no candidate request follows it', async () => {
    for (const leakAt of [1, 17, 250]) {
      const result = await simulateRollout({ plan, candidate: { leakAt }, skipShadow: true, stabilizationMs: 0, seed: leakAt });
      expect(result.outcome).toBe('rolled-back');
      expect(result.candidateRequests).toBe(leakAt);
      expect(result.rollback?.reason).toBe('rolled back: critical: pii-leak ×1 on the candidate (zero tolerance)');
      expect(formatTimeline(result)).toMatch(/rollback\s+canary → rolled-back\s+0 %/);
    }
  });

  it('a latency regression of +50 % is rolled back; the timeline has a point per interval', async () => {
    const result = await simulateRollout({ plan, candidate: { latencyIncreasePct: 50 }, skipShadow: true, stabilizationMs: 0, seed: 3 });
    expect(result.outcome).toBe('rolled-back');
    expect(result.rollback?.reason).toMatch(/latency/);
    expect(result.timeline.length).toBeGreaterThan(1);
    expect(result.timeline.at(-1)?.status).toBe('rolled-back');
  });
});
