// Elementwise f(x) over n floats. Buffers are padded by the caller to a whole number of vectors,
// so the loop runs over ceil(n/4) vectors with no scalar tail (the padding lanes are discarded).
import { NEG, ABS, SQRT, EXP, LOG, LOG1P, EXPM1, TANH, SIGMOID, SOFTPLUS } from './codes';
import { expV, expm1V, log1pV, logV, sigmoidV, softplusV, tanhV } from './transcendental';

// @ts-ignore: decorator
@inline function apply(op: i32, v: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(v);
    case ABS: return f32x4.abs(v);
    case SQRT: return f32x4.sqrt(v);
    case EXP: return expV(v);
    case LOG: return logV(v);
    case LOG1P: return log1pV(v);
    case EXPM1: return expm1V(v);
    case TANH: return tanhV(v);
    case SIGMOID: return sigmoidV(v);
    case SOFTPLUS: return softplusV(v);
    default: return f32x4.splat(NaN);
  }
}

/** The loop for one op: `op` is a constant after inlining, so `apply` folds to one function. */
// @ts-ignore: decorator
@inline function loop(op: i32, x: usize, out: usize, n: i32): void {
  const end = x + (<usize>((n + 3) & ~3) << 2);
  for (; x < end; x += 16, out += 16) v128.store(out, apply(op, v128.load(x)));
}

export function unary(op: i32, x: usize, out: usize, n: i32): void {
  switch (op) {
    case NEG: loop(NEG, x, out, n); break;
    case ABS: loop(ABS, x, out, n); break;
    case SQRT: loop(SQRT, x, out, n); break;
    case EXP: loop(EXP, x, out, n); break;
    case LOG: loop(LOG, x, out, n); break;
    case LOG1P: loop(LOG1P, x, out, n); break;
    case EXPM1: loop(EXPM1, x, out, n); break;
    case TANH: loop(TANH, x, out, n); break;
    case SIGMOID: loop(SIGMOID, x, out, n); break;
    case SOFTPLUS: loop(SOFTPLUS, x, out, n); break;
    default: unreachable();
  }
}
