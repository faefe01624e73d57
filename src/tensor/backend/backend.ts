/**
 * The Backend seam: every numeric kernel Sieve runs goes through this interface. Kernels work on
 * flat row-major Float32Arrays plus shapes, never on Tensor objects, and never on the autodiff
 * machinery. A new backend (WebAssembly SIMD, gpu.js) implements these methods — usually by
 * spreading the JS reference backend and overriding the hot ones — and is installed with
 * `setBackend`; nothing outside `src/tensor/backend` changes.
 *
 * Every kernel returns a fresh array; inputs are never written.
 */
import type { Shape } from '../shape.js';

export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'log1p' | 'expm1' | 'sqrt' | 'sin' | 'cos' | 'tanh'
  | 'sigmoid' | 'softplus' | 'abs' | 'sign' | 'lgamma' | 'polygamma';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne';

export type ReduceOp = 'sum' | 'max';

export interface Backend {
  readonly name: string;
  /** Elementwise f(x). `arg` is the order n for 'polygamma'. */
  unary(op: UnaryOp, x: Float32Array, arg?: number): Float32Array;
  /** Elementwise f(a, b) with NumPy broadcasting to `outShape`. Comparisons give 1 or 0. */
  binary(op: BinaryOp, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, outShape: Shape): Float32Array;
  /** cond != 0 ? a : b, all three broadcast to `outShape`. */
  where(
    cond: Float32Array, condShape: Shape,
    a: Float32Array, aShape: Shape,
    b: Float32Array, bShape: Shape,
    outShape: Shape,
  ): Float32Array;
  /** Reduce over sorted, distinct `axes`; the result is laid out as the keepdims shape. */
  reduce(op: ReduceOp, x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array;
  /** Inclusive cumulative sum along `axis` (from the end when `reverse`). */
  cumsum(x: Float32Array, shape: Shape, axis: number, reverse: boolean): Float32Array;
  /**
   * Batched matrix product: a is [...batchA, m, k], b is [...batchB, k, n], batch dimensions
   * broadcast to those of `outShape` = [...batch, m, n].
   */
  matmul(a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, outShape: Shape): Float32Array;
  /**
   * matmul with either operand's last two axes read transposed: with `transposeA`, a is stored as
   * [...batchA, k, m] and used as its transpose (likewise b as [...batchB, n, k]). Backward passes
   * need G·Bᵀ and Aᵀ·G; a backend may compute them without materializing the transposes.
   */
  matmulTransposed(
    a: Float32Array, aShape: Shape, transposeA: boolean,
    b: Float32Array, bShape: Shape, transposeB: boolean,
    outShape: Shape,
  ): Float32Array;
  /** out[i_perm[0], ..., i_perm[n-1]] = x[i_0, ..., i_{n-1}], i.e. out.shape[j] = shape[perm[j]]. */
  transpose(x: Float32Array, shape: Shape, perm: readonly number[]): Float32Array;
  /** Copy the broadcast of x (shape `shape`) to the larger `outShape`. */
  broadcastTo(x: Float32Array, shape: Shape, outShape: Shape): Float32Array;
  /** The box starting at `starts` with extent `sizes`. */
  slice(x: Float32Array, shape: Shape, starts: readonly number[], sizes: readonly number[]): Float32Array;
  /** Zero padding: `before[i]` zeros before and `after[i]` after the data along axis i. */
  pad(x: Float32Array, shape: Shape, before: readonly number[], after: readonly number[]): Float32Array;
  /** Select entries along `axis` by integer indices (already range-checked). */
  take(x: Float32Array, shape: Shape, indices: Int32Array, axis: number): Float32Array;
  /** Adjoint of take: add slices of `g` (shape with indices.length along axis) into zeros of `shape`. */
  scatterAdd(g: Float32Array, indices: Int32Array, axis: number, shape: Shape): Float32Array;
  /** Join arrays along `axis`; all other dimensions agree. */
  concat(xs: readonly Float32Array[], shapes: readonly Shape[], axis: number): Float32Array;
}
