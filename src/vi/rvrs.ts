/**
 * Reparameterized variational rejection sampling (RVRS, Jankowiak & Phan; docs/estimator-math.md §6) and Semi-RVRS
 * for models with global and local latents (docs/estimator-math.md §6.8).
 *
 * Same target as VRS: r ∝ q · a_ε with a_ε = ε + (1 − ε) σ(lw + T), R-ELBO = E_r[A_ε] + log Z_R,
 * A_ε = lw − log a_ε. With u = lw + T, σ = σ(u), λ = ε/(1 − ε), k = σ(1−σ)/(λ+σ), ρ = 1 − k =
 * (λ + σ²)/(λ + σ) and P the path derivative through z = g_φ(noise) (q's parameters frozen in lw):
 *
 *   ∇_φ R-ELBO = E_r[ρ² P lw] + Cov_r(A_ε, (k − k² − k') P lw)                         (docs/estimator-math.md §6.2)
 *   ∇_θ R-ELBO = E_r[∇_θ ℓp] + Cov_r(A_ε, k ∇_θ ℓp)                                     (docs/estimator-math.md §6.4)
 *
 * Surrogate (docs/estimator-math.md §6.3, the EXACT form for every ε: A is formed with log a_ε; the reference code's
 * floor-free log σ(lw + T) is only right as ε → 0). With accepted noise ε_s, z_s = q.fromNoise(ε_s):
 *   lwp_s = ℓp_{sg θ}(z_s) − log q_{sg φ}(z_s)        value lw_s, φ-gradient P lw
 *   A_s   = sg(lwp_s − log a_ε(lwp_s)),  Ā = mean A,  ρ_s = ρ(lwp_s + T)
 *   S_φ   = (1/S) Σ sg(ρ_s)·[lwp_s − log a_ε(lwp_s)] + (1/(S−1)) Σ (A_s − Ā)·[sg(ρ_s)·log a_ε(lwp_s) + ρ_s]
 *   S_θ   = (1/S) Σ ℓp_θ(sg z_s) + (1/(S−1)) Σ (A_s − Ā)·log a_ε(ℓp_θ(sg z_s) − log q_{sg φ}(sg z_s))
 *   value = Ā + log Ẑ_R
 * `thetaGradient: 'fast'` drops the covariance term of S_θ (what the reference AutoRVRS computes):
 * BIASED for the R-ELBO's θ-gradient unless T = +∞; offered only because it is cheaper.
 */
import { fail } from '../errors.js';
import { stopGradient } from '../autodiff/custom.js';
import type { Distribution } from '../dist/distribution.js';
import { split, type PRNGKey } from '../random/key.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, mul, sub, sum, where } from '../tensor/ops/index.js';
import { checkSampleCount, dataScale, logJointOf, withInfo } from './common.js';
import { checkLogWeights } from './logweights.js';
import {
  acceptanceRho,
  acceptanceRho64,
  checkFloor,
  covarianceCoefficients,
  finishMasked,
  logAcceptance,
  logAcceptance64,
  thresholdPerPoint,
} from './rejection-sampler.js';
import { acceptedDraws } from './vrs.js';
import type { CommonOptions, EstimatorResult, Problem, RejectionDiagnostics } from './types.js';

export interface RvrsOptions extends CommonOptions {
  problem: Problem;
  /** Accepted samples per data point (S ≥ 2; reference defaults 4, or 2). */
  samples: number;
  /** T: a number, or a tensor broadcasting to the guide's batch shape (per data point); +Infinity allowed. */
  threshold: number | Tensor;
  /** ε ∈ [0, 1) (default 0). */
  acceptanceFloor?: number;
  /** Cap on proposals per data point (default 10,000). */
  maxProposals?: number;
  /**
   * 'exact' (default): unbiased θ-gradient of docs/estimator-math.md §6.4; 'fast': drops its covariance
   * term (biased).
   */
  thetaGradient?: 'exact' | 'fast';
  /** Accepted NOISE [S, ...q.noiseShapeSuffix] to use instead of sampling (z = q.fromNoise(noise)). */
  fixedDraws?: Tensor;
  /** With fixedDraws: independent proposals from q used to estimate Z_R (default 100). */
  normalizerSamples?: number;
}

interface CoreResult {
  q: Distribution;
  surrogate: Tensor;
  values: Float64Array;
  used: Uint8Array;
  usedCount: number;
  diagnostics: RejectionDiagnostics;
}

function rvrsCore(
  op: string,
  key: PRNGKey,
  theta: unknown,
  phi: unknown,
  x: unknown,
  problem: Problem,
  options: Omit<RvrsOptions, 'problem'>,
): CoreResult {
  const S = options.samples;
  checkSampleCount(op, S, 2);
  const floor = checkFloor(op, options.acceptanceFloor);
  const mode = options.thetaGradient ?? 'exact';
  if (mode !== 'exact' && mode !== 'fast') fail(op, `thetaGradient must be 'exact' or 'fast', got ${String(mode)}`);
  const q = problem.guide(phi, x);
  if (!q.hasRsample)
    fail(op, `RVRS needs a reparameterized guide (rsample); ${q.name} has none: use vrs (score function) instead`);
  const qd = q.detach();
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
    reparameterized: true,
    maxDrawElements: options.maxDrawElements,
  });
  const Tv = thresholdPerPoint(op, options.threshold, batchShape).values;
  const T = typeof options.threshold === 'number' ? options.threshold : got.diagnostics.threshold;

  // φ part: only the path derivative flows (θ and q's parameters detached inside lw).
  const z = q.fromNoise(got.draws);
  const lwp = logJointOf(op, problem, thetaSg, z, x, q).sub(qd.logProb(z));
  checkLogWeights(op, lwp, { accepted: got.maskData });
  const la = logAcceptance(lwp, T, floor);
  const rho = acceptanceRho(lwp, T, floor);

  const lwd = lwp.dataSync();
  const A = new Float64Array(S * B);
  const rhoC = new Float32Array(S * B);
  for (let i = 0; i < S * B; i++) {
    A[i] = lwd[i] - logAcceptance64(lwd[i], Tv[i % B], floor);
    rhoC[i] = acceptanceRho64(lwd[i], Tv[i % B], floor);
  }
  const c = covarianceCoefficients(A, got.maskData, S, B);
  const m = got.mask.gt(0);
  const shape = [S, ...batchShape];
  const cMean = Tensor.fromData(c.mean, shape);
  const cCov = Tensor.fromData(c.cov, shape);
  const rhoSg = Tensor.fromData(rhoC, shape);
  const sPhi = add(mul(where(m, mul(rhoSg, sub(lwp, la)), 0), cMean), mul(where(m, add(mul(rhoSg, la), rho), 0), cCov));

  // θ part: z and q detached.
  const zc = stopGradient(z);
  const lpTheta = logJointOf(op, problem, theta, zc, x, q);
  let sTheta = mul(where(m, lpTheta, 0), cMean);
  if (mode === 'exact') {
    const laTheta = logAcceptance(lpTheta.sub(qd.logProb(zc)), T, floor);
    sTheta = add(sTheta, mul(where(m, laTheta, 0), cCov));
  }
  const surrogate = sum(add(sPhi, sTheta), 0);

  const values = new Float64Array(B);
  for (let b = 0; b < B; b++) values[b] = c.Abar[b] + got.logZ[b];
  const logZ = Tensor.fromData(Float32Array.from(got.logZ), batchShape);
  return {
    q,
    surrogate,
    values,
    used: c.used,
    usedCount: c.usedCount,
    diagnostics: {
      samples: S,
      ...got.diagnostics,
      acceptanceRate: logZ.exp(),
      logZ,
      masked: B - c.usedCount,
      ess: Tensor.fromData(c.ess, batchShape),
      thetaGradient: mode,
    },
  };
}

export const rvrs = withInfo(
  function rvrs(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: RvrsOptions,
  ): EstimatorResult<RejectionDiagnostics> {
    const op = 'rvrs';
    const { problem } = options;
    const r = rvrsCore(op, key, theta, phi, x, problem, options);
    const out = finishMasked(dataScale(op, problem, r.q), r.surrogate, r.values, r.used, r.usedCount, r.q.batchShape);
    return { ...out, diagnostics: r.diagnostics };
  },
  { name: 'rvrs', drawsFrom: 'r', reparameterized: true, minSamples: 2 },
);

// ---- Semi-RVRS (docs/estimator-math.md §6.8) ------------------------------------------------

/**
 * A model with a global latent β and one local latent z_n per data point:
 *   p_θ(β) Π_n p_θ(x_n, z_n | β),   guide q_φ(β) Π_n q_φ(z_n | x_n, β).
 * x is the minibatch (whatever your functions expect); the local guide's batch shape [B] is the
 * minibatch axis.
 */
// biome-ignore lint/suspicious/noExplicitAny: type-erased defaults, as for Problem (types.ts).
export interface SemiRvrsProblem<Theta = any, Phi = any, X = any> {
  /** log p_θ(β), a scalar (shape []) for one draw β of the global guide. */
  logPriorGlobal: (theta: Theta, beta: Tensor) => Tensor;
  /** log p_θ(x_n, z_n | β) for the minibatch: z of shape [S, B, ...event] → [S, B]. */
  logJointLocal: (theta: Theta, beta: Tensor, z: Tensor, x: X) => Tensor;
  /** q_φ(β): reparameterized, batch shape []. */
  globalGuide: (phi: Phi) => Distribution;
  /** q_φ(z_n | x_n, β): reparameterized, batch shape [B] (may depend on β). */
  localGuide: (phi: Phi, beta: Tensor, x: X) => Distribution;
  /** Number of data points in the whole data set (local terms are scaled by datasetSize / B). */
  datasetSize?: number;
}

export interface SemiRvrsOptions extends Omit<RvrsOptions, 'problem'> {
  problem: SemiRvrsProblem;
  /** Per-data-point thresholds T_n of the minibatch (a tensor of shape [B]) or one number. */
  threshold: number | Tensor;
  /** Draws of β per step (default 1); the objective estimate is averaged over them. */
  globalSamples?: number;
}

/**
 * Semi-RVRS: objective E_{q(β)}[ log p(β) − log q(β) + (N/B) Σ_{n ∈ batch} R-ELBO_n(β) ].
 *
 * β is drawn by rsample (pathwise); for each β every data point's local latent gets RVRS conditional on β, with its
 * own threshold T_n. Inside the local estimator β is treated as a model parameter where it enters log p(x_n, z_n |
 * β) and as a guide parameter where it enters q(z_n | x_n, β), so the gradient that flows back to β (and on to the
 * global guide's parameters through the reparameterization) is the exact gradient of R-ELBO_n(β)
 * (docs/estimator-math.md §6.2 and §6.4): this makes the φ- and θ-gradients unbiased for the objective above.
 * Unverified: how the RVRS paper treats the β-gradient through the local terms (the reference AutoSemiRVRS detaches
 * β inside the acceptance computations, as our sampler does; it is a constant there either way). The masking of
 * exhausted data points (renormalizing by the unmasked count) follows the reference's `max_rs_steps` option
 * (authors' code) and is biased when it triggers. With globalSamples > 1, diagnostics.firstLogA stacks the round-0
 * log a of every β draw along axis 0 (i.i.d. given β).
 */
export function semiRvrs(
  key: PRNGKey,
  theta: unknown,
  phi: unknown,
  x: unknown,
  options: SemiRvrsOptions,
): EstimatorResult<RejectionDiagnostics> {
  const op = 'semiRvrs';
  const { problem } = options;
  const G = options.globalSamples ?? 1;
  if (!Number.isInteger(G) || G < 1) fail(op, `globalSamples must be an integer >= 1, got ${String(G)}`);
  const keys = split(key, 2 * G);
  let loss: Tensor | null = null;
  let bound = 0;
  let per: Float64Array | null = null;
  let last: RejectionDiagnostics | null = null;
  const firsts: Tensor[] = [];
  let proposals = 0;
  let exhausted = 0;
  let masked = 0;
  for (let g = 0; g < G; g++) {
    const qBeta = problem.globalGuide(phi);
    if (!qBeta.hasRsample) fail(op, `the global guide must be reparameterized; ${qBeta.name} has no rsample`);
    if (qBeta.batchShape.length !== 0)
      fail(op, `the global guide must have batch shape [], got [${qBeta.batchShape.join(', ')}]`);
    const beta = qBeta.rsample(keys[2 * g], []);
    const globalTerm = problem.logPriorGlobal(theta, beta).sub(qBeta.logProb(beta));
    if (globalTerm.size !== 1)
      fail(op, `logPriorGlobal must return a scalar, got shape [${globalTerm.shape.join(', ')}]`);
    const local: Problem = {
      logJoint: (tb: { theta: unknown; beta: Tensor }, z: Tensor, xx: unknown) =>
        problem.logJointLocal(tb.theta, tb.beta, z, xx),
      guide: (pb: { phi: unknown; beta: Tensor }, xx: unknown) => problem.localGuide(pb.phi, pb.beta, xx),
      datasetSize: problem.datasetSize,
    };
    const r = rvrsCore(op, keys[2 * g + 1], { theta, beta }, { phi, beta }, x, local, options);
    const scale = dataScale(op, local, r.q);
    const out = finishMasked(scale, r.surrogate, r.values, r.used, r.usedCount, r.q.batchShape);
    const stepLoss = out.loss.sub(globalTerm.sum());
    loss = loss === null ? stepLoss : loss.add(stepLoss);
    bound += out.bound + globalTerm.item();
    const pd = out.perDataPoint.dataSync();
    if (per === null) per = new Float64Array(pd.length);
    for (let i = 0; i < pd.length; i++) per[i] += pd[i] / G;
    last = r.diagnostics;
    if (r.diagnostics.firstLogA !== undefined) firsts.push(r.diagnostics.firstLogA);
    proposals += r.diagnostics.proposals;
    exhausted += r.diagnostics.exhausted;
    masked += r.diagnostics.masked;
  }
  const batchShape = last!.threshold.shape.slice();
  return {
    loss: loss!.div(G),
    bound: bound / G,
    perDataPoint: Tensor.fromData(Float32Array.from(per!), batchShape),
    diagnostics: {
      ...last!,
      proposals,
      exhausted,
      masked,
      globalSamples: G,
      ...(firsts.length > 0 ? { firstLogA: firsts.length === 1 ? firsts[0] : concatAxis0(firsts) } : {}),
    },
  };
}

function concatAxis0(ts: Tensor[]): Tensor {
  const n = ts.reduce((s, t) => s + t.size, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const t of ts) {
    out.set(t.dataSync(), o);
    o += t.size;
  }
  return Tensor.fromData(out, [ts.reduce((s, t) => s + t.shape[0], 0), ...ts[0].shape.slice(1)]);
}
