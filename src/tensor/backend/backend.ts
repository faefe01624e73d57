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
  | 'neg'
  | 'exp'
  | 'log'
  | 'log1p'
  | 'expm1'
  | 'sqrt'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'softplus'
  | 'abs'
  | 'sign'
  | 'lgamma'
  | 'polygamma';

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'eq'
  | 'ne';

export type ReduceOp = 'sum' | 'max';

export interface Backend {
  readonly name: string;
  /** Elementwise f(x). `arg` is the order n for 'polygamma'. */
  unary(op: UnaryOp, x: Float32Array, arg?: number): Float32Array;
  /** Elementwise f(a, b) with NumPy broadcasting to `outShape`. Comparisons give 1 or 0. */
  binary(op: BinaryOp, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, outShape: Shape): Float32Array;
  /**
   * `unary` and `binary` on single values, for one-element tensors: scalar code makes millions of them, and an
   * array per value would cost more than the arithmetic. The result is rounded to float32 by the caller.
   */
  unaryScalar(op: UnaryOp, x: number, arg?: number): number;
  binaryScalar(op: BinaryOp, a: number, b: number): number;
  /** cond != 0 ? a : b, all three broadcast to `outShape`. */
  where(
    cond: Float32Array,
    condShape: Shape,
    a: Float32Array,
    aShape: Shape,
    b: Float32Array,
    bShape: Shape,
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
    a: Float32Array,
    aShape: Shape,
    transposeA: boolean,
    b: Float32Array,
    bShape: Shape,
    transposeB: boolean,
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

  // ---- Storage, linear algebra and special functions ----
  // (Tensor creation, Cholesky, triangular solves and the Gamma reparameterization gradient go
  // through these, so no op reads tensor storage itself. The three kernels compute in float64 and
  // round each result to float32 once.)

  /**
   * Zeroed storage for a new tensor of n elements, not shared with any other tensor's elements.
   * (The JS backend hands out one-element arrays as windows onto a shared slab: never transfer
   * the `.buffer` of a storage array.)
   */
  allocate(n: number): Float32Array;
  /**
   * Cholesky factors of a batch of symmetric positive-definite matrices: `a` is [...batch, n, n],
   * and only its lower triangle (diagonal included) is read. The result has a's shape: L with
   * L Lᵀ = a in the lower triangle, zeros above. Throws a SieveError naming the order of the first
   * leading minor that is not positive (and the batch index) rather than returning NaNs.
   */
  cholesky(a: Float32Array, shape: Shape): Float32Array;
  /**
   * Solve op(a) x = b for x by substitution, op(a) = a or aᵀ (when `transpose`): `a` is
   * [...batch, n, n], triangular as named by `lower` (only that triangle is read), `b` is
   * [...batch, n, k] with the same batch dimensions (callers broadcast first). The result has b's
   * shape. A zero on the diagonal gives ±Infinity or NaN, as in LAPACK.
   */
  triangularSolve(
    a: Float32Array,
    aShape: Shape,
    b: Float32Array,
    bShape: Shape,
    lower: boolean,
    transpose: boolean,
  ): Float32Array;
  /**
   * d(log z)/d(alpha) at fixed quantile P(alpha, z) for Gamma(alpha, 1) samples z given as log z
   * (implicit reparameterization, Figurnov et al. 2018; see src/tensor/special-gamma.ts), elementwise
   * with `alpha` and `logZ` broadcast to `outShape`.
   */
  gammaLogSampleGrad(
    alpha: Float32Array,
    alphaShape: Shape,
    logZ: Float32Array,
    logZShape: Shape,
    outShape: Shape,
  ): Float32Array;

  // ---- Fused kernels: several elementwise steps in one pass (docs/wasm-backend.md) ----

  /**
   * One Adam step on one parameter array, all five arrays of one length: m' = b1·m + (1 − b1)·g,
   * v' = b2·v + (1 − b2)·g², param' = param − (m'·stepSize)/(√v' + eps), every step rounded to
   * float32 as the separate ops would round it (so the results equal theirs).
   */
  adamUpdate(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, hyper: AdamHyper): AdamArrays;
  /**
   * x·l − softplus(l), the Bernoulli log-likelihood of x ∈ [0, 1] given logits l, elementwise with
   * x and l broadcast to `outShape`.
   */
  bernoulliLogits(
    x: Float32Array,
    xShape: Shape,
    logits: Float32Array,
    logitsShape: Shape,
    outShape: Shape,
  ): Float32Array;
  /**
   * g·(x − σ(l)): bernoulliLogits' derivative in l times the cotangent g, elementwise with x, l and g
   * broadcast to `outShape`. σ(l), the difference and the product are each rounded to float32, where
   * the separate ops sigmoid, sub and mul would round them, so the result equals theirs on the same
   * backend (when its sigmoid runs in the same place: WebAssembly or, for small arrays, JS).
   */
  bernoulliLogitsGrad(
    x: Float32Array,
    xShape: Shape,
    logits: Float32Array,
    logitsShape: Shape,
    g: Float32Array,
    gShape: Shape,
    outShape: Shape,
  ): Float32Array;
  /**
   * log Σ exp(x) over sorted, distinct `axes`, laid out as the keepdims shape. Each output subtracts its
   * max first when that is finite (else 0), so exp never overflows: all −Infinity gives −Infinity, any
   * +Infinity gives +Infinity, NaN propagates. The sums accumulate in float64.
   */
  logsumexp(x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array;
}

/** Adam's constants for one step: b1, b2 and eps as given, stepSize = lr·√(1 − b2^t)/(1 − b1^t). */
export interface AdamHyper {
  b1: number;
  b2: number;
  eps: number;
  stepSize: number;
}

export interface AdamArrays {
  param: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** False if some gradient element is NaN or ±Infinity (then the caller reports it, not the update). */
  gradFinite: boolean;
}
