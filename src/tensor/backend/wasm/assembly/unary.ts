// Elementwise f(x) over n floats. Buffers are padded by the caller to a whole number of vectors,
// so the loop runs over ceil(n/4) vectors with no scalar tail (the padding lanes are discarded).
import { NEG, ABS, SQRT, EXP, LOG, LOG1P, EXPM1, TANH, SIGMOID, SOFTPLUS } from './codes';
import { expV, expm1V, log1pV, logNormalV, logV, positiveNormal, sigmoidV, softplusV, tanhV } from './transcendental';

/** log where every input is positive, normal and finite: an op of this file's only, not in ./codes. */
const LOG_POSITIVE_NORMAL: i32 = -1;

// @ts-ignore: decorator
@inline function apply(op: i32, v: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(v);
    case ABS: return f32x4.abs(v);
    case SQRT: return f32x4.sqrt(v);
    case EXP: return expV(v);
    case LOG: return logV(v);
    case LOG_POSITIVE_NORMAL: return logNormalV(v);
    case LOG1P: return log1pV(v);
    case EXPM1: return expm1V(v);
    case TANH: return tanhV(v);
    case SIGMOID: return sigmoidV(v);
    case SOFTPLUS: return softplusV(v);
    default: return f32x4.splat(NaN);
  }
}

/**
 * The loop for one op, four vectors per iteration: their long chains of dependent SIMD operations
 * are independent of each other, so the core overlaps them. Each op has its own function below, with
 * `op` a compile-time constant; when the loops were inlined into one switch, binaryen merged them
 * into one loop that dispatched on `op` in every iteration. Timings in docs/wasm-backend.md.
 */
// @ts-ignore: decorator
@inline function loop<Op extends i32>(op: Op, x: usize, out: usize, n: i32): void {
  const end = x + (<usize>((n + 3) & ~3) << 2);
  for (; x + 48 < end; x += 64, out += 64) {
    const a = apply(op, v128.load(x));
    const b = apply(op, v128.load(x, 16));
    const c = apply(op, v128.load(x, 32));
    const d = apply(op, v128.load(x, 48));
    v128.store(out, a);
    v128.store(out, b, 16);
    v128.store(out, c, 32);
    v128.store(out, d, 48);
  }
  for (; x < end; x += 16, out += 16) v128.store(out, apply(op, v128.load(x)));
}

function negLoop(x: usize, out: usize, n: i32): void { loop(NEG, x, out, n); }
function absLoop(x: usize, out: usize, n: i32): void { loop(ABS, x, out, n); }
function sqrtLoop(x: usize, out: usize, n: i32): void { loop(SQRT, x, out, n); }
function expLoop(x: usize, out: usize, n: i32): void { loop(EXP, x, out, n); }
/** Whether every float of x[0..n), padding lanes included, is positive, normal and finite. */
function allPositiveNormal(x: usize, n: i32): bool {
  const end = x + (<usize>((n + 3) & ~3) << 2);
  for (; x + 48 < end; x += 64) {
    const usual = v128.and(
      v128.and(positiveNormal(v128.load(x)), positiveNormal(v128.load(x, 16))),
      v128.and(positiveNormal(v128.load(x, 32)), positiveNormal(v128.load(x, 48))),
    );
    if (!i32x4.all_true(usual)) return false;
  }
  for (; x < end; x += 16) if (!i32x4.all_true(positiveNormal(v128.load(x)))) return false;
  return true;
}

/**
 * log's loop. When every input is positive, normal and finite (the usual case), logNormalV, which skips
 * the handling of subnormals, zeros, infinities, negatives and NaN that logV does in every lane (13 of its
 * operations): 1.72 → 1.34 ns per element, measured before log's present polynomial (docs/wasm-backend.md,
 * "log without its edge cases"). A first pass over the inputs (one comparison per vector, stopping at the
 * first other value) decides. Deciding per iteration instead, inside one loop, made the
 * loop over other values 45% slower than logV's own; and the two loops are functions of their own, as
 * for the other ops, because binaryen merged two inlined copies into one loop that tested the op in
 * every iteration (1.70 → 2.33 ns per element on other values).
 */
function logLoop(x: usize, out: usize, n: i32): void {
  if (allPositiveNormal(x, n)) logPositiveNormalLoop(x, out, n);
  else logAnyLoop(x, out, n);
}
function logAnyLoop(x: usize, out: usize, n: i32): void { loop(LOG, x, out, n); }
function logPositiveNormalLoop(x: usize, out: usize, n: i32): void { loop(LOG_POSITIVE_NORMAL, x, out, n); }
function log1pLoop(x: usize, out: usize, n: i32): void { loop(LOG1P, x, out, n); }
function expm1Loop(x: usize, out: usize, n: i32): void { loop(EXPM1, x, out, n); }
function tanhLoop(x: usize, out: usize, n: i32): void { loop(TANH, x, out, n); }
function sigmoidLoop(x: usize, out: usize, n: i32): void { loop(SIGMOID, x, out, n); }
function softplusLoop(x: usize, out: usize, n: i32): void { loop(SOFTPLUS, x, out, n); }

export function unary(op: i32, x: usize, out: usize, n: i32): void {
  switch (op) {
    case NEG: negLoop(x, out, n); break;
    case ABS: absLoop(x, out, n); break;
    case SQRT: sqrtLoop(x, out, n); break;
    case EXP: expLoop(x, out, n); break;
    case LOG: logLoop(x, out, n); break;
    case LOG1P: log1pLoop(x, out, n); break;
    case EXPM1: expm1Loop(x, out, n); break;
    case TANH: tanhLoop(x, out, n); break;
    case SIGMOID: sigmoidLoop(x, out, n); break;
    case SOFTPLUS: softplusLoop(x, out, n); break;
    default: unreachable();
  }
}
