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
import { add, mul, neg, sigmoid, sub } from './elementwise.js';
import { broadcastTo, sumToShape } from './movement.js';

/**
 * g·(x − σ(l)): the cotangent of the logits below, as one primitive so that its kernel makes one pass
 * (Backend.bernoulliLogitsGrad) where sigmoid, sub and mul make three. Its own rules are written with
 * differentiable ops, so second derivatives of bernoulliLogLik work as before:
 *   ∂/∂x = g,   ∂/∂l = −g·σ(l)·(1 − σ(l)),   ∂/∂g = x − σ(l).
 */
const bernoulliLogLikGradP = definePrimitive({
  name: 'bernoulliLogLikGrad',
  impl: ([x, l, g]) => {
    const op = 'bernoulliLogLikGrad';
    const shape = broadcastShapes(op, broadcastShapes(op, x.shape, l.shape), g.shape);
    const data = getBackend().bernoulliLogitsGrad(x._data!, x.shape, l._data!, l.shape, g._data!, g.shape, shape);
    return Tensor.fromData(data, shape);
  },
  vjp: (c, [x, l, g], _y, _p, needs) => {
    const s = needs[1] || needs[2] ? sigmoid(l) : null;
    return [
      needs[0] ? sumToShape(mul(c, g), x.shape) : null,
      needs[1] ? sumToShape(neg(mul(mul(c, g), mul(s!, sub(1, s!)))), l.shape) : null,
      needs[2] ? sumToShape(mul(c, sub(x, s!)), g.shape) : null,
    ];
  },
  jvp: ([tx, tl, tg], [x, l, g], y) => {
    const s = sigmoid(l);
    const parts = [
      tx === null ? null : mul(tx, g),
      tl === null ? null : neg(mul(tl, mul(g, mul(s, sub(1, s))))),
      tg === null ? null : mul(tg, sub(x, s)),
    ].filter((t): t is Tensor => t !== null);
    if (parts.length === 0) return null;
    const t = parts.reduce((a, b) => add(a, b));
    return shapesEqual(t.shape, y.shape) ? t : broadcastTo(t, y.shape);
  },
});

const bernoulliLogLikP = definePrimitive({
  name: 'bernoulliLogLik',
  impl: ([x, l]) => {
    const shape = broadcastShapes('bernoulliLogLik', x.shape, l.shape);
    return Tensor.fromData(getBackend().bernoulliLogits(x._data!, x.shape, l._data!, l.shape, shape), shape);
  },
  // ∂/∂x = l and ∂/∂l = x − σ(l); broadcast inputs receive sums over the broadcast axes.
  vjp: (g, [x, l], _y, _p, needs) => [
    needs[0] ? sumToShape(mul(g, l), x.shape) : null,
    needs[1] ? sumToShape(bind(bernoulliLogLikGradP, [x, l, g], undefined), l.shape) : null,
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
