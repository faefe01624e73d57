/**
 * A small VAE for continuous data (the imputation experiment's downsampled digits), with a Gaussian
 * decoder so that it fits the conditional-sampling interface for real-valued x:
 *
 *   p(z)        = N(0, I_Z)
 *   p_θ(x | z)  = Π_d N(x_d; m_d(z), σ_d²),  m(z) = tanh(z W1 + b1) W2 + b2,  σ_d = exp(s_d)
 *                                                   θ: W1 [Z,H] b1 W2 [H,D] b2 [D] s [D]
 *   q_φ(z | x)  = the MNIST VAE's encoder (vaeGuide): diagonal Normal from one tanh layer.
 *
 * The decoder's per-pixel log-scales s are learned with the rest (one scale per pixel, not per z:
 * enough for a mixture whose components differ mostly in their means).
 */
import { Normal } from '../src/dist/index.js';
import type { Distribution } from '../src/dist/distribution.js';
import type { ConditionalVae } from '../src/conditional/types.js';
import { split, type PRNGKey } from '../src/random/key.js';
import { ones, zeros } from '../src/tensor/creation.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Problem } from '../src/vi/types.js';
import { glorot } from './mnist-common.js';
import { vaeGuide, type VaePhi } from './vae.js';

export interface GaussianVaeTheta {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
  /** Per-dimension log standard deviation of the decoder, [D]. */
  logScale: Tensor;
}

export interface GaussianVaeParams {
  theta: GaussianVaeTheta;
  phi: VaePhi;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Decoder means for latents of any leading shape: z [..., Z] → [..., D]. */
export function gaussianDecoderMean(theta: GaussianVaeTheta, z: Tensor): Tensor {
  const Z = theta.W1.shape[0];
  const D = theta.W2.shape[1];
  const h = z.reshape([-1, Z]).matmul(theta.W1).add(theta.b1).tanh();
  return h
    .matmul(theta.W2)
    .add(theta.b2)
    .reshape([...z.shape.slice(0, -1), D]);
}

/** log p_θ(x, z): z [..., B, Z], x [B, D] → [..., B]. */
export function gaussianVaeLogJoint(theta: GaussianVaeTheta, z: Tensor, x: Tensor): Tensor {
  const prior = z.square().mul(-0.5).sub(HALF_LOG_2PI).sum(-1);
  const standardized = x.sub(gaussianDecoderMean(theta, z)).mul(theta.logScale.neg().exp());
  const lik = standardized.square().mul(-0.5).sub(theta.logScale).sub(HALF_LOG_2PI).sum(-1);
  return prior.add(lik);
}

export function gaussianVaeProblem(datasetSize?: number): Problem<GaussianVaeTheta, VaePhi, Tensor> {
  return { logJoint: gaussianVaeLogJoint, guide: vaeGuide, ...(datasetSize === undefined ? {} : { datasetSize }) };
}

/** Glorot weights from the key, zero biases except b2 = the data means; decoder scales start at `scale`. */
export function initGaussianVae(
  k: PRNGKey,
  o: { latent: number; hidden: number; dims: number; means: Float32Array; scale: number },
): GaussianVaeParams {
  const [k1, k2, k3, k4, k5] = split(k, 5);
  const { latent: Z, hidden: H, dims: D } = o;
  return {
    theta: {
      W1: glorot(k1, Z, H),
      b1: zeros([H]),
      W2: glorot(k2, H, D),
      b2: Tensor.fromData(Float32Array.from(o.means), [D]),
      logScale: ones([D]).mul(Math.log(o.scale)),
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

/**
 * The Gaussian VAE for `conditionalSample`: the decoder is a Normal of batch shape [...lead, D]
 * (the scales broadcast over the leading axes), the encoder ignores the mask (trained on complete
 * vectors).
 */
export const gaussianConditionalVae: ConditionalVae<GaussianVaeParams> = {
  prior: (p) => new Normal(zeros([p.theta.W1.shape[0]]), ones([p.theta.W1.shape[0]])).toEvent(1),
  decoder: (p, z): Distribution => {
    const mean = gaussianDecoderMean(p.theta, z);
    return new Normal(mean, p.theta.logScale.exp().add(mean.mul(0)));
  },
  encoder: (p, x) => vaeGuide(p.phi, x),
};
