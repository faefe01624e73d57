/**
 * The VRS diagnostic target of docs/estimator-math.md §5.6 (Grover et al. 2018, §5.1): a truncated Poisson.
 *
 *   P(z) ∝ Poisson(z; λ* = 10) for z ≥ c = 5,  ε (log ε = −100) for z < 5   (unnormalized),
 *   Q_φ(z) = Poisson(z; e^φ),  φ a free scalar,  optimum φ* = log 10.
 *
 * There is no data and no model parameter (θ = {}, x = undefined); the latent is discrete, so only
 * score-function estimators apply (VRS, VIMCO, VIMCO-★, score-function ELBO). With a rejection
 * threshold T = 50 the resampled proposal r ∝ Q·σ(log P − log Q + T) is Q with the mass below 5
 * removed, i.e. exactly P when φ = φ*: the R-ELBO then equals log Σ_z P(z) = −0.029689 and every
 * VRS gradient estimate is exactly 0 (A is constant on r's support). The plain ELBO is maximized at
 * rate ≈ 12.98 instead.
 *
 * `truncatedPoissonExact` gives the exact R-ELBO, dR/dφ, Z_R and ELBO by enumeration of z < 400
 * (float64, `exactRElboFromLogDensities`), reproducing the docs/estimator-math.md §5.6 table.
 */
import { Poisson } from '../src/dist/poisson.js';
import { ge, where } from '../src/tensor/ops/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { exactRElboFromLogDensities } from '../src/vi/r-elbo-exact.js';
import type { Problem } from '../src/vi/types.js';
import type { FitModel, ModelOptions, ModelSpec } from './types.js';

export const TRUNCATED_POISSON = {
  /** The target's rate λ* (φ* = log λ*). */
  rate: 10,
  /** Mass below `cut` is replaced by ε. */
  cut: 5,
  logEps: -100,
  /** Enumeration range z < support for the exact values. */
  support: 400,
  /** The threshold of the docs/estimator-math.md §5.6 experiment. */
  threshold: 50,
  /** log Σ_z P(z) (docs/estimator-math.md §5.6). */
  logMass: -0.029689,
  /** The plain-ELBO optimum rate (docs/estimator-math.md §5.6). */
  elboOptimumRate: 12.98,
} as const;

export interface TruncatedPoissonPhi {
  /** φ = log of the proposal's rate. */
  logRate: Tensor;
}

/** log P(z) (unnormalized) for z of any shape. */
export function truncatedPoissonLogTarget(z: Tensor): Tensor {
  return where(ge(z, TRUNCATED_POISSON.cut), new Poisson(TRUNCATED_POISSON.rate).logProb(z), TRUNCATED_POISSON.logEps);
}

export const truncatedPoissonProblem: Problem<unknown, TruncatedPoissonPhi, unknown> = {
  logJoint: (_theta, z) => truncatedPoissonLogTarget(z),
  guide: (phi) => new Poisson(phi.logRate.exp()),
};

let logFactorials: Float64Array | undefined;

/** log z! for z < support (float64, by cumulative sums). */
function logFactorial(z: number): number {
  if (logFactorials === undefined) {
    logFactorials = new Float64Array(TRUNCATED_POISSON.support);
    for (let k = 1; k < logFactorials.length; k++) logFactorials[k] = logFactorials[k - 1] + Math.log(k);
  }
  return logFactorials[z];
}

const poissonLogPmf64 = (z: number, rate: number): number => z * Math.log(rate) - rate - logFactorial(z);

export interface TruncatedPoissonExact {
  rate: number;
  /** R-ELBO at threshold T. */
  rElbo: number;
  /** dR-ELBO/dφ (score ∂log Q/∂φ = z − e^φ). */
  dPhi: number;
  /** Z_R = E_Q[a] (expected acceptance rate). */
  Z: number;
  /** Plain ELBO E_Q[log P − log Q]. */
  elbo: number;
  /** log Σ_z P(z). */
  logEvidence: number;
}

/** Exact R-ELBO, dR/dφ, Z_R and ELBO for Q = Poisson(rate) at threshold T, by enumeration of z < 400. */
export function truncatedPoissonExact(rate: number, T: number = TRUNCATED_POISSON.threshold): TruncatedPoissonExact {
  const n = TRUNCATED_POISSON.support;
  const lp = new Float64Array(n);
  const lq = new Float64Array(n);
  for (let z = 0; z < n; z++) {
    lp[z] = z >= TRUNCATED_POISSON.cut ? poissonLogPmf64(z, TRUNCATED_POISSON.rate) : TRUNCATED_POISSON.logEps;
    lq[z] = poissonLogPmf64(z, rate);
  }
  const res = exactRElboFromLogDensities(lp, lq, { threshold: T });
  let dPhi = 0;
  for (let z = 0; z < n; z++) dPhi += res.phiCoef[z] * (z - rate);
  return { rate, rElbo: res.rElbo, dPhi, Z: res.Z, elbo: res.elbo, logEvidence: res.logEvidence };
}

/** Build the model; φ starts at log 3 (below φ*), as in the VRS diagnostic's first run. */
export function makeTruncatedPoisson(initialRate = 3): FitModel<undefined> {
  return {
    name: 'truncated-poisson',
    problem: truncatedPoissonProblem as Problem,
    theta: {},
    phi: { logRate: Tensor.fromData(Float32Array.of(Math.log(initialRate)), []) } satisfies TruncatedPoissonPhi,
    latent: 'discrete',
    batch: () => undefined,
    evaluate(_theta, phi) {
      const logRate = (phi as TruncatedPoissonPhi).logRate.item();
      const ex = truncatedPoissonExact(Math.exp(logRate));
      return {
        logRate,
        phiError: Math.abs(logRate - Math.log(TRUNCATED_POISSON.rate)),
        exactRElbo: ex.rElbo,
        exactElbo: ex.elbo,
        acceptanceRate: ex.Z,
        logEvidence: ex.logEvidence,
      };
    },
  };
}

export const truncatedPoissonModel: ModelSpec = {
  name: 'truncated-poisson',
  description:
    'VRS diagnostic of Grover et al. 2018: Poisson(10) truncated below 5, q = Poisson(e^φ), φ* = log 10 ' +
    '(discrete; use VRS with T = 50)',
  latent: 'discrete',
  build: async (_options: ModelOptions) => makeTruncatedPoisson(),
};
