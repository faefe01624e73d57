// The MNIST VAE of models/vae.ts as a ConditionalVae (checked on a tiny randomly initialized
// instance, so no data set is needed): its per-pixel decoder and prior add up to the model's
// log-joint, and every sampler runs on it with binary imputations and unchanged observed pixels.
import { describe, expect, it } from 'vitest';
import { key, split } from '../src/random/key.js';
import { bernoulli } from '../src/random/discrete.js';
import { normal } from '../src/random/continuous.js';
import { conditionalSample, type ConditionalMethod } from '../src/conditional/index.js';
import { initVae, mnistConditionalVae, vaeLogJoint, type VaeParams } from '../models/vae.js';
import { tensor } from '../src/tensor/creation.js';
import { compareImputations, halfImageMask, missingPixelScores } from '../experiments/imputation.js';

const [kInit, kData, kMask, kZ] = split(key(0), 4);
const PARAMS: VaeParams = initVae(kInit, { latent: 3, hidden: 8, pixels: 12 });
const X = bernoulli(kData, 0.4, [2, 12]);
const MASK = bernoulli(kMask, 0.6, [2, 12]);

describe('the MNIST VAE as a ConditionalVae', () => {
  it('decoder log-likelihoods summed over pixels plus the prior equal the log-joint', () => {
    const z = normal(kZ, [4, 2, 3]);
    const perPixel = mnistConditionalVae.decoder(PARAMS, z).logProb(X);
    const prior = mnistConditionalVae.prior(PARAMS).logProb(z);
    const got = perPixel.sum(-1).add(prior).dataSync();
    const magnitude = perPixel.abs().sum(-1).add(prior.abs()).dataSync();
    const want = vaeLogJoint(PARAMS.theta, z, X).dataSync();
    // Each side is a float32 chain of about 16 operations (12 pixel terms, the prior's 3), so it is
    // off by at most 16·u·Σ|terms|.
    got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThanOrEqual(2 * 16 * 2 ** -24 * magnitude[i]));
  });

  const methods: ConditionalMethod[] = ['pseudo-gibbs', 'mwg', 'ac-mwg', 'lair'];
  it.each(methods)('%s runs: binary imputations, observed pixels kept', (method) => {
    const r = conditionalSample(key(1), mnistConditionalVae, PARAMS, X, MASK, { method, chains: 3, iterations: 3 });
    expect(r.imputations.shape).toEqual([3, 2, 3, 12]);
    const v = r.imputations.dataSync();
    const x = X.dataSync();
    const m = MASK.dataSync();
    v.forEach((value, i) => {
      const b = Math.floor(i / 36) % 2;
      const d = i % 12;
      if (m[b * 12 + d] === 1) expect(value).toBe(x[b * 12 + d]);
      else expect(value === 0 || value === 1).toBe(true);
    });
  });
});

describe('the imputation experiment core (experiments/imputation.ts, not registered)', () => {
  it('scores imputations at the missing pixels only, with add-one smoothing and majority votes', () => {
    // Pixel 0 observed; pixel 1 imputed as 1 and 0 (truth 0), pixel 2 as 1 and 1 (truth 1).
    const s = missingPixelScores(tensor([[1, 0, 1]]), tensor([[1, 0, 0]]), tensor([[[0, 1, 1]], [[0, 0, 1]]]));
    expect(s.missingPixels).toBe(2);
    expect(s.logLikelihoodPerPixel).toBeCloseTo((Math.log(2 / 4) + Math.log(3 / 4)) / 2, 12);
    expect(s.accuracy).toBe(0.5); // a 1–1 tie votes 1, wrong for pixel 1
  });

  it('hides half of each image', () => {
    const m = halfImageMask(2, 'top').dataSync();
    expect(m.length).toBe(2 * 784);
    expect(m.slice(0, 392).every((v) => v === 0) && m.slice(392, 784).every((v) => v === 1)).toBe(true);
  });

  it('compares the samplers on the same images', () => {
    const methods = (['mwg', 'lair'] as const).map((method) => ({ name: method, options: { method, iterations: 3 } }));
    const r = compareImputations(key(2), PARAMS, X, MASK, methods, 1);
    expect(r.map((m) => m.name)).toEqual(['mwg', 'lair']);
    const missing = Array.from(MASK.dataSync()).filter((v) => v === 0).length;
    for (const m of r) {
      expect(m.missingPixels).toBe(missing);
      expect(m.logLikelihoodPerPixel).toBeLessThan(0);
      expect(m.accuracy).toBeGreaterThanOrEqual(0);
      expect(m.accuracy).toBeLessThanOrEqual(1);
    }
    expect(r[0].acceptanceRate).toBeDefined();
    expect(r[1].ess).toBeDefined();
  });
});
