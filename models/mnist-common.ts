/**
 * Helpers shared by the MNIST models (SBN, VAE) and their experiments: initialization, minibatch
 * indices, and importance-sampling evaluation of log p(x) in chunks.
 */
import { foldIn, key as makeKey, split, type PRNGKey } from '../src/random/key.js';
import { normal, uniform } from '../src/random/continuous.js';
import { randomBits } from '../src/random/threefry.js';
import { stopGradient } from '../src/autodiff/custom.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Problem } from '../src/vi/types.js';
import { mnistBatch } from './data/mnist.js';

/** Glorot (Xavier) uniform init of a [fanIn, fanOut] weight matrix: U(−√(6/(in+out)), +√(6/(in+out))). */
export function glorot(k: PRNGKey, fanIn: number, fanOut: number): Tensor {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(k, [fanIn, fanOut], -a, a);
}

/** A [rows, cols] matrix of N(0, scale²) entries. */
export function gaussianMatrix(k: PRNGKey, rows: number, cols: number, scale: number): Tensor {
  return normal(k, [rows, cols], 0, scale);
}

/** logit(clip(m, ε, 1 − ε)) elementwise: the output bias that makes the decoder start at the data mean. */
export function logitOfMeans(means: Float32Array, eps = 1e-3): Tensor {
  return Tensor.fromData(
    Float32Array.from(means, (m) => {
      const p = Math.min(1 - eps, Math.max(eps, m));
      return Math.log(p / (1 - p));
    }),
    [means.length],
  );
}

/** B indices drawn uniformly with replacement from 0..n-1 (a minibatch), from key k. */
export function minibatchIndices(k: PRNGKey, n: number, B: number): Uint32Array {
  const words = randomBits(k, B);
  return Uint32Array.from(words, (w) => Math.floor((w / 2 ** 32) * n));
}

/** The default seed-derived key for a purpose (so models and experiments agree on streams). */
export function purposeKey(seed: number, purpose: number): PRNGKey {
  return foldIn(makeKey(seed), purpose);
}

/**
 * Importance-sampling estimate of log p(x) per data point, log (1/K) Σ_k p(x, z_k)/q(z_k | x) with
 * z_k ~ q (the IWAE bound with K samples; a lower bound in expectation), for the first n rows of
 * `images`, in chunks of `chunk` data points (no gradients). Returns the per-point values (float64).
 */
export function importanceLogLikelihood(
  k: PRNGKey,
  problem: Problem,
  theta: unknown,
  phi: unknown,
  images: Float32Array,
  n: number,
  samples: number,
  options: { chunk?: number; sampleChunk?: number } = {},
): Float64Array {
  const chunk = options.chunk ?? 25;
  const sampleChunk = options.sampleChunk ?? samples;
  const th = stopGradient(theta);
  const ph = stopGradient(phi);
  const out = new Float64Array(n);
  const keys = split(k, Math.ceil(n / chunk));
  for (let c = 0, ci = 0; c < n; c += chunk, ci++) {
    const m = Math.min(chunk, n - c);
    const idx = Uint32Array.from({ length: m }, (_, i) => c + i);
    const x = mnistBatch(images, idx);
    const q = problem.guide(ph, x);
    // Running log-sum-exp over sample chunks (float64).
    const mx = new Float64Array(m).fill(-Infinity);
    const acc = new Float64Array(m);
    const sk = split(keys[ci], Math.ceil(samples / sampleChunk));
    for (let s = 0, si = 0; s < samples; s += sampleChunk, si++) {
      const S = Math.min(sampleChunk, samples - s);
      const z = q.sample(sk[si], [S]);
      const lw = problem.logJoint(th, z, x).sub(q.logProb(z)).dataSync(); // [S, m]
      for (let i = 0; i < S; i++) {
        for (let b = 0; b < m; b++) {
          const v = lw[i * m + b];
          if (v === -Infinity) continue;
          if (v > mx[b]) {
            acc[b] = acc[b] * Math.exp(mx[b] - v) + 1;
            mx[b] = v;
          } else acc[b] += Math.exp(v - mx[b]);
        }
      }
    }
    for (let b = 0; b < m; b++) out[c + b] = mx[b] + Math.log(acc[b]) - Math.log(samples);
  }
  return out;
}

/** Mean of a Float64Array (or number array). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length === 0 ? NaN : s / values.length;
}

/** Standard error of the mean. */
export function standardError(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < n; i++) s += (values[i] - m) ** 2;
  return Math.sqrt(s / (n - 1) / n);
}
