/**
 * Repeating an experiment over several seeds, and summarizing a number across them.
 *
 * A single run's standard error (over test images, or over gradient replicates) says how well
 * that run measured its own number; it says nothing about how much the number moves when the
 * initialization and the minibatch order change. Comparisons in standard and full mode therefore
 * repeat the training over seeds and report a 95% confidence interval of the mean across seeds,
 * from Student's t with n − 1 degrees of freedom (the seeds are few, so the normal 1.96 would be
 * far too narrow: with 3 seeds the factor is 4.30).
 */
import type { RunMode } from './types.js';

/** How many seeds every comparison runs in each mode (the issue asks for at least 3 in full mode). */
export const SEEDS_PER_MODE: Record<RunMode, number> = { tiny: 1, quick: 1, standard: 3, full: 3 };

/** The seeds of a run: the run's own seed first, then the next ones (seed, seed + 1, …). */
export function seedsFor(baseSeed: number, mode: RunMode, count = SEEDS_PER_MODE[mode]): number[] {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`seedsFor: expected a positive integer count, got ${count}`);
  return Array.from({ length: count }, (_, i) => (baseSeed + i) >>> 0);
}

/** Two-sided 97.5% quantiles of Student's t for 1…10 degrees of freedom (standard tables). */
const T975 = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281];
const Z975 = 1.959964;

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom: the table up to 10, then the
 * Cornish–Fisher expansion around the normal quantile (error below 1e-4 for df > 10).
 */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`tQuantile975: expected an integer df >= 1, got ${df}`);
  if (df <= T975.length) return T975[df - 1];
  const z = Z975;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3)
  );
}

/** A number summarized across seeds. */
export interface AcrossSeeds {
  /** How many seeds (finite values) went in. */
  n: number;
  mean: number;
  /** Sample standard deviation across seeds (NaN for one seed). */
  sd: number;
  /** Half-width of the 95% confidence interval of the mean (NaN for one seed). */
  halfWidth: number;
  values: number[];
}

/** Mean, standard deviation and 95% t-interval of the values (one per seed). */
export function acrossSeeds(values: readonly number[]): AcrossSeeds {
  if (values.length === 0) throw new Error('acrossSeeds: expected at least one value, got none');
  for (const v of values)
    if (!Number.isFinite(v)) throw new Error(`acrossSeeds: expected finite values, got ${v} in [${values.join(', ')}]`);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, sd: Number.NaN, halfWidth: Number.NaN, values: [...values] };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, halfWidth: (tQuantile975(n - 1) * sd) / Math.sqrt(n), values: [...values] };
}

/**
 * Whether two methods, run on the same seeds, are separated: the 95% t-interval of the paired
 * differences (a[i] − b[i]) excludes zero. Pairing removes what the seed does to both alike.
 * Returns the interval of the difference too, for the report.
 */
export function pairedAcrossSeeds(a: readonly number[], b: readonly number[]): AcrossSeeds & { separated: boolean } {
  if (a.length !== b.length)
    throw new Error(`pairedAcrossSeeds: expected as many values for both methods, got ${a.length} and ${b.length}`);
  const d = acrossSeeds(a.map((v, i) => v - b[i]));
  return { ...d, separated: d.n > 1 && Math.abs(d.mean) > d.halfWidth };
}

/** "−91.32 ± 0.41" (95% CI over n seeds), or just the mean for one seed. */
export function formatAcrossSeeds(s: AcrossSeeds, digits = 2): string {
  const fmt = (v: number) => v.toFixed(digits).replace('-', '−');
  return s.n > 1 ? `${fmt(s.mean)} ± ${s.halfWidth.toFixed(digits)}` : fmt(s.mean);
}

/** The caption fragment that says what a "±" across seeds means. */
export function acrossSeedsNote(n: number): string {
  return n > 1
    ? `± is the half-width of the 95% confidence interval of the mean over ${n} seeds (Student's t, ${n - 1} d.f.)`
    : 'one seed: no across-seed interval; a difference smaller than the run-to-run spread cannot be told apart';
}
