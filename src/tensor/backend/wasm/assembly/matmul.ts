// Packed, register-blocked matrix product C = A·B in float32 (AssemblyScript, v128 SIMD).
//
// The logical operands are A (m×k) and B (k×n). Each is read through a row stride and a column
// stride, so a transposed operand costs nothing extra: it is only packed in a different order.
//
// The scheme is the classic one of Goto and van de Geijn ("Anatomy of high-performance matrix
// multiplication", 2008): a KC×n slab of B is packed into column panels NR = 8 wide, an MC×KC
// block of A into row panels MR = 4 tall, and a 4×8 micro-kernel keeps its 8 accumulators
// (4 rows × 2 vectors of 4 floats) in registers while it walks the shared dimension. Panels are
// padded with zeros to whole tiles, so the micro-kernel has no edge cases; edge tiles are written
// through a scratch tile and only their valid part is added into C.
//
// Accumulation is float32 (no fused multiply-add: relaxed SIMD is not available in Node 20).

const MR: i32 = 4;
const NR: i32 = 8;
/** Depth of one packed slab: a KC×NR panel of B (8 KB) stays in the L1 cache. */
const KC: i32 = 256;
/** Rows of one packed block of A: MC×KC floats (96 KB) stay in the L2 cache. */
const MC: i32 = 96;

/** Bytes of scratch the caller must provide for a product with these sizes. */
export function matmulScratchBytes(m: i32, n: i32, k: i32): i32 {
  const kc = min(k, KC);
  const nPadded = (n + NR - 1) / NR * NR;
  const mcPadded = (min(m, MC) + MR - 1) / MR * MR;
  return (kc * nPadded + kc * mcPadded + MR * NR) * 4 + 64;
}

/** Packs the kc×n block of B starting at row p0 into column panels of NR, zero-padded. */
function packB(b: usize, rs: i32, cs: i32, p0: i32, kc: i32, n: i32, dst: usize): void {
  const step = <usize>cs << 2;
  for (let j0 = 0; j0 < n; j0 += NR) {
    const w = min(NR, n - j0);
    let row = b + (<usize>(p0 * rs + j0 * cs) << 2);
    const rowStep = <usize>rs << 2;
    if (w == NR && cs == 1) {
      // Contiguous rows (B not transposed): two vector copies per row of the panel.
      for (let p = 0; p < kc; p++, row += rowStep, dst += NR << 2) {
        v128.store(dst, v128.load(row));
        v128.store(dst, v128.load(row, 16), 16);
      }
    } else if (w == NR) {
      // Strided gather (B transposed): eight loads per row of the panel.
      for (let p = 0; p < kc; p++, row += rowStep, dst += NR << 2) {
        let src = row;
        for (let j = 0; j < NR; j++, src += step) store<f32>(dst + (<usize>j << 2), load<f32>(src));
      }
    } else {
      // The last, partial panel: pad with zeros.
      for (let p = 0; p < kc; p++, row += rowStep, dst += NR << 2) {
        let src = row;
        for (let j = 0; j < w; j++, src += step) store<f32>(dst + (<usize>j << 2), load<f32>(src));
        for (let j = w; j < NR; j++) store<f32>(dst + (<usize>j << 2), 0);
      }
    }
  }
}

/** Packs the mc×kc block of A starting at (i0, p0) into row panels of MR, zero-padded. */
function packA(a: usize, rs: i32, cs: i32, i0: i32, p0: i32, mc: i32, kc: i32, dst: usize): void {
  const rowStep = <usize>rs << 2;
  const colStep = <usize>cs << 2;
  for (let r0 = 0; r0 < mc; r0 += MR) {
    const h = min(MR, mc - r0);
    let col = a + (<usize>((i0 + r0) * rs + p0 * cs) << 2);
    if (h == MR && rs == 1) {
      // A transposed: the panel's four rows are contiguous in memory at each p.
      for (let p = 0; p < kc; p++, col += colStep, dst += MR << 2) v128.store(dst, v128.load(col));
    } else if (h == MR) {
      for (let p = 0; p < kc; p++, col += colStep, dst += MR << 2) {
        store<f32>(dst, load<f32>(col));
        store<f32>(dst, load<f32>(col + rowStep), 4);
        store<f32>(dst, load<f32>(col + 2 * rowStep), 8);
        store<f32>(dst, load<f32>(col + 3 * rowStep), 12);
      }
    } else {
      for (let p = 0; p < kc; p++, col += colStep, dst += MR << 2) {
        for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), r < h ? load<f32>(col + <usize>r * rowStep) : 0);
      }
    }
  }
}

/** tile[4×8] (row stride ldt floats) += Ap(4×kc) · Bp(kc×8), both packed. */
// @ts-ignore: decorator
@inline
function microKernel(ap: usize, bp: usize, kc: i32, tile: usize, ldt: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    ap += MR << 2;
    bp += NR << 2;
  }
  const ld = <usize>ldt << 2;
  let t = tile;
  v128.store(t, f32x4.add(v128.load(t), c00)); v128.store(t, f32x4.add(v128.load(t, 16), c01), 16); t += ld;
  v128.store(t, f32x4.add(v128.load(t), c10)); v128.store(t, f32x4.add(v128.load(t, 16), c11), 16); t += ld;
  v128.store(t, f32x4.add(v128.load(t), c20)); v128.store(t, f32x4.add(v128.load(t, 16), c21), 16); t += ld;
  v128.store(t, f32x4.add(v128.load(t), c30)); v128.store(t, f32x4.add(v128.load(t, 16), c31), 16);
}

/**
 * C (m×n, row-major, zero-filled by the caller) += A·B where A[i][p] = a[i·ars + p·acs] and
 * B[p][j] = b[p·brs + j·bcs]. `scratch` holds matmulScratchBytes(m, n, k) bytes, 16-aligned.
 */
export function matmul(
  a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize,
  m: i32, n: i32, k: i32, scratch: usize,
): void {
  const kcMax = min(k, KC);
  const nPadded = (n + NR - 1) / NR * NR;
  const packedB = scratch;
  const packedA = packedB + (<usize>(kcMax * nPadded) << 2);
  const mcPadded = (min(m, MC) + MR - 1) / MR * MR;
  const edgeTile = packedA + (<usize>(kcMax * mcPadded) << 2);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    packB(b, brs, bcs, p0, kc, n, packedB);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = min(MC, m - i0);
      packA(a, ars, acs, i0, p0, mc, kc, packedA);
      for (let j0 = 0; j0 < n; j0 += NR) {
        const bp = packedB + (<usize>(j0 * kc) << 2);
        const w = min(NR, n - j0);
        for (let r0 = 0; r0 < mc; r0 += MR) {
          const ap = packedA + (<usize>(r0 * kc) << 2);
          const h = min(MR, mc - r0);
          const cTile = c + (<usize>((i0 + r0) * n + j0) << 2);
          if (w == NR && h == MR) {
            microKernel(ap, bp, kc, cTile, n);
          } else {
            memory.fill(edgeTile, 0, MR * NR * 4);
            microKernel(ap, bp, kc, edgeTile, NR);
            for (let r = 0; r < h; r++) {
              for (let j = 0; j < w; j++) {
                const dst = cTile + (<usize>(r * n + j) << 2);
                store<f32>(dst, load<f32>(dst) + load<f32>(edgeTile + (<usize>(r * NR + j) << 2)));
              }
            }
          }
        }
      }
    }
  }
}
