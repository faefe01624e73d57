// Elementwise ops of three operands over a rows × cols view, each operand described, as in
// binary.ts, by a row stride and a column stride (1, or 0 for one value repeated along the row):
//   where(c, a, b)               = a where c ≠ 0 (NaN included), else b: a lane select instead of the
//                                  JS backend's branch, which a random mask (sampled binary latents)
//                                  mispredicts about every other element;
//   bernoulliLogitsGrad(x, l, g) = g·(x − σ(l)): the Bernoulli log-likelihood's derivative in its logits
//                                  times the cotangent, one pass where sigmoid, sub and mul take three,
//                                  rounded where they round (so equal to them bit for bit).
//
// Rows whose length is not a multiple of 4 spill into the start of the next row, which that row then
// overwrites; the caller pads the buffers (binary.ts has the same contract).
import { WHERE, BERNOULLI_LOGITS_GRAD } from './codes';
import { sigmoidV } from './transcendental';

/** The next vector of an operand: four floats, or one float in all lanes (column stride 0). */
// @ts-ignore: decorator
@inline function lanesOf(p: usize, full: bool): v128 {
  return full ? v128.load(p) : v128.load32_splat(p);
}

// @ts-ignore: decorator
@inline function apply(op: i32, u: v128, v: v128, w: v128): v128 {
  switch (op) {
    // f32x4.ne is true for NaN and false for −0, as JS's `cond !== 0`.
    case WHERE: return v128.bitselect(v, w, f32x4.ne(u, f32x4.splat(0)));
    case BERNOULLI_LOGITS_GRAD: return f32x4.mul(w, f32x4.sub(u, sigmoidV(v)));
    default: return f32x4.splat(NaN);
  }
}

/**
 * Four vectors per iteration, as in unary.ts: the sigmoid's long chain (exp, then a division) of one
 * vector overlaps with the others'. Rows where every operand varies along the row (same shapes, and
 * broadcasts across rows) take a loop of plain loads: with a choice of load per operand inside the
 * loop, both kernels ran 2.3–2.6× slower (bernoulliLogitsGrad 4.10 against 1.80 ns per element).
 */
// @ts-ignore: decorator
@inline function loop(
  op: i32,
  u: usize, uRow: i32, uCol: i32,
  v: usize, vRow: i32, vCol: i32,
  w: usize, wRow: i32, wCol: i32,
  out: usize, rows: i32, cols: i32,
): void {
  // Byte steps per vector: 16 for an operand that varies along the row, 0 for a repeated one.
  const uStep = <usize>uCol << 4, vStep = <usize>vCol << 4, wStep = <usize>wCol << 4;
  const uFull = uCol != 0, vFull = vCol != 0, wFull = wCol != 0;
  const allFull = uFull && vFull && wFull;
  const colVectors = (cols + 3) >> 2;
  for (let i = 0; i < rows; i++) {
    let pu = u + (<usize>(i * uRow) << 2);
    let pv = v + (<usize>(i * vRow) << 2);
    let pw = w + (<usize>(i * wRow) << 2);
    let po = out + (<usize>i * <usize>cols << 2);
    const end = po + (<usize>colVectors << 4);
    if (allFull) {
      for (; po + 48 < end; pu += 64, pv += 64, pw += 64, po += 64) {
        const r0 = apply(op, v128.load(pu), v128.load(pv), v128.load(pw));
        const r1 = apply(op, v128.load(pu, 16), v128.load(pv, 16), v128.load(pw, 16));
        const r2 = apply(op, v128.load(pu, 32), v128.load(pv, 32), v128.load(pw, 32));
        const r3 = apply(op, v128.load(pu, 48), v128.load(pv, 48), v128.load(pw, 48));
        v128.store(po, r0);
        v128.store(po, r1, 16);
        v128.store(po, r2, 32);
        v128.store(po, r3, 48);
      }
    }
    for (; po < end; pu += uStep, pv += vStep, pw += wStep, po += 16) {
      v128.store(po, apply(op, lanesOf(pu, uFull), lanesOf(pv, vFull), lanesOf(pw, wFull)));
    }
  }
}

export function where(
  c: usize, cRow: i32, cCol: i32,
  a: usize, aRow: i32, aCol: i32,
  b: usize, bRow: i32, bCol: i32,
  out: usize, rows: i32, cols: i32,
): void {
  loop(WHERE, c, cRow, cCol, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}

export function bernoulliLogitsGrad(
  x: usize, xRow: i32, xCol: i32,
  l: usize, lRow: i32, lCol: i32,
  g: usize, gRow: i32, gCol: i32,
  out: usize, rows: i32, cols: i32,
): void {
  loop(BERNOULLI_LOGITS_GRAD, x, xRow, xCol, l, lRow, lCol, g, gRow, gCol, out, rows, cols);
}
