/**
 * Float64 reference implementations of Sieve's differentiable ops, for gradient tests: the
 * gradient Sieve computes in float32 is compared with central finite differences of these
 * functions, evaluated in float64 at the same (float32-representable) inputs.
 *
 * Arrays are `{ shape, data }` with row-major Float64Array data. The code is deliberately naive
 * (index arithmetic per element) and independent of Sieve's kernels; the only import is the float64
 * special functions (log-gamma, digamma, polygamma), which are plain-number code.
 */
import { lgamma as lgamma64, polygamma as polygamma64 } from '../../src/tensor/special.js';

export interface A64 {
  shape: number[];
  data: Float64Array;
}

export type Axis = number | readonly number[] | undefined;

export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

export function a64(shape: readonly number[], data: ArrayLike<number>): A64 {
  if (data.length !== size(shape)) throw new Error(`reference64: ${data.length} values for shape [${shape}]`);
  return { shape: [...shape], data: Float64Array.from(data) };
}

export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + idx[d];
  return flat;
}

export function generate(shape: readonly number[], f: (idx: number[]) => number): A64 {
  const n = size(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = f(unravel(i, shape));
  return { shape: [...shape], data };
}

const at = (x: A64, idx: readonly number[]): number => x.data[ravel(idx, x.shape)];

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - n + i] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) throw new Error(`reference64: shapes ${shapes.map((t) => `[${t}]`).join(' ')} do not broadcast`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/** Read x at index `idx` of a larger (broadcast) shape. */
function readB(x: A64, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  return at(x, x.shape.map((d, i) => (d === 1 ? 0 : idx[i + off])));
}

export function broadcastTo(x: A64, shape: readonly number[]): A64 {
  return generate(shape, (idx) => readB(x, idx));
}

// ---------------------------------------------------------------------------------------------
// Elementwise

export function map(x: A64, f: (v: number) => number): A64 {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export function zip(a: A64, b: A64, f: (x: number, y: number) => number): A64 {
  return generate(broadcastShape(a.shape, b.shape), (idx) => f(readB(a, idx), readB(b, idx)));
}

export function where(c: A64, a: A64, b: A64): A64 {
  return generate(broadcastShape(c.shape, a.shape, b.shape), (idx) => (readB(c, idx) !== 0 ? readB(a, idx) : readB(b, idx)));
}

const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
const softplus = (v: number): number => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

export const unary = {
  neg: (v: number) => -v,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  square: (v: number) => v * v,
  abs: Math.abs,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid,
  logSigmoid: (v: number) => -softplus(-v),
  softplus,
  relu: (v: number) => (v > 0 ? v : 0),
  lgamma: lgamma64,
  digamma: (v: number) => polygamma64(0, v),
} satisfies Record<string, (v: number) => number>;

export const polygamma = (n: number) => (v: number): number => polygamma64(n, v);

export const binary = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number) => a / b,
  pow: Math.pow,
  maximum: Math.max,
  minimum: Math.min,
  logaddexp: (a: number, b: number) => {
    const m = Math.max(a, b);
    return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
  },
} satisfies Record<string, (a: number, b: number) => number>;

export function clip(x: A64, lo: A64, hi: A64): A64 {
  return zip(zip(x, lo, Math.max), hi, Math.min);
}

// ---------------------------------------------------------------------------------------------
// Reductions and lane-wise ops

export function normAxes(axis: Axis, nd: number): number[] {
  if (axis === undefined) return Array.from({ length: nd }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  return list.map((a) => (a < 0 ? a + nd : a)).sort((p, q) => p - q);
}

export function reduce(x: A64, axis: Axis, keepdims: boolean, f: (vs: number[]) => number): A64 {
  const axes = normAxes(axis, x.shape.length);
  const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: size(keep) }, () => []);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (axes.includes(d) ? 0 : v));
    groups[ravel(idx, keep)].push(x.data[i]);
  }
  const shape = keepdims ? keep : x.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: Float64Array.from(groups.map(f)) };
}

const lse = (vs: number[]): number => {
  const m = Math.max(...vs);
  return m + Math.log(vs.reduce((s, v) => s + Math.exp(v - m), 0));
};

export const reducers = {
  sum: (vs: number[]) => vs.reduce((s, v) => s + v, 0),
  mean: (vs: number[]) => vs.reduce((s, v) => s + v, 0) / vs.length,
  max: (vs: number[]) => Math.max(...vs),
  min: (vs: number[]) => Math.min(...vs),
  logsumexp: lse,
};

/** Replace every 1-D lane along `axis` by f(lane) (same length). */
export function alongAxis(x: A64, axis: number, f: (lane: number[]) => number[]): A64 {
  const nd = x.shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  const out = new Float64Array(x.data.length);
  const len = x.shape[ax];
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    if (idx[ax] !== 0) continue;
    const pos = Array.from({ length: len }, (_, j) => ravel(idx.map((v, d) => (d === ax ? j : v)), x.shape));
    const lane = f(pos.map((p) => x.data[p]));
    pos.forEach((p, j) => (out[p] = lane[j]));
  }
  return { shape: [...x.shape], data: out };
}

export const lanes = {
  softmax: (vs: number[]) => {
    const l = lse(vs);
    return vs.map((v) => Math.exp(v - l));
  },
  logSoftmax: (vs: number[]) => {
    const l = lse(vs);
    return vs.map((v) => v - l);
  },
  cumsum: (vs: number[]) => {
    let s = 0;
    return vs.map((v) => (s += v));
  },
  cumsumReverse: (vs: number[]) => {
    let s = 0;
    return vs.slice().reverse().map((v) => (s += v)).reverse();
  },
};

// ---------------------------------------------------------------------------------------------
// matmul, NumPy rules: 1-D operands are promoted and the added axis removed; batch axes broadcast.

export function matmul(a: A64, b: A64): A64 {
  const a2 = a.shape.length === 1 ? { shape: [1, a.shape[0]], data: a.data } : a;
  const b2 = b.shape.length === 1 ? { shape: [b.shape[0], 1], data: b.data } : b;
  const m = a2.shape[a2.shape.length - 2];
  const k = a2.shape[a2.shape.length - 1];
  const n = b2.shape[b2.shape.length - 1];
  const batch = broadcastShape(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const out = generate([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let p = 0; p < k; p++) s += readB(a2, [...bi, i, p]) * readB(b2, [...bi, p, j]);
    return s;
  });
  let shape = out.shape;
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  if (a.shape.length === 1) shape = b.shape.length === 1 ? shape.slice(0, -1) : [...shape.slice(0, -2), shape[shape.length - 1]];
  return { shape, data: out.data };
}

// ---------------------------------------------------------------------------------------------
// Movement

export function reshape(x: A64, shape: readonly number[]): A64 {
  const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const s = shape.map((d) => (d === -1 ? x.data.length / known : d));
  return { shape: s, data: x.data.slice() };
}

export function transpose(x: A64, perm?: readonly number[]): A64 {
  const nd = x.shape.length;
  const p = perm === undefined ? Array.from({ length: nd }, (_, i) => nd - 1 - i) : perm.map((a) => (a < 0 ? a + nd : a));
  const shape = p.map((a) => x.shape[a]);
  return generate(shape, (idx) => {
    const src = new Array<number>(nd);
    p.forEach((a, i) => (src[a] = idx[i]));
    return at(x, src);
  });
}

export function expandDims(x: A64, axis: number): A64 {
  const ax = axis < 0 ? axis + x.shape.length + 1 : axis;
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return { shape, data: x.data.slice() };
}

export function squeeze(x: A64, axis?: number | readonly number[]): A64 {
  const nd = x.shape.length;
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes(axis, nd);
  return { shape: x.shape.filter((_, i) => !axes.includes(i)), data: x.data.slice() };
}

/** Python slice bounds: null = full range, negative from the end, clamped. */
export function slice(x: A64, starts: readonly (number | null)[], ends?: readonly (number | null)[]): A64 {
  const st: number[] = [];
  const sz: number[] = [];
  x.shape.forEach((d, i) => {
    const norm = (v: number | null | undefined, dflt: number): number => (v === null || v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + d : v, 0), d));
    const s = norm(starts[i], 0);
    const e = norm(ends?.[i], d);
    st.push(s);
    sz.push(Math.max(e - s, 0));
  });
  return generate(sz, (idx) => at(x, idx.map((v, i) => v + st[i])));
}

export function pad(x: A64, before: readonly number[], after: readonly number[]): A64 {
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  return generate(shape, (idx) => {
    const src = idx.map((v, i) => v - before[i]);
    return src.every((v, i) => v >= 0 && v < x.shape[i]) ? at(x, src) : 0;
  });
}

/** NumPy take along `axis` with an index array of shape `ishape` (negative indices wrap). */
export function take(x: A64, indices: readonly number[], ishape: readonly number[], axis: number): A64 {
  const nd = x.shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  const len = x.shape[ax];
  const shape = [...x.shape.slice(0, ax), ...ishape, ...x.shape.slice(ax + 1)];
  const ni = ishape.length;
  return generate(shape, (idx) => {
    const j = indices[ravel(idx.slice(ax, ax + ni), ishape)];
    return at(x, [...idx.slice(0, ax), j < 0 ? j + len : j, ...idx.slice(ax + ni)]);
  });
}

/** take_along_axis with broadcasting of the other axes (Sieve's `gather`). */
export function gather(x: A64, indices: readonly number[], ishape: readonly number[], axis: number): A64 {
  const nd = x.shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  const xKeep = x.shape.map((d, i) => (i === ax ? 1 : d));
  const shape = broadcastShape(xKeep, ishape);
  const ind: A64 = { shape: [...ishape], data: Float64Array.from(indices) };
  return generate(shape, (idx) => {
    const j = readB(ind, idx);
    const src = idx.map((v, i) => (i === ax ? j : x.shape[i] === 1 ? 0 : v));
    return at(x, src);
  });
}

export function concat(xs: readonly A64[], axis: number): A64 {
  const nd = xs[0].shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  return generate(shape, (idx) => {
    let j = idx[ax];
    for (const x of xs) {
      if (j < x.shape[ax]) return at(x, idx.map((v, i) => (i === ax ? j : v)));
      j -= x.shape[ax];
    }
    throw new Error('reference64: concat index out of range');
  });
}

export function stack(xs: readonly A64[], axis: number): A64 {
  return concat(xs.map((x) => expandDims(x, axis)), axis);
}

export function split(x: A64, sections: number | readonly number[], axis: number): A64[] {
  const nd = x.shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  const len = x.shape[ax];
  const sizes = typeof sections === 'number' ? new Array<number>(sections).fill(len / sections) : [...sections];
  const out: A64[] = [];
  let start = 0;
  for (const s of sizes) {
    const starts = x.shape.map((_, i) => (i === ax ? start : 0));
    const ends = x.shape.map((d, i) => (i === ax ? start + s : d));
    out.push(slice(x, starts, ends));
    start += s;
  }
  return out;
}
