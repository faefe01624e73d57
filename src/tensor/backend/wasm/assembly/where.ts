// where(cond, a, b): a where cond ≠ 0 (NaN included), else b, over a rows × cols view in which each
// operand is described, as in binary.ts, by a row stride and a column stride (1, or 0 for one value
// repeated along the row). A lane select instead of the JS backend's branch, which a random mask
// (sampled binary latents) mispredicts about every other element.
//
// Rows whose length is not a multiple of 4 spill into the start of the next row, which that row then
// overwrites; the caller pads the buffers (binary.ts has the same contract).

/** The next vector of an operand: four floats, or one float in all lanes (column stride 0). */
// @ts-ignore: decorator
@inline function lanesOf(p: usize, full: bool): v128 {
  return full ? v128.load(p) : v128.load32_splat(p);
}

export function where(
  c: usize, cRow: i32, cCol: i32,
  a: usize, aRow: i32, aCol: i32,
  b: usize, bRow: i32, bCol: i32,
  out: usize, rows: i32, cols: i32,
): void {
  const zero = f32x4.splat(0);
  // Byte steps per vector: 16 for an operand that varies along the row, 0 for a repeated one.
  const cStep = <usize>cCol << 4, aStep = <usize>aCol << 4, bStep = <usize>bCol << 4;
  const colVectors = (cols + 3) >> 2;
  for (let i = 0; i < rows; i++) {
    let pc = c + (<usize>(i * cRow) << 2);
    let pa = a + (<usize>(i * aRow) << 2);
    let pb = b + (<usize>(i * bRow) << 2);
    let po = out + (<usize>i * <usize>cols << 2);
    for (let j = 0; j < colVectors; j++, pc += cStep, pa += aStep, pb += bStep, po += 16) {
      // f32x4.ne is true for NaN and false for −0, as JS's `cond !== 0`.
      const mask = f32x4.ne(lanesOf(pc, cCol != 0), zero);
      v128.store(po, v128.bitselect(lanesOf(pa, aCol != 0), lanesOf(pb, bCol != 0), mask));
    }
  }
}
