/**
 * Shape arithmetic: sizes, strides, NumPy broadcasting and axis normalization.
 * Pure functions over plain number arrays; no tensors here.
 */
import { fail } from '../errors.js';

export type Shape = readonly number[];

export function shapeToString(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function shapeSize(shape: Shape): number {
  // An indexed loop, not for-of: shapes come as frozen, holey and packed arrays, and V8 then
  // falls back to a generic iterator that allocates on every call (this function is hot).
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major (C order) strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      fail(op, `invalid shape ${shapeToString(shape)}: dimensions must be non-negative integers`);
    }
  }
}

/**
 * NumPy broadcasting: align shapes on the right; each pair of dimensions must be equal or one of
 * them 1. Returns the broadcast shape.
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  if (shapesEqual(a, b)) return a as number[]; // shapes are never mutated, so sharing is safe
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      fail(
        op,
        `shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast ` +
          `(dimension ${i - n} is ${da} vs ${db}; each pair must be equal or 1)`,
      );
    }
  }
  return out;
}

/**
 * Strides to read an array of shape `from` as if it had the (broadcast) shape `to`:
 * broadcast dimensions get stride 0.
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const s = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) out[i + off] = from[i] === 1 && to[i + off] !== 1 ? 0 : s[i];
  return out;
}

/** Normalize one axis (negative counts from the end) and check its range. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    fail(
      op,
      `axis ${axis} is out of range for a tensor with ${ndim} dimension${ndim === 1 ? '' : 's'} (valid: ` +
        `${-ndim}..${ndim - 1})`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Normalize an `axis` argument (undefined = all axes, a number, or a list) to a sorted list of
 * distinct non-negative axes.
 */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined, ndim: number): number[] {
  if (axis === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  const sorted = [...new Set(out)].sort((x, y) => x - y);
  if (sorted.length !== out.length) fail(op, `repeated axis in [${list.join(',')}]`);
  return sorted;
}

/** Shape after reducing `axes` (sorted, normalized); with keepdims the reduced dims become 1. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}
