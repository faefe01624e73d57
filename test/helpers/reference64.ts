/**
 * Float64 reference implementations of Sieve's differentiable ops, for gradient tests: the
 * gradient Sieve computes in float32 is compared with central finite differences of these
 * functions, evaluated in float64 at the same (float32-representable) inputs.
 *
 * Arrays are `{ shape, data }` with row-major Float64Array data. The code is deliberately naive
 * (index arithmetic per element) and independent of Sieve's kernels; the only import is the float64
 * special functions (log-gamma, digamma, polygamma), which are plain-number code.
 *
 * Sums use compensated (Neumaier) summation, so every reference output is accurate to a few float64
 * ulps of its own size even after cancellation: the finite differences taken of these functions
 * then carry a tiny, boundable error (see gradtest.ts).
 */
import { lgamma as lgamma64, polygamma as polygamma64 } from '../../src/tensor/special.js';

export interface A64 {
  shape: number[];
  data: Float64Array;
}

export type Axis = number | readonly number[] | undefined;

/**
 * Σ values with Neumaier's compensation: error ≤ 2u·|Σ| + O(n u²)·Σ|v| (u = 2^-53), instead of the
 * naive n·u·Σ|v| that cancellation would expose in a finite difference.
 */
export function fsum(values: Iterable<number>): number {
  let s = 0;
  let c = 0;
  for (const v of values) {
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

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
        if (d !== 1 && d !== v)
          throw new Error(`reference64: shapes ${shapes.map((t) => `[${t}]`).join(' ')} do not broadcast`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/** The flat index of the element of an array of shape `shape` read at index `idx` of a broadcast shape. */
export function broadcastSource(shape: readonly number[], idx: readonly number[]): number {
  const off = idx.length - shape.length;
  return ravel(
    shape.map((d, i) => (d === 1 ? 0 : idx[i + off])),
    shape,
  );
}

/** Read x at index `idx` of a larger (broadcast) shape. */
function readB(x: A64, idx: readonly number[]): number {
  return x.data[broadcastSource(x.shape, idx)];
}

/**
 * Index bookkeeping depends only on shapes and axes, and finite differences evaluate the same op
 * hundreds of times: compute it once per key.
 */
const indexCache = new Map<string, unknown>();
function memo<T>(key: string, compute: () => T): T {
  if (!indexCache.has(key)) {
    if (indexCache.size > 10_000) indexCache.clear();
    indexCache.set(key, compute());
  }
  return indexCache.get(key) as T;
}

/** For each element of the broadcast shape `out`, the flat index it reads in an array of shape `shape`. */
function broadcastMap(shape: readonly number[], out: readonly number[]): Int32Array {
  const compute = (): Int32Array =>
    Int32Array.from({ length: size(out) }, (_, k) => broadcastSource(shape, unravel(k, out)));
  return memo(`bmap ${shape} | ${out}`, compute);
}

export function broadcastTo(x: A64, shape: readonly number[]): A64 {
  const src = broadcastMap(x.shape, shape);
  return { shape: [...shape], data: Float64Array.from(src, (p) => x.data[p]) };
}

// ---------------------------------------------------------------------------------------------
// Elementwise

export function map(x: A64, f: (v: number) => number): A64 {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export function zip(a: A64, b: A64, f: (x: number, y: number) => number): A64 {
  const shape = broadcastShape(a.shape, b.shape);
  const [sa, sb] = [broadcastMap(a.shape, shape), broadcastMap(b.shape, shape)];
  return { shape, data: Float64Array.from(sa, (p, k) => f(a.data[p], b.data[sb[k]])) };
}

export function where(c: A64, a: A64, b: A64): A64 {
  const shape = broadcastShape(c.shape, a.shape, b.shape);
  const [sc, sa, sb] = [c, a, b].map((x) => broadcastMap(x.shape, shape));
  return { shape, data: Float64Array.from(sc, (p, k) => (c.data[p] !== 0 ? a.data[sa[k]] : b.data[sb[k]])) };
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
  digamma: digamma64,
} satisfies Record<string, (v: number) => number>;

export const polygamma =
  (n: number) =>
  (v: number): number =>
    n === 0 ? digamma64(v) : polygamma64(n, v);

/**
 * ψ(x) for x > 0 to a few ulps: the recurrence ψ(x) = ψ(x + 1) − 1/x (compensated sum) up to x ≥ 20,
 * then the asymptotic series, whose first omitted term is below 1e-17 there. Sieve's digamma
 * (src/tensor/special.ts) switches to the series at x ≥ 6, where the omitted term is ~1e-11: harmless
 * in float32, but it makes a step of that size wherever the number of recurrence steps changes (at
 * every integer), which a central difference over 1e-6 would turn into a 1e-6 error.
 */
export function digamma64(x: number): number {
  if (!(x > 0)) return NaN;
  const terms: number[] = [];
  for (; x < 20; x += 1) terms.push(-1 / x);
  const f = 1 / (x * x);
  terms.push(Math.log(x), -0.5 / x, -f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132)))));
  return fsum(terms);
}

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

/**
 * The flat positions of x's elements in each reduced group, groups in the order of the reduced
 * output's elements.
 */
export function reductionGroups(shape: readonly number[], axis: Axis): number[][] {
  return memo(`groups ${shape} | ${JSON.stringify(axis)}`, () => computeReductionGroups(shape, axis));
}

function computeReductionGroups(shape: readonly number[], axis: Axis): number[][] {
  const axes = normAxes(axis, shape.length);
  const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: size(keep) }, () => []);
  for (let i = 0; i < size(shape); i++) {
    const idx = unravel(i, shape).map((v, d) => (axes.includes(d) ? 0 : v));
    groups[ravel(idx, keep)].push(i);
  }
  return groups;
}

export function reduce(x: A64, axis: Axis, keepdims: boolean, f: (vs: number[]) => number): A64 {
  const axes = normAxes(axis, x.shape.length);
  const groups = reductionGroups(x.shape, axis).map((g) => g.map((p) => x.data[p]));
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const shape = keepdims ? kept : x.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: Float64Array.from(groups.map(f)) };
}

const lse = (vs: number[]): number => {
  const m = Math.max(...vs);
  return m + Math.log(fsum(vs.map((v) => Math.exp(v - m))));
};

export const reducers = {
  sum: (vs: number[]) => fsum(vs),
  mean: (vs: number[]) => fsum(vs) / vs.length,
  max: (vs: number[]) => Math.max(...vs),
  min: (vs: number[]) => Math.min(...vs),
  logsumexp: lse,
};

/** The flat positions of every 1-D lane along `axis`. */
export function lanePositions(shape: readonly number[], axis: number): number[][] {
  return memo(`lanes ${shape} | ${axis}`, () => computeLanePositions(shape, axis));
}

function computeLanePositions(shape: readonly number[], axis: number): number[][] {
  const nd = shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  const lanes: number[][] = [];
  for (let i = 0; i < size(shape); i++) {
    const idx = unravel(i, shape);
    if (idx[ax] !== 0) continue;
    lanes.push(
      Array.from({ length: shape[ax] }, (_, j) =>
        ravel(
          idx.map((v, d) => (d === ax ? j : v)),
          shape,
        ),
      ),
    );
  }
  return lanes;
}

/** Replace every 1-D lane along `axis` by f(lane) (same length). */
export function alongAxis(x: A64, axis: number, f: (lane: number[]) => number[]): A64 {
  const out = new Float64Array(x.data.length);
  for (const pos of lanePositions(x.shape, axis)) {
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
  cumsum: (vs: number[]) => vs.map((_, i) => fsum(vs.slice(0, i + 1))),
  cumsumReverse: (vs: number[]) => vs.map((_, i) => fsum(vs.slice(i))),
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
  // Broadcast both operands to the full batch shape, then multiply matrix by matrix.
  const A = broadcastTo(a2, [...batch, m, k]).data;
  const B = broadcastTo(b2, [...batch, k, n]).data;
  const out = { shape: [...batch, m, n], data: new Float64Array(size(batch) * m * n) };
  const terms = new Array<number>(k);
  for (let t = 0; t < size(batch); t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        // Products of float32 values are exact in float64; only the sum rounds.
        for (let p = 0; p < k; p++) terms[p] = A[(t * m + i) * k + p] * B[(t * k + p) * n + j];
        out.data[(t * m + i) * n + j] = fsum(terms);
      }
    }
  }
  let shape = out.shape;
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  if (a.shape.length === 1)
    shape = b.shape.length === 1 ? shape.slice(0, -1) : [...shape.slice(0, -2), shape[shape.length - 1]];
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
  const p =
    perm === undefined ? Array.from({ length: nd }, (_, i) => nd - 1 - i) : perm.map((a) => (a < 0 ? a + nd : a));
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
    const norm = (v: number | null | undefined, dflt: number): number =>
      v === null || v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const s = norm(starts[i], 0);
    const e = norm(ends?.[i], d);
    st.push(s);
    sz.push(Math.max(e - s, 0));
  });
  return generate(sz, (idx) =>
    at(
      x,
      idx.map((v, i) => v + st[i]),
    ),
  );
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
      if (j < x.shape[ax])
        return at(
          x,
          idx.map((v, i) => (i === ax ? j : v)),
        );
      j -= x.shape[ax];
    }
    throw new Error('reference64: concat index out of range');
  });
}

export function stack(xs: readonly A64[], axis: number): A64 {
  return concat(
    xs.map((x) => expandDims(x, axis)),
    axis,
  );
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
