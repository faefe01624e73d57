/**
 * Shared helpers for the distribution tests: sample statistics with standard errors, quadrature,
 * and float64 reference functions.
 *
 * Tolerances. A Monte Carlo check compares an estimate with its exact value and allows K_SE = 5
 * standard errors, the standard error being estimated from the same sample. Under the normal
 * approximation a correct implementation fails one such check with probability 5.7e-7; the dist
 * test files make fewer than 1,000 such checks, so the chance that any of them fails for a correct
 * implementation is below 1e-3 (and, with fixed keys and fast-check seeds, every run makes the
 * same draws: a test that passes once passes always). A small absolute slack covers float32
 * rounding of the values being averaged.
 */
import { expect } from 'vitest';
import type { Tensor } from '../src/tensor/tensor.js';

export const K_SE = 5;

export interface Stats {
  n: number;
  mean: number;
  variance: number;
  /** Standard error of the mean. */
  seMean: number;
  /** Standard error of the (unbiased) sample variance, from the second and fourth central moments. */
  seVariance: number;
}

/** Mean, variance and their standard errors of a sample (float64 accumulation). */
export function stats(values: ArrayLike<number>): Stats {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  const variance = m2 / (n - 1);
  m4 /= n;
  const pop = m2 / n;
  // Var(s²) = (μ4 - σ⁴ (n-3)/(n-1)) / n exactly for iid draws (its second-order term matters
  // when μ4 = σ⁴, e.g. a fair coin), with the moments estimated from the sample.
  const varS2 = (m4 - (pop * pop * (n - 3)) / (n - 1)) / n;
  return { n, mean, variance, seMean: Math.sqrt(variance / n), seVariance: Math.sqrt(Math.max(varS2, 0)) };
}

/** Column j of a row-major [n, m] array (or every m-th value starting at j). */
export function column(data: ArrayLike<number>, m: number, j: number): Float64Array {
  const n = Math.floor(data.length / m);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i * m + j];
  return out;
}

/** Expect |estimate - truth| <= K_SE · se + slack, with a readable message. */
export function expectWithinSE(
  label: string,
  estimate: number,
  se: number,
  truth: number,
  slack = 1e-6 * Math.abs(truth) + 1e-7,
): void {
  const err = Math.abs(estimate - truth);
  const tol = K_SE * se + slack;
  if (!(err <= tol)) {
    expect.fail(
      `${label}: estimate ${estimate} vs exact ${truth}: error ${err} exceeds ${K_SE} standard errors ` +
        `(${K_SE} × ${se}) + ${slack}`,
    );
  }
}

/** Expect |a - b| <= atol + rtol·|b|. */
export function expectClose(label: string, a: number, b: number, rtol = 1e-5, atol = 1e-6): void {
  if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b)))
    expect.fail(`${label}: ${a} vs ${b} (rtol ${rtol}, atol ${atol})`);
}

export function values(t: Tensor): Float32Array {
  return t.dataSync();
}

/** Composite Simpson weights on n (odd) equally spaced points with spacing h. */
export function simpsonWeights(n: number, h: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = (h / 3) * (i === 0 || i === n - 1 ? 1 : i % 2 === 1 ? 4 : 2);
  return w;
}

/** Grid of n points from a to b. */
export function grid(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a + ((b - a) * i) / (n - 1);
  return out;
}

/** Float64 special functions, as references. */
export { digamma, lgamma, polygamma } from '../src/tensor/special.js';
