/**
 * Keeping freed tensor storage in the process, so that new results do not page-fault (Node on Linux).
 *
 * Node stores an ArrayBuffer's bytes with the C library's malloc, on Linux usually glibc's. glibc gives the
 * free memory at the top of its heap back to the kernel once more than its *trim threshold* is free there;
 * the threshold starts at 128 KB and follows the largest block it has freed from a mapping of its own
 * (twice its size, up to 64 MB). After the first 4 MB result is freed it is 8 MB. The garbage collector
 * frees dead tensors' storage in bursts, often tens of MB at once, so glibc shrinks its heap after each
 * collection and the next results grow it again, and each of their 4 KB pages then faults on its first
 * write. Measured (2026-12-04, exp over 1M floats on the wasm backend, 300 calls): 54–996 page faults per
 * call (of its result's 1,024 pages), and 2.9–5.0 ms per call against 2.8 ms without them.
 *
 * glibc raises the threshold when it frees a block that had a mapping of its own, so freeing one such block
 * of nearly 32 MB (the largest that counts) sets it to 64 MB for the rest of the process. That is all this
 * does, once, on the first large allocation: allocate such a block and drop it. The block is never
 * touched, so it costs no memory, and the garbage collector frees it at its next young-generation pass.
 * What it costs: up to 64 MB of freed storage may stay with the process instead of going back to the
 * kernel. Elsewhere (other C libraries, browsers, or a glibc whose thresholds were set with MALLOC_*
 * variables, which turn the adjustment off) the block is an untouched allocation, freed like any other.
 * test/heap-trim.test.ts counts the page faults.
 */

import { sweepArrayBuffersInPause } from './array-buffer-sweeping.js';

/** Arrays from this many floats (64 KB) up count as large: smaller ones come from glibc's own bins. */
export const LARGE_ALLOCATION_FLOATS = 16_384;

/**
 * glibc adjusts its thresholds for a freed mapped block of at most 32 MB, counting a flag bit in the block's
 * size word; its header and page rounding add up to a page. 64 KB below 32 MB stays clear of both.
 */
const PRIMING_BYTES = 32 * 2 ** 20 - 2 ** 16;

let primed = false;

function onLinux(): boolean {
  const processInfo = (globalThis as { process?: { platform?: string } }).process;
  return processInfo?.platform === 'linux';
}

/** Called before allocating a large array: the first time, raises glibc's trim threshold (see above). */
export function beforeLargeAllocation(): void {
  if (primed) return;
  primed = true;
  // The other process-wide setting for large results: V8 frees dead ones in its pause (array-buffer-sweeping.ts).
  sweepArrayBuffersInPause();
  if (onLinux()) new ArrayBuffer(PRIMING_BYTES); // dropped at once: freeing it is the point
}
