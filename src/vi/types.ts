/**
 * The contract every estimator in `src/vi` follows (docs/estimator-math.md §0.2 and issue 5).
 *
 * A *model* is a log-joint function `logJoint(theta, z, x)`: given model parameters θ (a pytree),
 * latents z of shape [S, ...batch, ...event] (S samples on the leading axis) and data x, it returns
 * log p_θ(x, z) of shape [S, ...batch].
 *
 * A *variational family* (guide) is a function `(phi, x) -> Distribution` for q_φ(z | x). Its
 * batch shape is the per-data-point axis for local-latent models (one latent per data point, e.g.
 * [B] for a minibatch of B) and [] for a global latent. Its event shape is the latent's shape.
 *
 * An *estimator* is a pure function `(key, theta, phi, x, options) -> EstimatorResult`:
 *   loss        scalar surrogate to MINIMIZE: its gradient (valueAndGrad over theta and phi) is
 *               minus the gradient estimator of the objective;
 *   bound       Monte Carlo estimate of the objective (summed over the batch, scaled like loss);
 *   perDataPoint the objective estimate of each data point (shape: the guide's batch shape);
 *   diagnostics what a user needs to see (ESS, acceptance rate, proposals, threshold, ...).
 */
import type { Distribution } from '../dist/distribution.js';
import type { Tensor } from '../tensor/tensor.js';

// biome-ignore lint/suspicious/noExplicitAny: defaults for type-erased problems (see Problem).
export type LogJoint<Theta = any, X = any> = (theta: Theta, z: Tensor, x: X) => Tensor;
// biome-ignore lint/suspicious/noExplicitAny: defaults for type-erased problems (see Problem).
export type Guide<Phi = any, X = any> = (phi: Phi, x: X) => Distribution;

// A bare `Problem` (estimators' options) must accept every model's callbacks; with unknown defaults a
// logJoint taking a Tensor would not fit, as parameters are contravariant.
// biome-ignore lint/suspicious/noExplicitAny: the type-erased default, see above.
export interface Problem<Theta = any, Phi = any, X = any> {
  logJoint: LogJoint<Theta, X>;
  guide: Guide<Phi, X>;
  /**
   * For minibatch training of local-latent models: the number of data points in the whole data
   * set. Per-data-point terms are then summed and scaled by datasetSize / batchSize, which keeps
   * the loss and its gradient unbiased for the full-data objective. Omit for global latents or
   * full-batch training (no scaling).
   */
  datasetSize?: number;
}

/** What every estimator reports. */
export interface BaseDiagnostics {
  /** Samples (or accepted samples) per data point used by the estimate. */
  samples: number;
  /** Effective sample size 1/Σ W² of the importance weights, per data point. */
  ess?: Tensor;
}

/** The ELBO family (elbo, elboStl, elboScoreFunction). */
export interface ElboDiagnostics extends BaseDiagnostics {
  ess: Tensor;
  /** elboScoreFunction: the moving-average baseline to pass to the next call (S = 1). */
  baseline?: number | Tensor;
}

/** The importance-weighted family (iwae, iwaeDreg, vrIwae, vimco, vimcoStar, vrIwaeScore, iwScoreFunction). */
export interface ImportanceDiagnostics extends BaseDiagnostics {
  ess: Tensor;
  /** Score-function members: the VR-IWAE α, the control variate and its β, the learning signal [N, ...batch]. */
  alpha?: number;
  controlVariate?: string;
  beta?: number;
  learningSignal?: Tensor;
}

/** The rejection family (vrs, rvrs, semiRvrs). */
export interface RejectionDiagnostics extends BaseDiagnostics {
  ess: Tensor;
  /** Mean acceptance probability over all proposals, per data point (Ẑ_R). */
  acceptanceRate: Tensor;
  /** log Ẑ_R per data point. */
  logZ: Tensor;
  /** Total proposals drawn (all data points, all chains). */
  proposals: number;
  /** The threshold T used, per data point. */
  threshold: Tensor;
  /** Data points whose chains hit the proposal cap before S acceptances. */
  exhausted: number;
  /** Data points left out of the loss (fewer than 2 accepted samples). */
  masked: number;
  /** Proposals per data point and sampler rounds (not with fixedDraws). */
  proposalsPerPoint?: Tensor;
  rounds?: number;
  /** log a of the round-0 proposal of each chain, [S, ...batch]: i.i.d. from q, for adaptThreshold. */
  firstLogA?: Tensor;
  /** With fixedDraws: proposals from q used to estimate Ẑ_R. */
  normalizerSamples?: number;
  /** rvrs: which θ-gradient was computed. */
  thetaGradient?: 'exact' | 'fast';
  /** semiRvrs: draws of the global latent. */
  globalSamples?: number;
}

/**
 * Any estimator's diagnostics: the fields of every family, each optional. Code that works for every
 * estimator (the training driver, the CLI) reads these; an estimator's own result type is precise.
 */
export type Diagnostics = BaseDiagnostics &
  Partial<ElboDiagnostics> &
  Partial<ImportanceDiagnostics> &
  Partial<RejectionDiagnostics>;

export interface EstimatorResult<D extends Diagnostics = Diagnostics> {
  loss: Tensor;
  bound: number;
  perDataPoint: Tensor;
  diagnostics: D;
}

/** Static facts about an estimator, used by the verification tools in `src/vi/check.ts`. */
export interface EstimatorInfo {
  name: string;
  /** 'q' if the draws are i.i.d. from the guide; 'r' if they are accepted samples of the rejection sampler. */
  drawsFrom: 'q' | 'r';
  /** Whether the estimator needs q.rsample (pathwise gradients). */
  reparameterized: boolean;
  /** Fewest samples per data point the estimator accepts. */
  minSamples: number;
}

export interface CommonOptions {
  /** Samples per data point (N for IWAE-type bounds, S for ELBO and rejection estimators). */
  samples: number;
  /**
   * Use these draws instead of sampling: the samples z, shape [S, ...batch, ...event], for
   * score-function estimators; the noise (z = q.fromNoise(noise)) for reparameterized ones. For
   * rejection estimators ('r'), they are the accepted draws. Meant for exact enumeration
   * (`exactExpectation`) and debugging; the key is then only used for anything else drawn.
   */
  fixedDraws?: Tensor;
  /**
   * Refuse, before allocating, a call whose draws [samples, ...batch, ...event] would hold more
   * float32 values than this (default DEFAULT_MAX_DRAW_ELEMENTS = 2^28, i.e. 1 GiB). The rejection
   * estimators also bound maxProposals × batch (the log-acceptance values they record) by it.
   */
  maxDrawElements?: number;
}

export type Estimator<O extends CommonOptions = CommonOptions, D extends Diagnostics = Diagnostics> = ((
  key: import('../random/key.js').PRNGKey,
  // Estimators typed for one model (theta: Tensor, ...) must fit and any pytree must be accepted: only any does both.
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  theta: any,
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  phi: any,
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  x: any,
  options: O & { problem: Problem },
) => EstimatorResult<D>) & { info: EstimatorInfo };
