/**
 * Fresh arrays for kernel results that the caller overwrites whole before anyone can read them.
 *
 * `new Float32Array(n)` zero-fills its memory, a pass over the whole array that a result copied out of
 * WebAssembly memory overwrites at once. Node's `Buffer.allocUnsafe` skips it: allocating and filling
 * a result measured 10–35% faster that way from 16,384 floats up to 1M (2026-12-03), and no faster
 * below 16,384, where its own overhead (and, under 4 KB, Node's shared pool, whose ArrayBuffer other
 * Buffers share, while a tensor must own its storage) makes it lose. So small arrays, and every array
 * where `Buffer` does not exist (a browser), stay ordinary zeroed ones.
 */
import { LARGE_ALLOCATION_FLOATS, beforeLargeAllocation } from '../heap-trim.js';

interface BufferClass {
  allocUnsafe(size: number): Uint8Array;
}

const nodeBuffer = (globalThis as { Buffer?: BufferClass }).Buffer;

/** Arrays shorter than this come zeroed: the measured crossover (64 KB). */
const LEAST_FLOATS = 16_384;

/** A Float32Array of n floats whose contents are unspecified: every element must be written. */
export function uninitializedFloats(n: number): Float32Array {
  if (n >= LARGE_ALLOCATION_FLOATS) beforeLargeAllocation();
  if (nodeBuffer !== undefined && n >= LEAST_FLOATS) {
    const bytes = nodeBuffer.allocUnsafe(4 * n);
    // Only an ArrayBuffer of its own (a pooled one would start at another Buffer's end).
    if (bytes.byteOffset === 0 && bytes.buffer.byteLength === 4 * n) return new Float32Array(bytes.buffer, 0, n);
  }
  return new Float32Array(n);
}
