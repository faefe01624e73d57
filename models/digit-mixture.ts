/**
 * A Gaussian mixture over downsampled MNIST digits, the ground truth of the imputation experiment:
 *
 *   p(c) = π_c,   p(x | c) = Π_d N(x_d; μ_cd, σ²_cd)        c = 0..9 (one component per digit class)
 *
 * μ_c is the mean of class c's training digits (2×2 average-pooled, 28×28 → 14×14) and σ²_cd their
 * per-pixel variance plus a floor, π_c the class frequencies. Because each component factorizes over
 * pixels, the component posterior given any observed subset o is exact and cheap:
 *
 *   p(c | x_o) ∝ π_c Π_{d ∈ o} N(x_d; μ_cd, σ²_cd)
 *
 * and p(x_m | x_o) = Σ_c p(c | x_o) Π_{d ∈ m} N(x_d; μ_cd, σ²_cd) can be sampled exactly.
 * Everything here is float64 and plain arrays: it is the reference the samplers are scored against.
 */
import { fail } from '../src/errors.js';
import { split, type PRNGKey } from '../src/random/key.js';
import { normal, uniform } from '../src/random/continuous.js';

export interface DigitMixture {
  /** Components C and dimensions D. */
  components: number;
  dims: number;
  /** log π_c, [C]. */
  logWeights: Float64Array;
  /** μ, [C·D] row-major. */
  means: Float64Array;
  /** σ², [C·D] row-major. */
  variances: Float64Array;
}

/** 2×2 average pooling of n square images of side `side` (row-major) → side/2. */
export function averagePool2(images: ArrayLike<number>, n: number, side: number): Float64Array {
  if (side % 2 !== 0) fail('averagePool2', `side must be even, got ${side}`);
  const h = side / 2;
  const out = new Float64Array(n * h * h);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < h; c++) {
        const at = (rr: number, cc: number): number => images[i * side * side + rr * side + cc];
        const sum = at(2 * r, 2 * c) + at(2 * r, 2 * c + 1) + at(2 * r + 1, 2 * c) + at(2 * r + 1, 2 * c + 1);
        out[i * h * h + r * h + c] = sum / 4;
      }
    }
  }
  return out;
}

/**
 * One component per class: class means, per-pixel class variances + `varianceFloor` (so no pixel
 * is deterministic), weights = class frequencies. Classes absent from the data are an error.
 */
export function fitDigitMixture(
  images: Float64Array,
  labels: ArrayLike<number>,
  n: number,
  dims: number,
  classes = 10,
  varianceFloor = 0.01,
): DigitMixture {
  const op = 'fitDigitMixture';
  if (images.length !== n * dims) fail(op, `images hold ${images.length} values, expected n·D = ${n}·${dims}`);
  const count = new Float64Array(classes);
  const sum = new Float64Array(classes * dims);
  const sumSq = new Float64Array(classes * dims);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    count[c]++;
    for (let d = 0; d < dims; d++) {
      const v = images[i * dims + d];
      sum[c * dims + d] += v;
      sumSq[c * dims + d] += v * v;
    }
  }
  const means = new Float64Array(classes * dims);
  const variances = new Float64Array(classes * dims);
  const logWeights = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    if (count[c] === 0) fail(op, `class ${c} has no images among the ${n} given`);
    logWeights[c] = Math.log(count[c] / n);
    for (let d = 0; d < dims; d++) {
      const m = sum[c * dims + d] / count[c];
      means[c * dims + d] = m;
      variances[c * dims + d] = Math.max(0, sumSq[c * dims + d] / count[c] - m * m) + varianceFloor;
    }
  }
  return { components: classes, dims, logWeights, means, variances };
}

const LOG_2PI = Math.log(2 * Math.PI);

/** log p(c | x_o) for one vector x [D] and mask [D] (1 observed), [C], normalized. */
export function componentLogPosterior(g: DigitMixture, x: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  const { components: C, dims: D } = g;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = g.logWeights[c];
    for (let d = 0; d < D; d++) {
      if (mask[d] !== 1) continue;
      const v = g.variances[c * D + d];
      const r = x[d] - g.means[c * D + d];
      s -= 0.5 * (LOG_2PI + Math.log(v) + (r * r) / v);
    }
    out[c] = s;
  }
  let max = -Infinity;
  for (const v of out) max = Math.max(max, v);
  let z = 0;
  for (const v of out) z += Math.exp(v - max);
  const logZ = max + Math.log(z);
  for (let c = 0; c < C; c++) out[c] -= logZ;
  return out;
}

/** n draws (x [n·D], their components [n]) from the mixture, from key k. */
export function sampleDigitMixture(
  k: PRNGKey,
  g: DigitMixture,
  n: number,
): { x: Float32Array; components: Uint8Array } {
  const { dims: D } = g;
  const [kc, kx] = split(k, 2);
  const u = uniform(kc, [n]).dataSync();
  const eps = normal(kx, [n, D]).dataSync();
  const x = new Float32Array(n * D);
  const comps = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = pickComponent(g.logWeights, u[i]);
    comps[i] = c;
    for (let d = 0; d < D; d++) x[i * D + d] = g.means[c * D + d] + Math.sqrt(g.variances[c * D + d]) * eps[i * D + d];
  }
  return { x, components: comps };
}

/** The component whose cumulative probability first exceeds u. */
function pickComponent(logProbs: Float64Array, u: number): number {
  let acc = 0;
  for (let c = 0; c < logProbs.length; c++) {
    acc += Math.exp(logProbs[c]);
    if (u < acc) return c;
  }
  return logProbs.length - 1;
}

/**
 * n exact draws from p(x_m | x_o) for each of B vectors x [B·D] with masks [B·D]: complete vectors
 * [n, B, D] (observed entries copied), the reference sampler at the Monte Carlo floor.
 */
export function sampleMissingExactly(
  k: PRNGKey,
  g: DigitMixture,
  x: ArrayLike<number>,
  mask: ArrayLike<number>,
  B: number,
  n: number,
): Float32Array {
  const D = g.dims;
  const [kc, kx] = split(k, 2);
  const u = uniform(kc, [n, B]).dataSync();
  const eps = normal(kx, [n, B, D]).dataSync();
  const out = new Float32Array(n * B * D);
  for (let b = 0; b < B; b++) {
    const xb = Array.from({ length: D }, (_, d) => x[b * D + d]);
    const mb = Array.from({ length: D }, (_, d) => mask[b * D + d]);
    const post = componentLogPosterior(g, xb, mb);
    for (let i = 0; i < n; i++) {
      const c = pickComponent(post, u[i * B + b]);
      for (let d = 0; d < D; d++) {
        const at = (i * B + b) * D + d;
        out[at] = mb[d] === 1 ? xb[d] : g.means[c * D + d] + Math.sqrt(g.variances[c * D + d]) * eps[at];
      }
    }
  }
  return out;
}
