// a·b + c and c − a·b on four lanes, fused in the build with relaxed SIMD and not in the other.
//
// scripts/build-wasm.mjs compiles the kernels twice: once plain, once with relaxed SIMD, whose
// relaxed_madd and relaxed_nmadd the engine turns into one fused multiply-add (one rounding) where the
// processor has it (x64 with FMA3, every arm64) and into a multiply then an add elsewhere. The plain build
// always multiplies, rounds, then adds. `ASC_FEATURE_RELAXED_SIMD` is a compile-time constant, so each
// build holds only its own branch (the plain build must not contain a relaxed opcode: engines without
// relaxed SIMD reject the whole module). Users: the matrix product's micro-kernel (./matmul-kernel.ts)
// and the transcendental functions' range reductions and polynomials (./transcendental.ts).

/** a·b + c, lane by lane: fused (one rounding) in the relaxed build where the processor has FMA. */
// @ts-ignore: decorator
@inline export function multiplyAdd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b, lane by lane: fused (one rounding) in the relaxed build where the processor has FMA. */
// @ts-ignore: decorator
@inline export function multiplySubtract(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}
