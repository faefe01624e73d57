// The Bernoulli path on an enumerable model: a categorical latent, a Bernoulli decoder and a
// biased encoder; exact p(x_m | x_o) by enumeration. Two data points with different masks. The
// imputations of independent chains (the last iteration of each) or of independent LAIR replicas
// must pass a χ² goodness-of-fit test at p > 1e-4 (6 p-values for the correct samplers: false
// failure < 6e-4 in all, provided the chains have mixed). Seeds 1–6 with these run lengths gave
// p-values spread over [0.016, 0.96] for MWG, AC-MWG and LAIR, and p < 1e-14 for pseudo-Gibbs.
import { describe, expect, it } from 'vitest';
import { key } from '../src/random/key.js';
import { tensor } from '../src/tensor/creation.js';
import { conditionalSample, type ConditionalMethod } from '../src/conditional/index.js';
import { chiSquare, chiSquareTail } from './helpers/conditional-stats.js';
import { BIASED, discreteVae, exactConditional, patternIndex } from './helpers/conditional-discrete-vae.js';

const POINTS = [
  { x: [1, 0, 0, 0], observed: [true, true, false, false] },
  { x: [0, 0, 1, 0], observed: [true, false, true, false] },
];
const P_MIN = 1e-4;

/** χ² p-values of the imputations [B, N, D] of each data point (rows b → POINTS[b % 2]). */
function pValues(samples: Float32Array, B: number, N: number): number[] {
  return POINTS.map((pt, which) => {
    const probs = exactConditional(pt.x, pt.observed);
    const counts = probs.map(() => 0);
    for (let b = which; b < B; b += 2) {
      for (let n = 0; n < N; n++) {
        counts[patternIndex(samples.subarray((b * N + n) * 4, (b * N + n + 1) * 4), pt.observed)]++;
      }
    }
    const { statistic, dof } = chiSquare(counts, probs);
    return chiSquareTail(statistic, dof);
  });
}

function data(rows: number) {
  const pts = Array.from({ length: rows }, (_, b) => POINTS[b % 2]);
  return { x: tensor(pts.map((p) => p.x)), mask: tensor(pts.map((p) => p.observed.map((o) => (o ? 1 : 0)))) };
}

/** The last imputation of each of 1000 independent chains per data point, after `iterations` iterations. */
function lastOfChains(method: ConditionalMethod, iterations: number, seed = 1): number[] {
  const { x, mask } = data(2);
  const options = { method, chains: 1000, iterations, thin: iterations };
  const r = conditionalSample(key(seed), discreteVae, BIASED, x, mask, options);
  return pValues(r.imputations.dataSync(), 2, 1000);
}

describe('conditional samplers on a discrete VAE with a Bernoulli decoder (χ² against enumeration)', () => {
  it('MWG', () => {
    const p = lastOfChains('mwg', 20);
    expect(Math.min(...p), p.join(', ')).toBeGreaterThan(P_MIN);
  });

  it('AC-MWG', () => {
    const p = lastOfChains('ac-mwg', 20);
    expect(Math.min(...p), p.join(', ')).toBeGreaterThan(P_MIN);
  });

  it("LAIR's final resampling (one sample from each of 1000 independent runs per data point)", () => {
    const { x, mask } = data(2000);
    const options = { method: 'lair', iterations: 10, finalSamples: 1 } as const;
    const r = conditionalSample(key(2), discreteVae, BIASED, x, mask, options);
    const p = pValues(r.final!.imputations.dataSync(), 2000, 1);
    expect(Math.min(...p), p.join(', ')).toBeGreaterThan(P_MIN);
  });

  it('negative control: pseudo-Gibbs with the biased encoder fails', () => {
    const p = lastOfChains('pseudo-gibbs', 20);
    expect(Math.min(...p), p.join(', ')).toBeLessThan(P_MIN);
  });
});
