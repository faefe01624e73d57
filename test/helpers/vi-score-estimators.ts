/**
 * Test-only score-function IWAE estimators with hand-written control variates (docs/estimator-math.md §3, §4.3),
 * independent of src/vi/iw-score.ts (float64 arithmetic written out here), used as references and
 * negative controls:
 *
 *  - OVIS~ (Liévin et al. 2020, `ovis/estimators/ovis.py`, class OvisAsymptotic, eq. 17):
 *      c_k = log Ẑ_{−k} − γ v_k + (1 − γ) log(1 − 1/K),
 *    with K the number of samples, Ẑ_{−k} = (1/(K−1)) Σ_{j≠k} w_j the mean of the OTHER weights, and
 *    v_k = w_k / Σ_j w_j the normalized importance weight of sample k (in the OVIS code
 *    `v_k = log_wk.softmax(...)`; its learning signal is d_k − c_k with d_k = log Ẑ − v_k, the same
 *    convention as ours: L̂ − c_k − W_k). γ = 0 gives c_k = log((1/K) Σ_{j≠k} w_j), i.e. VIMCO-★;
 *    γ > 0 makes c_k depend on z_k through v_k, so the estimator is BIASED.
 *  - a score estimator whose "baseline" is c_i = lw_i (depends on z_i: biased).
 *
 * Surrogate (per data point, α = 0): LME(ℓp − ℓq) + Σ_i sg(L̂ − c_i) ℓq(z_i), as in docs/estimator-math.md §3.
 */
import { fail } from '../../src/errors.js';
import type { PRNGKey } from '../../src/random/key.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { finish, logJointOf, scoreDraws, withInfo } from '../../src/vi/common.js';
import { logMeanExp } from '../../src/vi/logweights.js';
import type { Estimator, EstimatorResult, Problem } from '../../src/vi/types.js';
import { fuseValue } from '../../src/vi/elbo.js';

function lse64(v: readonly number[]): number {
  const m = Math.max(...v);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** OVIS~ control variates c_k for one data point's log weights (float64, O(K²): a plain reference). */
export function ovisC64(lw: readonly number[], gamma: number): number[] {
  const K = lw.length;
  const lse = lse64(lw);
  return lw.map((lwk, k) => {
    const others = lse64(lw.filter((_, j) => j !== k));
    const logZminus = others - Math.log(K - 1);
    const v = Math.exp(lwk - lse);
    return logZminus - gamma * v + (1 - gamma) * Math.log(1 - 1 / K);
  });
}

/** VIMCO-★ (α = 0) control variates c_i = log((1/N) Σ_{j≠i} w_j), plain float64 reference. */
export function vimcoStarC64(lw: readonly number[]): number[] {
  return lw.map((_, i) => lse64(lw.filter((__, j) => j !== i)) - Math.log(lw.length));
}

/**
 * VIMCO control variates c_i = log((1/N)[Σ_{j≠i} w_j + ŵ_{−i}]) (docs/estimator-math.md §3), plain float64
 * reference.
 */
export function vimcoC64(lw: readonly number[], variant: 'geometric' | 'arithmetic'): number[] {
  const N = lw.length;
  return lw.map((_, i) => {
    const rest = lw.filter((__, j) => j !== i);
    const logHat = variant === 'geometric' ? rest.reduce((s, x) => s + x, 0) / (N - 1) : lse64(rest) - Math.log(N - 1);
    return lse64([...rest, logHat]) - Math.log(N);
  });
}

/** A score-function IWAE estimator with control variates cFn(lw of one data point) (α = 0). */
export function customScoreEstimator(name: string, cFn: (lw: number[]) => number[]): Estimator<any> {
  return withInfo(
    function custom(
      key: PRNGKey,
      theta: unknown,
      phi: unknown,
      x: unknown,
      options: { problem: Problem; samples: number; fixedDraws?: Tensor },
    ): EstimatorResult {
      const { problem, samples: N } = options;
      if (N < 2) fail(name, 'needs samples >= 2');
      const q = problem.guide(phi, x);
      const z = scoreDraws(name, key, q, N, options.fixedDraws);
      const lp = logJointOf(name, problem, theta, z, x, q);
      const lq = q.logProb(z);
      const lw = lp.sub(lq);
      const value = logMeanExp(lw, 0);
      const d = lw.primal().dataSync();
      const B = d.length / N;
      const coef = new Float32Array(N * B);
      for (let b = 0; b < B; b++) {
        const col = Array.from({ length: N }, (_, i) => d[i * B + b]);
        const lhat = lse64(col) - Math.log(N);
        const c = cFn(col);
        for (let i = 0; i < N; i++) coef[i * B + b] = lhat - c[i];
      }
      const surrogate = value.add(lq.mul(Tensor.fromData(coef, lw.shape)).sum(0));
      return { ...finish(name, problem, q, fuseValue(surrogate, value), value), diagnostics: { samples: N } };
    },
    { name, drawsFrom: 'q', reparameterized: false, minSamples: 2 },
  );
}

/** OVIS~ with parameter γ (test-only; biased for γ > 0). */
export const ovisTilde = (gamma: number): Estimator<any> =>
  customScoreEstimator(`ovisTilde(γ=${gamma})`, (lw) => ovisC64(lw, gamma));

/** "Baseline" c_i = lw_i: depends on z_i, biased. */
export const selfBaseline: Estimator<any> = customScoreEstimator('selfBaseline', (lw) => lw.slice());

/** An estimator that ignores options.fixedDraws (samples with the key every time). */
export function ignoringFixedDraws(est: Estimator<any>): Estimator<any> {
  return withInfo(
    (key: PRNGKey, theta: unknown, phi: unknown, x: unknown, options: any) =>
      est(key, theta, phi, x, { ...options, fixedDraws: undefined }),
    { ...est.info, name: 'ignoresFixedDraws' },
  );
}
