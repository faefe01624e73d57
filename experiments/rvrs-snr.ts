/**
 * Experiment: gradient signal-to-noise ratio of RVRS against VRS, pathwise IWAE and DReG, over the latent
 * dimension D and the threshold T (issue 13; RVRS's central claim, Jankowiak & Phan 2023: reparameterizing
 * the rejection sampler gives lower-variance gradients than the score-function VRS of Grover et al. 2018).
 *
 * Setting (experiments/rvrs-snr-exact.ts): z ~ N(0, I_D), x | z ~ N(z, I_D), x = 1 (every coordinate), with
 * the mismatched mean-field guide q = N(0.7·1, (2/3)² I) (the posterior is N(½·1, ½ I)), held FIXED: every
 * replicate estimates the gradient at the same φ = { m, log s } (one m_d and one log s_d per coordinate).
 * The exact R-ELBO gradient is known at every T by a 2-D quadrature, and every coordinate has the same one.
 *
 * Thresholds: for each D, T is set so that the exact acceptance rate Z_R(T) hits a target (1 = T = +∞, no
 * rejection: RVRS is then the sticking-the-landing ELBO estimator and VRS the score-function ELBO with a
 * leave-one-out baseline). RVRS and VRS keep S accepted samples per estimate, so they consume S / Z_R
 * proposals on average; pathwise IWAE and DReG get K = round(S / Z_R) samples: equal proposals. (They
 * estimate the gradient of the IWAE bound L_K, a different objective, so their means differ from the
 * R-ELBO's; IWAE and DReG must agree with each other, RVRS and VRS with the exact R-ELBO gradient.)
 *
 * SNR = |mean| / sd over M independent replicates of ∂/∂m_1 (the first coordinate's mean; by symmetry all
 * coordinates are alike, and the table also gives the median over the D coordinates and ∂/∂log s_1).
 * Replicates are a batch axis, as in experiments/snr-scaling.ts: φ holds one copy per replicate, and one
 * backward pass gives every replicate's gradient. Seeds (standard and full mode) are independent sets of
 * M replicates at the same φ; plots give the across-seed mean and its 95% interval, tables also the
 * pooled SNR with its delta-method standard error (experiments/rvrs-snr-moments.ts).
 */
import { valueAndGrad } from '../src/autodiff/transforms.js';
import { Normal } from '../src/dist/index.js';
import { foldIn, key as makeKey, type PRNGKey } from '../src/random/key.js';
import { full } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { iwae, iwaeDreg } from '../src/vi/iwae.js';
import { rvrs } from '../src/vi/rvrs.js';
import { vrs } from '../src/vi/vrs.js';
import type { Estimator, Problem, RejectionDiagnostics } from '../src/vi/types.js';
import { exactSweepPoint, thresholdForAcceptance, type ExactSweepPoint } from './rvrs-snr-exact.js';
import {
  addMoment,
  emptyMoments,
  mergeMoments,
  snrOfMoments,
  type MomentSums,
  type SnrEstimate,
} from './rvrs-snr-moments.js';
import { acrossSeeds, acrossSeedsNote, pairedAcrossSeeds, seedsFor } from './seeds.js';
import type { Experiment, ExperimentResult, Plot, RunContext, RunMode, Series, Table } from './types.js';

/** The guide every replicate uses: each coordinate N(0.7, (2/3)²), as in docs/estimator-math.md §9.1's tables. */
const GUIDE_MEAN = 0.7;
const GUIDE_SD = 2 / 3;
/** Accepted samples per RVRS/VRS estimate (the RVRS authors' AutoRVRS default). */
const ACCEPTED = 4;
/** Exact values of docs/estimator-math.md §9.1 (our float64 quadrature) that the 2-D quadrature must reproduce. */
const DOCS_91 = {
  /** q = N(0.7, (2/3)²), T = 2. */
  rElboT2: -1.535382,
  zT2: 0.606241,
  /** q = N(1.0, 0.5²), T = 0: RVRS gradient references (ε = 0). */
  gradMAt1: -0.331457,
  gradLogSAt1: 0.392883,
};

interface Plan {
  dims: number[];
  /** Target acceptance rates in (0, 1); T = +∞ (acceptance 1) is always run too. */
  acceptance: number[];
  /** Replicates per seed and point. */
  replicates: number;
}

export const RVRS_SNR_PLANS: Record<RunMode, Plan> = {
  tiny: { dims: [1, 10], acceptance: [0.3], replicates: 200 },
  quick: { dims: [1, 10, 50], acceptance: [0.5, 0.1], replicates: 500 },
  standard: { dims: [1, 5, 20, 50], acceptance: [0.8, 0.5, 0.3, 0.1, 0.05], replicates: 2500 },
  full: { dims: [1, 5, 20, 50, 100], acceptance: [0.9, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05], replicates: 4000 },
};

/** Elements (samples × dimension × replicates) per estimator call: bounds memory and gives stop points. */
const CHUNK_ELEMENTS = 400_000;

type Phi = { m: Tensor; logS: Tensor };

const problem: Problem<undefined, Phi, undefined> = {
  logJoint: (_theta, z) => new Normal(0, 1).logProb(z).sum(-1).add(new Normal(z, 1).logProb(1).sum(-1)),
  guide: (phi) => new Normal(phi.m, phi.logS.exp()).toEvent(1),
};

interface EstimatorSpec {
  id: 'rvrs' | 'vrs' | 'iwae' | 'dreg';
  label: string;
  rejection: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: rows hold estimators with different options types.
  estimator: Estimator<any>;
}

const ESTIMATORS: EstimatorSpec[] = [
  { id: 'rvrs', label: 'RVRS', rejection: true, estimator: rvrs },
  { id: 'vrs', label: 'VRS (score function)', rejection: true, estimator: vrs },
  { id: 'iwae', label: 'pathwise IWAE', rejection: false, estimator: iwae },
  { id: 'dreg', label: 'DReG', rejection: false, estimator: iwaeDreg },
];

/** One (D, T) point of the sweep, with its exact values. */
interface Point {
  dim: number;
  /** Target acceptance rate (1 for T = +∞). */
  target: number;
  threshold: number;
  /** IWAE/DReG samples: round(S / Z_R). */
  samplesK: number;
  exact: ExactSweepPoint;
}

/** What one estimator gave at one point for one seed. */
interface Measured {
  gradM: MomentSums;
  gradLogS: MomentSums;
  /** Per coordinate Σ g and Σ g² of ∂/∂m_d (for the median SNR over coordinates). */
  sumM: Float64Array;
  sumM2: Float64Array;
  /** Rejection estimators: proposals counted, their per-replicate sum of squares, exhausted replicates. */
  proposals: number;
  proposals2: number;
  exhausted: number;
}

function emptyMeasured(D: number): Measured {
  return {
    gradM: emptyMoments(),
    gradLogS: emptyMoments(),
    sumM: new Float64Array(D),
    sumM2: new Float64Array(D),
    proposals: 0,
    proposals2: 0,
    exhausted: 0,
  };
}

function estimatorOptions(spec: EstimatorSpec, p: Point) {
  if (!spec.rejection) return { problem, samples: p.samplesK };
  // A cap 50× the expected proposals (and at least 1,000): exhausting it has probability far below 1e-9.
  const cap = Math.max(1000, Math.ceil((50 * ACCEPTED) / p.exact.Z));
  return { problem, samples: ACCEPTED, threshold: p.threshold, maxProposals: cap };
}

/** `count` replicate gradients at φ = (m, log s) from one estimator call, accumulated into `into`. */
function measureChunk(spec: EstimatorSpec, p: Point, count: number, k: PRNGKey, into: Measured): void {
  const D = p.dim;
  let diagnostics: RejectionDiagnostics | undefined;
  const [, g] = valueAndGrad((phi: Phi) => {
    const out = spec.estimator(k, undefined, phi, undefined, estimatorOptions(spec, p));
    if (spec.rejection) diagnostics = out.diagnostics as RejectionDiagnostics;
    return out.loss;
  })({ m: full([count, D], GUIDE_MEAN), logS: full([count, D], Math.log(GUIDE_SD)) });
  // loss = −Σ_replicates surrogate: each replicate's gradient of the objective is minus its loss gradient.
  const gm = (g as Phi).m.dataSync();
  const gs = (g as Phi).logS.dataSync();
  for (let r = 0; r < count; r++) {
    addMoment(into.gradM, -gm[r * D]);
    addMoment(into.gradLogS, -gs[r * D]);
    for (let d = 0; d < D; d++) {
      const v = -gm[r * D + d];
      into.sumM[d] += v;
      into.sumM2[d] += v * v;
    }
  }
  if (diagnostics !== undefined) {
    const per = diagnostics.proposalsPerPoint?.dataSync() ?? new Float32Array(0);
    for (const n of per) {
      into.proposals += n;
      into.proposals2 += n * n;
    }
    into.exhausted += diagnostics.exhausted;
  }
}

function medianSnrOverCoordinates(m: Measured): number {
  const M = m.gradM.count;
  const snrs = Array.from(m.sumM, (s, d) => {
    const mean = s / M;
    const v = Math.max(0, (m.sumM2[d] - M * mean * mean) / (M - 1));
    return Math.abs(mean) / Math.sqrt(v);
  }).sort((a, b) => a - b);
  const h = snrs.length >> 1;
  return snrs.length % 2 === 1 ? snrs[h] : 0.5 * (snrs[h - 1] + snrs[h]);
}

const fmt = (v: number, digits = 3): string =>
  Number.isFinite(v) ? v.toPrecision(digits).replace('-', '−') : v === Infinity ? '+∞' : String(v);
const fmtT = (T: number): string => (T === Infinity ? '+∞' : T.toFixed(2).replace('-', '−'));
const fmtZ = (z: number): string => (z === 1 ? '1 (T = +∞)' : String(z));

function makePoints(plan: Plan): Point[] {
  const out: Point[] = [];
  for (const dim of plan.dims) {
    const guide = { dim, m: GUIDE_MEAN, s: GUIDE_SD };
    for (const target of [1, ...plan.acceptance]) {
      const threshold = target === 1 ? Infinity : thresholdForAcceptance(guide, target);
      const exact = exactSweepPoint(guide, threshold);
      out.push({ dim, target, threshold, exact, samplesK: Math.max(2, Math.round(ACCEPTED / exact.Z)) });
    }
  }
  return out;
}

/** Across-seed (or, for one seed, delta-method) summary of an SNR: value and 95% half-width. */
interface SnrSummary {
  perSeed: number[];
  pooled: SnrEstimate;
  value: number;
  halfWidth: number;
}

function summarize(perSeed: Measured[], pick: (m: Measured) => MomentSums): SnrSummary {
  const seedSnr = perSeed.map((m) => snrOfMoments(pick(m)).snr);
  const pooled = snrOfMoments(perSeed.map(pick).reduce(mergeMoments, emptyMoments()));
  if (seedSnr.length > 1 && seedSnr.every(Number.isFinite)) {
    const a = acrossSeeds(seedSnr);
    return { perSeed: seedSnr, pooled, value: a.mean, halfWidth: a.halfWidth };
  }
  return { perSeed: seedSnr, pooled, value: pooled.snr, halfWidth: 1.96 * pooled.snrSe };
}

async function run(context: RunContext): Promise<ExperimentResult> {
  const t0 = performance.now();
  const plan = RVRS_SNR_PLANS[context.mode];
  const seeds = seedsFor(context.seed, context.mode);
  const points = makePoints(plan);
  const M = plan.replicates;
  const total = seeds.length * points.length * ESTIMATORS.length * M;
  const progress = context.progress('RVRS/VRS/IWAE/DReG gradient SNR over D and T', total);
  let done = 0;
  let interrupted = false;
  // measured[pointIndex][estimatorId] = one Measured per completed seed.
  const measured: Record<string, Measured[]>[] = points.map(() => ({ rvrs: [], vrs: [], iwae: [], dreg: [] }));
  outer: for (const [si, seed] of seeds.entries()) {
    for (const [pi, p] of points.entries()) {
      const perEstimator: Measured[] = [];
      for (const [ei, spec] of ESTIMATORS.entries()) {
        const width = (spec.rejection ? ACCEPTED / p.exact.Z : p.samplesK) * p.dim;
        const chunk = Math.max(1, Math.min(M, Math.floor(CHUNK_ELEMENTS / width)));
        const base = foldIn(foldIn(foldIn(makeKey(seed), 0x5e5), pi), ei);
        const acc = emptyMeasured(p.dim);
        for (let c = 0, got = 0; got < M; c++) {
          if (context.shouldStop()) {
            interrupted = true;
            break outer;
          }
          const count = Math.min(chunk, M - got);
          measureChunk(spec, p, count, foldIn(base, c), acc);
          got += count;
          done += count;
          progress.update(done, { D: p.dim, Z: p.target, seed: si + 1 });
        }
        perEstimator.push(acc);
      }
      // Only whole points (every estimator) enter the report, so comparisons stay paired.
      for (const [ei, spec] of ESTIMATORS.entries()) measured[pi][spec.id].push(perEstimator[ei]);
    }
  }
  progress.finish();
  return report(context, plan, seeds, points, measured, interrupted, (performance.now() - t0) / 1000);
}

function report(
  context: RunContext,
  plan: Plan,
  seeds: number[],
  points: Point[],
  measured: Record<string, Measured[]>[],
  interrupted: boolean,
  seconds: number,
): ExperimentResult {
  const seedsDone = Math.min(...measured.map((m) => m.rvrs.length));
  const complete = points.map((_p, i) => measured[i].rvrs.length > 0);
  const nSeeds = Math.max(...measured.map((m) => m.rvrs.length));
  const snrM = (pi: number, id: string) => summarize(measured[pi][id], (m) => m.gradM);
  const snrS = (pi: number, id: string) => summarize(measured[pi][id], (m) => m.gradLogS);
  const metrics: Record<string, number> = {};
  const plots: Plot[] = [];
  const tables: Table[] = [];
  const bandNote =
    nSeeds > 1
      ? `bands: 95% interval of the mean over ${nSeeds} seeds (Student's t)`
      : 'bands: ±1.96 delta-method standard errors (one seed)';

  // Per point: SNRs, mean checks, acceptance, separation of RVRS from VRS.
  interface Row {
    pi: number;
    p: Point;
    snr: Record<string, SnrSummary>;
    snrLogS: Record<string, SnrSummary>;
    separated: boolean;
    acceptance: { z: number; se: number; perEstimate: number };
    exhausted: number;
  }
  const rows: Row[] = [];
  for (const [pi, p] of points.entries()) {
    if (!complete[pi]) continue;
    const snr: Record<string, SnrSummary> = {};
    const snrLogS: Record<string, SnrSummary> = {};
    for (const e of ESTIMATORS) {
      snr[e.id] = snrM(pi, e.id);
      snrLogS[e.id] = snrS(pi, e.id);
    }
    const a = snr.rvrs;
    const b = snr.vrs;
    const separated =
      a.perSeed.length > 1
        ? pairedAcrossSeeds(a.perSeed, b.perSeed).separated
        : Math.abs(a.pooled.snr - b.pooled.snr) > 2 * Math.hypot(a.pooled.snrSe, b.pooled.snrSe);
    // Acceptance over both rejection estimators: S·M accepted per M replicates; per-replicate proposals n_b.
    let n = 0;
    let n2 = 0;
    let reps = 0;
    let exhausted = 0;
    for (const id of ['rvrs', 'vrs']) {
      for (const m of measured[pi][id]) {
        n += m.proposals;
        n2 += m.proposals2;
        reps += m.gradM.count;
        exhausted += m.exhausted;
      }
    }
    const meanN = n / reps;
    const sdN = Math.sqrt(Math.max(0, (n2 - reps * meanN * meanN) / (reps - 1)));
    const z = p.threshold === Infinity ? 1 : ACCEPTED / meanN;
    const se = p.threshold === Infinity ? 0 : (z * sdN) / (meanN * Math.sqrt(reps));
    rows.push({ pi, p, snr, snrLogS, separated, acceptance: { z, se, perEstimate: meanN }, exhausted });
    const key = `D${p.dim}_Z${p.target}`;
    for (const e of ESTIMATORS) metrics[`${e.id}Snr_${key}`] = snr[e.id].value;
    metrics[`acceptance_${key}`] = z;
    metrics[`acceptanceSe_${key}`] = se;
    metrics[`exactZ_${key}`] = p.exact.Z;
  }

  // Mean checks: RVRS and VRS against the exact R-ELBO gradient; IWAE against DReG (same L_K).
  let maxZRvrs = 0;
  let maxZVrs = 0;
  let maxZPair = 0;
  let maxVrsSkew = 0;
  const meanRows = rows.map((r) => {
    const pooled = (id: string) => r.snr[id].pooled;
    const zr = (pooled('rvrs').mean - r.p.exact.gradM) / pooled('rvrs').meanSe;
    const zv = (pooled('vrs').mean - r.p.exact.gradM) / pooled('vrs').meanSe;
    const zid = (pooled('iwae').mean - pooled('dreg').mean) / Math.hypot(pooled('iwae').meanSe, pooled('dreg').meanSe);
    maxZRvrs = Math.max(maxZRvrs, Math.abs(zr));
    maxZVrs = Math.max(maxZVrs, Math.abs(zv));
    maxZPair = Math.max(maxZPair, Math.abs(zid));
    maxVrsSkew = Math.max(maxVrsSkew, Math.abs(pooled('vrs').skewness));
    return [
      r.p.dim,
      fmtZ(r.p.target),
      fmt(r.p.exact.gradM, 4),
      `${fmt(pooled('rvrs').mean, 4)} ± ${fmt(pooled('rvrs').meanSe, 2)}`,
      fmt(zr, 2),
      `${fmt(pooled('vrs').mean, 4)} ± ${fmt(pooled('vrs').meanSe, 2)}`,
      fmt(zv, 2),
      `${fmt(pooled('iwae').mean, 4)} ± ${fmt(pooled('iwae').meanSe, 2)}`,
      `${fmt(pooled('dreg').mean, 4)} ± ${fmt(pooled('dreg').meanSe, 2)}`,
      fmt(zid, 2),
      `${fmt(pooled('rvrs').skewness, 2)}, ${fmt(pooled('rvrs').kurtosis, 3)}`,
      `${fmt(pooled('vrs').skewness, 2)}, ${fmt(pooled('vrs').kurtosis, 3)}`,
    ];
  });
  if (rows.length > 0) {
    metrics.maxAbsZRvrsVsExact = maxZRvrs;
    metrics.maxAbsZVrsVsExact = maxZVrs;
    metrics.maxAbsZIwaeVsDreg = maxZPair;
  }

  // Plots: per D, SNR against T and acceptance against T (finite thresholds), then SNR against D.
  for (const D of plan.dims) {
    const here = rows.filter((r) => r.p.dim === D && r.p.threshold !== Infinity);
    if (here.length === 0) continue;
    const x = here.map((r) => r.p.threshold);
    const series: Series[] = ESTIMATORS.map((e) => ({
      name: e.rejection ? `${e.label} (S = ${ACCEPTED})` : `${e.label} (K = S / Z_R)`,
      x,
      y: here.map((r) => r.snr[e.id].value),
      band: here.map((r) => r.snr[e.id].halfWidth),
    }));
    plots.push({
      id: `snr-D${D}`,
      title: `Gradient SNR of ∂/∂m₁ against the threshold T — D = ${D}`,
      xLabel: 'threshold T (lower: more rejection)',
      yLabel: 'SNR = |mean| / sd',
      yLog: true,
      series,
      caption:
        `SNR of the first mean coordinate's gradient at the fixed guide, ${plan.replicates.toLocaleString('en-US')} ` +
        `replicates per seed and point; ${bandNote}. T values are set so that the exact acceptance rate is ` +
        `${plan.acceptance.join(', ')} (plot below); IWAE and DReG draw K = round(${ACCEPTED} / Z_R) samples, ` +
        'the proposals RVRS and VRS consume on average. T = +∞ is in the table.',
    });
    plots.push({
      id: `acceptance-D${D}`,
      title: `Acceptance rate against the threshold T — D = ${D}`,
      xLabel: 'threshold T',
      yLabel: 'acceptance rate Z_R',
      series: [
        {
          name: 'measured (accepted / proposals, RVRS and VRS)',
          x,
          y: here.map((r) => r.acceptance.z),
          band: here.map((r) => 1.96 * r.acceptance.se),
        },
        { name: 'exact Z_R (quadrature)', reference: true, x, y: here.map((r) => r.p.exact.Z) },
      ],
      caption:
        'The same thresholds as the SNR plot above: the fraction of proposals the rejection sampler accepted ' +
        '(S over the mean proposals per estimate; band ±1.96 SE) beside the exact Z_R = E_q[σ(lw + T)].',
    });
  }
  const lowest = Math.min(...plan.acceptance);
  const atLowest = rows.filter((r) => r.p.target === lowest);
  if (atLowest.length > 0) {
    plots.push({
      id: 'snr-vs-dim',
      title: `Gradient SNR of ∂/∂m₁ against the dimension D at acceptance rate ${lowest}`,
      xLabel: 'latent dimension D',
      yLabel: 'SNR = |mean| / sd',
      xLog: true,
      yLog: true,
      series: ESTIMATORS.map((e) => ({
        name: e.label,
        x: atLowest.map((r) => r.p.dim),
        y: atLowest.map((r) => r.snr[e.id].value),
        band: atLowest.map((r) => r.snr[e.id].halfWidth),
      })),
      caption:
        `Each D at its own T with exact Z_R = ${lowest} (K = ${Math.max(2, Math.round(ACCEPTED / lowest))} for ` +
        `IWAE and DReG); ${bandNote}.`,
    });
  }

  const pm = (s: SnrSummary): string =>
    Number.isFinite(s.halfWidth) ? `${fmt(s.value, 3)} ± ${fmt(s.halfWidth, 2)}` : fmt(s.value, 3);
  tables.push({
    title: `Gradient SNR of ∂/∂m₁ (${nSeeds > 1 ? `mean ± 95% interval over ${nSeeds} seeds` : '± 1.96 SE'})`,
    columns: [
      'D',
      'target Z_R',
      'T',
      'K (IWAE, DReG)',
      'RVRS',
      'VRS',
      'pathwise IWAE',
      'DReG',
      'RVRS / VRS',
      nSeeds > 1 ? 'RVRS vs VRS separated (paired over seeds)' : 'RVRS vs VRS separated (> 2 SE)',
    ],
    rows: rows.map((r) => [
      r.p.dim,
      fmtZ(r.p.target),
      fmtT(r.p.threshold),
      r.p.samplesK,
      pm(r.snr.rvrs),
      pm(r.snr.vrs),
      pm(r.snr.iwae),
      pm(r.snr.dreg),
      fmt(r.snr.rvrs.value / r.snr.vrs.value, 3),
      r.separated ? 'yes' : 'no',
    ]),
  });
  tables.push({
    title: 'Other components: SNR of ∂/∂log s₁ and the median SNR of ∂/∂m_d over the D coordinates (pooled seeds)',
    columns: [
      'D',
      'target Z_R',
      'RVRS log s₁',
      'VRS log s₁',
      'IWAE log s₁',
      'DReG log s₁',
      'RVRS median m_d',
      'VRS median m_d',
      'IWAE median m_d',
      'DReG median m_d',
    ],
    rows: rows.map((r) => [
      r.p.dim,
      fmtZ(r.p.target),
      ...ESTIMATORS.map((e) => `${fmt(r.snrLogS[e.id].pooled.snr, 3)} ± ${fmt(r.snrLogS[e.id].pooled.snrSe, 2)}`),
      ...ESTIMATORS.map((e) =>
        fmt(
          measured[r.pi][e.id].length === 0
            ? NaN
            : medianSnrOverCoordinates(
                measured[r.pi][e.id].reduce((acc, m) => {
                  acc.gradM.count += m.gradM.count;
                  for (let d = 0; d < r.p.dim; d++) {
                    acc.sumM[d] += m.sumM[d];
                    acc.sumM2[d] += m.sumM2[d];
                  }
                  return acc;
                }, emptyMeasured(r.p.dim)),
              ),
          3,
        ),
      ),
    ]),
  });
  tables.push({
    title:
      'Mean gradient ∂/∂m₁ (pooled seeds, ± SE): RVRS and VRS against the exact R-ELBO gradient; ' +
      'IWAE against DReG (both estimate ∇L_K)',
    columns: [
      'D',
      'target Z_R',
      'exact ∂R-ELBO/∂m₁',
      'RVRS',
      'z (RVRS − exact)',
      'VRS',
      'z (VRS − exact)',
      'pathwise IWAE',
      'DReG',
      'z (IWAE − DReG)',
      'RVRS skewness, kurtosis',
      'VRS skewness, kurtosis',
    ],
    rows: meanRows,
  });
  tables.push({
    title: 'Thresholds, acceptance and cost per gradient estimate',
    columns: [
      'D',
      'target Z_R',
      'T',
      'exact Z_R',
      'measured Z_R (± SE)',
      'proposals per RVRS/VRS estimate',
      'K (IWAE, DReG)',
      'exact R-ELBO',
      'ELBO',
      'log p(x)',
      'exhausted replicates',
    ],
    rows: rows.map((r) => [
      r.p.dim,
      fmtZ(r.p.target),
      fmtT(r.p.threshold),
      fmt(r.p.exact.Z, 4),
      r.p.threshold === Infinity ? '1' : `${fmt(r.acceptance.z, 4)} ± ${fmt(r.acceptance.se, 2)}`,
      fmt(r.acceptance.perEstimate, 4),
      r.p.samplesK,
      fmt(r.p.exact.rElbo, 6),
      fmt(r.p.exact.elbo, 6),
      fmt(r.p.exact.logEvidence, 6),
      r.exhausted,
    ]),
  });

  // The quadrature against docs/estimator-math.md §9.1 (1-D values).
  const check1 = exactSweepPoint({ dim: 1, m: GUIDE_MEAN, s: GUIDE_SD }, 2);
  const check2 = exactSweepPoint({ dim: 1, m: 1, s: 0.5 }, 0);
  const references: Table[] = [
    {
      source: 'our reference computation',
      title: 'The 2-D quadrature of this experiment at D = 1 beside docs/estimator-math.md §9.1 (float64 quadrature)',
      columns: ['quantity', 'docs/estimator-math.md §9.1', 'this experiment'],
      rows: [
        ['R-ELBO, q = N(0.7, (2/3)²), T = 2', fmt(DOCS_91.rElboT2, 7), fmt(check1.rElbo, 7)],
        ['Z_R, q = N(0.7, (2/3)²), T = 2', fmt(DOCS_91.zT2, 6), fmt(check1.Z, 6)],
        ['∂R-ELBO/∂m, q = N(1, 0.5²), T = 0', fmt(DOCS_91.gradMAt1, 6), fmt(check2.gradM, 6)],
        ['∂R-ELBO/∂log s, q = N(1, 0.5²), T = 0', fmt(DOCS_91.gradLogSAt1, 6), fmt(check2.gradLogS, 6)],
      ],
    },
  ];

  // Summary, from the run's numbers.
  const finite = rows.filter((r) => r.p.threshold !== Infinity);
  const rvrsAbove = finite.filter((r) => r.snr.rvrs.value > r.snr.vrs.value);
  const rvrsAboveSep = rvrsAbove.filter((r) => r.separated);
  const notSeparated = finite.filter((r) => !r.separated);
  const big = atLowest.length > 0 ? atLowest[atLowest.length - 1] : undefined;
  const ratios = finite.map((r) => r.snr.rvrs.value / r.snr.vrs.value);
  if (ratios.length > 0) {
    metrics.minRvrsOverVrs = Math.min(...ratios);
    metrics.maxRvrsOverVrs = Math.max(...ratios);
  }
  metrics.seeds = seedsDone;
  const summaryParts: string[] = [];
  if (finite.length === 0) summaryParts.push('No finite-threshold point completed.');
  else {
    summaryParts.push(
      `RVRS's gradient SNR exceeds VRS's at ${rvrsAbove.length} of ${finite.length} (D, T) points with rejection ` +
        `(${rvrsAboveSep.length} of them separated ${nSeeds > 1 ? 'over seeds' : 'by more than 2 SE'}); ` +
        `the ratio RVRS / VRS ranges from ${fmt(Math.min(...ratios), 2)} to ${fmt(Math.max(...ratios), 2)}.`,
    );
    if (big !== undefined) {
      summaryParts.push(
        `At D = ${big.p.dim} and acceptance ${big.p.target} (K = ${big.p.samplesK} proposals): SNR RVRS ` +
          `${pm(big.snr.rvrs)}, VRS ${pm(big.snr.vrs)}, pathwise IWAE ${pm(big.snr.iwae)}, DReG ${pm(big.snr.dreg)}.`,
      );
    }
    const dregAbove = finite.filter((r) => r.snr.dreg.value > r.snr.rvrs.value);
    const iwaeLowest = finite.filter((r) => ESTIMATORS.every((e) => r.snr.iwae.value <= r.snr[e.id].value));
    summaryParts.push(
      `DReG at equal proposals (an estimator of ∇L_K, a different objective) has the higher SNR at ` +
        `${dregAbove.length} of these ${finite.length} points` +
        (dregAbove.length > 0 ? ` (D ∈ {${[...new Set(dregAbove.map((r) => r.p.dim))].join(', ')}})` : '') +
        `; pathwise IWAE has the lowest SNR of the four at ${iwaeLowest.length} of them.`,
    );
    if (notSeparated.length > 0) {
      summaryParts.push(
        `${nSeeds > 1 ? 'These seeds' : 'This single seed'} cannot separate RVRS from VRS at ` +
          notSeparated.map((r) => `D = ${r.p.dim}, Z_R = ${r.p.target}`).join('; ') +
          '.',
      );
    }
    summaryParts.push(
      `Mean gradients against the exact R-ELBO gradient: largest |z| ${fmt(maxZRvrs, 2)} for RVRS and ` +
        `${fmt(maxZVrs, 2)} for VRS (whose replicates are skewed, |skewness| up to ${fmt(maxVrsSkew, 2)}, so the ` +
        `normal z-scale fits it less well); pathwise IWAE against DReG: largest |z| ${fmt(maxZPair, 2)}.`,
    );
  }

  const comments = [
    'Setting: z ~ N(0, I_D), x | z ~ N(z, I_D), x = 1 in every coordinate (the D-dimensional version of ' +
      'docs/estimator-math.md §9.1), guide q = N(0.7, (2/3)²) in every coordinate, held fixed; φ = (m_d, log s_d). ' +
      'The exact R-ELBO, Z_R and gradients come from a 2-D quadrature (the log weight depends on the noise only ' +
      'through its sum and its norm); the reference table checks it against the 1-D values of the docs.',
    `RVRS and VRS keep S = ${ACCEPTED} accepted samples (acceptance floor ε = 0); pathwise IWAE and DReG use ` +
      `K = round(${ACCEPTED} / Z_R) samples, the proposals the rejection estimators consume on average ` +
      '(the "proposals per estimate" column confirms it). IWAE and DReG estimate ∇L_K, not the R-ELBO gradient: ' +
      'their SNR is for a different objective, whose gradient is smaller the tighter the bound.',
    'RVRS and VRS estimate the same gradient (the exact R-ELBO gradient, checked in the mean table), so the ratio ' +
      'of their SNRs is, up to the noise in the means, the inverse ratio of their standard deviations: the ' +
      'variance claim itself.',
    'At T = +∞ (no rejection) RVRS is the sticking-the-landing ELBO gradient and VRS the score-function ELBO ' +
      'gradient with a leave-one-out baseline; IWAE and DReG then use K = S.',
    'SNR is for ∂/∂m₁; every coordinate has the same exact gradient, and the second table gives the median over ' +
      'the D coordinates and ∂/∂log s₁. The SNR estimate |mean| / sd is biased upward by about 1/√M when the ' +
      'true SNR is near 0 (pathwise IWAE at large K).',
    nSeeds > 1
      ? `Seeds are ${nSeeds} independent sets of ${plan.replicates.toLocaleString('en-US')} replicates at the same φ ` +
        `(${acrossSeedsNote(nSeeds)}); the pooled tables use all ` +
        `${(nSeeds * plan.replicates).toLocaleString('en-US')} replicates with delta-method standard errors.`
      : `One seed of ${plan.replicates.toLocaleString('en-US')} replicates (${acrossSeedsNote(1)}); ± are ` +
        'delta-method standard errors (skewness and kurtosis of the replicates included).',
    `Grid in '${context.mode}' mode: D ∈ {${plan.dims.join(', ')}}, target acceptance ∈ {1, ` +
      `${plan.acceptance.join(', ')}}.` +
      (context.mode === 'full' ? '' : ` Full mode: D ∈ {${RVRS_SNR_PLANS.full.dims.join(', ')}}, finer acceptance.`),
    'Cost in wall time is not equal at equal proposals: the rejection sampler runs its S chains in lockstep ' +
      'rounds until every replicate has S acceptances, so RVRS and VRS evaluate more proposals than they count.',
  ];
  if (interrupted) comments.unshift('Interrupted: only the points completed before Ctrl-C are shown.');

  return {
    name: 'rvrs-snr',
    title: 'Gradient SNR of RVRS against VRS, IWAE and DReG over dimension and threshold',
    summary: summaryParts.join(' '),
    plots,
    tables,
    references,
    comments,
    metrics,
    settings: {
      mode: context.mode,
      seed: context.seed,
      seeds: seeds.join(', '),
      dims: plan.dims.join(', '),
      targetAcceptance: [1, ...plan.acceptance].join(', '),
      replicatesPerSeed: plan.replicates,
      acceptedSamples: ACCEPTED,
      acceptanceFloor: 0,
      guide: 'N(0.7, (2/3)²) per coordinate',
      snrComponent: '∂/∂m₁',
    },
    interrupted,
    seconds,
  };
}

export const rvrsSnr: Experiment = {
  name: 'rvrs-snr',
  title: 'RVRS gradient SNR over D and T',
  description: 'Gradient SNR of RVRS vs VRS (and IWAE, DReG at equal proposals) over latent dimension and threshold',
  run,
};
