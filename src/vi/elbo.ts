/**
 * The reparameterized ELBO estimator (spec §1.2): the pattern every estimator file follows.
 *
 *   z_s = g_φ(ε_s) (rsample),  lw_s = log p_θ(x, z_s) − log q_φ(z_s | x)
 *   surrogate = (1/S) Σ_s lw_s      (its total derivative is the pathwise gradient)
 *   value     = (1/S) Σ_s lw_s
 */
import type { PRNGKey } from '../random/key.js';
import { checkSampleCount, finish, logJointOf, pathwiseDraws, withInfo } from './common.js';
import { effectiveSampleSize } from './logweights.js';
import type { CommonOptions, EstimatorResult, Problem } from './types.js';

export interface ElboOptions extends CommonOptions {
  problem: Problem;
}

export const elbo = withInfo(
  function elbo(key: PRNGKey, theta: unknown, phi: unknown, x: unknown, options: ElboOptions): EstimatorResult {
    const op = 'elbo';
    const { problem, samples } = options;
    checkSampleCount(op, samples, 1);
    const q = problem.guide(phi, x);
    const z = pathwiseDraws(op, key, q, samples, options.fixedDraws);
    const lw = logJointOf(op, problem, theta, z, x, q).sub(q.logProb(z)); // [S, ...batch]
    const perPoint = lw.mean(0);
    return { ...finish(op, problem, q, perPoint, perPoint), diagnostics: { samples, ess: effectiveSampleSize(lw) } };
  },
  { name: 'elbo', drawsFrom: 'q', reparameterized: true, minSamples: 1 },
);
