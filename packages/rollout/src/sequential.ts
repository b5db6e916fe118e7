// Always-valid inference for a stream of estimates: the normal-mixture mSPRT and the confidence
// sequence it inverts to. The math is in docs/decisions/0007-rollout-sequential-analysis.md.
//
// An estimate θ̂ of an effect θ with variance V (V shrinks as samples arrive) is tested against
// θ₀ with the mixture likelihood ratio (mixing distribution N(θ₀, τ²)):
//
//   Λ = sqrt(V / (V + τ²)) · exp( τ² (θ̂ − θ₀)² / (2 V (V + τ²)) )
//
// Under θ = θ₀, Λ is (asymptotically) a nonnegative martingale with mean 1, so by Ville's inequality
// P(Λ ever ≥ 1/α) ≤ α: the test may be looked at after every observation without inflating false
// alarms. Inverting `Λ < 1/α` in θ₀ gives a confidence sequence θ̂ ± r that covers θ at all times at
// once with probability ≥ 1 − α:
//
//   r² = (V (V + τ²) / τ²) · (2 ln(1/α) + ln((V + τ²) / V))

/** The mixture likelihood ratio Λ of H0: θ = θ₀ given an estimate with variance `variance` (mixing scale `tau`). */
export function mixtureLikelihoodRatio(estimate: number, null0: number, variance: number, tau: number): number {
  const t2 = tau * tau;
  const d = estimate - null0;
  return Math.sqrt(variance / (variance + t2)) * Math.exp((t2 * d * d) / (2 * variance * (variance + t2)));
}

/** The always-valid p-value of one look, `min(1, 1/Λ)` (keep the running minimum across looks). */
export function alwaysValidPValue(estimate: number, null0: number, variance: number, tau: number): number {
  return Math.min(1, 1 / mixtureLikelihoodRatio(estimate, null0, variance, tau));
}

/** Half-width of the (1 − α) confidence sequence around an estimate with variance `variance`. */
export function confidenceRadius(variance: number, tau: number, alpha: number): number {
  if (!(variance > 0)) return 0;
  const t2 = tau * tau;
  return Math.sqrt(((variance * (variance + t2)) / t2) * (2 * Math.log(1 / alpha) + Math.log((variance + t2) / variance)));
}

/** Wilson score interval of a proportion x/n at fixed n (z = 1.96 for 95 %); for reporting, not for sequential decisions. */
export function wilsonInterval(x: number, n: number, z = 1.959964): { readonly lower: number; readonly upper: number } {
  if (n === 0) return { lower: 0, upper: 1 };
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}
