// Conditional samplers on the linear-Gaussian VAE, where p(x_m | x_o) is known exactly. MWG,
// AC-MWG and LAIR's final resampling must reproduce its mean and covariance with a deliberately
// biased encoder; pseudo-Gibbs must fail with that encoder and pass with the exact one.
//
// Tolerance: |z| ≤ 5 for each of 10 statistics (5 per data point), where the standard errors come
// from batch means (chains: 2 batches of 120 iterations per chain, far longer than the chains'
// autocorrelation time of a few iterations; shorter batches of 24 underestimated the SE) or from
// independent replicas (LAIR). For a correct sampler one statistic fails with probability ≈ 3e-6
// (t with 79 degrees of freedom, chains) or 1.3e-5 (t with 39, LAIR), so a run of 10 fails with
// probability < 2e-4. Seeds 1–8 gave max |z| of 1.2–2.9 for MWG, AC-MWG and LAIR, 73–90 for biased pseudo-Gibbs.
import { describe, expect, it } from 'vitest';
import { key } from '../src/random/key.js';
import { conditionalSample } from '../src/conditional/index.js';
import { linearGaussianVae } from '../models/linear-gaussian-vae.js';
import { maxAbsZ, report } from './helpers/conditional-stats.js';
import {
  BIASED_ENCODER,
  EXACT_ENCODER,
  chainEstimates,
  dataTensors,
  params,
  replicaEstimates,
} from './helpers/conditional-linear-gaussian.js';

const ROWS = [0, 1];
const Z_MAX = 5;

function runChains(method: 'mwg' | 'ac-mwg' | 'pseudo-gibbs', encoder = BIASED_ENCODER, seed = 1) {
  const { x, mask } = dataTensors(ROWS);
  const options = { method, chains: 40, iterations: 300 };
  const r = conditionalSample(key(seed), linearGaussianVae, params(encoder), x, mask, options);
  // 60 iterations of burn-in, then 2 batches of 120 iterations per chain: 80 batches per statistic.
  return chainEstimates(r.imputations, ROWS, 60, 2);
}

describe('conditional samplers reproduce p(x_m | x_o) of the linear-Gaussian VAE', () => {
  it('MWG with a biased encoder', () => {
    const e = runChains('mwg');
    expect(maxAbsZ(e), report(e)).toBeLessThanOrEqual(Z_MAX);
  });

  it('AC-MWG with a biased encoder', () => {
    const e = runChains('ac-mwg');
    expect(maxAbsZ(e), report(e)).toBeLessThanOrEqual(Z_MAX);
  });

  it("LAIR's final resampling with a biased encoder", () => {
    // 40 independent replicas of each data point (as 80 rows of one batch), K = 4, R = 1.
    const rows = Array.from({ length: 80 }, (_, i) => i % 2);
    const { x, mask } = dataTensors(rows);
    const r = conditionalSample(key(2), linearGaussianVae, params(BIASED_ENCODER), x, mask, {
      method: 'lair',
      iterations: 150,
      finalSamples: 100,
    });
    const e = replicaEstimates(r.final!.imputations, rows);
    expect(maxAbsZ(e), report(e)).toBeLessThanOrEqual(Z_MAX);
  });

  it('negative control: pseudo-Gibbs with the biased encoder fails the same test', () => {
    const e = runChains('pseudo-gibbs');
    expect(maxAbsZ(e), report(e)).toBeGreaterThan(4 * Z_MAX);
  });

  it('positive control: pseudo-Gibbs with the exact encoder passes', () => {
    const e = runChains('pseudo-gibbs', EXACT_ENCODER);
    expect(maxAbsZ(e), report(e)).toBeLessThanOrEqual(Z_MAX);
  });
});
