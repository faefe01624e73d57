// Batched matrix transpose: out[b][c][r] = x[b][r][c] for x of shape [batch, rows, cols].
// 4×4 tiles are loaded as four vectors, transposed in registers with shuffles and stored as four
// vectors; the ragged right and bottom edges are copied one element at a time. Nothing is read or
// written outside the two arrays.

// @ts-ignore: decorator
@inline function tile4x4(src: usize, srcRow: usize, dst: usize, dstRow: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + srcRow);
  const r2 = v128.load(src + 2 * srcRow);
  const r3 = v128.load(src + 3 * srcRow);
  // Interleave pairs of rows, then pairs of pairs: the classic two-stage 4×4 transpose.
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(dst + dstRow, i64x2.shuffle(t0, t1, 1, 3));
  v128.store(dst + 2 * dstRow, i64x2.shuffle(t2, t3, 0, 2));
  v128.store(dst + 3 * dstRow, i64x2.shuffle(t2, t3, 1, 3));
}

export function transpose(x: usize, batch: i32, rows: i32, cols: i32, out: usize): void {
  const srcRow = <usize>cols << 2;
  const dstRow = <usize>rows << 2;
  const matrix = <usize>rows * <usize>cols << 2;
  const rows4 = rows & ~3, cols4 = cols & ~3;
  for (let b = 0; b < batch; b++) {
    const src = x + <usize>b * matrix, dst = out + <usize>b * matrix;
    for (let r = 0; r < rows4; r += 4) {
      for (let c = 0; c < cols4; c += 4) {
        tile4x4(src + <usize>r * srcRow + (<usize>c << 2), srcRow, dst + <usize>c * dstRow + (<usize>r << 2), dstRow);
      }
    }
    // The right edge (columns past cols4, all rows) and the bottom edge (rows past rows4).
    for (let r = 0; r < rows; r++) {
      for (let c = r < rows4 ? cols4 : 0; c < cols; c++) {
        store<f32>(dst + <usize>c * dstRow + (<usize>r << 2), load<f32>(src + <usize>r * srcRow + (<usize>c << 2)));
      }
    }
  }
}
