// Fused kernels: several elementwise steps in one pass over memory, where a profile of the VI
// training steps showed the separate ops spending their time moving arrays rather than computing.
//
// Each kernel rounds every intermediate to float32 in the same order as the separate ops it
// replaces, so its results equal theirs bit for bit (float32 +, −, ×, ÷ and √ are correctly rounded
// both here and in the JS backend, which rounds each float64 result once).
//
// Buffers are padded by the caller to whole vectors; the padding lanes are computed and discarded.
import { expV, log1pV, logV } from './transcendental';

/**
 * One Adam step (Kingma and Ba 2015, Algorithm 1, with the bias corrections folded into `step`):
 *   m' = b1·m + c1·g,   v' = b2·v + c2·(g·g),   p' = p − (m'·step) / (√v' + eps)
 * where c1 = 1 − b1 and c2 = 1 − b2 are passed already rounded to float32. Each output may be its
 * input's buffer (element i is read before it is written). Returns 1 if every g (padding included:
 * the caller zeroes it) is finite, else 0, so the optimizer's finiteness check costs no extra pass.
 */
export function adam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  b1: f32, c1: f32, b2: f32, c2: f32, step: f32, eps: f32,
  pOut: usize, mOut: usize, vOut: usize,
): i32 {
  // g − g is 0 for a finite g and NaN for ±Inf or NaN; NaN ≠ 0 marks the lane.
  let nonFinite = i32x4.splat(0);
  const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2);
  const vstep = f32x4.splat(step), veps = f32x4.splat(eps);
  const bytes = <usize>((n + 3) & ~3) << 2;
  for (let i: usize = 0; i < bytes; i += 16) {
    const gi = v128.load(g + i);
    nonFinite = v128.or(nonFinite, f32x4.ne(f32x4.sub(gi, gi), f32x4.splat(0)));
    const mi = f32x4.add(f32x4.mul(v128.load(m + i), vb1), f32x4.mul(gi, vc1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + i), vb2), f32x4.mul(f32x4.mul(gi, gi), vc2));
    const update = f32x4.div(f32x4.mul(mi, vstep), f32x4.add(f32x4.sqrt(vi), veps));
    v128.store(pOut + i, f32x4.sub(v128.load(p + i), update));
    v128.store(mOut + i, mi);
    v128.store(vOut + i, vi);
  }
  return v128.any_true(nonFinite) ? 0 : 1;
}

/**
 * log p(x | logits l) = x·l − softplus(l) for a Bernoulli, computed as
 *   x·min(l, 0) − (1 − x)·max(l, 0) − log1p(e^−|l|)
 * which is the same number but cancels nothing for x ∈ {0, 1} (x·l − softplus(l) loses log σ(l)
 * entirely once l > 17), and where a term's coefficient x or 1 − x is 0 the term is 0 even for an
 * infinite logit (so l = ±Inf gives 0 or −Inf, as log σ does, not Inf − Inf = NaN).
 */
// @ts-ignore: decorator
@inline export function bernoulliLogitsV(x: v128, l: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  // pmin/pmax with l first keep a NaN logit.
  const taken = v128.andnot(f32x4.mul(x, f32x4.pmin(l, zero)), f32x4.eq(x, zero));
  const missed = v128.andnot(f32x4.mul(f32x4.sub(one, x), f32x4.pmax(l, zero)), f32x4.eq(x, one));
  return f32x4.sub(f32x4.sub(taken, missed), log1pV(expV(f32x4.neg(f32x4.abs(l)))));
}

/** NaN-propagating lane max (the rule of reduce.ts: take v where v > s or v is NaN). */
// @ts-ignore: decorator
@inline function maxLanes(s: v128, v: v128): v128 {
  return v128.bitselect(v, s, v128.or(f32x4.gt(v, s), f32x4.ne(v, v)));
}

/** The max itself where it is finite, else 0: subtracting it keeps exp finite and never makes Inf − Inf. */
// @ts-ignore: decorator
@inline function shiftOf(m: v128): v128 {
  return v128.and(m, f32x4.lt(f32x4.abs(m), f32x4.splat(Infinity)));
}

/**
 * log Σ exp over the middle axis of x viewed as [outer, len, inner]; out is [outer, inner]. Per
 * output: m = max (NaN propagates), s = the max if finite else 0, then log(Σ e^(x − s)) + s with the
 * sum accumulated in float64 (so all −Inf gives log 0 = −Inf, and any +Inf gives +Inf). `acc` is
 * scratch for ceil(inner/4)·4 float64 values when inner > 1.
 */
export function logsumexp(x: usize, outer: i32, len: i32, inner: i32, out: usize, acc: usize): void {
  if (inner == 1) logsumexpRows(x, outer, len, out);
  else logsumexpColumns(x, outer, len, inner, out, acc);
}

function logsumexpRows(x: usize, outer: i32, len: i32, out: usize): void {
  const vectors = len >> 2;
  const rest = len & 3;
  // Lanes [0, rest) of the last, partial vector are data; the others are masked out.
  const tail = i32x4.lt_s(v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0), i32x4.splat(rest));
  for (let o = 0; o < outer; o++, out += 4) {
    const row = x + (<usize>o * <usize>len << 2);
    let m = f32x4.splat(-Infinity);
    let p = row;
    for (let j = 0; j < vectors; j++, p += 16) m = maxLanes(m, v128.load(p));
    if (rest != 0) m = maxLanes(m, v128.bitselect(v128.load(p), f32x4.splat(-Infinity), tail));
    m = maxLanes(m, i32x4.shuffle(m, m, 2, 3, 0, 1));
    m = maxLanes(m, i32x4.shuffle(m, m, 1, 0, 3, 2)); // the max of all four, in every lane
    const shift = shiftOf(m); // the same value in all four lanes
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    p = row;
    for (let j = 0; j < vectors; j++, p += 16) {
      const e = expV(f32x4.sub(v128.load(p), shift));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    if (rest != 0) {
      const e = v128.and(expV(f32x4.sub(v128.load(p), shift)), tail);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    const both = f64x2.add(lo, hi);
    const total = f32x4.splat(<f32>(f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1)));
    store<f32>(out, f32x4.extract_lane(f32x4.add(logV(total), shift), 0));
  }
}

/** inner > 1: vectors run along `inner`; reads and writes spill past a row as in reduce.ts. */
function logsumexpColumns(x: usize, outer: i32, len: i32, inner: i32, out: usize, acc: usize): void {
  const vectors = (inner + 3) >> 2;
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const block = x + <usize>o * <usize>len * rowBytes;
    const po = out + <usize>o * rowBytes;
    // Pass 1: the column maxima, then the shifts, kept in `out`.
    let q = po;
    for (let j = 0; j < vectors; j++, q += 16) v128.store(q, f32x4.splat(-Infinity));
    let row = block;
    for (let r = 0; r < len; r++, row += rowBytes) {
      let p = row;
      q = po;
      for (let j = 0; j < vectors; j++, p += 16, q += 16) v128.store(q, maxLanes(v128.load(q), v128.load(p)));
    }
    q = po;
    for (let j = 0; j < vectors; j++, q += 16) v128.store(q, shiftOf(v128.load(q)));
    // Pass 2: Σ e^(x − shift) per column in float64.
    memory.fill(acc, 0, <usize>vectors << 5);
    row = block;
    for (let r = 0; r < len; r++, row += rowBytes) {
      let p = row, a = acc;
      q = po;
      for (let j = 0; j < vectors; j++, p += 16, q += 16, a += 32) {
        const e = expV(f32x4.sub(v128.load(p), v128.load(q)));
        v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(e)));
        v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1))), 16);
      }
    }
    // Pass 3: log of the sums plus the shifts.
    let a = acc;
    q = po;
    for (let j = 0; j < vectors; j++, a += 32, q += 16) {
      const total = i32x4.shuffle(f32x4.demote_f64x2_zero(v128.load(a)), f32x4.demote_f64x2_zero(v128.load(a, 16)),
        0, 1, 4, 5);
      v128.store(q, f32x4.add(logV(total), v128.load(q)));
    }
  }
}
