/**
 * Small helpers shared by the distributions: masks computed on concrete values, NaN-safe
 * log-density pieces, and shape utilities.
 */
import { fail } from '../errors.js';
import { asTensor } from '../tensor/creation.js';
import { broadcastShapes, shapesEqual, shapeToString, type Shape } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { broadcastTo, eq, gt, log, log1p, lt, mul, neg, where } from '../tensor/ops/index.js';

/** Elementwise f on the concrete values of x, as a new tensor with no gradient. */
export function mapValues(x: Tensor, f: (v: number) => number): Tensor {
  const d = x.dataSync();
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
  return Tensor.fromData(out, x.shape);
}

/** 1 where x is an integer (finite), else 0. */
export function isIntegerMask(x: Tensor): Tensor {
  return mapValues(x, (v) => (Number.isInteger(v) ? 1 : 0));
}

/** Logical and of two 0/1 masks. */
export function and(a: Tensor, b: Tensor): Tensor {
  return mul(a, b);
}

/**
 * c · log(x) with the convention 0 · log(0) = 0, and without NaN gradients there: where both are
 * 0 the logarithm is taken of 1 instead (the "double where" trick). Elsewhere, including c = 0
 * with x > 0, the value and both partial derivatives (log x and c / x) are the ordinary ones.
 */
export function xlogy(c: TensorLike, x: TensorLike): Tensor {
  const ct = asTensor(c);
  const xt = asTensor(x);
  const both = mul(eq(ct, 0), eq(xt, 0));
  return where(both, 0, mul(ct, log(where(both, 1, xt))));
}

/**
 * f evaluated only where `mask` holds: elsewhere x is replaced by `safe` before calling f (so no
 * NaN or Infinity appears in f or its gradient) and the result is `outside` (default -Infinity).
 */
export function masked(
  mask: Tensor,
  x: Tensor,
  safe: TensorLike,
  f: (xs: Tensor) => Tensor,
  outside = -Infinity,
): Tensor {
  const xs = where(mask, x, safe);
  return where(mask, f(xs), outside);
}

/** Broadcast shape of several shapes, failing with the distribution's name and the parameter names. */
export function broadcastParamShapes(dist: string, named: Record<string, Shape>): number[] {
  const names = Object.keys(named);
  let shape: number[] = [];
  for (const n of names) {
    try {
      shape = broadcastShapes(dist, shape, named[n]);
    } catch {
      const shapes = names.map((m) => `${m} ${shapeToString(named[m])}`).join(', ');
      fail(dist, `parameter shapes cannot be broadcast together: ${shapes}`);
    }
  }
  return shape;
}

/** x broadcast to `shape` (no-op when already equal). */
export function toShape(x: Tensor, shape: Shape): Tensor {
  return shapesEqual(x.shape, shape) ? x : broadcastTo(x, shape);
}

/** c · log1p(y) with 0 · log1p(-1) = 0 and no NaN gradient there (as xlogy). */
export function xlog1py(c: TensorLike, y: TensorLike): Tensor {
  const ct = asTensor(c);
  const yt = asTensor(y);
  const both = mul(eq(ct, 0), eq(yt, -1));
  return where(both, 0, mul(ct, log1p(where(both, 0, yt))));
}

/** log(p) with log(0) = -Infinity and a finite (NaN-free) gradient path everywhere. */
export function safeLog(p: Tensor): Tensor {
  const pos = gt(p, 0);
  return where(pos, log(where(pos, p, 1)), -Infinity);
}

/** log(1 - p) with log(0) = -Infinity at p = 1 and a NaN-free gradient path. */
export function safeLog1m(p: Tensor): Tensor {
  const below = lt(p, 1);
  return where(below, log1p(neg(where(below, p, 0))), -Infinity);
}

/** p · logp with the convention 0 · log 0 = 0 (NaN-free value and gradient). */
export function plogp(p: Tensor, logp: Tensor): Tensor {
  const pos = gt(p, 0);
  return mul(p, where(pos, logp, 0));
}

/** The smallest normal float32, 2^-126. */
export const FLOAT32_TINY = 2 ** -126;
/** The largest float32 below 1, 1 - 2^-24. */
export const ONE_MINUS_EPS = 1 - 2 ** -24;
