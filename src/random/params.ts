/**
 * Reading, checking and broadcasting sampler arguments.
 *
 * A distribution parameter is a number or a Tensor. Tensors are read with `dataSync()`: sampling
 * has no gradient path, so a traced tensor simply contributes its current value. Each value is
 * checked, and an invalid one is reported with the op, the parameter, the value and its index,
 * e.g. `gamma: alpha must be > 0, got -1 at index 3`.
 *
 * The output shape follows JAX: it is the `shape` argument if given, and every parameter must
 * broadcast (NumPy rules) to it; otherwise it is the parameter's own shape.
 */
import { fail } from '../errors.js';
import { checkShape, shapeSize, shapeToString, stridesOf, broadcastStrides, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A parameter after reading: float64 values in row-major order and a shape. */
export interface Param {
  readonly name: string;
  readonly values: ArrayLike<number>;
  readonly shape: Shape;
}

/** Returns null if `v` is acceptable, otherwise what it must be (e.g. "must be > 0"). */
export type Requirement = (v: number) => string | null;

export const positive: Requirement = (v) => (v > 0 ? null : 'must be > 0');
export const nonNegative: Requirement = (v) => (v >= 0 ? null : 'must be >= 0');
export const finite: Requirement = (v) => (Number.isFinite(v) ? null : 'must be finite');
export const probability: Requirement = (v) => (v >= 0 && v <= 1 ? null : 'must be in [0, 1]');

/** All requirements in turn; the first one that fails is reported. */
export function all(...reqs: Requirement[]): Requirement {
  return (v) => {
    for (const r of reqs) {
      const problem = r(v);
      if (problem !== null) return problem;
    }
    return null;
  };
}

/** Shortest decimal that reads back as the same float32 (so -0.1 shows as -0.1, not -0.100000001). */
function formatFloat32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let digits = 1; digits < 9; digits++) {
    const s = Number(v.toPrecision(digits));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

/** The n-D index of flat (row-major) index `flat` in `shape`. */
export function multiIndex(flat: number, shape: Shape): number[] {
  return stridesOf(shape).map((s, d) => Math.floor(flat / s) % shape[d]);
}

/** " at index 3" for 1-D tensors, " at index [1,0]" for n-D ones. */
function formatIndex(flat: number, shape: Shape): string {
  return shape.length === 1 ? ` at index ${flat}` : ` at index [${multiIndex(flat, shape).join(',')}]`;
}

/** Check a plain number argument (low, scale, rate...). */
export function checkNumber(op: string, name: string, value: unknown, req: Requirement): number {
  if (typeof value !== 'number') fail(op, `${name} must be a number, got ${value === null ? 'null' : typeof value}`);
  const problem = req(value);
  if (problem !== null) fail(op, `${name} ${problem}, got ${value}`);
  return value;
}

/** Read a number-or-Tensor parameter and check every value. */
export function readParam(op: string, name: string, value: unknown, req: Requirement): Param {
  if (typeof value === 'number') {
    const problem = req(value);
    if (problem !== null) fail(op, `${name} ${problem}, got ${value}`);
    return { name, values: [value], shape: [] };
  }
  if (!(value instanceof Tensor)) {
    fail(
      op,
      `${name} must be a number or a Tensor, got ` +
        `${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  const values = value.dataSync();
  for (let i = 0; i < values.length; i++) {
    const problem = req(values[i]);
    if (problem !== null) {
      const where = value.shape.length === 0 ? '' : formatIndex(i, value.shape);
      fail(op, `${name} ${problem}, got ${formatFloat32(values[i])}${where}`);
    }
  }
  return { name, values, shape: value.shape };
}

/** Check a user-supplied output shape: an array of non-negative integers. */
export function checkOutputShape(op: string, shape: unknown): Shape {
  if (!Array.isArray(shape)) fail(op, `shape must be an array of non-negative integers, got ${String(shape)}`);
  checkShape(op, shape);
  return shape;
}

/** True if `from` broadcasts to exactly `to` (NumPy rules, aligned on the right). */
function broadcastsTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  const offset = to.length - from.length;
  return from.every((d, i) => d === 1 || d === to[i + offset]);
}

/**
 * The output shape of a sampler: `shape` if given (each parameter shape must broadcast to it),
 * else the parameter's shape.
 */
export function outputShape(op: string, param: { name: string; shape: Shape }, shape: unknown): Shape {
  if (shape === undefined) return param.shape;
  const out = checkOutputShape(op, shape);
  if (!broadcastsTo(param.shape, out)) {
    fail(op, `${param.name} of shape ${shapeToString(param.shape)} cannot be broadcast to shape ${shapeToString(out)}`);
  }
  return out;
}

/** For each flat index of shape `to`, the flat index of the element of `from` it reads (broadcast). */
export function broadcastIndex(from: Shape, to: Shape): Uint32Array {
  const n = shapeSize(to);
  const fromStrides = broadcastStrides(from, to); // 0 along broadcast dimensions
  const index = new Uint32Array(n);
  const counter = new Array<number>(to.length).fill(0);
  let j = 0;
  for (let i = 0; i < n; i++) {
    index[i] = j;
    // The next multi-index, last axis fastest (no divisions): step j along the axis that moves, and
    // back to the start of every axis that wraps around.
    for (let d = to.length - 1; d >= 0; d--) {
      j += fromStrides[d];
      if (++counter[d] < to[d]) break;
      j -= fromStrides[d] * to[d];
      counter[d] = 0;
    }
  }
  return index;
}

/** Whether `from`, without its leading 1s, is the trailing part of `to`: broadcasting then repeats it whole. */
function repeatsWhole(from: Shape, to: Shape): boolean {
  let first = 0;
  while (first < from.length && from[first] === 1) first++;
  const offset = to.length - (from.length - first);
  for (let d = first; d < from.length; d++) if (from[d] !== to[offset + d - first]) return false;
  return true;
}

/**
 * The parameter's values broadcast to shape `to`, one per output element: its own values when the
 * sizes agree (a valid broadcast between shapes of one size maps every index to itself).
 */
export function expandParam(param: Param, to: Shape): ArrayLike<number> {
  const n = shapeSize(to);
  if (param.values.length === n) return param.values;
  if (param.values.length === 1) return new Float64Array(n).fill(param.values[0]);
  if (param.values.length > 0 && repeatsWhole(param.shape, to)) {
    // Broadcast along leading axes only (a row of probabilities for a batch, say): whole copies.
    const out = new Float64Array(n);
    for (let at = 0; at < n; at += param.values.length) out.set(param.values, at);
    return out;
  }
  const index = broadcastIndex(param.shape, to);
  const out = new Float64Array(index.length);
  for (let i = 0; i < index.length; i++) out[i] = param.values[index[i]];
  return out;
}
