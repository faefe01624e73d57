/**
 * The WebAssembly SIMD backend: the JS reference backend with its hot kernels replaced by the
 * AssemblyScript ones in ./assembly (matrix products, elementwise ops, transcendental functions,
 * sums and maxima, matrix transposes). Every other kernel, every op the WASM module lacks, and every
 * array too small to repay a call into WebAssembly and the copies, stays on the JS path.
 *
 * Differences from the JS backend, all within documented bounds (docs/wasm-backend.md):
 * - matmul accumulates in float32 (JS: float64), so results differ by up to γ_k·Σ|a||b|;
 * - exp, log, log1p, expm1, tanh, sigmoid and softplus are float32 polynomials (a few ulps);
 * - maximum of a reduction may return +0 where JS returns −0 (both are maxima).
 */
import type { Backend, BinaryOp, ReduceOp, UnaryOp } from '../backend.js';
import { jsBackend } from '../js.js';
import { shapeSize, type Shape } from '../../shape.js';
import { fail } from '../../../errors.js';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES } from './codes.js';
import { type Kernels, kernelLoadError, loadKernelsSync } from './kernels.js';
import { residentMemory, residentTarget } from './resident-arrays.js';
import { Staging } from './resident-staging.js';
import { forEachBatchProduct, planBinary, planElementwise, planReduce, planTranspose } from './plans.js';
import { chunkedBinary, chunkedTernary } from './elementwise.js';
import { wasmFusedKernels } from './fused.js';
import { DEFAULT_GRAIN, parallelBinary, parallelMatmul, parallelUnary } from './threads/parallel-kernels.js';
import { workerPool } from './threads/pool.js';
import { threadCount } from './threads/thread-count.js';
import { uninitializedFloats } from './uninitialized.js';

/**
 * Below these sizes the JS loops win: a call into WebAssembly plus the copies in and out cost about
 * 1–2 µs. Measured (best of 9 runs of 300 calls, js time / wasm time): exp 0.5 at 32 elements, 1.3 at
 * 64; same-shape add 0.4 at 256, 1.3 at 512; sum 1.3 at 256, 2.0 at 512; matmul 1.0 at 8×8×8, 3.2 at
 * 12×12×12 (docs/wasm-backend.md).
 */
export interface WasmThresholds {
  /** Fewest elements for exp, log, log1p, expm1, tanh, sigmoid, softplus. */
  transcendental: number;
  /** Fewest elements for the cheap elementwise ops and reductions. */
  cheap: number;
  /** Smallest m·n·k for a matrix product. */
  matmulWork: number;
  /** Smallest batch·m·n·k for a matrix product on the worker threads (./threads/). */
  threadedMatmulWork?: number;
  /** Fewest elements for exp, log, ..., softplus on the worker threads. */
  threadedTranscendental?: number;
  /** Fewest elements for the cheap elementwise ops on the worker threads. */
  threadedCheap?: number;
}

/**
 * The worker threads (docs/wasm-backend.md, "Threads") at the measured crossovers on 2 cores, 2 threads
 * against 1: products 1.01× at 96³ and 1.22× at 128³; exp 0.92× at 32,768 elements and 1.28× at 65,536.
 * The cheap ops never (0.61× for add over 1M floats): they are bound by the copies in and out, which
 * only the calling thread can do.
 */
export const DEFAULT_WASM_THRESHOLDS: WasmThresholds = {
  transcendental: 64,
  cheap: 512,
  matmulWork: 8 * 8 * 8,
  threadedMatmulWork: 96 * 96 * 96,
  threadedTranscendental: 65_536,
  threadedCheap: Infinity,
};

/** Floats per chunk of a unary op: 64 KB, which stays in the L2 cache between the copies and the kernel. */
const UNARY_CHUNK = 16_384;

const TRANSCENDENTAL: ReadonlySet<UnaryOp> = new Set(['exp', 'log', 'log1p', 'expm1', 'tanh', 'sigmoid', 'softplus']);

function kernels(): Kernels {
  return (
    loadKernelsSync() ??
    fail(
      'wasm backend',
      `the WebAssembly kernels could not be loaded (${String(kernelLoadError())}); ` +
        'in a browser, await initWasmBackend() before using the wasm backend, or use the js backend',
    )
  );
}

/** A wasm backend that sends arrays below `thresholds` to the JS backend (tests use all zeros). */
export function makeWasmBackend(thresholds: WasmThresholds): Backend {
  const MIN_ELEMENTS_TRANSCENDENTAL = thresholds.transcendental;
  const MIN_ELEMENTS_CHEAP = thresholds.cheap;
  const MIN_MATMUL_WORK = thresholds.matmulWork;
  const THREADED_MATMUL_WORK = thresholds.threadedMatmulWork ?? DEFAULT_WASM_THRESHOLDS.threadedMatmulWork!;
  const THREADED_TRANSCENDENTAL = thresholds.threadedTranscendental ?? DEFAULT_WASM_THRESHOLDS.threadedTranscendental!;
  const THREADED_CHEAP = thresholds.threadedCheap ?? DEFAULT_WASM_THRESHOLDS.threadedCheap!;

  function unary(op: UnaryOp, x: Float32Array, arg?: number): Float32Array {
    const code = UNARY_CODES[op];
    const minimum = TRANSCENDENTAL.has(op) ? MIN_ELEMENTS_TRANSCENDENTAL : MIN_ELEMENTS_CHEAP;
    if (code === undefined || x.length < minimum) return jsBackend.unary(op, x, arg);
    const n = x.length;
    if (n >= (TRANSCENDENTAL.has(op) ? THREADED_TRANSCENDENTAL : THREADED_CHEAP) && threadCount() > 1) {
      const pool = workerPool(threadCount());
      const out = pool === null ? null : parallelUnary(pool, code, x, DEFAULT_GRAIN, residentMemory());
      if (out !== null) return out;
    }
    const memory = residentTarget();
    const k = memory?.kernels ?? kernels();
    const resident = memory?.allocate(n) ?? null;
    if (resident !== null) {
      const xAt = memory!.offsetOf(x);
      if (xAt >= 0) k.exports.unary(code, xAt, resident.byteOffset, n);
      else residentUnary(k, code, x, resident);
      return resident;
    }
    // In cache-sized chunks, computed in place: each float then crosses main memory twice (read
    // from x, written to the result) rather than six times through whole-array buffers.
    const chunk = Math.min(n, UNARY_CHUNK);
    const offsets = k.layout([chunk]);
    if (offsets === null) return jsBackend.unary(op, x, arg);
    const out = uninitializedFloats(n);
    for (let start = 0; start < n; start += chunk) {
      const length = Math.min(chunk, n - start);
      k.write(offsets[0], x.subarray(start, start + length));
      k.exports.unary(code, offsets[0], offsets[0], length);
      k.readInto(out, start, offsets[0], length);
    }
    return out;
  }

  function binary(
    op: BinaryOp,
    a: Float32Array,
    aShape: Shape,
    b: Float32Array,
    bShape: Shape,
    outShape: Shape,
  ): Float32Array {
    const code = BINARY_CODES[op];
    const n = shapeSize(outShape);
    const plan = code === undefined || n < MIN_ELEMENTS_CHEAP ? null : planBinary(aShape, bShape, outShape);
    if (plan === null) return jsBackend.binary(op, a, aShape, b, bShape, outShape);
    if (n >= THREADED_CHEAP && threadCount() > 1) {
      const pool = workerPool(threadCount());
      const out = pool === null ? null : parallelBinary(pool, code!, a, b, plan, DEFAULT_GRAIN, residentMemory());
      if (out !== null) return out;
    }
    const memory = residentTarget();
    const k = memory?.kernels ?? kernels();
    return chunkedBinary(k, memory, code!, a, b, plan) ?? jsBackend.binary(op, a, aShape, b, bShape, outShape);
  }

  /** A lane select in WebAssembly (the JS loop's branch mispredicts on random masks); same broadcasts as binary. */
  function where(
    cond: Float32Array,
    condShape: Shape,
    a: Float32Array,
    aShape: Shape,
    b: Float32Array,
    bShape: Shape,
    outShape: Shape,
  ): Float32Array {
    const plan =
      shapeSize(outShape) < MIN_ELEMENTS_CHEAP ? null : planElementwise([condShape, aShape, bShape], outShape);
    const memory = plan === null ? null : residentTarget();
    const out =
      plan === null ? null : chunkedTernary(memory?.kernels ?? kernels(), memory, 'where', [cond, a, b], plan);
    return out ?? jsBackend.where(cond, condShape, a, aShape, b, bShape, outShape);
  }

  function reduce(op: ReduceOp, x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array {
    const plan = x.length < MIN_ELEMENTS_CHEAP ? null : planReduce(shape, axes);
    if (plan === null) return jsBackend.reduce(op, x, shape, axes);
    const memory = residentTarget();
    const k = memory?.kernels ?? kernels();
    const s = new Staging(k, memory);
    const xs = s.input(x);
    const out = s.output(plan.outer * plan.inner);
    // Scratch: one float64 accumulator per column, rounded up to whole vectors.
    if (!s.layout(8 * (plan.inner + 4))) return jsBackend.reduce(op, x, shape, axes);
    k.exports.reduce(REDUCE_CODES[op], s.at(xs), plan.outer, plan.len, plan.inner, s.at(out), s.scratch);
    return s.result(out);
  }

  function transpose(x: Float32Array, shape: Shape, perm: readonly number[]): Float32Array {
    const plan = x.length < MIN_ELEMENTS_CHEAP ? null : planTranspose(shape, perm);
    if (plan === null) return jsBackend.transpose(x, shape, perm);
    const memory = residentTarget();
    const k = memory?.kernels ?? kernels();
    const s = new Staging(k, memory);
    const xs = s.input(x);
    const out = s.output(x.length);
    if (!s.layout()) return jsBackend.transpose(x, shape, perm);
    k.exports.transpose(s.at(xs), plan.batch, plan.rows, plan.cols, s.at(out));
    return s.result(out);
  }

  function matmul(a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, outShape: Shape): Float32Array {
    return matmulTransposed(a, aShape, false, b, bShape, false, outShape);
  }

  /**
   * The packed kernel reads either operand transposed at no extra cost: transposition only changes
   * the strides it packs with. Batch axes broadcast; when b has none and a is not transposed, all of
   * a's matrices are stacked into one tall product.
   */
  function matmulTransposed(
    a: Float32Array,
    aShape: Shape,
    transposeA: boolean,
    b: Float32Array,
    bShape: Shape,
    transposeB: boolean,
    outShape: Shape,
  ): Float32Array {
    const nd = outShape.length;
    const m = outShape[nd - 2],
      n = outShape[nd - 1];
    const k = aShape[aShape.length - (transposeA ? 2 : 1)];
    if (m * n * k < MIN_MATMUL_WORK) {
      return jsBackend.matmulTransposed(a, aShape, transposeA, b, bShape, transposeB, outShape);
    }
    const batchShape = outShape.slice(0, nd - 2);
    const batch = shapeSize(batchShape);
    if (batch * m * n * k >= THREADED_MATMUL_WORK && threadCount() > 1) {
      const pool = workerPool(threadCount());
      const out =
        pool === null
          ? null
          : parallelMatmul(
              pool,
              a,
              aShape,
              transposeA,
              b,
              bShape,
              transposeB,
              outShape,
              DEFAULT_GRAIN,
              residentMemory(),
            );
      if (out !== null) return out;
    }
    const memory = residentTarget();
    const kern = memory?.kernels ?? kernels();
    const s = new Staging(kern, memory);
    const [as, bs, cs] = [s.input(a), s.input(b), s.output(batch * m * n)];
    if (!s.layout(kern.exports.matmulScratchBytes(batch * m, n, k) + 16)) {
      return jsBackend.matmulTransposed(a, aShape, transposeA, b, bShape, transposeB, outShape);
    }
    const [aOff, bOff, cOff] = [s.at(as), s.at(bs), s.at(cs)];
    const scratch = s.scratch;
    // Logical A is m×k and B is k×n; a transposed operand is stored the other way round.
    const [ars, acs] = transposeA ? [1, m] : [k, 1];
    const [brs, bcs] = transposeB ? [1, k] : [n, 1];
    const bBatchSize = shapeSize(bShape.slice(0, -2));
    if (batch === 1 || (bBatchSize === 1 && !transposeA && shapeSize(aShape.slice(0, -2)) === batch)) {
      kern.exports.matmul(aOff, ars, acs, bOff, brs, bcs, cOff, batch * m, n, k, scratch);
      return s.result(cs);
    }
    forEachBatchProduct(aShape, bShape, batchShape, (t, ao, bo) =>
      kern.exports.matmul(
        aOff + 4 * ao * m * k,
        ars,
        acs,
        bOff + 4 * bo * k * n,
        brs,
        bcs,
        cOff + 4 * t * m * n,
        m,
        n,
        k,
        scratch,
      ),
    );
    return s.result(cs);
  }

  return {
    ...jsBackend,
    name: 'wasm',
    unary,
    binary,
    where,
    reduce,
    transpose,
    matmul,
    matmulTransposed,
    ...wasmFusedKernels(kernels, MIN_ELEMENTS_TRANSCENDENTAL),
  };
}

/**
 * f(x) into the resident array `out`, x copied in chunk by chunk: each chunk is written where its
 * result goes and computed in place there, while it is in cache.
 */
function residentUnary(k: Kernels, code: number, x: Float32Array, out: Float32Array): void {
  const n = x.length;
  for (let start = 0; start < n; start += UNARY_CHUNK) {
    const end = Math.min(n, start + UNARY_CHUNK);
    const at = out.byteOffset + 4 * start;
    k.write(at, x.subarray(start, end));
    k.exports.unary(code, at, at, end - start);
  }
}

export const wasmBackend: Backend = makeWasmBackend(DEFAULT_WASM_THRESHOLDS);
