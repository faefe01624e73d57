/**
 * Experiments 1–2 of `sieve experiments` (the VRS diagnostic and gradient SNR against N) in 'tiny'
 * mode with a fake RunContext, and the three models they come with (conjugate Gaussian, truncated
 * Poisson, D = 20 Gaussian toy) as `ModelSpec`s for `sieve fit`.
 *
 * Reliability of the numeric assertions (all runs use fixed seeds, so they are deterministic; the
 * question is only whether the chosen seed could be an unlucky one):
 *  - VRS diagnostic: VRS with T = 50 has exact dR/dφ of one sign on each side of φ* (+1.76 at rate 5,
 *    −13.9 at rate 20) and its gradient estimate is exactly 0 at φ* (r is the target there, so A is
 *    constant), so φ cannot drift away once there. From log 3 and log 25 it reaches |φ − φ*| < 0.05
 *    within ~90 steps (measured: 432 and 36 proposals, i.e. ~85 and ~7 steps); tiny mode runs 120.
 *  - SNR: with M = 1500 replicates the pooled-mean SNR has ≈ 2% relative error for the
 *    light-tailed estimators, against SNR changes of ×3 (VIMCO-★) and ×1/3 (IWAE, VIMCO) over
 *    N = 10 → 100, so the slope signs are safe. DReG's gradient is heavy-tailed (its std estimate
 *    at M = 1500 is off by up to ~30%: measured slope 0.20 at tiny scale vs 0.37 at M = 6000), so
 *    for DReG we only check the slope is positive.
 */
import { describe, expect, it } from 'vitest';
import { valueAndGrad } from '../src/autodiff/transforms.js';
import { foldIn, key } from '../src/random/key.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { elbo } from '../src/vi/elbo.js';
import { adam, sgd, type Optimizer } from '../src/vi/optimizers.js';
import { vrs } from '../src/vi/vrs.js';
import { mergeCells, PLAN_1D, PLAN_TOY, snrScaling } from '../experiments/snr-scaling.js';
import type { Experiment, ExperimentResult } from '../experiments/types.js';
import { vrsDiagnostic } from '../experiments/vrs-diagnostic.js';
import { EXPERIMENTS } from '../experiments/index.js';
import { MODELS } from '../models/index.js';
import { conjugateGaussianModel } from '../models/conjugate-gaussian.js';
import { gaussianToyModel } from '../models/gaussian-toy.js';
import { truncatedPoissonExact, truncatedPoissonModel } from '../models/truncated-poisson.js';
import type { FitModel } from '../models/types.js';
import { fakeContext } from './helpers/experiment-context.js';
import { SEEDS_PER_MODE } from '../experiments/seeds.js';

function expectWellFormed(res: ExperimentResult, exp: Experiment): void {
  expect(res.name).toBe(exp.name);
  expect(res.title.length).toBeGreaterThan(0);
  expect(res.summary.length).toBeGreaterThan(0);
  expect(res.plots.length).toBeGreaterThan(0);
  for (const p of res.plots) {
    expect(p.id.length * p.title.length * p.caption.length * p.xLabel.length * p.yLabel.length).toBeGreaterThan(0);
    expect(p.series.length, p.id).toBeGreaterThan(0);
    for (const s of p.series) {
      expect(s.x.length, `${p.id}/${s.name}`).toBeGreaterThan(0);
      expect(s.y.length).toBe(s.x.length);
      if (s.band) expect(s.band.length).toBe(s.y.length);
      for (const v of [...s.x, ...s.y]) expect(Number.isFinite(v), `${p.id}/${s.name}: ${v}`).toBe(true);
      if (p.xLog) for (const v of s.x) expect(v, `${p.id}/${s.name} (log x)`).toBeGreaterThan(0);
      if (p.yLog) for (const v of s.y) expect(v, `${p.id}/${s.name} (log y)`).toBeGreaterThan(0);
    }
  }
  for (const t of [...res.tables, ...res.references]) {
    expect(t.columns.length).toBeGreaterThan(0);
    expect(t.rows.length, t.title).toBeGreaterThan(0);
    for (const r of t.rows) expect(r.length, `${t.title}: ${JSON.stringify(r)}`).toBe(t.columns.length);
  }
  expect(res.tables.length).toBeGreaterThan(0);
  expect(res.references.length).toBeGreaterThan(0);
  expect(res.comments.length).toBeGreaterThan(0);
  expect(Object.keys(res.metrics).length).toBeGreaterThan(0);
  for (const [k, v] of Object.entries(res.metrics)) expect(Number.isFinite(v), `metric ${k} = ${v}`).toBe(true);
  expect(Object.keys(res.settings).length).toBeGreaterThan(0);
  expect(res.seconds).toBeGreaterThanOrEqual(0);
}

/** Everything except the wall time. */
const strip = (r: ExperimentResult) => ({ ...r, seconds: 0 });

describe('experiment registry', () => {
  it('lists the VRS diagnostic and the SNR experiment first', () => {
    expect(EXPERIMENTS[0]).toBe(vrsDiagnostic);
    expect(EXPERIMENTS[1]).toBe(snrScaling);
    const names = MODELS.map((m) => m.name);
    for (const n of ['gaussian', 'truncated-poisson', 'gaussian-toy']) expect(names).toContain(n);
  });
});

describe('VRS diagnostic (tiny)', () => {
  let first: ExperimentResult;

  it('returns well-formed results; VRS ends much closer to φ* than it starts, from both sides', async () => {
    const ctx = fakeContext(0);
    first = await vrsDiagnostic.run(ctx);
    expectWellFormed(first, vrsDiagnostic);
    // The exact table is our enumeration (docs/estimator-math.md §5.6); the claims are the paper's.
    expect(first.references.map((t) => t.source)).toEqual(['our reference computation', 'paper']);
    expect(first.interrupted).toBe(false);
    expect(ctx.updates()).toBeGreaterThan(0);
    const m = first.metrics;
    for (const side of ['Below', 'Above']) {
      expect(m[`vrsFinalPhiError${side}`]).toBeLessThan(0.1 * m[`vrsStartPhiError${side}`]);
      expect(m[`vrsFinalPhiError${side}`]).toBeLessThan(0.01);
    }
    // Our enumeration reproduces the docs/estimator-math.md §5.6 table to the printed precision.
    expect(m.specTableMaxAbsDiff).toBeLessThan(1e-6);
  });

  it('same seed ⇒ identical results', async () => {
    const again = await vrsDiagnostic.run(fakeContext(0));
    expect(strip(again)).toEqual(strip(first));
  });

  it('a stop request mid-run returns interrupted: true with well-formed partial results', async () => {
    const res = await vrsDiagnostic.run(fakeContext(0, 300));
    expect(res.interrupted).toBe(true);
    expectWellFormed(res, vrsDiagnostic);
    expect(res.comments[0]).toMatch(/Interrupted/);
  });
});

describe('gradient SNR against N (tiny)', () => {
  let first: ExperimentResult;

  it('returns well-formed results with the expected slope signs', async () => {
    first = await snrScaling.run(fakeContext(0));
    expectWellFormed(first, snrScaling);
    // The §4.6 numbers are our float64 simulation, not a paper's.
    expect(first.references.map((t) => t.source)).toEqual(['our reference computation', 'our reference computation']);
    expect(first.interrupted).toBe(false);
    const m = first.metrics;
    expect(m.vimcoStarSlope).toBeGreaterThan(0.2);
    expect(m.dregSlope).toBeGreaterThan(0);
    expect(m.iwaeSlope).toBeLessThan(-0.2);
    expect(m.vimcoSlope).toBeLessThan(-0.2);
  });

  it('same seed ⇒ identical results', async () => {
    const again = await snrScaling.run(fakeContext(0));
    expect(strip(again)).toEqual(strip(first));
  });

  it('a stop request mid-run returns interrupted: true with well-formed partial results', async () => {
    const res = await snrScaling.run(fakeContext(0, 1)); // one (estimator, N) point only
    expect(res.interrupted).toBe(true);
    expectWellFormed(res, snrScaling);
  });

  it('has standard settings between quick and full (3 seeds, the full N grid, the D = 20 toy)', () => {
    const { quick, standard, full } = PLAN_1D;
    expect(standard.grid).toEqual(expect.arrayContaining(quick.grid));
    expect(standard.grid.length).toBeGreaterThan(quick.grid.length);
    expect(standard.replicates * SEEDS_PER_MODE.standard).toBeGreaterThan(quick.replicates * SEEDS_PER_MODE.quick);
    expect(full.replicates).toBeGreaterThan(standard.replicates);
    expect(PLAN_TOY.quick).toBeUndefined();
    expect(PLAN_TOY.full!.replicates).toBeGreaterThan(PLAN_TOY.standard!.replicates);
  });

  it('merges seeds’ cells into the mean and variance of all their replicates', () => {
    // Two "seeds" of known values: [1, 2, 4] and [3, 5]; all five have mean 3 and variance 2.5.
    const cell = (v: number[]) => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const s2 = v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
      return { N: 10, mean: Float64Array.of(m), variance: Float64Array.of(s2), replicates: v.length };
    };
    const merged = mergeCells([cell([1, 2, 4]), cell([3, 5])]);
    expect(merged.replicates).toBe(5);
    // Float64 arithmetic on small integers: exact up to a few ulps.
    expect(Math.abs(merged.mean[0] - 3)).toBeLessThan(1e-12);
    expect(Math.abs(merged.variance[0] - 2.5)).toBeLessThan(1e-12);
  });
});

describe('models for sieve fit', () => {
  /** Run `steps` optimizer steps of an estimator on a built model; returns the losses. */
  function fitModel(
    model: FitModel,
    est: typeof elbo | typeof vrs,
    options: Record<string, unknown>,
    steps: number,
    lr: number,
    optimizer: 'adam' | 'sgd' = 'adam',
  ) {
    const opt: Optimizer<any> = optimizer === 'adam' ? adam({ lr }) : sgd({ lr, momentum: 0.5 });
    let params = { theta: model.theta, phi: model.phi } as { theta: any; phi: any };
    let state = opt.init(params);
    const losses: number[] = [];
    for (let t = 0; t < steps; t++) {
      const k = foldIn(key(7), t);
      const x = model.batch(foldIn(k, 1), t);
      const [loss, g] = valueAndGrad(
        (p: typeof params) =>
          est(foldIn(k, 2), p.theta, p.phi, x, { problem: model.problem, samples: 5, ...options } as any).loss,
      )(params);
      losses.push((loss as Tensor).item());
      [params, state] = opt.step(params, g, state);
    }
    return { losses, params };
  }

  it('conjugate Gaussian: builds; ELBO steps move q towards the posterior N(0.5, 0.5); VRS steps run', async () => {
    const model = await conjugateGaussianModel.build({ seed: 0, mode: 'tiny' });
    expect(model.latent).toBe('continuous');
    const before = model.evaluate!(model.theta, model.phi, key(0));
    expect(before.exactElbo).toBeCloseTo(-1.918939, 5); // q = prior (docs/estimator-math.md §9.1)
    expect(before.logEvidence).toBeCloseTo(-1.5155121, 6);
    const { losses, params } = fitModel(model, elbo, {}, 150, 0.05);
    expect(losses.every(Number.isFinite)).toBe(true);
    const after = model.evaluate!(params.theta, params.phi, key(0));
    expect(after.klToPosterior).toBeLessThan(0.1 * before.klToPosterior);
    const r = fitModel(model, vrs, { threshold: 0 }, 5, 0.05);
    expect(r.losses.every(Number.isFinite)).toBe(true);
  });

  it(
    'truncated Poisson: builds; VRS (T = 50) steps run and approach φ* = log 10; exact values match the reference ' +
      'table',
    async () => {
      const model = await truncatedPoissonModel.build({ seed: 0, mode: 'tiny' });
      expect(model.latent).toBe('discrete');
      expect(model.batch(key(0), 0)).toBeUndefined();
      const start = model.evaluate!(model.theta, model.phi, key(0));
      const { losses, params } = fitModel(model, vrs, { threshold: 50 }, 60, 0.01, 'sgd');
      expect(losses.every(Number.isFinite)).toBe(true);
      const end = model.evaluate!(params.theta, params.phi, key(0));
      expect(end.phiError).toBeLessThan(start.phiError);
      expect(end.exactRElbo).toBeGreaterThan(start.exactRElbo);
      const ex = truncatedPoissonExact(10);
      expect(ex.rElbo).toBeCloseTo(-0.029689, 6);
      expect(ex.Z).toBeCloseTo(0.9707, 4);
    },
  );

  it('Gaussian toy (D = 20): builds from the seed; minibatch ELBO steps improve the exact ELBO', async () => {
    const model = await gaussianToyModel.build({ seed: 3, mode: 'tiny', batchSize: 32 });
    const again = await gaussianToyModel.build({ seed: 3, mode: 'tiny', batchSize: 32 });
    expect((model.batch(key(1), 0) as Tensor).shape).toEqual([32, 20]);
    expect(Array.from((model.batch(key(1), 0) as Tensor).dataSync())).toEqual(
      Array.from((again.batch(key(1), 0) as Tensor).dataSync()),
    );
    const before = model.evaluate!(model.theta, model.phi, key(0));
    const { losses, params } = fitModel(model, elbo, {}, 30, 0.05);
    expect(losses.every(Number.isFinite)).toBe(true);
    const after = model.evaluate!(params.theta, params.phi, key(0));
    expect(after.exactElbo).toBeGreaterThan(before.exactElbo);
    for (const v of Object.values(after)) expect(Number.isFinite(v)).toBe(true);
  });
});
