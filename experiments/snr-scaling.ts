/**
 * Experiment 2: gradient signal-to-noise ratio against the number of importance samples N
 * (docs/estimator-math.md §4.6 and §9.2; Rainforth et al. 2018, Tucker et al. 2018, Daudel et al. 2026 on VIMCO-★).
 *
 * Estimators of ∇_φ L_N (the IWAE bound's gradient w.r.t. the encoder mean / bias): pathwise IWAE,
 * DReG, VIMCO (geometric control variate) and VIMCO-★ (β = 0). For each N on a log grid we draw M
 * independent gradient estimates and report SNR = |mean| / std.
 *
 * Settings:
 *   1-D (every mode): the check of docs/estimator-math.md §4.6 — z ~ N(0,1), x | z ~ N(z,1), x = 1,
 *       q = N(m, (2/3)²) at m = 0.7, gradient w.r.t. m — directly comparable with its float64 reference table.
 *   D = 20 toy ('standard' and 'full' modes): the Gaussian toy of docs/estimator-math.md §9.2 (models/gaussian-toy.ts)
 *       at the optimum θ = μ*, A = I/2, b = μ* / 2 plus N(0, 0.01²) noise on every parameter (the OVIS
 *       protocol), gradient w.r.t. b for the first data point; vector SNR = ‖mean‖ / √(Σ_j var_j).
 *
 * Vectorized: the M replicates are a batch axis — φ = { m } (or { b }) holds one copy per replicate,
 * so the guide has batch shape [chunk] with identical x, and one backward pass gives every
 * replicate's gradient.
 *
 * Seeds (standard and full mode): independent sets of replicates at the same φ (the toy's data and
 * perturbation come from the run's own seed); the slopes are fitted per seed and summarized by a 95%
 * interval across seeds, and the pooled cells (all seeds' replicates) give the plotted SNRs.
 *
 * SNR estimate: all four estimators are unbiased for the same ∇L_N (checked by the library's tests),
 * so besides each estimator's own mean we pool the four means (inverse-variance weights; DReG and
 * VIMCO-★ dominate) and report SNR = |pooled mean| / std. Its error is that of the std (≈ 1/√(2M)
 * relative), whereas the own-mean SNR has absolute error ≈ 1/√M, which swamps SNRs of 0.01–0.05 at
 * the M we can afford in 'quick' mode. Both are in the table; plots and slopes use the pooled one.
 */
import { valueAndGrad } from '../src/autodiff/transforms.js';
import { Normal } from '../src/dist/index.js';
import { normal as normalDraws } from '../src/random/continuous.js';
import { foldIn, key as makeKey } from '../src/random/key.js';
import { full } from '../src/tensor/creation.js';
import { Tensor } from '../src/tensor/tensor.js';
import { iwae, iwaeDreg } from '../src/vi/iwae.js';
import { vimco, vimcoStar } from '../src/vi/iw-score.js';
import type { Estimator, Problem } from '../src/vi/types.js';
import { GAUSSIAN_TOY, gaussianToyData } from '../models/gaussian-toy.js';
import { acrossSeeds, acrossSeedsNote, formatAcrossSeeds, seedsFor } from './seeds.js';
import type { Experiment, ExperimentResult, Plot, RunContext, RunMode, Series, Table } from './types.js';

interface EstimatorSpec {
  id: string;
  label: string;
  // biome-ignore lint/suspicious/noExplicitAny: rows hold estimators with different options types.
  estimator: Estimator<any>;
  /** The reference table's measured slope over N ∈ [10, 300] (docs/estimator-math.md §4.6) and the asymptotic rate. */
  /** "≈ −0.58" or "0.38": the reference slope as docs/estimator-math.md §4.6 prints it. */
  specSlope: string;
  theory: number;
}

/** The reference table's fitted slopes over N ∈ [10, 300] (docs/estimator-math.md §4.6, float64, own-mean SNR). */
const REFERENCE_SLOPES = { iwae: '≈ −0.58', dreg: '0.38', vimco: '≈ −0.58', vimcoStar: '0.46' } as const;

const ESTIMATORS: EstimatorSpec[] = [
  { id: 'iwae', label: 'pathwise IWAE', estimator: iwae, specSlope: REFERENCE_SLOPES.iwae, theory: -0.5 },
  { id: 'dreg', label: 'DReG', estimator: iwaeDreg, specSlope: REFERENCE_SLOPES.dreg, theory: 0.5 },
  { id: 'vimco', label: 'VIMCO (geometric)', estimator: vimco, specSlope: REFERENCE_SLOPES.vimco, theory: -0.5 },
  { id: 'vimcoStar', label: 'VIMCO-★', estimator: vimcoStar, specSlope: REFERENCE_SLOPES.vimcoStar, theory: 0.5 },
];

/**
 * The float64 reference SNRs of docs/estimator-math.md §4.6 (M = 5·10⁴ for N ≤ 300, 2·10⁴ for N = 1000);
 * null = "noise floor".
 */
const SPEC_46: Record<
  number,
  {
    grad: number;
    iwae: number | null;
    dreg: number;
    vimco: number | null;
    vimcoArith: number | null;
    vimcoStar: number;
  }
> = {
  10: { grad: -0.054, iwae: 0.111, dreg: 3.8, vimco: 0.124, vimcoArith: 0.12, vimcoStar: 0.897 },
  30: { grad: -0.0187, iwae: 0.057, dreg: 5.25, vimco: 0.067, vimcoArith: 0.064, vimcoStar: 1.44 },
  100: { grad: -0.00571, iwae: 0.031, dreg: 8.47, vimco: 0.039, vimcoArith: 0.037, vimcoStar: 2.49 },
  300: { grad: -0.00191, iwae: 0.015, dreg: 14.0, vimco: 0.018, vimcoArith: 0.017, vimcoStar: 4.22 },
  1000: { grad: -0.00057, iwae: null, dreg: 25.6, vimco: null, vimcoArith: null, vimcoStar: 7.76 },
};

interface SettingPlan {
  grid: number[];
  /** Replicates per seed and point. */
  replicates: number;
}

export const PLAN_1D: Record<RunMode, SettingPlan> = {
  tiny: { grid: [10, 30, 100], replicates: 1500 },
  quick: { grid: [10, 30, 100, 300], replicates: 6000 },
  standard: { grid: [3, 10, 30, 100, 300, 1000], replicates: 5000 },
  full: { grid: [3, 10, 30, 100, 300, 1000], replicates: 10000 },
};
/** The D = 20 toy runs in standard and full mode only (20× the work per replicate). */
export const PLAN_TOY: Partial<Record<RunMode, SettingPlan>> = {
  standard: { grid: [3, 10, 30, 100, 300, 1000], replicates: 300 },
  full: { grid: [3, 10, 30, 100, 300, 1000], replicates: 600 },
};
/**
 * Elements (samples × latent dimension × replicates) per estimator call: bounds memory and gives progress/stop
 * points.
 */
const CHUNK_ELEMENTS = 600_000;

/** One setting: how to get `count` replicate gradients (flattened [count, D]) from one estimator call. */
interface Setting {
  id: string;
  label: string;
  dim: number;
  plan: SettingPlan;
  // biome-ignore lint/suspicious/noExplicitAny: any row's estimator, whatever its options type.
  gradients(est: Estimator<any>, N: number, count: number, k: ReturnType<typeof makeKey>): Float64Array;
}

function oneDSetting(plan: SettingPlan): Setting {
  const problem: Problem<undefined, { m: Tensor }, number> = {
    logJoint: (_theta, z, x) => new Normal(0, 1).logProb(z).add(new Normal(z, 1).logProb(x)),
    guide: (phi) => new Normal(phi.m, 2 / 3),
  };
  return {
    id: '1d',
    label: '1-D reference setting (x = 1, q = N(0.7, (2/3)²), ∂/∂m)',
    dim: 1,
    plan,
    gradients(est, N, count, k) {
      const [, g] = valueAndGrad((p: { m: Tensor }) => est(k, undefined, p, 1, { problem, samples: N }).loss)({
        m: full([count], 0.7),
      });
      // loss = −Σ_replicates surrogate: the gradient of the bound is minus the loss gradient.
      return Float64Array.from((g as { m: Tensor }).m.dataSync(), (v) => -v);
    },
  };
}

function toySetting(seed: number, plan: SettingPlan): Setting {
  const data = gaussianToyData(seed);
  const D = GAUSSIAN_TOY.dim;
  const noise = normalDraws(foldIn(makeKey(seed), 0x70e), [D + D * D + D]).dataSync();
  const mu = Tensor.fromData(
    Float32Array.from(data.dataMean, (v, d) => v + 0.01 * noise[d]),
    [D],
  );
  const A = new Float32Array(D * D);
  for (let i = 0; i < D * D; i++) A[i] = (i % (D + 1) === 0 ? 0.5 : 0) + 0.01 * noise[D + i];
  const At = Tensor.fromData(A, [D, D]).transpose();
  const b0 = Float32Array.from(data.dataMean, (v, d) => v / 2 + 0.01 * noise[D + D * D + d]);
  const x0 = data.x.slice([0, 0], [1, D]).reshape([D]);
  const mean0 = x0.reshape([1, D]).matmul(At); // [1, D]: A x0
  const problem: Problem<{ mu: Tensor }, { b: Tensor }, Tensor> = {
    logJoint: (theta, z, x) => new Normal(theta.mu, 1).logProb(z).sum(-1).add(new Normal(z, 1).logProb(x).sum(-1)),
    guide: (phi) => new Normal(mean0.add(phi.b), GAUSSIAN_TOY.scale).toEvent(1),
  };
  return {
    id: 'toy20',
    label: 'D = 20 Gaussian toy (∂/∂b, first data point)',
    dim: D,
    plan,
    gradients(est, N, count, k) {
      const b = Tensor.fromData(
        new Float32Array(count * D).map((_, i) => b0[i % D]),
        [count, D],
      );
      const [, g] = valueAndGrad((p: { b: Tensor }) => est(k, { mu }, p, x0, { problem, samples: N }).loss)({ b });
      return Float64Array.from((g as { b: Tensor }).b.dataSync(), (v) => -v);
    },
  };
}

export interface Cell {
  N: number;
  /** Per coordinate mean and variance of the gradient estimates. */
  mean: Float64Array;
  variance: Float64Array;
  replicates: number;
}

/** Least-squares slope of y on x. */
function slope(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxy / sxx;
}

const norm = (v: Float64Array): number => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
const sum = (v: Float64Array): number => v.reduce((a, b) => a + b, 0);
const fmt = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toPrecision(digits) : String(v));

interface SettingResult {
  setting: Setting;
  /** cells[estimator id] = one cell per completed N. */
  cells: Record<string, Cell[]>;
  /** Pooled (inverse-variance weighted) mean gradient per N (same for every unbiased estimator). */
  pooled: Map<number, Float64Array>;
}

function runSetting(
  setting: Setting,
  seed: number,
  settingIndex: number,
  stop: () => boolean,
  tick: (n: number) => void,
): SettingResult {
  const { grid, replicates: M } = setting.plan;
  const D = setting.dim;
  const cells: Record<string, Cell[]> = {};
  for (const [ei, spec] of ESTIMATORS.entries()) {
    cells[spec.id] = [];
    for (const [ni, N] of grid.entries()) {
      const chunk = Math.max(1, Math.min(M, Math.floor(CHUNK_ELEMENTS / (N * D))));
      const base = foldIn(foldIn(foldIn(makeKey(seed), 0x5a7), settingIndex), ei * 64 + ni);
      const s1 = new Float64Array(D);
      const s2 = new Float64Array(D);
      let done = 0;
      for (let c = 0; done < M; c++) {
        if (stop()) return finish(setting, cells);
        const count = Math.min(chunk, M - done);
        const g = setting.gradients(spec.estimator, N, count, foldIn(base, c));
        // Float64 sums of g and g² (the SNRs here are < 100, so mean² never swamps the variance).
        for (let r = 0; r < count; r++) for (let d = 0; d < D; d++) s1[d] += g[r * D + d];
        for (let r = 0; r < count; r++) for (let d = 0; d < D; d++) s2[d] += g[r * D + d] * g[r * D + d];
        done += count;
        tick(count);
      }
      const mean = Float64Array.from(s1, (v) => v / M);
      const variance = Float64Array.from(s2, (v, d) => Math.max(0, (v - M * mean[d] * mean[d]) / (M - 1)));
      cells[spec.id].push({ N, mean, variance, replicates: M });
    }
  }
  return finish(setting, cells);
}

function finish(setting: Setting, cells: Record<string, Cell[]>): SettingResult {
  const pooled = new Map<number, Float64Array>();
  for (const N of setting.plan.grid) {
    const here = ESTIMATORS.map((e) => cells[e.id]?.find((c) => c.N === N)).filter((c): c is Cell => c !== undefined);
    if (here.length === 0) continue;
    const D = setting.dim;
    const m = new Float64Array(D);
    for (let d = 0; d < D; d++) {
      let w = 0;
      let s = 0;
      for (const c of here) {
        const wi = c.variance[d] > 0 ? c.replicates / c.variance[d] : 0;
        w += wi;
        s += wi * c.mean[d];
      }
      m[d] = w > 0 ? s / w : here[0].mean[d];
    }
    pooled.set(N, m);
  }
  return { setting, cells, pooled };
}

/**
 * Cells of the same N from several seeds as one cell with all their replicates: the weighted mean, and the
 * variance from the within-seed plus between-seed sums of squares.
 */
export function mergeCells(here: Cell[]): Cell {
  const M = here.reduce((a, c) => a + c.replicates, 0);
  const D = here[0].mean.length;
  const mean = new Float64Array(D);
  const variance = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    for (const c of here) mean[d] += (c.replicates * c.mean[d]) / M;
    let ss = 0;
    for (const c of here) ss += (c.replicates - 1) * c.variance[d] + c.replicates * (c.mean[d] - mean[d]) ** 2;
    variance[d] = ss / (M - 1);
  }
  return { N: here[0].N, mean, variance, replicates: M };
}

/** Several seeds' runs of one setting as one run with all their replicates. */
function mergeSeeds(setting: Setting, perSeed: SettingResult[]): SettingResult {
  const cells: Record<string, Cell[]> = {};
  for (const e of ESTIMATORS) {
    cells[e.id] = [];
    for (const N of setting.plan.grid) {
      const here = perSeed.map((r) => r.cells[e.id]?.find((c) => c.N === N)).filter((c): c is Cell => !!c);
      if (here.length > 0) cells[e.id].push(mergeCells(here));
    }
  }
  return finish(setting, cells);
}

/** SNR with the pooled mean and with the estimator's own mean (vector form: ‖mean‖ / √Σ var). */
function snrOf(cell: Cell, pooled: Float64Array): { pooled: number; own: number } {
  const sd = Math.sqrt(sum(cell.variance));
  return { pooled: norm(pooled) / sd, own: norm(cell.mean) / sd };
}

function slopeOver(
  cellsOf: Cell[],
  pooled: Map<number, Float64Array>,
  lo: number,
  hi: number,
  which: 'pooled' | 'own',
): number {
  const use = cellsOf.filter((c) => c.N >= lo && c.N <= hi);
  return slope(
    use.map((c) => Math.log(c.N)),
    use.map((c) => Math.log(snrOf(c, pooled.get(c.N)!)[which])),
  );
}

async function run(context: RunContext): Promise<ExperimentResult> {
  const t0 = performance.now();
  const settings: Setting[] = [oneDSetting(PLAN_1D[context.mode])];
  const toyPlan = PLAN_TOY[context.mode];
  if (toyPlan) settings.push(toySetting(context.seed, toyPlan));
  const seeds = seedsFor(context.seed, context.mode);
  const total =
    seeds.length * settings.reduce((a, s) => a + ESTIMATORS.length * s.plan.grid.length * s.plan.replicates, 0);
  const progress = context.progress('Gradient SNR against N', total);
  let done = 0;
  let interrupted = false;
  const stop = (): boolean => {
    if (!interrupted && context.shouldStop()) interrupted = true;
    return interrupted;
  };
  // perSeed[i] = setting i's result for each seed run (the last may be partial after Ctrl-C).
  const perSeed: SettingResult[][] = settings.map(() => []);
  for (const [i, s] of settings.entries()) {
    for (const [si, seed] of seeds.entries()) {
      if (interrupted) break;
      perSeed[i].push(
        runSetting(s, seed, i, stop, (n) => {
          done += n;
          progress.update(done, { setting: s.id, seed: si + 1 });
        }),
      );
    }
  }
  progress.finish();
  const results: SettingResult[] = settings.map((s, i) =>
    perSeed[i].length === 1 ? perSeed[i][0] : mergeSeeds(s, perSeed[i]),
  );
  // Seeds whose every cell completed (for the across-seed intervals).
  const completeSeeds = (i: number): SettingResult[] =>
    perSeed[i].filter((r) => ESTIMATORS.every((e) => (r.cells[e.id] ?? []).length === settings[i].plan.grid.length));

  const plots: Plot[] = [];
  const tables: Table[] = [];
  const references: Table[] = [];
  const metrics: Record<string, number> = {};
  const lo = 10;
  const hi = 300;
  for (const [ri, res] of results.entries()) {
    if (perSeed[ri].length === 0) continue;
    const { setting, cells, pooled } = res;
    const prefix = setting.id === '1d' ? '' : `${setting.id}_`;
    const series: Series[] = [];
    const slopeRows: (string | number)[][] = [];
    const seedRuns = completeSeeds(ri);
    const seedSlopeRows: (string | number)[][] = [];
    for (const e of ESTIMATORS) {
      const cs = cells[e.id] ?? [];
      if (cs.length === 0) continue;
      const sl = slopeOver(cs, pooled, lo, hi, 'pooled');
      const slAll = slopeOver(cs, pooled, 0, Infinity, 'pooled');
      const slOwn = slopeOver(cs, pooled, lo, hi, 'own');
      // Slopes need two N values (an interrupted run may have fewer): metrics stay finite numbers.
      if (Number.isFinite(sl)) metrics[`${prefix}${e.id}Slope`] = sl;
      if (Number.isFinite(slAll)) metrics[`${prefix}${e.id}SlopeAllN`] = slAll;
      if (Number.isFinite(slOwn)) metrics[`${prefix}${e.id}SlopeOwnMean`] = slOwn;
      for (const c of cs) metrics[`${prefix}${e.id}SnrN${c.N}`] = snrOf(c, pooled.get(c.N)!).pooled;
      // With several complete seeds: each seed's SNRs and slope, for 95% intervals across seeds.
      const band =
        seedRuns.length > 1
          ? cs.map(
              (c) =>
                acrossSeeds(
                  seedRuns.map((r) => {
                    const own = r.cells[e.id].find((x) => x.N === c.N)!;
                    return snrOf(own, r.pooled.get(c.N)!).pooled;
                  }),
                ).halfWidth,
            )
          : undefined;
      series.push({
        name: `${e.label} (slope ${fmt(sl, 2)})`,
        x: cs.map((c) => c.N),
        y: cs.map((c) => snrOf(c, pooled.get(c.N)!).pooled),
        ...(band ? { band } : {}),
      });
      if (seedRuns.length > 1) {
        const slopes = seedRuns.map((r) => slopeOver(r.cells[e.id], r.pooled, lo, hi, 'pooled'));
        const across = acrossSeeds(slopes);
        metrics[`${prefix}${e.id}SlopeSeedHalfWidth`] = across.halfWidth;
        seedSlopeRows.push([
          e.label,
          slopes.map((v) => fmt(v, 3)).join(', '),
          formatAcrossSeeds(across, 3),
          e.theory > 0 ? '+0.5 (√N)' : '−0.5',
        ]);
      }
      slopeRows.push([
        e.label,
        fmt(sl, 3),
        fmt(slAll, 3),
        fmt(slOwn, 3),
        setting.id === '1d' ? e.specSlope : '—',
        e.theory > 0 ? '+0.5 (√N)' : '−0.5',
      ]);
    }
    if (setting.id === '1d') {
      for (const e of ESTIMATORS) {
        const pts = setting.plan.grid.filter(
          (N) => SPEC_46[N] && (SPEC_46[N] as Record<string, number | null>)[e.id] !== null,
        );
        if (pts.length > 0) {
          const y = pts.map((N) => (SPEC_46[N] as Record<string, number | null>)[e.id] as number);
          series.push({ name: `reference: ${e.label}`, reference: true, x: pts, y });
        }
      }
    }
    plots.push({
      id: `snr-${setting.id}`,
      title: `Gradient SNR against N — ${setting.label}`,
      xLabel: 'N (importance samples)',
      yLabel: 'SNR = |mean| / std',
      xLog: true,
      yLog: true,
      series,
      caption:
        'Log–log SNR of the φ-gradient over ' +
        `${(perSeed[ri].length * setting.plan.replicates).toLocaleString('en-US')} ` +
        `replicates per point${perSeed[ri].length > 1 ? ` (${perSeed[ri].length} seeds pooled)` : ''}; ` +
        `legend slopes are least-squares fits of log SNR on log N over N ∈ [${lo}, ${hi}]. ` +
        (seedRuns.length > 1 ? `Bands: 95% interval over seeds of the per-seed SNR (${seedRuns.length} seeds). ` : '') +
        'DReG and VIMCO-★ grow like √N, pathwise IWAE and VIMCO decay like 1/√N.' +
        (setting.id === '1d'
          ? ' "reference" series are the float64 numbers of docs/estimator-math.md §4.6 for the same setting.'
          : ''),
    });
    tables.push({
      title: `Fitted slopes of log SNR on log N — ${setting.label}`,
      columns: [
        'estimator',
        `slope, N ∈ [${lo}, ${hi}] (pooled mean)`,
        'slope, all N (pooled mean)',
        `slope, N ∈ [${lo}, ${hi}] (own mean)`,
        'reference (float64)',
        'theory',
      ],
      rows: slopeRows,
    });
    if (seedSlopeRows.length > 0) {
      tables.push({
        title: `Slopes (N ∈ [${lo}, ${hi}], pooled mean) per seed and across seeds — ${setting.label}`,
        columns: ['estimator', 'per seed', `mean ± 95% interval (${seedRuns.length} seeds, Student's t)`, 'theory'],
        rows: seedSlopeRows,
      });
    }
    const snrRows: (string | number)[][] = [];
    for (const e of ESTIMATORS) {
      for (const c of cells[e.id] ?? []) {
        const p = pooled.get(c.N)!;
        const s = snrOf(c, p);
        const se = Math.sqrt(sum(c.variance) / c.replicates);
        const z = setting.dim === 1 ? (c.mean[0] - p[0]) / se : NaN;
        snrRows.push([
          e.label,
          c.N,
          fmt(s.pooled, 4),
          fmt(s.own, 3),
          fmt(setting.dim === 1 ? c.mean[0] : norm(c.mean), 4),
          fmt(se, 2),
          setting.dim === 1 ? fmt(z, 2) : '—',
          fmt(Math.sqrt(sum(c.variance)), 4),
        ]);
      }
    }
    tables.push({
      title: `SNR per estimator and N — ${setting.label}`,
      columns: [
        'estimator',
        'N',
        'SNR (pooled mean)',
        'SNR (own mean)',
        setting.dim === 1 ? 'mean gradient' : '‖mean gradient‖',
        'std error of mean',
        'z vs pooled mean',
        'std',
      ],
      rows: snrRows,
    });
    if (setting.id === '1d') {
      const gridN = setting.plan.grid.filter((N) => SPEC_46[N] !== undefined && pooled.has(N));
      const snrAt = (id: string, N: number): string => {
        const c = (cells[id] ?? []).find((x) => x.N === N);
        return c ? fmt(snrOf(c, pooled.get(N)!).pooled, 3) : '—';
      };
      const spec = (v: number | null): string | number => (v === null ? 'noise floor' : v);
      references.push({
        source: 'our reference computation',
        title: 'Reference SNR table (docs/estimator-math.md §4.6, float64, M = 5·10⁴) beside ours (pooled-mean SNR)',
        columns: [
          'N',
          '∇L_N ours',
          '∇L_N ref',
          'IWAE ours',
          'IWAE ref',
          'DReG ours',
          'DReG ref',
          'VIMCO ours',
          'VIMCO ref',
          'VIMCO-★ ours',
          'VIMCO-★ ref',
        ],
        rows: gridN.map((N) => {
          const s = SPEC_46[N];
          return [
            N,
            fmt(pooled.get(N)![0], 4),
            s.grad,
            snrAt('iwae', N),
            spec(s.iwae),
            snrAt('dreg', N),
            s.dreg,
            snrAt('vimco', N),
            spec(s.vimco),
            snrAt('vimcoStar', N),
            s.vimcoStar,
          ];
        }),
      });
      references.push({
        source: 'our reference computation',
        title: 'Reference slopes (log SNR vs log N, N ∈ [10, 300], docs/estimator-math.md §4.6) and the test band',
        columns: ['estimator', 'reference (float64)', 'slow-test band', 'ours'],
        rows: ESTIMATORS.map((e) => [
          e.label,
          e.specSlope,
          e.theory > 0 ? '[0.3, 0.65]' : '[−0.75, −0.4]',
          fmt(metrics[`${e.id}Slope`] ?? NaN, 3),
        ]),
      });
    }
  }

  // Slope with its 95% interval across seeds when there are several (the plain pooled slope otherwise).
  const s = (id: string): string => {
    const hw = metrics[`${id}SlopeSeedHalfWidth`];
    return fmt(metrics[`${id}Slope`] ?? NaN, 2) + (hw === undefined ? '' : ` ± ${fmt(hw, 2)}`);
  };
  const plan = PLAN_1D[context.mode];
  const nSeeds = perSeed[0].length;
  const comments = [
    toyPlan
      ? 'Setting: the 1-D check of docs/estimator-math.md §4.6 (directly comparable with its float64 reference ' +
        'table) and the D = 20 Gaussian toy of §9.2 there.'
      : 'Setting: the 1-D check of docs/estimator-math.md §4.6 only (x = 1, q = N(0.7, (2/3)²), gradient w.r.t. m); ' +
        "the D = 20 toy (§9.2 there) runs in 'standard' and 'full' mode (20× the work per replicate would not " +
        'fit the ' +
        `${context.mode === 'quick' ? '≈ 30 s' : 'few-second'} budget).`,
    `Replicates: M = ${plan.replicates.toLocaleString('en-US')} per point and seed in '${context.mode}' mode, ` +
      `${nSeeds} seed${nSeeds === 1 ? '' : 's'} ` +
      '(reference table: 5·10⁴ for N ≤ 300, 2·10⁴ for N = 1000); ' +
      `grid N ∈ {${plan.grid.join(', ')}}${plan.grid.includes(1000) ? '' : ' (standard and full mode: 3…1000)'}.`,
    nSeeds > 1
      ? `Seeds: ${nSeeds} independent sets of replicates at the same φ; slopes are fitted per seed and given ` +
        `with a 95% interval across seeds (${acrossSeedsNote(nSeeds)}); plots pool every seed's replicates.`
      : `One seed (${acrossSeedsNote(1)}).`,
    'SNR uses the pooled mean of the four unbiased estimators (inverse-variance weighted) over each estimator’s ' +
      'own std. The own-mean SNR (the textbook estimate) is in the table; at our M it is dominated by noise for ' +
      'SNRs below ~3/√M (pathwise IWAE and VIMCO at large N), which the reference table calls the noise floor. ' +
      'The "z vs pooled mean" column checks that the estimators agree on the mean.',
    'Slopes: with the pooled mean, pathwise IWAE and VIMCO come out close to the theoretical −0.5; the reference ' +
      `table’s ${REFERENCE_SLOPES.iwae} uses each estimator’s own mean, ` +
      'whose noise (≈ ±0.0045 at M = 5·10⁴ against SNRs of ' +
      '0.015–0.02 at N = 300) can steepen the fit. Our own-mean slopes are in the slope table for comparison.',
    'VIMCO is the geometric-mean variant (the reference table also lists the arithmetic one, not run here). ' +
      'All numbers are float32 gradients accumulated in float64; the reference table’s are float64 throughout.',
  ];
  if (toyPlan) {
    comments.push(
      'D = 20 toy: parameters at the optimum plus N(0, 0.01²) noise (the OVIS protocol), one data point (x_1), ' +
        `M = ${toyPlan.replicates.toLocaleString('en-US')} replicates per N and seed; SNR is the vector form ` +
        '‖mean‖ / √(Σ_j var_j) over the 20 coordinates of b (there are no reference numbers for this setting).',
    );
  }
  if (interrupted) comments.unshift('Interrupted: only the points completed before Ctrl-C are shown.');

  return {
    name: 'snr-scaling',
    title: 'Gradient SNR against the number of samples N',
    summary:
      'SNR of the encoder-mean gradient of the IWAE bound as N grows. Fitted log–log slopes over N ∈ [10, 300]: ' +
      `DReG ${s('dreg')}, VIMCO-★ ${s('vimcoStar')} ` +
      `(reference: ${REFERENCE_SLOPES.dreg}, ${REFERENCE_SLOPES.vimcoStar}; theory √N), ` +
      `pathwise IWAE ${s('iwae')}, VIMCO ${s('vimco')} (reference ${REFERENCE_SLOPES.iwae}; theory 1/√N). ` +
      'More samples tighten the bound but starve the pathwise IWAE and VIMCO gradients of signal; ' +
      'DReG and VIMCO-★ fix that.',
    plots,
    tables,
    references,
    comments,
    metrics,
    settings: {
      mode: context.mode,
      seed: context.seed,
      seeds: seeds.join(', '),
      setting: toyPlan ? '1-D reference setting and D = 20 toy' : '1-D reference setting',
      grid1d: plan.grid.join(', '),
      replicates1d: plan.replicates,
      ...(toyPlan ? { gridToy: toyPlan.grid.join(', '), replicatesToy: toyPlan.replicates } : {}),
      proposal: 'N(0.7, (2/3)²)',
      snr: 'pooled mean / own std',
      vimcoControlVariate: 'geometric',
    },
    interrupted,
    seconds: (performance.now() - t0) / 1000,
  };
}

export const snrScaling: Experiment = {
  name: 'snr-scaling',
  title: 'Gradient SNR against N',
  description:
    'SNR of IWAE, DReG, VIMCO and VIMCO-★ encoder gradients as the number of samples N grows (√N growth vs collapse)',
  run,
};
