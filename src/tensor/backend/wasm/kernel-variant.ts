/**
 * Which build of the WebAssembly kernels to load: with or without relaxed SIMD.
 *
 * The two builds differ in one place, the matrix product's micro-kernel (assembly/matmul-kernel.ts):
 * with relaxed SIMD each step of a sum is `relaxed_madd`, which the engine compiles to a fused
 * multiply-add (one rounding instead of two) where the processor has one. That is what JAX and PyTorch
 * do on CPUs too, and it made a 512×512 product 1.2–1.3× faster on x64 (docs/wasm-backend.md). The
 * price: a product's last bits then depend on the runtime (an engine without relaxed SIMD, or a processor
 * without FMA, rounds twice; Node 20 gets relaxed SIMD from node20-relaxed-simd.ts). Within one
 * process they never change, whatever the thread count: every thread runs the same build.
 *
 * The choice is fixed when the kernels first load: the relaxed build wherever the engine validates it
 * (Node 20 once its flag is turned on), unless turned off by SIEVE_FMA=0 (Node) or
 * `setFusedMultiplyAdd(false)` beforehand.
 */
import { fail } from '../../../errors.js';
import { environmentSwitch } from '../environment.js';

/**
 * SIEVE_FMA=1|0: whether the relaxed build is wanted (default 1). Read when Sieve loads, so that a bad
 * SIEVE_FMA is a SieveError then, whichever backend is chosen.
 */
let wanted: boolean = environmentSwitch('SIEVE_FMA', true);
let validated: boolean | null = null;
/** The build that loaded first, which every later load must match (null before any loaded). */
let chosen: boolean | null = null;

/**
 * Whether a load now should use the relaxed build, given a way to ask the engine whether it validates
 * (asked once): the build already loaded if there is one, else the relaxed one where wanted and valid.
 */
export function relaxedBuildWanted(validates: () => boolean): boolean {
  if (chosen !== null) return chosen;
  if (!wanted) return false;
  validated ??= validates();
  return validated;
}

/** Records that a build loaded; the first one fixes the choice for the life of the process. */
export function buildLoaded(relaxed: boolean): void {
  chosen ??= relaxed;
}

/**
 * Ask for (true, the default) or refuse (false) the relaxed-SIMD build of the kernels, whose matrix
 * products use fused multiply-adds where the processor has them. Only before the kernels load: in a
 * browser, before `initWasmBackend()`; in Node they load when Sieve is imported, so set SIEVE_FMA=0 in
 * the environment instead. Afterwards, asking for the build already loaded is allowed, anything else
 * is a SieveError.
 */
export function setFusedMultiplyAdd(enabled: boolean): void {
  if (typeof enabled !== 'boolean') fail('setFusedMultiplyAdd', `expected true or false, got ${String(enabled)}`);
  if (chosen === null) {
    wanted = enabled;
    return;
  }
  // Allowed: what was loaded, or what was asked for (true where the engine lacks relaxed SIMD).
  if (enabled !== chosen && enabled !== wanted) {
    fail(
      'setFusedMultiplyAdd',
      `the WebAssembly kernels are already loaded ${chosen ? 'with' : 'without'} fused multiply-add; call it ` +
        'before they load (before initWasmBackend() in a browser) or set SIEVE_FMA=0|1 in the environment (Node)',
    );
  }
}

/**
 * Whether the loaded kernels' matrix products use relaxed SIMD's multiply-add (fused where the
 * processor has FMA); false also before the kernels load.
 */
export function fusedMultiplyAdd(): boolean {
  return chosen === true;
}
