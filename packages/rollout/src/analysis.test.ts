import { describe, expect, it } from 'vitest';
import { analyse, analysisConfig, emptyStats, errorBudgetOf, mergeStats, observe, observeComparison, type StageStats } from './analysis.js';
import { referenceManifest } from './__fixtures__/reference.js';
import { planFromManifest } from './plan.js';
import { alwaysValidPValue, confidenceRadius, mixtureLikelihoodRatio, wilsonInterval } from './sequential.js';
import { seededRandom } from './simulate.js';

const plan = planFromManifest(referenceManifest());
const config = analysisConfig(plan.analysis);

function fill(stats: StageStats, arm: 'control' | 'candidate', n: number, success: number, latencyMs = 1000): void {
  for (let index = 0; index < n; index++)
    observe(stats, { arm, success: index < success, latencyMs, costUsd: 0.01, escalated: false, guardrailTrip: false });
}

describe('sequential statistics', () => {
  it('the confidence radius is where the mixture likelihood ratio reaches 1/α', () => {
    for (const [variance, tau, alpha] of [
      [1e-4, 0.02, 0.05],
      [3e-3, 0.2, 0.01],
      [0.5, 1, 0.1],
    ] as const) {
      const radius = confidenceRadius(variance, tau, alpha);
      expect(mixtureLikelihoodRatio(0.1 + radius, 0.1, variance, tau)).toBeCloseTo(1 / alpha, 6);
      expect(alwaysValidPValue(0.1 + radius, 0.1, variance, tau)).toBeCloseTo(alpha, 8);
      expect(alwaysValidPValue(0.1 + radius / 2, 0.1, variance, tau)).toBeGreaterThan(alpha);
    }
    expect(confidenceRadius(0, 0.02, 0.05)).toBe(0);
  });

  it('covers the true mean at every look at once in ≥ 1 − α of streams (looking after every observation)', () => {
    const random = seededRandom(11);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const streams = 2_000;
    const alpha = 0.05;
    let missed = 0;
    let fixedMissed = 0;
    for (let stream = 0; stream < streams; stream++) {
      let sum = 0;
      let everOut = false;
      let fixedOut = false;
      for (let n = 1; n <= 1_000; n++) {
        sum += gaussian();
        const mean = sum / n;
        if (Math.abs(mean) > confidenceRadius(1 / n, 0.1, alpha)) everOut = true;
        if (n >= 10 && Math.abs(mean) > 1.96 / Math.sqrt(n)) fixedOut = true;
      }
      if (everOut) missed++;
      if (fixedOut) fixedMissed++;
    }
    expect(missed / streams).toBeLessThanOrEqual(alpha);
    // The fixed-sample 95 % interval, looked at after every observation, misses far more often.
    expect(fixedMissed / streams).toBeGreaterThan(0.3);
  });

  it('Wilson interval', () => {
    const interval = wilsonInterval(90, 100);
    expect(interval.lower).toBeCloseTo(0.8256, 3);
    expect(interval.upper).toBeCloseTo(0.9448, 3);
    expect(wilsonInterval(0, 0)).toEqual({ lower: 0, upper: 1 });
  });
});

describe('analyse', () => {
  it('is insufficient below minSamples per arm, whatever the numbers say', () => {
    const stats = emptyStats();
    fill(stats, 'control', 5_000, 4_850);
    fill(stats, 'candidate', plan.analysis.minSamples - 1, 0);
    const result = analyse(stats, config);
    expect(result.verdict).toBe('inconclusive');
    expect(result.metrics.find((metric) => metric.metric === 'success')?.verdict).toBe('insufficient');
  });

  it('fails a 5-point success drop, passes an equal candidate, and is inconclusive in between', () => {
    const bad = emptyStats();
    fill(bad, 'control', 20_000, 19_400);
    fill(bad, 'candidate', 2_000, 1_840);
    const failed = analyse(bad, config);
    expect(failed.verdict).toBe('fail');
    expect(failed.summary).toMatch(/^regression beyond tolerance: success \+5\.0 %/);

    const good = emptyStats();
    fill(good, 'control', 20_000, 19_400);
    fill(good, 'candidate', 2_000, 1_940);
    expect(analyse(good, config).verdict).toBe('pass');

    const unclear = emptyStats();
    fill(unclear, 'control', 20_000, 19_400);
    fill(unclear, 'candidate', 400, 380);
    expect(analyse(unclear, config).verdict).toBe('inconclusive');
  });

  it('latency is a ratio of geometric means against maxLatencyIncreasePct', () => {
    const stats = emptyStats();
    fill(stats, 'control', 1_000, 1_000, 1_000);
    fill(stats, 'candidate', 1_000, 1_000, 1_500);
    const latency = analyse(stats, config).metrics.find((metric) => metric.metric === 'latency');
    expect(latency?.effect).toBeCloseTo(0.5, 6);
    expect(latency?.verdict).toBe('fail');
  });

  it('one critical finding on the candidate fails the stage at once; on the control it does not', () => {
    const stats = emptyStats();
    observe(stats, { arm: 'control', success: true, latencyMs: 10, critical: 'pii-leak' });
    expect(analyse(stats, config).verdict).toBe('inconclusive');
    observe(stats, { arm: 'candidate', success: true, latencyMs: 10, critical: 'secret-leak' });
    expect(analyse(stats, config)).toMatchObject({ verdict: 'fail', critical: [{ kind: 'secret-leak', count: 1 }] });
  });

  it('disagreement is measured beyond the noise floor', () => {
    const stats = emptyStats();
    for (let index = 0; index < 2_000; index++) observeComparison(stats, index % 10 !== 0);
    for (let index = 0; index < 2_000; index++) observeComparison(stats, index % 10 !== 0, true);
    const metric = analyse(stats, config).metrics.find((m) => m.metric === 'disagreement');
    expect(metric).toMatchObject({ candidate: 0.1, control: 0.1, effect: 0, verdict: 'pass' });
  });

  it('statistics merge by adding (several processes)', () => {
    const a = emptyStats();
    const b = emptyStats();
    fill(a, 'control', 10, 9);
    fill(b, 'control', 5, 5);
    expect(mergeStats(a, b).control.success).toEqual({ n: 15, x: 14 });
  });

  it('error budget: exhausted only when the burn rate is significantly above 1', () => {
    expect(errorBudgetOf({ n: 10_000, x: 9_700 }, 0.97, 200).exhausted).toBe(false);
    expect(errorBudgetOf({ n: 10_000, x: 9_000 }, 0.97, 200)).toMatchObject({
      exhausted: true,
      burnRate: expect.closeTo(3.33, 2) as unknown,
    });
    expect(errorBudgetOf({ n: 100, x: 0 }, 0.97, 200).exhausted).toBe(false);
  });
});
