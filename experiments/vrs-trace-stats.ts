/**
 * Summaries of one training trace of the VRS diagnostic (φ, samples drawn and acceptance rate after
 * each step), and of the same trace over several seeds: thinning for plots, block means on a log
 * step axis, when a run settled near φ*, and the mean of the last steps with its standard error.
 */
import { acrossSeeds, pairedAcrossSeeds } from './seeds.js';

/** Indices 0..n−1 thinned to about `count`, log-spaced (always keeps the first and last). */
export function logThin(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>([0, n - 1]);
  for (let j = 0; j < count; j++) out.add(Math.min(n - 1, Math.round(Math.exp((j / (count - 1)) * Math.log(n)) - 1)));
  return [...out].sort((a, b) => a - b);
}

/**
 * Means of v over about `count` blocks whose lengths grow geometrically (the first steps one by one,
 * later ones pooled), so that every decade of a log step axis gets about as many points.
 * x is the mean 1-based step number of each block (≥ 1, so it can go on a log axis).
 */
export function logBlockMeans(v: readonly number[], count: number): { x: number[]; y: number[] } {
  const n = v.length;
  const edges = new Set<number>([0, n]);
  for (let j = 1; j < count; j++) edges.add(Math.round(n ** (j / count)));
  const sorted = [...edges].filter((e) => e >= 0 && e <= n).sort((a, b) => a - b);
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 1; b < sorted.length; b++) {
    const [lo, hi] = [sorted[b - 1], sorted[b]];
    if (hi <= lo) continue;
    let s = 0;
    for (let i = lo; i < hi; i++) s += v[i];
    x.push((lo + 1 + hi) / 2);
    y.push(s / (hi - lo));
  }
  return { x, y };
}

/** The sentinel of count-to-reach metrics for "the run ended before reaching the target" (shown as "never"). */
export const NEVER = -1;

/**
 * Total samples drawn when |φ − φ*| fell below tol for good (to the end of the run); NEVER if the
 * run ends outside.
 */
export function samplesToStayWithin(phi: readonly number[], samples: readonly number[], target: number, tol: number) {
  const n = phi.length;
  if (n === 0 || Math.abs(phi[n - 1] - target) >= tol) return NEVER;
  let i = n - 1;
  while (i > 0 && Math.abs(phi[i - 1] - target) < tol) i--;
  return samples[i];
}

/**
 * Mean of the last `fraction` of v and its standard error by batch means (the tail cut into
 * `maxBatches` consecutive batches: successive SGD iterates are correlated, batch means much less so).
 * se is NaN when the tail has fewer than 2 values.
 */
export function tailMean(v: readonly number[], fraction: number, maxBatches = 10): { mean: number; se: number } {
  const length = Math.max(1, Math.floor(v.length * fraction));
  const tail = v.slice(v.length - length);
  if (tail.length === 0) return { mean: Number.NaN, se: Number.NaN };
  const mean = tail.reduce((a, b) => a + b, 0) / tail.length;
  // Short tails (tiny runs) get fewer batches, of one value each at the least.
  const batches = Math.min(maxBatches, tail.length);
  const size = Math.floor(tail.length / batches);
  if (batches < 2) return { mean, se: Number.NaN };
  const used = tail.slice(tail.length - size * batches);
  const means = Array.from({ length: batches }, (_, b) => used.slice(b * size, (b + 1) * size));
  const batchMeans = means.map((m) => m.reduce((a, c) => a + c, 0) / size);
  const grand = batchMeans.reduce((a, b) => a + b, 0) / batches;
  const variance = batchMeans.reduce((a, m) => a + (m - grand) ** 2, 0) / (batches - 1);
  return { mean, se: Math.sqrt(variance / batches) };
}

/**
 * Index-by-index mean over seeds of equally indexed sequences (cut to the shortest), with the 95%
 * across-seed half-width (undefined for one seed), at the given indices.
 */
export function meanOverSeeds(
  sequences: readonly (readonly number[])[],
  indices: readonly number[],
): { mean: number[]; halfWidth?: number[] } {
  const stats = indices.map((i) => acrossSeeds(sequences.map((s) => s[i])));
  return {
    mean: stats.map((s) => s.mean),
    halfWidth: sequences.length > 1 ? stats.map((s) => s.halfWidth) : undefined,
  };
}

/** One run's error at the end (e.g. |mean φ over the last steps − φ*|) and that number's standard error. */
export interface TailError {
  seed: number;
  error: number;
  se: number;
}

export interface Separation {
  /** b's error minus a's: the mean over the common seeds, or the one seed's. */
  difference: number;
  /** What it is compared with: the 95% half-width of the paired differences, or seMultiple run SEs. */
  noise: number;
  separated: boolean;
  /** How many seeds both methods ran. */
  seeds: number;
}

/**
 * Whether two methods' errors at the end differ by more than the noise. Over several seeds: the 95%
 * t-interval of the paired differences (seed by seed) excludes 0. With one seed there is no spread
 * over seeds, so the runs' own standard errors stand in: |difference| > seMultiple·√(se_a² + se_b²)
 * (never separated when a standard error is unknown).
 */
export function separateTailErrors(a: readonly TailError[], b: readonly TailError[], seMultiple = 2): Separation {
  const pairs = b.flatMap((y) => a.filter((x) => x.seed === y.seed).map((x) => [x, y] as const));
  if (pairs.length === 0) throw new Error('separateTailErrors: the two methods share no seed');
  if (pairs.length > 1) {
    const p = pairedAcrossSeeds(
      pairs.map(([, y]) => y.error),
      pairs.map(([x]) => x.error),
    );
    return { difference: p.mean, noise: p.halfWidth, separated: p.separated, seeds: pairs.length };
  }
  const [x, y] = pairs[0];
  const noise = seMultiple * Math.hypot(x.se, y.se);
  const difference = y.error - x.error;
  return { difference, noise, separated: Number.isFinite(noise) && Math.abs(difference) > noise, seeds: 1 };
}
