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
import { initVae } from '../models/vae.js';
import {
  iwaePaperTable,
  METHOD_IDS,
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
  const table = r.tables[0];
  return {
    metrics: Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('seconds_'))),
    bounds: r.plots.find((p) => p.id === 'vae-train-bound')?.series,
    testLL: r.plots.find((p) => p.id === 'vae-test-ll-time')?.series.map((s) => ({ name: s.name, y: s.y })),
    rows: table.rows.map((row) => row.filter((_, i) => !secondsColumns.has(table.columns[i]))),
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
    expect(table.rows).toHaveLength(4);
    for (const t of [...first.tables, ...first.references]) {
      for (const row of t.rows) expect(row).toHaveLength(t.columns.length);
    }
    // Outside full mode the run is a pipeline check: labelled so, and without the paper's table beside it.
    expect(first.references).toEqual([]);
    expect(table.title).toMatch(/^Pipeline check, not a comparison \(\d+ steps of batch \d+\)/);
    expect(first.summary).toMatch(/^Pipeline check, not a comparison/);
    expect(table.title).toContain(`not a ${VAE_SETTINGS.tiny.finalEval.samples}-sample ELBO`);
    for (const [k, v] of Object.entries(first.metrics)) expect(Number.isFinite(v), `metric ${k} = ${v}`).toBe(true);
    for (const id of METHOD_IDS) {
      for (const k of [`finalTestLL_${id}`, `seconds_${id}`, `steps_${id}`, `trainBound_${id}`])
        expect(first.metrics[k], k).toBeDefined();
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

  it('stops early with interrupted: true when asked', async () => {
    const now = await vaeExperiment.run(fakeContext(3, 0));
    expect(now.interrupted).toBe(true);
    expect(now.tables[0].rows).toHaveLength(0);
    expect(now.plots).toHaveLength(0);
    // 1 call before the initial evaluation, 3 steps and 2 at the checkpoint for the ELBO, then
    // the IWAE run is stopped after its first step.
    const mid = await vaeExperiment.run(fakeContext(3, 7));
    expect(mid.interrupted).toBe(true);
    expect(mid.metrics.finalTestLL_elbo).toBe(first.metrics.finalTestLL_elbo);
    expect(mid.metrics.finalTestLL_iwae).toBeUndefined();
    expect(mid.metrics.steps_iwae).toBeLessThan(VAE_SETTINGS.tiny.steps);
    expect(mid.metrics.steps_dreg).toBeUndefined();
    for (const [k, v] of Object.entries(mid.metrics)) expect(Number.isFinite(v), k).toBe(true);
    for (const p of mid.plots) for (const s of p.series) expect(s.x.length).toBe(s.y.length);
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

describe("the IWAE paper's table (full mode only)", () => {
  it("is labelled as the paper's, names both architectures, and puts our numbers beside the paper's", () => {
    const t = iwaePaperTable(VAE_SETTINGS.full, (id) => `ours:${id}`);
    expect(t.source).toBe('paper');
    expect(t.title).toContain('two tanh layers of 200 units, 50 latents; ours is 784-400-20');
    expect(t.rows.map((r) => r[1])).toEqual(expect.arrayContaining(['−86.76', '−85.54', '−84.78']));
    expect(t.rows.map((r) => r[2])).toEqual(expect.arrayContaining(METHOD_IDS.map((id) => `ours:${id}`)));
    for (const row of t.rows) expect(row).toHaveLength(t.columns.length);
  });
});
