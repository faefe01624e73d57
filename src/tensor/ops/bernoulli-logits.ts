/**
 * The Bernoulli log-likelihood from logits, log p(x | l) = x·l − softplus(l), as one fused op: one
 * pass over memory (Backend.bernoulliLogits) where the composite takes four (mul, softplus, sub and
 * their broadcasts), and the cancellation of x·l − softplus(l) for large |l| avoided. It is the loss
 * of every Bernoulli decoder (VAE, SBN, the MLP benchmark) and Bernoulli.logProb.
 */
import { bind, definePrimitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import { asTensor } from '../creation.js';
import { broadcastShapes, shapesEqual } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { add, mul, sigmoid, sub } from './elementwise.js';
import { broadcastTo, sumToShape } from './movement.js';

const bernoulliLogLikP = definePrimitive({
  name: 'bernoulliLogLik',
  impl: ([x, l]) => {
    const shape = broadcastShapes('bernoulliLogLik', x.shape, l.shape);
    return Tensor.fromData(getBackend().bernoulliLogits(x._data!, x.shape, l._data!, l.shape, shape), shape);
  },
  // ∂/∂x = l and ∂/∂l = x − σ(l); broadcast inputs receive sums over the broadcast axes.
  vjp: (g, [x, l], _y, _p, needs) => [
    needs[0] ? sumToShape(mul(g, l), x.shape) : null,
    needs[1] ? sumToShape(mul(g, sub(x, sigmoid(l))), l.shape) : null,
  ],
  jvp: ([tx, tl], [x, l], y) => {
    const fromX = tx === null ? null : mul(tx, l);
    const fromL = tl === null ? null : mul(tl, sub(x, sigmoid(l)));
    const t = fromX === null ? fromL : fromL === null ? fromX : add(fromX, fromL);
    return t !== null && !shapesEqual(t.shape, y.shape) ? broadcastTo(t, y.shape) : t;
  },
});

/**
 * log p(x | logits) = x·logits − softplus(logits) of a Bernoulli with p = σ(logits), elementwise with
 * broadcasting; for x ∈ {0, 1} it is log σ(logits) or log σ(−logits), accurate for any logit (±Infinity
 * gives 0 or −Infinity). Differentiable in both arguments (x may be a relaxed value in [0, 1]).
 */
export function bernoulliLogLik(x: TensorLike, logits: TensorLike): Tensor {
  return bind(bernoulliLogLikP, [asTensor(x), asTensor(logits)], undefined);
}
