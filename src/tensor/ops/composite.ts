/**
 * Composite operations, built only from primitives: their derivatives come for free. The exception
 * is `logsumexp`, a primitive of its own (one fused kernel) whose rules are the softmax weights.
 */
import { fail } from '../../errors.js';
import { stopGradient } from '../../autodiff/custom.js';
import { bind, definePrimitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import { asTensor } from '../creation.js';
import { normalizeAxes, normalizeAxis, reducedShape, shapeToString } from '../shape.js';
import { Tensor, type Axis, type TensorLike } from '../tensor.js';
import {
  add,
  div,
  eq,
  exp,
  le,
  log,
  lt,
  abs,
  maximum,
  minimum,
  mul,
  neg,
  polygamma,
  softplus,
  sub,
  where,
} from './elementwise.js';
import { reshape, type IndexLike } from './movement.js';
import { max, sum } from './reduce.js';

export const square = (x: TensorLike): Tensor => mul(x, x);
/** log σ(x) = -softplus(-x): stable for large |x|. */
export const logSigmoid = (x: TensorLike): Tensor => neg(softplus(neg(x)));
/** max(x, 0), with derivative 0 at x = 0 (as in JAX and PyTorch). NaN propagates. */
export const relu = (x: TensorLike): Tensor => where(le(x, 0), 0, x);
/** ψ(x) = d/dx log Γ(x). */
export const digamma = (x: TensorLike): Tensor => polygamma(0, x);
/** Limit values to [lo, hi]. */
export const clip = (x: TensorLike, lo: TensorLike, hi: TensorLike): Tensor => minimum(maximum(x, lo), hi);
/** log(e^a + e^b), stable. */
export const logaddexp = (a: TensorLike, b: TensorLike): Tensor => {
  const ta = asTensor(a);
  const tb = asTensor(b);
  const m = stopGradient(maximum(ta, tb));
  const safe = where(lt(abs(m), Infinity), m, 0);
  return add(log(add(exp(sub(ta, safe)), exp(sub(tb, safe)))), safe);
};

/** True where finite (1/0 float), no gradient. */
// biome-ignore lint/suspicious/noShadowRestrictedNames: public op named after NumPy's isfinite; a module export.
export const isFinite = (x: TensorLike): Tensor => lt(abs(x), Infinity);

// logsumexp: one fused kernel (Backend.logsumexp: max, shifted exp-sum and log in one call) as a
// primitive whose derivative rules are the softmax weights, written with differentiable ops.

/** Softmax weights exp(x − y), y the logsumexp (keepdims); −Infinity entries weigh 0 even if y is −Infinity. */
function softmaxWeights(x: Tensor, y: Tensor): Tensor {
  return where(eq(x, -Infinity), 0, exp(sub(x, y)));
}

const logsumexpP = definePrimitive<readonly number[]>({
  name: 'logsumexp',
  impl: ([x], axes) =>
    Tensor.fromData(getBackend().logsumexp(x._data!, x.shape, axes), reducedShape(x.shape, axes, true)),
  vjp: (g, [x], y) => [mul(g, softmaxWeights(x, y))],
  jvp: ([t], [x], y, axes) => (t === null ? null : sum(mul(t, softmaxWeights(x, y)), axes, true)),
});

/** log Σ exp(x) over `axis`, numerically stable (all -Infinity gives -Infinity, not NaN). */
export function logsumexp(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  const axes = normalizeAxes('logsumexp', axis, x.ndim);
  if (axes.length === 0) return x;
  for (const a of axes)
    if (x.shape[a] === 0) fail('logsumexp', `cannot reduce axis ${a} of size 0 (shape ${shapeToString(x.shape)})`);
  const y = bind(logsumexpP, [x], axes);
  return keepdims ? y : reshape(y, reducedShape(x.shape, axes, false));
}

/**
 * x minus its max along `axis` (an infinite max is replaced by 0, so Inf - Inf never appears).
 * Softmax is shift-invariant, so the max is a constant for differentiation.
 */
function shiftByMax(x: Tensor, axis: number): Tensor {
  const m = stopGradient(max(x, axis, true));
  return sub(x, where(isFinite(m), m, 0));
}

// Both work on z = x - max(x) rather than x - logsumexp(x): for large logits, logsumexp(x) rounds to
// a float32 that has lost log Σ exp(z) (e.g. softmax([1e30, 1e30]) would be [1, 1], not [1/2, 1/2]).
// An empty axis gives an empty result.

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const ax = normalizeAxis('logSoftmax', axis, x.ndim);
  if (x.shape[ax] === 0) return x;
  const z = shiftByMax(x, ax);
  return sub(z, log(sum(exp(z), ax, true)));
}

export function softmax(x: Tensor, axis = -1): Tensor {
  const ax = normalizeAxis('softmax', axis, x.ndim);
  if (x.shape[ax] === 0) return x;
  const e = exp(shiftByMax(x, ax));
  return div(e, sum(e, ax, true));
}

/**
 * One-hot encoding: a new last axis of length `depth` with 1 at each index (no gradient).
 * Indices must be integers in [0, depth).
 */
export function oneHot(indices: IndexLike, depth: number): Tensor {
  if (!Number.isInteger(depth) || depth <= 0) fail('oneHot', `depth must be a positive integer, got ${depth}`);
  const raw = indices instanceof Tensor ? indices.dataSync() : indices;
  const shape = indices instanceof Tensor ? indices.shape : [raw.length];
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isInteger(v) || v < 0 || v >= depth)
      fail('oneHot', `index ${v} at position ${i} is not an integer in [0, ${depth})`);
  }
  const data = raw;
  const out = new Float32Array(data.length * depth);
  for (let i = 0; i < data.length; i++) out[i * depth + data[i]] = 1;
  return Tensor.fromData(out, [...shape, depth]);
}

/**
 * PyTorch's gather / NumPy's take_along_axis: out[..., i, ...] = x[..., indices[..., i, ...], ...]
 * along `axis`, where `indices` has x's shape except along `axis` (other axes may broadcast).
 * Built from oneHot and a sum, so it is differentiable in x.
 */
export function gather(x: Tensor, indices: IndexLike, axis = -1): Tensor {
  const ax = normalizeAxis('gather', axis, x.ndim);
  const idx = indices instanceof Tensor ? indices : Tensor.fromData(Float32Array.from(indices), [indices.length]);
  if (idx.ndim !== x.ndim)
    fail(
      'gather',
      `indices of shape ${shapeToString(idx.shape)} must have as many dimensions as x ${shapeToString(x.shape)}`,
    );
  idx.shape.forEach((d, i) => {
    if (i !== ax && d !== x.shape[i] && d !== 1 && x.shape[i] !== 1) {
      fail(
        'gather',
        `indices of shape ${shapeToString(idx.shape)} do not match x ${shapeToString(x.shape)} outside axis ${ax} ` +
          `(dimension ${i} is ${d} vs ${x.shape[i]}; each pair must be equal or 1)`,
      );
    }
  });
  const depth = x.shape[ax];
  const raw = idx.dataSync();
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isInteger(v) || v < 0 || v >= depth)
      fail(
        'gather',
        `index ${v} at position ${i} is not an integer in [0, ${depth}) (axis ${ax} of x ${shapeToString(x.shape)})`,
      );
  }
  // one-hot along a new last axis, then move the selection to `ax`: sum over x's axis.
  const hot = oneHot(idx, depth); // [...idx.shape, depth]
  const xMoved = expandAxisLast(x, ax); // x with axis `ax` moved to the end and a new axis in its place
  // where, not mul: unselected entries must not contribute (0 · Infinity or 0 · NaN would be NaN).
  return sum(where(hot, xMoved, 0), -1);
}

/** x with `axis` moved to the end and a size-1 axis left in its place (for broadcasting against one-hots). */
function expandAxisLast(x: Tensor, axis: number): Tensor {
  const perm = x.shape.map((_, i) => i).filter((i) => i !== axis);
  perm.push(axis);
  const moved = x.transpose(perm);
  const shape = moved.shape.slice(0, -1);
  shape.splice(axis, 0, 1);
  return reshape(moved, [...shape, x.shape[axis]]);
}
