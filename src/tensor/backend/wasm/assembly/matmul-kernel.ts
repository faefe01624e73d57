// The micro-kernel of the matrix product (./matmul.ts): one MR×NR tile of C from a packed row panel
// of A and a packed column panel of B.
//
// Its 8 accumulators (4 rows × 2 vectors of 4 floats), the two vectors of B and the four broadcasts
// of A take 15 of x64's 16 vector registers (V8 keeps the last as scratch), so a larger tile spills.

import { multiplyAdd } from './multiply-add';

/** Rows of a tile, and of a packed panel of A. */
export const MR: i32 = 4;
/** Columns of a tile, and of a packed panel of B. */
export const NR: i32 = 8;

// Each step of a tile's sums is `multiplyAdd` (./multiply-add.ts): fused in the relaxed build.
// Measured on x64 (Node 20 with --experimental-wasm-relaxed-simd, 2026-12-04): 512×512·512×512 on one
// thread 10.4–10.9 → 8.5 ms (25.6 → 31.7 GFLOP/s) with it, the kernel then being bound by its loads.

/**
 * tile[MR×NR] (row stride ldt floats) (+)= Ap(MR×kc) · Bp(kc×NR): A packed, B's rows bStep bytes apart
 * (NR·4 when packed). With `accumulate` the sums are added to the tile, without it they replace it. Each
 * element's sum runs over p in order, in float32, from 0, each step being `multiplyAdd` (fused or not).
 */
// @ts-ignore: decorator
@inline
export function microKernel(
  ap: usize, bp: usize, bStep: usize, kc: i32, tile: usize, ldt: i32, accumulate: bool,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    c00 = multiplyAdd(a0, b0, c00);
    c01 = multiplyAdd(a0, b1, c01);
    const a1 = v128.load32_splat(ap, 4);
    c10 = multiplyAdd(a1, b0, c10);
    c11 = multiplyAdd(a1, b1, c11);
    const a2 = v128.load32_splat(ap, 8);
    c20 = multiplyAdd(a2, b0, c20);
    c21 = multiplyAdd(a2, b1, c21);
    const a3 = v128.load32_splat(ap, 12);
    c30 = multiplyAdd(a3, b0, c30);
    c31 = multiplyAdd(a3, b1, c31);
    ap += MR << 2;
    bp += bStep;
  }
  const ld = <usize>ldt << 2;
  let t = tile;
  if (accumulate) {
    c00 = f32x4.add(v128.load(t), c00); c01 = f32x4.add(v128.load(t, 16), c01);
    c10 = f32x4.add(v128.load(t + ld), c10); c11 = f32x4.add(v128.load(t + ld, 16), c11);
    c20 = f32x4.add(v128.load(t + 2 * ld), c20); c21 = f32x4.add(v128.load(t + 2 * ld, 16), c21);
    c30 = f32x4.add(v128.load(t + 3 * ld), c30); c31 = f32x4.add(v128.load(t + 3 * ld, 16), c31);
  }
  v128.store(t, c00); v128.store(t, c01, 16); t += ld;
  v128.store(t, c10); v128.store(t, c11, 16); t += ld;
  v128.store(t, c20); v128.store(t, c21, 16); t += ld;
  v128.store(t, c30); v128.store(t, c31, 16);
}
