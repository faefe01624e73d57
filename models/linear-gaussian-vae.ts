/**
 * A linear-Gaussian VAE (probabilistic PCA) for testing conditional samplers: every conditional it
 * defines is Gaussian and known in closed form (docs/estimator-math.md §9.3):
 *
 *   p(z)      = N(0, I_d)
 *   p(x | z)  = N(W z + b, Ψ),  Ψ = diag(noiseStd²)                              W [D, d], b [D]
 *   q(z | x̃)  = N(x̃ A + c, L Lᵀ)                                        A [D, d], c [d], L [d, d]
 *
 *   p(z | x_o)   = N(μ_o, Σ_o),  Σ_o = (I + W_oᵀ Ψ_o⁻¹ W_o)⁻¹,  μ_o = Σ_o W_oᵀ Ψ_o⁻¹ (x_o − b_o)
 *   p(x_m | x_o) = N(W_m μ_o + b_m, W_m Σ_o W_mᵀ + Ψ_m)
 *   p(x_o)       = N(b_o, W_o W_oᵀ + Ψ_o)
 *
 * The encoder is linear with a fixed covariance, so it can be exactly the full-data posterior
 * p(z | x) (`exactEncoder`), a deliberately biased version of it (`biasedEncoder`: mean
 * 0.8·μ(x̃) + 0.1, covariance 1.6·Σ), or a fixed N(μ, Σ) that ignores x̃ (`fixedEncoder`, e.g. the
 * exact p(z | x_o) of one data point). The closed forms are computed in float64 on plain arrays.
 */
import { MultivariateNormal, Normal } from '../src/dist/index.js';
import { fail } from '../src/errors.js';
import { ones, tensor, zeros } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import type { ConditionalVae } from '../src/conditional/types.js';

export type Matrix = number[][];

export interface LinearGaussianDecoder {
  /** Loadings W as nested arrays [D][d], offsets b [D] and noise standard deviations [D]. */
  W: Matrix;
  b: number[];
  noiseStd: number[];
}

export interface LinearEncoder {
  A: Matrix;
  c: number[];
  scaleTril: Matrix;
}

/** The parameter pytree the VAE runs on (tensors). */
export interface LinearGaussianVaeParams {
  decoder: { W: Tensor; b: Tensor; noiseStd: Tensor };
  encoder: { A: Tensor; c: Tensor; scaleTril: Tensor };
}

export const linearGaussianVae: ConditionalVae<LinearGaussianVaeParams> = {
  prior: (p) => new Normal(zeros([p.decoder.W.shape[1]]), ones([p.decoder.W.shape[1]])).toEvent(1),
  decoder: (p, z) => new Normal(z.matmul(p.decoder.W.T).add(p.decoder.b), p.decoder.noiseStd),
  encoder: (p, x) => new MultivariateNormal(x.matmul(p.encoder.A).add(p.encoder.c), p.encoder.scaleTril),
};

/** Tensors for a decoder and an encoder given as arrays. */
export function linearGaussianParams(decoder: LinearGaussianDecoder, encoder: LinearEncoder): LinearGaussianVaeParams {
  return {
    decoder: { W: tensor(decoder.W), b: tensor(decoder.b), noiseStd: tensor(decoder.noiseStd) },
    encoder: { A: tensor(encoder.A), c: tensor(encoder.c), scaleTril: tensor(encoder.scaleTril) },
  };
}

// ---- small float64 linear algebra ---------------------------------------------------------------

export function transpose(a: Matrix): Matrix {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

export function matvec(a: Matrix, v: number[]): number[] {
  return a.map((row) => row.reduce((s, x, k) => s + x * v[k], 0));
}

/** Inverse of a symmetric positive definite matrix by Gauss–Jordan elimination with partial pivoting. */
export function inverse(a: Matrix): Matrix {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    const p = m[col][col];
    if (p === 0) fail('inverse', 'matrix is singular');
    for (let j = 0; j < 2 * n; j++) m[col][j] /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[col][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/** Lower Cholesky factor of a symmetric positive definite matrix. */
export function cholesky(a: Matrix): Matrix {
  const n = a.length;
  const l: Matrix = a.map(() => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0)) fail('cholesky', `matrix is not positive definite (pivot ${s} at ${i})`);
        l[i][i] = Math.sqrt(s);
      } else {
        l[i][j] = s / l[j][j];
      }
    }
  }
  return l;
}

function logDet(a: Matrix): number {
  return 2 * cholesky(a).reduce((s, row, i) => s + Math.log(row[i]), 0);
}

// ---- closed forms ---------------------------------------------------------------------------------

export interface Gaussian64 {
  mean: number[];
  cov: Matrix;
}

function rows<T>(a: T[], idx: number[]): T[] {
  return idx.map((i) => a[i]);
}

/** p(z | x_o) for one data point x [D] with observed[d] true where x_d is observed. */
export function posteriorGivenObserved(dec: LinearGaussianDecoder, x: number[], observed: boolean[]): Gaussian64 {
  const o = observed.flatMap((v, i) => (v ? [i] : []));
  const d = dec.W[0].length;
  const Wo = rows(dec.W, o);
  const precision = Array.from({ length: d }, (_, i) =>
    Array.from(
      { length: d },
      (_, j) => (i === j ? 1 : 0) + o.reduce((s, r, k) => s + (Wo[k][i] * Wo[k][j]) / dec.noiseStd[r] ** 2, 0),
    ),
  );
  const cov = inverse(precision);
  const rhs = Array.from({ length: d }, (_, i) =>
    o.reduce((s, r, k) => s + (Wo[k][i] * (x[r] - dec.b[r])) / dec.noiseStd[r] ** 2, 0),
  );
  return { mean: matvec(cov, rhs), cov };
}

/** p(x_m | x_o): mean and covariance over the missing coordinates, in increasing index order. */
export function conditionalOfMissing(dec: LinearGaussianDecoder, x: number[], observed: boolean[]): Gaussian64 {
  const m = observed.flatMap((v, i) => (v ? [] : [i]));
  const post = posteriorGivenObserved(dec, x, observed);
  const Wm = rows(dec.W, m);
  const cov = matmul(matmul(Wm, post.cov), transpose(Wm)).map((row, i) =>
    row.map((v, j) => v + (i === j ? dec.noiseStd[m[i]] ** 2 : 0)),
  );
  return { mean: matvec(Wm, post.mean).map((v, i) => v + dec.b[m[i]]), cov };
}

/** log p(x_o) = log N(x_o; b_o, W_o W_oᵀ + Ψ_o). */
export function logMarginalObserved(dec: LinearGaussianDecoder, x: number[], observed: boolean[]): number {
  const o = observed.flatMap((v, i) => (v ? [i] : []));
  const Wo = rows(dec.W, o);
  const cov = matmul(Wo, transpose(Wo)).map((row, i) => row.map((v, j) => v + (i === j ? dec.noiseStd[o[i]] ** 2 : 0)));
  const r = o.map((i) => x[i] - dec.b[i]);
  const quad = r.reduce((s, ri, i) => s + ri * matvec(inverse(cov), r)[i], 0);
  return -0.5 * (o.length * Math.log(2 * Math.PI) + logDet(cov) + quad);
}

/** The encoder equal to the full-data posterior p(z | x) = N(A x + c, Σ), Σ = (I + Wᵀ Ψ⁻¹ W)⁻¹. */
export function exactEncoder(dec: LinearGaussianDecoder): LinearEncoder {
  const all = dec.b.map(() => true);
  const cov = posteriorGivenObserved(dec, dec.b, all).cov; // Σ does not depend on x
  // μ(x) = Σ Wᵀ Ψ⁻¹ (x − b): as a row-vector map x A + c, A = Ψ⁻¹ W Σ (Σ symmetric), c = −b A.
  const A = dec.W.map((row, i) => matvec(cov, row).map((v) => v / dec.noiseStd[i] ** 2));
  const c = A[0].map((_, j) => -dec.b.reduce((s, bi, i) => s + bi * A[i][j], 0));
  return { A, c, scaleTril: cholesky(cov) };
}

/** The biased encoder of the tests: mean 0.8·μ(x̃) + 0.1, covariance 1.6·Σ of the exact one. */
export function biasedEncoder(
  dec: LinearGaussianDecoder,
  meanScale = 0.8,
  meanShift = 0.1,
  covScale = 1.6,
): LinearEncoder {
  const e = exactEncoder(dec);
  return {
    A: e.A.map((row) => row.map((v) => meanScale * v)),
    c: e.c.map((v) => meanScale * v + meanShift),
    scaleTril: e.scaleTril.map((row) => row.map((v) => Math.sqrt(covScale) * v)),
  };
}

/** An encoder that ignores its input: always N(mean, cov) (e.g. the exact p(z | x_o) of one data point). */
export function fixedEncoder(g: Gaussian64, dims: number): LinearEncoder {
  return { A: Array.from({ length: dims }, () => g.mean.map(() => 0)), c: g.mean.slice(), scaleTril: cholesky(g.cov) };
}
