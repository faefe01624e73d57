/**
 * The adjoint pair broadcastTo ↔ sum, and the reshape both of them use.
 *
 * They live together because their VJPs name each other: the VJP of `broadcastTo` sums the copies
 * back (`sumToShape`, a `sum` then a `reshape`), and the VJP of `sum` broadcasts the cotangent back
 * over the reduced axes (`expandBack`, a `reshape` then a `broadcastTo`). Split between the movement
 * ops and the reductions, these two files would import each other. movement.ts and reduce.ts
 * re-export the public functions from here, so each still belongs to its family for a reader.
 */
import { fail } from '../../errors.js';
import { bind, definePrimitive, type Primitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import {
  broadcastShapes,
  checkShape,
  normalizeAxes,
  reducedShape,
  shapeSize,
  shapesEqual,
  shapeToString,
  type Shape,
} from '../shape.js';
import { Tensor, type Axis } from '../tensor.js';

// ---------------------------------------------------------------------------------------------
// reshape: shares storage with its input (a view); the data is immutable, so sharing is safe.

const reshapeP = definePrimitive<Shape>({
  name: 'reshape',
  impl: ([x], shape) => Tensor.fromData(x._data!, shape),
  vjp: (g, [x]) => [reshape(g, x.shape)],
  jvp: ([t], _x, _y, shape) => (t === null ? null : reshape(t, shape)),
});

/** Same values, new shape. One dimension may be -1: it is inferred from the size. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) fail('reshape', `at most one dimension may be -1, got ${shapeToString(shape)}`);
  const known = shape.filter((d) => d !== -1);
  checkShape('reshape', known);
  const knownSize = shapeSize(known);
  let target = shape.slice();
  if (unknown === 1) {
    if (knownSize === 0 || x.size % knownSize !== 0) {
      fail(
        'reshape',
        `cannot reshape ${shapeToString(x.shape)} (size ${x.size}) to ${shapeToString(shape)}: ${x.size} is not a ` +
          `multiple of ${knownSize}`,
      );
    }
    target = shape.map((d) => (d === -1 ? x.size / knownSize : d));
  } else if (knownSize !== x.size) {
    fail(
      'reshape',
      `cannot reshape ${shapeToString(x.shape)} (size ${x.size}) to ${shapeToString(shape)} (size ${knownSize})`,
    );
  }
  if (shapesEqual(target, x.shape)) return x;
  return bind(reshapeP, [x], target);
}

// ---------------------------------------------------------------------------------------------
// broadcastTo and its adjoint sumToShape

const broadcastToP = definePrimitive<Shape>({
  name: 'broadcastTo',
  impl: ([x], shape) => Tensor.fromData(getBackend().broadcastTo(x._data!, x.shape, shape), shape),
  vjp: (g, [x]) => [sumToShape(g, x.shape)],
  jvp: ([t], _x, _y, shape) => (t === null ? null : broadcastTo(t, shape)),
});

/** Copy x to a larger shape by NumPy broadcasting rules. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  checkShape('broadcastTo', shape);
  if (shapesEqual(x.shape, shape)) return x;
  const b = broadcastShapes('broadcastTo', x.shape, shape);
  if (!shapesEqual(b, shape))
    fail('broadcastTo', `cannot broadcast ${shapeToString(x.shape)} to ${shapeToString(shape)}`);
  return bind(broadcastToP, [x], shape.slice());
}

/**
 * Sum `g` down to `shape`, undoing a broadcast: sums the leading extra axes and the axes where
 * `shape` has size 1. This is how every broadcasting op routes gradients back to a smaller input.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, true), shape);
}

// ---------------------------------------------------------------------------------------------
// sum and its adjoint expandBack

export interface ReduceParams {
  axes: readonly number[];
  keepdims: boolean;
}

/** Bring a reduced result (or its cotangent) back to the keepdims layout, then broadcast to `shape`. */
export function expandBack(g: Tensor, shape: Shape, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(g, reducedShape(shape, axes, true)), shape);
}

/** The sum primitive; reduce.ts binds it directly where the axes are already normalized. */
export const sumP: Primitive<ReduceParams> = definePrimitive<ReduceParams>({
  name: 'sum',
  impl: ([x], { axes, keepdims }) =>
    Tensor.fromData(getBackend().reduce('sum', x._data!, x.shape, axes), reducedShape(x.shape, axes, keepdims)),
  // Every input element contributed with weight 1: the cotangent is copied back over the axes.
  vjp: (g, [x], _y, { axes }) => [expandBack(g, x.shape, axes)],
  jvp: ([t], _x, _y, p) => (t === null ? null : bind(sumP, [t], p)),
});

/** Sum over `axis` (all axes by default; negative axes count from the end). */
export function sum(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  const axes = normalizeAxes('sum', axis, x.ndim);
  if (axes.length === 0) return x;
  return bind(sumP, [x], { axes, keepdims });
}
