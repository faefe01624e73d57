/**
 * A tiny NumPy-like float64 reference implementation, written independently of Sieve in plain JS
 * numbers, used to check the forward values of every tensor op. Nothing here imports from src/:
 * arrays are `{ shape, data }` with row-major `data`.
 */

export interface Arr {
  shape: number[];
  data: number[];
}

// ---------------------------------------------------------------------------------------------
// Shapes and indexing

export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

export function arr(shape: readonly number[], data: ArrayLike<number>): Arr {
  if (data.length !== size(shape)) throw new Error(`reference: ${data.length} values for shape [${shape}]`);
  return { shape: [...shape], data: Array.from(data) };
}

/** Multi-index of flat position `flat` in `shape` (row-major). */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** Flat position of multi-index `idx` in `shape` (row-major). */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + idx[d];
  return flat;
}

/** Build an array by evaluating `f` at every multi-index of `shape`. */
export function generate(shape: readonly number[], f: (idx: number[]) => number): Arr {
  const n = size(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) data[i] = f(unravel(i, shape));
  return { shape: [...shape], data };
}

export function at(x: Arr, idx: readonly number[]): number {
  return x.data[ravel(idx, x.shape)];
}

/** NumPy broadcast of two shapes, or null if incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The element of `x` read at output index `idx` of a broadcast to a larger shape. */
function readBroadcast(x: Arr, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  return at(
    x,
    x.shape.map((d, i) => (d === 1 ? 0 : idx[i + off])),
  );
}

export function broadcastTo(x: Arr, shape: readonly number[]): Arr {
  return generate(shape, (idx) => readBroadcast(x, idx));
}

// ---------------------------------------------------------------------------------------------
// Elementwise

export function map(x: Arr, f: (v: number) => number): Arr {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export function zip(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const shape = broadcastShape(a.shape, b.shape);
  if (shape === null) throw new Error(`reference: cannot broadcast [${a.shape}] and [${b.shape}]`);
  return generate(shape, (idx) => f(readBroadcast(a, idx), readBroadcast(b, idx)));
}

export function where(c: Arr, a: Arr, b: Arr): Arr {
  const s1 = broadcastShape(c.shape, a.shape);
  const shape = s1 && broadcastShape(s1, b.shape);
  if (shape === null) throw new Error('reference: where shapes do not broadcast');
  return generate(shape, (idx) => (readBroadcast(c, idx) !== 0 ? readBroadcast(a, idx) : readBroadcast(b, idx)));
}

/** Stable float64 scalar functions (reference semantics, NaN-propagating like NumPy). */
export const scalar = {
  sigmoid: (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  logSigmoid: (x: number): number => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x))),
  relu: (x: number): number => (Number.isNaN(x) ? NaN : x > 0 ? x : 0),
  maximum: (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a >= b ? a : b),
  minimum: (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a <= b ? a : b),
};

// ---------------------------------------------------------------------------------------------
// Reductions

function normAxes(axis: number | readonly number[] | undefined, nd: number): number[] {
  if (axis === undefined) return Array.from({ length: nd }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  return list.map((a) => (a < 0 ? a + nd : a));
}

/** Apply `f` to the list of values of each reduced group (NumPy semantics for keepdims). */
export function reduce(
  x: Arr,
  axis: number | readonly number[] | undefined,
  keepdims: boolean,
  f: (vs: number[]) => number,
): Arr {
  const axes = normAxes(axis, x.shape.length);
  const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: size(keepShape) }, () => []);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (axes.includes(d) ? 0 : v));
    groups[ravel(idx, keepShape)].push(x.data[i]);
  }
  const shape = keepdims ? keepShape : x.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: groups.map(f) };
}

export const reducers = {
  sum: (vs: number[]): number => vs.reduce((s, v) => s + v, 0),
  mean: (vs: number[]): number => vs.reduce((s, v) => s + v, 0) / vs.length,
  max: (vs: number[]): number => (vs.some(Number.isNaN) ? NaN : Math.max(...vs)),
  min: (vs: number[]): number => (vs.some(Number.isNaN) ? NaN : Math.min(...vs)),
  logsumexp: (vs: number[]): number => {
    const m = Math.max(...vs);
    if (Number.isNaN(m)) return NaN;
    if (m === Infinity) return Infinity;
    if (m === -Infinity) return -Infinity;
    return m + Math.log(vs.reduce((s, v) => s + Math.exp(v - m), 0));
  },
};

/** Apply `f` to every 1-D lane along `axis`, replacing it with the lane `f` returns (same length). */
export function alongAxis(x: Arr, axis: number, f: (lane: number[]) => number[]): Arr {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const out = new Array<number>(x.data.length);
  const len = x.shape[ax];
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    if (idx[ax] !== 0) continue;
    const positions = Array.from({ length: len }, (_, j) =>
      ravel(
        idx.map((v, d) => (d === ax ? j : v)),
        x.shape,
      ),
    );
    const lane = f(positions.map((p) => x.data[p]));
    positions.forEach((p, j) => (out[p] = lane[j]));
  }
  return { shape: [...x.shape], data: out };
}

export function cumsum(x: Arr, axis: number, reverse = false): Arr {
  return alongAxis(x, axis, (lane) => {
    const out = new Array<number>(lane.length);
    let acc = 0;
    for (let k = 0; k < lane.length; k++) {
      const j = reverse ? lane.length - 1 - k : k;
      acc += lane[j];
      out[j] = acc;
    }
    return out;
  });
}

export function logSoftmax(x: Arr, axis: number): Arr {
  return alongAxis(x, axis, (lane) => {
    const lse = reducers.logsumexp(lane);
    return lane.map((v) => v - lse);
  });
}

export function softmax(x: Arr, axis: number): Arr {
  return alongAxis(x, axis, (lane) => {
    const m = Math.max(...lane);
    const e = lane.map((v) => Math.exp(v - m));
    const s = e.reduce((p, v) => p + v, 0);
    return e.map((v) => v / s);
  });
}

// ---------------------------------------------------------------------------------------------
// Linear algebra

/** NumPy matmul: 1-D operands promoted (row on the left, column on the right), batch dims broadcast. */
export function matmul(a: Arr, b: Arr): Arr {
  const A = a.shape.length === 1 ? { shape: [1, a.shape[0]], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [b.shape[0], 1], data: b.data } : b;
  const m = A.shape[A.shape.length - 2];
  const k = A.shape[A.shape.length - 1];
  const n = B.shape[B.shape.length - 1];
  if (B.shape[B.shape.length - 2] !== k) throw new Error('reference: matmul inner dims');
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  if (batch === null) throw new Error('reference: matmul batch dims');
  const Ab = broadcastTo(A, [...batch, m, k]);
  const Bb = broadcastTo(B, [...batch, k, n]);
  const out = generate([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let p = 0; p < k; p++) s += at(Ab, [...bi, i, p]) * at(Bb, [...bi, p, j]);
    return s;
  });
  // Drop the promoted axes: the m axis for a 1-D left operand, the n axis for a 1-D right one.
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
  return arr(shape, out.data);
}

// ---------------------------------------------------------------------------------------------
// Movement

export function reshape(x: Arr, shape: readonly number[]): Arr {
  return arr(shape, x.data);
}

/** out.shape[j] = x.shape[perm[j]]; default perm reverses the axes. */
export function transpose(x: Arr, perm?: readonly number[]): Arr {
  const nd = x.shape.length;
  const p = (perm ?? Array.from({ length: nd }, (_, i) => nd - 1 - i)).map((a) => (a < 0 ? a + nd : a));
  const outShape = p.map((a) => x.shape[a]);
  return generate(outShape, (idx) => {
    const src = new Array<number>(nd);
    p.forEach((a, j) => (src[a] = idx[j]));
    return at(x, src);
  });
}

/** Python slice bounds (step 1): null = whole range, negatives from the end, clamped to [0, d]. */
export function sliceBounds(
  d: number,
  start: number | null | undefined,
  end: number | null | undefined,
): [number, number] {
  const norm = (v: number, dflt: number, isNull: boolean): number => {
    if (isNull) return dflt;
    if (v < 0) v += d;
    return Math.min(Math.max(v, 0), d);
  };
  const s = norm(start ?? 0, 0, start === null || start === undefined);
  const e = norm(end ?? 0, d, end === null || end === undefined);
  return [s, Math.max(s, e)];
}

export function slice(x: Arr, starts: readonly (number | null)[], ends?: readonly (number | null)[]): Arr {
  const bounds = x.shape.map((d, i) => sliceBounds(d, starts[i], ends?.[i]));
  return generate(
    bounds.map(([s, e]) => e - s),
    (idx) =>
      at(
        x,
        idx.map((v, i) => v + bounds[i][0]),
      ),
  );
}

export function pad(x: Arr, before: readonly number[], after: readonly number[]): Arr {
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  return generate(shape, (idx) => {
    const src = idx.map((v, i) => v - before[i]);
    return src.every((v, i) => v >= 0 && v < x.shape[i]) ? at(x, src) : 0;
  });
}

/** NumPy take along `axis` (negative indices wrap): out.shape = x[:axis] + idx.shape + x[axis+1:]. */
export function take(x: Arr, indices: Arr, axis: number): Arr {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const ni = indices.shape.length;
  const shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  return generate(shape, (idx) => {
    let j = at(indices, idx.slice(ax, ax + ni));
    if (j < 0) j += x.shape[ax];
    return at(x, [...idx.slice(0, ax), j, ...idx.slice(ax + ni)]);
  });
}

/** NumPy take_along_axis with broadcasting of the non-axis dims. */
export function takeAlongAxis(x: Arr, indices: Arr, axis: number): Arr {
  const nd = x.shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  const shape = x.shape.map((d, i) => (i === ax ? indices.shape[i] : d === 1 ? indices.shape[i] : d));
  return generate(shape, (idx) => {
    const j = readBroadcast(
      indices,
      idx.map((v, i) => (i === ax ? v : indices.shape[i] === 1 ? 0 : v)),
    );
    return at(
      x,
      idx.map((v, i) => (i === ax ? j : x.shape[i] === 1 ? 0 : v)),
    );
  });
}

export function concat(xs: readonly Arr[], axis: number): Arr {
  const nd = xs[0].shape.length;
  const ax = axis < 0 ? axis + nd : axis;
  const offsets: number[] = [];
  let total = 0;
  for (const x of xs) {
    offsets.push(total);
    total += x.shape[ax];
  }
  const shape = xs[0].shape.map((d, i) => (i === ax ? total : d));
  return generate(shape, (idx) => {
    let t = 0;
    // the last part starting at or before idx[ax] (never an empty one: the next starts at the same place)
    while (t + 1 < xs.length && idx[ax] >= offsets[t + 1]) t++;
    return at(
      xs[t],
      idx.map((v, i) => (i === ax ? v - offsets[t] : v)),
    );
  });
}

export function expandDims(x: Arr, axis: number): Arr {
  const ax = axis < 0 ? axis + x.shape.length + 1 : axis;
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return arr(shape, x.data);
}

export function stack(xs: readonly Arr[], axis: number): Arr {
  return concat(
    xs.map((x) => expandDims(x, axis)),
    axis < 0 ? axis + xs[0].shape.length + 1 : axis,
  );
}

export function oneHot(indices: Arr, depth: number): Arr {
  return generate([...indices.shape, depth], (idx) => (at(indices, idx.slice(0, -1)) === idx[idx.length - 1] ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Special functions, computed differently from src/tensor/special.ts (which uses Lanczos for
// lgamma): recurrence up to x >= 12, then the Stirling / asymptotic series.

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  let shift = 0;
  while (x < 12) {
    shift += Math.log(x);
    x += 1;
  }
  const z = 1 / (x * x);
  const series = (1 / 12 - z * (1 / 360 - z * (1 / 1260 - z * (1 / 1680 - z / 1188)))) / x;
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series - shift;
}

const BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6];

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

export function digamma(x: number): number {
  if (Number.isNaN(x) || (x <= 0 && Number.isInteger(x))) return NaN;
  if (x < 0.5) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  let acc = 0;
  while (x < 12) {
    acc -= 1 / x;
    x += 1;
  }
  let s = Math.log(x) - 1 / (2 * x);
  for (let k = 1; k <= BERNOULLI.length; k++) s -= BERNOULLI[k - 1] / (2 * k * Math.pow(x, 2 * k));
  return acc + s;
}

/** ψ⁽ⁿ⁾(x) for n >= 1, x > 0: (-1)^{n+1} n! Σ_k (x+k)^{-(n+1)}, with an Euler–Maclaurin tail. */
export function polygamma(n: number, x: number): number {
  if (n === 0) return digamma(x);
  if (!(x > 0)) return NaN;
  let acc = 0;
  while (x < 20) {
    acc += Math.pow(x, -(n + 1));
    x += 1;
  }
  // Σ_{k>=0} f(x+k) with f(t) = t^{-(n+1)}: ∫_x^∞ f + f(x)/2 - Σ_j B_2j/(2j)! f^{(2j-1)}(x)
  let tail = Math.pow(x, -n) / n + 0.5 * Math.pow(x, -(n + 1));
  for (let j = 1; j <= BERNOULLI.length; j++) {
    // f^{(2j-1)}(x) = -(n+1)(n+2)...(n+2j-1) x^{-(n+2j)}
    let rising = 1;
    for (let i = 1; i <= 2 * j - 1; i++) rising *= n + i;
    tail += (BERNOULLI[j - 1] / factorial(2 * j)) * rising * Math.pow(x, -(n + 2 * j));
  }
  return (n % 2 === 1 ? 1 : -1) * factorial(n) * (acc + tail);
}
