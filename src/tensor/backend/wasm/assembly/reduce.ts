// Sum and max over the middle axis of x viewed as [outer, len, inner]: out is [outer, inner].
// Sums accumulate in float64 (as the JS backend does), so the result is the float32 rounding of a
// sum whose own error is far below float32 precision. Max propagates NaN and starts at −Inf.
import { SUM, MAX } from './codes';

/** One lane-wise max step with the JS backend's rule: take v where v > s or v is NaN. */
// @ts-ignore: decorator
@inline function maxStep(s: v128, v: v128): v128 {
  return v128.bitselect(v, s, v128.or(f32x4.gt(v, s), f32x4.ne(v, v)));
}

// @ts-ignore: decorator
@inline function maxScalar(s: f32, v: f32): f32 {
  return v > s || v != v ? v : s;
}

/** inner = 1: each output is a reduction of `len` contiguous floats (no reads past the row). */
function reduceRows(op: i32, x: usize, outer: i32, len: i32, out: usize): void {
  const vectors = len >> 2;
  for (let o = 0; o < outer; o++, out += 4) {
    let p = x + (<usize>o * <usize>len << 2);
    if (op == SUM) {
      let lo = f64x2.splat(0), hi = f64x2.splat(0);
      for (let j = 0; j < vectors; j++, p += 16) {
        const v = v128.load(p);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
      }
      const both = f64x2.add(lo, hi);
      let s = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
      for (let j = vectors << 2; j < len; j++, p += 4) s += <f64>load<f32>(p);
      store<f32>(out, <f32>s);
    } else {
      let m = f32x4.splat(-Infinity);
      for (let j = 0; j < vectors; j++, p += 16) m = maxStep(m, v128.load(p));
      let s = maxScalar(maxScalar(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)),
        maxScalar(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
      for (let j = vectors << 2; j < len; j++, p += 4) s = maxScalar(s, load<f32>(p));
      store<f32>(out, s);
    }
  }
}

/**
 * inner > 1: vectors run along `inner`. Reads and writes of a row's last vector spill past the
 * row; the spilled lanes are ignored (reads) or overwritten by the next row (writes), and the caller
 * pads the buffers. `acc` is scratch for ceil(inner/4)·4 float64 values.
 */
function reduceColumns(op: i32, x: usize, outer: i32, len: i32, inner: i32, out: usize, acc: usize): void {
  const vectors = (inner + 3) >> 2;
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    let row = x + <usize>o * <usize>len * rowBytes;
    const po = out + <usize>o * rowBytes;
    if (op == SUM) {
      memory.fill(acc, 0, <usize>vectors << 5);
      for (let r = 0; r < len; r++, row += rowBytes) {
        let p = row, a = acc;
        for (let j = 0; j < vectors; j++, p += 16, a += 32) {
          const v = v128.load(p);
          v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
          v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
        }
      }
      let a = acc, q = po;
      for (let j = 0; j < vectors; j++, a += 32, q += 16) {
        const lo = f32x4.demote_f64x2_zero(v128.load(a));
        const hi = f32x4.demote_f64x2_zero(v128.load(a, 16));
        v128.store(q, i32x4.shuffle(lo, hi, 0, 1, 4, 5));
      }
    } else {
      const neg = f32x4.splat(-Infinity);
      let q = po;
      for (let j = 0; j < vectors; j++, q += 16) v128.store(q, neg);
      for (let r = 0; r < len; r++, row += rowBytes) {
        let p = row;
        q = po;
        for (let j = 0; j < vectors; j++, p += 16, q += 16) v128.store(q, maxStep(v128.load(q), v128.load(p)));
      }
    }
  }
}

export function reduce(op: i32, x: usize, outer: i32, len: i32, inner: i32, out: usize, scratch: usize): void {
  if (op != SUM && op != MAX) unreachable();
  if (inner == 1) reduceRows(op, x, outer, len, out);
  else reduceColumns(op, x, outer, len, inner, out, scratch);
}
