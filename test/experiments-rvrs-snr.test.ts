/**
 * The RVRS gradient-SNR sweep (experiments/rvrs-snr.ts) and its two helpers: the exact 2-D quadrature of the
 * D-dimensional Gaussian setting (experiments/rvrs-snr-exact.ts) and the delta-method SNR standard error
 * (experiments/rvrs-snr-moments.ts).
 *
 * Tolerances:
 *  - docs/estimator-math.md §9.1 lists its values to 6 decimals, so ours must match to half a unit (5e-7).
 *  - At T = +∞ the quadrature integrates polynomials (degree ≤ 4) against Gaussian and chi densities on
 *    Simpson grids over ±9 standard deviations (truncation below 1e-18). Simpson's error is O(h⁴) only from the
 *    endpoint c = 0 when the chi has an even number of degrees of freedom ≤ 6 (D = 3, 5, 7; those grids are 4×
 *    finer: measured ≤ 1.1e-9), and spectrally small otherwise (measured ≤ 1e-12), so 1e-8 bounds it.
 *  - The experiment's checks are z-scores against the run's own standard errors, bounded by 5.
 *  - The SE check simulates 400 independent batches: the sample sd of 400 SNR estimates has a relative
 *    standard error of about √((κ_SNR − 1)/(4·400)) ≲ 4%, so the predicted sd must be within 20% of it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { exponential, normal } from '../src/random/continuous.js';
import { foldIn, key } from '../src/random/key.js';
import { EXPERIMENTS } from '../experiments/index.js';
import { RVRS_SNR_PLANS, rvrsSnr } from '../experiments/rvrs-snr.js';
import { exactSweepPoint, thresholdForAcceptance } from '../experiments/rvrs-snr-exact.js';
import { addMoment, emptyMoments, mergeMoments, snrOfMoments } from '../experiments/rvrs-snr-moments.js';
import { snrScaling } from '../experiments/snr-scaling.js';
import type { ExperimentResult } from '../experiments/types.js';
import { fakeContext } from './helpers/experiment-context.js';

const GUIDE = { m: 0.7, s: 2 / 3 };
const LOG_EVIDENCE_1D = -0.5 * Math.log(4 * Math.PI) - 0.25;

describe('rvrs-snr exact quadrature', () => {
  it('reproduces the 1-D values of docs/estimator-math.md §9.1', () => {
    const a = exactSweepPoint({ dim: 1, ...GUIDE }, 2);
    expect(a.rElbo).toBeCloseTo(-1.535382, 6);
    expect(a.Z).toBeCloseTo(0.606241, 6);
    const b = exactSweepPoint({ dim: 1, m: 1, s: 0.5 }, 0);
    expect(b.rElbo).toBeCloseTo(-1.616879, 6);
    expect(b.Z).toBeCloseTo(0.149347, 6);
    expect(b.gradM).toBeCloseTo(-0.331457, 6);
    expect(b.gradLogS).toBeCloseTo(0.392883, 6);
    const c = exactSweepPoint({ dim: 1, m: 0.2, s: 1.5 }, -1);
    expect(c.gradM).toBeCloseTo(0.000333, 6);
    expect(c.gradLogS).toBeCloseTo(-0.001793, 6);
  });

  it.each([1, 2, 3, 5, 50])('gives the closed-form ELBO and its gradient at T = +∞ (D = %i)', (dim) => {
    const e = exactSweepPoint({ dim, ...GUIDE }, Infinity);
    // ELBO per coordinate = log p(x) − KL(N(m, s²) ‖ N(½, ½)); ∂/∂m = 1 − 2m, ∂/∂log s = 1 − s²/½.
    const kl = 0.5 * (Math.log(0.5 / GUIDE.s ** 2) + (GUIDE.s ** 2 + (GUIDE.m - 0.5) ** 2) / 0.5 - 1);
    expect(Math.abs(e.elbo - dim * (LOG_EVIDENCE_1D - kl))).toBeLessThan(1e-8 * dim);
    expect(Math.abs(e.rElbo - e.elbo)).toBeLessThan(1e-8 * dim);
    expect(Math.abs(e.Z - 1)).toBeLessThan(1e-8);
    expect(Math.abs(e.gradM - (1 - 2 * GUIDE.m))).toBeLessThan(1e-8);
    expect(Math.abs(e.gradLogS - (1 - GUIDE.s ** 2 / 0.5))).toBeLessThan(1e-8);
  });

  it('hits target acceptance rates, and the R-ELBO tightens as T falls (VRS Theorem 1)', () => {
    const g = { dim: 20, ...GUIDE };
    let previous = exactSweepPoint(g, Infinity);
    for (const target of [0.8, 0.3, 0.05]) {
      const T = thresholdForAcceptance(g, target);
      const e = exactSweepPoint(g, T);
      expect(Math.abs(e.Z - target)).toBeLessThan(1e-9);
      expect(e.rElbo).toBeGreaterThan(previous.rElbo);
      expect(e.rElbo).toBeLessThan(e.logEvidence);
      previous = e;
    }
  });

  it('refuses bad input with a clear error', () => {
    expect(() => thresholdForAcceptance({ dim: 2, ...GUIDE }, 1)).toThrow(/target must be in \(0, 1\), got 1/);
    expect(() => exactSweepPoint({ dim: 0, ...GUIDE }, 0)).toThrow(/dim must be an integer >= 1, got 0/);
  });
});

describe('rvrs-snr moments', () => {
  it('merges sums exactly as one accumulation would', () => {
    const x = normal(key(3), [300], 5, 2).dataSync();
    const all = emptyMoments();
    const a = emptyMoments();
    const b = emptyMoments();
    for (const [i, v] of x.entries()) {
      addMoment(all, v);
      addMoment(i < 120 ? a : b, v);
    }
    const one = snrOfMoments(all);
    const two = snrOfMoments(mergeMoments(a, b));
    // Float64 sums of ~300 terms of size ≤ 1e3 (fourth powers of deviations ~ 6): relative rounding ≲ 1e-12.
    for (const k of ['mean', 'sd', 'snr', 'snrSe', 'skewness', 'kurtosis'] as const)
      expect(Math.abs(two[k] - one[k])).toBeLessThan(1e-9 * Math.max(1, Math.abs(one[k])));
    let s = 0;
    for (const v of x) s += v;
    expect(Math.abs(one.mean - s / x.length)).toBeLessThan(1e-9);
  });

  it.each([
    ['Gaussian, SNR 2', 'normal'],
    ['exponential (skewness 2, kurtosis 9), SNR 1', 'exponential'],
  ] as const)('predicts the spread of the SNR estimate: %s', (_name, family) => {
    const batches = 400;
    const M = 200;
    const snrs: number[] = [];
    let predicted = 0;
    for (let b = 0; b < batches; b++) {
      const k = foldIn(key(11), b);
      const x = family === 'normal' ? normal(k, [M], 2, 1).dataSync() : exponential(k, [M]).dataSync();
      const m = emptyMoments();
      for (const v of x) addMoment(m, v);
      const e = snrOfMoments(m);
      snrs.push(e.snr);
      predicted += e.snrSe / batches;
    }
    const mean = snrs.reduce((a, v) => a + v, 0) / batches;
    const sd = Math.sqrt(snrs.reduce((a, v) => a + (v - mean) ** 2, 0) / (batches - 1));
    expect(Math.abs(predicted / sd - 1)).toBeLessThan(0.2);
  });
});

describe('rvrs-snr experiment (tiny)', () => {
  let res: ExperimentResult;
  beforeAll(async () => {
    res = await rvrsSnr.run(fakeContext(1));
  });

  it('is registered right after snr-scaling', () => {
    expect(EXPERIMENTS.indexOf(rvrsSnr)).toBe(EXPERIMENTS.indexOf(snrScaling) + 1);
  });

  it('draws SNR and acceptance plots per dimension and SNR against D, with bands', () => {
    const plan = RVRS_SNR_PLANS.tiny;
    const ids = res.plots.map((p) => p.id);
    expect(ids).toEqual([...plan.dims.flatMap((D) => [`snr-D${D}`, `acceptance-D${D}`]), 'snr-vs-dim']);
    for (const p of res.plots) {
      for (const s of p.series) {
        expect(s.y.length, `${p.id}/${s.name}`).toBe(s.x.length);
        for (const v of s.y) expect(v > 0 && Number.isFinite(v), `${p.id}/${s.name}: ${v}`).toBe(true);
        if (!s.reference) expect(s.band?.length, `${p.id}/${s.name}`).toBe(s.y.length);
      }
      if (p.id.startsWith('snr-D'))
        expect(p.series.map((s) => s.name.split(' ')[0])).toEqual(['RVRS', 'VRS', 'pathwise', 'DReG']);
      if (p.id.startsWith('acceptance-D')) expect(p.series.some((s) => s.reference)).toBe(true);
    }
    for (const t of [...res.tables, ...res.references])
      for (const r of t.rows) expect(r.length, t.title).toBe(t.columns.length);
    for (const [k, v] of Object.entries(res.metrics)) expect(Number.isFinite(v), `metric ${k} = ${v}`).toBe(true);
  });

  it('measures acceptance rates and mean gradients that agree with the exact values', () => {
    const plan = RVRS_SNR_PLANS.tiny;
    for (const D of plan.dims) {
      for (const Z of plan.acceptance) {
        const k = `D${D}_Z${Z}`;
        expect(Math.abs(res.metrics[`exactZ_${k}`] - Z)).toBeLessThan(1e-9);
        const z = (res.metrics[`acceptance_${k}`] - Z) / res.metrics[`acceptanceSe_${k}`];
        expect(Math.abs(z), k).toBeLessThan(5);
      }
    }
    expect(res.metrics.maxAbsZRvrsVsExact).toBeLessThan(5);
    expect(res.metrics.maxAbsZVrsVsExact).toBeLessThan(5);
    expect(res.metrics.maxAbsZIwaeVsDreg).toBeLessThan(5);
  });

  it('shows RVRS above VRS (separated by 2 SE in the single-seed table)', () => {
    const [snrTable] = res.tables;
    const sep = snrTable.columns.findIndex((c) => c.startsWith('RVRS vs VRS separated'));
    for (const row of snrTable.rows) expect(row[sep], JSON.stringify(row)).toBe('yes');
    expect(res.metrics.minRvrsOverVrs).toBeGreaterThan(1);
    expect(res.summary).toMatch(/exceeds VRS's at 2 of 2/);
  });

  it('has standard settings between quick and full', () => {
    const { quick, standard, full } = RVRS_SNR_PLANS;
    expect(standard.replicates).toBeGreaterThan(quick.replicates);
    expect(full.replicates).toBeGreaterThan(standard.replicates);
    expect(standard.dims.length).toBeGreaterThan(quick.dims.length);
    expect(standard.acceptance.length).toBeGreaterThan(quick.acceptance.length);
    expect(full.acceptance.length).toBeGreaterThan(standard.acceptance.length);
    expect(Math.max(...full.dims)).toBeGreaterThan(Math.max(...standard.dims));
  });

  it('stops early on Ctrl-C and still reports', async () => {
    const r = await rvrsSnr.run(fakeContext(1, 2));
    expect(r.interrupted).toBe(true);
    expect(r.comments[0]).toMatch(/Interrupted/);
    for (const [k, v] of Object.entries(r.metrics)) expect(Number.isFinite(v), `metric ${k} = ${v}`).toBe(true);
  });
});
