/**
 * Experiment 1: the VRS diagnostic of Grover et al. (2018), paper §5.1 and figures 3–5
 * (docs/estimator-math.md §5.6).
 *
 * Target: Poisson(10) truncated below 5 (models/truncated-poisson.ts); proposal Q_φ = Poisson(e^φ);
 * optimum φ* = log 10. Three score-function methods fit φ from two starts, φ0 = log 3 (below φ*)
 * and φ0 = log 25 (above):
 *
 *   VRS       fixed T = 50, S = 5 accepted samples per step, SGD momentum 0.5, lr 0.01 (the paper's);
 *   VIMCO     k = 100, SGD momentum 0.5, lr 0.005 (the paper's);
 *   SF-ELBO   the plain score-function ELBO (leave-one-out baseline), S = 5, SGD momentum 0.5,
 *             lr 0.001 (plus a table-only run at VRS's lr 0.01, which is unstable).
 *
 * Reported: φ − φ* against the total number of samples drawn (proposals for VRS, k per step for
 * VIMCO, S per step for SF-ELBO), the acceptance rate of VRS against the step, the exact R-ELBO /
 * ELBO at the final φ (enumeration, `truncatedPoissonExact`), and the exact table of docs/estimator-math.md §5.6
 * recomputed.
 * Every run uses its own key stream derived from the seed (same seed ⇒ identical numbers).
 */
import { foldIn, key as makeKey } from '../src/random/key.js';
import { scalar } from '../src/tensor/creation.js';
import { elboScoreFunction } from '../src/vi/elbo.js';
import { vimco } from '../src/vi/iw-score.js';
import { sgd } from '../src/vi/optimizers.js';
import type { ThresholdPolicy } from '../src/vi/threshold.js';
import { train } from '../src/vi/train.js';
import type { Diagnostics, Estimator } from '../src/vi/types.js';
import { vrs } from '../src/vi/vrs.js';
import { TRUNCATED_POISSON, truncatedPoissonExact, truncatedPoissonProblem } from '../models/truncated-poisson.js';
import type { Experiment, ExperimentResult, Plot, RunContext, RunMode, Series, Table } from './types.js';

const PHI_STAR = Math.log(TRUNCATED_POISSON.rate);
const T = TRUNCATED_POISSON.threshold;
const MOMENTUM = 0.5;
const STARTS = [
  { label: 'below', rate: 3 },
  { label: 'above', rate: 25 },
] as const;

/** Steps per run in each mode (every method gets the same number of steps). */
const STEPS: Record<RunMode, number> = { tiny: 120, quick: 4000, standard: 4000, full: 20000 };

interface MethodSpec {
  id: string;
  label: string;
  // biome-ignore lint/suspicious/noExplicitAny: rows hold estimators with different options types; train() calls them.
  estimator: Estimator<any>;
  options: Record<string, unknown> & { samples: number };
  threshold?: ThresholdPolicy;
  lr: number;
  /** Shown in the plots (false: table only). */
  plotted: boolean;
}

const METHODS: MethodSpec[] = [
  {
    id: 'vrs',
    label: 'VRS (T = 50, S = 5)',
    estimator: vrs,
    options: { samples: 5 },
    threshold: { kind: 'fixed', threshold: T },
    lr: 0.01,
    plotted: true,
  },
  { id: 'vimco', label: 'VIMCO (k = 100)', estimator: vimco, options: { samples: 100 }, lr: 0.005, plotted: true },
  {
    id: 'sfElbo',
    label: 'SF-ELBO (S = 5)',
    estimator: elboScoreFunction,
    options: { samples: 5 },
    lr: 0.001,
    plotted: true,
  },
  {
    id: 'sfElboLr01',
    label: 'SF-ELBO (S = 5, lr 0.01)',
    estimator: elboScoreFunction,
    options: { samples: 5 },
    lr: 0.01,
    plotted: false,
  },
];

interface RunTrace {
  method: MethodSpec;
  start: (typeof STARTS)[number];
  /** φ after each completed step. */
  phi: number[];
  /** Cumulative samples drawn after each step. */
  samples: number[];
  /** VRS: Ẑ_R of each step (mean acceptance probability over that step's proposals). */
  acceptance: number[];
  /** Set when the run stopped on an error (e.g. a non-finite gradient or rate). */
  failure?: string;
}

/** Indices 0..n−1 thinned to about `count`, log-spaced (always keeps the first and last). */
function logThin(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>([0, n - 1]);
  for (let j = 0; j < count; j++) out.add(Math.min(n - 1, Math.round(Math.exp((j / (count - 1)) * Math.log(n)) - 1)));
  return [...out].sort((a, b) => a - b);
}

/** Block means of `v` in about `count` blocks: [x = block centre (1-based step), y = mean]. */
function blockMeans(v: number[], count: number): { x: number[]; y: number[] } {
  const size = Math.max(1, Math.ceil(v.length / count));
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < v.length; i += size) {
    const block = v.slice(i, i + size);
    x.push(i + (block.length + 1) / 2);
    y.push(block.reduce((a, b) => a + b, 0) / block.length);
  }
  return { x, y };
}

const fmt = (v: number, digits = 4): string => {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 10 ** -digits) return v.toExponential(1);
  return v.toFixed(digits);
};

function runOne(
  context: RunContext,
  method: MethodSpec,
  start: (typeof STARTS)[number],
  runIndex: number,
  steps: number,
  onStep: () => boolean,
): RunTrace {
  const trace: RunTrace = { method, start, phi: [], samples: [], acceptance: [] };
  let total = 0;
  try {
    train({
      estimator: method.estimator,
      problem: truncatedPoissonProblem,
      options: method.options,
      threshold: method.threshold,
      params: { theta: undefined, phi: { logRate: scalar(Math.log(start.rate)) } },
      optimizer: sgd({ lr: method.lr, momentum: MOMENTUM }),
      steps,
      key: foldIn(foldIn(makeKey(context.seed), 0x5d1a6), runIndex),
      shouldStop: onStep,
      onStep: (r, state) => {
        const value = state.params.phi.logRate.item();
        if (!Number.isFinite(value) || !Number.isFinite(Math.exp(value)) || Math.exp(value) <= 0) {
          throw new Error(`φ left the valid range (φ = ${value})`);
        }
        const d: Diagnostics = r.diagnostics;
        total += d.proposals ?? method.options.samples;
        trace.phi.push(value);
        trace.samples.push(total);
        if (d.acceptanceRate !== undefined) trace.acceptance.push(d.acceptanceRate.item());
      },
    });
  } catch (e) {
    trace.failure = `step ${trace.phi.length + 1}: ${(e as Error).message.split('\n')[0]}`;
  }
  return trace;
}

/** Total samples drawn when |φ − φ*| fell below tol for good (to the end of the run); −1 if it ends outside. */
function samplesToStayWithin(trace: RunTrace, tol: number): number {
  const n = trace.phi.length;
  if (n === 0 || Math.abs(trace.phi[n - 1] - PHI_STAR) >= tol) return -1;
  let i = n - 1;
  while (i > 0 && Math.abs(trace.phi[i - 1] - PHI_STAR) < tol) i--;
  return trace.samples[i];
}

function meanLast(v: number[], fraction: number): number {
  if (v.length === 0) return NaN;
  const n = Math.max(1, Math.floor(v.length * fraction));
  const tail = v.slice(v.length - n);
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

async function run(context: RunContext): Promise<ExperimentResult> {
  const t0 = performance.now();
  const steps = STEPS[context.mode];
  const runs = METHODS.flatMap((m) => STARTS.map((s) => ({ m, s })));
  const progress = context.progress('VRS diagnostic (truncated Poisson)', runs.length * steps);
  let done = 0;
  let interrupted = false;
  const traces: RunTrace[] = [];
  runs.forEach(({ m, s }, i) => {
    if (interrupted) return;
    const trace = runOne(context, m, s, i, steps, () => {
      if (context.shouldStop()) {
        interrupted = true;
        return true;
      }
      done++;
      if (done % 50 === 0) progress.update(done, { run: `${m.id} from ${s.label}` });
      return false;
    });
    // Count the remaining steps of a failed run as done (for the bar).
    if (trace.failure !== undefined) done = (i + 1) * steps;
    traces.push(trace);
    if (trace.failure !== undefined) context.log(`${m.label} from φ0 = log ${s.rate}: stopped at ${trace.failure}`);
  });
  progress.update(Math.min(done, runs.length * steps));
  progress.finish();

  // ---- plots -----------------------------------------------------------------------------------
  const plotted = traces.filter((tr) => tr.method.plotted && tr.phi.length > 0);
  const phiSeries: Series[] = plotted.map((tr) => {
    const idx = logThin(tr.phi.length, 300);
    return {
      name: `${tr.method.label}, φ0 = log ${tr.start.rate}`,
      x: idx.map((i) => tr.samples[i]),
      y: idx.map((i) => tr.phi[i] - PHI_STAR),
    };
  });
  const phiPlot: Plot = {
    id: 'vrs-phi-error',
    title: 'φ − φ* against the total number of samples drawn',
    xLabel: 'total samples drawn (VRS: proposals; VIMCO: k per step; SF-ELBO: S per step)',
    yLabel: 'φ − φ*',
    xLog: true,
    series: phiSeries,
    caption:
      'Each curve is one run from φ0 = log 3 (below φ*) or log 25 (above). VRS reaches φ* = log 10 within a ' +
      'few hundred proposals and stays there (its gradient is exactly 0 at φ*); SF-ELBO settles near the plain-ELBO ' +
      'optimum log 12.98 (φ − φ* ≈ +0.26); VIMCO drifts slowly and noisily.',
  };
  const accSeries: Series[] = [];
  for (const tr of traces.filter((x) => x.method.id === 'vrs' && x.acceptance.length > 0)) {
    const b = blockMeans(tr.acceptance, 200);
    accSeries.push({ name: `VRS Ẑ_R (block means), φ0 = log ${tr.start.rate}`, x: b.x, y: b.y });
    const idx = logThin(tr.phi.length, 120);
    accSeries.push({
      name: `exact Z_R(φ_t), φ0 = log ${tr.start.rate}`,
      reference: true,
      x: idx.map((i) => i + 1),
      y: idx.map((i) => truncatedPoissonExact(Math.exp(tr.phi[i])).Z),
    });
  }
  const zStar = truncatedPoissonExact(TRUNCATED_POISSON.rate).Z;
  if (accSeries.length > 0)
    accSeries.push({ name: 'exact Z_R at φ*', reference: true, x: [1, steps], y: [zStar, zStar] });
  const accPlot: Plot = {
    id: 'vrs-acceptance',
    title: 'VRS acceptance rate against step (T = 50)',
    xLabel: 'step',
    yLabel: 'acceptance rate',
    series: accSeries,
    caption:
      "The observed acceptance rate Ẑ_R of each VRS step (mean of a(z) over that step's proposals, averaged " +
      'in blocks) and the exact Z_R at the current φ. With T = 50 only draws below 5 are rejected, so Z_R = Q(z ≥ ' +
      `5): it climbs from 0.18 (rate 3) and falls from ≈ 1 (rate 25) to ${zStar.toFixed(4)} at φ*.`,
  };
  const grid = Array.from({ length: 121 }, (_, i) => Math.log(3) + (i / 120) * (Math.log(30) - Math.log(3)));
  const curve = grid.map((g) => truncatedPoissonExact(Math.exp(g)));
  const boundPlot: Plot = {
    id: 'vrs-bounds',
    title: 'Exact R-ELBO (T = 50) and plain ELBO against φ',
    xLabel: 'φ = log rate',
    yLabel: 'bound (nats)',
    series: [
      { name: 'R-ELBO (T = 50)', x: grid, y: curve.map((c) => c.rElbo) },
      { name: 'ELBO', x: grid, y: curve.map((c) => c.elbo) },
      { name: 'log Σ P', x: [grid[0], grid[grid.length - 1]], y: [curve[0].logEvidence, curve[0].logEvidence] },
    ],
    caption:
      'Exact values by enumeration of z < 400. The R-ELBO touches log Σ_z P(z) at φ* = log 10 ≈ 2.303; the ' +
      'ELBO peaks at rate ≈ 12.98 (φ ≈ 2.563), which is where the plain score-function ELBO goes.',
  };

  // ---- tables ----------------------------------------------------------------------------------
  const rows: (string | number)[][] = [];
  const metrics: Record<string, number> = {};
  const perMethodErr: Record<string, number[]> = {};
  for (const tr of traces) {
    const n = tr.phi.length;
    const final = n > 0 ? tr.phi[n - 1] : Math.log(tr.start.rate);
    const err = Math.abs(final - PHI_STAR);
    const ex = Number.isFinite(Math.exp(final)) ? truncatedPoissonExact(Math.exp(final)) : undefined;
    rows.push([
      tr.method.label,
      `log ${tr.start.rate}`,
      tr.method.lr,
      n,
      n > 0 ? tr.samples[n - 1] : 0,
      fmt(final),
      fmt(err),
      fmt(Math.abs(meanLast(tr.phi, 0.1) - PHI_STAR)),
      ex ? fmt(ex.rElbo) : 'n/a',
      ex ? fmt(ex.elbo, 3) : 'n/a',
      ex ? fmt(ex.Z) : 'n/a',
      tr.failure ?? '',
    ]);
    const key = `${tr.method.id}FinalPhiError${tr.start.label === 'below' ? 'Below' : 'Above'}`;
    metrics[key] = err;
    metrics[`${tr.method.id}StartPhiError${tr.start.label === 'below' ? 'Below' : 'Above'}`] = Math.abs(
      Math.log(tr.start.rate) - PHI_STAR,
    );
    metrics[`${tr.method.id}SamplesTo005${tr.start.label === 'below' ? 'Below' : 'Above'}`] = samplesToStayWithin(
      tr,
      0.05,
    );
    (perMethodErr[tr.method.id] ??= []).push(err);
  }
  for (const [id, errs] of Object.entries(perMethodErr)) metrics[`${id}FinalPhiError`] = Math.max(...errs);
  const resultTable: Table = {
    title: 'Final φ per method and start (φ* = log 10 = 2.3026)',
    columns: [
      'method',
      'φ0',
      'lr',
      'steps',
      'total samples',
      'final φ',
      '|φ − φ*|',
      '|mean φ (last 10%) − φ*|',
      'exact R-ELBO at final φ',
      'exact ELBO at final φ',
      'exact Z_R at final φ',
      'note',
    ],
    rows,
  };

  // The exact values listed in docs/estimator-math.md §5.6, recomputed below by enumeration.
  const SPEC_TABLE = [
    { rate: 5, rElbo: -1.028072, dPhi: 1.76143, Z: 0.5595, elbo: -43.362 },
    { rate: 8, rElbo: -0.20629, dPhi: 1.386864, Z: 0.9004, elbo: -9.722 },
    { rate: 10, rElbo: -0.029689, dPhi: 0.0, Z: 0.9707, elbo: -2.795 },
    { rate: 12, rElbo: -0.207192, dPhi: -2.105184, Z: 0.9924, elbo: -0.915 },
    { rate: 20, rElbo: -3.863151, dPhi: -13.860086, Z: 1.0, elbo: -3.865 },
  ];
  const exactRef: Table = {
    source: 'our reference computation',
    title: 'Exact table of docs/estimator-math.md §5.6 (T = 50, log ε = −100, z < 400): our enumeration beside it',
    columns: [
      'rate e^φ',
      'R-ELBO (ours)',
      'R-ELBO (doc)',
      'dR/dφ (ours)',
      'dR/dφ (doc)',
      'Z_R (ours)',
      'Z_R (doc)',
      'ELBO (ours)',
      'ELBO (doc)',
    ],
    rows: SPEC_TABLE.map((r) => {
      const ex = truncatedPoissonExact(r.rate);
      return [
        r.rate,
        fmt(ex.rElbo, 6),
        r.rElbo,
        fmt(ex.dPhi + 0, 6),
        r.dPhi,
        fmt(ex.Z, 4),
        r.Z,
        fmt(ex.elbo, 3),
        r.elbo,
      ];
    }),
  };
  let maxTableDiff = 0;
  for (const r of SPEC_TABLE) {
    const ex = truncatedPoissonExact(r.rate);
    maxTableDiff = Math.max(maxTableDiff, Math.abs(ex.rElbo - r.rElbo), Math.abs(ex.dPhi - r.dPhi));
  }
  metrics.specTableMaxAbsDiff = maxTableDiff;

  const vrsErr = metrics.vrsFinalPhiError;
  const vimcoErr = metrics.vimcoFinalPhiError;
  const sfErr = metrics.sfElboFinalPhiError;
  const sf01 = traces.filter((tr) => tr.method.id === 'sfElboLr01');
  const sf01Text =
    sf01.length === 0
      ? 'not run (interrupted)'
      : sf01
          .map(
            (tr) =>
              `from log ${tr.start.rate}: ` +
              `${tr.failure ? `stopped (${tr.failure})` : `final φ ${fmt(tr.phi[tr.phi.length - 1], 3)}`}`,
          )
          .join('; ');
  const reach = (id: string): string => {
    const v = [metrics[`${id}SamplesTo005Below`], metrics[`${id}SamplesTo005Above`]];
    if (v.some((x) => x === undefined)) return 'n/a (interrupted)';
    return v.map((x) => (x < 0 ? 'never' : x.toLocaleString('en-US'))).join(' / ');
  };
  const elboRate = TRUNCATED_POISSON.elboOptimumRate;
  const elboGap = Math.log(elboRate / TRUNCATED_POISSON.rate);
  const exactSlopes = SPEC_TABLE.map((r) => {
    const d = truncatedPoissonExact(r.rate).dPhi;
    return `${d > 0 ? '+' : ''}${fmt(Math.abs(d) < 5e-7 ? 0 : d, 3)} at rate ${r.rate}`;
  }).join(', ');
  const claims: Table = {
    source: 'paper',
    title: 'The VRS paper’s qualitative claims (Grover et al. 2018, §5.1) and what our runs show',
    columns: ['claim', 'ours'],
    rows: [
      [
        'VRS gradients have a consistent sign (positive below φ*, negative above) and VRS converges to φ* = log 10',
        `exact dR/dφ is ${exactSlopes}; VRS ends at max |φ − φ*| = ${fmt(vrsErr, 5)} from both starts`,
      ],
      [
        'VIMCO (k = 100, lr 0.005) gradients were too noisy to converge, even with smaller learning rates',
        `VIMCO ends at max |φ − φ*| = ${fmt(vimcoErr, 3)} after ${steps} steps ` +
          `(${(steps * 100).toLocaleString('en-US')} samples per run); within 0.05 for good after ${reach('vimco')} ` +
          `samples (below / above) vs ${reach('vrs')} proposals for VRS. Noisy and far slower per sample; ` +
          'whether it "converges" depends on the budget',
      ],
      [
        `(not in the paper) the plain ELBO’s optimum is at rate ≈ ${elboRate}, not 10`,
        `SF-ELBO (lr 0.001) ends at max |φ − φ*| = ${fmt(sfErr, 3)} ` +
          `(log ${elboRate} − log 10 = ${fmt(elboGap, 3)}); at lr 0.01: ${sf01Text}`,
      ],
    ],
  };

  const summary =
    'Fitting q = Poisson(e^φ) to Poisson(10) truncated below 5. VRS with a fixed threshold T = 50 converges to ' +
    `φ* = log 10 (final |φ − φ*| ≤ ${fmt(vrsErr, 5)} from both starts; within 0.05 for good after ${reach('vrs')} ` +
    'proposals from below / above), because the resampled proposal then equals the target and the R-ELBO touches ' +
    `log Σ P. The plain score-function ELBO heads for its own optimum, rate ≈ ${elboRate} (final |φ − φ*| up to ` +
    `${fmt(sfErr, 3)}; ${fmt(elboGap, 3)} at that optimum). VIMCO with k = 100 ends ${fmt(vimcoErr, 3)} from φ* ` +
    `after ${(steps * 100).toLocaleString('en-US')} samples per run (within 0.05 for good after ${reach('vimco')} ` +
    'samples): it needs orders of magnitude more samples than VRS.';

  const comments = [
    'Starting points: we do not know the paper’s initial φ, so we start from log 3 (below φ*) and log 25 (above).',
    `Steps: every method runs ${steps} SGD steps (momentum 0.5) per start in '${context.mode}' mode; ` +
      'we do not know the paper’s step counts. One seed per run (no averaging over repetitions).',
    'VRS uses S = 5 accepted samples per step (we do not know the paper’s S for this experiment; S = 5 is its SBN ' +
      'setting). The threshold is fixed at T = 50 as in the paper; with T = 50 the sampler rejects only draws below 5.',
    'The plain score-function ELBO is our addition (leave-one-out baseline, S = 5). At VRS’s learning rate 0.01 it ' +
      'is unstable (its gradient is ~100× larger when many draws fall below 5), so the plotted run uses lr 0.001; ' +
      'the lr 0.01 runs are in the table.',
    'VIMCO uses the geometric-mean control variate of Mnih & Rezende (the paper’s), k = 100, lr 0.005. In our runs ' +
      'it does move towards φ* — slowly and noisily — rather than failing outright; the paper reports it did not ' +
      'converge.',
    'The exact R-ELBO, ELBO and Z_R at the final φ are computed by enumeration of z < 400 in float64 (the tail ' +
      'beyond is negligible at these rates).',
  ];
  if (interrupted)
    comments.unshift('Interrupted: the runs below stopped early; the numbers cover the steps completed.');

  return {
    name: 'vrs-diagnostic',
    title: 'VRS diagnostic: truncated Poisson (VRS paper §5.1, figures 3–5)',
    summary,
    plots: [phiPlot, accPlot, boundPlot],
    tables: [resultTable],
    references: [exactRef, claims],
    comments,
    metrics,
    settings: {
      mode: context.mode,
      seed: context.seed,
      stepsPerRun: steps,
      starts: 'log 3, log 25',
      optimizer: 'SGD, momentum 0.5',
      vrsThreshold: T,
      vrsSamples: 5,
      vrsLr: 0.01,
      vimcoK: 100,
      vimcoLr: 0.005,
      vimcoControlVariate: 'geometric',
      sfElboSamples: 5,
      sfElboLr: 0.001,
      targetRate: TRUNCATED_POISSON.rate,
      truncationBelow: TRUNCATED_POISSON.cut,
      logEpsilon: TRUNCATED_POISSON.logEps,
    },
    interrupted,
    seconds: (performance.now() - t0) / 1000,
  };
}

export const vrsDiagnostic: Experiment = {
  name: 'vrs-diagnostic',
  title: 'VRS diagnostic: truncated Poisson',
  description:
    'q = Poisson(e^φ) fitted to a truncated Poisson: VRS (T = 50) reaches φ* = log 10, VIMCO (k = 100) and the ' +
    'score-function ELBO do not (VRS paper §5.1)',
  run,
};
