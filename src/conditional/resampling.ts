/**
 * Importance resampling in log space (docs/estimator-math.md §10): normalized weights by a softmax in float64,
 * multinomial resampling by inverse CDF, systematic resampling with u₀ ~ U[0, 1/n) and positions
 * u₀ + k/n, and the two weight diagnostics: ESS = 1/Σ W² and perplexity = exp(−Σ W log W).
 */
import { fail } from '../errors.js';
import type { PRNGKey } from '../random/key.js';
import { randomBits } from '../random/threefry.js';
import { unit53 } from '../random/unit.js';
import type { ResamplingMethod } from './types.js';

/** Normalized weights W = softmax(logW) of row `row` (length n) of a flat [rows, n] array, in float64. */
export function normalizedWeights(logW: ArrayLike<number>, row: number, n: number): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = logW[row * n + j];
    if (Number.isNaN(v)) fail('resample', `log-weight ${j} of data point ${row} is NaN`);
    max = Math.max(max, v);
  }
  if (!(max > -Infinity && max < Infinity)) {
    fail(
      'resample',
      `log-weights of data point ${row} must have a finite maximum, got ${max} ` +
        '(every proposal has zero weight, or a weight is +inf or NaN)',
    );
  }
  const w = new Float64Array(n);
  let total = 0;
  for (let j = 0; j < n; j++) {
    w[j] = Math.exp(logW[row * n + j] - max);
    total += w[j];
  }
  for (let j = 0; j < n; j++) w[j] /= total;
  return w;
}

/** ESS 1/Σ W² of normalized weights (between 1 and n). */
export function effectiveSampleSize(w: Float64Array): number {
  let s = 0;
  for (const v of w) s += v * v;
  return 1 / s;
}

/** Perplexity exp(−Σ W log W) of normalized weights (between 1 and n; 0 log 0 = 0). */
export function perplexity(w: Float64Array): number {
  let h = 0;
  for (const v of w) if (v > 0) h -= v * Math.log(v);
  return Math.exp(h);
}

/** The first index j with cdf[j] > u (cdf nondecreasing, ending at 1); the last index if rounding leaves none. */
function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  // Rounding near 1 can land on trailing zero-weight entries: step back over entries that add nothing.
  while (lo > 0 && cdf[lo] === cdf[lo - 1]) lo--;
  return lo;
}

/**
 * For each of `rows` rows of n log-weights, m indices drawn with probabilities softmax(row):
 * independently (multinomial) or with one shared uniform offset (systematic). Returns [rows · m].
 */
export function resampleIndices(
  key: PRNGKey,
  logW: ArrayLike<number>,
  rows: number,
  n: number,
  m: number,
  method: ResamplingMethod,
): Int32Array {
  if (method !== 'multinomial' && method !== 'systematic') {
    fail('resample', `method must be 'multinomial' or 'systematic', got ${String(method)}`);
  }
  const perRow = method === 'multinomial' ? m : 1;
  const words = randomBits(key, 2 * rows * perRow);
  const out = new Int32Array(rows * m);
  for (let r = 0; r < rows; r++) {
    const w = normalizedWeights(logW, r, n);
    const cdf = new Float64Array(n);
    let acc = 0;
    for (let j = 0; j < n; j++) cdf[j] = acc += w[j];
    for (let j = 0; j < n; j++) cdf[j] /= acc;
    cdf[n - 1] = 1; // the CDF must end at 1 despite rounding
    for (let k = 0; k < m; k++) {
      const at = 2 * (r * perRow + (method === 'multinomial' ? k : 0));
      const u0 = unit53(words[at], words[at + 1]);
      const u = method === 'multinomial' ? u0 : (u0 + k) / m;
      out[r * m + k] = searchCdf(cdf, u);
    }
  }
  return out;
}
