/**
 * Large matrix products and elementwise ops split into calls for the worker pool.
 *
 * Every split leaves each output element's arithmetic exactly as on one thread, so results are
 * bit-identical for every thread count:
 * - a matrix product is split into blocks of rows of C, or of columns when C is short and wide. The
 *   kernel's sum for C[i][j] runs over the shared dimension in slabs whose depth depends on k alone
 *   (at most 256, split evenly), each summed in order, from zero, in a register and then added to
 *   C[i][j]: nothing in that order depends on which rows or columns a call covers.
 * - elementwise ops are split into index ranges: each element is one float operation of its own.
 *
 * Each function returns null when the job does not fit (too many calls, or more memory than
 * WebAssembly can address): the caller then runs it on one thread.
 */
import { shapeSize, type Shape } from '../../../shape.js';
import type { ResidentArrays } from '../resident-arrays.js';
import { Staging } from '../resident-staging.js';
import { forEachBatchProduct, type BinaryPlan } from '../plans.js';
import type { WorkerPool } from './pool.js';
import { uninitializedFloats } from '../uninitialized.js';

/** Calls per thread: a few, so that a thread that starts late or runs slowly leaves its share to the others. */
const CALLS_PER_THREAD = 4;

/** The smallest calls a job is split into (tests use small ones to exercise the splits on small arrays). */
export interface Grain {
  /**
   * Fewest rows of C per call: each call packs all of B (unless the kernel reads it in place), which a
   * block of r rows amortizes over r·n·k.
   */
  rows: number;
  /** Fewest elements per elementwise call, a multiple of the SIMD width. */
  elements: number;
  /** Fewest columns of C per call when a short, wide product is split by columns (default 32). */
  columns?: number;
}

/** 16 rows; 16,384 elements (64 KB of floats); 32 columns. */
export const DEFAULT_GRAIN: Grain = { rows: 16, elements: 16_384, columns: 32 };

/**
 * Column blocks per thread of a product split by columns: each call packs all of A again, so fewer
 * and wider blocks than the row split's CALLS_PER_THREAD.
 */
const COLUMN_CALLS_PER_THREAD = 2;

/**
 * Whether a single product of `rows` × n is better split by columns of C than by rows. A row block
 * packs all of B (k·n floats) for its rows, unless the kernel reads B in place (assembly/matmul.ts), a
 * column block all of A (rows·k): when C has fewer rows than columns (the batch-100 products of an
 * MLP: 100 × 784 · 784 × 200), column blocks pack less, and for B transposed they avoid the slow
 * strided packing of B in every call.
 */
function splitByColumns(rows: number, n: number, threads: number, grain: Grain): boolean {
  const least = grain.columns ?? DEFAULT_GRAIN.columns!;
  return rows < n && n >= 2 * least && threads > 1;
}

/**
 * C = op(A)·op(B) (batched, broadcast batch axes) on the pool, with the same memory layout as the
 * single-threaded path of ../backend.ts plus one matmul scratch area per thread.
 */
export function parallelMatmul(
  pool: WorkerPool,
  a: Float32Array,
  aShape: Shape,
  transposeA: boolean,
  b: Float32Array,
  bShape: Shape,
  transposeB: boolean,
  outShape: Shape,
  grain = DEFAULT_GRAIN,
  memory: ResidentArrays | null = null,
): Float32Array | null {
  const nd = outShape.length;
  const m = outShape[nd - 2],
    n = outShape[nd - 1];
  const k = aShape[aShape.length - (transposeA ? 2 : 1)];
  const batchShape = outShape.slice(0, nd - 2);
  const batch = shapeSize(batchShape);
  // One tall product when b has no batch axes and a's matrices are stacked rows (as on one thread).
  const stacked =
    batch === 1 || (shapeSize(bShape.slice(0, -2)) === 1 && !transposeA && shapeSize(aShape.slice(0, -2)) === batch);
  const products = stacked ? 1 : batch;
  const rows = stacked ? batch * m : m;
  if (stacked && splitByColumns(rows, n, pool.threads, grain)) {
    return columnSplitMatmul(pool, a, transposeA, b, transposeB, rows, n, k, grain, memory);
  }
  const splits = Math.max(
    1,
    Math.min(Math.ceil((CALLS_PER_THREAD * pool.threads) / products), Math.floor(rows / grain.rows)),
  );
  const rowsPerCall = Math.ceil(rows / splits / 4) * 4;
  const callsPerProduct = rows === 0 ? 0 : Math.ceil(rows / rowsPerCall);
  if (products * callsPerProduct > pool.room) return null;

  const kern = pool.kernels;
  const scratchStride = Math.ceil((kern.exports.matmulScratchBytes(rowsPerCall, n, k) + 16) / 16) * 16;
  const s = new Staging(kern, memory);
  // A stacked product's rows of A are copied in a block at a time, each call posted as soon as its
  // rows are in, so the other threads start while this one still copies (a transposed A is needed whole).
  const piecewise = stacked && !transposeA;
  const [as, bs, cs] = [s.input(a, !piecewise), s.input(b), s.output(batch * m * n)];
  if (!s.layout(pool.scratchSlots * scratchStride)) return null;
  const [aOff, bOff, cOff] = [s.at(as), s.at(bs), s.at(cs)];
  pool.begin(s.scratch, scratchStride);
  // Logical A is m×k and B is k×n; a transposed operand is stored the other way round.
  const [ars, acs] = transposeA ? [1, m] : [k, 1];
  const [brs, bcs] = transposeB ? [1, k] : [n, 1];
  if (stacked) {
    for (let r0 = 0; r0 < rows; r0 += rowsPerCall) {
      const r = Math.min(rowsPerCall, rows - r0);
      if (piecewise) s.copyIn(as, r0 * k, (r0 + r) * k);
      pool.matmul(aOff + 4 * r0 * ars, ars, acs, bOff, brs, bcs, cOff + 4 * r0 * n, r, n, k);
      pool.post();
    }
    return finishRowBlocks(pool, s, cs, rows, n, rowsPerCall);
  }
  forEachBatchProduct(aShape, bShape, batchShape, (t, ao, bo) => {
    const [aAt, bAt, cAt] = [aOff + 4 * ao * m * k, bOff + 4 * bo * k * n, cOff + 4 * t * m * n];
    for (let r0 = 0; r0 < rows; r0 += rowsPerCall) {
      const r = Math.min(rowsPerCall, rows - r0);
      pool.matmul(aAt + 4 * r0 * ars, ars, acs, bAt, brs, bcs, cAt + 4 * r0 * n, r, n, k);
    }
  });
  pool.run();
  return s.result(cs);
}

/**
 * Run a posted job whose call i computes rows [i·per, (i+1)·per) of C (rows × n), and return C. This
 * thread copies out each block as soon as it is done (its own at once, the others' while it waits for
 * the rest), so little is left to copy at the end (nothing to copy when C is resident).
 */
function finishRowBlocks(pool: WorkerPool, s: Staging, cs: number, rows: number, n: number, per: number): Float32Array {
  const resident = s.residentArray(cs);
  if (resident !== null) {
    pool.run();
    return resident;
  }
  const out = uninitializedFloats(rows * n);
  pool.run((i) => s.copyOut(cs, out, i * per * n, Math.min(rows, (i + 1) * per) * n));
  return out;
}

/**
 * One product C (rows × n) = A·B in blocks of C's columns, one call each: call j computes
 * A · B[:, c0..c0+w) into C[:, c0..c0+w) (the kernel's `ldc` is n). Each element's sum runs over the
 * same slabs of the shared dimension as on one thread, so the result is bit-identical.
 */
function columnSplitMatmul(
  pool: WorkerPool,
  a: Float32Array,
  transposeA: boolean,
  b: Float32Array,
  transposeB: boolean,
  rows: number,
  n: number,
  k: number,
  grain: Grain,
  memory: ResidentArrays | null,
): Float32Array | null {
  const least = grain.columns ?? DEFAULT_GRAIN.columns!;
  const calls = Math.max(2, Math.min(COLUMN_CALLS_PER_THREAD * pool.threads, Math.floor(n / least)));
  // Whole micro-kernel tiles (8 columns) per call, so only the last call has an edge.
  const width = Math.ceil(n / calls / 8) * 8;
  if (Math.ceil(n / width) > pool.room) return null;
  const kern = pool.kernels;
  const scratchStride = Math.ceil((kern.exports.matmulScratchBytes(rows, width, k) + 16) / 16) * 16;
  const s = new Staging(kern, memory);
  const [as, bs, cs] = [s.input(a), s.input(b), s.output(rows * n)];
  if (!s.layout(pool.scratchSlots * scratchStride)) return null;
  const [aOff, bOff, cOff] = [s.at(as), s.at(bs), s.at(cs)];
  pool.begin(s.scratch, scratchStride);
  const [ars, acs] = transposeA ? [1, rows] : [k, 1];
  const [brs, bcs] = transposeB ? [1, k] : [n, 1];
  for (let c0 = 0; c0 < n; c0 += width) {
    pool.matmul(aOff, ars, acs, bOff + 4 * c0 * bcs, brs, bcs, cOff + 4 * c0, rows, Math.min(width, n - c0), k, n);
  }
  pool.run();
  return s.result(cs);
}

/** Elements per call for an op over n elements: a multiple of 4 that keeps the job within its calls. */
function elementsPerCall(pool: WorkerPool, n: number, grain: Grain): number {
  const perThread = Math.ceil(n / (CALLS_PER_THREAD * pool.threads));
  const least = Math.max(grain.elements, Math.ceil(n / pool.room));
  return Math.ceil(Math.max(perThread, least) / 4) * 4;
}

/**
 * f(x) elementwise (kernel code `op`), computed in place in WebAssembly memory. Only this thread can
 * copy x in and the result out (neither is shared memory), so it overlaps the copies with the
 * workers' computing: it posts each piece as soon as it is copied in, and copies out each piece as
 * soon as it is done (its own at once, the workers' while it waits for the rest).
 */
export function parallelUnary(
  pool: WorkerPool,
  op: number,
  x: Float32Array,
  grain = DEFAULT_GRAIN,
  memory: ResidentArrays | null = null,
): Float32Array | null {
  const n = x.length;
  const kern = pool.kernels;
  // Small pieces (a job's calls are claimed dynamically, so they need not be one per thread).
  const per = Math.ceil(Math.max(grain.elements, n / pool.room) / 4) * 4;
  const pieces = Math.ceil(n / per);
  const resident = memory?.allocate(n) ?? null;
  if (resident !== null) {
    // The result's block is the work area: x is read where it lies if resident, else each piece is
    // copied into place and computed there; nothing is copied out. Pieces are whole vectors, so no
    // call stores into another's range (the last one's partial vector lands in the spare vector).
    const xAt = memory!.offsetOf(x);
    pool.begin();
    for (let i = 0; i < pieces; i++) {
      const to = resident.byteOffset + 4 * i * per;
      if (xAt < 0) kern.write(to, x.subarray(i * per, Math.min(n, (i + 1) * per)));
      pool.unary(op, xAt < 0 ? to : xAt + 4 * i * per, to, Math.min(per, n - i * per));
      if (xAt < 0) pool.post();
    }
    pool.run();
    return resident;
  }
  const offsets = kern.layout([n]);
  if (offsets === null) return null;
  pool.begin();
  for (let i = 0; i < pieces; i++) {
    const at = offsets[0] + 4 * i * per;
    kern.write(at, x.subarray(i * per, Math.min(n, (i + 1) * per)));
    pool.unary(op, at, at, Math.min(per, n - i * per));
    pool.post();
  }
  const out = uninitializedFloats(n);
  pool.run((i) => kern.readInto(out, i * per, offsets[0] + 4 * i * per, Math.min(per, n - i * per)));
  return out;
}

/** One call of an elementwise job: rows r0..r0+rows−1, columns c0..c0+cols−1 (whole rows, or part of one). */
interface Piece {
  r0: number;
  c0: number;
  rows: number;
  cols: number;
}

/** Rows × cols in pieces of about `per` elements: groups of whole rows, or pieces of one long row. */
function pieces(rows: number, cols: number, per: number): Piece[] {
  const out: Piece[] = [];
  if (cols > per) {
    for (let r0 = 0; r0 < rows; r0++) {
      for (let c0 = 0; c0 < cols; c0 += per) out.push({ r0, c0, rows: 1, cols: Math.min(per, cols - c0) });
    }
  } else {
    const step = Math.max(1, Math.floor(per / cols));
    for (let r0 = 0; r0 < rows; r0 += step) out.push({ r0, c0: 0, rows: Math.min(step, rows - r0), cols });
  }
  return out;
}

/**
 * f(a, b) elementwise over the rows × cols view of `plan` (kernel code `op`). Each call writes into
 * its own output area: the kernel writes whole vectors, so a call's last vector may run up to 3
 * floats past its range, which must not land on another call's elements.
 */
export function parallelBinary(
  pool: WorkerPool,
  op: number,
  a: Float32Array,
  b: Float32Array,
  plan: BinaryPlan,
  grain = DEFAULT_GRAIN,
  memory: ResidentArrays | null = null,
): Float32Array | null {
  const n = plan.rows * plan.cols;
  if (n === 0) return new Float32Array(0);
  const parts = pieces(plan.rows, plan.cols, elementsPerCall(pool, n, grain));
  if (parts.length > pool.room) return null;
  const kern = pool.kernels;
  // Rows a whole number of vectors long are split into pieces of whole vectors, so no call stores
  // into another's range. Otherwise piece i's output starts 4·i floats further on than its first
  // element would, so a spill of ≤ 3 floats fits, and the pieces are copied out one by one.
  const gaps = plan.cols % 4 !== 0;
  const s = new Staging(kern, memory);
  const [as, bs] = [s.input(a), s.input(b)];
  const out = s.output(gaps ? n + 4 * parts.length : n, !gaps);
  if (!s.layout()) return null;
  const [aOff, bOff, outOff] = [s.at(as), s.at(bs), s.at(out)];
  pool.begin();
  const { a: sa, b: sb } = plan;
  const first = (p: Piece): number => p.r0 * plan.cols + p.c0;
  const area = (p: Piece, i: number): number => outOff + 4 * (first(p) + (gaps ? 4 * i : 0));
  parts.forEach((p, i) => {
    pool.binary(
      op,
      aOff + 4 * (p.r0 * sa.rowStride + p.c0 * sa.colStride),
      sa.rowStride,
      sa.colStride,
      bOff + 4 * (p.r0 * sb.rowStride + p.c0 * sb.colStride),
      sb.rowStride,
      sb.colStride,
      area(p, i),
      p.rows,
      p.cols,
    );
  });
  pool.run();
  if (!gaps) return s.result(out);
  const result = memory?.allocate(n) ?? uninitializedFloats(n);
  parts.forEach((p, i) => kern.readInto(result, first(p), area(p, i), p.rows * p.cols));
  return result;
}
