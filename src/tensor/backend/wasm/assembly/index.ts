// Entry point of Sieve's WebAssembly kernels: everything exported here is callable from JS.
// All pointers are byte offsets into this module's memory; the JS side (../kernels.ts) places the
// buffers there, 16-byte aligned and padded to whole vectors.
export { matmul, matmulStrided, matmulScratchBytes } from './matmul';
export { unary } from './unary';
export { binary } from './binary';
export { where, bernoulliLogitsGrad } from './ternary';
export { reduce } from './reduce';
export { transpose } from './transpose';
export { adam, logsumexp } from './fused';

/** First free byte after the module's static data; JS places its buffers from here on. */
export function heapBase(): usize {
  return __heap_base;
}
