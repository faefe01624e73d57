/**
 * Implicit reparameterization of Gamma samples (Figurnov et al. 2018) as a tensor op.
 *
 * A Gamma(alpha, 1) sample is drawn by a rejection loop, which cannot be differentiated. Instead the
 * sample is treated as a fixed quantile of the distribution: `reparamLogGamma(alpha, logZ)` returns
 * `logZ` unchanged (broadcast against alpha), and its derivative with respect to alpha is
 * d(log z)/d(alpha) at fixed CDF value, computed from the incomplete gamma function in float64 by the
 * backend's `gammaLogSampleGrad` kernel (see `src/tensor/special-gamma.ts`). Samples are handled as
 * logarithms so that tiny values (a Gamma(0.01) draw is often below 1e-38) keep their full precision
 * and gradient.
 *
 * The derivative with respect to `logZ` is the identity. Second derivatives with respect to alpha
 * are not provided: the alpha-partial is treated as a constant when differentiated again.
 */
import { bind, defineNonDifferentiable, definePrimitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import { asTensor } from '../creation.js';
import { broadcastShapes, shapesEqual } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { add, mul } from './elementwise.js';
import { broadcastTo, sumToShape } from './movement.js';

const gammaLogSampleGradP = defineNonDifferentiable('gammaLogSampleGrad', ([alpha, logZ]) => {
  const shape = broadcastShapes('gammaLogSampleGrad', alpha.shape, logZ.shape);
  const out = getBackend().gammaLogSampleGrad(alpha._data!, alpha.shape, logZ._data!, logZ.shape, shape);
  return Tensor.fromData(out, shape);
});

/**
 * d(log z)/d(alpha) for Gamma(alpha, 1) samples z given as log z, at fixed quantile (no gradient).
 * Alpha and logZ broadcast.
 */
export function gammaLogSampleGradient(alpha: TensorLike, logZ: TensorLike): Tensor {
  return bind(gammaLogSampleGradP, [asTensor(alpha), asTensor(logZ)], undefined);
}

const reparamLogGammaP = definePrimitive({
  name: 'reparamLogGamma',
  impl: ([alpha, logZ]) => {
    const shape = broadcastShapes('reparamLogGamma', alpha.shape, logZ.shape);
    if (shapesEqual(shape, logZ.shape)) return logZ;
    return Tensor.fromData(getBackend().broadcastTo(logZ._data!, logZ.shape, shape), shape);
  },
  vjp: (g, [alpha, logZ], _y, _p, needs) => [
    needs[0] ? sumToShape(mul(g, gammaLogSampleGradient(alpha, logZ)), alpha.shape) : null,
    needs[1] ? sumToShape(g, logZ.shape) : null,
  ],
  jvp: ([ta, tz], [alpha, logZ], y) => {
    let t: Tensor | null = ta === null ? null : mul(ta, gammaLogSampleGradient(alpha, logZ));
    if (tz !== null) t = t === null ? tz : add(t, tz);
    return t !== null && !shapesEqual(t.shape, y.shape) ? broadcastTo(t, y.shape) : t;
  },
});

/**
 * The log of a Gamma(alpha, 1) sample, made differentiable in alpha by implicit reparameterization.
 * The value is `logZ` (broadcast with alpha); d/d(alpha) is d(log z)/d(alpha) at fixed CDF value
 * P(alpha, z). `logZ` must hold log-samples of Gamma(alpha, 1) for the gradient to be meaningful.
 */
export function reparamLogGamma(alpha: TensorLike, logZ: TensorLike): Tensor {
  return bind(reparamLogGammaP, [asTensor(alpha), asTensor(logZ)], undefined);
}
