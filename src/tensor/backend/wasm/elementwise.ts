/**
 * Binary elementwise kernels run in cache-sized chunks. A whole-array call would copy both operands
 * into WebAssembly memory, compute a whole output there and copy it out: each float crossing main
 * memory several times. In chunks of CHUNK floats the three buffers in WebAssembly memory stay in
 * the L2 cache, so main memory sees only the reads of a and b and the write of the result.
 */
import type { BinaryPlan, Operand2d } from './plans.js';
import type { Kernels } from './kernels.js';

/** Floats per chunk: three 64 KB buffers. */
const CHUNK = 16_384;

/**
 * out = op(a, b) over the plan's rows × cols view, chunk by chunk: whole rows when a row fits in a
 * chunk, else pieces of one row. Returns null when WebAssembly memory cannot hold the buffers.
 */
export function chunkedBinary(
  k: Kernels,
  code: number,
  a: Float32Array,
  b: Float32Array,
  plan: BinaryPlan,
): Float32Array | null {
  const { rows, cols } = plan;
  const colBlock = Math.min(cols, CHUNK);
  const rowBlock = colBlock === cols ? Math.max(1, Math.floor(CHUNK / cols)) : 1;
  const offsets = k.layout([rowBlock * colBlock, rowBlock * colBlock, rowBlock * colBlock]);
  if (offsets === null) return null;
  const [aOff, bOff, outOff] = offsets;
  const out = new Float32Array(rows * cols);
  for (let r0 = 0; r0 < rows; r0 += rowBlock) {
    const r1 = Math.min(rows, r0 + rowBlock);
    for (let c0 = 0; c0 < cols; c0 += colBlock) {
      const c1 = Math.min(cols, c0 + colBlock);
      const aLocal = stage(k, aOff, a, plan.a, cols, r0, r1, c0, c1);
      const bLocal = stage(k, bOff, b, plan.b, cols, r0, r1, c0, c1);
      k.exports.binary(
        code,
        aOff,
        aLocal.rowStride,
        aLocal.colStride,
        bOff,
        bLocal.rowStride,
        bLocal.colStride,
        outOff,
        r1 - r0,
        c1 - c0,
      );
      if (c1 - c0 === cols) k.readInto(out, r0 * cols, outOff, (r1 - r0) * cols);
      else k.readInto(out, r0 * cols + c0, outOff, c1 - c0);
    }
  }
  return out;
}

/**
 * Copy the part of an operand that rows [r0, r1) × cols [c0, c1) read to `offset`, and return its
 * strides within that block. A full operand's block is contiguous (whole rows, or a piece of one
 * row); a row vector gives its columns, a column vector its rows, a scalar its one value.
 */
function stage(
  k: Kernels,
  offset: number,
  x: Float32Array,
  o: Operand2d,
  cols: number,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
): Operand2d {
  const width = c1 - c0;
  if (o.colStride === 1 && o.rowStride !== 0) {
    k.write(offset, x.subarray(r0 * cols + c0, (r1 - 1) * cols + c1));
    return { rowStride: width, colStride: 1 };
  }
  if (o.colStride === 1) k.write(offset, x.subarray(c0, c1));
  else if (o.rowStride !== 0) k.write(offset, x.subarray(r0, r1));
  else k.write(offset, x.subarray(0, 1));
  return o;
}
