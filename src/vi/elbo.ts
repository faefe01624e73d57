/**
 * ELBO estimators (docs/estimator-math.md §1): reparameterized (pathwise), sticking-the-landing and score-function.
 * Each is a pure function `(key, theta, phi, x, options) -> { loss, bound, perDataPoint, diagnostics }`
 * (see `types.ts`); the objective is
 *
 *   L(θ, φ) = E_q[lw(z)],  lw = ℓp − ℓq = log p_θ(x, z) − log q_φ(z | x),  value L̂ = (1/S) Σ_s lw_s.
 *
 * The loss is −(datasetSize/B) Σ_b surrogate_b fused with the value (docs/estimator-math.md §0.2:
 * surrogate − sg(surrogate) + sg(value)), so its forward value is −bound and its gradient is minus
 * the estimator.
 */
import { stopGradient } from '../autodiff/custom.js';
import { Distribution } from '../dist/distribution.js';
import { fail } from '../errors.js';
import type { PRNGKey } from '../random/key.js';
import { shapesEqual, shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkSampleCount, finish, logJointOf, pathwiseDraws, scoreDraws, withInfo } from './common.js';
import { checkLogWeights, effectiveSampleSize } from './logweights.js';
import type { CommonOptions, ElboDiagnostics, EstimatorResult, Problem } from './types.js';

export interface ElboOptions extends CommonOptions {
  problem: Problem;
}

/** @internal Check the options object and build the guide, refusing anything that is not a Distribution. */
export function guideOf(
  op: string,
  options: { problem?: Problem } | undefined,
  phi: unknown,
  x: unknown,
): Distribution {
  if (options === null || typeof options !== 'object')
    fail(op, 'options must be an object with at least { problem, samples }');
  const problem = options.problem;
  if (
    problem === null ||
    typeof problem !== 'object' ||
    typeof problem.logJoint !== 'function' ||
    typeof problem.guide !== 'function'
  ) {
    fail(op, 'options.problem must be { logJoint(theta, z, x), guide(phi, x), datasetSize? }');
  }
  const q = problem.guide(phi, x);
  if (!(q instanceof Distribution))
    fail(op, `problem.guide must return a Distribution, got ${q === null ? 'null' : typeof q}`);
  return q;
}

/** @internal A reparameterized guide, or a SieveError pointing to the score-function estimators. */
export function checkReparameterized(op: string, q: Distribution, alternative: string): void {
  if (!q.hasRsample)
    fail(
      op,
      `needs a reparameterized guide (rsample), but ${q.name} has none; use ${alternative} (score function) instead`,
    );
}

/**
 * @internal Pathwise draws (common.ts `pathwiseDraws`), with fixed noise checked to be exactly
 * [samples, ...q.noiseShapeSuffix] (one sample axis), so a mistake is reported here rather than as
 * a logJoint shape error.
 */
export function reparamDraws(
  op: string,
  key: PRNGKey,
  q: Distribution,
  samples: number,
  fixedNoise: Tensor | undefined,
): Tensor {
  if (fixedNoise !== undefined) {
    if (!(fixedNoise instanceof Tensor))
      fail(op, `fixedDraws must be a Tensor of noise, got ${fixedNoise === null ? 'null' : typeof fixedNoise}`);
    const want = [samples, ...q.noiseShapeSuffix];
    if (!shapesEqual(fixedNoise.shape, want)) {
      fail(
        op,
        `fixedDraws (noise) of shape ${shapeToString(fixedNoise.shape)} must have shape [samples, ...batch, ` +
          `...event] = ${shapeToString(want)}`,
      );
    }
  }
  return pathwiseDraws(op, key, q, samples, fixedNoise);
}

/** @internal docs/estimator-math.md §0.2 value-preserving fusion: forward value `value`, gradient of `surrogate`. */
export function fuseValue(surrogate: Tensor, value: Tensor): Tensor {
  return surrogate.sub(stopGradient(surrogate)).add(stopGradient(value));
}

/**
 * Reparameterized ELBO (docs/estimator-math.md §1.2): the pattern every estimator file follows.
 *
 *   z_s = g_φ(ε_s) (rsample),  lw_s = log p_θ(x, z_s) − log q_φ(z_s | x)
 *   surrogate = (1/S) Σ_s lw_s      (its total derivative is the pathwise gradient)
 *   value     = (1/S) Σ_s lw_s
 */
export const elbo = withInfo(
  function elbo(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: ElboOptions,
  ): EstimatorResult<ElboDiagnostics> {
    const op = 'elbo';
    const q = guideOf(op, options, phi, x);
    const { problem, samples } = options;
    checkSampleCount(op, samples, 1, q, options.maxDrawElements);
    checkReparameterized(op, q, 'elboScoreFunction');
    const z = reparamDraws(op, key, q, samples, options.fixedDraws);
    const lw = logJointOf(op, problem, theta, z, x, q).sub(q.logProb(z)); // [S, ...batch]
    checkLogWeights(op, lw);
    const perPoint = lw.mean(0);
    return { ...finish(op, problem, q, perPoint, perPoint), diagnostics: { samples, ess: effectiveSampleSize(lw) } };
  },
  { name: 'elbo', drawsFrom: 'q', reparameterized: true, minSamples: 1 },
);

/**
 * Sticking-the-landing ELBO (docs/estimator-math.md §1.3, Roeder et al. 2017): the pathwise gradient with the score
 * term (mean zero) dropped, by detaching q's parameters inside log q.
 *
 *   z_s = g_φ(ε_s),  surrogate = (1/S) Σ_s [ℓp_θ(z_s) − log q_{sg φ}(z_s)],  value = (1/S) Σ_s lw_s
 *   ĝ_φ = (1/S) Σ_s P lw(z_s)  (path derivative only),  ĝ_θ = (1/S) Σ_s ∇_θ ℓp(z_s)
 *
 * Unbiased; if q is the exact posterior every per-sample φ-gradient is exactly 0.
 */
export const elboStl = withInfo(
  function elboStl(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: ElboOptions,
  ): EstimatorResult<ElboDiagnostics> {
    const op = 'elboStl';
    const q = guideOf(op, options, phi, x);
    const { problem, samples } = options;
    checkSampleCount(op, samples, 1, q, options.maxDrawElements);
    checkReparameterized(op, q, 'elboScoreFunction');
    const z = reparamDraws(op, key, q, samples, options.fixedDraws);
    const lw = logJointOf(op, problem, theta, z, x, q).sub(q.detach().logProb(z)); // value = lw, path-only in φ
    checkLogWeights(op, lw);
    const perPoint = lw.mean(0);
    return { ...finish(op, problem, q, perPoint, perPoint), diagnostics: { samples, ess: effectiveSampleSize(lw) } };
  },
  { name: 'elboStl', drawsFrom: 'q', reparameterized: true, minSamples: 1 },
);

export interface ElboScoreFunctionOptions extends ElboOptions {
  /**
   * samples = 1 only: the baseline b (a number, or a tensor of the guide's batch shape, one per data
   * point), an exponential moving average of past ELBO estimates. It must not depend on the
   * current draw (so it stays unbiased). Default 0 on the first call; the updated average is
   * returned in `diagnostics.baseline` for the next call. With samples ≥ 2 the leave-one-out
   * baseline is used instead; a given baseline is then not used, only updated.
   */
  baseline?: number | Tensor;
  /** Decay d ∈ [0, 1) of the moving average: b ← d·b + (1 − d)·L̂ (default 0.9). */
  baselineDecay?: number;
}

/** Check the baseline and return its per-data-point values (float64) broadcast to the batch. */
function readBaseline(op: string, baseline: number | Tensor, batchShape: readonly number[], B: number): Float64Array {
  const out = new Float64Array(B);
  if (typeof baseline === 'number') {
    if (!Number.isFinite(baseline)) fail(op, `baseline must be finite, got ${baseline}`);
    return out.fill(baseline);
  }
  if (!(baseline instanceof Tensor))
    fail(op, `baseline must be a number or a Tensor, got ${baseline === null ? 'null' : typeof baseline}`);
  if (baseline.size === 1 && baseline.ndim <= batchShape.length) return out.fill(baseline.dataSync()[0]);
  if (!shapesEqual(baseline.shape, batchShape)) {
    fail(
      op,
      `baseline of shape ${shapeToString(baseline.shape)} must be a number or have the guide's batch shape ` +
        `${shapeToString(batchShape)} (one per data point)`,
    );
  }
  const d = baseline.dataSync();
  for (let i = 0; i < B; i++) {
    if (!Number.isFinite(d[i])) fail(op, `baseline must be finite, got ${d[i]} at index ${i}`);
    out[i] = d[i];
  }
  return out;
}

/**
 * Score-function (REINFORCE) ELBO (docs/estimator-math.md §1.4), for any guide (discrete allowed): the draws are
 * constants (`q.sample`, or `fixedDraws` as samples), and with S ≥ 2 the leave-one-out baseline
 * b_s = mean_{j≠s} lw_j is used:
 *
 *   surrogate = (1/S) Σ_s ℓp(z_s) + (1/(S−1)) Σ_s sg(lw_s − l̄w) · ℓq(z_s),   value = l̄w = mean_s lw_s
 *   ĝ_θ = (1/S) Σ_s ∇_θ ℓp(z_s),   ĝ_φ = (1/(S−1)) Σ_s (lw_s − l̄w) s_φ(z_s)
 *
 * With S = 1, the baseline is `options.baseline` (an exponential moving average of past values,
 * independent of the current draw, hence unbiased):
 *
 *   surrogate = ℓp(z) + sg(lw − b) · ℓq(z),   diagnostics.baseline = d·b + (1 − d)·lw
 *
 * (a number baseline is updated with the batch mean of the per-data-point values; a tensor one per
 * data point).
 */
export const elboScoreFunction = withInfo(
  function elboScoreFunction(
    key: PRNGKey,
    theta: unknown,
    phi: unknown,
    x: unknown,
    options: ElboScoreFunctionOptions,
  ): EstimatorResult<ElboDiagnostics> {
    const op = 'elboScoreFunction';
    const q = guideOf(op, options, phi, x);
    const { problem, samples: S } = options;
    checkSampleCount(op, S, 1, q, options.maxDrawElements);
    const decay = options.baselineDecay ?? 0.9;
    if (typeof decay !== 'number' || !(decay >= 0 && decay < 1))
      fail(op, `baselineDecay must be a number in [0, 1), got ${String(decay)}`);
    const batchShape = q.batchShape.slice();
    const B = q.batchShape.reduce((a, b) => a * b, 1);
    const given = options.baseline === undefined ? undefined : readBaseline(op, options.baseline, batchShape, B);

    const z = scoreDraws(op, key, q, S, options.fixedDraws);
    const lp = logJointOf(op, problem, theta, z, x, q); // [S, ...batch], live θ
    const lq = q.logProb(z); // live φ
    const lwC = lp.primal().sub(lq.primal()); // constants
    checkLogWeights(op, lwC);
    const lwd = lwC.dataSync();

    // l̄w per data point (float64 sums) and the coefficients of ℓq (constants):
    // (lw_s − l̄w)/(S − 1) for S ≥ 2, lw − b for S = 1.
    const lbar = new Float64Array(B);
    for (let i = 0; i < S * B; i++) lbar[i % B] += lwd[i];
    for (let b = 0; b < B; b++) lbar[b] /= S;
    const coef = new Float32Array(S * B);
    for (let i = 0; i < S * B; i++) {
      const b = i % B;
      coef[i] = S >= 2 ? (lwd[i] - lbar[b]) / (S - 1) : lwd[i] - (given === undefined ? 0 : given[b]);
    }
    const values = Tensor.fromData(Float32Array.from(lbar), batchShape);
    const surrogate = lp.mean(0).add(lq.mul(Tensor.fromData(coef, [S, ...batchShape])).sum(0));

    // Moving-average baseline for the next call.
    let baseline: number | Tensor;
    if (typeof options.baseline === 'number' || (options.baseline === undefined && batchShape.length === 0)) {
      let mean = 0;
      for (let b = 0; b < B; b++) mean += lbar[b];
      mean /= B;
      baseline = options.baseline === undefined ? mean : decay * (options.baseline as number) + (1 - decay) * mean;
    } else {
      const nb = new Float32Array(B);
      for (let b = 0; b < B; b++) nb[b] = given === undefined ? lbar[b] : decay * given[b] + (1 - decay) * lbar[b];
      baseline = Tensor.fromData(nb, batchShape);
    }

    const diagnostics: ElboDiagnostics = { samples: S, ess: effectiveSampleSize(lwC), baseline };
    return { ...finish(op, problem, q, fuseValue(surrogate, values), values), diagnostics };
  },
  { name: 'elboScoreFunction', drawsFrom: 'q', reparameterized: false, minSamples: 1 },
);
