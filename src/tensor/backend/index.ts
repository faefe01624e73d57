/**
 * The active backend. Ops read it at call time, so swapping backends affects every later op.
 *
 * Which backend is active at start: in Node, the environment variable SIEVE_BACKEND=js|wasm
 * chooses; otherwise the default below (wasm). Where the WebAssembly SIMD kernels cannot load (no
 * SIMD, or a browser's main thread, which refuses to compile them synchronously), Sieve starts on
 * the JS backend; in a browser, `await initWasmBackend()` then switches to WASM.
 */
import type { Backend } from './backend.js';
import { fail } from '../../errors.js';
import { environmentVariable } from './environment.js';
import { jsBackend } from './js.js';
import { wasmBackend } from './wasm/backend.js';
import { kernelLoadError, loadKernels, loadKernelsSync } from './wasm/kernels.js';

export type { Backend, BinaryOp, ReduceOp, UnaryOp } from './backend.js';
export { jsBackend } from './js.js';
export { wasmBackend } from './wasm/backend.js';
export { setThreadCount, threadCount } from './wasm/threads/thread-count.js';
export { fusedMultiplyAdd, setFusedMultiplyAdd } from './wasm/kernel-variant.js';
export { stopWorkerThreads } from './wasm/threads/pool.js';
export {
  residentSettings,
  residentStats,
  setResidentArrays,
  type ResidentSettings,
} from './wasm/resident-arrays.js';

/**
 * The backend used when SIEVE_BACKEND is not set, if it can load. WASM: the whole test suite passes
 * on it (`SIEVE_BACKEND=wasm npx vitest run`), and it is 4-30× faster on large arrays.
 */
const DEFAULT_BACKEND: 'js' | 'wasm' = 'wasm';

function environmentChoice(): string | undefined {
  return environmentVariable('SIEVE_BACKEND');
}

/**
 * The backend for a SIEVE_BACKEND value (undefined: not set). An explicit 'wasm' that cannot load is
 * an error; the default falls back to JS quietly.
 */
export function backendFromChoice(choice: string | undefined): Backend {
  const name = choice ?? DEFAULT_BACKEND;
  if (name === 'js') return jsBackend;
  if (name !== 'wasm') fail('SIEVE_BACKEND', `unknown backend '${name}' (expected 'js' or 'wasm')`);
  if (loadKernelsSync() !== null) return wasmBackend;
  if (choice === 'wasm') {
    fail(
      'SIEVE_BACKEND',
      `wasm was requested, but the WebAssembly kernels could not be loaded: ${String(kernelLoadError())}`,
    );
  }
  return jsBackend;
}

let active: Backend = backendFromChoice(environmentChoice());

export function getBackend(): Backend {
  return active;
}

/** Install `backend` for all later operations; returns the previous one so callers can restore it. */
export function setBackend(backend: Backend): Backend {
  const previous = active;
  active = backend;
  return previous;
}

/**
 * Load the WebAssembly kernels asynchronously (the way that works on a browser's main thread) and
 * make the wasm backend active. Resolves to false, leaving the backend unchanged, where WebAssembly
 * SIMD is not available.
 */
export async function initWasmBackend(): Promise<boolean> {
  if ((await loadKernels()) === null) return false;
  active = wasmBackend;
  return true;
}
