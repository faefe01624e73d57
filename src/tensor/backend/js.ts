/**
 * The reference backend: plain JavaScript loops over Float32Arrays. Clear before clever, but with
 * fast paths for the common cases (same shapes, scalar operands, contiguous last-axis reductions),
 * and float64 accumulation for sums and matrix products.
 */
import type { Backend, BinaryOp, ReduceOp, UnaryOp } from './backend.js';
import { fail } from '../../errors.js';
import { broadcastStrides, shapeSize, shapesEqual, stridesOf, type Shape } from '../shape.js';
import { lgamma, polygamma } from '../special.js';
import { gammaLogSampleGrad as gammaLogSampleGradAt } from '../special-gamma.js';
import { adamUpdate, bernoulliLogits, bernoulliLogitsGrad, logsumexp, sigmoid } from './js-fused.js';
import { LARGE_ALLOCATION_FLOATS, beforeLargeAllocation } from './heap-trim.js';

// ---------------------------------------------------------------------------------------------
// Storage for one-element arrays

/**
 * Scalar code (a chain of thousands of one-element ops) spends most of its time in the garbage
 * collector, and a separate `new Float32Array(1)` is a heavy object (about 200 bytes on the V8
 * heap with its own ArrayBuffer). So one-element arrays are instead 1-element windows onto a
 * shared slab (about 100 bytes each, and faster to create). The price: a slab stays alive while
 * any of its windows does, so a long-lived scalar can keep up to SLAB_SIZE × 4 bytes alive.
 */
const SLAB_SIZE = 256;
let slab = new ArrayBuffer(SLAB_SIZE * 4);
let slabUsed = 0;

/**
 * A zero-filled Float32Array of n elements, not shared with any other tensor's elements. (One-element
 * arrays are windows onto a shared slab, so `.buffer` of such an array is that slab: never transfer it.)
 */
export function allocate(n: number): Float32Array {
  if (n >= LARGE_ALLOCATION_FLOATS) beforeLargeAllocation();
  if (n !== 1) return new Float32Array(n);
  if (slabUsed === SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE * 4);
    slabUsed = 0;
  }
  return new Float32Array(slab, 4 * slabUsed++, 1);
}

// ---------------------------------------------------------------------------------------------
// Kernels

function softplus(v: number): number {
  // log(1 + e^v) = max(v, 0) + log1p(e^-|v|)
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

function unary(op: UnaryOp, x: Float32Array, arg = 0): Float32Array {
  const n = x.length;
  const out = allocate(n);
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      break;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      break;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      break;
    case 'log1p':
      for (let i = 0; i < n; i++) out[i] = Math.log1p(x[i]);
      break;
    case 'expm1':
      for (let i = 0; i < n; i++) out[i] = Math.expm1(x[i]);
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      break;
    case 'sin':
      for (let i = 0; i < n; i++) out[i] = Math.sin(x[i]);
      break;
    case 'cos':
      for (let i = 0; i < n; i++) out[i] = Math.cos(x[i]);
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]);
      break;
    case 'softplus':
      for (let i = 0; i < n; i++) out[i] = softplus(x[i]);
      break;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
      break;
    case 'sign':
      for (let i = 0; i < n; i++) out[i] = Math.sign(x[i]);
      break;
    case 'lgamma':
      for (let i = 0; i < n; i++) out[i] = lgamma(x[i]);
      break;
    case 'polygamma':
      for (let i = 0; i < n; i++) out[i] = polygamma(arg, x[i]);
      break;
    default:
      throw new Error(`unary: unknown op ${op as string}`);
  }
  return out;
}

/** f(x) for one value: the arithmetic of `unary` on a number (one-element tensors have no array). */
function unaryScalar(op: UnaryOp, x: number, arg = 0): number {
  switch (op) {
    case 'neg':
      return -x;
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'log1p':
      return Math.log1p(x);
    case 'expm1':
      return Math.expm1(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'sin':
      return Math.sin(x);
    case 'cos':
      return Math.cos(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'softplus':
      return softplus(x);
    case 'abs':
      return Math.abs(x);
    case 'sign':
      return Math.sign(x);
    case 'lgamma':
      return lgamma(x);
    case 'polygamma':
      return polygamma(arg, x);
    default:
      throw new Error(`unary: unknown op ${op as string}`);
  }
}

// The binary ops on numbers, made once (a function per call would be garbage on every op).
const addNumbers = (a: number, b: number): number => a + b;
const subNumbers = (a: number, b: number): number => a - b;
const mulNumbers = (a: number, b: number): number => a * b;
const divNumbers = (a: number, b: number): number => a / b;
// NaN-propagating, like NumPy's maximum/minimum.
const maxNumbers = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b);
const minNumbers = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b);
const ltNumbers = (a: number, b: number): number => (a < b ? 1 : 0);
const leNumbers = (a: number, b: number): number => (a <= b ? 1 : 0);
const gtNumbers = (a: number, b: number): number => (a > b ? 1 : 0);
const geNumbers = (a: number, b: number): number => (a >= b ? 1 : 0);
const eqNumbers = (a: number, b: number): number => (a === b ? 1 : 0);
const neNumbers = (a: number, b: number): number => (a !== b ? 1 : 0);

/** The function computing `op` on two numbers. */
function binaryFunction(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add':
      return addNumbers;
    case 'sub':
      return subNumbers;
    case 'mul':
      return mulNumbers;
    case 'div':
      return divNumbers;
    case 'pow':
      return Math.pow;
    case 'maximum':
      return maxNumbers;
    case 'minimum':
      return minNumbers;
    case 'lt':
      return ltNumbers;
    case 'le':
      return leNumbers;
    case 'gt':
      return gtNumbers;
    case 'ge':
      return geNumbers;
    case 'eq':
      return eqNumbers;
    case 'ne':
      return neNumbers;
    default:
      throw new Error(`binary: unknown op ${op as string}`);
  }
}

/** a op b for two values (one-element tensors have no array). The four commonest ops without a call. */
function binaryScalar(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    default:
      return binaryFunction(op)(a, b);
  }
}

/**
 * Visit every index of `outShape` in row-major order, tracking the flat offsets of each operand
 * (read through broadcast strides). `visit(outIndex, offsets)` is called once per element.
 */
function forEachBroadcast(
  outShape: Shape,
  operandStrides: number[][],
  visit: (o: number, offs: Int32Array) => void,
): void {
  const nd = outShape.length;
  const k = operandStrides.length;
  const size = shapeSize(outShape);
  const idx = new Int32Array(nd);
  const offs = new Int32Array(k);
  for (let o = 0; o < size; o++) {
    visit(o, offs);
    // Odometer increment: bump the last axis, carry leftwards.
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < k; j++) offs[j] += operandStrides[j][d];
      if (idx[d] < outShape[d]) break;
      for (let j = 0; j < k; j++) offs[j] -= operandStrides[j][d] * outShape[d];
      idx[d] = 0;
    }
  }
}

function binary(
  op: BinaryOp,
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  outShape: Shape,
): Float32Array {
  const n = shapeSize(outShape);
  const out = allocate(n);
  // Fast paths for the most common ops, same-shape or scalar operands.
  if (a.length === n && b.length === n) {
    switch (op) {
      case 'add':
        for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
        return out;
      case 'sub':
        for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
        return out;
      case 'mul':
        for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
        return out;
      case 'div':
        for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
        return out;
    }
    const f = binaryFunction(op);
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return out;
  }
  if (b.length === 1 && a.length === n) {
    const s = b[0];
    switch (op) {
      case 'add':
        for (let i = 0; i < n; i++) out[i] = a[i] + s;
        return out;
      case 'sub':
        for (let i = 0; i < n; i++) out[i] = a[i] - s;
        return out;
      case 'mul':
        for (let i = 0; i < n; i++) out[i] = a[i] * s;
        return out;
      case 'div':
        for (let i = 0; i < n; i++) out[i] = a[i] / s;
        return out;
    }
    const f = binaryFunction(op);
    for (let i = 0; i < n; i++) out[i] = f(a[i], s);
    return out;
  }
  if (a.length === 1 && b.length === n) {
    const s = a[0];
    const f = binaryFunction(op);
    for (let i = 0; i < n; i++) out[i] = f(s, b[i]);
    return out;
  }
  const f = binaryFunction(op);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  forEachBroadcast(outShape, [sa, sb], (o, offs) => {
    out[o] = f(a[offs[0]], b[offs[1]]);
  });
  return out;
}

function where(
  cond: Float32Array,
  condShape: Shape,
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  outShape: Shape,
): Float32Array {
  const n = shapeSize(outShape);
  const out = allocate(n);
  if (cond.length === n && a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
    return out;
  }
  // Every operand full-size or a single value (e.g. where(mask, x, 0)): index steps of 1 or 0, no odometer.
  const full = (len: number): boolean => len === n || len === 1;
  if (full(cond.length) && full(a.length) && full(b.length)) {
    const cs = cond.length === n ? 1 : 0;
    const as = a.length === n ? 1 : 0;
    const bs = b.length === n ? 1 : 0;
    for (let i = 0; i < n; i++) out[i] = cond[i * cs] !== 0 ? a[i * as] : b[i * bs];
    return out;
  }
  const strides = [
    broadcastStrides(condShape, outShape),
    broadcastStrides(aShape, outShape),
    broadcastStrides(bShape, outShape),
  ];
  forEachBroadcast(outShape, strides, (o, offs) => {
    out[o] = cond[offs[0]] !== 0 ? a[offs[1]] : b[offs[2]];
  });
  return out;
}

function reduce(op: ReduceOp, x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array {
  const nd = shape.length;
  const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = shapeSize(keep);
  const isSum = op === 'sum';
  // Sums accumulate in float64; max starts at -Infinity and propagates NaN.
  if (outSize === 1) {
    let s = isSum ? 0 : -Infinity;
    if (isSum) for (let i = 0; i < x.length; i++) s += x[i];
    else
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        if (v > s || Number.isNaN(v)) s = v;
        if (Number.isNaN(s)) break;
      }
    const out = allocate(1);
    out[0] = s;
    return out;
  }
  const acc = new Float64Array(outSize).fill(isSum ? 0 : -Infinity);
  const lastReducedOnly = axes.length === 1 && axes[0] === nd - 1;
  if (lastReducedOnly) {
    const inner = shape[nd - 1];
    for (let o = 0; o < outSize; o++) {
      let s = acc[o];
      const base = o * inner;
      if (isSum) for (let j = 0; j < inner; j++) s += x[base + j];
      else
        for (let j = 0; j < inner; j++) {
          const v = x[base + j];
          if (v > s || Number.isNaN(v)) s = v;
        }
      acc[o] = s;
    }
    return Float32Array.from(acc);
  }
  // General case: walk the input, accumulating into the output slot given by keep-shape strides.
  const outStrides = broadcastStrides(keep, shape);
  forEachBroadcast(shape, [outStrides], (i, offs) => {
    const o = offs[0];
    const v = x[i];
    if (isSum) acc[o] += v;
    else if (v > acc[o] || Number.isNaN(v)) acc[o] = v;
  });
  return Float32Array.from(acc);
}

function cumsum(x: Float32Array, shape: Shape, axis: number, reverse: boolean): Float32Array {
  const out = allocate(x.length);
  const len = shape[axis];
  const stride = stridesOf(shape)[axis];
  const outer = shapeSize(shape.slice(0, axis));
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < stride; s++) {
      const base = o * len * stride + s;
      let acc = 0;
      for (let j = 0; j < len; j++) {
        const jj = reverse ? len - 1 - j : j;
        acc += x[base + jj * stride];
        out[base + jj * stride] = acc;
      }
    }
  }
  return out;
}

function matmul(a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, outShape: Shape): Float32Array {
  const nd = outShape.length;
  const m = outShape[nd - 2],
    n = outShape[nd - 1],
    k = aShape[aShape.length - 1];
  const batchShape = outShape.slice(0, nd - 2);
  const batch = shapeSize(batchShape);
  const out = allocate(batch * m * n);
  // Offsets of each batch's matrix inside a and b (batch dims broadcast with stride 0).
  const aBatchStrides = broadcastStrides(aShape.slice(0, -2), batchShape).map((s) => s * m * k);
  const bBatchStrides = broadcastStrides(bShape.slice(0, -2), batchShape).map((s) => s * k * n);
  const offsets: number[][] = [];
  if (batchShape.length === 0) offsets.push([0, 0]);
  else forEachBroadcast(batchShape, [aBatchStrides, bBatchStrides], (_, offs) => offsets.push([offs[0], offs[1]]));
  const row = new Float64Array(n);
  for (let t = 0; t < batch; t++) {
    const [ao, bo] = offsets[t];
    const oo = t * m * n;
    // i-k-j loop order: the inner loop runs along contiguous rows of b and out.
    for (let i = 0; i < m; i++) {
      row.fill(0);
      const arow = ao + i * k;
      // No skipping of a[i,p] === 0: 0 * Infinity and 0 * NaN must still give NaN.
      // Four rows of b per sweep along `row`: a quarter of the loads and stores of `row`, which
      // is what bounds this loop (about 2× faster than one row per sweep).
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const a0 = a[arow + p],
          a1 = a[arow + p + 1],
          a2 = a[arow + p + 2],
          a3 = a[arow + p + 3];
        const b0 = bo + p * n,
          b1 = b0 + n,
          b2 = b1 + n,
          b3 = b2 + n;
        for (let j = 0; j < n; j++) row[j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
      for (; p < k; p++) {
        const aip = a[arow + p];
        const brow = bo + p * n;
        for (let j = 0; j < n; j++) row[j] += aip * b[brow + j];
      }
      for (let j = 0; j < n; j++) out[oo + i * n + j] = row[j];
    }
  }
  return out;
}

/** The reference for transposed operands: materialize the transposes, then multiply. */
function matmulTransposed(
  a: Float32Array,
  aShape: Shape,
  transposeA: boolean,
  b: Float32Array,
  bShape: Shape,
  transposeB: boolean,
  outShape: Shape,
): Float32Array {
  const swapLastTwo = (s: Shape): number[] => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
  const swapPerm = (nd: number): number[] => [...Array.from({ length: nd - 2 }, (_, i) => i), nd - 1, nd - 2];
  const a2 = transposeA ? transpose(a, aShape, swapPerm(aShape.length)) : a;
  const b2 = transposeB ? transpose(b, bShape, swapPerm(bShape.length)) : b;
  return matmul(a2, transposeA ? swapLastTwo(aShape) : aShape, b2, transposeB ? swapLastTwo(bShape) : bShape, outShape);
}

function transpose(x: Float32Array, shape: Shape, perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = stridesOf(shape);
  const permStrides = perm.map((p) => inStrides[p]);
  const out = allocate(x.length);
  forEachBroadcast(outShape, [permStrides], (o, offs) => {
    out[o] = x[offs[0]];
  });
  return out;
}

function broadcastTo(x: Float32Array, shape: Shape, outShape: Shape): Float32Array {
  const out = allocate(shapeSize(outShape));
  if (x.length === 1) return out.fill(x[0]);
  const last = outShape.length - 1;
  const inner = outShape[last];
  if (x.length * inner === out.length && shape[shape.length - 1] === 1 && inner > 0) {
    // Only the last axis is broadcast (x is a column of the output): repeat each value along it.
    const same = shape.length === outShape.length && shape.every((d, i) => i === last || d === outShape[i]);
    if (same) {
      for (let i = 0; i < x.length; i++) out.fill(x[i], i * inner, (i + 1) * inner);
      return out;
    }
  }
  // Leading size-1 axes broadcast like missing ones; then x must match the output's trailing axes.
  let lead = 0;
  while (lead < shape.length && shape[lead] === 1) lead++;
  const rest = shape.length - lead;
  const trailing =
    rest <= outShape.length && shape.slice(lead).every((d, i) => d === outShape[outShape.length - rest + i]);
  if (trailing && x.length > 0) {
    // Only leading axes are broadcast: the output is copies of x, one after the other.
    for (let start = 0; start < out.length; start += x.length) out.set(x, start);
    return out;
  }
  forEachBroadcast(outShape, [broadcastStrides(shape, outShape)], (o, offs) => {
    out[o] = x[offs[0]];
  });
  return out;
}

function slice(x: Float32Array, shape: Shape, starts: readonly number[], sizes: readonly number[]): Float32Array {
  const strides = stridesOf(shape);
  let base = 0;
  for (let i = 0; i < shape.length; i++) base += starts[i] * strides[i];
  const out = allocate(shapeSize(sizes));
  forEachBroadcast(sizes, [strides], (o, offs) => {
    out[o] = x[base + offs[0]];
  });
  return out;
}

function pad(x: Float32Array, shape: Shape, before: readonly number[], after: readonly number[]): Float32Array {
  const outShape = shape.map((d, i) => d + before[i] + after[i]);
  const outStrides = stridesOf(outShape);
  let base = 0;
  for (let i = 0; i < shape.length; i++) base += before[i] * outStrides[i];
  const out = allocate(shapeSize(outShape));
  forEachBroadcast(shape, [outStrides], (i, offs) => {
    out[base + offs[0]] = x[i];
  });
  return out;
}

function take(x: Float32Array, shape: Shape, indices: Int32Array, axis: number): Float32Array {
  const outer = shapeSize(shape.slice(0, axis));
  const len = shape[axis];
  const inner = shapeSize(shape.slice(axis + 1));
  const m = indices.length;
  const out = allocate(outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const src = (o * len + indices[j]) * inner;
      const dst = (o * m + j) * inner;
      for (let s = 0; s < inner; s++) out[dst + s] = x[src + s];
    }
  }
  return out;
}

function scatterAdd(g: Float32Array, indices: Int32Array, axis: number, shape: Shape): Float32Array {
  const outer = shapeSize(shape.slice(0, axis));
  const len = shape[axis];
  const inner = shapeSize(shape.slice(axis + 1));
  const m = indices.length;
  const out = allocate(shapeSize(shape));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = (o * len + indices[j]) * inner;
      const src = (o * m + j) * inner;
      for (let s = 0; s < inner; s++) out[dst + s] += g[src + s];
    }
  }
  return out;
}

function concat(xs: readonly Float32Array[], shapes: readonly Shape[], axis: number): Float32Array {
  const outer = shapeSize(shapes[0].slice(0, axis));
  const chunk = shapes.map((s) => shapeSize(s.slice(axis)));
  const total = chunk.reduce((p, c) => p + c, 0);
  const out = allocate(outer * total);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < xs.length; t++) {
      out.set(xs[t].subarray(o * chunk[t], (o + 1) * chunk[t]), pos);
      pos += chunk[t];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Linear algebra and special functions (float64 inside, one rounding to float32 at the end)

/** Where a failing matrix sits in its batch, for error messages: ' (batch index [i,j])', or '' unbatched. */
function batchIndexSuffix(bi: number, batchShape: Shape): string {
  if (batchShape.length === 0) return '';
  const idx = stridesOf(batchShape).map((s, d) => Math.floor(bi / s) % batchShape[d]);
  return ` (batch index [${idx.join(',')}])`;
}

/** Column by column (the Cholesky–Crout order), reading only the lower triangle of each matrix. */
function cholesky(a: Float32Array, shape: Shape): Float32Array {
  const n = shape[shape.length - 1];
  const batchShape = shape.slice(0, -2);
  const batch = shapeSize(batchShape);
  const out = allocate(a.length);
  const l = new Float64Array(n * n);
  for (let bi = 0; bi < batch; bi++) {
    const o = bi * n * n;
    l.fill(0);
    for (let j = 0; j < n; j++) {
      let s = a[o + j * n + j];
      for (let k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
      if (!(s > 0)) {
        fail(
          'cholesky',
          `matrix is not positive definite: the leading minor of order ${j + 1} is not positive ` +
            `(pivot ${s})${batchIndexSuffix(bi, batchShape)}`,
        );
      }
      const d = Math.sqrt(s);
      l[j * n + j] = d;
      for (let i = j + 1; i < n; i++) {
        let t = a[o + i * n + j];
        for (let k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
        l[i * n + j] = t / d;
      }
    }
    for (let i = 0; i < n * n; i++) out[o + i] = l[i];
  }
  return out;
}

/** Forward substitution when op(a) is lower-triangular, back substitution when upper; one column of b at a time. */
function triangularSolve(
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  lower: boolean,
  transpose: boolean,
): Float32Array {
  const n = aShape[aShape.length - 1];
  const k = bShape[bShape.length - 1];
  const batch = shapeSize(bShape.slice(0, -2));
  const out = allocate(batch * n * k);
  const x = new Float64Array(n);
  // op(a)[i][j]: a[i][j], or a[j][i] when transposed. op(a) is lower-triangular iff lower !== transpose.
  const forward = lower !== transpose;
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * n * n;
    const bo = bi * n * k;
    const m = (i: number, j: number): number => (transpose ? a[ao + j * n + i] : a[ao + i * n + j]);
    for (let col = 0; col < k; col++) {
      if (forward) {
        for (let i = 0; i < n; i++) {
          let s = b[bo + i * k + col];
          for (let j = 0; j < i; j++) s -= m(i, j) * x[j];
          x[i] = s / m(i, i);
        }
      } else {
        for (let i = n - 1; i >= 0; i--) {
          let s = b[bo + i * k + col];
          for (let j = i + 1; j < n; j++) s -= m(i, j) * x[j];
          x[i] = s / m(i, i);
        }
      }
      for (let i = 0; i < n; i++) out[bo + i * k + col] = x[i];
    }
  }
  return out;
}

function gammaLogSampleGrad(
  alpha: Float32Array,
  alphaShape: Shape,
  logZ: Float32Array,
  logZShape: Shape,
  outShape: Shape,
): Float32Array {
  const out = allocate(shapeSize(outShape));
  if (shapesEqual(alphaShape, outShape) && shapesEqual(logZShape, outShape)) {
    for (let i = 0; i < out.length; i++) out[i] = gammaLogSampleGradAt(alpha[i], logZ[i]);
    return out;
  }
  const strides = [broadcastStrides(alphaShape, outShape), broadcastStrides(logZShape, outShape)];
  forEachBroadcast(outShape, strides, (o, offs) => {
    out[o] = gammaLogSampleGradAt(alpha[offs[0]], logZ[offs[1]]);
  });
  return out;
}

export const jsBackend: Backend = {
  name: 'js',
  unary,
  binary,
  unaryScalar,
  binaryScalar,
  where,
  reduce,
  cumsum,
  matmul,
  matmulTransposed,
  transpose,
  broadcastTo,
  slice,
  pad,
  take,
  scatterAdd,
  concat,
  allocate,
  cholesky,
  triangularSolve,
  gammaLogSampleGrad,
  adamUpdate,
  bernoulliLogits,
  bernoulliLogitsGrad,
  logsumexp,
};
