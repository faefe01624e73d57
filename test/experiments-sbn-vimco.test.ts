/**
 * The VIMCO vs VIMCO-★ SBN experiment in 'tiny' mode with a fake RunContext: well-formed and NaN-free,
 * equal evaluations for the two estimators, across-seed intervals in standard mode, the single-seed
 * separation rule of quick mode, interruption, and the gradient-noise sums it rests on.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPERIMENTS } from '../experiments/index.js';
import { GradientSums, gradientNoise } from '../experiments/sbn-vimco-gradient-noise.js';
import { logLogSlope, runSbnVimco, SBN_VIMCO_SETTINGS, sbnVimco } from '../experiments/sbn-vimco.js';
import { SEEDS_PER_MODE } from '../experiments/seeds.js';
import type { ExperimentResult } from '../experiments/types.js';
import { loadMnist, mnistBatch, pixelMeans } from '../models/data/mnist.js';
import { initSbn } from '../models/sbn.js';
import { foldIn, key as makeKey } from '../src/random/key.js';
import { Tensor } from '../src/tensor/tensor.js';
import { fakeContext, type FakeContext } from './helpers/experiment-context.js';

const S = SBN_VIMCO_SETTINGS.tiny;

/** No NaN (or ±Infinity) in metrics and plots, and no "NaN" printed in any table cell. */
function expectNoNaN(r: ExperimentResult): void {
  for (const [k, v] of Object.entries(r.metrics)) expect(Number.isFinite(v), `metric ${k} = ${v}`).toBe(true);
  for (const p of r.plots) {
    for (const s of p.series) {
      expect(s.y.length, `${p.id}/${s.name}`).toBe(s.x.length);
      if (s.band !== undefined) expect(s.band.length, `${p.id}/${s.name} band`).toBe(s.y.length);
      for (const v of [...s.x, ...s.y, ...(s.band ?? [])])
        expect(Number.isFinite(v), `${p.id}/${s.name}: ${v}`).toBe(true);
    }
  }
  for (const t of [...r.tables, ...r.references]) {
    for (const row of t.rows) {
      expect(row, t.title).toHaveLength(t.columns.length);
      for (const cell of row) expect(String(cell), `${t.title}: ${JSON.stringify(row)}`).not.toMatch(/NaN|Infinity/);
    }
  }
}

describe('experiment: SBN, VIMCO vs VIMCO-★ (tiny)', () => {
  let first: ExperimentResult;
  let ctx: FakeContext;
  beforeAll(async () => {
    ctx = fakeContext(3);
    first = await sbnVimco.run(ctx);
  });

  it('is registered after the SBN experiment and returns well-formed, NaN-free results', () => {
    const names = EXPERIMENTS.map((e) => e.name);
    expect(names.indexOf('sbn-vimco')).toBe(names.indexOf('sbn') + 1);
    expect(first.name).toBe('sbn-vimco');
    expect(first.interrupted).toBe(false);
    expect(first.plots.map((p) => p.id)).toEqual([
      'sbn-vimco-train-k5',
      'sbn-vimco-train-k20',
      'sbn-vimco-train-k50',
      'sbn-vimco-test-nll',
      'sbn-vimco-snr',
      'sbn-vimco-sd-ratio',
    ]);
    expect(first.tables).toHaveLength(3);
    expect(first.tables[0].rows).toHaveLength(2 * S.ks.length);
    expect(first.tables[2].rows).toHaveLength(S.ks.length * S.snrCheckpoints.length);
    expect(first.references[0].source).toBe('paper');
    expectNoNaN(first);
    expect(first.metrics.seeds).toBe(SEEDS_PER_MODE.tiny);
    expect(ctx.updates()).toBe(2 * S.ks.length * S.steps);
    expect(ctx.overTotal()).toBe(false);
  });

  it('trains both estimators at equal evaluations: the same steps, batch and k', () => {
    const m = first.metrics;
    for (const k of S.ks) {
      expect(m[`k${k}VimcoSteps`], `k = ${k}`).toBe(S.steps);
      expect(m[`k${k}VimcoStarSteps`], `k = ${k}`).toBe(S.steps);
      expect(m[`k${k}VimcoEvaluations`], `k = ${k}`).toBe(k * S.batchSize * S.steps);
      expect(m[`k${k}VimcoStarEvaluations`], `k = ${k}`).toBe(m[`k${k}VimcoEvaluations`]);
      for (const id of ['Vimco', 'VimcoStar']) expect(m[`k${k}${id}TestNllIS`], `${id} k = ${k}`).toBeGreaterThan(0);
    }
  });

  // One seed: the verdict per k follows the rule |paired difference| > 2 SE over test images, and
  // the summary names it; the difference is that of the two methods' mean NLLs.
  it('says, from its own standard errors, when one seed cannot separate the estimators', () => {
    const m = first.metrics;
    for (const k of S.ks) {
      expect(m[`k${k}DiffIS`]).toBeCloseTo(m[`k${k}VimcoTestNllIS`] - m[`k${k}VimcoStarTestNllIS`], 4);
      const separated = Math.abs(m[`k${k}DiffIS`]) > 2 * m[`k${k}DiffISStandardError`];
      expect(m[`k${k}Separated`], `k = ${k}`).toBe(separated ? 1 : 0);
      if (!separated) expect(first.summary).toContain(`k = ${k}: not separated`);
      else expect(first.summary).toMatch(new RegExp(`k = ${k}: VIMCO(-★)? lower by`));
    }
    expect(first.tables[1].title).toContain('One seed says nothing about the spread from seed to seed');
  });

  it('same seed gives identical metrics and plots', async () => {
    const again = await sbnVimco.run(fakeContext(3));
    expect(again.metrics).toEqual(first.metrics);
    expect(again.plots).toEqual(first.plots);
  });

  it('stops early with interrupted: true and reports only finite numbers', async () => {
    const now = await sbnVimco.run(fakeContext(3, 0));
    expect(now.interrupted).toBe(true);
    expect(now.metrics.completedPairs).toBe(0);
    expectNoNaN(now);
    // Stop during the k = 20 VIMCO run: the k = 5 pair is complete and reported alone.
    const mid = await sbnVimco.run(fakeContext(3, 2 * S.steps + 2));
    expect(mid.interrupted).toBe(true);
    expect(mid.metrics.completedPairs).toBe(1);
    expect(mid.metrics.k5VimcoTestNllIS).toBe(first.metrics.k5VimcoTestNllIS);
    expect(mid.metrics.k20VimcoTestNllIS).toBeUndefined();
    expectNoNaN(mid);
  });

  it('has standard settings longer than quick, and full longer than standard', () => {
    const [q, s, f] = [SBN_VIMCO_SETTINGS.quick, SBN_VIMCO_SETTINGS.standard, SBN_VIMCO_SETTINGS.full];
    for (const mode of [q, s, f, S]) expect(mode.ks).toEqual([5, 20, 50]);
    expect(s.steps * s.batchSize).toBeGreaterThan(q.steps * q.batchSize);
    expect(f.steps * f.batchSize).toBeGreaterThan(s.steps * s.batchSize);
    expect(s.testSize).toBeGreaterThanOrEqual(q.testSize);
    expect(s.snrReplicates).toBeGreaterThanOrEqual(q.snrReplicates);
    expect(SEEDS_PER_MODE.standard).toBeGreaterThanOrEqual(3);
  });
});

describe('experiment: SBN, VIMCO vs VIMCO-★ across seeds (standard mode, tiny sizes)', () => {
  let r: ExperimentResult;
  beforeAll(async () => {
    r = await runSbnVimco(fakeContext(5, Infinity, 'standard'), S);
  });

  // The paired difference across seeds is the difference of the across-seed means (linear), and its
  // interval decides "separated"; every across-seed cell and band carries a 95% half-width.
  it('gives across-seed 95% intervals and pairs the seeds', () => {
    expect(r.interrupted).toBe(false);
    expectNoNaN(r);
    const m = r.metrics;
    expect(m.seeds).toBe(SEEDS_PER_MODE.standard);
    expect(m.completedPairs).toBe(SEEDS_PER_MODE.standard * S.ks.length);
    for (const k of S.ks) {
      expect(m[`k${k}DiffIS`]).toBeCloseTo(m[`k${k}VimcoTestNllIS`] - m[`k${k}VimcoStarTestNllIS`], 4);
      expect(m[`k${k}DiffISHalfWidth`]).toBeGreaterThan(0);
      expect(m[`k${k}Separated`]).toBe(Math.abs(m[`k${k}DiffIS`]) > m[`k${k}DiffISHalfWidth`] ? 1 : 0);
    }
    for (const row of r.tables[0].rows) expect(String(row[2])).toMatch(/^−?\d+\.\d\d ± \d+\.\d\d$/);
    for (const p of r.plots) for (const s of p.series) expect(s.band, `${p.id}/${s.name}`).toBeDefined();
    expect(r.tables[1].title).toContain('95% confidence interval of the mean over 3 seeds');
    // The across-seed note ends in ')' and is followed by one period, never two.
    const texts = [r.summary, ...r.comments, ...r.plots.map((p) => p.caption), ...r.tables.map((t) => t.title)];
    for (const text of texts) expect(text).not.toMatch(/(?<!\.)\.\.(?!\.)/);
  });
});

describe('log-log slope', () => {
  // SNR ∝ k^a is a line of slope a on log-log axes; float64 logs of exact powers: error ~1e-15.
  it('recovers the exponent of a power law', () => {
    const k = [5, 20, 50];
    expect(
      logLogSlope(
        k,
        k.map((v) => 3 * v ** 0.5),
      ),
    ).toBeCloseTo(0.5, 10);
    expect(
      logLogSlope(
        k,
        k.map((v) => 0.2 * v ** -0.5),
      ),
    ).toBeCloseTo(-0.5, 10);
    expect(logLogSlope([5], [1])).toBeNaN();
  });
});

describe('gradient-noise sums', () => {
  const vectors = [
    [1, 2, -1],
    [3, 0, 2],
    [-2, 5, 1],
    [0.5, -1, 4],
  ];
  const add = (sums: GradientSums, rows: number[][]): void => {
    for (const v of rows)
      sums.add([
        Tensor.fromData(Float32Array.from(v.slice(0, 2)), [2]),
        Tensor.fromData(Float32Array.from(v.slice(2)), [1]),
      ]);
  };

  // Two-pass sample variance summed over coordinates, and the U-statistic over pairs r ≠ s of g_r · g_s.
  it('give the unbiased total variance and the unbiased squared norm of the mean', () => {
    const sums = new GradientSums(3);
    add(sums, vectors);
    const M = vectors.length;
    let variance = 0;
    for (let j = 0; j < 3; j++) {
      const mu = vectors.reduce((a, v) => a + v[j], 0) / M;
      variance += vectors.reduce((a, v) => a + (v[j] - mu) ** 2, 0) / (M - 1);
    }
    let pairs = 0;
    for (let r = 0; r < M; r++)
      for (let s = 0; s < M; s++) if (r !== s) pairs += vectors[r].reduce((a, x, j) => a + x * vectors[s][j], 0);
    // float32 inputs that are exact in binary; float64 sums of a dozen terms: error ~1e-14.
    expect(sums.variance()).toBeCloseTo(variance, 10);
    expect(sums.meanSquaredNorm()).toBeCloseTo(pairs / (M * (M - 1)), 10);
  });

  it('see no noise in identical replicates', () => {
    const sums = new GradientSums(3);
    add(sums, [vectors[0], vectors[0], vectors[0]]);
    expect(sums.variance()).toBeCloseTo(0, 10);
    expect(sums.meanSquaredNorm()).toBeCloseTo(1 + 4 + 1, 10);
  });
});

describe('gradient noise of VIMCO and VIMCO-★ on the SBN', () => {
  // At the initialization the importance weights are nearly uniform (W_i ≈ 1/k), where VIMCO-★'s
  // learning signal −log(1 − W_i) − W_i ≈ W_i²/2 is far smaller than VIMCO's, whose control variate
  // leaves an O(1/k) offset (docs/estimator-math.md §4.3). Tolerance: with M replicates the relative
  // standard error of an estimated tr Σ is about √(2 / (M − 1)) (Gaussian-like gradients), so that of
  // log(sd ratio) is about ½ · √2 · √(2 / (M − 1)) = 1 / √(M − 1) = 0.38 at M = 8 (the two estimates
  // treated as independent); the ratio must exceed 1 by 5 of those: log ratio > 1.9.
  it('at the initialization, VIMCO-★ is far less noisy than VIMCO at k = 50, and the same in mean', async () => {
    const data = await loadMnist({ seed: 0 });
    const init = initSbn(foldIn(makeKey(1), 0), { pixelMeans: pixelMeans(data.train, 100) });
    const x = mnistBatch(data.train, [0, 1]);
    const M = 8;
    const n = gradientNoise(makeKey(2), init.theta, init.phi, x, 50, M);
    const logRatioSe = 1 / Math.sqrt(M - 1);
    expect(Math.log(Math.sqrt(n.varianceVimco / n.varianceStar))).toBeGreaterThan(5 * logRatioSe);
    expect(n.snrStar).toBeGreaterThan(n.snrVimco);
    // The SNRs share ‖μ‖, so their ratio is exactly the sd ratio.
    expect(n.snrStar / n.snrVimco).toBeCloseTo(Math.sqrt(n.varianceVimco / n.varianceStar), 6);
  });
});
