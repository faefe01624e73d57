/**
 * Run by test/wasm-fma.test.ts in a child Node process (bundled with esbuild), because the build of the
 * kernels is chosen once per process, from the engine and SIEVE_FMA. Prints one JSON object: whether
 * the loaded kernels use fused multiply-adds, whether the engine then validates relaxed SIMD, some
 * matrix products (operands and results, on one and on two threads), and what `setFusedMultiplyAdd`
 * says when asked to change the loaded build.
 */
import {
  fusedMultiplyAdd,
  getBackend,
  initWasmBackend,
  setFusedMultiplyAdd,
  setThreadCount,
  wasmBackend,
} from '../../src/index.js';
import { KERNELS_FMA_WASM_BASE64 } from '../../src/tensor/backend/wasm/module.generated.js';
import type { ChildReport, Product } from './report.js';

// `off-before-load` (run with SIEVE_BACKEND=js, so that importing Sieve loads no kernels): refuse the
// relaxed build, then load the kernels as a browser page does.
const loadedBefore = fusedMultiplyAdd();
if (process.argv[2] === 'off-before-load') {
  setFusedMultiplyAdd(false);
  await initWasmBackend();
}

/** Reproducible operands of mixed signs and magnitudes (a linear congruential sequence, not Math.random). */
function operand(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 - 0.5) * 2 ** ((state >>> 7) % 6);
  }
  return out;
}

function product(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, seed: number): Product {
  const a = operand(m * k, seed);
  const b = operand(k * n, seed + 1);
  const aShape = transposeA ? [k, m] : [m, k];
  const bShape = transposeB ? [n, k] : [k, n];
  const run = (threads: number): number[] => {
    setThreadCount(threads);
    return Array.from(wasmBackend.matmulTransposed(a, aShape, transposeA, b, bShape, transposeB, [m, n]));
  };
  return { m, k, n, transposeA, transposeB, a: Array.from(a), b: Array.from(b), oneThread: run(1), twoThreads: run(2) };
}

function refusal(enabled: boolean): string | null {
  try {
    setFusedMultiplyAdd(enabled);
    return null;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

const products = [
  // Edge tiles on both sides, one slab (k ≤ 256), every transpose case.
  product(37, 200, 45, false, false, 1),
  product(37, 200, 45, true, false, 2),
  product(37, 200, 45, false, true, 3),
  product(37, 200, 45, true, true, 4),
  // Two slabs of 150 (k > 256), and large enough for the worker threads.
  product(150, 300, 140, false, false, 5),
];
const report: ChildReport = {
  backend: getBackend().name,
  fma: fusedMultiplyAdd(),
  engineHasRelaxedSimd: WebAssembly.validate(Uint8Array.from(atob(KERNELS_FMA_WASM_BASE64), (c) => c.charCodeAt(0))),
  loadedBefore,
  products,
  refuseOff: refusal(false),
  refuseOn: refusal(true),
};
// Exit once the report is written (a pipe is written asynchronously): the worker threads would keep the process.
process.stdout.write(JSON.stringify(report), () => process.exit(0));
