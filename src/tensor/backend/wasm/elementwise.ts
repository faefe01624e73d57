/**
 * Binary elementwise kernels run in cache-sized chunks. A whole-array call would copy both operands
 * into WebAssembly memory, compute a whole output there and copy it out: each float crossing main
 * memory several times. In chunks of CHUNK floats the three buffers in WebAssembly memory stay in
 * the L2 cache, so main memory sees only the reads of a and b and the write of the result.
 */
import type { BinaryPlan, Operand2d } from './plans.js';
import type { Kernels } from './kernels.js';
import type { ResidentArrays } from './resident-arrays.js';
import { uninitializedFloats } from './uninitialized.js';

/** Floats per chunk: three 64 KB buffers. */
const CHUNK = 16_384;

/**
 * out = op(a, b) over the plan's rows × cols view, chunk by chunk: whole rows when a row fits in a
 * chunk, else pieces of one row. Returns null when WebAssembly memory cannot hold the buffers.
 */
export function chunkedBinary(
  k: Kernels,
  memory: ResidentArrays | null,
  code: number,
  a: Float32Array,
  b: Float32Array,
  plan: BinaryPlan,
): Float32Array | null {
  const { rows, cols } = plan;
  const resident = memory?.allocate(rows * cols) ?? null;
  const aAt = memory?.offsetOf(a) ?? -1;
  const bAt = memory?.offsetOf(b) ?? -1;
  if (resident !== null && aAt >= 0 && bAt >= 0) {
    // Nothing to copy: one call over the whole view.
    const { a: sa, b: sb } = plan;
    k.exports.binary(
      code,
      aAt,
      sa.rowStride,
      sa.colStride,
      bAt,
      sb.rowStride,
      sb.colStride,
      resident.byteOffset,
      rows,
      cols,
    );
    return resident;
  }
  const colBlock = Math.min(cols, CHUNK);
  const rowBlock = colBlock === cols ? Math.max(1, Math.floor(CHUNK / cols)) : 1;
  const offsets = k.layout([rowBlock * colBlock, rowBlock * colBlock, rowBlock * colBlock]);
  if (offsets === null) {
    if (resident !== null) memory!.discard(resident);
    return null;
  }
  const [aOff, bOff, outOff] = offsets;
  const out = resident ?? uninitializedFloats(rows * cols);
  for (let r0 = 0; r0 < rows; r0 += rowBlock) {
    const r1 = Math.min(rows, r0 + rowBlock);
    for (let c0 = 0; c0 < cols; c0 += colBlock) {
      const c1 = Math.min(cols, c0 + colBlock);
      const aLocal = stage(k, aOff, aAt, a, plan.a, cols, r0, r1, c0, c1);
      const bLocal = stage(k, bOff, bAt, b, plan.b, cols, r0, r1, c0, c1);
      const first = r0 * cols + c0;
      // A resident result is written in place: a chunk's last vector may spill up to 3 floats into
      // the next chunk's range, which that chunk then overwrites (or into the block's spare vector).
      const target = resident === null ? outOff : resident.byteOffset + 4 * first;
      k.exports.binary(
        code,
        aLocal.offset,
        aLocal.rowStride,
        aLocal.colStride,
        bLocal.offset,
        bLocal.rowStride,
        bLocal.colStride,
        target,
        r1 - r0,
        c1 - c0,
      );
      if (resident === null) k.readInto(out, first, outOff, (r1 - r0) * (c1 - c0));
    }
  }
  return out;
}

/** Where the kernel reads an operand's block, and its strides there. */
interface Staged extends Operand2d {
  offset: number;
}

/**
 * Copy the part of an operand that rows [r0, r1) × cols [c0, c1) read to `offset`, and return its
 * strides within that block. A full operand's block is contiguous (whole rows, or a piece of one
 * row); a row vector gives its columns, a column vector its rows, a scalar its one value. A
 * resident operand (at byte `at` ≥ 0) is not copied: the block is read where it lies.
 */
function stage(
  k: Kernels,
  offset: number,
  at: number,
  x: Float32Array,
  o: Operand2d,
  cols: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
): Staged {
  if (at >= 0) return { offset: at + 4 * (r0 * o.rowStride + c0 * o.colStride), ...o };
  const width = c1 - c0;
  if (o.colStride === 1 && o.rowStride !== 0) {
    k.write(offset, x.subarray(r0 * cols + c0, (r1 - 1) * cols + c1));
    return { offset, rowStride: width, colStride: 1 };
  }
  if (o.colStride === 1) k.write(offset, x.subarray(c0, c1));
  else if (o.rowStride !== 0) k.write(offset, x.subarray(r0, r1));
  else k.write(offset, x.subarray(0, 1));
  return { offset, ...o };
}
