/**
 * The imputation experiment (experiments/imputation-mixture.ts): its ground truth p(c | x_o) is
 * exact (against numerical integration of the full mixture density over the missing entries, and
 * against exact conditional samples), its divergences are right on known cases, the report's PNG
 * images decode to the pixels given, and the experiment runs in tiny mode and reports.
 */
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeGreyPng } from '../cli/report/image-grid.js';
import {
  componentPosteriorScores,
  IMPUTATION_SETTINGS,
  imputationExperiment,
  runImputation,
  jensenShannon,
  klDivergence,
  makeMask,
} from '../experiments/imputation-mixture.js';
import type { ExperimentResult } from '../experiments/types.js';
import {
  componentLogPosterior,
  sampleDigitMixture,
  sampleMissingExactly,
  type DigitMixture,
} from '../models/digit-mixture.js';
import { key } from '../src/random/key.js';
import { fakeContext } from './helpers/experiment-context.js';
import { SEEDS_PER_MODE, tQuantile975 } from '../experiments/seeds.js';

/** A 3-component mixture in 3 dimensions with unequal weights, means and variances. */
const SMALL: DigitMixture = {
  components: 3,
  dims: 3,
  logWeights: Float64Array.from([0.5, 0.3, 0.2], Math.log),
  means: Float64Array.from([0, 1, -1, 0.5, 0.2, 0.8, -0.7, 0.4, 0.1]),
  variances: Float64Array.from([0.3, 0.5, 0.2, 0.4, 0.1, 0.6, 0.25, 0.35, 0.15]),
};

function gaussianDensity(x: number, m: number, v: number): number {
  return Math.exp(-((x - m) ** 2) / (2 * v)) / Math.sqrt(2 * Math.PI * v);
}

/**
 * p(c | x_o) by brute force: the full joint density π_c Π_d N(x_d) integrated over every missing
 * entry with the trapezoid rule on ±12 standard deviations (error far below 1e-10 for Gaussians).
 */
function bruteForcePosterior(g: DigitMixture, x: number[], mask: number[]): number[] {
  const missing = mask.map((m, d) => (m === 1 ? -1 : d)).filter((d) => d >= 0);
  const joint = Array.from({ length: g.components }, (_, c) => {
    const integrate = (j: number, point: number[]): number => {
      if (j === missing.length) {
        let p = Math.exp(g.logWeights[c]);
        for (let d = 0; d < g.dims; d++) {
          p *= gaussianDensity(point[d], g.means[c * g.dims + d], g.variances[c * g.dims + d]);
        }
        return p;
      }
      const d = missing[j];
      const s = Math.sqrt(g.variances[c * g.dims + d]);
      const lo = g.means[c * g.dims + d] - 12 * s;
      const n = 400;
      const h = (24 * s) / n;
      let sum = 0;
      for (let i = 0; i <= n; i++) {
        const p = [...point];
        p[d] = lo + i * h;
        sum += (i === 0 || i === n ? 0.5 : 1) * integrate(j + 1, p);
      }
      return sum * h;
    };
    return integrate(0, x);
  });
  const z = joint.reduce((a, b) => a + b, 0);
  return joint.map((v) => v / z);
}

describe('the mixture ground truth', () => {
  it('p(c | x_o) equals the full density integrated over the missing entries', () => {
    const x = [0.3, 0.6, -0.2];
    for (const mask of [
      [1, 0, 1],
      [0, 1, 0],
      [1, 1, 1],
      [0, 0, 1],
    ]) {
      const exact = Array.from(componentLogPosterior(SMALL, x, mask), Math.exp);
      const brute = bruteForcePosterior(SMALL, x, mask);
      // Both are float64; the trapezoid rule on a Gaussian over ±12σ is accurate to far below 1e-9.
      exact.forEach((p, c) => expect(Math.abs(p - brute[c]), `mask ${mask} c ${c}`).toBeLessThan(1e-9));
    }
  });

  it('averaging p(c | x) over exact draws of x_m | x_o gives back p(c | x_o) (within 5 standard errors)', () => {
    const { x } = sampleDigitMixture(key(4), SMALL, 1);
    const mask = [1, 0, 0];
    const N = 4000;
    const draws = sampleMissingExactly(key(5), SMALL, x, mask, 1, N);
    const target = Array.from(componentLogPosterior(SMALL, Array.from(x), mask), Math.exp);
    for (let c = 0; c < 3; c++) {
      const v = Array.from({ length: N }, (_, i) =>
        Math.exp(componentLogPosterior(SMALL, Array.from(draws.subarray(3 * i, 3 * i + 3)), [1, 1, 1])[c]),
      );
      const m = v.reduce((a, b) => a + b, 0) / N;
      const se = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (N - 1) / N);
      expect(Math.abs(m - target[c])).toBeLessThan(5 * se + 1e-12);
    }
  });

  it('KL and JSD: zero for equal distributions, known values otherwise', () => {
    expect(klDivergence([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(klDivergence([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 12);
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(Math.log(2), 12);
    // Imputations equal to the truth at every missing entry give q = p(c | x) of the complete vector.
    const { x } = sampleDigitMixture(key(6), SMALL, 2);
    const s = componentPosteriorScores(SMALL, x, [1, 1, 1, 1, 1, 1], x, 1, 2);
    s.kl.forEach((v) => expect(v).toBeLessThan(1e-12));
  });

  it('masks hide what they say', () => {
    const count = (m: Float32Array): number => m.reduce((a, b) => a + (1 - b), 0);
    expect(count(makeMask('top-half', 1, key(0)))).toBe(98);
    expect(count(makeMask('quadrant', 1, key(0)))).toBe(49);
    const r = count(makeMask('random-half', 10, key(0))) / 1960;
    expect(Math.abs(r - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / 1960));
  });
});

describe('report images', () => {
  it('a PNG decodes to the pixels given (white = 0, black = 1, -1 = missing colour)', () => {
    const values = [0, 1, 0.5, -1, 0.25, 2];
    const png = encodeGreyPng(values, 3, 2);
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const view = new DataView(png.buffer, png.byteOffset);
    const idatLength = view.getUint32(33);
    expect(new TextDecoder().decode(png.subarray(37, 41))).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    const pixel = (r: number, c: number): number[] => Array.from(raw.subarray(r * 10 + 1 + 3 * c, r * 10 + 4 + 3 * c));
    expect(pixel(0, 0)).toEqual([255, 255, 255]);
    expect(pixel(0, 1)).toEqual([0, 0, 0]);
    expect(pixel(0, 2)).toEqual([128, 128, 128]);
    expect(pixel(1, 0)).toEqual([150, 190, 235]);
    expect(pixel(1, 2)).toEqual([0, 0, 0]);
  });
});

describe('experiment: imputation (tiny)', () => {
  let r: ExperimentResult;
  beforeAll(async () => {
    r = await imputationExperiment.run(fakeContext(1));
  }, 180_000);

  it('reports a KL plot per mask with every method, image grids, tables and finite metrics', () => {
    expect(r.name).toBe('imputation');
    expect(r.interrupted).toBe(false);
    expect(r.plots.map((p) => p.id)).toEqual(['kl-top-half', 'kl-quadrant', 'kl-random-half']);
    for (const p of r.plots) {
      expect(p.series.map((s) => s.name)).toEqual([
        'pseudo-Gibbs',
        'MWG',
        'AC-MWG',
        'LAIR',
        'VAE samples',
        'exact mixture conditional (reference)',
      ]);
      for (const s of p.series) {
        expect(s.x).toHaveLength(2);
        expect(s.y.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      }
      // More iterations cost more decoder evaluations.
      expect(p.series[0].x[1]).toBeGreaterThan(p.series[0].x[0]);
    }
    expect(r.images?.map((g) => g.id)).toEqual(['imputed-top-half', 'imputed-quadrant', 'imputed-random-half']);
    const grid = r.images![0];
    expect(grid.columnLabels).toEqual(['observed', 'truth', 'pseudo-Gibbs', 'MWG', 'AC-MWG', 'LAIR', 'VAE samples']);
    // The observed column marks exactly the top half missing; the imputations keep the observed half.
    const [observed, truth, ...imputed] = grid.images[0];
    expect(observed.slice(0, 98).every((v) => v === -1)).toBe(true);
    expect(observed.slice(98)).toEqual(truth.slice(98));
    for (const im of imputed) expect(im.slice(98)).toEqual(truth.slice(98));
    // ...and fill the missing half with varied grey levels (not a constant, e.g. clipped to [0, 0]).
    for (const [i, im] of imputed.entries()) {
      expect(new Set(im.slice(0, 98)).size, grid.columnLabels[i + 2]).toBeGreaterThan(10);
    }
    for (const [k, v] of Object.entries(r.metrics)) expect(Number.isFinite(v), k).toBe(true);
    expect(r.comments.some((c) => c.includes('tiny mode'))).toBe(true);
    expect(r.comments.filter((c) => c.includes('lowest KL at the largest budget'))).toHaveLength(3);
    // One seed: the summary says which methods the run separates (paired over test vectors, 2 s.e.).
    expect(r.summary).toContain('one seed');
    expect(r.summary).toMatch(/not separated from it by this run \(paired difference under 2 s\.e\.\)|worse by more/);
  });

  it('over several seeds: mean and 95% t-interval of every KL across seeds, in plots, tables and notes', async () => {
    // Seeds 1 and 2 aggregated as in standard mode (tiny settings), against seed 2 run alone.
    const two = await runImputation(fakeContext(1, Infinity, 'standard'), IMPUTATION_SETTINGS.tiny, [1, 2]);
    const alone = await runImputation(fakeContext(2), IMPUTATION_SETTINGS.tiny, [2]);
    expect(two.interrupted).toBe(false);
    expect(two.metrics.seeds).toBe(2);
    expect(two.settings.seeds).toBe('1, 2');
    const t1 = tQuantile975(1);
    const klKeys = Object.keys(r.metrics).filter((k) => k.startsWith('kl_'));
    expect(klKeys.length).toBe(3 * 6);
    for (const k of klKeys) {
      const [a, b] = [r.metrics[k], alone.metrics[k]];
      expect(two.metrics[k], k).toBeCloseTo((a + b) / 2, 12);
      // Two seeds: sd = |a − b| / √2, half-width = t(0.975, 1) · sd / √2.
      expect(two.metrics[k.replace('kl_', 'klHalfWidth_')], k).toBeCloseTo((t1 * Math.abs(a - b)) / 2, 9);
    }
    for (const [i, p] of two.plots.entries()) {
      for (const [j, s] of p.series.entries()) {
        const y1 = r.plots[i].series[j].y;
        const y2 = alone.plots[i].series[j].y;
        s.y.forEach((v, n) => expect(v).toBeCloseTo((y1[n] + y2[n]) / 2, 12));
        expect(s.band).toHaveLength(s.y.length);
        s.band!.forEach((v, n) => expect(v).toBeCloseTo((t1 * Math.abs(y1[n] - y2[n])) / 2, 9));
      }
    }
    for (const t of two.tables) expect(t.columns).toContain('± 95% CI (seeds)');
    const notes = two.comments.filter((c) => c.includes('lowest KL at the largest budget'));
    expect(notes).toHaveLength(3);
    for (const n of notes) expect(n).toContain('mean over 2 seeds');
  });
});

describe('imputation settings', () => {
  it('standard mode runs several seeds, more test vectors and longer chains than quick', () => {
    const { quick, standard } = IMPUTATION_SETTINGS;
    expect(SEEDS_PER_MODE.standard).toBeGreaterThanOrEqual(3);
    expect(standard.testPoints).toBeGreaterThan(quick.testPoints);
    expect(Math.max(...standard.iterations)).toBeGreaterThan(Math.max(...quick.iterations));
    expect(standard.trainSteps).toBeGreaterThan(quick.trainSteps);
  });
});
