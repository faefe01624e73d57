/**
 * Variational rejection sampling (VRS, Grover et al. 2018; docs/estimator-math.md §5) with the score-function
 * covariance estimator of the R-ELBO, using the CORRECTED Theorem 2 (docs/estimator-math.md §5.3).
 *
 *   a_ε(z) = ε + (1 − ε) σ(lw(z) + T),  r ∝ q a_ε,  Z_R = E_q[a_ε],  A = lw − log a_ε
 *   R-ELBO = E_r[A] + log Z_R = log p(x) − KL(r ‖ p(·|x))
 *   ∇_φ R-ELBO = Cov_r(A, ∇_φ log γ_r)           ∇_φ log γ_r = ρ s_φ  (ρ = a for ε = 0)
 *   ∇_θ R-ELBO = E_r[∇_θ ℓp] + Cov_r(A, ∇_θ log γ_r)   ∇_θ log γ_r = k ∇_θ ℓp  (k = 1 − a for ε = 0)
 * with log γ_r = ℓq + log a_ε. (The published statement swaps the two labels, writes A with −[l]₊
 * and puts a − sign on the θ covariance; all three are wrong, see docs/estimator-math.md §5.3.)
 *
 * Surrogate (docs/estimator-math.md §5.4), z_s the S ≥ 2 accepted samples of the rejection sampler (constants):
 *   la_s  = log a_ε(ℓp_θ(z_s) − ℓq_φ(z_s))       (live θ, φ; T constant)
 *   A_s   = sg(ℓp − ℓq − la_s),  Ā = mean_s A_s
 *   S_VRS = (1/S) Σ_s ℓp_θ(z_s) + (1/(S−1)) Σ_s (A_s − Ā) · [ℓq_φ(z_s) + la_s]
 *   value = Ā + log Ẑ_R
 * T is never differentiated. With T = +Infinity, la ≡ 0, A = lw and S_VRS is exactly the
 * score-function ELBO surrogate with the leave-one-out baseline (docs/estimator-math.md §1.4).
 *
 * Ẑ_R: the mean of a_ε over every proposal counted by the sampler (log Ẑ_R is biased low, so the
 * value stays a conservative estimate). With `fixedDraws` (accepted samples given, e.g. by
 * `exactExpectation`), Ẑ_R is estimated from `normalizerSamples` independent proposals from q drawn
 * with `key`.
 *
 * Exhausted data points (fewer than S acceptances within `maxProposals`): with n ≥ 2 accepted
 * samples the estimator uses those n (unbiased given n); with n < 2 the data point is masked out of
 * the loss and the loss is renormalized by B / (number of unmasked points) (docs/estimator-math.md §6.7; biased,
 * reported in diagnostics.exhausted / diagnostics.masked).
 *
 * Diagnostics: samples, acceptanceRate (Ẑ_R per data point), logZ, proposals (total) and
 * proposalsPerPoint, rounds, threshold (per data point), exhausted, masked, firstLogA ([S, ...batch],
 * for adaptThreshold) and ess: the effective sample size 1/Σ W² of the weights W ∝ exp(A) = p/(q a)
 * over the accepted samples (S when r is the posterior; small when r is far from it).
 */
import { stopGradient } from '../autodiff/custom.js';
import type { Distribution } from '../dist/distribution.js';
import type { PRNGKey } from '../random/key.js';
import { fail } from '../errors.js';
import { shapeSize, shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, mul, sum, where } from '../tensor/ops/index.js';
import { checkDraws, checkSampleCount, dataScale, logJointOf, withInfo } from './common.js';
import { checkLogWeights } from './logweights.js';
import {
  checkFloor,
  covarianceCoefficients,
  finishMasked,
  logAcceptance,
  logAcceptance64,
  runRejectionSampler,
  thresholdPerPoint,
} from './rejection-sampler.js';
import type { CommonOptions, EstimatorResult, Problem, RejectionDiagnostics } from './types.js';

export interface VrsOptions extends CommonOptions {
  problem: Problem;
  /** Accepted samples per data point (S ≥ 2). */
  samples: number;
  /** T: a number, or a tensor broadcasting to the guide's batch shape (per data point); +Infinity allowed. */
  threshold: number | Tensor;
  /** ε ∈ [0, 1) (default 0): acceptance probability ε + (1 − ε) σ(lw + T). */
  acceptanceFloor?: number;
  /** Cap on proposals per data point (default 10,000). */
  maxProposals?: number;
  /** Accepted samples [S, ...batch, ...event] to use instead of sampling (exact enumeration, debugging). */
  fixedDraws?: Tensor;
  /** With fixedDraws: independent proposals from q used to estimate Z_R (default 100). */
  normalizerSamples?: number;
}

/** The accepted draws and what the sampler reports, or the fixed draws and an independent Ẑ_R. */
export interface AcceptedDraws {
  /** Accepted samples (vrs) or accepted noise (rvrs), constants. */
  draws: Tensor;
  mask: Tensor;
  maskData: Float32Array;
  logZ: Float64Array;
  /** What the sampler reports (everything of RejectionDiagnostics that does not need the estimate). */
  diagnostics: Pick<RejectionDiagnostics, 'proposals' | 'exhausted' | 'threshold'> &
    Partial<Pick<RejectionDiagnostics, 'proposalsPerPoint' | 'rounds' | 'firstLogA' | 'normalizerSamples'>>;
}

/** log Ẑ_R per data point from n independent proposals from q (float64). */
export function independentLogZ(
  op: string,
  key: PRNGKey,
  q: Distribution,
  logJoint: (z: Tensor) => Tensor,
  T: Float64Array,
  floor: number,
  n: number,
): Float64Array {
  const B = T.length;
  const out = new Float64Array(B);
  if (T.every((t) => t === Infinity)) return out; // a ≡ 1
  const qd = q.detach();
  const z = qd.sample(key, [n]);
  const lpT = logJoint(z).primal();
  const lqT = qd.logProb(z).primal();
  checkLogWeights(op, lpT.sub(lqT), { eachDraw: true });
  const lp = lpT.dataSync();
  const lq = lqT.dataSync();
  for (let b = 0; b < B; b++) {
    let m = -Infinity;
    const la = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      la[i] = logAcceptance64(lp[i * B + b] - lq[i * B + b], T[b], floor);
      m = Math.max(m, la[i]);
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(la[i] - m);
    out[b] = m + Math.log(s / n);
  }
  return out;
}

/** Run the sampler (or take fixed draws) for an estimator; shared by vrs and rvrs. */
export function acceptedDraws(
  op: string,
  key: PRNGKey,
  q: Distribution,
  logJoint: (z: Tensor) => Tensor,
  opts: {
    samples: number;
    threshold: number | Tensor;
    floor: number;
    maxProposals?: number;
    fixedDraws?: Tensor;
    normalizerSamples?: number;
    reparameterized: boolean;
    maxDrawElements?: number;
  },
): AcceptedDraws {
  const S = opts.samples;
  const batchShape = q.batchShape.slice();
  const B = shapeSize(batchShape);
  const T = thresholdPerPoint(op, opts.threshold, batchShape);
  if (opts.fixedDraws !== undefined) {
    const fixed = stopGradient(opts.fixedDraws);
    if (!opts.reparameterized) checkDraws(op, fixed, S, q);
    else {
      const expected = [S, ...q.noiseShapeSuffix];
      if (fixed.ndim !== expected.length || fixed.shape.some((d, i) => d !== expected[i])) {
        fail(
          op,
          `fixedDraws (accepted noise) of shape ${shapeToString(fixed.shape)} do not match [samples, ...noise shape] ` +
            `= ${shapeToString(expected)}`,
        );
      }
    }
    const n = opts.normalizerSamples ?? 100;
    checkSampleCount(op, n, 1, q, opts.maxDrawElements);
    const maskData = new Float32Array(S * B).fill(1);
    const logZ = independentLogZ(op, key, q, logJoint, T.values, opts.floor, n);
    return {
      draws: fixed,
      mask: Tensor.fromData(maskData, [S, ...batchShape]),
      maskData,
      logZ,
      diagnostics: { proposals: 0, exhausted: 0, threshold: T.tensor, normalizerSamples: n },
    };
  }
  const res = runRejectionSampler(op, key, q, logJoint, {
    samples: S,
    threshold: opts.threshold,
    acceptanceFloor: opts.floor,
    maxProposals: opts.maxProposals,
    reparameterized: opts.reparameterized,
    maxDrawElements: opts.maxDrawElements,
  });
  return {
    draws: opts.reparameterized ? res.noise! : res.value,
    mask: res.mask,
    maskData: res.mask.dataSync(),
    logZ: res.logZ,
    diagnostics: {
      proposals: res.totalProposals,
      proposalsPerPoint: Tensor.fromData(Float32Array.from(res.proposals), batchShape),
      rounds: res.rounds,
      exhausted: res.exhaustedCount,
      threshold: T.tensor,
      firstLogA: res.firstLogA,
    },
  };
}

export const vrs = withInfo(
  function vrs(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: VrsOptions,
  ): EstimatorResult<RejectionDiagnostics> {
    const op = 'vrs';
    const { problem, samples: S } = options;
    checkSampleCount(op, S, 2);
    const floor = checkFloor(op, options.acceptanceFloor);
    const q = problem.guide(phi, x);
    checkSampleCount(op, S, 2, q, options.maxDrawElements);
    const batchShape = q.batchShape.slice();
    const B = shapeSize(batchShape);
    const thetaSg = stopGradient(theta);
    const got = acceptedDraws(op, key, q, (z) => logJointOf(op, problem, thetaSg, z, x, q), {
      samples: S,
      threshold: options.threshold,
      floor,
      maxProposals: options.maxProposals,
      fixedDraws: options.fixedDraws,
      normalizerSamples: options.normalizerSamples,
      reparameterized: false,
      maxDrawElements: options.maxDrawElements,
    });
    const z = got.draws;
    const T = typeof options.threshold === 'number' ? options.threshold : got.diagnostics.threshold;
    const Tv = thresholdPerPoint(op, options.threshold, batchShape).values;

    const lp = logJointOf(op, problem, theta, z, x, q); // [S, ...batch], live θ
    const lq = q.logProb(z); // live φ
    const lw = lp.sub(lq);
    checkLogWeights(op, lw, { accepted: got.maskData });
    const la = logAcceptance(lw, T, floor); // live θ, φ

    // A_s = lw_s − log a_ε(lw_s) in float64 (constants).
    const lwd = lw.dataSync();
    const A = new Float64Array(S * B);
    for (let i = 0; i < S * B; i++) A[i] = lwd[i] - logAcceptance64(lwd[i], Tv[i % B], floor);
    const c = covarianceCoefficients(A, got.maskData, S, B);
    const m = got.mask.gt(0);
    const cMean = Tensor.fromData(c.mean, [S, ...batchShape]);
    const cCov = Tensor.fromData(c.cov, [S, ...batchShape]);
    const surrogate = sum(add(mul(where(m, lp, 0), cMean), mul(where(m, add(lq, la), 0), cCov)), 0);

    const values = new Float64Array(B);
    for (let b = 0; b < B; b++) values[b] = c.Abar[b] + got.logZ[b];
    const out = finishMasked(dataScale(op, problem, q), surrogate, values, c.used, c.usedCount, batchShape);
    const logZ = Tensor.fromData(Float32Array.from(got.logZ), batchShape);
    return {
      ...out,
      diagnostics: {
        samples: S,
        ...got.diagnostics,
        acceptanceRate: logZ.exp(),
        logZ,
        masked: B - c.usedCount,
        ess: Tensor.fromData(c.ess, batchShape),
      },
    };
  },
  { name: 'vrs', drawsFrom: 'r', reparameterized: false, minSamples: 2 },
);
