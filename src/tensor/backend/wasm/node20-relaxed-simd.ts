/**
 * Node 20 and relaxed SIMD.
 *
 * Node 20's engine (V8 11.3) implements WebAssembly's relaxed SIMD in its final form, but keeps it
 * behind the flag `--experimental-wasm-relaxed-simd`; V8 11.4 turned it on by default, so Node ≥ 22
 * (and Chrome ≥ 114) validate the relaxed build of Sieve's kernels as they are. On Node 20, where the
 * relaxed build is wanted (kernel-variant.ts) and does not validate, Sieve turns that flag on through
 * `v8.setFlagsFromString` before compiling its kernels, which makes Node 20 load the same build, with the
 * same bits, as Node 22. The flag only lets more modules validate (it adds the relaxed instructions), so
 * modules that loaded before behave as they did. SIEVE_FMA=0 (or `setFusedMultiplyAdd(false)` before the
 * kernels load) means the relaxed build is not wanted, and then nothing here runs.
 */
import { setNode20V8Flag } from '../node-v8-flags.js';

/**
 * On Node 20 only, turn on V8's relaxed-SIMD flag; returns whether it did. Elsewhere it does nothing:
 * other engines either have relaxed SIMD by default or lack it, and Node < 20 is not supported.
 */
export function turnOnNode20RelaxedSimd(): boolean {
  return setNode20V8Flag('--experimental-wasm-relaxed-simd');
}
