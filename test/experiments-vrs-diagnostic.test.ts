/**
 * The VRS diagnostic's additions for issue 13: the paper's Theorem 1 computed exactly on the truncated
 * Poisson (experiments/vrs-threshold-sweep.ts), the zoomed bound plot, the log-step acceptance plot,
 * and the repetition over seeds. The exact checks are deterministic float64 computations whose
 * tolerances are rounding bounds (`klRoundingBound`, n·ε) or exact inequalities; the training runs are
 * short (24 steps) and only their bookkeeping is checked (the tiny-mode behaviour is in
 * test/experiments-vrs-snr.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SEEDS_PER_MODE } from '../experiments/seeds.js';
import type { ExperimentResult, Plot } from '../experiments/types.js';
import { runVrsDiagnostic, VRS_DIAGNOSTIC_STEPS } from '../experiments/vrs-diagnostic.js';
import {
  exactAtThreshold,
  monotonicityViolations,
  truncatedPoissonLogDensities,
  thresholdSweep,
} from '../experiments/vrs-threshold-sweep.js';
import { logBlockMeans, separateTailErrors, tailMean } from '../experiments/vrs-trace-stats.js';
import { TRUNCATED_POISSON, truncatedPoissonExact } from '../models/truncated-poisson.js';
import { fakeContext } from './helpers/experiment-context.js';

const EPS = 2 ** -53;
const N = TRUNCATED_POISSON.support;
/** The diagnostic's two starts, both sides of φ*, and the plain ELBO's optimum. */
const RATES = [3, 8, TRUNCATED_POISSON.elboOptimumRate, 20, 25];

function logSumExp(v: ArrayLike<number>): number {
  const m = Math.max(...Array.from(v));
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i] - m);
  return m + Math.log(s);
}

describe('Theorem 1 of the VRS paper, exactly on the truncated Poisson', () => {
  it('KL(r_T ‖ p) and Z_R never fall as T rises (beyond rounding), and KL really moves', () => {
    for (const rate of RATES) {
      const s = thresholdSweep(rate);
      expect(monotonicityViolations(s), `rate ${rate}`).toBe(0);
      const pts = s.points;
      for (let i = 1; i < pts.length; i++) {
        const tol = pts[i - 1].klRoundingBound + pts[i].klRoundingBound;
        expect(pts[i].kl, `rate ${rate}, T = ${pts[i].threshold}`).toBeGreaterThanOrEqual(pts[i - 1].kl - tol);
        expect(pts[i].acceptance).toBeGreaterThanOrEqual(pts[i - 1].acceptance - 2 * N * EPS);
      }
      // ELBO ≤ R-ELBO ≤ log Σ P, i.e. 0 ≤ KL(r_T ‖ p) ≤ KL(q ‖ p).
      for (const p of pts) {
        expect(p.kl).toBeGreaterThanOrEqual(-p.klRoundingBound);
        expect(p.kl).toBeLessThanOrEqual(s.klAtInfinity + 2 * p.klRoundingBound);
      }
      // Not flat: the sweep spans most of the way from KL(q ‖ p) to 0.
      expect(pts[pts.length - 1].kl).toBeGreaterThan(0.5 * s.klAtInfinity);
      expect(pts[0].kl).toBeLessThan(1e-3 * s.klAtInfinity);
    }
  });

  it('T = +∞: r is q and the R-ELBO is the ELBO', () => {
    for (const rate of RATES) {
      const p = exactAtThreshold(rate, Infinity);
      const { logTarget, logProposal } = truncatedPoissonLogDensities(rate);
      const logQ = logSumExp(logProposal);
      let elbo = 0;
      let magnitude = 0;
      for (let z = 0; z < N; z++) {
        const q = Math.exp(logProposal[z] - logQ);
        // Both are exp of the same log mass, rounded a few times: a few ε times |log mass| relative.
        expect(Math.abs(p.r[z] - q)).toBeLessThanOrEqual(8 * EPS * (Math.abs(logProposal[z] - logQ) + 1) * q);
        elbo += q * (logTarget[z] - logProposal[z]);
        magnitude += q * (Math.abs(logTarget[z]) + Math.abs(logProposal[z]) + Math.abs(logQ));
      }
      expect(p.acceptance).toBe(1);
      expect(Math.abs(p.rElbo - elbo)).toBeLessThanOrEqual(4 * N * EPS * magnitude);
    }
  });

  it('T → −∞: r → p, the R-ELBO → log Σ P and Z_R → e^T·Σ P, inside exact bounds', () => {
    const T = -40;
    for (const rate of RATES) {
      const p = exactAtThreshold(rate, T);
      const { logTarget, logProposal } = truncatedPoissonLogDensities(rate);
      const logMass = logSumExp(logTarget);
      // m1 = E_p[e^{lw}], m2 = E_p[e^{2 lw}] with p = P / Σ P.
      const m1 = Math.exp(logSumExp(logTarget.map((lp, z) => 2 * lp - logProposal[z])) - logMass);
      const m2 = Math.exp(logSumExp(logTarget.map((lp, z) => 3 * lp - 2 * logProposal[z])) - logMass);
      const shrink = Math.exp(T) * m1;
      expect(shrink).toBeLessThan(0.5);
      // e^u − e^{2u} ≤ σ(u) ≤ e^u gives 1 − e^T·m1 ≤ Z_R / (e^T Σ P) ≤ 1 (then n·ε of rounding).
      const ratio = p.acceptance / Math.exp(T + logMass);
      expect(ratio).toBeLessThanOrEqual(1 + 4 * N * EPS);
      expect(ratio).toBeGreaterThanOrEqual(1 - shrink - 4 * N * EPS);
      // KL ≤ χ²(r ‖ p) ≤ e^{2T}·m2 / (1 − e^T·m1)², as r ∝ p·σ(−lw − T) with 1 − σ(−u) ≤ e^u.
      const chi2 = (Math.exp(2 * T) * m2) / (1 - shrink) ** 2;
      expect(p.kl).toBeGreaterThanOrEqual(-p.klRoundingBound);
      expect(p.kl).toBeLessThanOrEqual(chi2 + p.klRoundingBound);
      // R-ELBO = E_r[A] + log Z_R: sums of N terms of size ≈ |T|, and a log Z_R ≈ T that cancels them.
      expect(Math.abs(p.rElbo - logMass)).toBeLessThanOrEqual(chi2 + 4 * N * EPS * (Math.abs(T) + 1));
    }
  });

  it("agrees with the model's own enumeration (T = 50, and the ELBO at T = +∞)", () => {
    for (const rate of RATES) {
      const mine = exactAtThreshold(rate, TRUNCATED_POISSON.threshold);
      const model = truncatedPoissonExact(rate);
      // The same float64 arithmetic on the same log densities: equal up to a few roundings.
      expect(Math.abs(mine.rElbo - model.rElbo)).toBeLessThanOrEqual(64 * EPS * (1 + Math.abs(model.rElbo)));
      expect(Math.abs(mine.acceptance - model.Z)).toBeLessThanOrEqual(4 * N * EPS);
      // The ELBO weighs the ε mass below 5 too (log ε − log q there), so it checks log ε as well.
      const elbo = exactAtThreshold(rate, Infinity).rElbo;
      expect(Math.abs(elbo - model.elbo)).toBeLessThanOrEqual(64 * EPS * (1 + Math.abs(model.elbo)));
    }
  });
});

describe('VRS diagnostic trace statistics', () => {
  it('one seed: separated only when the gap exceeds 2 run SEs (and never with an unknown SE)', () => {
    const a = [{ seed: 0, error: 0.01, se: 0.003 }];
    const near = [{ seed: 0, error: 0.02, se: 0.004 }]; // gap 0.01 < 2·0.005
    const far = [{ seed: 0, error: 0.03, se: 0.004 }]; // gap 0.02 > 2·0.005
    expect(separateTailErrors(a, near)).toMatchObject({ separated: false, seeds: 1 });
    expect(separateTailErrors(a, near).noise).toBeCloseTo(0.01, 12);
    expect(separateTailErrors(a, far)).toMatchObject({ separated: true, seeds: 1 });
    expect(separateTailErrors(a, [{ seed: 0, error: 5, se: Number.NaN }]).separated).toBe(false);
  });

  it('several seeds: the paired 95% t-interval over the common seeds decides', () => {
    const a = [0, 1, 2].map((seed) => ({ seed, error: 0.1 * seed, se: 0 }));
    // Differences 1.0, 1.1, 0.9: mean 1, sd 0.1, half-width 4.303·0.1/√3 = 0.248.
    const b = [1.0, 1.2, 1.1].map((error, seed) => ({ seed, error, se: 0 }));
    const sep = separateTailErrors(a, b);
    expect(sep).toMatchObject({ separated: true, seeds: 3 });
    expect(sep.difference).toBeCloseTo(1, 12);
    expect(sep.noise).toBeCloseTo((4.3027 * 0.1) / Math.sqrt(3), 4);
    // Differences −1, +1.1, +0.9 straddle 0: not separated, whatever the runs' own SEs say.
    const mixed = [-1, 1.2, 1.1].map((error, seed) => ({ seed, error, se: 1e-9 }));
    expect(separateTailErrors(a, mixed).separated).toBe(false);
    // Only seeds both ran count.
    expect(separateTailErrors(a, b.slice(0, 2)).seeds).toBe(2);
  });

  it('tail means and log-spaced blocks', () => {
    // 100 values, last 10 are 0,1,…,9 in 10 batches of one: mean 4.5, SE = sd/√10 = √(55/6)/√10.
    const v = [...Array.from({ length: 90 }, () => 7), ...Array.from({ length: 10 }, (_, i) => i)];
    const t = tailMean(v, 0.1);
    expect(t.mean).toBe(4.5);
    expect(t.se).toBeCloseTo(Math.sqrt(55 / 6 / 10), 12);
    const b = logBlockMeans(
      Array.from({ length: 1000 }, (_, i) => i + 1),
      30,
    );
    // Block means of 1..1000 are the mean step numbers themselves; blocks cover every step once.
    expect(b.y).toEqual(b.x);
    expect(b.x[0]).toBe(1);
    for (let i = 1; i < b.x.length; i++) expect(b.x[i]).toBeGreaterThan(b.x[i - 1]);
    expect(b.x.length).toBeGreaterThan(20);
  });
});

describe('VRS diagnostic report (24-step runs)', () => {
  const plan = (seeds: number[]) => ({ steps: 24, seeds });
  const plot = (r: ExperimentResult, id: string): Plot => {
    const p = r.plots.find((x) => x.id === id);
    if (p === undefined) throw new Error(`no plot ${id}`);
    return p;
  };
  let single: ExperimentResult;
  beforeAll(async () => {
    single = await runVrsDiagnostic(fakeContext(0), plan([0]));
  }, 60_000);

  it('the acceptance plot is on a log step axis from step 1, one point per step at first', () => {
    const p = plot(single, 'vrs-acceptance');
    expect(p.xLog).toBe(true);
    for (const s of p.series) for (const x of s.x) expect(x).toBeGreaterThanOrEqual(1);
    const observed = p.series.filter((s) => !s.reference);
    expect(observed.length).toBe(2);
    for (const s of observed) expect(s.x.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
  });

  it('the zoomed bound plot is scaled by the R-ELBO, marks φ*, and touches log Σ P there', () => {
    const zoom = plot(single, 'vrs-bounds-zoom');
    const wide = plot(single, 'vrs-bounds');
    const span = (p: Plot) => {
      const ys = p.series.flatMap((s) => s.y);
      return Math.max(...ys) - Math.min(...ys);
    };
    expect(span(zoom)).toBeLessThan(0.01 * span(wide));
    const phiStar = Math.log(TRUNCATED_POISSON.rate);
    const marker = zoom.series.find((s) => s.x.length === 2 && s.x[0] === phiStar && s.x[1] === phiStar);
    expect(marker?.reference).toBe(true);
    const logMass = zoom.series.find((s) => s.name === 'log Σ P');
    expect(logMass?.reference).toBe(true);
    const rElbo = zoom.series[0];
    expect(rElbo.x.length).toBeLessThanOrEqual(40); // drawn with markers
    const best = rElbo.y.indexOf(Math.max(...rElbo.y));
    expect(Math.abs(rElbo.x[best] - phiStar)).toBeLessThan(1e-12);
    // At φ*, r is the target up to the ε mass below 5: the gap is rounding (sums of N terms of size ≲ 1).
    expect(Math.abs(rElbo.y[best] - logMass!.y[0])).toBeLessThan(4 * N * EPS);
  });

  it('Theorem 1 plots: R-ELBO, KL (log axis) and Z_R against the same T', () => {
    const ids = ['vrs-threshold-relbo', 'vrs-threshold-kl', 'vrs-threshold-acceptance'];
    const plots = ids.map((id) => plot(single, id));
    for (const p of plots) expect(p.xLabel).toBe('threshold T');
    const kl = plots[1];
    expect(kl.yLog).toBe(true);
    for (const s of kl.series.filter((x) => !x.reference))
      for (let i = 1; i < s.y.length; i++) {
        expect(s.x[i]).toBeGreaterThan(s.x[i - 1]);
        expect(s.y[i] * (1 + 1e-6)).toBeGreaterThanOrEqual(s.y[i - 1]);
      }
    expect(single.metrics.theorem1MonotonicityViolations).toBe(0);
    expect(single.tables.some((t) => t.title.startsWith('Theorem 1'))).toBe(true);
  });

  it('stopped in the first run of three seeds: interrupted, every table and plot still has finite rows', async () => {
    const r = await runVrsDiagnostic(fakeContext(0, 5), plan([0, 1, 2]));
    expect(r.interrupted).toBe(true);
    for (const t of [...r.tables, ...r.references]) expect(t.rows.length, t.title).toBeGreaterThan(0);
    for (const p of r.plots)
      for (const s of p.series) {
        expect(s.x.length, `${p.id}/${s.name}`).toBeGreaterThan(0);
        for (const v of [...s.x, ...s.y, ...(s.band ?? [])]) expect(Number.isFinite(v), `${p.id}/${s.name}`).toBe(true);
      }
    for (const [k, v] of Object.entries(r.metrics)) expect(Number.isFinite(v), k).toBe(true);
  });

  it('standard mode is longer than quick and runs several seeds', () => {
    expect(VRS_DIAGNOSTIC_STEPS.standard).toBeGreaterThan(VRS_DIAGNOSTIC_STEPS.quick);
    expect(VRS_DIAGNOSTIC_STEPS.full).toBeGreaterThanOrEqual(VRS_DIAGNOSTIC_STEPS.standard);
    expect(SEEDS_PER_MODE.standard).toBeGreaterThanOrEqual(3);
  });

  it('one seed: the separation uses the run’s own SEs and the summary says which gaps it cannot separate', () => {
    const table = single.tables.find((t) => t.title.startsWith('Is VRS'));
    expect(table?.rows.length).toBe(4);
    for (const r of table!.rows) expect(String(r[4])).toMatch(/run SEs/);
    const flags = Object.entries(single.metrics).filter(([k]) => k.includes('VsVrsSeparated'));
    expect(flags.length).toBe(4);
    const unseparated = flags.filter(([, v]) => v === 0).length;
    if (unseparated > 0)
      expect(single.summary).toMatch(/With its single seed this run, the error at .* cannot separate/);
    else expect(single.summary).toMatch(/larger than 2 run standard errors/);
  });

  it('three seeds: means over the seeds (seed 0 first, as a one-seed run), bands and intervals', async () => {
    const multi = await runVrsDiagnostic(fakeContext(0), plan([0, 1, 2]));
    const others = await Promise.all([1, 2].map((s) => runVrsDiagnostic(fakeContext(0), plan([s]))));
    const perSeed = [single, ...others];
    expect(multi.settings.seeds).toBe('0, 1, 2');
    expect(multi.metrics.seeds).toBe(3);
    for (const name of ['vrsFinalPhiErrorBelow', 'vimcoFinalPhiErrorAbove', 'sfElboTailPhiErrorBelow']) {
      const mean = perSeed.reduce((a, r) => a + r.metrics[name], 0) / 3;
      expect(Math.abs(multi.metrics[name] - mean)).toBeLessThanOrEqual(4 * EPS * Math.abs(mean));
      expect(multi.metrics[`${name.replace('Tail', 'Final')}HalfWidth`] ?? 0).toBeGreaterThanOrEqual(0);
    }
    for (const s of plot(multi, 'vrs-phi-error').series) {
      expect(s.band?.length, s.name).toBe(s.y.length);
      for (const b of s.band!) expect(b).toBeGreaterThanOrEqual(0);
    }
    const table = multi.tables.find((t) => t.title.startsWith('Is VRS'));
    for (const r of table!.rows) expect(String(r[4])).toMatch(/over 3 seeds/);
    expect(multi.tables[0].rows.every((r) => String(r[3]) === '24 × 3')).toBe(true);
  });
});
