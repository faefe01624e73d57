/**
 * Score-function (REINFORCE) estimators of importance-weighted bounds (docs/estimator-math.md §2.5, §3, §4): VIMCO,
 * VIMCO-★ and the plain score-function VR-IWAE gradient. They need only `q.sample` and
 * `q.logProb` (discrete latents, simulators, any guide) and a pointwise log joint.
 *
 * For α ∈ [0, 1) (α = 0 is IWAE), z_1..z_N iid q (constants), lw_i = ℓp(z_i) − ℓq(z_i):
 *
 *   L̂_α = (1/(1−α)) LME((1−α) lw),   W_i = W_i^{(α)} = softmax((1−α) lw)_i,   w̃_j = w_j^{1−α}
 *   ∇_φ L_N^{(α)} = E[ Σ_i (L̂_α − W_i) s_φ(z_i) ],   ∇_θ L_N^{(α)} = E[ Σ_i W_i ∇_θ ℓp(z_i) ]
 *
 * A control variate c_i that does not depend on z_i (only on z_{−i}) keeps the estimator unbiased,
 * since E[c_i s_φ(z_i) | z_{−i}] = c_i E[s_φ(z_i)] = 0:
 *
 *   ĝ_φ = Σ_i d_i s_φ(z_i),  d_i = L̂_α − c_i − W_i      ĝ_θ = Σ_i W_i ∇_θ ℓp(z_i)
 *
 * as the gradient of the surrogate (per data point)
 *
 *   S = L̂_α(ℓp − ℓq) + Σ_i sg(L̂_α − c_i) · ℓq(z_i)
 *
 * (L̂_α of the live log weights contributes Σ W_i ∇_θ ℓp to θ and −Σ W_i s_φ(z_i) to φ, because
 * ∂L̂_α/∂lw_i = W_i^{(α)}; the second term contributes Σ (L̂_α − c_i) s_φ(z_i)), fused with the value
 * (docs/estimator-math.md §0.2) so that the loss's forward value is −bound.
 *
 * The generalized VIMCO family (docs/estimator-math.md §4.2) is, with m_{−i} the arithmetic or geometric mean of
 * {w̃_j}_{j≠i} and β ≥ 0,
 *
 *   c_i = (1/(1−α)) log( (1/N) [ Σ_{j≠i} w̃_j + β m_{−i} ] ),
 *
 * computed in float64 in log space, O(N) per data point (prefix/suffix log-sum-exps and prefix/suffix
 * sums, so c_i is computed without ever touching lw_i). L̂_α − c_i is computed directly as
 * (1/(1−α)) [LSE(v) − log(Σ_{j≠i} w̃_j + β m_{−i})], v = (1−α) lw, with no cancellation; for
 * VIMCO-★ at α = 0 this is d_i = (LSE − LSE_{−i}) − W_i = −log(1 − W_i) − W_i, finite even when
 * some W_i rounds to 1 (docs/estimator-math.md §4.3, §10).
 *
 *   'none'              c_i = 0 (plain score-function VR-IWAE, docs/estimator-math.md §2.5; any N ≥ 1)
 *   'vimco-geometric'   β = 1, geometric mean (VIMCO, Mnih & Rezende 2016; the paper's choice)
 *   'vimco-arithmetic'  β = 1, arithmetic mean (c_i = (1/(1−α)) LME_{j≠i}((1−α) lw_j))
 *   'vimco-star'        α = 0: β = 0 (VIMCO-★, docs/estimator-math.md §4.3; = OVIS~ with γ = 0; φ-SNR grows like √N)
 *                       α > 0: β = α, arithmetic mean — PROVISIONAL (docs/estimator-math.md §4.4): the paper's
 *                       exact α > 0 choice could not be checked; any β ≥ 0 is unbiased, only the variance
 *                       constant depends on it.
 *   { beta, mean }      any member of the family.
 *
 * Everything is per data point: with a guide of batch shape [B] (local latents), the leave-one-out
 * quantities never mix data points. Control variates need N ≥ 2. If a data point has fewer than
 * two samples with positive weight (lw = −∞ for all others), c_i = −∞ and the learning signal is
 * infinite; the estimators refuse that with a SieveError instead of returning infinite gradients.
 */
import { fail } from '../errors.js';
import type { PRNGKey } from '../random/key.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkSampleCount, finish, logJointOf, scoreDraws, withInfo } from './common.js';
import { fuseValue, guideOf } from './elbo.js';
import { vrLogMeanExp } from './iwae.js';
import { checkLogWeights, effectiveSampleSize } from './logweights.js';
import type { CommonOptions, EstimatorResult, ImportanceDiagnostics, Problem } from './types.js';

/** Which control variate c_i (docs/estimator-math.md §4.2); see the module comment. */
export type IwControlVariate =
  | 'none'
  | 'vimco-geometric'
  | 'vimco-arithmetic'
  | 'vimco-star'
  | { beta: number; mean: 'arithmetic' | 'geometric' };

export interface IwScoreOptions extends CommonOptions {
  problem: Problem;
  /** α ∈ [0, 1) of the VR-IWAE bound (default 0: IWAE). */
  alpha?: number;
  /** The control variate c_i (required; 'vimco-star' is the low-variance choice). */
  controlVariate: IwControlVariate;
}

export interface VimcoOptions extends CommonOptions {
  problem: Problem;
  /** How the left-out weight is replaced: 'geometric' (default, the paper's) or 'arithmetic' mean of the others. */
  variant?: 'geometric' | 'arithmetic';
}

export interface VimcoStarOptions extends CommonOptions {
  problem: Problem;
  /** α ∈ [0, 1) (default 0: the IWAE bound). */
  alpha?: number;
  /**
   * Replacement weight β ≥ 0 (arithmetic mean of the other w̃_j). Default: 0 when α = 0 (VIMCO-★,
   * docs/estimator-math.md §4.3) and α when α > 0 (PROVISIONAL, docs/estimator-math.md §4.4: the paper's exact α > 0
   * choice is unverified).
   */
  beta?: number;
}

export interface VrIwaeScoreOptions extends CommonOptions {
  problem: Problem;
  /** α ∈ [0, 1) (required; 0 is IWAE). */
  alpha: number;
}

/** A resolved member of the family: c_i = (1/(1−α)) log((1/N)[Σ_{j≠i} w̃_j + β m_{−i}]), or none. */
interface ResolvedCv {
  none: boolean;
  beta: number;
  mean: 'arithmetic' | 'geometric';
  label: string;
}

function checkAlpha(op: string, alpha: unknown): number {
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha < 1)) {
    fail(op, `alpha must be a number in [0, 1) (0 is IWAE; α → 1 approaches the ELBO), got ${String(alpha)}`);
  }
  return alpha;
}

function checkBeta(op: string, beta: unknown): number {
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0)
    fail(op, `beta must be a finite number >= 0, got ${String(beta)}`);
  return beta;
}

/** Resolve a controlVariate option (validated) at a given α. */
function resolveCv(op: string, cv: unknown, alpha: number): ResolvedCv {
  if (cv === 'none') return { none: true, beta: 0, mean: 'arithmetic', label: 'none' };
  if (cv === 'vimco-geometric') return { none: false, beta: 1, mean: 'geometric', label: cv };
  if (cv === 'vimco-arithmetic') return { none: false, beta: 1, mean: 'arithmetic', label: cv };
  if (cv === 'vimco-star')
    return {
      none: false,
      beta: alpha === 0 ? 0 : alpha,
      mean: 'arithmetic',
      label: alpha === 0 ? 'vimco-star' : 'vimco-star (provisional α > 0: β = α, arithmetic)',
    };
  if (cv !== null && typeof cv === 'object' && !Array.isArray(cv)) {
    const o = cv as { beta?: unknown; mean?: unknown };
    const beta = checkBeta(op, o.beta);
    if (o.mean !== 'arithmetic' && o.mean !== 'geometric')
      fail(op, `controlVariate.mean must be 'arithmetic' or 'geometric', got ${String(o.mean)}`);
    return { none: false, beta, mean: o.mean, label: `beta=${beta}, ${o.mean}` };
  }
  return fail(
    op,
    "controlVariate must be 'none', 'vimco-geometric', 'vimco-arithmetic', 'vimco-star' or " +
      `{ beta, mean: 'arithmetic' | 'geometric' }, got ${typeof cv === 'string' ? `'${cv}'` : String(cv)}`,
  );
}

function logaddexp64(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** Float64 pieces of the family, per entry of lw ([N, B] row-major: entry i*B + b). */
interface Signal64 {
  /** L̂_α per data point. */
  value: Float64Array;
  /** c_i (−∞..∞; 0 for 'none'). */
  c: Float64Array;
  /** L̂_α − c_i: the coefficient of ℓq(z_i) in the surrogate. */
  local: Float64Array;
  /** W_i^{(α)}. */
  weights: Float64Array;
  /** d_i = L̂_α − c_i − W_i. */
  signal: Float64Array;
}

/**
 * The learning signals of one batch of log weights lw ([N, B] row-major, float32 or float64
 * values), in float64. c_i is computed from the other entries only (prefix/suffix LSE and sums).
 */
function signal64(lw: ArrayLike<number>, N: number, B: number, alpha: number, cv: ResolvedCv): Signal64 {
  const k = 1 - alpha;
  const value = new Float64Array(B);
  const c = new Float64Array(N * B);
  const local = new Float64Array(N * B);
  const weights = new Float64Array(N * B);
  const signal = new Float64Array(N * B);
  const v = new Float64Array(N);
  const prefix = new Float64Array(N + 1); // prefix[i] = LSE(v_0..v_{i−1})
  const suffix = new Float64Array(N + 1); // suffix[i] = LSE(v_i..v_{N−1})
  const psum = new Float64Array(N + 1); // plain sums, for the geometric mean
  const ssum = new Float64Array(N + 1);
  const logBeta = cv.beta > 0 ? Math.log(cv.beta) : -Infinity;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) v[i] = k * lw[i * B + b];
    prefix[0] = -Infinity;
    psum[0] = 0;
    for (let i = 0; i < N; i++) {
      prefix[i + 1] = logaddexp64(prefix[i], v[i]);
      psum[i + 1] = psum[i] + v[i];
    }
    suffix[N] = -Infinity;
    ssum[N] = 0;
    for (let i = N - 1; i >= 0; i--) {
      suffix[i] = logaddexp64(suffix[i + 1], v[i]);
      ssum[i] = ssum[i + 1] + v[i];
    }
    const lse = prefix[N];
    value[b] = (lse - Math.log(N)) / k;
    for (let i = 0; i < N; i++) {
      const j = i * B + b;
      const w = lse === -Infinity ? NaN : Math.exp(v[i] - lse);
      weights[j] = w;
      if (cv.none) {
        c[j] = 0;
        local[j] = value[b];
      } else {
        const others = logaddexp64(prefix[i], suffix[i + 1]); // log Σ_{j≠i} w̃_j
        let logM: number; // log m_{−i}
        if (cv.mean === 'arithmetic') logM = others - Math.log(N - 1);
        else logM = (psum[i] + ssum[i + 1]) / (N - 1);
        const logRepl = logBeta === -Infinity ? -Infinity : logBeta + logM;
        const inner = logaddexp64(others, logRepl); // log(Σ_{j≠i} w̃_j + β m_{−i})
        c[j] = (inner - Math.log(N)) / k;
        // L̂_α − c_i. With β = 0 it is −log(1 − W_i)/(1−α): use log1p while W_i ≤ 1/2 (accurate for
        // small W_i, so VIMCO-★'s d_i ≥ 0 exactly) and the LSE difference near W_i = 1 (docs/estimator-math.md §10).
        local[j] = logRepl === -Infinity && w <= 0.5 ? -Math.log1p(-w) / k : (lse - inner) / k;
      }
      signal[j] = local[j] - w;
    }
  }
  return { value, c, local, weights, signal };
}

/**
 * The control variates and learning signals of the family for given log weights (constants, no
 * gradient), for inspection and tests: lw of shape [N, ...batch] (sample axis first).
 *
 *   value  L̂_α per data point (shape batch)
 *   c      c_i, shape [N, ...batch] (0 for 'none'; depends on z_{−i} only)
 *   signal d_i = L̂_α − c_i − W_i^{(α)}, shape [N, ...batch] (the φ-gradient is Σ_i d_i s_φ(z_i))
 *   weights W_i^{(α)}, shape [N, ...batch]
 *   beta   the β used (0 for 'none')
 */
export function iwLearningSignal(
  lw: Tensor,
  options: { alpha?: number; controlVariate: IwControlVariate },
): { value: Tensor; c: Tensor; signal: Tensor; weights: Tensor; beta: number } {
  const op = 'iwLearningSignal';
  if (!(lw instanceof Tensor) || lw.ndim < 1)
    fail(op, 'lw must be a Tensor of shape [N, ...batch] (samples on axis 0)');
  if (options === null || typeof options !== 'object') fail(op, 'options must be { alpha?, controlVariate }');
  const alpha = checkAlpha(op, options.alpha ?? 0);
  const cv = resolveCv(op, options.controlVariate, alpha);
  const N = lw.shape[0];
  checkSampleCount(op, N, cv.none ? 1 : 2);
  const batch = lw.shape.slice(1);
  const s = signal64(lw.dataSync(), N, shapeSize(batch), alpha, cv);
  return {
    value: Tensor.fromData(Float32Array.from(s.value), batch),
    c: Tensor.fromData(Float32Array.from(s.c), lw.shape),
    signal: Tensor.fromData(Float32Array.from(s.signal), lw.shape),
    weights: Tensor.fromData(Float32Array.from(s.weights), lw.shape),
    beta: cv.beta,
  };
}

/** The shared estimator body: surrogate L̂_α(lw) + Σ_i sg(L̂_α − c_i) ℓq(z_i), fused with the value. */
function iwScoreCore(
  op: string,
  key: PRNGKey,
  theta: unknown,
  phi: unknown,
  x: unknown,
  options: CommonOptions & { problem: Problem },
  alpha: number,
  cv: ResolvedCv,
): EstimatorResult<ImportanceDiagnostics> {
  const q = guideOf(op, options, phi, x);
  const { problem, samples: N } = options;
  checkSampleCount(op, N, cv.none ? 1 : 2, q, options.maxDrawElements);
  const z = scoreDraws(op, key, q, N, options.fixedDraws); // constants
  const lp = logJointOf(op, problem, theta, z, x, q); // [N, ...batch], live θ
  const lq = q.logProb(z); // live φ
  const lw = lp.sub(lq);
  const value = vrLogMeanExp(lw, alpha); // [...batch]; ∂/∂lw_i = W_i^{(α)}
  const lwC = lw.primal();
  checkLogWeights(op, lwC);
  const B = shapeSize(q.batchShape);
  const s = signal64(lwC.dataSync(), N, B, alpha, cv);
  for (let j = 0; j < N * B; j++) {
    if (!Number.isFinite(s.signal[j])) {
      const b = j % B;
      const d = lwC.dataSync();
      let finite = 0;
      for (let i = 0; i < N; i++) if (Number.isFinite(d[i * B + b])) finite++;
      fail(
        op,
        `data point ${b}: the learning signal of sample ${Math.floor(j / B)} is ${s.signal[j]} (${finite} of ${N} ` +
          `log weights are finite` +
          (cv.none
            ? '; the bound estimate itself is not finite)'
            : '; the leave-one-out control variate needs at least 2 samples with positive weight per data point)') +
          ': check the model for impossible latents or use more samples',
      );
    }
  }
  const coef = Tensor.fromData(Float32Array.from(s.local), lw.shape);
  const surrogate = value.add(lq.mul(coef).sum(0));
  const out = finish(op, problem, q, fuseValue(surrogate, value), value);
  return {
    ...out,
    diagnostics: {
      samples: N,
      ess: effectiveSampleSize(alpha === 0 ? lwC : lwC.mul(1 - alpha)),
      alpha,
      controlVariate: cv.label,
      beta: cv.beta,
      learningSignal: Tensor.fromData(Float32Array.from(s.signal), lw.shape),
    },
  };
}

function checkOptions(op: string, options: unknown, what: string): void {
  if (options === null || typeof options !== 'object') fail(op, `options must be an object with at least { ${what} }`);
}

/**
 * The generalized score-function family (docs/estimator-math.md §4.2) for the VR-IWAE bound L_N^{(α)} (α = 0: IWAE):
 *
 *   surrogate = L̂_α(ℓp − ℓq) + Σ_i sg(L̂_α − c_i) · ℓq(z_i),   z_i = q.sample (or fixedDraws)
 *   ĝ_φ = Σ_i (L̂_α − c_i − W_i^{(α)}) s_φ(z_i),   ĝ_θ = Σ_i W_i^{(α)} ∇_θ ℓp(z_i),   value = L̂_α
 *
 * Unbiased for every control variate of the family (each c_i ignores z_i). `diagnostics`: samples,
 * ess (1/Σ (W^{(α)})², per data point), alpha, controlVariate, beta, learningSignal (d_i, [N, ...batch]).
 */
export const iwScoreFunction = withInfo(
  function iwScoreFunction(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: IwScoreOptions,
  ): EstimatorResult<ImportanceDiagnostics> {
    const op = 'iwScoreFunction';
    checkOptions(op, options, 'problem, samples, controlVariate');
    const alpha = checkAlpha(op, options.alpha ?? 0);
    if (options.controlVariate === undefined) {
      fail(
        op,
        "options.controlVariate is required: 'none', 'vimco-geometric', 'vimco-arithmetic', 'vimco-star' or { beta, " +
          'mean }',
      );
    }
    return iwScoreCore(op, key, theta, phi, x, options, alpha, resolveCv(op, options.controlVariate, alpha));
  },
  { name: 'iwScoreFunction', drawsFrom: 'q', reparameterized: false, minSamples: 1 },
);

/**
 * VIMCO (docs/estimator-math.md §3, Mnih & Rezende 2016): the score-function IWAE gradient (α = 0) with the per-sample
 * control variate c_i = log((1/N)[Σ_{j≠i} w_j + ŵ_{−i}]), ŵ_{−i} the geometric (default) or
 * arithmetic mean of the other weights. N ≥ 2. Its φ-SNR does not improve with N
 * (~N^{−1/2}, docs/estimator-math.md §4.6); prefer `vimcoStar`.
 */
export const vimco = withInfo(
  function vimco(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: VimcoOptions,
  ): EstimatorResult<ImportanceDiagnostics> {
    const op = 'vimco';
    checkOptions(op, options, 'problem, samples');
    if ((options as { alpha?: unknown }).alpha !== undefined) {
      fail(
        op,
        'VIMCO is the IWAE (α = 0) estimator; for α > 0 use vimcoStar or iwScoreFunction with controlVariate ' +
          "'vimco-geometric'",
      );
    }
    const variant = options.variant ?? 'geometric';
    if (variant !== 'geometric' && variant !== 'arithmetic')
      fail(op, `variant must be 'geometric' or 'arithmetic', got ${String(variant)}`);
    return iwScoreCore(
      op,
      key,
      theta,
      phi,
      x,
      options,
      0,
      resolveCv(op, variant === 'geometric' ? 'vimco-geometric' : 'vimco-arithmetic', 0),
    );
  },
  { name: 'vimco', drawsFrom: 'q', reparameterized: false, minSamples: 2 },
);

/**
 * VIMCO-★ (docs/estimator-math.md §4, Daudel et al.): at α = 0, c_i = log((1/N) Σ_{j≠i} w_j) (β = 0), so
 * d_i = (LSE(lw) − LSE_{−i}(lw)) − W_i = −log(1 − W_i) − W_i ≥ 0, computed stably (docs/estimator-math.md §4.3); its
 * φ-SNR grows like √N. Identical to OVIS~ with γ = 0 (Liévin et al. 2020).
 *
 * α > 0 (PROVISIONAL, docs/estimator-math.md §4.4): the paper's exact choice is unverified; the default here is β = α
 * with the arithmetic mean of the other w̃_j, from our leading-order variance analysis. Any β ≥ 0 can be
 * given (`beta`); all are unbiased. N ≥ 2.
 */
export const vimcoStar = withInfo(
  function vimcoStar(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: VimcoStarOptions,
  ): EstimatorResult<ImportanceDiagnostics> {
    const op = 'vimcoStar';
    checkOptions(op, options, 'problem, samples');
    const alpha = checkAlpha(op, options.alpha ?? 0);
    const cv: IwControlVariate =
      options.beta === undefined ? 'vimco-star' : { beta: checkBeta(op, options.beta), mean: 'arithmetic' };
    return iwScoreCore(op, key, theta, phi, x, options, alpha, resolveCv(op, cv, alpha));
  },
  { name: 'vimcoStar', drawsFrom: 'q', reparameterized: false, minSamples: 2 },
);

/**
 * Plain score-function VR-IWAE (docs/estimator-math.md §2.5), no control variate: ĝ_φ = Σ_i (L̂_α − W_i^{(α)})
 * s_φ(z_i), ĝ_θ = Σ_i W_i^{(α)} ∇_θ ℓp(z_i). Unbiased but high-variance (the shared L̂_α multiplies every
 * score); a reference, or a baseline for comparisons. N ≥ 1 (N = 1: score-function ELBO without baseline).
 */
export const vrIwaeScore = withInfo(
  function vrIwaeScore(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: VrIwaeScoreOptions,
  ): EstimatorResult<ImportanceDiagnostics> {
    const op = 'vrIwaeScore';
    checkOptions(op, options, 'problem, samples, alpha');
    if (options.alpha === undefined) fail(op, 'options.alpha is required (a number in [0, 1); 0 is IWAE)');
    const alpha = checkAlpha(op, options.alpha);
    return iwScoreCore(op, key, theta, phi, x, options, alpha, resolveCv(op, 'none', alpha));
  },
  { name: 'vrIwaeScore', drawsFrom: 'q', reparameterized: false, minSamples: 1 },
);
