/**
 * The 1-D conjugate Gaussian of docs/estimator-math.md §9.1 (a global latent; every quantity has a closed form):
 *
 *   z ~ N(μ0, σ0²),   x | z ~ N(z, σx²),   x = 1,   μ0 = 0, σ0 = σx = 1 by default,
 *   log p(x) = log N(x; μ0, σ0² + σx²) = −½ log(4π) − ¼ = −1.5155121,
 *   posterior N(μp, σp²) = N(0.5, 0.5).
 *
 * Guide: q(z) = N(m, s²) with φ = { m, logS } (s = e^logS), initialized at the prior (m = 0, s = 1).
 * θ = {} by default (prior mean fixed at 0, so the docs/estimator-math.md §9.1 reference values hold); with
 * `{ learnPriorMean: true }` θ = { mu0 } is a model parameter (its maximum-likelihood value is
 * μ0 = x). The guide's batch shape is [], so `batch` returns the single observation x every step.
 *
 * `evaluate` reports the exact ELBO of the fitted q, log p(x), KL(q ‖ posterior) and the errors of
 * the fitted mean and standard deviation (float64 closed forms).
 */
import { Normal } from '../src/dist/normal.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Problem } from '../src/vi/types.js';
import type { FitModel, ModelOptions, ModelSpec } from './types.js';

export interface ConjugateGaussianTheta {
  /** Prior mean μ0 (absent: 0). */
  mu0?: Tensor;
}

export interface ConjugateGaussianPhi {
  m: Tensor;
  logS: Tensor;
}

export const CONJUGATE_GAUSSIAN = {
  x: 1,
  mu0: 0,
  sigma0: 1,
  sigmaX: 1,
  /** −½ log(4π) − ¼. */
  logEvidence: -0.5 * Math.log(4 * Math.PI) - 0.25,
  posteriorMean: 0.5,
  posteriorVariance: 0.5,
} as const;

/** log p(x, z) for z of shape [S, ...] (x a number or a tensor broadcasting with z). */
export function conjugateGaussianLogJoint(
  theta: ConjugateGaussianTheta | undefined,
  z: Tensor,
  x: number | Tensor,
): Tensor {
  const mu0 = theta?.mu0 ?? CONJUGATE_GAUSSIAN.mu0;
  return new Normal(mu0, CONJUGATE_GAUSSIAN.sigma0).logProb(z).add(new Normal(z, CONJUGATE_GAUSSIAN.sigmaX).logProb(x));
}

export const conjugateGaussianProblem: Problem<ConjugateGaussianTheta | undefined, ConjugateGaussianPhi, number> = {
  logJoint: conjugateGaussianLogJoint,
  guide: (phi) => new Normal(phi.m, phi.logS.exp()),
};

/** The exact posterior N(μp, σp²) and log p(x) for prior mean mu0 (float64, docs/estimator-math.md §9.1). */
export function conjugateGaussianExact(mu0: number = CONJUGATE_GAUSSIAN.mu0, x: number = CONJUGATE_GAUSSIAN.x) {
  const s0 = CONJUGATE_GAUSSIAN.sigma0 ** 2;
  const sx = CONJUGATE_GAUSSIAN.sigmaX ** 2;
  const vp = 1 / (1 / s0 + 1 / sx);
  const mp = vp * (mu0 / s0 + x / sx);
  const v = s0 + sx;
  const logEvidence = -0.5 * Math.log(2 * Math.PI * v) - (x - mu0) ** 2 / (2 * v);
  return { posteriorMean: mp, posteriorVariance: vp, logEvidence };
}

/** Exact ELBO of q = N(m, s²) (float64, docs/estimator-math.md §9.1): log p(x) − KL(q ‖ posterior). */
export function conjugateGaussianElbo(
  m: number,
  s: number,
  mu0: number = CONJUGATE_GAUSSIAN.mu0,
  x: number = CONJUGATE_GAUSSIAN.x,
): { elbo: number; kl: number; logEvidence: number } {
  const ex = conjugateGaussianExact(mu0, x);
  const v = s * s;
  const kl = 0.5 * (Math.log(ex.posteriorVariance / v) + (v + (m - ex.posteriorMean) ** 2) / ex.posteriorVariance - 1);
  return { elbo: ex.logEvidence - kl, kl, logEvidence: ex.logEvidence };
}

const scalarT = (v: number): Tensor => Tensor.fromData(Float32Array.of(v), []);

/** Build the model (no data to load). */
export function makeConjugateGaussian(options: { learnPriorMean?: boolean } = {}): FitModel<number> {
  const theta: ConjugateGaussianTheta = options.learnPriorMean ? { mu0: scalarT(CONJUGATE_GAUSSIAN.mu0) } : {};
  return {
    name: 'gaussian',
    problem: conjugateGaussianProblem as Problem,
    theta,
    phi: { m: scalarT(0), logS: scalarT(0) } satisfies ConjugateGaussianPhi,
    latent: 'continuous',
    batch: () => CONJUGATE_GAUSSIAN.x,
    evaluate(th, ph) {
      const t = th as ConjugateGaussianTheta;
      const p = ph as ConjugateGaussianPhi;
      const mu0 = t?.mu0 ? t.mu0.item() : CONJUGATE_GAUSSIAN.mu0;
      const m = p.m.item();
      const s = Math.exp(p.logS.item());
      const ex = conjugateGaussianExact(mu0);
      const e = conjugateGaussianElbo(m, s, mu0);
      return {
        exactElbo: e.elbo,
        logEvidence: e.logEvidence,
        klToPosterior: e.kl,
        meanError: Math.abs(m - ex.posteriorMean),
        sdError: Math.abs(s - Math.sqrt(ex.posteriorVariance)),
      };
    },
  };
}

export const conjugateGaussianModel: ModelSpec = {
  name: 'gaussian',
  description: '1-D conjugate Gaussian: z ~ N(0,1), x|z ~ N(z,1), x = 1; q = N(m, s²); exact posterior N(0.5, 0.5)',
  latent: 'continuous',
  build: async (_options: ModelOptions) => makeConjugateGaussian(),
};
