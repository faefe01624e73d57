/**
 * Experiment 5 (VAE on MNIST: ELBO, IWAE, DReG, RVRS) in 'tiny' mode with a fake RunContext, and
 * its training loop on a few more steps.
 *
 * Reliability of the learning check: on one fixed batch of 10 images at Adam 1e-3 the per-image
 * ELBO (K = 2) and IWAE-2 bound rise by 20–30 nats in 15 steps from about −170 (measured on seeds
 * 0–2), against a per-step noise of a few nats, so "last three steps above the first three by 10"
 * has a wide margin. Everything is deterministic for a fixed seed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { foldIn, key } from '../src/random/key.js';
import { loadMnist, pixelMeans, type MnistData } from '../models/data/mnist.js';
import { architectureName, initVae, vaeGuide, vaeLogJoint } from '../models/vae.js';
import { Tensor } from '../src/tensor/tensor.js';
import { MNIST_TEST_SIZE } from '../models/data/mnist.js';
import { SEEDS_PER_MODE, tQuantile975 } from '../experiments/seeds.js';
import {
  iwaePaperTable,
  IWAE_PAPER_TABLE1,
  METHOD_IDS,
  runVae,
  trainMethod,
  vaeExperiment,
  VAE_SETTINGS,
  type VaeParams,
} from '../experiments/vae.js';
import type { ExperimentResult } from '../experiments/types.js';
import { fakeContext, type FakeContext } from './helpers/experiment-context.js';

/** Everything that does not depend on the machine's speed (wall times are left out). */
function deterministicPart(r: ExperimentResult): unknown {
  const secondsColumns = new Set(['training seconds', 'ms per step']);
  return {
    metrics: Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('seconds_'))),
    bounds: r.plots.find((p) => p.id === 'vae-train-bound')?.series,
    testLL: r.plots.find((p) => p.id === 'vae-test-ll-time')?.series.map((s) => ({ name: s.name, y: s.y })),
    rows: r.tables.map((t) => t.rows.map((row) => row.filter((_, i) => !secondsColumns.has(t.columns[i])))),
  };
}

describe('experiment: VAE on MNIST (tiny)', () => {
  let first: ExperimentResult;
  let ctx: FakeContext;
  beforeAll(async () => {
    ctx = fakeContext(3);
    first = await vaeExperiment.run(ctx);
  });

  it("returns well-formed results: two plots of four finite series, a row per method, no paper's table", () => {
    expect(vaeExperiment.name).toBe('vae');
    expect(first.name).toBe('vae');
    expect(first.interrupted).toBe(false);
    expect(first.seconds).toBeGreaterThan(0);
    expect(first.summary.length).toBeGreaterThan(0);
    expect(first.comments.length).toBeGreaterThan(0);
    expect(first.plots.map((p) => p.id)).toEqual(['vae-test-ll-time', 'vae-train-bound']);
    for (const p of first.plots) {
      expect(p.series).toHaveLength(4);
      for (const s of p.series) {
        expect(s.x.length, `${p.id}/${s.name}`).toBeGreaterThan(0);
        expect(s.y.length).toBe(s.x.length);
        for (const v of [...s.x, ...s.y]) expect(Number.isFinite(v), `${p.id}/${s.name}: ${v}`).toBe(true);
      }
    }
    // Test log-likelihood against time: all start from the shared initialization at 0 s, and the
    // training clock only moves forward.
    const ll = first.plots[0].series;
    for (const s of ll) {
      expect(s.x[0]).toBe(0);
      expect(s.y[0]).toBe(first.metrics.initTestLL);
      expect(s.x).toHaveLength(1 + VAE_SETTINGS.tiny.checkpoints);
      for (let i = 1; i < s.x.length; i++) expect(s.x[i]).toBeGreaterThanOrEqual(s.x[i - 1]);
    }
    const table = first.tables[0];
    expect(first.tables).toHaveLength(2); // test bounds, then costs
    for (const t of first.tables) expect(t.rows).toHaveLength(4);
    for (const t of [...first.tables, ...first.references]) {
      for (const row of t.rows) expect(row).toHaveLength(t.columns.length);
    }
    // Outside full mode the run is a pipeline check: labelled so, and without the paper's table beside it.
    expect(first.references).toEqual([]);
    expect(table.title).toMatch(/^Pipeline check, not a comparison \(\d+ steps of batch \d+\)/);
    expect(first.summary).toMatch(/^Pipeline check, not a comparison/);
    // One seed: the summary says what its standard errors leave out, and which methods it cannot separate.
    expect(first.summary).toContain('from one seed');
    expect(first.summary).toContain('not the training noise that another seed would change');
    expect(table.title).toContain(`not a ${VAE_SETTINGS.tiny.finalEval.samples}-sample ELBO`);
    // Both test metrics are defined in the table and reported for every method; the architecture is named.
    expect(table.title).toContain('IS = the importance-sampling IWAE-');
    expect(table.title).toContain('RS = the R-ELBO of the resampled r');
    expect(table.title).toContain('784-400-20');
    expect(first.settings.architecture).toBe('sieve');
    expect(first.comments.some((c) => c.startsWith("Architecture: this run used 'sieve', 784-400-20"))).toBe(true);
    for (const [k, v] of Object.entries(first.metrics)) expect(Number.isFinite(v), `metric ${k} = ${v}`).toBe(true);
    for (const id of METHOD_IDS) {
      for (const k of [`finalTestLL_${id}`, `rsTestBound_${id}`, `seconds_${id}`, `steps_${id}`, `trainBound_${id}`])
        expect(first.metrics[k], k).toBeDefined();
      expect(first.metrics[`rsTestBound_${id}`]).toBeLessThan(-50);
      expect(first.metrics[`steps_${id}`]).toBe(VAE_SETTINGS.tiny.steps);
      // log p(x) of binary 28×28 images: negative, and far from 0 for an untrained model.
      expect(first.metrics[`finalTestLL_${id}`]).toBeLessThan(-50);
    }
    expect(first.settings.mode).toBe('tiny');
    expect(first.settings.stepsPerMethod).toBe(VAE_SETTINGS.tiny.steps);
    expect(ctx.updates()).toBeGreaterThan(0);
    expect(ctx.overTotal()).toBe(false);
  });

  it('reports the costs: DReG doubles the gradient passes, RVRS draws at least S proposals per image', () => {
    const m = first.metrics;
    const S = VAE_SETTINGS.tiny;
    expect(m.gradientEvaluationsPerStep_elbo).toBe(S.samples);
    expect(m.gradientEvaluationsPerStep_iwae).toBe(S.samples);
    expect(m.gradientEvaluationsPerStep_dreg).toBe(2 * S.samples);
    expect(m.gradientEvaluationsPerStep_rvrs).toBe(2 * S.rvrsSamples);
    expect(m.proposalsPerStep_rvrs).toBeGreaterThanOrEqual(S.rvrsSamples);
    expect(m.acceptance_rvrs).toBeGreaterThan(0);
    expect(m.acceptance_rvrs).toBeLessThanOrEqual(1);
  });

  it('same seed gives identical numbers (wall times aside)', async () => {
    const again = await vaeExperiment.run(fakeContext(3));
    expect(deterministicPart(again)).toEqual(deterministicPart(first));
  });

  it('over several seeds: means, 95% t-intervals, paired differences, bands, the paper table', async () => {
    // Seeds 3 and 4 aggregated as in standard mode (tiny settings), against seed 4 run alone.
    const two = await runVae(fakeContext(3, Infinity, 'standard'), VAE_SETTINGS.tiny, [3, 4]);
    const alone = await runVae(fakeContext(4), VAE_SETTINGS.tiny, [4]);
    expect(two.interrupted).toBe(false);
    expect(two.metrics.seeds).toBe(2);
    expect(two.settings.seeds).toBe('3, 4');
    const t1 = tQuantile975(1);
    for (const id of METHOD_IDS) {
      for (const name of ['finalTestLL', 'rsTestBound']) {
        const [a, b] = [first.metrics[`${name}_${id}`], alone.metrics[`${name}_${id}`]];
        expect(two.metrics[`${name}_${id}`]).toBeCloseTo((a + b) / 2, 9);
        // Two seeds: sd = |a − b| / √2, half-width = t(0.975, 1) · sd / √2.
        expect(two.metrics[`${name}HalfWidth_${id}`]).toBeCloseTo((t1 * Math.abs(a - b)) / 2, 6);
      }
      if (id === 'elbo') continue;
      const d = (r: ExperimentResult) => r.metrics[`finalTestLL_${id}`] - r.metrics.finalTestLL_elbo;
      expect(two.metrics[`diffVsElbo_${id}`]).toBeCloseTo((d(first) + d(alone)) / 2, 9);
    }
    const table = two.tables[0];
    expect(table.title).not.toMatch(/^Pipeline check/);
    expect(table.title).toContain('95% confidence interval of the mean over 2 seeds');
    expect(table.columns).toContain('separated from ELBO (95% CI excludes 0)');
    for (const row of table.rows) expect(String(row[1])).toMatch(/^−?\d+\.\d\d ± \d+\.\d\d$/);
    expect(two.references).toHaveLength(1);
    for (const p of two.plots) {
      for (const s of p.series) {
        expect(s.band, `${p.id}/${s.name}`).toHaveLength(s.y.length);
        for (const v of s.band!) expect(v).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('stops early with interrupted: true when asked', async () => {
    const now = await vaeExperiment.run(fakeContext(3, 0));
    expect(now.interrupted).toBe(true);
    expect(now.tables[0].rows).toHaveLength(0);
    expect(now.plots).toHaveLength(0);
    // 1 call before the initial evaluation, 3 steps and 2 at the checkpoint for the ELBO, 1 before
    // its RS evaluation, then the IWAE run is stopped after its first step.
    const mid = await vaeExperiment.run(fakeContext(3, 8));
    expect(mid.interrupted).toBe(true);
    expect(mid.metrics.finalTestLL_elbo).toBe(first.metrics.finalTestLL_elbo);
    expect(mid.metrics.finalTestLL_iwae).toBeUndefined();
    expect(mid.metrics.steps_iwae).toBe(1);
    expect(mid.metrics.steps_dreg).toBeUndefined();
    for (const [k, v] of Object.entries(mid.metrics)) expect(Number.isFinite(v), k).toBe(true);
    for (const p of mid.plots) for (const s of p.series) expect(s.x.length).toBe(s.y.length);
  });
});

describe('settings per mode', () => {
  it('standard: paper architecture, longer than quick, several seeds; full: IWAE-5000 on the whole test split', () => {
    const { quick, standard, full } = VAE_SETTINGS;
    expect(SEEDS_PER_MODE.standard).toBeGreaterThanOrEqual(3);
    expect(standard.architecture).toBe('iwae-paper');
    expect(standard.steps * standard.batchSize).toBeGreaterThan(quick.steps * quick.batchSize);
    expect(standard.finalEval.images).toBeGreaterThan(quick.finalEval.images);
    expect(full.finalEval).toEqual({ images: MNIST_TEST_SIZE, samples: 5000 });
    expect(full.steps).toBeGreaterThan(standard.steps);
  });
});

describe("the IWAE paper's architecture (models/vae.ts, 'iwae-paper')", () => {
  it('has two tanh layers per side: the log joint matches a float64 computation of the formula', () => {
    const Z = 2;
    const H = 3;
    const D = 4;
    const p = initVae(key(5), { architecture: 'iwae-paper', latent: Z, hidden: H, pixels: D });
    expect(p.theta.Wh?.shape).toEqual([H, H]);
    expect(p.phi.Vh?.shape).toEqual([H, H]);
    expect(architectureName('iwae-paper')).toBe('784-200-200-50');
    expect(architectureName('sieve')).toBe('784-400-20');
    // A trained-looking model: non-zero biases everywhere.
    const theta = {
      ...p.theta,
      b1: Tensor.fromData(Float32Array.of(0.3, -0.2, 0.1), [H]),
      bh: Tensor.fromData(Float32Array.of(0.5, 0, -0.4), [H]),
    };
    const x = Tensor.fromData(Float32Array.of(1, 0, 1, 1, 0, 0, 1, 0), [2, D]);
    const z = Tensor.fromData(Float32Array.of(0.4, -1.2, 2, 0.7), [1, 2, Z]);
    const got = vaeLogJoint(theta, z, x).dataSync();
    const v = (t: Tensor) => Array.from(t.dataSync(), Number);
    const layer = (a: number[], W: number[], b: number[], m: number) =>
      Array.from({ length: m }, (_, j) => b[j] + a.reduce((s, ai, i) => s + ai * W[i * m + j], 0));
    for (let b = 0; b < 2; b++) {
      const zb = v(z).slice(b * Z, (b + 1) * Z);
      const h1 = layer(zb, v(theta.W1), v(theta.b1), H).map(Math.tanh);
      const h2 = layer(h1, v(theta.Wh!), v(theta.bh!), H).map(Math.tanh);
      const logits = layer(h2, v(theta.W2), v(theta.b2), D);
      const terms = [
        ...zb.map((zi) => -0.5 * zi * zi - 0.5 * Math.log(2 * Math.PI)),
        ...logits.map((l, d) => v(x)[b * D + d] * l - Math.log1p(Math.exp(l))),
      ];
      const want = terms.reduce((s, t) => s + t, 0);
      // float32: each term passes through at most ~16 roundings of relative size 2^-24 (three small
      // matmuls, tanh, softplus, the sums), so the error is below 16 · 2^-24 · Σ|term|.
      const tol = 16 * 2 ** -24 * terms.reduce((s, t) => s + Math.abs(t), 0);
      expect(Math.abs(got[b] - want), `image ${b}`).toBeLessThanOrEqual(tol);
    }
    // The encoder uses its second layer too: the guide has Z latents per image.
    expect(vaeGuide(p.phi, x).eventShape).toEqual([Z]);
  });
});

describe('VAE training loop', () => {
  let data: MnistData;
  beforeAll(async () => {
    data = await loadMnist({ seed: 0 });
  });

  // One fixed batch (trainSize = batchSize): the bound of every step is over the same 10 images.
  const settings = { ...VAE_SETTINGS.tiny, trainSize: 10, batchSize: 10, steps: 15, checkpoints: 3, curvePoints: 5 };

  for (const id of ['elbo', 'iwae'] as const) {
    it(`${id}: the training bound improves, and the checkpoints come at steps 5, 10, 15`, () => {
      const root = key(0);
      const init: VaeParams = initVae(foldIn(root, 0), { pixelMeans: pixelMeans(data.train, settings.trainSize) });
      const seen: number[] = [];
      const r = trainMethod(fakeContext(0), id, init, data, settings, root, () => {
        seen.push(seen.length);
        return Float64Array.of(seen.length);
      });
      expect(r.steps).toBe(15);
      expect(r.bounds).toHaveLength(15);
      const head = (r.bounds[0] + r.bounds[1] + r.bounds[2]) / 3;
      const tail = (r.bounds[12] + r.bounds[13] + r.bounds[14]) / 3;
      expect(tail).toBeGreaterThan(head + 10);
      expect(r.checkpoints.map((c) => c.step)).toEqual([5, 10, 15]);
      expect(r.checkpoints.map((c) => c.values[0])).toEqual([1, 2, 3]);
      expect(r.curve.x).toEqual([3, 6, 9, 12, 15]);
      expect(r.params).not.toBe(init);
    });
  }
});

describe("the IWAE paper's table (standard and full mode)", () => {
  it("is labelled as the paper's, names the architecture that ran, and puts our numbers beside the paper's", () => {
    expect(VAE_SETTINGS.full.architecture).toBe('iwae-paper');
    const t = iwaePaperTable(VAE_SETTINGS.full, (id) => `ours:${id}`);
    expect(t.source).toBe('paper');
    expect(t.title).toContain('(784-200-200-50: two tanh layers of 200 units, 50 latents; this run: 784-200-200-50');
    expect(iwaePaperTable(VAE_SETTINGS.quick, () => '').title).toContain('this run: 784-400-20: one tanh layer');
    const paper = [IWAE_PAPER_TABLE1.vaeK1, IWAE_PAPER_TABLE1.iwaeK5, IWAE_PAPER_TABLE1.iwaeK50];
    expect(t.rows.map((r) => r[1])).toEqual(expect.arrayContaining(paper.map((v) => `−${(-v).toFixed(2)}`)));
    expect(t.rows.map((r) => r[2])).toEqual(expect.arrayContaining(METHOD_IDS.map((id) => `ours:${id}`)));
    for (const row of t.rows) expect(row).toHaveLength(t.columns.length);
  });
});
