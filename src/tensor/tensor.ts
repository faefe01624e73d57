/**
 * Tensor: an immutable n-dimensional array of float32 values in row-major order.
 *
 * A Tensor is either *concrete* (it owns a Float32Array that is never written after construction)
 * or *traced*: inside a transform such as `grad` or `jvp`, the values flowing through the user's
 * function are tensors that carry a Box (see `src/autodiff/box.ts`), recording how they were
 * computed. Both kinds have the same type and the same methods, so user code never needs to know
 * which it holds. Reading the numbers of a traced tensor (`toArray`, `item`) reads its primal value.
 *
 * The methods (`x.add(y)`, `x.sum()`) are thin aliases for the functions in `src/tensor/ops`. This
 * file and the ops import each other (the ops make Tensors): an import cycle kept on purpose, harmless
 * because `ops` is only read when a method is called (test/import-graph.test.ts says why).
 *
 * What the autodiff core knows of tensors is in values.ts.
 */
import { fail } from '../errors.js';
import { checkShape, shapeSize, shapeToString, type Shape } from './shape.js';
import type { Box } from '../autodiff/box.js';
import * as ops from './ops/index.js';
import { getBackend } from './backend/index.js';

export type NestedArray = number | NestedArray[];
export type TensorLike = Tensor | number;
export type Axis = number | readonly number[];

/**
 * The values of one-element op results, SCALAR_SLOTS to a shared array. Scalar code makes a tensor per op,
 * and a typed array each (or a boxed number) would cost more than the rest of the op, in time and in the
 * memory that an autodiff graph keeps alive. The price: an array stays alive while any of its values' tensors
 * does, so a long-lived scalar can keep up to SCALAR_SLOTS × 4 bytes alive.
 */
const SCALAR_SLOTS = 1024;
let scalarValues = new Float32Array(SCALAR_SLOTS);
let scalarSlotsUsed = 0;

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  /** @internal The autodiff box of a traced tensor; null when concrete. */
  readonly _box: Box<Tensor> | null;
  /**
   * Where the values are, from `_offset` on: the tensor's own storage, or for a one-element op result
   * (`_fromNumber`) a slot of a shared array of scalar values, until its storage is asked for (`_data`).
   * Null when traced.
   */
  private _values: Float32Array | null;
  private _offset: number;

  // Every tensor sets the same fields in the same order, so all tensors share one hidden class in V8.
  private constructor(
    shape: Shape,
    size: number,
    box: Box<Tensor> | null,
    values: Float32Array | null,
    offset: number,
  ) {
    this.shape = shape;
    this.size = size;
    this._box = box;
    this._values = values;
    this._offset = offset;
  }

  /**
   * Wrap a Float32Array as a tensor of the given shape. The array is taken over, not copied: the
   * caller must not write to it afterwards.
   */
  static fromData(data: Float32Array, shape: Shape): Tensor {
    if (data.length !== shapeSize(shape)) {
      checkShape('tensor', shape);
      fail('tensor', `data has ${data.length} elements but shape ${shapeToString(shape)} needs ${shapeSize(shape)}`);
    }
    return new Tensor(shape, data.length, null, data, 0);
  }

  /**
   * @internal A one-element tensor holding `value` rounded to float32, in a slot of the shared scalar values
   * rather than in storage of its own until `_data` is read: the result of an op on one-element tensors.
   */
  static _fromNumber(value: number, shape: Shape): Tensor {
    if (scalarSlotsUsed === SCALAR_SLOTS) {
      scalarValues = new Float32Array(SCALAR_SLOTS);
      scalarSlotsUsed = 0;
    }
    scalarValues[scalarSlotsUsed] = value; // a Float32Array rounds to float32, as every kernel's output does
    return new Tensor(shape, 1, null, scalarValues, scalarSlotsUsed++);
  }

  /** @internal A traced tensor with the primal's shape. Used only by the autodiff core. */
  static _traced(box: Box<Tensor>): Tensor {
    return new Tensor(box.primal.shape, box.primal.size, box, null, 0);
  }

  /** @internal Storage of a concrete tensor; null when traced. Never written. */
  get _data(): Float32Array | null {
    const values = this._values;
    if (values !== null && values.length !== this.size) {
      // A one-element op result, asked for its storage for the first time: move its value there.
      const storage = getBackend().allocate(1);
      storage[0] = values[this._offset];
      this._values = storage;
      this._offset = 0;
    }
    return this._values;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** True while this tensor is being traced by a transform (grad, jvp, ...). */
  get isTraced(): boolean {
    return this._box !== null;
  }

  /** The concrete value under any number of boxes (no gradient path). */
  primal(): Tensor {
    let t: Tensor = this;
    while (t._box !== null) t = t._box.primal;
    return t;
  }

  /** The values as a flat Float32Array. It is shared with the tensor: do not write to it. */
  dataSync(): Float32Array {
    return this.primal()._data as Float32Array;
  }

  /** The values as (nested) JavaScript arrays; a scalar gives a number. */
  toArray(): NestedArray {
    const data = this.dataSync();
    const shape = this.shape;
    if (shape.length === 0) return data[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = shape[dim];
      const stride = shapeSize(shape.slice(dim + 1));
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = dim === shape.length - 1 ? data[offset + i] : build(dim + 1, offset + i * stride);
      }
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      fail('item', `tensor of shape ${shapeToString(this.shape)} has ${this.size} elements, expected 1`);
    const t = this.primal();
    return t._values![t._offset]; // read in place: a one-element op result needs no storage for this
  }

  toString(): string {
    const fmt = (v: number): string => (Number.isInteger(v) ? `${v}.` : Number(v.toPrecision(6)).toString());
    const body = (a: NestedArray, indent: number): string => {
      if (typeof a === 'number') return fmt(a);
      if (a.length > 0 && typeof a[0] !== 'number') {
        return `[${a.map((r) => body(r, indent + 1)).join(',\n' + ' '.repeat(indent + 1))}]`;
      }
      const items =
        a.length > 12
          ? [...a.slice(0, 6).map((v) => body(v, 0)), '...', ...a.slice(-6).map((v) => body(v, 0))]
          : a.map((v) => body(v, 0));
      return `[${items.join(', ')}]`;
    };
    const traced = this.isTraced ? ', traced' : '';
    return `Tensor(${body(this.toArray(), 7)}, shape=${shapeToString(this.shape)}${traced})`;
  }

  // ---- method aliases for the ops (see src/tensor/ops for documentation) ----
  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  pow(other: TensorLike): Tensor {
    return ops.pow(this, other);
  }
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  lt(other: TensorLike): Tensor {
    return ops.lt(this, other);
  }
  le(other: TensorLike): Tensor {
    return ops.le(this, other);
  }
  gt(other: TensorLike): Tensor {
    return ops.gt(this, other);
  }
  ge(other: TensorLike): Tensor {
    return ops.ge(this, other);
  }
  eq(other: TensorLike): Tensor {
    return ops.eq(this, other);
  }
  ne(other: TensorLike): Tensor {
    return ops.ne(this, other);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  log1p(): Tensor {
    return ops.log1p(this);
  }
  expm1(): Tensor {
    return ops.expm1(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  square(): Tensor {
    return ops.square(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  sign(): Tensor {
    return ops.sign(this);
  }
  sin(): Tensor {
    return ops.sin(this);
  }
  cos(): Tensor {
    return ops.cos(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  logSigmoid(): Tensor {
    return ops.logSigmoid(this);
  }
  softplus(): Tensor {
    return ops.softplus(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  lgamma(): Tensor {
    return ops.lgamma(this);
  }
  digamma(): Tensor {
    return ops.digamma(this);
  }
  clip(lo: TensorLike, hi: TensorLike): Tensor {
    return ops.clip(this, lo, hi);
  }
  sum(axis?: Axis, keepdims = false): Tensor {
    return ops.sum(this, axis, keepdims);
  }
  mean(axis?: Axis, keepdims = false): Tensor {
    return ops.mean(this, axis, keepdims);
  }
  max(axis?: Axis, keepdims = false): Tensor {
    return ops.max(this, axis, keepdims);
  }
  min(axis?: Axis, keepdims = false): Tensor {
    return ops.min(this, axis, keepdims);
  }
  logsumexp(axis?: Axis, keepdims = false): Tensor {
    return ops.logsumexp(this, axis, keepdims);
  }
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  cumsum(axis = -1, reverse = false): Tensor {
    return ops.cumsum(this, axis, reverse);
  }
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  reshape(shape: Shape): Tensor {
    return ops.reshape(this, shape);
  }
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /** Transpose of the last two axes (a matrix transpose for 2-D tensors). */
  get T(): Tensor {
    return ops.matrixTranspose(this);
  }
  expandDims(axis: number): Tensor {
    return ops.expandDims(this, axis);
  }
  squeeze(axis?: Axis): Tensor {
    return ops.squeeze(this, axis);
  }
  broadcastTo(shape: Shape): Tensor {
    return ops.broadcastTo(this, shape);
  }
  slice(starts: readonly (number | null)[], ends?: readonly (number | null)[]): Tensor {
    return ops.slice(this, starts, ends);
  }
  take(indices: ops.IndexLike, axis = 0): Tensor {
    return ops.take(this, indices, axis);
  }
}
