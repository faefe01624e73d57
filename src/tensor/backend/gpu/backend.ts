/**
 * The GPU backend: the active CPU backend (JS or WASM) with matrix products large enough to repay
 * a trip to the GPU sent to a gpu.js kernel. Everything else, and every product the kernel does not
 * cover, stays on the CPU backend it wraps.
 *
 * Accuracy. The shader accumulates in float32 (JS accumulates in float64), so an entry differs from
 * the exact product by at most γ_k·(|A||B|)_ij, γ_k = k·u/(1 − k·u), u = 2⁻²⁴ (Higham, Accuracy and
 * Stability of Numerical Algorithms, eq. 3.13). GLSL ES 3.00 requires highp +, − and × to be
 * correctly rounded, which is what that bound assumes; a fused multiply-add only tightens it.
 *
 * Special values. GLSL does not promise IEEE NaN and infinity, so a product whose inputs hold any
 * non-finite entry runs on the CPU backend: NaN and ±∞ propagate exactly as on the CPU.
 */
import type { Backend } from '../backend.js';
import { shapeSize, shapesEqual, type Shape } from '../../shape.js';
import { fail } from '../../../errors.js';
import type { GpuMatmul } from './kernels.js';

export interface GpuBackendOptions {
  /** Smallest batch·m·n·k sent to the GPU; smaller products stay on the CPU backend. */
  readonly minMultiplyAdds: number;
  /** Largest array (in floats) one texture holds: maxTextureSize². Larger products stay on the CPU. */
  readonly maxTextureElements: number;
}

/** How many matrix products went where, since the backend was made (tests read it). */
export interface GpuMatmulCounts {
  gpu: number;
  cpu: number;
}

export interface GpuBackend extends Backend {
  /** The CPU backend this one wraps and falls back to. */
  readonly base: Backend;
  readonly counts: GpuMatmulCounts;
}

function allFinite(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

/** Swap the last two entries of a shape. */
function swapLastTwo(shape: Shape): number[] {
  return [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
}

function swapLastTwoPerm(rank: number): number[] {
  return [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
}

export function makeGpuBackend(base: Backend, kernel: GpuMatmul, options: GpuBackendOptions): GpuBackend {
  const counts: GpuMatmulCounts = { gpu: 0, cpu: 0 };

  /** Whether a product of these sizes belongs on the GPU (before looking at the values). */
  function worthIt(batch: number, m: number, k: number, n: number): boolean {
    if (batch * m * n * k < options.minMultiplyAdds || batch * m * n * k === 0) return false;
    const largest = Math.max(batch * m * k, batch * k * n, batch * m * n);
    return largest <= options.maxTextureElements;
  }

  function matmul(a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, outShape: Shape): Float32Array {
    const rank = outShape.length;
    if (rank < 2 || aShape.length < 2 || bShape.length < 2) {
      fail('gpu matmul', `operands must have rank ≥ 2, got [${aShape}] @ [${bShape}] -> [${outShape}]`);
    }
    const m = outShape[rank - 2],
      n = outShape[rank - 1],
      k = aShape[aShape.length - 1];
    const batchShape = outShape.slice(0, -2);
    const batch = shapeSize(batchShape);
    if (!worthIt(batch, m, k, n) || !allFinite(a) || !allFinite(b)) {
      counts.cpu++;
      return base.matmul(a, aShape, b, bShape, outShape);
    }
    // The kernel multiplies matrices stored back to back: copy broadcast batches out (O(batch·m·k),
    // small next to the O(batch·m·n·k) product).
    const aFull = [...batchShape, m, k];
    const bFull = [...batchShape, k, n];
    const aDense = shapesEqual(aShape, aFull) ? a : base.broadcastTo(a, aShape, aFull);
    const bDense = shapesEqual(bShape, bFull) ? b : base.broadcastTo(b, bShape, bFull);
    let out: Float32Array;
    try {
      out = kernel.run(aDense, bDense, batch, m, k, n);
    } catch (e) {
      fail('gpu matmul', `the gpu.js kernel for [${aShape}] @ [${bShape}] failed: ${String(e)}`);
    }
    counts.gpu++;
    return out;
  }

  /** Transposed operands: materialize the transposes on the CPU (O(size)), then multiply on the GPU. */
  function matmulTransposed(
    a: Float32Array,
    aShape: Shape,
    transposeA: boolean,
    b: Float32Array,
    bShape: Shape,
    transposeB: boolean,
    outShape: Shape,
  ): Float32Array {
    const rank = outShape.length;
    const m = outShape[rank - 2],
      n = outShape[rank - 1];
    const k = transposeA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
    if (!worthIt(shapeSize(outShape.slice(0, -2)), m, k, n)) {
      counts.cpu++;
      return base.matmulTransposed(a, aShape, transposeA, b, bShape, transposeB, outShape);
    }
    const a2 = transposeA ? base.transpose(a, aShape, swapLastTwoPerm(aShape.length)) : a;
    const b2 = transposeB ? base.transpose(b, bShape, swapLastTwoPerm(bShape.length)) : b;
    const aUsed = transposeA ? swapLastTwo(aShape) : aShape;
    const bUsed = transposeB ? swapLastTwo(bShape) : bShape;
    return matmul(a2, aUsed, b2, bUsed, outShape);
  }

  return { ...base, name: `gpu.js+${base.name}`, base, counts, matmul, matmulTransposed };
}
