/**
 * Statistics for the rejection-VI tests.
 *
 * Tolerance policy. A Monte Carlo check compares a sample mean with its exact value and allows
 * K_SE = 5 standard errors (SE estimated from the same sample). Under the normal approximation a
 * correct implementation fails one such check with probability 5.7e-7; these test files make fewer
 * than 200 such checks, so the family-wise false-alarm rate is below 1.2e-4. Distribution tests
 * (χ², Kolmogorov–Smirnov) use critical values at a stated level α = 1e-3. Keys are fixed, so every
 * run makes the same draws: a test that passes once passes always.
 */
import { expect } from 'vitest';

export const K_SE = 5;

export interface MeanSe {
  n: number;
  mean: number;
  sd: number;
  se: number;
}

/** Mean, standard deviation and standard error of the mean (float64). */
export function meanSe(values: ArrayLike<number>): MeanSe {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) m2 += (values[i] - mean) ** 2;
  const sd = Math.sqrt(m2 / (n - 1));
  return { n, mean, sd, se: sd / Math.sqrt(n) };
}

/** |mean − truth| ≤ K_SE · SE (+ a small absolute slack for float32 rounding). */
export function expectWithinSe(m: MeanSe, truth: number, label: string, slack = 1e-6): void {
  const z = (m.mean - truth) / m.se;
  expect(
    Math.abs(m.mean - truth),
    `${label}: mean ${m.mean} vs ${truth} (SE ${m.se}, z = ${z.toFixed(2)})`,
  ).toBeLessThanOrEqual(K_SE * m.se + slack);
}

/** |a − b| ≤ K_SE · sqrt(se_a² + se_b²): two independent estimates of the same quantity agree. */
export function expectAgree(a: MeanSe, b: MeanSe, label: string): void {
  const se = Math.hypot(a.se, b.se);
  expect(Math.abs(a.mean - b.mean), `${label}: ${a.mean} vs ${b.mean} (SE ${se})`).toBeLessThanOrEqual(K_SE * se);
}

/** Upper α = 1e-3 critical values of χ² with df degrees of freedom (df = 1..6). */
export const CHI2_CRIT_1E3 = [NaN, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458];

/** Pearson χ² statistic of counts against expected probabilities. */
export function chiSquare(counts: readonly number[], probs: readonly number[]): number {
  const n = counts.reduce((s, c) => s + c, 0);
  let x2 = 0;
  for (let i = 0; i < counts.length; i++) x2 += (counts[i] - n * probs[i]) ** 2 / (n * probs[i]);
  return x2;
}

/** Kolmogorov–Smirnov statistic D_n of a sample against a continuous CDF. */
export function ksStatistic(sample: ArrayLike<number>, cdf: (x: number) => number): number {
  const xs = Float64Array.from(sample).sort();
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Asymptotic KS critical value at level α = 1e-3: sqrt(−ln(α/2)/2)/√n ≈ 1.9495/√n. */
export function ksCritical1e3(n: number): number {
  return Math.sqrt(-Math.log(1e-3 / 2) / 2) / Math.sqrt(n);
}

/** max_i |a_i − b_i| ≤ tol for numeric arrays. */
export function expectAllClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, label: string): void {
  expect(a.length, `${label}: length`).toBe(b.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) {
      worst = NaN;
      at = i;
      break;
    }
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `${label}: max |diff| at ${at}: ${a[at]} vs ${b[at]} (tol ${tol})`).toBeLessThanOrEqual(tol);
}
