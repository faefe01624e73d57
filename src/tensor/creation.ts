/**
 * Making tensors: from nested arrays or typed arrays, and the usual constant constructors.
 */
import { fail } from '../errors.js';
import { checkShape, shapeSize, shapeToString, type Shape } from './shape.js';
import { allocate } from './backend/js.js';
import { Tensor, type NestedArray, type TensorLike } from './tensor.js';

function inferShape(op: string, value: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function flattenInto(op: string, value: NestedArray, shape: Shape, dim: number, out: Float32Array, pos: { i: number }): void {
  if (dim === shape.length) {
    if (typeof value !== 'number') fail(op, `ragged nested array: expected a number at depth ${dim}, got ${Array.isArray(value) ? 'an array' : typeof value}`);
    out[pos.i++] = value;
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[dim]) {
    fail(op, `ragged nested array: expected length ${shape[dim]} at depth ${dim}, got ${Array.isArray(value) ? value.length : typeof value}`);
  }
  for (const v of value) flattenInto(op, v, shape, dim + 1, out, pos);
}

/**
 * A tensor from a number, nested arrays of numbers, or a flat array with an explicit shape.
 * The data is always copied.
 */
export function tensor(value: NestedArray | Float32Array | ArrayLike<number>, shape?: Shape): Tensor {
  const op = 'tensor';
  if (typeof value === 'number') {
    return shape === undefined ? scalar(value) : tensor([value], shape);
  }
  if (value === null || typeof value !== 'object') {
    fail(op, `expected a number, nested arrays of numbers or a typed array, got ${value === null ? 'null' : typeof value}`);
  }
  if (Array.isArray(value) && (shape === undefined || (value.length > 0 && Array.isArray(value[0])))) {
    const inferred = inferShape(op, value as NestedArray);
    const data = new Float32Array(shapeSize(inferred));
    flattenInto(op, value as NestedArray, inferred, 0, data, { i: 0 });
    if (shape !== undefined) return tensor(data, shape);
    return Tensor.fromData(data, inferred);
  }
  if (Array.isArray(value)) {
    const bad = value.findIndex((v) => typeof v !== 'number');
    if (bad >= 0) fail(op, `expected numbers, got ${typeof value[bad]} at position ${bad}`);
  }
  const flat = Float32Array.from(value as ArrayLike<number>);
  const s = shape ?? [flat.length];
  checkShape(op, s);
  if (shapeSize(s) !== flat.length) fail(op, `${flat.length} values cannot fill shape ${shapeToString(s)} (needs ${shapeSize(s)})`);
  return Tensor.fromData(flat, s.slice());
}

// Shapes are never mutated, so every scalar can share one empty shape array.
const SCALAR_SHAPE: Shape = Object.freeze([]) as Shape;

export function scalar(value: number): Tensor {
  const data = allocate(1);
  data[0] = value;
  return Tensor.fromData(data, SCALAR_SHAPE);
}

/**
 * The scalar tensors made from numbers in expressions like `y.mul(0.9999)`. Tensors are immutable,
 * so one tensor per constant can be shared by every op that uses it: scalar code then allocates
 * (and keeps alive in autodiff graphs) no new tensor per constant. Cleared when full, to stay small.
 */
const constants = new Map<number, Tensor>();
const MAX_CONSTANTS = 256;

/** Numbers become scalar tensors; tensors pass through. */
export function asTensor(x: TensorLike): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') {
    // A Map treats -0 and 0 as the same key, so -0 (rare) gets a tensor of its own each time.
    if (x === 0 && 1 / x < 0) return scalar(x);
    let t = constants.get(x);
    if (t === undefined) {
      if (constants.size >= MAX_CONSTANTS) constants.clear();
      t = scalar(x);
      constants.set(x, t);
    }
    return t;
  }
  return fail('asTensor', `expected a Tensor or a number, got ${x === null ? 'null' : typeof x}`);
}

export function full(shape: Shape, value: number): Tensor {
  checkShape('full', shape);
  return Tensor.fromData(new Float32Array(shapeSize(shape)).fill(value), shape.slice());
}

export function zeros(shape: Shape): Tensor {
  checkShape('zeros', shape);
  return Tensor.fromData(new Float32Array(shapeSize(shape)), shape.slice());
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

export function zerosLike(x: Tensor): Tensor {
  return zeros(x.shape);
}

export function onesLike(x: Tensor): Tensor {
  return ones(x.shape);
}

/** Values start, start+step, ... below stop (NumPy's arange). `arange(n)` is 0..n-1. */
export function arange(start: number, stop?: number, step = 1): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) fail('arange', `step must be a finite non-zero number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) fail('arange', `start and stop must be finite, got ${start}, ${stop}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return Tensor.fromData(data, [n]);
}

/** `num` evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num < 0) fail('linspace', `num must be a non-negative integer, got ${num}`);
  const data = new Float32Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  if (num > 1) data[num - 1] = stop;
  return Tensor.fromData(data, [num]);
}

/** The n×m identity matrix (m defaults to n). */
export function eye(n: number, m = n): Tensor {
  checkShape('eye', [n, m]);
  const data = new Float32Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return Tensor.fromData(data, [n, m]);
}
