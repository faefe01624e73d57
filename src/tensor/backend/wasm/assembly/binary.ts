// Elementwise f(a, b) for the broadcasts that cover nearly every call: the output is viewed as
// rows × cols, and each operand is either full (varies along both), a row vector (same for
// every row), a column vector (one value per row) or a scalar. An operand is described by its
// two strides in floats: rowStride (cols, 0 or 1) and colStride (1 or 0).
//
// Each output row is written with whole vectors; a row whose length is not a multiple of 4 spills
// into the start of the next row, which is then overwritten when that row is computed (rows go
// in order), and the caller pads the buffers so the last row's spill stays in bounds.
import { ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, LT, LE, GT, GE, EQ, NE, BERNOULLI_LOGITS } from './codes';
import { bernoulliLogitsV } from './fused';

// @ts-ignore: decorator
@inline function apply(op: i32, a: v128, b: v128): v128 {
  const one = f32x4.splat(1);
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    // NaN-propagating like NumPy; on ties (±0) the second operand wins, as in the JS backend.
    case MAXIMUM: return nanIfEither(a, b, v128.bitselect(a, b, f32x4.gt(a, b)));
    case MINIMUM: return nanIfEither(a, b, v128.bitselect(a, b, f32x4.lt(a, b)));
    // Comparisons give 1 or 0: the all-ones mask anded with the bits of 1.0.
    case LT: return v128.and(f32x4.lt(a, b), one);
    case LE: return v128.and(f32x4.le(a, b), one);
    case GT: return v128.and(f32x4.gt(a, b), one);
    case GE: return v128.and(f32x4.ge(a, b), one);
    case EQ: return v128.and(f32x4.eq(a, b), one);
    case NE: return v128.and(f32x4.ne(a, b), one);
    // a = x, b = logits: log p(x | logits) = x·l − softplus(l), one pass instead of four ops.
    case BERNOULLI_LOGITS: return bernoulliLogitsV(a, b);
    default: return f32x4.splat(NaN);
  }
}

// @ts-ignore: decorator
@inline function nanIfEither(a: v128, b: v128, r: v128): v128 {
  const nan = v128.or(f32x4.ne(a, a), f32x4.ne(b, b));
  return v128.bitselect(f32x4.splat(NaN), r, nan);
}

// @ts-ignore: decorator
@inline function loop(
  op: i32, a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  const rowBytes = <usize>cols << 2;
  const colVectors = (cols + 3) >> 2;
  for (let i = 0; i < rows; i++) {
    let pa = a + (<usize>(i * aRow) << 2);
    let pb = b + (<usize>(i * bRow) << 2);
    let po = out + <usize>i * rowBytes;
    // The four cases of (aCol, bCol): a branch per row, none per vector. Four vectors per iteration
    // where both operands vary: their dependency chains (long for the Bernoulli kernel's exp and
    // log1p) are independent, so the core overlaps them, as in unary.ts.
    const end = po + (<usize>colVectors << 4);
    if (aCol == 1 && bCol == 1) {
      for (; po + 48 < end; pa += 64, pb += 64, po += 64) {
        const r0 = apply(op, v128.load(pa), v128.load(pb));
        const r1 = apply(op, v128.load(pa, 16), v128.load(pb, 16));
        const r2 = apply(op, v128.load(pa, 32), v128.load(pb, 32));
        const r3 = apply(op, v128.load(pa, 48), v128.load(pb, 48));
        v128.store(po, r0);
        v128.store(po, r1, 16);
        v128.store(po, r2, 32);
        v128.store(po, r3, 48);
      }
      for (; po < end; pa += 16, pb += 16, po += 16) v128.store(po, apply(op, v128.load(pa), v128.load(pb)));
    } else if (aCol == 1) {
      const vb = v128.load32_splat(pb);
      for (; po + 48 < end; pa += 64, po += 64) {
        const r0 = apply(op, v128.load(pa), vb);
        const r1 = apply(op, v128.load(pa, 16), vb);
        const r2 = apply(op, v128.load(pa, 32), vb);
        const r3 = apply(op, v128.load(pa, 48), vb);
        v128.store(po, r0);
        v128.store(po, r1, 16);
        v128.store(po, r2, 32);
        v128.store(po, r3, 48);
      }
      for (; po < end; pa += 16, po += 16) v128.store(po, apply(op, v128.load(pa), vb));
    } else if (bCol == 1) {
      const va = v128.load32_splat(pa);
      for (; po + 48 < end; pb += 64, po += 64) {
        const r0 = apply(op, va, v128.load(pb));
        const r1 = apply(op, va, v128.load(pb, 16));
        const r2 = apply(op, va, v128.load(pb, 32));
        const r3 = apply(op, va, v128.load(pb, 48));
        v128.store(po, r0);
        v128.store(po, r1, 16);
        v128.store(po, r2, 32);
        v128.store(po, r3, 48);
      }
      for (; po < end; pb += 16, po += 16) v128.store(po, apply(op, va, v128.load(pb)));
    } else {
      const v = apply(op, v128.load32_splat(pa), v128.load32_splat(pb));
      for (; po < end; po += 16) v128.store(po, v);
    }
  }
}

// One function per op, each with `op` a compile-time constant, so that the dispatch happens once per
// call: inlined into one switch, binaryen merged the loops into one that dispatched on `op` for every
// vector (as unary.ts found), which cost the Bernoulli kernel half its speed.
function addLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(ADD, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function subLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(SUB, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function mulLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(MUL, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function divLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(DIV, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function maximumLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(MAXIMUM, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function minimumLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(MINIMUM, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function ltLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(LT, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function leLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(LE, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function gtLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(GT, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function geLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(GE, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function eqLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(EQ, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function neLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(NE, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}
function bernoulliLoop(
  a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  loop(BERNOULLI_LOGITS, a, aRow, aCol, b, bRow, bCol, out, rows, cols);
}

export function binary(
  op: i32, a: usize, aRow: i32, aCol: i32, b: usize, bRow: i32, bCol: i32, out: usize, rows: i32, cols: i32,
): void {
  switch (op) {
    case ADD: addLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case SUB: subLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case MUL: mulLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case DIV: divLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case MAXIMUM: maximumLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case MINIMUM: minimumLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case LT: ltLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case LE: leLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case GT: gtLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case GE: geLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case EQ: eqLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case NE: neLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    case BERNOULLI_LOGITS: bernoulliLoop(a, aRow, aCol, b, bRow, bCol, out, rows, cols); break;
    default: unreachable();
  }
}
