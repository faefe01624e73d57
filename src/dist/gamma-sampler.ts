/**
 * Log-space standard Gamma sampling for the Gamma, Beta and Dirichlet distributions.
 *
 * The draws of `src/random/gamma.ts` (Marsaglia–Tsang for alpha >= 1, with the G · U^(1/alpha)
 * boost for alpha < 1, output element i from the stream foldIn(key, i)), returned as logarithms
 * (`sampleLogGamma`), computed as log G + log(U) / alpha. A Gamma(0.01) draw is
 * below 1e-38 (float32 underflow) with probability about 0.4; its logarithm is an ordinary number,
 * so Beta and Dirichlet samples built from it (by sigmoid / softmax of log-gammas) stay exact and
 * never become 0/0.
 */
import type { Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { PRNGKey } from '../random/key.js';
import { elementStream, type BitStream } from '../random/stream.js';
import { sampleLogGamma } from '../random/gamma.js';
import { toShape } from './util.js';

/** log of one Gamma(alpha, 1) draw; NaN for an invalid alpha (never loops forever). */
export function logGammaDraw(stream: BitStream, alpha: number): number {
  if (!(alpha > 0) || !Number.isFinite(alpha)) return NaN;
  return sampleLogGamma(stream, alpha);
}

/**
 * log-samples of Gamma(alpha, 1) of the given shape; alpha (its concrete value) must broadcast
 * to `shape`. No gradient: attach one with `reparamLogGamma`.
 */
export function logStandardGamma(key: PRNGKey, alpha: Tensor, shape: Shape): Tensor {
  const a = toShape(alpha.primal(), shape).dataSync();
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = logGammaDraw(elementStream(key, i), a[i]);
  return Tensor.fromData(out, shape.slice());
}
