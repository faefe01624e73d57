/**
 * Reductions. `sum` and `max` are primitives; `mean` and `min` are built from them.
 */
import { bind, definePrimitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import { fail } from '../../errors.js';
import { normalizeAxes, reducedShape, shapeSize, shapeToString } from '../shape.js';
import { Tensor, type Axis } from '../tensor.js';
import { div, eq, mul, neg } from './elementwise.js';
import { expandBack, type ReduceParams, sum, sumP } from './broadcast-sum.js';

// `sum` lives with `broadcastTo`, its VJP and adjoint (see broadcast-sum.ts); it is re-exported here with the
// other reductions.
export { sum } from './broadcast-sum.js';

/** Where x attains its max along the axes, divided by the number of ties: the max's "selector". */
function maxSelector(x: Tensor, y: Tensor, axes: readonly number[]): Tensor {
  const isMax = eq(x, expandBack(y, x.shape, axes));
  const count = bind(sumP, [isMax], { axes, keepdims: true });
  return div(isMax, count);
}

const maxP = definePrimitive<ReduceParams>({
  name: 'max',
  impl: ([x], { axes, keepdims }) =>
    Tensor.fromData(getBackend().reduce('max', x._data!, x.shape, axes), reducedShape(x.shape, axes, keepdims)),
  // The gradient goes to the maximal element; ties share it equally.
  vjp: (g, [x], y, { axes }) => [mul(expandBack(g, x.shape, axes), maxSelector(x, y, axes))],
  jvp: ([t], [x], y, { axes, keepdims }) =>
    t === null ? null : bind(sumP, [mul(t, maxSelector(x, y, axes))], { axes, keepdims }),
});

export function mean(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  const axes = normalizeAxes('mean', axis, x.ndim);
  const count = shapeSize(axes.map((a) => x.shape[a]));
  return div(sum(x, axes, keepdims), count);
}

/** Normalized axes for max/min, refusing empty ones (there is no identity to return). */
function nonEmptyAxes(op: 'max' | 'min', x: Tensor, axis: Axis | undefined): number[] {
  const axes = normalizeAxes(op, axis, x.ndim);
  const what = op === 'max' ? 'maximum' : 'minimum';
  for (const a of axes)
    if (x.shape[a] === 0)
      fail(
        op,
        `cannot reduce axis ${a} of size 0 (shape ${shapeToString(x.shape)}): the ${what} of nothing is undefined`,
      );
  return axes;
}

/** Maximum over `axis`. Reducing an empty axis is an error (there is no identity to return). */
export function max(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  const axes = nonEmptyAxes('max', x, axis);
  if (axes.length === 0) return x;
  return bind(maxP, [x], { axes, keepdims });
}

export function min(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  // Validate here so that errors name `min`, not the `max` it is built from.
  return neg(max(neg(x), nonEmptyAxes('min', x, axis), keepdims));
}
