// Packed, register-blocked matrix product C += A·B in float32 (AssemblyScript, v128 SIMD).
//
// The logical operands are A (m×k) and B (k×n). Each is read through a row stride and a column
// stride, so a transposed operand costs nothing extra: it is only packed in a different order
// (./matmul-pack.ts).
//
// The scheme is the classic one of Goto and van de Geijn ("Anatomy of high-performance matrix
// multiplication", 2008). The shared dimension is cut into slabs of at most KC; for each slab a block
// of at most MC rows of A is packed into row panels MR tall, and B into column panels NR wide, each
// packed just before its first use (still in cache) and kept for the next blocks of rows (a B whose rows
// are contiguous and close together is read in place instead: `readsBInPlace`). The micro-kernel
// (./matmul-kernel.ts) keeps one MR×NR tile of sums in registers while it walks a slab.

import { MR, NR, microKernel } from './matmul-kernel';
import { packBlockA, packPanelB } from './matmul-pack';

/** Deepest slab: a KC×NR panel of B (8 KB) stays in the 32–48 KB L1 cache. */
const KC: i32 = 256;
/** Most rows in a block: MC×KC floats of packed A (128 KB) stay in the L2 cache next to a slab of B. */
const MC: i32 = 128;

/** Depth of the slabs of a product with shared dimension k: as even as possible, at most KC. */
// @ts-ignore: decorator
@inline
function slabDepth(k: i32): i32 {
  const slabs = (k + KC - 1) / KC;
  return slabs == 0 ? 0 : (k + slabs - 1) / slabs;
}

/** Rows of the blocks of A for a product with m rows: as even as possible, a multiple of MR, at most MC. */
// @ts-ignore: decorator
@inline
function blockRows(m: i32): i32 {
  const blocks = (m + MC - 1) / MC;
  return blocks == 0 ? 0 : ((m + blocks - 1) / blocks + MR - 1) / MR * MR;
}

/**
 * Whether the micro-kernel reads B's rows where they are instead of from packed panels. Measured on
 * x64 (bench/README.md, session 16): when B's rows are contiguous and less than 4 KB apart, reading
 * them in place is as fast as reading packed panels (a panel's kc rows stay in the L2 cache, and the
 * kernel needs only 32 bytes of B per 8-cycle step), and it saves the packing, which a product split
 * by rows over threads repeats in every call: 512×512·512×512 on 2 threads 6.0–6.4 → 5.7 ms. Rows
 * 4 KB or more apart put every step on a new page (TLB misses: 4–7% slower at n = 2,056 and 4,100),
 * and a stride that is a multiple of 4 KB puts them all in the same few cache sets; such a B is still
 * read in place by products of at most 32 rows, for which packing B costs more than it saves.
 */
// @ts-ignore: decorator
@inline
function readsBInPlace(brs: i32, bcs: i32, m: i32): bool {
  return bcs == 1 && (brs & 1023) != 0 && (brs < 1024 || m <= 32);
}

/** Bytes of scratch the caller must provide for a product with these sizes. */
export function matmulScratchBytes(m: i32, n: i32, k: i32): i32 {
  const kc = slabDepth(k);
  const nPadded = (n + NR - 1) / NR * NR;
  return (kc * nPadded + kc * blockRows(m) + MR * NR) * 4 + 64;
}

/**
 * C (m×n, row-major) = A·B where A[i][p] = a[i·ars + p·acs] and B[p][j] = b[p·brs + j·bcs]. C's old
 * contents are never read (the first slab stores its sums, the others add theirs), so the caller need
 * not zero it. `scratch` holds matmulScratchBytes(m, n, k) bytes, 16-aligned.
 *
 * Summation order, the same whatever m and n (so whatever rows or columns a thread is given): C[i][j]
 * is the sum of the first slab, then each later slab's sum is added in turn; a slab's sum runs over its
 * p in increasing order from 0. (The same bits as adding the first slab to a zero: a sum started from
 * +0 is never −0.)
 */
export function matmul(
  a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize,
  m: i32, n: i32, k: i32, scratch: usize,
): void {
  matmulStrided(a, ars, acs, b, brs, bcs, c, n, m, n, k, scratch);
}

/**
 * As `matmul`, with C's rows ldc floats apart: C may be a block of columns of a wider matrix, so a
 * product can also be split by columns (each part then packs only its own columns of B).
 */
export function matmulStrided(
  a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize, ldc: i32,
  m: i32, n: i32, k: i32, scratch: usize,
): void {
  const kcMax = slabDepth(k);
  const mcMax = blockRows(m);
  const nPadded = (n + NR - 1) / NR * NR;
  const packedB = scratch;
  const packedA = packedB + (<usize>(kcMax * nPadded) << 2);
  const edgeTile = packedA + (<usize>(kcMax * mcMax) << 2);
  if (k == 0) {
    // No slab: the product is all zeros.
    for (let i = 0; i < m; i++) memory.fill(c + (<usize>(i * ldc) << 2), 0, <usize>n << 2);
    return;
  }
  for (let p0 = 0; p0 < k; p0 += kcMax) {
    const kc = min(kcMax, k - p0);
    const accumulate = p0 != 0;
    for (let i0 = 0; i0 < m; i0 += mcMax) {
      const mc = min(mcMax, m - i0);
      packBlockA(a, ars, acs, i0, p0, mc, kc, packedA);
      for (let j0 = 0; j0 < n; j0 += NR) {
        const w = min(NR, n - j0);
        const direct = readsBInPlace(brs, bcs, m) && w == NR;
        const bp = direct ? b + (<usize>(p0 * brs + j0) << 2) : packedB + (<usize>(j0 * kc) << 2);
        const bStep: usize = direct ? <usize>brs << 2 : NR << 2;
        if (i0 == 0 && !direct) packPanelB(b, brs, bcs, p0, kc, j0, n, bp);
        for (let r0 = 0; r0 < mc; r0 += MR) {
          const ap = packedA + (<usize>(r0 * kc) << 2);
          const h = min(MR, mc - r0);
          const cTile = c + (<usize>((i0 + r0) * ldc + j0) << 2);
          if (w == NR && h == MR) {
            microKernel(ap, bp, bStep, kc, cTile, ldc, accumulate);
          } else {
            // Only part of this tile lies in C: compute it whole in scratch, store or add the part that does.
            microKernel(ap, bp, bStep, kc, edgeTile, NR, false);
            for (let r = 0; r < h; r++) {
              for (let j = 0; j < w; j++) {
                const dst = cTile + (<usize>(r * ldc + j) << 2);
                const sum = load<f32>(edgeTile + (<usize>(r * NR + j) << 2));
                store<f32>(dst, accumulate ? load<f32>(dst) + sum : sum);
              }
            }
          }
        }
      }
    }
  }
}
