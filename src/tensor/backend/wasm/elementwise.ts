/**
 * Binary and ternary elementwise kernels run in cache-sized chunks. A whole-array call would copy
 * the operands into WebAssembly memory, compute a whole output there and copy it out: each float
 * crossing main memory several times. In chunks of CHUNK floats the buffers in WebAssembly memory
 * stay in the L2 cache, so main memory sees only the reads of the operands and the write of the result.
 */
import type { BinaryPlan, ElementwisePlan, Operand2d } from './plans.js';
import type { Kernels } from './kernels.js';
import type { ResidentArrays } from './resident-arrays.js';
import { uninitializedFloats } from './uninitialized.js';

/** Floats per chunk: 64 KB per buffer (three for a binary op, four for a ternary one). */
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
  const view = { rows: plan.rows, cols: plan.cols, operands: [plan.a, plan.b] };
  return chunkedElementwise(k, memory, [a, b], view, ([sa, sb], out, rows, cols) =>
    k.exports.binary(
      code,
      sa.offset,
      sa.rowStride,
      sa.colStride,
      sb.offset,
      sb.rowStride,
      sb.colStride,
      out,
      rows,
      cols,
    ),
  );
}

/**
 * One of the three-operand kernels of assembly/ternary.ts over the plan's rows × cols view (operands
 * in the kernel's order), as chunkedBinary: `where` (cond ≠ 0 ? a : b) or `bernoulliLogitsGrad`
 * (g·(x − σ(l))).
 */
export function chunkedTernary(
  k: Kernels,
  memory: ResidentArrays | null,
  kernel: 'where' | 'bernoulliLogitsGrad',
  inputs: readonly [Float32Array, Float32Array, Float32Array],
  plan: ElementwisePlan,
): Float32Array | null {
  const run = k.exports[kernel];
  return chunkedElementwise(k, memory, inputs, plan, ([s0, s1, s2], out, rows, cols) =>
    run(
      s0.offset,
      s0.rowStride,
      s0.colStride,
      s1.offset,
      s1.rowStride,
      s1.colStride,
      s2.offset,
      s2.rowStride,
      s2.colStride,
      out,
      rows,
      cols,
    ),
  );
}

/**
 * Run `kernel` over the plan's view block by block: each input's part of the block is staged (or
 * read in place when resident), and the kernel writes rows × cols results at byte `out`.
 */
function chunkedElementwise(
  k: Kernels,
  memory: ResidentArrays | null,
  inputs: readonly Float32Array[],
  plan: ElementwisePlan,
  kernel: (staged: Staged[], out: number, rows: number, cols: number) => void,
): Float32Array | null {
  const { rows, cols } = plan;
  const resident = memory?.allocate(rows * cols) ?? null;
  const at = inputs.map((x) => memory?.offsetOf(x) ?? -1);
  if (resident !== null && at.every((offset) => offset >= 0)) {
    // Nothing to copy: one call over the whole view.
    kernel(
      plan.operands.map((o, i) => ({ offset: at[i], ...o })),
      resident.byteOffset,
      rows,
      cols,
    );
    return resident;
  }
  const colBlock = Math.min(cols, CHUNK);
  const rowBlock = colBlock === cols ? Math.max(1, Math.floor(CHUNK / cols)) : 1;
  // One block-sized buffer per input, then one for the result.
  const offsets = k.layout(new Array<number>(inputs.length + 1).fill(rowBlock * colBlock));
  if (offsets === null) {
    if (resident !== null) memory!.discard(resident);
    return null;
  }
  const outOff = offsets[inputs.length];
  const out = resident ?? uninitializedFloats(rows * cols);
  for (let r0 = 0; r0 < rows; r0 += rowBlock) {
    const r1 = Math.min(rows, r0 + rowBlock);
    for (let c0 = 0; c0 < cols; c0 += colBlock) {
      const c1 = Math.min(cols, c0 + colBlock);
      const staged = inputs.map((x, i) => stage(k, offsets[i], at[i], x, plan.operands[i], cols, r0, r1, c0, c1));
      const first = r0 * cols + c0;
      // A resident result is written in place: a chunk's last vector may spill up to 3 floats into
      // the next chunk's range, which that chunk then overwrites (or into the block's spare vector).
      kernel(staged, resident === null ? outOff : resident.byteOffset + 4 * first, r1 - r0, c1 - c0);
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
