/**
 * The D-dimensional Gaussian toy of docs/estimator-math.md §9.2 (Rainforth et al. 2018; used by the OVIS code for
 * its SNR study), with local latents:
 *
 *   z_n ~ N(μ, I_D),   x_n | z_n ~ N(z_n, I_D),   D = 20,   n = 1..1024,
 *   data generated from μ_true ~ N(0, I_D) (drawn from the seed), so p(x) = N(x; μ, 2I) and the
 *   posterior is N((x + μ)/2, I/2).
 *
 * θ = { mu } (the prior mean, initialized at 0; its maximum-likelihood value μ* is the data mean).
 * Encoder q(z | x) = N(A x + b, (2/3)² I) with the standard deviation fixed at 2/3; φ = { A, b }
 * (initialized at 0). Optimum: A = I/2, b = μ* / 2. The guide's batch shape is the minibatch [B] and
 * `problem.datasetSize` = 1024, so minibatch losses are scaled to the whole data set.
 *
 * `evaluate` gives the exact log-likelihood Σ_n log p(x_n), the exact ELBO over the data set (the
 * KL between Gaussians in closed form) and the distances of θ and φ to the optimum (float64).
 */
import { Normal } from '../src/dist/index.js';
import { normal as normalDraws, uniform } from '../src/random/continuous.js';
import { foldIn, key as makeKey, split, type PRNGKey } from '../src/random/key.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Problem } from '../src/vi/types.js';
import type { FitModel, ModelOptions, ModelSpec } from './types.js';

export const GAUSSIAN_TOY = {
  dim: 20,
  dataPoints: 1024,
  /** The encoder's fixed standard deviation. */
  scale: 2 / 3,
  defaultBatchSize: 64,
} as const;

export interface GaussianToyTheta {
  mu: Tensor;
}

export interface GaussianToyPhi {
  A: Tensor;
  b: Tensor;
}

export interface GaussianToyData {
  /** The data x, [1024, D] (float32). */
  x: Tensor;
  /** μ_true, the mean the data were drawn from. */
  muTrue: Float64Array;
  /** μ* = the data mean (the maximum-likelihood prior mean). */
  dataMean: Float64Array;
}

/** The data set for a seed: μ_true ~ N(0, I), x_n = μ_true + z-noise + x-noise ~ N(μ_true, 2I). */
export function gaussianToyData(
  seed: number,
  D: number = GAUSSIAN_TOY.dim,
  n: number = GAUSSIAN_TOY.dataPoints,
): GaussianToyData {
  const [kMu, kX] = split(foldIn(makeKey(seed), 0x9a11), 2);
  const muTrue = Float64Array.from(normalDraws(kMu, [D]).dataSync());
  const eps = normalDraws(kX, [n, D]).dataSync();
  const x = new Float32Array(n * D);
  const dataMean = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) {
      const v = muTrue[d] + Math.SQRT2 * eps[i * D + d];
      x[i * D + d] = v;
      dataMean[d] += x[i * D + d] / n;
    }
  }
  return { x: Tensor.fromData(x, [n, D]), muTrue, dataMean };
}

/** log p(x, z) for z [S, ...batch, D] and x [...batch, D] → [S, ...batch]. */
export function gaussianToyLogJoint(theta: GaussianToyTheta, z: Tensor, x: Tensor): Tensor {
  return new Normal(theta.mu, 1).logProb(z).sum(-1).add(new Normal(z, 1).logProb(x).sum(-1));
}

/** q(z | x) = N(x Aᵀ + b, (2/3)² I), batch shape x.shape[:-1], event [D]. */
export function gaussianToyGuide(phi: GaussianToyPhi, x: Tensor) {
  return new Normal(x.matmul(phi.A.transpose()).add(phi.b), GAUSSIAN_TOY.scale).toEvent(1);
}

export const gaussianToyProblem: Problem<GaussianToyTheta, GaussianToyPhi, Tensor> = {
  logJoint: gaussianToyLogJoint,
  guide: gaussianToyGuide,
  datasetSize: GAUSSIAN_TOY.dataPoints,
};

const zerosT = (shape: number[]): Tensor => Tensor.fromData(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);

/** The optimum θ = μ*, A = I/2, b = μ* / 2 (float32 tensors). */
export function gaussianToyOptimum(data: GaussianToyData): { theta: GaussianToyTheta; phi: GaussianToyPhi } {
  const D = data.dataMean.length;
  const A = new Float32Array(D * D);
  for (let d = 0; d < D; d++) A[d * D + d] = 0.5;
  return {
    theta: { mu: Tensor.fromData(Float32Array.from(data.dataMean), [D]) },
    phi: {
      A: Tensor.fromData(A, [D, D]),
      b: Tensor.fromData(
        Float32Array.from(data.dataMean, (v) => v / 2),
        [D],
      ),
    },
  };
}

/** Exact Σ_n log p(x_n), Σ_n ELBO_n and distances to the optimum (float64). */
export function gaussianToyEvaluate(
  data: GaussianToyData,
  theta: GaussianToyTheta,
  phi: GaussianToyPhi,
): Record<string, number> {
  const [n, D] = data.x.shape;
  const x = data.x.dataSync();
  const mu = theta.mu.dataSync();
  const A = phi.A.dataSync();
  const b = phi.b.dataSync();
  const s2 = GAUSSIAN_TOY.scale ** 2;
  const vp = 0.5;
  let logLik = 0;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) {
      const xi = x[i * D + d];
      logLik += -0.5 * Math.log(2 * Math.PI * 2) - (xi - mu[d]) ** 2 / 4;
      let m = b[d];
      for (let j = 0; j < D; j++) m += A[d * D + j] * x[i * D + j];
      const mp = (xi + mu[d]) / 2;
      kl += 0.5 * (Math.log(vp / s2) + (s2 + (m - mp) ** 2) / vp - 1);
    }
  }
  let muErr = 0;
  let bErr = 0;
  let aErr = 0;
  for (let d = 0; d < D; d++) {
    muErr += (mu[d] - data.dataMean[d]) ** 2;
    bErr += (b[d] - data.dataMean[d] / 2) ** 2;
    for (let j = 0; j < D; j++) aErr += (A[d * D + j] - (d === j ? 0.5 : 0)) ** 2;
  }
  return {
    logLikelihood: logLik,
    exactElbo: logLik - kl,
    klToPosterior: kl,
    muError: Math.sqrt(muErr),
    AError: Math.sqrt(aErr),
    bError: Math.sqrt(bErr),
  };
}

/** Build the model for a seed (data drawn from the seed) and minibatch size. */
export function makeGaussianToy(options: { seed: number; batchSize?: number }): FitModel<Tensor> {
  const data = gaussianToyData(options.seed);
  const [n, D] = data.x.shape;
  const B = Math.min(options.batchSize ?? GAUSSIAN_TOY.defaultBatchSize, n);
  return {
    name: 'gaussian-toy',
    problem: gaussianToyProblem as Problem,
    theta: { mu: zerosT([D]) } satisfies GaussianToyTheta,
    phi: { A: zerosT([D, D]), b: zerosT([D]) } satisfies GaussianToyPhi,
    latent: 'continuous',
    batch(k: PRNGKey): Tensor {
      if (B === n) return data.x;
      const u = uniform(k, [B]).dataSync();
      const idx = Array.from(u, (v) => Math.min(n - 1, Math.floor(v * n)));
      return data.x.take(idx, 0);
    },
    evaluate: (theta, phi) => gaussianToyEvaluate(data, theta as GaussianToyTheta, phi as GaussianToyPhi),
  };
}

export const gaussianToyModel: ModelSpec = {
  name: 'gaussian-toy',
  description:
    'D = 20 Gaussian toy of Rainforth et al. 2018: z ~ N(μ, I), x|z ~ N(z, I), 1024 points; ' +
    'encoder N(Ax + b, (2/3)² I); local latents, minibatches',
  latent: 'continuous',
  build: async (options: ModelOptions) => makeGaussianToy({ seed: options.seed, batchSize: options.batchSize }),
};
