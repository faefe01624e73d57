/**
 * Blocks of WebAssembly memory for tensor storage that lives there (./resident-arrays.ts).
 *
 * Sizes come in classes, eight per doubling (128, 144, …, 240, 256, 288, …), so a block wastes at
 * most 1/8 of itself and every size is a multiple of 16 bytes: blocks carved one after another from
 * a 16-byte-aligned start stay 16-byte aligned (the kernels load and store whole 128-bit vectors).
 * A released block goes onto its class's free list and is handed out again for the next request of
 * that class; new blocks come from the top of the used region, which grows the memory when needed.
 * Nothing is ever given back to the memory: WebAssembly memory cannot shrink.
 */

/** The smallest block: 2^7 = 128 bytes (below it a class step would not be a multiple of 16). */
const MIN_EXPONENT = 7;
/** Classes per doubling: 2^3 = 8 steps. */
const STEP_BITS = 3;
/** Blocks of 2 GB or more are refused (sizes are computed with 32-bit integer operations). */
export const MAX_BLOCK_BYTES = 2 ** 31 - 1;

/** The class of a request of `bytes` bytes (≥ 1), and the size of its blocks. */
export function sizeClass(bytes: number): { index: number; bytes: number } {
  const b = Math.max(bytes, 2 ** MIN_EXPONENT);
  const p = 31 - Math.clz32(b); // 2^p ≤ b < 2^(p+1)
  const step = 2 ** (p - STEP_BITS);
  const j = Math.ceil((b - 2 ** p) / step); // 0 … 8; 8 is the next power of two
  return { index: (p - MIN_EXPONENT) * (1 << STEP_BITS) + j, bytes: 2 ** p + j * step };
}

export class BlockAllocator {
  /** Free blocks by class index: offsets of released blocks, reused last in, first out (warm in cache). */
  private readonly free: number[][] = [];
  /** The first byte not yet carved into a block. */
  private top: number;
  /** Bytes in blocks handed out and not released. */
  usedBytes = 0;

  /**
   * @param start the first byte the allocator may use (rounded up to 16)
   * @param reserve makes bytes [0, end) usable (grows the memory); false if it cannot
   */
  constructor(
    start: number,
    private readonly reserve: (end: number) => boolean,
  ) {
    this.top = Math.ceil(start / 16) * 16;
  }

  /** Bytes carved from the memory so far: blocks in use plus free ones. */
  get carvedBytes(): number {
    return this.top;
  }

  /**
   * A block of at least `bytes` bytes: its offset and class (to release it with), or null when the
   * memory cannot grow that far or the request is 2 GB or more.
   */
  allocate(bytes: number): { offset: number; index: number; bytes: number } | null {
    if (!(bytes >= 1 && bytes <= MAX_BLOCK_BYTES)) return null;
    const cls = sizeClass(bytes);
    const reused = this.free[cls.index]?.pop();
    let offset: number;
    if (reused !== undefined) {
      offset = reused;
    } else {
      if (!this.reserve(this.top + cls.bytes)) return null;
      offset = this.top;
      this.top += cls.bytes;
    }
    this.usedBytes += cls.bytes;
    return { offset, index: cls.index, bytes: cls.bytes };
  }

  /** Put the block at `offset` of class `index` back for reuse. */
  release(offset: number, index: number): void {
    (this.free[index] ??= []).push(offset);
    this.usedBytes -= blockBytes(index);
  }
}

/** The size of the blocks of class `index`. */
export function blockBytes(index: number): number {
  const steps = 1 << STEP_BITS;
  const p = Math.floor(index / steps) + MIN_EXPONENT;
  return 2 ** p + (index % steps) * 2 ** (p - STEP_BITS);
}
