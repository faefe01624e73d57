/**
 * The JS backend's fused kernels: the reference the WebAssembly ones are tested against. Each
 * rounds every intermediate to float32 exactly where the separate ops it replaces would round.
 */
import type { AdamArrays, AdamHyper } from './backend.js';
import { broadcastStrides, shapeSize, shapesEqual, type Shape } from '../shape.js';

const f32 = Math.fround;

/** σ(v) = 1/(1 + e^−v) in float64, with two branches so that exp never overflows (the JS backend's sigmoid). */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function adamUpdate(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  hyper: AdamHyper,
): AdamArrays {
  const n = param.length;
  const b1 = f32(hyper.b1),
    c1 = f32(1 - hyper.b1),
    b2 = f32(hyper.b2),
    c2 = f32(1 - hyper.b2);
  const step = f32(hyper.stepSize),
    eps = f32(hyper.eps);
  const out = { param: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n), gradFinite: true };
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    if (!Number.isFinite(g)) out.gradFinite = false;
    const mi = f32(f32(m[i] * b1) + f32(g * c1));
    const vi = f32(f32(v[i] * b2) + f32(f32(g * g) * c2));
    out.m[i] = mi;
    out.v[i] = vi;
    out.param[i] = param[i] - f32(f32(mi * step) / f32(f32(Math.sqrt(vi)) + eps));
  }
  return out;
}

/** x read as if it had the larger shape `outShape` (a copy), or x itself when the shapes agree. */
function expand(x: Float32Array, shape: Shape, outShape: Shape): Float32Array {
  if (shapesEqual(shape, outShape)) return x;
  const strides = broadcastStrides(shape, outShape);
  const out = new Float32Array(shapeSize(outShape));
  const index = new Array<number>(outShape.length).fill(0);
  for (let o = 0, at = 0; o < out.length; o++) {
    out[o] = x[at];
    for (let d = outShape.length - 1; d >= 0; d--) {
      at += strides[d];
      if (++index[d] < outShape[d]) break;
      at -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}

/**
 * x·l − softplus(l) in float64, rounded once, as x·min(l, 0) − (1 − x)·max(l, 0) − log1p(e^−|l|):
 * the same number, without the cancellation of x·l − softplus(l) for x ∈ {0, 1}; a term whose
 * coefficient (x or 1 − x) is 0 counts 0 even for an infinite logit, so l = ±Inf gives log σ(±l)
 * (0 or −Inf) rather than Inf − Inf = NaN.
 */
export function bernoulliLogits(
  x: Float32Array,
  xShape: Shape,
  logits: Float32Array,
  logitsShape: Shape,
  outShape: Shape,
): Float32Array {
  const xs = expand(x, xShape, outShape);
  const ls = expand(logits, logitsShape, outShape);
  const out = new Float32Array(xs.length);
  for (let i = 0; i < out.length; i++) {
    const xi = xs[i],
      l = ls[i];
    // Math.min/max return NaN for a NaN logit, which then propagates.
    const taken = xi === 0 ? 0 : xi * Math.min(l, 0);
    const missed = xi === 1 ? 0 : (1 - xi) * Math.max(l, 0);
    out[i] = taken - missed - Math.log1p(Math.exp(-Math.abs(l)));
  }
  return out;
}

/** g·(x − σ(l)), rounded as sigmoid, sub and mul on this backend round: σ, then the difference, then the product. */
export function bernoulliLogitsGrad(
  x: Float32Array,
  xShape: Shape,
  logits: Float32Array,
  logitsShape: Shape,
  g: Float32Array,
  gShape: Shape,
  outShape: Shape,
): Float32Array {
  const xs = expand(x, xShape, outShape);
  const ls = expand(logits, logitsShape, outShape);
  const gs = expand(g, gShape, outShape);
  const out = new Float32Array(xs.length);
  for (let i = 0; i < out.length; i++) out[i] = gs[i] * f32(xs[i] - f32(sigmoid(ls[i])));
  return out;
}

/** Each element's output: its flat index in the keepdims reduction of `shape` over `axes`. */
function outputSlots(shape: Shape, axes: readonly number[]): Int32Array {
  const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const strides = broadcastStrides(keep, shape);
  const slots = new Int32Array(shapeSize(shape));
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0, at = 0; i < slots.length; i++) {
    slots[i] = at;
    for (let d = shape.length - 1; d >= 0; d--) {
      at += strides[d];
      if (++index[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return slots;
}

/** log Σ exp(x − s) + s per output, s = the max where finite (else 0), in float64, rounded once. */
export function logsumexp(x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array {
  const slots = outputSlots(shape, axes);
  const size = shapeSize(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  const max = new Float64Array(size).fill(-Infinity);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v > max[slots[i]] || Number.isNaN(v)) max[slots[i]] = v;
  }
  const shift = max.map((m) => (Number.isFinite(m) ? m : 0));
  const sums = new Float64Array(size);
  for (let i = 0; i < x.length; i++) sums[slots[i]] += Math.exp(x[i] - shift[slots[i]]);
  return Float32Array.from(sums, (s, o) => Math.log(s) + shift[o]);
}
