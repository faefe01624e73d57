/**
 * Test models for the rejection-VI tests (docs/estimator-math.md §9.1, §9.4, §5.6) and small reference estimators
 * that exist only here: the score-function ELBO with leave-one-out baseline (docs/estimator-math.md §1.4), the
 * PUBLISHED-sign Theorem 2 variants of VRS (negative controls), and the reference code's
 * floor-free RVRS surrogate (negative control for ε > 0).
 */
import { stopGradient } from '../../src/autodiff/custom.js';
import { valueAndGrad } from '../../src/autodiff/transforms.js';
import { Categorical, Normal, Poisson } from '../../src/dist/index.js';
import { scalar, tensor } from '../../src/tensor/creation.js';
import { add, exp, ge, mul, oneHot, sum, where } from '../../src/tensor/ops/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { lgamma as lgamma64 } from '../../src/tensor/special.js';
import {
  covarianceCoefficients,
  logAcceptance,
  logAcceptance64,
  rejectionSample,
} from '../../src/vi/rejection-sampler.js';
import { exactRElbo1D, exactRElboFromLogDensities } from '../../src/vi/r-elbo-exact.js';
import type { Problem } from '../../src/vi/types.js';
import type { PRNGKey } from '../../src/random/key.js';

// ---- docs/estimator-math.md §9.4 small categorical model ----------------------------------------------------------

export const CAT = {
  K: 4,
  theta: [-1.0, -2.0, -0.5, -3.0],
  phi: [0.0, 0.5, -0.5, 1.0],
  q: [0.167405, 0.276004, 0.101536, 0.455054],
  logEvidence: 0.148017,
  posterior: [0.317265, 0.116715, 0.523082, 0.042937],
  elbo: -0.890294,
  /** The docs/estimator-math.md §9.4 R-ELBO table. */
  table: [
    {
      T: 2,
      rElbo: -0.500596,
      Z: 0.676709,
      r: [0.23303, 0.31964, 0.14672, 0.30061],
      dPhi: [0.173066, -0.150972, 0.252967, -0.27506],
      dTheta: [0.24597, 0.29483, 0.152961, 0.084937],
    },
    {
      T: 0,
      rElbo: -0.068294,
      Z: 0.337712,
      r: [0.34068, 0.26889, 0.25754, 0.13289],
      dPhi: [0.005293, -0.101989, 0.186638, -0.089942],
      dTheta: [0.356138, 0.157343, 0.291701, 0.023473],
    },
    {
      T: -2,
      rElbo: 0.124489,
      Z: 0.10758,
      r: [0.35671, 0.15966, 0.42192, 0.06172],
      dPhi: [-0.013371, -0.0123, 0.041509, -0.015838],
      dTheta: [0.330959, 0.116274, 0.477552, 0.041082],
    },
  ],
  tableMinus10: { T: -10, rElbo: 0.148017, Z: 5.3e-5, r: [0.31729, 0.11673, 0.52303, 0.04294] },
};

/** ℓp(z) = θ_z (θ free), q = softmax(φ); works for any batch shape of z. */
export const catProblem: Problem = {
  logJoint: (theta: Tensor, z: Tensor) => sum(mul(oneHot(z, 4), theta), -1),
  guide: (phi: Tensor) => new Categorical({ logits: phi }),
};

/** Guide with a batch of B identical copies (phi of shape [B, 4], or [4] broadcast). */
export const catBatchProblem = (B: number): Problem => ({
  logJoint: (theta: Tensor, z: Tensor) => sum(mul(oneHot(z, 4), theta), -1),
  guide: (phi: Tensor) => new Categorical({ logits: phi.ndim === 1 ? phi.reshape([1, 4]).broadcastTo([B, 4]) : phi }),
});

export const catSupport = tensor([0, 1, 2, 3]);

/** float64 log softmax. */
export function logSoftmax64(v: readonly number[]): number[] {
  const m = Math.max(...v);
  const l = m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
  return v.map((x) => x - l);
}

/** Exact R-ELBO of the categorical model in float64 (θ, φ as numbers). */
export function catExact(theta: readonly number[], phi: readonly number[], T: number, eps = 0) {
  return exactRElboFromLogDensities(theta, logSoftmax64(phi), { threshold: T, acceptanceFloor: eps });
}

/** Exact dR/dφ and dR/dθ of the categorical model (float64): score of softmax is e_z − q. */
export function catExactGrad(
  theta: readonly number[],
  phi: readonly number[],
  T: number,
  eps = 0,
): { dPhi: number[]; dTheta: number[]; res: ReturnType<typeof catExact> } {
  const res = catExact(theta, phi, T, eps);
  const q = logSoftmax64(phi).map(Math.exp);
  const dPhi = [0, 0, 0, 0];
  const dTheta = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) dPhi[j] += res.phiCoef[i] * ((i === j ? 1 : 0) - q[j]);
    dTheta[i] += res.thetaCoef[i];
  }
  return { dPhi, dTheta, res };
}

/** All S-tuples of {0..K-1}. */
export function tuples(K: number, S: number): number[][] {
  const out: number[][] = [];
  const rec = (prefix: number[]): void => {
    if (prefix.length === S) {
      out.push(prefix.slice());
      return;
    }
    for (let k = 0; k < K; k++) rec([...prefix, k]);
  };
  rec([]);
  return out;
}

/** The gradient (of the objective, i.e. −∇loss) of an estimator-like loss function of (theta, phi). */
export function objectiveGrad(
  lossFn: (theta: Tensor, phi: Tensor) => Tensor,
  theta: Tensor,
  phi: Tensor,
): { dTheta: number[]; dPhi: number[] } {
  const [, g] = valueAndGrad(lossFn, [0, 1])(theta, phi);
  return {
    dTheta: Array.from((g[0] as Tensor).dataSync(), (v) => -v),
    dPhi: Array.from((g[1] as Tensor).dataSync(), (v) => -v),
  };
}

// ---- reference surrogates (test-only) ------------------------------------------------------

/**
 * Score-function ELBO with leave-one-out baseline (docs/estimator-math.md §1.4), on fixed draws z [S]: returns the
 * LOSS.
 */
export function sfLooLoss(problem: Problem, theta: Tensor, phi: Tensor, z: Tensor): Tensor {
  const S = z.shape[0];
  const q = problem.guide(phi, undefined);
  const lp = problem.logJoint(theta, z, undefined);
  const lq = q.logProb(z);
  const lw = lp.sub(lq).dataSync();
  let mean = 0;
  for (let s = 0; s < S; s++) mean += lw[s] / S;
  const c = tensor(Array.from(lw, (v) => (v - mean) / (S - 1)));
  return add(lp.mean(0), sum(mul(c, lq), 0)).neg();
}

export type PublishedVariant = 'published' | 'swappedLabels' | 'minusSoftplusA' | 'minusThetaCov';

/**
 * VRS surrogate LOSS on fixed accepted draws with the deviations of the published Theorem 2
 * (docs/estimator-math.md §5.3 errata). 'published' combines all three:
 *  - swappedLabels: the weights of the two covariance terms are exchanged between φ and θ, i.e.
 *    ∇_φ = Cov_r(A, (1 − a) s_φ) and ∇_θ = E_r[∇ℓp] + Cov_r(A, a ∇ℓp);
 *  - minusSoftplusA: A = lw − softplus(l) (main-text sign; l = −(lw + T)) instead of lw + softplus(l);
 *  - minusThetaCov: the θ covariance term enters with a − sign.
 * Implemented as a surrogate with constant weights: θ part (1/S)Σℓp ± Σ c_s w_θ(z_s) ℓp(z_s),
 * φ part Σ c_s w_φ(z_s) ℓq(z_s), c_s = (A_s − Ā)/(S − 1), w = a or 1 − a (constants).
 */
export function publishedVrsLoss(
  variant: PublishedVariant,
  problem: Problem,
  theta: Tensor,
  phi: Tensor,
  z: Tensor,
  T: number,
): Tensor {
  const swapped = variant === 'published' || variant === 'swappedLabels';
  const minusA = variant === 'published' || variant === 'minusSoftplusA';
  const minusTheta = variant === 'published' || variant === 'minusThetaCov';
  const S = z.shape[0];
  const q = problem.guide(phi, undefined);
  const lp = problem.logJoint(theta, z, undefined);
  const lq = q.logProb(z);
  const lw = lp.sub(lq).dataSync();
  const A = Array.from(lw, (v) => {
    const la = logAcceptance64(v, T);
    return minusA ? v + la : v - la; // lw − softplus(l) = lw + log a; correct: lw − log a
  });
  const Abar = A.reduce((s, v) => s + v, 0) / S;
  const a = Array.from(lw, (v) => Math.exp(logAcceptance64(v, T)));
  const wPhi = a.map((ai) => (swapped ? 1 - ai : ai));
  const wTheta = a.map((ai) => (swapped ? ai : 1 - ai));
  const sign = minusTheta ? -1 : 1;
  const cTheta = tensor(A.map((Ai, s) => (sign * (Ai - Abar) * wTheta[s]) / (S - 1)));
  const cPhi = tensor(A.map((Ai, s) => ((Ai - Abar) * wPhi[s]) / (S - 1)));
  return add(add(lp.mean(0), sum(mul(cTheta, lp), 0)), sum(mul(cPhi, lq), 0)).neg();
}

// ---- docs/estimator-math.md §9.1 1-D conjugate Gaussian (x = 1, μ0 = 0, σ0 = σx = 1) ------------------------------

export const GAUSS = {
  x: 1,
  logEvidence: -1.5155121,
  postMean: 0.5,
  postVar: 0.5,
  /** (m, s, T, R-ELBO, Z_R) rows of the docs/estimator-math.md §9.1 table. */
  rows: [
    { m: 0, s: 1, T: Infinity, rElbo: -1.918939, Z: 1 },
    { m: 0, s: 1, T: 2, rElbo: -1.56237, Z: 0.543401 },
    { m: 0, s: 1, T: 0, rElbo: -1.518749, Z: 0.170075 },
    { m: 0, s: 1, T: -2, rElbo: -1.515594, Z: 0.028578 },
    { m: 0, s: 1, T: -5, rElbo: -1.515512, Z: 0.001477 },
    { m: 0.7, s: 2 / 3, T: Infinity, rElbo: -1.558848, Z: 1 },
    { m: 0.7, s: 2 / 3, T: 2, rElbo: -1.535382, Z: 0.606241 },
    { m: 0.7, s: 2 / 3, T: 0, rElbo: -1.51805, Z: 0.177411 },
    { m: 0.7, s: 2 / 3, T: -2, rElbo: -1.515598, Z: 0.028782 },
  ],
  posteriorZ: [
    { T: 2, Z: 0.618807 },
    { T: 0, Z: 0.180123 },
  ],
  /** RVRS gradient references (ε = 0): q = N(m, s²), parameters m and log s. */
  gradRows: [
    { m: 0.2, s: 1.5, T: 0, rElbo: -1.520241, Z: 0.163274, dm: 0.001754, dlogs: -0.009436, dT: -0.0077 },
    { m: 0.2, s: 1.5, T: -1, rElbo: -1.51634, Z: 0.071543, dm: 0.000333, dlogs: -0.001793, dT: -0.001519 },
    { m: 1.0, s: 0.5, T: 0, rElbo: -1.616879, Z: 0.149347, dm: -0.331457, dlogs: 0.392883, dT: -0.051629 },
  ],
};

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log p(x = 1, z) = log N(z; μ0, 1) + log N(1; z, 1) (float64). */
export const gaussLogp64 = (z: number, mu0 = 0): number =>
  -HALF_LOG_2PI - 0.5 * (z - mu0) ** 2 - HALF_LOG_2PI - 0.5 * (GAUSS.x - z) ** 2;

/** log p(x = 1, z) with θ = μ0 (a scalar tensor or undefined for μ0 = 0), for z of any shape. */
export function gaussLogJoint(theta: Tensor | undefined, z: Tensor): Tensor {
  const mu0 = theta ?? 0;
  const prior = new Normal(mu0, 1).logProb(z);
  const lik = new Normal(z, 1).logProb(scalar(GAUSS.x));
  return add(prior, lik);
}

/** φ = { m, logS } (tensors of shape [] or [B]) → q = N(m, exp(logS)²). */
export const gaussProblem: Problem = {
  logJoint: (theta: Tensor | undefined, z: Tensor) => gaussLogJoint(theta, z),
  guide: (phi: { m: Tensor; logS: Tensor }) => new Normal(phi.m, exp(phi.logS)),
};

/** Exact quantities for q = N(m, s²) by quadrature; dPhi = [∂/∂m, ∂/∂log s], dTheta = [∂/∂μ0]. */
export function gaussExact(m: number, s: number, T: number, eps = 0, mu0 = 0, points = 40001) {
  const lo = Math.min(m - 14 * s, -14);
  const hi = Math.max(m + 14 * s, 14);
  return exactRElbo1D(
    {
      logp: (z) => gaussLogp64(z, mu0),
      logq: (z) => -HALF_LOG_2PI - Math.log(s) - 0.5 * ((z - m) / s) ** 2,
      dlogq: (z) => [(z - m) / (s * s), ((z - m) / s) ** 2 - 1],
      dlogp: (z) => [z - mu0],
      dlwdz: (z) => -(z - mu0) + (GAUSS.x - z) + (z - m) / (s * s),
      dzdphi: (z) => [1, z - m],
      lower: lo,
      upper: hi,
      points,
    },
    { threshold: T, acceptanceFloor: eps },
  );
}

/** φ with B identical replicates (each data point its own parameters: per-replicate gradients). */
export function gaussPhi(m: number, s: number, B: number): { m: Tensor; logS: Tensor } {
  return {
    m: Tensor.fromData(new Float32Array(B).fill(m), [B]),
    logS: Tensor.fromData(new Float32Array(B).fill(Math.log(s)), [B]),
  };
}

/**
 * The reference code's RVRS surrogate LOSS (docs/estimator-math.md §6.3): A and its centred copy formed
 * with the floor-free log σ(lw + T) instead of log a_ε. Negative control for ε > 0. One call, B
 * replicates, φ = { m, logS } of shape [B].
 */
export function referenceCodeRvrsLoss(
  key: PRNGKey,
  phi: { m: Tensor; logS: Tensor },
  S: number,
  T: number,
  eps: number,
): Tensor {
  const q = gaussProblem.guide(phi, undefined);
  const B = q.batchShape[0];
  const res = rejectionSample(key, q, (z) => gaussLogJoint(undefined, z), {
    samples: S,
    threshold: T,
    acceptanceFloor: eps,
    reparameterized: true,
  });
  const z = q.fromNoise(res.noise!);
  const qd = q.detach();
  const lwp = gaussLogJoint(undefined, z).sub(qd.logProb(z));
  const lwd = lwp.dataSync();
  const Afree = Float64Array.from(lwd, (v) => v - logAcceptance64(v, T, 0));
  const c = covarianceCoefficients(Afree, res.mask.dataSync(), S, B);
  const lam = eps / (1 - eps);
  const sig = lwp.add(T).sigmoid();
  const ratio = sig.square().add(lam).div(sig.add(lam));
  const ratioSg = stopGradient(ratio);
  const laEps = logAcceptance(lwp, T, eps);
  const aLogSigma = lwp.sub(logAcceptance(lwp, T, 0)); // Az of the reference code (floor-free)
  const cMean = Tensor.fromData(c.mean, [S, B]);
  const cCov = Tensor.fromData(c.cov, [S, B]);
  const sur = add(mul(mul(ratioSg, aLogSigma), cMean), mul(add(mul(ratioSg, laEps), ratio), cCov));
  return sum(sur).neg();
}

// ---- docs/estimator-math.md §5.6 truncated Poisson ----------------------------------------------------------------

export const POISSON = {
  logEps: -100,
  cut: 5,
  rate: 10,
  support: 400,
  T: 50,
  table: [
    { rate: 5, rElbo: -1.028072, dPhi: 1.76143, Z: 0.5595, elbo: -43.362 },
    { rate: 8, rElbo: -0.20629, dPhi: 1.386864, Z: 0.9004, elbo: -9.722 },
    { rate: 10, rElbo: -0.029689, dPhi: 0.0, Z: 0.9707, elbo: -2.795 },
    { rate: 12, rElbo: -0.207192, dPhi: -2.105184, Z: 0.9924, elbo: -0.915 },
    { rate: 20, rElbo: -3.863151, dPhi: -13.860086, Z: 1.0, elbo: -3.865 },
  ],
  logMass: -0.029689,
};

/** Target log P(z): Poisson(10) for z ≥ 5, log ε = −100 below (unnormalized). */
export const poissonProblem: Problem = {
  logJoint: (_theta: unknown, z: Tensor) =>
    where(ge(z, POISSON.cut), new Poisson(POISSON.rate).logProb(z), POISSON.logEps),
  guide: (phi: Tensor) => new Poisson(exp(phi)),
};

const poissonLogPmf64 = (z: number, rate: number): number => z * Math.log(rate) - rate - lgamma64(z + 1);

/** Exact float64 R-ELBO etc. on z < 400 for Q = Poisson(rate); dPhi by the score z − rate. */
export function poissonExact(rate: number, T = POISSON.T) {
  const n = POISSON.support;
  const lp = new Float64Array(n);
  const lq = new Float64Array(n);
  for (let z = 0; z < n; z++) {
    lp[z] = z >= POISSON.cut ? poissonLogPmf64(z, POISSON.rate) : POISSON.logEps;
    lq[z] = poissonLogPmf64(z, rate);
  }
  const res = exactRElboFromLogDensities(lp, lq, { threshold: T });
  let dPhi = 0;
  for (let z = 0; z < n; z++) dPhi += res.phiCoef[z] * (z - rate);
  return { ...res, dPhi };
}
