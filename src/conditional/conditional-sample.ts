/**
 * The one-call API: `conditionalSample(key, vae, params, x, mask, { method, ... })` runs one of the
 * four samplers for B data points with K chains each and returns the imputations of every
 * (recorded) iteration, their latents and diagnostics. The steps it drives are exported too
 * (pseudoGibbsStep, mwgStep, acMwgStep, lairStep) for users who want to run them themselves.
 *
 * Defaults follow the authors' released configurations (docs/estimator-math.md §7.6): K = 5 chains (LAIR: K = 4
 * particles and R = 1 prior component), AC-MWG ε = 0.05, multinomial resampling, LAIR's final
 * resampling of iterations·K latents, initial imputations from VAE samples.
 */
import { fail } from '../errors.js';
import { foldIn, split, type PRNGKey } from '../random/key.js';
import { concat } from '../tensor/ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import { checkInteger } from './check.js';
import { initialImputations } from './initial.js';
import { acMwgInit, acMwgStep } from './ac-mwg.js';
import { lairFinalResample, lairSettings, lairStep } from './lair.js';
import { mwgInit, mwgStep } from './mwg.js';
import { clipBounds, pseudoGibbsStep, type ClipOption } from './pseudo-gibbs.js';
import { imputationTask } from './task.js';
import type { ConditionalVae, ImputationTask, ResamplingMethod } from './types.js';

export type ConditionalMethod = 'pseudo-gibbs' | 'mwg' | 'ac-mwg' | 'lair';

export interface ConditionalSampleOptions {
  method: ConditionalMethod;
  /** Iterations after any warm-up. */
  iterations: number;
  /** K: chains (particles for LAIR) per data point. Default 5, LAIR 4. */
  chains?: number;
  /** Record every n-th iteration's imputations and latents (default 1: all). */
  thin?: number;
  /** MWG and AC-MWG: warm-up iterations of pseudo-Gibbs or LAIR before the chains start (default none). */
  warmup?: { method: 'pseudo-gibbs' | 'lair'; iterations: number };
  /** AC-MWG: probability ε of a prior proposal (default 0.05). */
  epsilon?: number;
  /** LAIR (and LAIR warm-up): R prior components (default 1). */
  priorComponents?: number;
  /** LAIR: I latents per component (default 1). */
  samplesPerComponent?: number;
  /** LAIR: 'multinomial' (default) or 'systematic'. */
  resampling?: ResamplingMethod;
  /** LAIR: latents resampled from all iterations' proposals at the end (default iterations·chains; 0: none). */
  finalSamples?: number;
  /** Pseudo-Gibbs (and pseudo-Gibbs warm-up): clipping of imputations (default false). */
  clip?: ClipOption;
}

export interface ConditionalDiagnostics {
  /** Iterations run after warm-up, and warm-up iterations. */
  iterations: number;
  warmupIterations: number;
  /** Latent vectors decoded in total (all data points, chains and iterations, warm-up included). */
  decoderEvaluations: number;
  /** MWG, AC-MWG: fraction of accepted proposals per chain [B, K]. */
  acceptanceRate?: Tensor;
  /** LAIR: ESS 1/Σ W² and perplexity exp(−Σ W log W) of each iteration's weights, [iterations, B]. */
  ess?: Tensor;
  perplexity?: Tensor;
}

export interface ConditionalSampleResult {
  /** Complete vectors (observed entries unchanged) of the recorded iterations, [S, B, K, D]. */
  imputations: Tensor;
  /** The latents they were drawn from, [S, B, K, ...latent]. */
  latents: Tensor;
  /** LAIR: the final resampling from all iterations' proposals: [B, M, D] and [B, M, ...latent]. */
  final?: { imputations: Tensor; latents: Tensor };
  diagnostics: ConditionalDiagnostics;
}

/** Collects snapshots of [B, K, ...] tensors into one [S, B, K, ...] tensor. */
class Recorder {
  private readonly parts: Float32Array[] = [];
  private shape: number[] = [];

  add(t: Tensor): void {
    this.parts.push(t.dataSync());
    this.shape = t.shape.slice();
  }

  tensor(): Tensor {
    const size = this.parts.length === 0 ? 0 : this.parts[0].length;
    const out = new Float32Array(size * this.parts.length);
    this.parts.forEach((p, i) => out.set(p, i * size));
    return Tensor.fromData(out, [this.parts.length, ...this.shape]);
  }
}

/** What the Metropolis samplers' states have in common. */
interface MetropolisState {
  imputations: Tensor;
  latents: Tensor;
}

const METHODS: readonly ConditionalMethod[] = ['pseudo-gibbs', 'mwg', 'ac-mwg', 'lair'];

/** Warm-up runs of pseudo-Gibbs or LAIR from VAE samples: the last imputations and the decoder evaluations spent. */
function warmStart(
  key: PRNGKey,
  task: ImputationTask,
  chains: number,
  o: ConditionalSampleOptions,
): { imputations: Tensor; decoderEvaluations: number; warmupIterations: number } {
  const [k0, kw] = split(key, 2);
  const init = initialImputations(k0, task, chains);
  let imputations = init.imputations;
  let spent = init.decoderEvaluations;
  const w = o.warmup;
  if (w === undefined) return { imputations, decoderEvaluations: spent, warmupIterations: 0 };
  const n = checkInteger('conditionalSample', 'warmup.iterations', w.iterations, 0);
  if (w.method !== 'pseudo-gibbs' && w.method !== 'lair') {
    fail('conditionalSample', `warmup.method must be 'pseudo-gibbs' or 'lair', got ${String(w.method)}`);
  }
  const clip = clipBounds(task, o.clip ?? false);
  const lair = lairSettings(o);
  let latents: Tensor | null = null;
  for (let t = 0; t < n; t++) {
    const kt = foldIn(kw, t);
    const r: { state: { imputations: Tensor; latents: Tensor | null }; decoderEvaluations: number } =
      w.method === 'lair'
        ? lairStep(kt, task, { imputations, latents }, lair)
        : pseudoGibbsStep(kt, task, { imputations, latents }, clip);
    ({ imputations, latents } = r.state);
    spent += r.decoderEvaluations;
  }
  return { imputations, decoderEvaluations: spent, warmupIterations: n };
}

/**
 * Samples of the missing entries of x [B, D] (mask [B, D]: 1 observed, 0 missing) from
 * p(x_m | x_o) under a trained VAE, by pseudo-Gibbs, MWG, AC-MWG or LAIR.
 */
export function conditionalSample<P>(
  key: PRNGKey,
  vae: ConditionalVae<P>,
  params: P,
  x: Tensor,
  mask: Tensor,
  options: ConditionalSampleOptions,
): ConditionalSampleResult {
  const op = 'conditionalSample';
  const o = options;
  if (o === null || typeof o !== 'object' || !METHODS.includes(o.method)) {
    fail(op, `options.method must be one of ${METHODS.join(', ')}, got ${String(o?.method)}`);
  }
  const task = imputationTask(vae, params, x, mask);
  const T = checkInteger(op, 'iterations', o.iterations, 1);
  const K = checkInteger(op, 'chains', o.chains ?? (o.method === 'lair' ? 4 : 5), 1);
  const thin = checkInteger(op, 'thin', o.thin ?? 1, 1);
  if (thin > T) fail(op, `thin = ${thin} would record none of the ${T} iterations`);
  if (o.warmup !== undefined && (o.method === 'lair' || o.method === 'pseudo-gibbs')) {
    fail(op, `warmup applies to 'mwg' and 'ac-mwg', not to '${o.method}'`);
  }
  const [kStart, kInit, kRun, kFinal] = split(key, 4);
  const start = warmStart(kStart, task, K, o);
  let spent = start.decoderEvaluations;
  const imputations = new Recorder();
  const latents = new Recorder();
  const record = (t: number, imps: Tensor, z: Tensor): void => {
    if ((t + 1) % thin !== 0) return;
    imputations.add(imps);
    latents.add(z);
  };
  const diagnostics: ConditionalDiagnostics = {
    iterations: T,
    warmupIterations: start.warmupIterations,
    decoderEvaluations: 0,
  };
  const B = task.batch;
  let final: ConditionalSampleResult['final'];

  if (o.method === 'mwg' || o.method === 'ac-mwg') {
    const accepts = new Float64Array(B * K);
    const chain = <S extends MetropolisState>(
      init: { state: S; decoderEvaluations: number },
      step: (k: PRNGKey, s: S) => { state: S; accepted: Uint8Array; decoderEvaluations: number },
    ): void => {
      let state = init.state;
      spent += init.decoderEvaluations;
      for (let t = 0; t < T; t++) {
        const r = step(foldIn(kRun, t), state);
        state = r.state;
        spent += r.decoderEvaluations;
        r.accepted.forEach((a, i) => (accepts[i] += a));
        record(t, state.imputations, state.latents);
      }
    };
    if (o.method === 'mwg') chain(mwgInit(kInit, task, start.imputations), (k, s) => mwgStep(k, task, s));
    else chain(acMwgInit(kInit, task, start.imputations), (k, s) => acMwgStep(k, task, s, { epsilon: o.epsilon }));
    diagnostics.acceptanceRate = Tensor.fromData(
      Float32Array.from(accepts, (a) => a / T),
      [B, K],
    );
  } else if (o.method === 'pseudo-gibbs') {
    const clip = clipBounds(task, o.clip ?? false);
    let state = { imputations: start.imputations, latents: null as Tensor | null };
    for (let t = 0; t < T; t++) {
      const r = pseudoGibbsStep(foldIn(kRun, t), task, state, clip);
      state = r.state;
      spent += r.decoderEvaluations;
      record(t, state.imputations, state.latents as Tensor);
    }
  } else {
    const settings = lairSettings(o);
    let state = { imputations: start.imputations, latents: null as Tensor | null };
    const ess = new Float32Array(T * B);
    const ppl = new Float32Array(T * B);
    const pool: Tensor[] = [];
    const poolWeights: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const r = lairStep(foldIn(kRun, t), task, state, settings);
      state = r.state;
      spent += r.decoderEvaluations;
      ess.set(r.ess, t * B);
      ppl.set(r.perplexity, t * B);
      pool.push(r.proposals);
      poolWeights.push(r.logWeights);
      record(t, state.imputations, state.latents as Tensor);
    }
    diagnostics.ess = Tensor.fromData(ess, [T, B]);
    diagnostics.perplexity = Tensor.fromData(ppl, [T, B]);
    const M = checkInteger(op, 'finalSamples', o.finalSamples ?? T * K, 0);
    if (M > 0) {
      const f = lairFinalResample(kFinal, task, concat(pool, 1), interleave(poolWeights, B), M, settings.resampling);
      spent += f.decoderEvaluations;
      final = { imputations: f.imputations, latents: f.latents };
    }
  }
  diagnostics.decoderEvaluations = spent;
  return { imputations: imputations.tensor(), latents: latents.tensor(), ...(final ? { final } : {}), diagnostics };
}

/** Per-iteration log-weights [B·J] each → pooled [B · (T·J)], data point by data point (as concat on axis 1). */
function interleave(parts: Float64Array[], B: number): Float64Array {
  const J = parts[0].length / B;
  const out = new Float64Array(parts.length * J * B);
  for (let b = 0; b < B; b++) {
    parts.forEach((p, t) => out.set(p.subarray(b * J, (b + 1) * J), (b * parts.length + t) * J));
  }
  return out;
}
