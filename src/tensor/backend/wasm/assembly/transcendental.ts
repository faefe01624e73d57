// Float32 transcendental functions on four lanes at once (v128), each a range reduction plus a
// short polynomial. The polynomial coefficients are the minimax ones of the Cephes library's
// single-precision routines (S. L. Moshier, "Methods and Programs for Mathematical Functions",
// 1989), except log's, which are FreeBSD msun's (e_logf.c). Edge values (±0, ±Inf, NaN,
// subnormals, overflow) are handled with lane selects rather than branches. The measured worst-case
// errors, in float32 ulps against float64 Math, are in docs/wasm-backend.md and are checked by
// test/backend-wasm-ulp.test.ts, for both builds: in the one with relaxed SIMD the range reductions and
// polynomials take fused multiply-adds (./multiply-add.ts), which made the kernels 8–19% faster (exp 19%,
// log 13%; docs/wasm-backend.md) and moved no worst error by more than 0.02 ulp. A step stays unfused
// where fusing it raised a worst error (exp's last).

import { multiplyAdd, multiplySubtract } from './multiply-add';

// @ts-ignore: decorator
@inline function splat(v: f32): v128 { return f32x4.splat(v); }

/**
 * A constant from a table in memory, in all four lanes. Loop bodies use these instead of `splat`:
 * V8 does not hoist vector constants out of loops and rebuilds each one in every iteration (three
 * instructions), while a splatting load from a fixed address is one.
 */
// @ts-ignore: decorator
@inline function lanes(table: usize, index: i32): v128 {
  return v128.load32_splat(table + (<usize>index << 2));
}

// @ts-ignore: decorator
@inline function select(ifTrue: v128, ifFalse: v128, mask: v128): v128 {
  return v128.bitselect(ifTrue, ifFalse, mask);
}

/** Constants shared by several functions, as float32 bit patterns (index names below). */
const COMMON = memory.data<u32>([
  0x3f800000, 0xbf800000, 0x40000000, 0x7f800000, 0xff800000, 0x7fc00000, // 1, −1, 2, +Inf, −Inf, NaN
  0x80000000, 0x0000007f, 0x00000017, 0x007fffff, 0x3f200000, // sign bit, 127, 23, mantissa bits, 0.625
  0x00800000, 0x7f000000, // the smallest normal float's bits; the bits from it up to +Inf
]);
const ONE = 0, MINUS_ONE = 1, TWO = 2, INF = 3, MINUS_INF = 4, NAN = 5;
const SIGN_BIT = 6, BIAS = 7, TWENTY_THREE = 8, MANTISSA = 9, TANH_SMALL = 10;
const SMALLEST_NORMAL = 11, NORMAL_SPAN = 12;

// @ts-ignore: decorator
@inline function common(index: i32): v128 {
  return lanes(COMMON, index);
}

/** 2^k for integer lanes k in [-126, 127], built directly from the exponent bits. */
// @ts-ignore: decorator
@inline function pow2i(k: v128): v128 {
  return i32x4.shl(i32x4.add(k, common(BIAS)), 23);
}

/**
 * exp's constants: clamps 89 and −110, log2(e), ln2 split as 0.693359375 (9 bits, so k·ln2_hi is
 * exact) plus −2.12194440e−4, the rounding shifter 1.5·2^23, then the polynomial from its highest
 * coefficient down.
 */
const EXP_TABLE = memory.data<f32>([
  89, -110, 1.44269504089, 0.693359375, -2.12194440e-4, 12582912,
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1, 1,
]);

/**
 * e^x. x = k·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, then a scale by 2^k applied as
 * two factors 2^(k/2)·2^(k−k/2) so that both are normal numbers even where the result overflows or
 * is subnormal: the last product rounds once. k = round(x·log2 e) comes from adding 1.5·2^23, which
 * leaves the rounded integer in the low mantissa bits (and so needs no float-to-int conversion).
 */
// @ts-ignore: decorator
@inline export function expV(x: v128): v128 {
  const t = EXP_TABLE;
  // Beyond the clamps the result is +Inf or 0 anyway. pmin/pmax with x first keep NaN.
  const xc = f32x4.pmax(f32x4.pmin(x, lanes(t, 0)), lanes(t, 1));
  const shifted = multiplyAdd(xc, lanes(t, 2), lanes(t, 5));
  const kf = f32x4.sub(shifted, lanes(t, 5));
  const k = i32x4.sub(shifted, lanes(t, 5));
  let r = multiplySubtract(kf, lanes(t, 3), xc);
  r = multiplySubtract(kf, lanes(t, 4), r);
  // The four smallest terms by Estrin's scheme (pairs, combined with r²), the two largest by Horner's
  // rule: a shorter chain of dependent operations than Horner's alone, which the core overlaps
  // better. (Estrin for all six measured 0.996 ulp; this order keeps Horner's 0.951.)
  const r2 = f32x4.mul(r, r);
  const p01 = multiplyAdd(lanes(t, 6), r, lanes(t, 7));
  const p23 = multiplyAdd(lanes(t, 8), r, lanes(t, 9));
  let p = multiplyAdd(p01, r2, p23);
  p = multiplyAdd(p, r, lanes(t, 10));
  p = multiplyAdd(p, r, lanes(t, 11));
  // Unfused in both builds: fusing p·r² + r measured 1.011 ulp at worst, against 0.990 unfused.
  p = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), lanes(t, 12));
  const k1 = i32x4.shr_s(k, 1);
  const k2 = i32x4.sub(k, k1);
  return f32x4.mul(f32x4.mul(p, pow2i(k1)), pow2i(k2));
}

/**
 * log's constants, as float32 bit patterns: the smallest normal float, 2^23, √½ rounded to float32, 0.5,
 * 1, 2, the coefficients Lg1 … Lg4 of R(s) in `logReduced` (those of FreeBSD's msun logf, e_logf.c), and
 * ln2 split as in exp (0.693359375, whose 9 bits make e·ln2_hi exact for every exponent, and the rest).
 */
const LOG_TABLE = memory.data<u32>([
  0x00800000, 0x4b000000, 0x3f3504f3, 0x3f000000, 0x3f800000, 0x40000000,
  0x3f2aaaaa, 0x3eccce13, 0x3e91e9ee, 0x3e789e26,
  0x3f318000, 0xb95e8083,
]);

/**
 * Lanes whose x is positive, normal and finite (all bits set), as one unsigned comparison: the bits of
 * those x, less the smallest normal's, are exactly the numbers below NORMAL_SPAN.
 */
// @ts-ignore: decorator
@inline export function positiveNormal(x: v128): v128 {
  return i32x4.lt_u(i32x4.sub(x, common(SMALLEST_NORMAL)), common(NORMAL_SPAN));
}

/**
 * log(m·2^e) from f = m − 1, m in [√½, √2), and the integer lanes e. With s = f/(2 + f), 1 + f equals
 * (1 + s)/(1 − s), whose log is 2s + (2/3)s³ + (2/5)s⁵ + … (odd powers only); R(s) = z·(Lg1 + z·(Lg2 +
 * z·(Lg3 + z·Lg4))), with z = s², is a minimax fit of the terms past 2s divided by s. Then
 * log(1 + f) = f − (f²/2 − s·(f²/2 + R)), and e·ln2 is added in two parts. One division buys a
 * polynomial of half the degree of a series in f: 21 vector operations, against 29 for the Cephes
 * degree-8 polynomial in f used before (measured: 0.84 ulp at most, docs/wasm-backend.md). R by Horner's
 * rule, one multiply fewer than splitting it into chains in s² and s⁴: the loop runs four vectors at a
 * time, which hides the longer chain, and on x64 it is bound by multiplies (0.90 → 0.84 ns per element).
 */
// @ts-ignore: decorator
@inline function logReduced(f: v128, e: v128): v128 {
  const t = LOG_TABLE;
  const s = f32x4.div(f, f32x4.add(lanes(t, 5), f));
  const z = f32x4.mul(s, s);
  let r = multiplyAdd(z, lanes(t, 9), lanes(t, 8));
  r = multiplyAdd(z, r, lanes(t, 7));
  r = f32x4.mul(z, multiplyAdd(z, r, lanes(t, 6)));
  const halfSquare = f32x4.mul(f32x4.mul(lanes(t, 3), f), f);
  const ef = f32x4.convert_i32x4_s(e);
  const correction = multiplyAdd(ef, lanes(t, 11), f32x4.mul(s, f32x4.add(halfSquare, r)));
  // e·ln2_hi + (f − (f²/2 − correction)): e·ln2_hi is exact, so the plain build's bits are those of
  // e·ln2_hi − ((f²/2 − correction) − f), and the relaxed build saves its multiply.
  return multiplyAdd(ef, lanes(t, 10), f32x4.sub(f, f32x4.sub(halfSquare, correction)));
}

/**
 * log(x) for lanes where x is positive, normal and finite (`positiveNormal`); exactly logV's result
 * there, without its handling of the other lanes. Subtracting the bits of √½ moves the exponent's
 * boundary from 1 to √½: the exponent field of the difference is e for m in [√½, √2), and adding √½'s
 * bits back to its mantissa field gives m. Four integer operations, no compare or select (as in musl's
 * logf).
 */
// @ts-ignore: decorator
@inline export function logNormalV(x: v128): v128 {
  const t = LOG_TABLE;
  const shifted = i32x4.sub(x, lanes(t, 2));
  const m = i32x4.add(v128.and(shifted, common(MANTISSA)), lanes(t, 2));
  return logReduced(f32x4.sub(m, lanes(t, 4)), i32x4.shr_s(shifted, 23));
}

/**
 * log(x) for every x: subnormal inputs are first scaled by 2^23 (and 23 taken off the exponent), then as
 * logNormalV, and the edge values put in last.
 */
// @ts-ignore: decorator
@inline export function logV(x: v128): v128 {
  const t = LOG_TABLE;
  const tiny = f32x4.lt(x, lanes(t, 0));
  const bits = select(f32x4.mul(x, lanes(t, 1)), x, tiny);
  const shifted = i32x4.sub(bits, lanes(t, 2));
  const e = i32x4.sub(i32x4.shr_s(shifted, 23), v128.and(tiny, common(TWENTY_THREE)));
  const m = i32x4.add(v128.and(shifted, common(MANTISSA)), lanes(t, 2));
  let result = logReduced(f32x4.sub(m, lanes(t, 4)), e);
  // Edge values: log(0) = −Inf, log(+Inf) = +Inf, log(negative or NaN) = NaN.
  result = select(common(MINUS_INF), result, f32x4.eq(x, splat(0)));
  result = select(common(INF), result, f32x4.eq(x, common(INF)));
  result = select(common(NAN), result, v128.or(f32x4.lt(x, splat(0)), f32x4.ne(x, x)));
  return result;
}

/**
 * log(1 + x) with Goldberg's correction: with u = fl(1 + x), log1p(x) = log(u)·x/(u − 1), which
 * cancels the rounding error of u; where u = 1, log1p(x) = x to float precision.
 */
// @ts-ignore: decorator
@inline export function log1pV(x: v128): v128 {
  const u = f32x4.add(x, common(ONE));
  const d = f32x4.sub(u, common(ONE));
  let result = f32x4.mul(logV(u), f32x4.div(x, d));
  result = select(x, result, f32x4.eq(d, splat(0)));
  // x = +Inf would give Inf·(Inf/Inf) = NaN.
  return select(x, result, f32x4.eq(x, common(INF)));
}

/**
 * e^x − 1 with Kahan's correction: with u = fl(e^x), expm1(x) = (u − 1)·x/log(u); where u = 1,
 * expm1(x) = x to float precision.
 */
// @ts-ignore: decorator
@inline export function expm1V(x: v128): v128 {
  const u = expV(x);
  const d = f32x4.sub(u, common(ONE));
  let result = f32x4.mul(d, f32x4.div(x, logV(u)));
  result = select(x, result, f32x4.eq(d, splat(0)));
  // Where u − 1 rounds to −1 (u ≤ 2^−25), so does e^x − 1; the formula would not (log(u) is off
  // once u is subnormal, and −Inf gives −1·(−Inf/−Inf) = NaN). u = +Inf would give Inf·(x/Inf) = NaN.
  result = select(common(MINUS_ONE), result, f32x4.eq(d, common(MINUS_ONE)));
  return select(common(INF), result, f32x4.eq(u, common(INF)));
}

/** tanh's polynomial in x², from its highest coefficient down. */
const TANH_TABLE = memory.data<f32>([
  -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1,
]);

/**
 * tanh(x): an odd polynomial x + x³·P(x²) for |x| < 0.625, else 1 − 2/(e^{2|x|} + 1), with the
 * sign of x put back. Large |x| gives e^{2|x|} = Inf and so exactly ±1.
 */
// @ts-ignore: decorator
@inline export function tanhV(x: v128): v128 {
  const t = TANH_TABLE;
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  // P(x²) by Estrin's scheme, as in log.
  const z2 = f32x4.mul(z, z);
  const p12 = multiplyAdd(lanes(t, 1), z, lanes(t, 2));
  const p34 = multiplyAdd(lanes(t, 3), z, lanes(t, 4));
  const p = multiplyAdd(multiplyAdd(lanes(t, 0), z2, p12), z2, p34);
  const small = multiplyAdd(f32x4.mul(p, z), x, x);
  const e = expV(f32x4.add(ax, ax));
  const large = f32x4.sub(common(ONE), f32x4.div(common(TWO), f32x4.add(e, common(ONE))));
  const signed = v128.or(large, v128.and(x, common(SIGN_BIT)));
  // NaN fails `ax < 0.625` and takes the large branch, where it stays NaN.
  return select(small, signed, f32x4.lt(ax, common(TANH_SMALL)));
}

/**
 * 1/(1 + e^−x) as e/(1 + e) with e = e^−|x| for x < 0, so that nothing overflows. The numerator (e or 1)
 * is chosen before the one division: the same bits as dividing both ways and choosing after, at the
 * cost of one division instead of two.
 */
// @ts-ignore: decorator
@inline export function sigmoidV(x: v128): v128 {
  const e = expV(f32x4.neg(f32x4.abs(x)));
  const numerator = select(e, common(ONE), f32x4.lt(x, splat(0)));
  return f32x4.div(numerator, f32x4.add(e, common(ONE)));
}

/** log(1 + e^x) = max(x, 0) + log1p(e^−|x|). */
// @ts-ignore: decorator
@inline export function softplusV(x: v128): v128 {
  const e = expV(f32x4.neg(f32x4.abs(x)));
  // pmax(x, 0) is x < 0 ? 0 : x, so NaN stays NaN.
  return f32x4.add(f32x4.pmax(x, splat(0)), log1pV(e));
}
