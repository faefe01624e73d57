/**
 * Movement primitives: operations that rearrange, select or copy values without arithmetic.
 * Each is linear, so its VJP is its adjoint: reshape ↔ reshape back, transpose ↔ inverse transpose,
 * broadcastTo ↔ sum over the broadcast axes, slice ↔ pad with zeros, take ↔ scatter-add,
 * concat ↔ split, cumsum ↔ reversed cumsum. The JVP of a linear op is the op applied to the tangent.
 */
import { fail } from '../../errors.js';
import { bind, definePrimitive, type Primitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import { normalizeAxes, normalizeAxis, shapesEqual, shapeToString, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { reshape } from './broadcast-sum.js';
import { zeros } from '../creation.js';

// reshape and broadcastTo (with its adjoint sumToShape) are movement ops too, but they share a file with
// `sum`, whose VJP is a broadcast (see broadcast-sum.ts). They are re-exported here under the family name.
export { broadcastTo, reshape, sumToShape } from './broadcast-sum.js';

/**
 * Normalize the position of a new axis inserted into a tensor of rank `ndim` (negative counts from
 * the end of the new shape). The message speaks of the input's rank, not the result's.
 */
function newAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim - 1 || axis > ndim) {
    fail(
      op,
      `axis ${axis} is out of range for a new axis of a tensor with ${ndim} dimension${ndim === 1 ? '' : 's'} ` +
        `(valid: ${-ndim - 1}..${ndim})`,
    );
  }
  return axis < 0 ? axis + ndim + 1 : axis;
}

/** Insert a dimension of size 1 at `axis` (negative counts from the end of the new shape). */
export function expandDims(x: Tensor, axis: number): Tensor {
  const ax = newAxis('expandDims', axis, x.ndim);
  const shape = x.shape.slice();
  shape.splice(ax, 0, 1);
  return reshape(x, shape);
}

/** Remove dimensions of size 1 (all of them, or the given axes, which must have size 1). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  const axes =
    axis === undefined
      ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      : normalizeAxes('squeeze', axis, x.ndim);
  for (const a of axes) {
    if (x.shape[a] !== 1)
      fail('squeeze', `axis ${a} of shape ${shapeToString(x.shape)} has size ${x.shape[a]}, expected 1`);
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
}

// ---------------------------------------------------------------------------------------------
// transpose

const transposeP = definePrimitive<readonly number[]>({
  name: 'transpose',
  impl: ([x], perm) =>
    Tensor.fromData(
      getBackend().transpose(x._data!, x.shape, perm),
      perm.map((p) => x.shape[p]),
    ),
  vjp: (g, _x, _y, perm) => [transpose(g, inversePermutation(perm))],
  jvp: ([t], _x, _y, perm) => (t === null ? null : transpose(t, perm)),
});

function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Permute the axes: output axis i is input axis perm[i]. Default: reverse all axes. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const nd = x.ndim;
  const p =
    perm === undefined
      ? Array.from({ length: nd }, (_, i) => nd - 1 - i)
      : perm.map((a) => normalizeAxis('transpose', a, nd));
  if (p.length !== nd || new Set(p).size !== nd) {
    fail('transpose', `perm [${perm?.join(',')}] is not a permutation of the ${nd} axes of ${shapeToString(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return x;
  return bind(transposeP, [x], p);
}

/** Swap the last two axes (matrix transpose, batched). */
export function matrixTranspose(x: Tensor): Tensor {
  if (x.ndim < 2) fail('matrixTranspose', `needs at least 2 dimensions, got shape ${shapeToString(x.shape)}`);
  const perm = x.shape.map((_, i) => i);
  perm[x.ndim - 1] = x.ndim - 2;
  perm[x.ndim - 2] = x.ndim - 1;
  return transpose(x, perm);
}

// ---------------------------------------------------------------------------------------------
// slice and pad

interface SliceParams {
  starts: readonly number[];
  sizes: readonly number[];
}
interface PadParams {
  before: readonly number[];
  after: readonly number[];
}

const sliceP: Primitive<SliceParams> = definePrimitive<SliceParams>({
  name: 'slice',
  impl: ([x], { starts, sizes }) => Tensor.fromData(getBackend().slice(x._data!, x.shape, starts, sizes), sizes),
  vjp: (g, [x], _y, { starts, sizes }) => [
    pad(
      g,
      starts,
      x.shape.map((d, i) => d - starts[i] - sizes[i]),
    ),
  ],
  jvp: ([t], _x, _y, p) => (t === null ? null : bind(sliceP, [t], p)),
});

const padP: Primitive<PadParams> = definePrimitive<PadParams>({
  name: 'pad',
  impl: ([x], { before, after }) =>
    Tensor.fromData(
      getBackend().pad(x._data!, x.shape, before, after),
      x.shape.map((d, i) => d + before[i] + after[i]),
    ),
  vjp: (g, [x], _y, { before }) => [bind(sliceP, [g], { starts: before, sizes: x.shape })],
  jvp: ([t], _x, _y, p) => (t === null ? null : bind(padP, [t], p)),
});

/**
 * The sub-tensor from `starts` (inclusive) to `ends` (exclusive) along the leading axes, with
 * Python semantics: null means the full range, negative indices count from the end, and
 * out-of-range bounds are clamped. Axes beyond the given lists are kept whole.
 */
export function slice(x: Tensor, starts: readonly (number | null)[], ends?: readonly (number | null)[]): Tensor {
  if (starts.length > x.ndim || (ends !== undefined && ends.length > x.ndim)) {
    fail(
      'slice',
      `got ${Math.max(starts.length, ends?.length ?? 0)} bounds for a tensor of shape ${shapeToString(x.shape)}`,
    );
  }
  const st: number[] = [];
  const sz: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    const d = x.shape[i];
    const norm = (v: number | null | undefined, dflt: number): number => {
      if (v === null || v === undefined) return dflt;
      if (!Number.isInteger(v)) fail('slice', `bounds must be integers, got ${v} for axis ${i}`);
      return Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    };
    const s = norm(starts[i], 0);
    const e = norm(ends?.[i], d);
    st.push(s);
    sz.push(Math.max(e - s, 0));
  }
  if (st.every((s) => s === 0) && shapesEqual(sz, x.shape)) return x;
  return bind(sliceP, [x], { starts: st, sizes: sz });
}

/** Zero padding: `before[i]` zeros before and `after[i]` zeros after the data on axis i. */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  if (
    before.length !== x.ndim ||
    after.length !== x.ndim ||
    [...before, ...after].some((v) => !Number.isInteger(v) || v < 0)
  ) {
    fail(
      'pad',
      `widths must be ${x.ndim} non-negative integers on each side for shape ${shapeToString(x.shape)}, got ` +
        `[${before}] and [${after}]`,
    );
  }
  if (before.every((v) => v === 0) && after.every((v) => v === 0)) return x;
  return bind(padP, [x], { before, after });
}

// ---------------------------------------------------------------------------------------------
// take (gather along an axis by integer indices) and its adjoint scatterAdd

export type IndexLike = Tensor | readonly number[] | Int32Array;

interface TakeParams {
  indices: Int32Array;
  indexShape: Shape;
  axis: number;
}
interface ScatterParams {
  indices: Int32Array;
  axis: number;
  shape: Shape;
}

const takeP: Primitive<TakeParams> = definePrimitive<TakeParams>({
  name: 'take',
  impl: ([x], { indices, indexShape, axis }) => {
    const outShape = [...x.shape.slice(0, axis), ...indexShape, ...x.shape.slice(axis + 1)];
    return Tensor.fromData(getBackend().take(x._data!, x.shape, indices, axis), outShape);
  },
  vjp: (g, [x], _y, { indices, axis }) => [bind(scatterAddP, [g], { indices, axis, shape: x.shape })],
  jvp: ([t], _x, _y, p) => (t === null ? null : bind(takeP, [t], p)),
});

const scatterAddP: Primitive<ScatterParams> = definePrimitive<ScatterParams>({
  name: 'scatterAdd',
  impl: ([g], { indices, axis, shape }) =>
    Tensor.fromData(getBackend().scatterAdd(g._data!, indices, axis, shape), shape),
  vjp: (g, _x, _y, { indices, axis }) => [bind(takeP, [g], { indices, indexShape: [indices.length], axis })],
  jvp: ([t], _x, _y, p) => (t === null ? null : bind(scatterAddP, [t], p)),
});

/** Read integer indices from an IndexLike, checking integrality and range; negative indices wrap. */
export function toIndices(op: string, indices: IndexLike, length: number): { data: Int32Array; shape: number[] } {
  const raw = indices instanceof Tensor ? indices.dataSync() : indices;
  const shape = indices instanceof Tensor ? indices.shape.slice() : [raw.length];
  const data = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isInteger(v) || v < -length || v >= length) {
      fail(op, `index ${v} at position ${i} is not an integer in [${-length}, ${length})`);
    }
    data[i] = v < 0 ? v + length : v;
  }
  return { data, shape };
}

/**
 * Select entries along `axis` by integer indices (NumPy's take). The output shape is
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Differentiable in x.
 */
export function take(x: Tensor, indices: IndexLike, axis = 0): Tensor {
  const ax = normalizeAxis('take', axis, x.ndim);
  const { data, shape } = toIndices('take', indices, x.shape[ax]);
  // The kernel works on a flat index list; the output's index dimensions are restored by shape.
  const flat = bind(takeP, [x], { indices: data, indexShape: [data.length], axis: ax });
  return reshape(flat, [...x.shape.slice(0, ax), ...shape, ...x.shape.slice(ax + 1)]);
}

// ---------------------------------------------------------------------------------------------
// concat, stack, split

const concatP: Primitive<number> = definePrimitive<number>({
  name: 'concat',
  impl: (xs, axis) => {
    const shape = xs[0].shape.slice();
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    return Tensor.fromData(
      getBackend().concat(
        xs.map((x) => x._data!),
        xs.map((x) => x.shape),
        axis,
      ),
      shape,
    );
  },
  vjp: (g, xs, _y, axis, needs) => {
    let start = 0;
    return xs.map((x, i) => {
      const s = start;
      start += x.shape[axis];
      if (!needs[i]) return null;
      const starts = x.shape.map((_, j) => (j === axis ? s : 0));
      return bind(sliceP, [g], { starts, sizes: x.shape });
    });
  },
  jvp: (ts, xs, _y, axis) =>
    ts.every((t) => t === null)
      ? null
      : bind(
          concatP,
          ts.map((t, i) => t ?? zeros(xs[i].shape)),
          axis,
        ),
});

/** Join tensors along an existing axis; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) fail('concat', 'needs at least one tensor');
  const nd = xs[0].ndim;
  if (nd === 0) fail('concat', 'cannot concatenate scalars (shape []); use stack');
  const ax = normalizeAxis('concat', axis, nd);
  for (const x of xs) {
    if (x.ndim !== nd || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      fail('concat', `shapes ${xs.map((t) => shapeToString(t.shape)).join(', ')} differ outside axis ${ax}`);
    }
  }
  if (xs.length === 1) return xs[0];
  return bind(concatP, xs, ax);
}

/** Join tensors of equal shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) fail('stack', 'needs at least one tensor');
  for (const x of xs) {
    if (!shapesEqual(x.shape, xs[0].shape))
      fail('stack', `all shapes must be equal, got ${xs.map((t) => shapeToString(t.shape)).join(', ')}`);
  }
  const ax = newAxis('stack', axis, xs[0].ndim);
  return concat(
    xs.map((x) => expandDims(x, ax)),
    ax,
  );
}

/**
 * Split along `axis` into `sections` equal parts (a number), or at the given sizes (an array
 * whose entries sum to the axis length).
 */
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const ax = normalizeAxis('split', axis, x.ndim);
  const len = x.shape[ax];
  let sizes: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0 || len % sections !== 0) {
      fail('split', `axis ${ax} of length ${len} cannot be split into ${sections} equal sections`);
    }
    sizes = new Array(sections).fill(len / sections);
  } else {
    sizes = sections.slice();
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== len) {
      fail('split', `sizes [${sizes}] must be non-negative integers summing to the axis length ${len}`);
    }
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    const starts = x.shape.map((_, j) => (j === ax ? start : 0));
    const size = x.shape.map((d, j) => (j === ax ? s : d));
    out.push(bind(sliceP, [x], { starts, sizes: size }));
    start += s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// cumsum

interface CumsumParams {
  axis: number;
  reverse: boolean;
}

const cumsumP: Primitive<CumsumParams> = definePrimitive<CumsumParams>({
  name: 'cumsum',
  impl: ([x], { axis, reverse }) => Tensor.fromData(getBackend().cumsum(x._data!, x.shape, axis, reverse), x.shape),
  // The adjoint of a running sum is a running sum in the opposite direction.
  vjp: (g, _x, _y, { axis, reverse }) => [bind(cumsumP, [g], { axis, reverse: !reverse })],
  jvp: ([t], _x, _y, p) => (t === null ? null : bind(cumsumP, [t], p)),
});

/** Inclusive cumulative sum along `axis`; `reverse` sums from the end. */
export function cumsum(x: Tensor, axis = -1, reverse = false): Tensor {
  if (x.ndim === 0) return x;
  return bind(cumsumP, [x], { axis: normalizeAxis('cumsum', axis, x.ndim), reverse });
}
