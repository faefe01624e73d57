// The conditional-sampling API: shapes, observed entries that never change, determinism from the
// key, diagnostics and decoder-evaluation counts, resampling, clipping, pure step states, and a
// clear error for every kind of bad input.
import { describe, expect, it } from 'vitest';
import { Normal } from '../src/dist/index.js';
import { SieveError } from '../src/errors.js';
import { foldIn, key } from '../src/random/key.js';
import { tensor } from '../src/tensor/creation.js';
import {
  acMwgInit,
  acMwgStep,
  clipBounds,
  conditionalSample,
  imputationTask,
  normalizedWeights,
  pseudoGibbsStep,
  resampleIndices,
  type ConditionalMethod,
  type ConditionalVae,
} from '../src/conditional/index.js';
import { linearGaussianVae, type LinearGaussianVaeParams } from '../models/linear-gaussian-vae.js';
import { BIASED_ENCODER, DATA, dataTensors, params, task } from './helpers/conditional-linear-gaussian.js';

const P = params(BIASED_ENCODER);
const { x: X, mask: MASK } = dataTensors([0, 1]);
const METHODS: ConditionalMethod[] = ['pseudo-gibbs', 'mwg', 'ac-mwg', 'lair'];

function run(method: ConditionalMethod, seed = 0, extra = {}) {
  return conditionalSample(key(seed), linearGaussianVae, P, X, MASK, { method, chains: 3, iterations: 6, ...extra });
}

describe('conditionalSample', () => {
  it.each(METHODS)('%s: shapes, and observed entries bit-identical in every imputation', (method) => {
    // NaN in the missing entries of x must not matter.
    const x = tensor(DATA.map((row) => row.map((v, d) => (d >= 3 ? NaN : v))));
    const r = conditionalSample(key(1), linearGaussianVae, P, x, MASK, { method, chains: 3, iterations: 6 });
    expect(r.imputations.shape).toEqual([6, 2, 3, 5]);
    expect(r.latents.shape).toEqual([6, 2, 3, 2]);
    const v = r.imputations.dataSync();
    for (let s = 0; s < 6; s++) {
      for (let b = 0; b < 2; b++) {
        for (let k = 0; k < 3; k++) {
          for (let d = 0; d < 5; d++) {
            const value = v[((s * 2 + b) * 3 + k) * 5 + d];
            if (d < 3) expect(value).toBe(Math.fround(DATA[b][d]));
            else expect(Number.isFinite(value)).toBe(true);
          }
        }
      }
    }
    if (method === 'lair') {
      expect(r.final!.imputations.shape).toEqual([2, 18, 5]);
      expect(r.final!.latents.shape).toEqual([2, 18, 2]);
      const f = r.final!.imputations.dataSync();
      for (let i = 0; i < 2 * 18; i++) {
        for (let d = 0; d < 3; d++) expect(f[i * 5 + d]).toBe(Math.fround(DATA[Math.floor(i / 18)][d]));
      }
    }
  });

  it.each(METHODS)('%s: the same key gives the same samples, another key other samples', (method) => {
    expect(run(method, 3).imputations.dataSync()).toEqual(run(method, 3).imputations.dataSync());
    expect(run(method, 4).imputations.dataSync()).not.toEqual(run(method, 3).imputations.dataSync());
  });

  it('reports acceptance rates, ESS, perplexity and the decoder evaluations spent', () => {
    const [B, K, T] = [2, 3, 6];
    for (const method of ['mwg', 'ac-mwg'] as const) {
      const r = run(method);
      expect(r.diagnostics.acceptanceRate!.shape).toEqual([B, K]);
      for (const a of r.diagnostics.acceptanceRate!.dataSync()) expect(a * T).toBeCloseTo(Math.round(a * T), 5);
      // VAE samples to start (B·K), the decoder at the first latents (B·K), one proposal per chain and iteration.
      expect(r.diagnostics.decoderEvaluations).toBe(B * K + B * K + T * B * K);
    }
    expect(run('pseudo-gibbs').diagnostics.decoderEvaluations).toBe(B * K + T * B * K);
    const lair = run('lair', 0, { priorComponents: 2, samplesPerComponent: 2, finalSamples: 7 });
    const J = (K + 2) * 2;
    expect(lair.diagnostics.decoderEvaluations).toBe(B * K + T * B * J + B * 7);
    expect(lair.diagnostics.ess!.shape).toEqual([T, B]);
    const perplexity = lair.diagnostics.perplexity!.dataSync();
    for (const [i, e] of Array.from(lair.diagnostics.ess!.dataSync()).entries()) {
      const p = perplexity[i];
      expect(e).toBeGreaterThanOrEqual(1 - 1e-6);
      expect(e).toBeLessThanOrEqual(J * (1 + 1e-6));
      expect(p).toBeGreaterThanOrEqual(e * (1 - 1e-6)); // perplexity ≥ ESS (Rényi entropies decrease in the order)
      expect(p).toBeLessThanOrEqual(J * (1 + 1e-6));
    }
    const warm = run('ac-mwg', 0, { warmup: { method: 'lair', iterations: 4 } });
    expect(warm.diagnostics.warmupIterations).toBe(4);
    expect(warm.diagnostics.decoderEvaluations).toBe(B * K + 4 * B * (K + 1) + B * K + T * B * K);
  });

  it('records every n-th iteration with thin', () => {
    const all = run('mwg');
    const thinned = run('mwg', 0, { thin: 3 });
    expect(thinned.imputations.shape).toEqual([2, 2, 3, 5]);
    const v = all.imputations.dataSync();
    // Iterations 3 and 6 (indices 2 and 5), 2·3·5 = 30 values each.
    expect(Array.from(thinned.imputations.dataSync())).toEqual([...v.slice(60, 90), ...v.slice(150, 180)]);
  });
});

describe('resampling', () => {
  const logW = Float64Array.from([Math.log(0.1), Math.log(0.6), -Infinity, Math.log(0.3)]);

  it('systematic resampling gives each index ⌊nW⌋ or ⌈nW⌉ copies and never a zero-weight one', () => {
    for (let s = 0; s < 20; s++) {
      const idx = resampleIndices(key(s), logW, 1, 4, 10, 'systematic');
      const counts = [0, 0, 0, 0];
      idx.forEach((i) => counts[i]++);
      [0.1, 0.6, 0, 0.3].forEach((w, j) => {
        expect(counts[j]).toBeGreaterThanOrEqual(Math.floor(10 * w - 1e-9));
        expect(counts[j]).toBeLessThanOrEqual(Math.ceil(10 * w + 1e-9));
      });
    }
  });

  it('multinomial resampling never picks a zero-weight index and follows the weights', () => {
    const idx = resampleIndices(key(1), logW, 1, 4, 20000, 'multinomial');
    const counts = [0, 0, 0, 0];
    idx.forEach((i) => counts[i]++);
    expect(counts[2]).toBe(0);
    // Binomial standard error of a frequency: sqrt(w(1 − w)/n); 5 SE.
    [0.1, 0.6, 0, 0.3].forEach((w, j) =>
      expect(Math.abs(counts[j] / 20000 - w)).toBeLessThanOrEqual(5 * Math.sqrt((w * (1 - w)) / 20000)),
    );
  });

  it('rejects bad weights and methods clearly', () => {
    expect(() => normalizedWeights([-Infinity, -Infinity], 0, 2)).toThrow(
      /resample: log-weights of data point 0 must have a finite maximum/,
    );
    expect(() => normalizedWeights([0, NaN], 0, 2)).toThrow(/resample: log-weight 1 of data point 0 is NaN/);
    expect(() => resampleIndices(key(0), logW, 1, 4, 2, 'stratified' as never)).toThrow(
      /method must be 'multinomial' or 'systematic'/,
    );
  });
});

describe('pseudo-Gibbs clipping', () => {
  it("'batch' clips to twice the observed range (with 0), and non-finite imputations keep the previous value", () => {
    const t = task(BIASED_ENCODER);
    const bounds = clipBounds(t, 'batch')!;
    expect(Array.from(bounds.lo)).toEqual([2 * Math.fround(-0.8), 2 * Math.fround(-0.4), 0, 0, 0]);
    expect(Array.from(bounds.hi)).toEqual([2 * Math.fround(1.2), 2 * Math.fround(1.5), 2 * Math.fround(0.9), 0, 0]);
    // Missing dims 3 and 4 were never observed, so 'batch' pins them to 0: with explicit bounds instead,
    const narrow = clipBounds(t, { min: [-9, -9, -9, -0.1, -0.2], max: [9, 9, 9, 0.1, 0.2] });
    const start = { imputations: t.x.reshape([2, 1, 5]).broadcastTo([2, 4, 5]), latents: null };
    const r = pseudoGibbsStep(key(0), t, start, narrow);
    const v = r.state.imputations.dataSync();
    for (let i = 0; i < v.length; i += 5) {
      expect(Math.abs(v[i + 3])).toBeLessThanOrEqual(Math.fround(0.1));
      expect(Math.abs(v[i + 4])).toBeLessThanOrEqual(Math.fround(0.2));
    }
    // A decoder that returns NaN means: the clipped step keeps the previous imputation.
    const nanVae: ConditionalVae<LinearGaussianVaeParams> = {
      ...linearGaussianVae,
      decoder: (p, z) => new Normal(z.matmul(p.decoder.W.T).mul(NaN), p.decoder.noiseStd, { validate: false }),
    };
    const tn = imputationTask(nanVae, P, X, MASK);
    const kept = pseudoGibbsStep(key(0), tn, start, narrow).state.imputations.dataSync();
    expect(Array.from(kept)).toEqual(Array.from(start.imputations.dataSync()));
  });
});

describe("AC-MWG's availability horizon", () => {
  it('moves to the history length before the new imputation on acceptance, and stays on rejection', () => {
    const t = task(BIASED_ENCODER);
    let { state } = acMwgInit(key(0), t, t.x.reshape([2, 1, 5]).broadcastTo([2, 8, 5]).add(0));
    const seen = [0, 0];
    for (let i = 0; i < 12; i++) {
      const r = acMwgStep(foldIn(key(2), i), t, state);
      r.accepted.forEach((a, c) => {
        expect(r.state.available[c]).toBe(a === 1 ? state.history.length : state.available[c]);
        seen[a]++;
      });
      expect(r.state.history.length).toBe(state.history.length + 1);
      state = r.state;
    }
    expect(Math.min(...seen)).toBeGreaterThan(0); // both branches were exercised
  });
});

describe('AC-MWG step states are values', () => {
  it('stepping the same state twice gives the same result, even after the history grew', () => {
    const t = task(BIASED_ENCODER);
    let { state } = acMwgInit(key(0), t, t.x.reshape([2, 1, 5]).broadcastTo([2, 3, 5]).add(0));
    for (let i = 0; i < 3; i++) state = acMwgStep(foldIn(key(1), i), t, state).state;
    const first = acMwgStep(key(9), t, state);
    acMwgStep(key(10), t, first.state); // grows the shared history
    const again = acMwgStep(key(9), t, state);
    expect(again.state.history.length).toBe(first.state.history.length);
    expect(again.state.imputations.dataSync()).toEqual(first.state.imputations.dataSync());
    expect(again.logAcceptance).toEqual(first.logAcceptance);
  });
});

describe('bad input gets a clear error', () => {
  const bad = (f: () => unknown, message: RegExp) => {
    expect(f).toThrow(SieveError);
    expect(f).toThrow(message);
  };

  it('data and mask', () => {
    bad(
      () => imputationTask(linearGaussianVae, P, tensor([1, 2, 3]), tensor([1, 1, 0])),
      /imputationTask: x must be a Tensor of shape \[B, D\], got a Tensor of shape \[3\]/,
    );
    bad(
      () => imputationTask(linearGaussianVae, P, X, tensor([[1, 1, 1, 0, 0]])),
      /mask must be a Tensor of the shape of x \[2,5\], got a Tensor of shape \[1,5\]/,
    );
    bad(
      () =>
        imputationTask(
          linearGaussianVae,
          P,
          X,
          tensor([
            [1, 1, 0.5, 0, 0],
            [1, 1, 1, 0, 0],
          ]),
        ),
      /mask must hold only 0 \(missing\) and 1 \(observed\), got 0.5 at \[0, 2\]/,
    );
    bad(
      () =>
        imputationTask(
          linearGaussianVae,
          P,
          tensor([
            [1, NaN, 1, 0, 0],
            [1, 1, 1, 0, 0],
          ]),
          MASK,
        ),
      /observed value x\[0, 1\] = NaN is not finite/,
    );
    bad(() => imputationTask({} as never, P, X, MASK), /vae must be a ConditionalVae/);
  });

  it('options', () => {
    bad(
      () => run('gibbs' as never),
      /conditionalSample: options.method must be one of pseudo-gibbs, mwg, ac-mwg, lair, got gibbs/,
    );
    bad(() => run('mwg', 0, { iterations: 0 }), /iterations must be an integer ≥ 1, got 0/);
    bad(() => run('mwg', 0, { chains: 1.5 }), /chains must be an integer ≥ 1, got 1.5/);
    bad(() => run('ac-mwg', 0, { epsilon: 1.5 }), /acMwg: epsilon must be a number in \[0, 1\], got 1.5/);
    bad(() => run('mwg', 0, { thin: 7 }), /thin = 7 would record none of the 6 iterations/);
    bad(
      () => run('lair', 0, { warmup: { method: 'lair', iterations: 2 } }),
      /warmup applies to 'mwg' and 'ac-mwg', not to 'lair'/,
    );
    bad(
      () => run('mwg', 0, { warmup: { method: 'gibbs', iterations: 2 } }),
      /warmup.method must be 'pseudo-gibbs' or 'lair', got gibbs/,
    );
    bad(() => run('lair', 0, { priorComponents: -1 }), /lair: priorComponents must be an integer ≥ 0, got -1/);
    bad(
      () => run('lair', 0, { resampling: 'residual' }),
      /resample: method must be 'multinomial' or 'systematic', got residual/,
    );
    bad(
      () => run('pseudo-gibbs', 0, { clip: { min: [0], max: [1] } }),
      /clip must be false, 'batch' or \{ min, max \} with 5 values each/,
    );
  });

  it('a VAE that returns the wrong shapes', () => {
    const wrongDecoder: ConditionalVae<LinearGaussianVaeParams> = {
      ...linearGaussianVae,
      decoder: (p, z) => linearGaussianVae.decoder(p, z).toEvent(1),
    };
    bad(
      () => conditionalSample(key(0), wrongDecoder, P, X, MASK, { method: 'lair', iterations: 1 }),
      /decoder: for latents of shape \[2,4,2\] the decoder must return .* batch shape \[2,4,5\] and event shape \[\]/,
    );
    const wrongEncoder: ConditionalVae<LinearGaussianVaeParams> = {
      ...linearGaussianVae,
      encoder: (p, x, m) => linearGaussianVae.encoder(p, x, m).toEvent(1),
    };
    bad(
      () => conditionalSample(key(0), wrongEncoder, P, X, MASK, { method: 'mwg', iterations: 1 }),
      /encoder: for inputs of shape \[2,5,5\] the encoder must return/,
    );
    const batchedPrior: ConditionalVae<LinearGaussianVaeParams> = {
      ...linearGaussianVae,
      prior: () => new Normal(tensor([0, 0]), 1),
    };
    bad(() => imputationTask(batchedPrior, P, X, MASK), /the prior must have batch shape \[\]/);
  });
});
