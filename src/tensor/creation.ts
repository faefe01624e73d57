/**
 * Making tensors: from nested arrays or typed arrays, and the usual constant constructors.
 */
import { fail } from '../errors.js';
import { checkShape, shapeSize, shapeToString, type Shape } from './shape.js';
import { getBackend } from './backend/index.js';
import { Tensor, type NestedArray, type TensorLike } from './tensor.js';

function inferShape(_op: string, value: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/**
 * The largest tensor: 2^31 − 1 elements (8 GiB of float32). The kernels address elements with int32
 * offsets (see backend/js.ts forEachBroadcast), so a larger tensor could not be computed with anyway.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** How a non-number value reads in a message: `string "3"`, `boolean true`, `bigint 2`, `null`. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return typeof v;
}

/** Refuse anything but a number (no coercion: "3", true and 2n would silently become 3, 1 and 2). */
function checkNumber(op: string, value: unknown): void {
  if (typeof value !== 'number') fail(op, `expected a number, got ${describeValue(value)}`);
}

/**
 * Check the shape of a new tensor and allocate its zeroed storage, refusing (as SieveErrors, not
 * RangeErrors) sizes past MAX_TENSOR_ELEMENTS and allocations the engine cannot make.
 */
function storageFor(op: string, shape: Shape): Float32Array {
  checkShape(op, shape);
  const n = shapeSize(shape);
  if (n > MAX_TENSOR_ELEMENTS) {
    fail(
      op,
      `shape ${shapeToString(shape)} has ${n} elements, ` +
        `more than the largest tensor (${MAX_TENSOR_ELEMENTS} elements, 8 GiB of float32)`,
    );
  }
  try {
    return getBackend().allocate(n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const gib = ((n * 4) / 2 ** 30).toPrecision(3);
    return fail(op, `cannot allocate ${n} float32 values (${gib} GiB) for shape ${shapeToString(shape)}: ${e.message}`);
  }
}

function flattenInto(
  op: string,
  value: NestedArray,
  shape: Shape,
  dim: number,
  out: Float32Array,
  pos: { i: number },
  index: number[],
): void {
  if (dim === shape.length) {
    if (Array.isArray(value)) fail(op, `ragged nested array: expected a number at depth ${dim}, got an array`);
    if (typeof value !== 'number') {
      fail(op, `expected numbers in the nested arrays, got ${describeValue(value)} at index [${index.join(',')}]`);
    }
    out[pos.i++] = value;
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[dim]) {
    fail(
      op,
      `ragged nested array: expected length ${shape[dim]} at depth ${dim}, got ` +
        `${Array.isArray(value) ? value.length : typeof value}`,
    );
  }
  for (let k = 0; k < value.length; k++) {
    index.push(k);
    flattenInto(op, value[k], shape, dim + 1, out, pos, index);
    index.pop();
  }
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
    fail(
      op,
      `expected a number, nested arrays of numbers or a typed array, got ${value === null ? 'null' : typeof value}`,
    );
  }
  if (Array.isArray(value) && (shape === undefined || (value.length > 0 && Array.isArray(value[0])))) {
    const inferred = inferShape(op, value as NestedArray);
    const data = new Float32Array(shapeSize(inferred));
    flattenInto(op, value as NestedArray, inferred, 0, data, { i: 0 }, []);
    if (shape !== undefined) return tensor(data, shape);
    return Tensor.fromData(data, inferred);
  }
  const typed = ArrayBuffer.isView(value);
  if (typed && (value instanceof DataView || value instanceof BigInt64Array || value instanceof BigUint64Array)) {
    fail(op, `expected a typed array of numbers, got ${value.constructor.name}`);
  }
  const src = value as ArrayLike<number>;
  if (!typed) {
    // Plain arrays and array-likes: Float32Array.from would turn a string into NaN without a word.
    for (let i = 0; i < src.length; i++) {
      if (typeof src[i] !== 'number') fail(op, `expected numbers, got ${typeof src[i]} at position ${i}`);
    }
  }
  const s = shape ?? [src.length];
  const flat = storageFor(op, s);
  if (src.length !== flat.length) {
    fail(op, `${src.length} values cannot fill shape ${shapeToString(s)} (needs ${flat.length})`);
  }
  if (typed) flat.set(src);
  else for (let i = 0; i < flat.length; i++) flat[i] = src[i];
  return Tensor.fromData(flat, s.slice());
}

// Shapes are never mutated, so every scalar can share one empty shape array.
const SCALAR_SHAPE: Shape = Object.freeze([]) as Shape;

export function scalar(value: number): Tensor {
  checkNumber('scalar', value);
  const data = getBackend().allocate(1);
  data[0] = value;
  return Tensor.fromData(data, SCALAR_SHAPE);
}

/**
 * The scalar tensors made from numbers in expressions like `y.mul(0.9999)`. Tensors are immutable,
 * so one tensor per constant can be shared by every op that uses it: scalar code then allocates
 * (and keeps alive in autodiff graphs) no new tensor per constant.
 *
 * A small direct-mapped cache rather than a Map: a constant's slot is a hash of its 64 bits, and a new
 * constant simply replaces the one in its slot. A Map lookup hashes a heap number in the runtime and cost
 * more than the rest of a scalar op.
 */
const CACHE_SLOTS = 256; // a power of two: the slot is the top 8 bits of a 32-bit hash
const cachedNumbers = new Float64Array(CACHE_SLOTS).fill(NaN); // NaN equals nothing: empty slots never match
const cachedTensors: Tensor[] = new Array<Tensor>(CACHE_SLOTS);
const numberBits = new Float64Array(1);
const numberWords = new Uint32Array(numberBits.buffer);

function cacheSlot(x: number): number {
  numberBits[0] = x;
  // Fibonacci hashing of the two 32-bit halves: nearby constants land in different slots.
  return Math.imul(numberWords[0] ^ numberWords[1], 0x9e3779b1) >>> 24;
}

/** Numbers become scalar tensors; tensors pass through. */
export function asTensor(x: TensorLike): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') {
    // === does not tell -0 from 0, so -0 (rare) gets a tensor of its own each time. NaN is never found.
    if (x === 0 && 1 / x < 0) return scalar(x);
    const slot = cacheSlot(x);
    if (cachedNumbers[slot] === x) return cachedTensors[slot];
    const t = Tensor._fromNumber(x, SCALAR_SHAPE);
    cachedNumbers[slot] = x;
    cachedTensors[slot] = t;
    return t;
  }
  return fail('asTensor', `expected a Tensor or a number, got ${x === null ? 'null' : typeof x}`);
}

export function full(shape: Shape, value: number): Tensor {
  checkNumber('full', value);
  return Tensor.fromData(storageFor('full', shape).fill(value), shape.slice());
}

export function zeros(shape: Shape): Tensor {
  return Tensor.fromData(storageFor('zeros', shape), shape.slice());
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
  if (!Number.isFinite(start) || !Number.isFinite(stop))
    fail('arange', `start and stop must be finite, got ${start}, ${stop}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = storageFor('arange', [n]);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return Tensor.fromData(data, [n]);
}

/** `num` evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num < 0) fail('linspace', `num must be a non-negative integer, got ${num}`);
  const data = storageFor('linspace', [num]);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  if (num > 1) data[num - 1] = stop;
  return Tensor.fromData(data, [num]);
}

/** The n×m identity matrix (m defaults to n). */
export function eye(n: number, m = n): Tensor {
  const data = storageFor('eye', [n, m]);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return Tensor.fromData(data, [n, m]);
}
