// The statistics of `charter eval`: Wilson score intervals for a pass rate, Fisher's exact test for
// "the current version passes less often than the baseline" per category, and Holm's step-down
// correction when several categories are tested as one family.

/** The two-sided standard normal quantile for a confidence level (0.8-0.999), by Acklam's rational approximation. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

/** A pass rate with its Wilson score interval at `level` (two-sided). 0 of 0 is [0, 1]. */
export function wilson(passed: number, total: number, level = 0.95): { accuracy: number; low: number; high: number } {
  if (total === 0) return { accuracy: 0, low: 0, high: 1 };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = passed / total;
  const z2 = z * z;
  const centre = (p + z2 / (2 * total)) / (1 + z2 / total);
  const half = (z / (1 + z2 / total)) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  return { accuracy: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let i = logFactorials.length; i <= n; i++) logFactorials.push((logFactorials[i - 1] ?? 0) + Math.log(i));
  return logFactorials[n] ?? 0;
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/**
 * One-sided Fisher's exact test on the 2×2 table (baseline passed/failed, current passed/failed): the
 * probability, with the margins fixed, of the current version passing `currentPassed` times or fewer.
 * Small p: the current version passes less often than the baseline by more than chance explains.
 */
export function fisherOneSided(baselinePassed: number, baselineTotal: number, currentPassed: number, currentTotal: number): number {
  const passes = baselinePassed + currentPassed;
  const total = baselineTotal + currentTotal;
  if (currentTotal === 0 || baselineTotal === 0) return 1;
  const lowest = Math.max(0, passes - baselineTotal);
  const denominator = logChoose(total, passes);
  let p = 0;
  for (let k = lowest; k <= currentPassed; k++)
    p += Math.exp(logChoose(currentTotal, k) + logChoose(baselineTotal, passes - k) - denominator);
  return Math.min(1, p);
}

/** Holm's step-down adjusted p-values (same order as given): controls the family-wise error rate. */
export function holm(pValues: readonly number[]): number[] {
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(pValues.length).fill(1);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
