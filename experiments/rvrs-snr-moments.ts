/**
 * The signal-to-noise ratio |mean| / sd of a gradient component over independent replicates, with its
 * standard error by the delta method.
 *
 * With sample mean μ̂, variance v̂ = σ̂² and the central moments μ3, μ4 of the replicates, SNR = |μ| / σ has
 * (first-order, large M)
 *   Var(SNR̂) ≈ (1/M) · [1 − sign(μ) · SNR · γ + SNR² (κ − 1) / 4],   γ = μ3 / σ³ (skewness), κ = μ4 / σ⁴,
 * from Var(μ̂) = σ²/M, Var(v̂) ≈ (μ4 − σ⁴)/M and Cov(μ̂, v̂) ≈ μ3/M. Heavy-tailed gradients (large κ) widen it;
 * κ itself is then poorly estimated, which is why the experiment also repeats the measurement over seeds.
 * Sums are kept in float64 about a shift (the first value seen) so that mean² never swamps the variance.
 */

export interface MomentSums {
  count: number;
  shift: number;
  s1: number;
  s2: number;
  s3: number;
  s4: number;
}

export function emptyMoments(): MomentSums {
  return { count: 0, shift: Number.NaN, s1: 0, s2: 0, s3: 0, s4: 0 };
}

/** Add one replicate's value. */
export function addMoment(m: MomentSums, value: number): void {
  if (m.count === 0) m.shift = value;
  const d = value - m.shift;
  const d2 = d * d;
  m.count++;
  m.s1 += d;
  m.s2 += d2;
  m.s3 += d2 * d;
  m.s4 += d2 * d2;
}

/** The sums of two sets of replicates together (both re-centred on the first one's shift). */
export function mergeMoments(a: MomentSums, b: MomentSums): MomentSums {
  if (a.count === 0) return { ...b };
  if (b.count === 0) return { ...a };
  // Σ (x − a.shift)^p from Σ (x − b.shift)^p with δ = b.shift − a.shift (binomial expansion).
  const n = b.count;
  const dl = b.shift - a.shift;
  const t1 = b.s1 + n * dl;
  const t2 = b.s2 + 2 * dl * b.s1 + n * dl * dl;
  const t3 = b.s3 + 3 * dl * b.s2 + 3 * dl * dl * b.s1 + n * dl ** 3;
  const t4 = b.s4 + 4 * dl * b.s3 + 6 * dl * dl * b.s2 + 4 * dl ** 3 * b.s1 + n * dl ** 4;
  return { count: a.count + n, shift: a.shift, s1: a.s1 + t1, s2: a.s2 + t2, s3: a.s3 + t3, s4: a.s4 + t4 };
}

export interface SnrEstimate {
  replicates: number;
  mean: number;
  sd: number;
  /** Standard error of the mean, sd / √M. */
  meanSe: number;
  snr: number;
  /** Delta-method standard error of snr. */
  snrSe: number;
  /** Sample skewness μ3/σ³ and kurtosis μ4/σ⁴ (3 for a Gaussian) of the replicates. */
  skewness: number;
  kurtosis: number;
}

export function snrOfMoments(m: MomentSums): SnrEstimate {
  const M = m.count;
  const none = { replicates: M, mean: NaN, sd: NaN, meanSe: NaN, snr: NaN, snrSe: NaN, skewness: NaN, kurtosis: NaN };
  if (M < 2) return none;
  const e1 = m.s1 / M;
  const e2 = m.s2 / M;
  const e3 = m.s3 / M;
  const e4 = m.s4 / M;
  const mean = m.shift + e1;
  const c2 = Math.max(0, e2 - e1 * e1);
  const c3 = e3 - 3 * e1 * e2 + 2 * e1 ** 3;
  const c4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1 ** 4;
  const sd = Math.sqrt((c2 * M) / (M - 1));
  if (!(sd > 0)) return { ...none, mean, sd, meanSe: 0 };
  const snr = Math.abs(mean) / sd;
  const skew = c3 / c2 ** 1.5;
  const kurt = c4 / (c2 * c2);
  const v = Math.max(0, 1 - Math.sign(mean) * snr * skew + (snr * snr * (kurt - 1)) / 4) / M;
  return {
    replicates: M,
    mean,
    sd,
    meanSe: sd / Math.sqrt(M),
    snr,
    snrSe: Math.sqrt(v),
    skewness: skew,
    kurtosis: kurt,
  };
}
