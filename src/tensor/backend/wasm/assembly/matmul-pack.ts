// Packing for the matrix product (./matmul.ts): copies a block of an operand into the order the
// micro-kernel reads it, whatever the operand's strides. Panels are padded to whole tiles with zeros:
// the padded lanes never reach C, but stale scratch could hold subnormals, which are slow on x64.
//
// An operand read across its rows (A not transposed, B transposed) would need one scalar load per
// element; these are read as 4×4 blocks instead, four vector loads turned around by a 4×4 transpose.

import { MR, NR } from './matmul-kernel';

/** The rows of a 4×4 block become its columns: out[q] = [r0[q], r1[q], r2[q], r3[q]]. */
// @ts-ignore: decorator
@inline
function storeTransposed(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
}

/**
 * Packs rows p0 … p0+kc−1, columns j0 … j0+NR−1 of B (B[p][j] = b[p·rs + j·cs]) into one panel:
 * kc rows of NR floats, columns past n zero.
 */
export function packPanelB(b: usize, rs: i32, cs: i32, p0: i32, kc: i32, j0: i32, n: i32, dst: usize): void {
  const w = min(NR, n - j0);
  const rowStep = <usize>rs << 2;
  const colStep = <usize>cs << 2;
  let row = b + (<usize>(p0 * rs + j0 * cs) << 2);
  let p = 0;
  if (w == NR && cs == 1) {
    // B not transposed: each row of the panel is two vectors.
    for (; p < kc; p++, row += rowStep, dst += NR << 2) {
      v128.store(dst, v128.load(row));
      v128.store(dst, v128.load(row, 16), 16);
    }
  } else if (w == NR && rs == 1) {
    // B transposed: four consecutive rows of a column are one vector; transpose 4×4 blocks.
    for (; p + 4 <= kc; p += 4, row += 4 << 2, dst += 4 * (NR << 2)) {
      for (let g = 0; g < NR; g += 4) {
        const col = row + <usize>g * colStep;
        const r0 = v128.load(col);
        const r1 = v128.load(col + colStep);
        const r2 = v128.load(col + 2 * colStep);
        const r3 = v128.load(col + 3 * colStep);
        storeTransposed(dst + (<usize>g << 2), NR << 2, r0, r1, r2, r3);
      }
    }
  }
  // What is left: a partial panel, rows past the last block of 4, or general strides.
  for (; p < kc; p++, row += rowStep, dst += NR << 2) {
    let src = row;
    for (let j = 0; j < w; j++, src += colStep) store<f32>(dst + (<usize>j << 2), load<f32>(src));
    for (let j = w; j < NR; j++) store<f32>(dst + (<usize>j << 2), 0);
  }
}

/**
 * Packs rows i0 … i0+mc−1, columns p0 … p0+kc−1 of A (A[i][p] = a[i·rs + p·cs]) into row panels of
 * MR: panel after panel, each kc columns of MR floats, rows past mc zero.
 */
export function packBlockA(a: usize, rs: i32, cs: i32, i0: i32, p0: i32, mc: i32, kc: i32, dst: usize): void {
  const rowStep = <usize>rs << 2;
  const colStep = <usize>cs << 2;
  for (let r0 = 0; r0 < mc; r0 += MR) {
    const h = min(MR, mc - r0);
    let col = a + (<usize>((i0 + r0) * rs + p0 * cs) << 2);
    let p = 0;
    if (h == MR && rs == 1) {
      // A transposed: the panel's MR rows are one vector at each p.
      for (; p < kc; p++, col += colStep, dst += MR << 2) v128.store(dst, v128.load(col));
    } else if (h == MR && cs == 1) {
      // A not transposed: four consecutive columns of a row are one vector; transpose 4×4 blocks.
      for (; p + 4 <= kc; p += 4, col += 4 << 2, dst += 4 * (MR << 2)) {
        const r0 = v128.load(col);
        const r1 = v128.load(col + rowStep);
        const r2 = v128.load(col + 2 * rowStep);
        const r3 = v128.load(col + 3 * rowStep);
        storeTransposed(dst, MR << 2, r0, r1, r2, r3);
      }
    }
    for (; p < kc; p++, col += colStep, dst += MR << 2) {
      for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), r < h ? load<f32>(col + <usize>r * rowStep) : 0);
    }
  }
}
