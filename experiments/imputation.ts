/**
 * Scoring helpers for imputing binarized MNIST with real missing pixels (no ground-truth
 * conditional). The registered `sieve experiments imputation` is experiments/imputation-mixture.ts,
 * which scores against a mixture with an exact posterior instead. Here: conditional sampling
 * of a trained MNIST VAE (models/vae.ts, `mnistConditionalVae`) with pseudo-Gibbs, MWG, AC-MWG and
 * LAIR, compared on the same images, masks and budget of iterations.
 *
 * MNIST has no exact p(x_m | x_o), so each method is scored against the true missing pixels:
 *   - predictive log-likelihood per missing pixel, log Bernoulli(x_d; p̂_d), where p̂_d is the
 *     frequency of 1 among the method's imputations of pixel d with add-one smoothing
 *     ((ones + 1) / (n + 2), so a pixel never imputed correctly costs a finite amount);
 *   - accuracy of the majority vote per missing pixel;
 * alongside the samplers' own diagnostics (acceptance rate, LAIR's ESS) and their cost (decoder
 * evaluations, seconds). Higher predictive log-likelihood at equal cost is better; a sampler that
 * gets stuck (MWG) or is biased (pseudo-Gibbs) shows up as overconfident, wrong imputations.
 */
import { fail } from '../src/errors.js';
import { foldIn, type PRNGKey } from '../src/random/key.js';
import { Tensor } from '../src/tensor/tensor.js';
import { conditionalSample, type ConditionalSampleOptions } from '../src/conditional/index.js';
import { mnistConditionalVae, type VaeParams } from '../models/vae.js';
import { MNIST_SIDE } from '../models/data/mnist.js';

export interface MissingPixelScores {
  /** Mean over missing pixels of log Bernoulli(true value; smoothed imputation frequency). */
  logLikelihoodPerPixel: number;
  /** Fraction of missing pixels whose majority imputation equals the true value (ties count as 1). */
  accuracy: number;
  missingPixels: number;
}

/**
 * Scores of imputations [N, B, D] (N imputations per image, observed entries ignored) against the
 * true images [B, D] at the missing entries of mask [B, D].
 */
export function missingPixelScores(truth: Tensor, mask: Tensor, imputations: Tensor): MissingPixelScores {
  const [N, B, D] = imputations.shape;
  if (truth.shape[0] !== B || truth.shape[1] !== D) {
    fail('missingPixelScores', `truth [${truth.shape}] must match the imputations' [B, D] = [${B}, ${D}]`);
  }
  const x = truth.dataSync();
  const m = mask.dataSync();
  const v = imputations.dataSync();
  let logLik = 0;
  let correct = 0;
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      if (m[b * D + d] === 1) continue;
      let ones = 0;
      for (let n = 0; n < N; n++) ones += v[(n * B + b) * D + d];
      const p = (ones + 1) / (N + 2);
      logLik += x[b * D + d] === 1 ? Math.log(p) : Math.log(1 - p);
      correct += (ones * 2 >= N ? 1 : 0) === x[b * D + d] ? 1 : 0;
      count++;
    }
  }
  return { logLikelihoodPerPixel: logLik / count, accuracy: correct / count, missingPixels: count };
}

/** A mask [B, 784] hiding the top or bottom half of each image (1 = observed). */
export function halfImageMask(images: number, hide: 'top' | 'bottom'): Tensor {
  const D = MNIST_SIDE * MNIST_SIDE;
  const out = new Float32Array(images * D);
  for (let i = 0; i < out.length; i++) {
    const row = Math.floor((i % D) / MNIST_SIDE);
    const hidden = hide === 'top' ? row < MNIST_SIDE / 2 : row >= MNIST_SIDE / 2;
    out[i] = hidden ? 0 : 1;
  }
  return Tensor.fromData(out, [images, D]);
}

export interface ImputationMethod {
  name: string;
  options: ConditionalSampleOptions;
}

export interface MethodResult extends MissingPixelScores {
  name: string;
  decoderEvaluations: number;
  seconds: number;
  /** Mean acceptance rate over chains (MWG, AC-MWG). */
  acceptanceRate?: number;
  /** Mean ESS over iterations and images (LAIR). */
  ess?: number;
}

/**
 * Run every method on the same images [B, 784] and mask with its own key (folded from `key`), and
 * score the imputations after `burnIn` recorded iterations (LAIR: its final resampling).
 */
export function compareImputations(
  key: PRNGKey,
  params: VaeParams,
  images: Tensor,
  mask: Tensor,
  methods: ImputationMethod[],
  burnIn = 0,
): MethodResult[] {
  return methods.map((method, i) => {
    const start = performance.now();
    const r = conditionalSample(foldIn(key, i), mnistConditionalVae, params, images, mask, method.options);
    const seconds = (performance.now() - start) / 1000;
    let samples: Tensor;
    if (r.final !== undefined) {
      samples = r.final.imputations.transpose([1, 0, 2]); // [M, B, D]
    } else {
      const [S, B, K, D] = r.imputations.shape;
      if (burnIn >= S) fail('compareImputations', `burnIn ${burnIn} leaves none of the ${S} recorded iterations`);
      // [S - burnIn, B, K, D] → [(S - burnIn)·K, B, D]: every chain's every kept iteration is one imputation.
      samples = r.imputations
        .slice([burnIn])
        .transpose([0, 2, 1, 3])
        .reshape([(S - burnIn) * K, B, D]);
    }
    const d = r.diagnostics;
    return {
      name: method.name,
      ...missingPixelScores(images, mask, samples),
      decoderEvaluations: d.decoderEvaluations,
      seconds,
      ...(d.acceptanceRate ? { acceptanceRate: d.acceptanceRate.mean().item() } : {}),
      ...(d.ess ? { ess: d.ess.mean().item() } : {}),
    };
  });
}
