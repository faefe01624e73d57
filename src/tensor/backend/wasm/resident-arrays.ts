/**
 * Tensor storage that lives in WebAssembly memory: results of the WASM kernels are Float32Array
 * views onto the shared memory of the threads build, so an op neither copies its inputs in (an input
 * that is such a view is passed by its byte offset) nor copies its result out into a fresh array.
 *
 * Why shared memory: growing a WebAssembly.Memory detaches every view of a non-shared one, but
 * leaves the views of a shared one valid (each growth yields a new SharedArrayBuffer object; the old
 * ones keep working). Where shared memory is missing (a browser page that is not cross-origin
 * isolated), the backend keeps copying.
 *
 * Tensors stay garbage-collected: a FinalizationRegistry returns a view's block to the allocator
 * when the view is collected. Its callbacks run only when the event loop turns, never inside a
 * synchronous loop, and V8 does not count WebAssembly memory as pressure; so the bytes held by
 * resident results are capped (`limitBytes`), and above the cap results are ordinary Float32Arrays.
 *
 * Safety: a block is reused only after its view was collected. A second view onto the same bytes
 * (a `subarray`, or `new Float32Array(x.buffer, …)`) does not keep the first alive, so Sieve never
 * lets one outlive the op that made it (docs/wasm-backend.md, "Resident tensors").
 */
import { fail } from '../../../errors.js';
import { environmentSwitch, environmentVariable } from '../environment.js';
import { type Kernels, loadSharedKernelsSync } from './kernels.js';
import { BlockAllocator, blockBytes, sizeClass } from './resident-allocator.js';

/** Settings of resident storage (`setResidentArrays`). */
export interface ResidentSettings {
  /**
   * Whether large WASM results live in WebAssembly memory where shared memory exists. Off by default:
   * blocks come back only when a collection has run and then the event loop has turned, which a
   * synchronous training loop never lets happen (docs/wasm-backend.md, "Resident tensors").
   */
  enabled: boolean;
  /** The most bytes of live resident results; above it, results are ordinary arrays (default 256 MB). */
  limitBytes: number;
  /** Fewest floats for a resident result; smaller results are ordinary arrays (default 1,024). */
  minFloats: number;
}

const DEFAULT_LIMIT_MB = 256;
const DEFAULT_MIN_FLOATS = 1024;

/** Bytes per float, and the spare vector after every block (kernels store whole 128-bit vectors). */
const SPARE_BYTES = 16;

/** SIEVE_RESIDENT=1|0 and SIEVE_RESIDENT_MB=n set the starting values; a bad value is a SieveError. */
function initialSettings(): ResidentSettings {
  const enabled = environmentSwitch('SIEVE_RESIDENT', false);
  const mb = environmentVariable('SIEVE_RESIDENT_MB');
  const limit = mb === undefined ? DEFAULT_LIMIT_MB : Number(mb);
  if (!(Number.isFinite(limit) && limit >= 0)) {
    fail('SIEVE_RESIDENT_MB', `expected a number of megabytes ≥ 0, got '${mb}'`);
  }
  return { enabled, limitBytes: limit * 2 ** 20, minFloats: DEFAULT_MIN_FLOATS };
}

const settings: ResidentSettings = initialSettings();

/**
 * Change resident storage settings (any subset); returns the previous settings. Results already
 * resident stay valid whatever the settings say.
 */
export function setResidentArrays(change: Partial<ResidentSettings>): ResidentSettings {
  const previous = { ...settings };
  if (change.enabled !== undefined && typeof change.enabled !== 'boolean') {
    fail('setResidentArrays', `enabled must be true or false, got ${String(change.enabled)}`);
  }
  for (const key of ['limitBytes', 'minFloats'] as const) {
    const v = change[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && !Number.isNaN(v))) {
      fail('setResidentArrays', `${key} must be a number ≥ 0, got ${String(v)}`);
    }
  }
  Object.assign(settings, change);
  return previous;
}

/** One shared WebAssembly memory: its kernels, its blocks, and the views handed out over them. */
export class ResidentArrays {
  readonly kernels: Kernels;
  readonly blocks: BlockAllocator;
  /** Bytes of blocks under live resident results (scratch excluded): what `limitBytes` caps. */
  resultBytes = 0;
  /** Every SharedArrayBuffer object of this memory so far (one per growth). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private buffer: ArrayBufferLike;
  /** Held value: offset · 256 + class index (offsets < 2^32, fewer than 256 classes). */
  private readonly registry = new FinalizationRegistry<number>((held) => this.releaseResult(held));
  private scratchBlock: { offset: number; index: number; bytes: number } | null = null;

  constructor(
    kernels: Kernels,
    private readonly memory: WebAssembly.Memory,
  ) {
    this.kernels = kernels;
    this.buffer = memory.buffer;
    this.buffers.add(this.buffer);
    this.blocks = new BlockAllocator(kernels.exports.heapBase(), (end) => kernels.reserve(end));
    kernels.useScratch((bytes) => this.scratch(bytes));
  }

  /** The byte offset of `x` in this memory, or −1 when x is not a view of it. */
  offsetOf(x: Float32Array): number {
    return this.buffers.has(x.buffer) ? x.byteOffset : -1;
  }

  /**
   * A new resident Float32Array of n floats (contents undefined), or null when resident storage is
   * off, n is below `minFloats`, the live results would pass `limitBytes`, or the memory cannot grow.
   */
  allocate(n: number): Float32Array | null {
    if (!settings.enabled || n < settings.minFloats || n === 0) return null;
    const bytes = 4 * n + SPARE_BYTES;
    if (this.resultBytes + bytes > settings.limitBytes) return null;
    const block = this.blocks.allocate(bytes);
    if (block === null) return null;
    this.resultBytes += block.bytes;
    const view = new Float32Array(this.currentBuffer(), block.offset, n);
    this.registry.register(view, block.offset * 256 + block.index, view);
    return view;
  }

  /**
   * Give back the block of a view made by `allocate` that never left the op that made it (an op
   * that fell back to another path): the caller must hold the only reference.
   */
  discard(view: Float32Array): void {
    if (!this.registry.unregister(view)) fail('resident arrays', 'discard of a view that allocate() did not make');
    const cls = this.classOf(view.length);
    this.blocks.release(view.byteOffset, cls);
    this.resultBytes -= blockBytes(cls);
  }

  /**
   * An area of at least `bytes` bytes for an op's staged operands and scratch, valid until the next
   * call (the Kernels' `layout`); −1 if the memory cannot grow that far. Kept between ops and
   * replaced only by a larger one.
   */
  scratch(bytes: number): number {
    const held = this.scratchBlock;
    if (held !== null && held.bytes >= bytes) return held.offset;
    const block = this.blocks.allocate(Math.max(bytes, 1));
    if (block === null) return -1;
    if (held !== null) this.blocks.release(held.offset, held.index);
    this.scratchBlock = block;
    return block.offset;
  }

  private classOf(n: number): number {
    return sizeClass(4 * n + SPARE_BYTES).index;
  }

  private currentBuffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.buffers.add(buffer);
    }
    return buffer;
  }

  private releaseResult(held: number): void {
    const index = held % 256;
    this.blocks.release((held - index) / 256, index);
    this.resultBytes -= blockBytes(index);
  }
}

let resident: ResidentArrays | null = null;

/**
 * The resident storage of the shared memory, made on first use; null where shared memory is not
 * available. Made whenever the shared kernels are used (by the worker pool too), so that every
 * user of that memory takes its buffers from the same allocator.
 */
export function residentMemory(): ResidentArrays | null {
  if (resident !== null) return resident;
  const shared = loadSharedKernelsSync();
  if (shared === null) return null;
  resident = new ResidentArrays(shared.kernels, shared.memory);
  return resident;
}

/** The resident storage when it is switched on (`setResidentArrays`) and available; else null. */
export function residentTarget(): ResidentArrays | null {
  return settings.enabled ? residentMemory() : null;
}

/** Bytes of live resident results, all blocks carved from the memory, and the memory's size. */
export function residentStats(): { resultBytes: number; carvedBytes: number; memoryBytes: number } {
  const r = resident;
  if (r === null) return { resultBytes: 0, carvedBytes: 0, memoryBytes: 0 };
  return {
    resultBytes: r.resultBytes,
    carvedBytes: r.blocks.carvedBytes,
    memoryBytes: r.kernels.exports.memory.buffer.byteLength,
  };
}

/** A copy of the current settings. */
export function residentSettings(): ResidentSettings {
  return { ...settings };
}
