/**
 * LAIR, latent-adaptive importance resampling (docs/estimator-math.md §7.5). Each data point carries K particles
 * (complete vectors). One iteration:
 *   1. the mixture proposal q_t(z) = (1/(K+R)) [Σ_k q(z | x_o, x̃_m^(k)) + R·p(z)] built from the
 *      current particles plus R "replenishing" prior components;
 *   2. a stratified draw: exactly I latents from each of the K encoder components and I·R from the
 *      prior, J = (K+R)·I proposals;
 *   3. deterministic-mixture weights log ω_j = log p(x_o | z_j) + log p(z_j) − log q_t(z_j), with
 *      log q_t a log-sum-exp over ALL components (not only the one that drew z_j);
 *   4. K of the J proposals resampled with probabilities softmax(log ω) (multinomial or systematic);
 *   5. x̃_m ~ p(x_m | z) for each selected latent: the next particles.
 * Every (z_j, log ω_j) is a valid importance sample of p(z | x_o) (up to the same constant p(x_o)),
 * so the final output resamples from the pool of all iterations (`lairFinalResample`). The prior
 * components keep proposal mass where the particles have left, which prevents particle collapse.
 */
import { split, type PRNGKey } from '../random/key.js';
import { concat } from '../tensor/ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { decode, encode } from './task.js';
import { fillMissing, observedLogLikelihood, toFloat64 } from './likelihood.js';
import { effectiveSampleSize, normalizedWeights, perplexity, resampleIndices } from './resampling.js';
import { gatherDistribution, gatherRows } from './select.js';
import type { ImputationTask, ResamplingMethod } from './types.js';
import { checkInteger } from './check.js';

export interface LairOptions {
  /** R: prior components in the mixture (default 1; 0 disables replenishing). */
  priorComponents?: number;
  /** I: latents drawn from each component (default 1). */
  samplesPerComponent?: number;
  /** How K particles are drawn from the J proposals (default 'multinomial'). */
  resampling?: ResamplingMethod;
}

export interface LairState {
  /** The particles: complete vectors [B, K, D]. */
  imputations: Tensor;
  /** The latents they were drawn from [B, K, ...latent] (null before the first step). */
  latents: Tensor | null;
}

export interface LairStepResult {
  state: LairState;
  /** All J = (K+R)·I proposals of the iteration [B, J, ...latent]. */
  proposals: Tensor;
  /** Their log-weights [B·J] (row-major over B, then J). */
  logWeights: Float64Array;
  /** ESS 1/Σ W² and perplexity exp(−Σ W log W) of the weights, per data point [B]. */
  ess: Float64Array;
  perplexity: Float64Array;
  decoderEvaluations: number;
}

/** log p(x_o | z) + log p(z) per latent for z [B, N, ...latent], in float64 (the collapsed target). */
export function collapsedLogTarget(task: ImputationTask, z: Tensor, decoded = decode(task, z)): Float64Array {
  const lik = observedLogLikelihood(task, decoded);
  const prior = toFloat64(task.vae.prior(task.params).logProb(z));
  return lik.map((v, i) => v + prior[i]);
}

/** The stratified draw: I latents from each encoder component, then I·R from the prior, [B, (K+R)·I, ...latent]. */
export function lairProposals(
  key: PRNGKey,
  task: ImputationTask,
  imputations: Tensor,
  priorComponents: number,
  samplesPerComponent: number,
): Tensor {
  const [B, K] = imputations.shape;
  const I = samplesPerComponent;
  const E = task.latentShape;
  const [ke, kp] = split(key, 2);
  const fromEncoder = encode(task, imputations).sample(ke, [I]); // [I, B, K, ...latent]
  const perm = [1, 0, ...Array.from({ length: 1 + E.length }, (_, i) => i + 2)];
  const encoderPart = fromEncoder.transpose(perm).reshape([B, I * K, ...E]);
  if (priorComponents === 0) return encoderPart;
  const priorPart = task.vae.prior(task.params).sample(kp, [B, priorComponents * I]);
  return concat([encoderPart, priorPart], 1);
}

/**
 * log q_t(z) of the deterministic mixture for latents z [B, N, ...latent]: a log-sum-exp over the K
 * encoder components at the particles [B, K, D] and the prior with weight R, minus log(K + R).
 */
export function lairLogProposal(
  task: ImputationTask,
  imputations: Tensor,
  z: Tensor,
  priorComponents: number,
): Float64Array {
  const [B, K, D] = imputations.shape;
  const N = z.shape[1];
  const E = task.latentShape;
  // Encoder batch [B, 1, K] scored at z [B, N, 1, ...latent] gives every component at every latent: [B, N, K].
  const components = encode(task, imputations.reshape([B, 1, K, D]));
  const perComponent = components.logProb(z.reshape([B, N, 1, ...E])).dataSync();
  const logPrior = priorComponents > 0 ? task.vae.prior(task.params).logProb(z).dataSync() : null;
  const logR = Math.log(priorComponents);
  const logTotal = Math.log(K + priorComponents);
  const out = new Float64Array(B * N);
  const terms = new Float64Array(K + 1);
  for (let i = 0; i < B * N; i++) {
    for (let k = 0; k < K; k++) terms[k] = perComponent[i * K + k];
    terms[K] = logPrior === null ? -Infinity : logR + logPrior[i];
    let max = -Infinity;
    for (const t of terms) max = Math.max(max, t);
    let s = 0;
    if (max > -Infinity) for (const t of terms) s += Math.exp(t - max);
    out[i] = (max > -Infinity ? max + Math.log(s) : -Infinity) - logTotal;
  }
  return out;
}

/** LAIR's log-weights log p(x_o | z) + log p(z) − log q_t(z) for z [B, N, ...latent] under the particles' mixture. */
export function lairLogWeights(
  task: ImputationTask,
  imputations: Tensor,
  z: Tensor,
  priorComponents: number,
  decoded = decode(task, z),
): Float64Array {
  const target = collapsedLogTarget(task, z, decoded);
  const proposal = lairLogProposal(task, imputations, z, priorComponents);
  return target.map((t, i) => t - proposal[i]);
}

/** Check LAIR's options and fill in the defaults. */
export function lairSettings(options: LairOptions = {}): Required<LairOptions> {
  return {
    priorComponents: checkInteger('lair', 'priorComponents', options.priorComponents ?? 1, 0),
    samplesPerComponent: checkInteger('lair', 'samplesPerComponent', options.samplesPerComponent ?? 1, 1),
    resampling: options.resampling ?? 'multinomial',
  };
}

/** One LAIR iteration for every data point (steps 1–5 above). */
export function lairStep(
  key: PRNGKey,
  task: ImputationTask,
  state: LairState,
  options: LairOptions = {},
): LairStepResult {
  const { priorComponents: R, samplesPerComponent: I, resampling } = lairSettings(options);
  const [B, K] = state.imputations.shape;
  const [kz, kr, kx] = split(key, 3);
  const proposals = lairProposals(kz, task, state.imputations, R, I);
  const J = proposals.shape[1];
  const decoded = decode(task, proposals);
  const logWeights = lairLogWeights(task, state.imputations, proposals, R, decoded);
  const index = resampleIndices(kr, logWeights, B, J, K, resampling);
  const latents = gatherRows(proposals, index, K);
  const imputations = fillMissing(task, gatherDistribution(decoded, index, K).sample(kx));
  const ess = new Float64Array(B);
  const ppl = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const w = normalizedWeights(logWeights, b, J);
    ess[b] = effectiveSampleSize(w);
    ppl[b] = perplexity(w);
  }
  return { state: { imputations, latents }, proposals, logWeights, ess, perplexity: ppl, decoderEvaluations: B * J };
}

export interface FinalResample {
  /** Complete vectors [B, M, D] decoded from the resampled latents. */
  imputations: Tensor;
  latents: Tensor;
  decoderEvaluations: number;
}

/**
 * The final output (`resample_final_imps`): M latents resampled from a pool of proposals
 * [B, P, ...latent] with their log-weights [B·P] (all iterations together), then decoded.
 */
export function lairFinalResample(
  key: PRNGKey,
  task: ImputationTask,
  proposals: Tensor,
  logWeights: ArrayLike<number>,
  samples: number,
  resampling: ResamplingMethod = 'multinomial',
): FinalResample {
  checkInteger('lairFinalResample', 'samples', samples, 1);
  const [B, P] = proposals.shape;
  const [kr, kx] = split(key, 2);
  const index = resampleIndices(kr, logWeights, B, P, samples, resampling);
  const latents = gatherRows(proposals, index, samples);
  const imputations = fillMissing(task, decode(task, latents).sample(kx));
  return { imputations, latents, decoderEvaluations: B * samples };
}
