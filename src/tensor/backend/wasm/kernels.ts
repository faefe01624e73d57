/**
 * Loading the WebAssembly kernels and moving data in and out of their memory.
 *
 * The module is embedded as base64 (module.generated.ts, written by scripts/build-wasm.mjs), so it
 * loads with no file path or network request. Node compiles it synchronously when Sieve starts (it
 * is the default backend) or on first use. Browsers allow synchronous compilation only for small
 * modules on the main thread (Chromium: 4 KB; this one is about 10 KB), so there `loadKernels()`
 * (async) must run first; `loadKernelsSync()` then returns the loaded module.
 *
 * Memory of the single-thread module is simple on purpose: every call copies its inputs into the
 * module's linear memory (from the first free byte up, each buffer 16-byte aligned and padded by a
 * spare vector), runs one kernel, and copies the result out into a fresh Float32Array.
 *
 * A second build of the same kernels imports a shared memory instead of owning one; the worker
 * pool (./threads/) runs it on every core over that one memory (see `loadSharedKernelsSync`). Large
 * results live in that memory as views (./resident-arrays.ts); its operands are laid out in a
 * scratch block of the same allocator (`useScratch`).
 */
import { buildLoaded, relaxedBuildWanted } from './kernel-variant.js';
import {
  KERNELS_FMA_WASM_BASE64,
  KERNELS_SHARED_FMA_WASM_BASE64,
  KERNELS_SHARED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from './module.generated.js';
import { turnOnNode20RelaxedSimd } from './node20-relaxed-simd.js';
import { uninitializedFloats } from './uninitialized.js';

/** The functions exported by assembly/index.ts; pointers are byte offsets into `memory`. */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  matmulScratchBytes(m: number, n: number, k: number): number;
  matmul(
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    bcs: number,
    c: number,
    m: number,
    n: number,
    k: number,
    scratch: number,
  ): void;
  /** matmul with C's row stride `ldc` given (floats): a block of C's columns is one call's output. */
  matmulStrided(
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    bcs: number,
    c: number,
    ldc: number,
    m: number,
    n: number,
    k: number,
    scratch: number,
  ): void;
  unary(op: number, x: number, out: number, n: number): void;
  binary(
    op: number,
    a: number,
    aRow: number,
    aCol: number,
    b: number,
    bRow: number,
    bCol: number,
    out: number,
    rows: number,
    cols: number,
  ): void;
  /** out = g·(x − σ(l)) for operands (x, l, g), laid out as in `where`. */
  bernoulliLogitsGrad(
    x: number,
    xRow: number,
    xCol: number,
    l: number,
    lRow: number,
    lCol: number,
    g: number,
    gRow: number,
    gCol: number,
    out: number,
    rows: number,
    cols: number,
  ): void;
  /** out = c ≠ 0 ? a : b; each operand (pointer, row stride, column stride) as in `binary`. */
  where(
    c: number,
    cRow: number,
    cCol: number,
    a: number,
    aRow: number,
    aCol: number,
    b: number,
    bRow: number,
    bCol: number,
    out: number,
    rows: number,
    cols: number,
  ): void;
  reduce(op: number, x: number, outer: number, len: number, inner: number, out: number, scratch: number): void;
  transpose(x: number, batch: number, rows: number, cols: number, out: number): void;
}

export class Kernels {
  private view: Float32Array;
  private readonly base: number;
  private scratchArea: ((bytes: number) => number) | null = null;

  constructor(readonly exports: KernelExports) {
    this.base = align16(exports.heapBase());
    this.view = new Float32Array(exports.memory.buffer);
  }

  /**
   * Byte offsets for buffers of the given numbers of floats, laid out from the first free byte, each
   * 16-byte aligned with at least one spare vector after it (kernels write whole vectors). Grows the
   * memory to fit `extraBytes` more after them; null if it cannot grow that far (32-bit WebAssembly
   * memory ends at 4 GB), and the caller then uses the JS backend.
   */
  layout(floats: readonly number[], extraBytes = 0): number[] | null {
    const offsets: number[] = [];
    let end = 0;
    for (const n of floats) {
      offsets.push(end);
      end = align16(end + 4 * n + 16);
    }
    const base = this.scratchArea === null ? this.base : this.scratchArea(end + extraBytes);
    if (base < 0 || (this.scratchArea === null && !this.reserve(base + end + extraBytes))) return null;
    for (let i = 0; i < offsets.length; i++) offsets[i] += base;
    return offsets;
  }

  /**
   * Lay buffers out in the area `area(bytes)` gives (an offset, −1 if none) instead of from the first
   * free byte: the shared memory's allocator provides it, since resident tensors live there too.
   */
  useScratch(area: (bytes: number) => number): void {
    this.scratchArea = area;
  }

  /** The end of the last buffer of a `layout` call: where scratch space may start. */
  static after(offsets: readonly number[], floats: readonly number[]): number {
    const i = offsets.length - 1;
    return align16(offsets[i] + 4 * floats[i] + 16);
  }

  /** A Float32Array over the whole memory (re-made after the memory grows, which detaches the old one). */
  f32(): Float32Array {
    if (this.view.buffer !== this.exports.memory.buffer) this.view = new Float32Array(this.exports.memory.buffer);
    return this.view;
  }

  write(offset: number, data: Float32Array): void {
    this.f32().set(data, offset >>> 2);
  }

  zero(offset: number, n: number): void {
    this.f32().fill(0, offset >>> 2, (offset >>> 2) + n);
  }

  /** Copy n floats from `offset` into `target`, starting at index `at`. */
  readInto(target: Float32Array, at: number, offset: number, n: number): void {
    target.set(this.f32().subarray(offset >>> 2, (offset >>> 2) + n), at);
  }

  /** A fresh Float32Array holding n floats copied from `offset`. */
  read(offset: number, n: number): Float32Array {
    // new + set measured faster than slice() on a view of WebAssembly memory.
    const out = uninitializedFloats(n);
    out.set(this.f32().subarray(offset >>> 2, (offset >>> 2) + n));
    return out;
  }

  /** Make bytes [0, bytes) of the memory usable, growing it; false if it cannot grow that far. */
  reserve(bytes: number): boolean {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return true;
    try {
      memory.grow(Math.ceil((bytes - have) / 65536));
      return true;
    } catch {
      return false; // a RangeError: beyond the memory's maximum or out of address space
    }
  }
}

/** n rounded up to a multiple of 16 (arithmetic, not bitwise: offsets may pass 2^31). */
function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The build to load (kernel-variant.ts): with relaxed SIMD where the engine validates it (on Node 20 once
 * its flag is on, node20-relaxed-simd.ts) and it was not turned off, and always the same as the build
 * loaded first, so that the shared build (for the worker threads) matches the calling thread's. Where
 * the shared relaxed build fails to load, the kernels run on one thread rather than mix builds.
 */
function kernelBuild(shared: boolean): { bytes: Uint8Array<ArrayBuffer>; relaxed: boolean } {
  const relaxed = relaxedBuildWanted(
    () =>
      WebAssembly.validate(relaxedPlainBytes()) ||
      (turnOnNode20RelaxedSimd() && WebAssembly.validate(relaxedPlainBytes())),
  );
  if (!shared) return { bytes: relaxed ? relaxedPlainBytes() : decodeBase64(KERNELS_WASM_BASE64), relaxed };
  return { bytes: decodeBase64(relaxed ? KERNELS_SHARED_FMA_WASM_BASE64 : KERNELS_SHARED_WASM_BASE64), relaxed };
}

let relaxedPlain: Uint8Array<ArrayBuffer> | null = null;

/** The relaxed plain build's bytes, decoded once: asking the engine about them and loading them use the same. */
function relaxedPlainBytes(): Uint8Array<ArrayBuffer> {
  relaxedPlain ??= decodeBase64(KERNELS_FMA_WASM_BASE64);
  return relaxedPlain;
}

/** The kernels import nothing but `env.abort`, which only a failed assertion could call (built with --noAssert). */
const imports = {
  env: {
    abort: (): never => {
      throw new Error('sieve wasm kernels: abort');
    },
  },
};

let loaded: Kernels | null = null;
let loadError: unknown = null;

/**
 * The kernels, compiling them synchronously on first use. Returns null where WebAssembly SIMD is not
 * available or synchronous compilation is refused (browser main thread: use `loadKernels()` first).
 */
export function loadKernelsSync(): Kernels | null {
  if (loaded !== null || loadError !== null) return loaded;
  try {
    const build = kernelBuild(false);
    const module = new WebAssembly.Module(build.bytes);
    loaded = new Kernels(new WebAssembly.Instance(module, imports).exports as unknown as KernelExports);
    buildLoaded(build.relaxed);
  } catch (e) {
    loadError = e;
  }
  return loaded;
}

/** The kernels, compiled asynchronously (works everywhere, including a browser's main thread). */
export async function loadKernels(): Promise<Kernels | null> {
  if (loaded !== null) return loaded;
  try {
    const build = kernelBuild(false);
    const module = await WebAssembly.compile(build.bytes);
    const instance = await WebAssembly.instantiate(module, imports);
    loaded = new Kernels(instance.exports as unknown as KernelExports);
    buildLoaded(build.relaxed);
    loadError = null;
  } catch (e) {
    loadError = e;
  }
  if (loaded !== null) await loadSharedKernels();
  return loaded;
}

/**
 * The shared-memory build, for the worker pool: the compiled module (each worker instantiates it on
 * the same memory), that memory, and the calling thread's own instance.
 */
export interface SharedKernels {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
}

/** 64 KB pages: the shared memory may grow to 4 GB, as far as 32-bit WebAssembly addresses reach. */
const SHARED_MAX_PAGES = 65536;

let shared: SharedKernels | null = null;
let sharedError: unknown = null;

/**
 * Shared memory exists in Node and in cross-origin isolated pages; elsewhere a browser has no
 * SharedArrayBuffer (and no shared WebAssembly memory), so the kernels run on one thread.
 */
function sharedMemoryAllowed(): boolean {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return typeof SharedArrayBuffer === 'function' && isolated !== false;
}

function sharedImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { ...imports.env, memory } };
}

/** The shared-memory kernels, compiled synchronously on first use; null where they cannot load. */
export function loadSharedKernelsSync(): SharedKernels | null {
  if (shared !== null || sharedError !== null) return shared;
  try {
    if (!sharedMemoryAllowed()) throw new Error('shared memory is not available (not cross-origin isolated)');
    const build = kernelBuild(true);
    const module = new WebAssembly.Module(build.bytes);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(module, sharedImports(memory));
    shared = { module, memory, kernels: new Kernels(instance.exports as unknown as KernelExports) };
    buildLoaded(build.relaxed);
  } catch (e) {
    sharedError = e;
  }
  return shared;
}

/**
 * The shared-memory kernels, compiled asynchronously: a browser's main thread refuses to compile or
 * instantiate the module synchronously, so `initWasmBackend()` (through `loadKernels`) calls this.
 */
async function loadSharedKernels(): Promise<void> {
  if (shared !== null || !sharedMemoryAllowed()) return;
  try {
    const build = kernelBuild(true);
    const module = await WebAssembly.compile(build.bytes);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(module, sharedImports(memory));
    shared = { module, memory, kernels: new Kernels(instance.exports as unknown as KernelExports) };
    buildLoaded(build.relaxed);
    sharedError = null;
  } catch (e) {
    sharedError = e;
  }
}

/** Why loading the shared-memory kernels failed (null if it did not fail or was not tried). */
export function sharedKernelLoadError(): unknown {
  return sharedError;
}

/** Why loading failed, for error messages (null if it did not fail). */
export function kernelLoadError(): unknown {
  return loadError;
}
