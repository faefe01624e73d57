/**
 * gpu.js, loaded lazily, and the one kernel the GPU path runs: a batched matrix product.
 *
 * gpu.js is an optional peer dependency. It is imported only when `enableGpu` decides to use it, so
 * `import 'sieve-vi'` never loads it and an install without it works everywhere else. The types
 * below describe the small part of gpu.js this file uses, so Sieve's own types do not depend on it.
 */

/** A gpu.js Input: a flat array viewed with sizes [x, y, z] (fastest axis first). */
type GpuJsInput = object;

interface GpuJsKernel {
  (...args: unknown[]): unknown;
  /** The kernel that runs now: gpu.js swaps in a CPU kernel when the GPU one fails. */
  readonly kernel: object;
  readonly fallbackReason?: string | null;
  destroy(removeCanvasReferences?: boolean): void;
}

interface GpuJsInstance {
  createKernel(source: string, settings: object): GpuJsKernel;
  destroy(): Promise<void> | void;
}

export interface GpuJsModule {
  GPU: new (settings: { canvas?: unknown; context?: unknown }) => GpuJsInstance;
  input(value: Float32Array, size: number[]): GpuJsInput;
  GLKernel: abstract new (...args: never[]) => object;
}

/** Import gpu.js, or explain why it cannot be. Never throws. */
export async function importGpuJs(): Promise<{ ok: true; module: GpuJsModule } | { ok: false; reason: string }> {
  let loaded: Record<string, unknown>;
  // `try { await import() }` on purpose: bundlers (esbuild) then leave an unresolvable 'gpu.js' for run
  // time instead of failing the build, so apps without gpu.js can bundle Sieve.
  try {
    loaded = (await import('gpu.js')) as unknown as Record<string, unknown>;
  } catch (e) {
    return { ok: false, reason: `gpu.js could not be loaded (install it: npm install gpu.js): ${String(e)}` };
  }
  // A CommonJS/UMD package arrives as named exports in some loaders and only as `default` in others.
  const candidate = (typeof loaded.GPU === 'function' ? loaded : loaded.default) as Partial<GpuJsModule> | undefined;
  if (
    typeof candidate?.GPU !== 'function' ||
    typeof candidate.input !== 'function' ||
    typeof candidate.GLKernel !== 'function'
  ) {
    return { ok: false, reason: 'the loaded gpu.js has no GPU, input or GLKernel export (gpu.js ^2.24 expected)' };
  }
  return { ok: true, module: candidate as GpuJsModule };
}

/**
 * out[z][y][x] = Σ_p a[z][y][p] · b[z][p][x]: thread (x, y, z) is column x of row y of matrix z.
 * Source text rather than a function, so that no bundler's renaming or minifying can change what
 * gpu.js parses. The loop bound is a compile-time constant, which every GLSL version accepts.
 */
const MATMUL_SOURCE = `function matmul(a, b) {
  let sum = 0;
  for (let p = 0; p < this.constants.k; p++) {
    sum += a[this.thread.z][this.thread.y][p] * b[this.thread.z][p][this.thread.x];
  }
  return sum;
}`;

/** Compiled kernels kept per shape; a shader compile costs milliseconds, so keep the common ones. */
const MAX_CACHED_KERNELS = 16;

export class GpuMatmul {
  private readonly cache = new Map<string, GpuJsKernel>();

  constructor(
    private readonly gpuJs: GpuJsModule,
    private readonly gpu: GpuJsInstance,
  ) {}

  /**
   * `batch` products of row-major [m, k] by [k, n] matrices stored back to back (no broadcasting
   * here: the caller materializes it). Throws if gpu.js left the GPU for its CPU fallback.
   */
  run(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number): Float32Array {
    const kernel = this.kernelFor(batch, m, k, n);
    const rows = kernel(this.gpuJs.input(a, [k, m, batch]), this.gpuJs.input(b, [n, k, batch])) as Float32Array[][];
    if (!(kernel.kernel instanceof this.gpuJs.GLKernel)) {
      throw new Error(`gpu.js fell back to the CPU (${kernel.fallbackReason ?? 'no reason given'})`);
    }
    const out = new Float32Array(batch * m * n);
    for (let z = 0; z < batch; z++) {
      for (let y = 0; y < m; y++) out.set(rows[z][y].subarray(0, n), (z * m + y) * n);
    }
    return out;
  }

  /** The class name of the kernel that ran last for this shape ('WebGL2Kernel', 'WebGLKernel', ...). */
  kernelClass(batch: number, m: number, k: number, n: number): string | null {
    return this.cache.get(shapeKey(batch, m, k, n))?.kernel.constructor.name ?? null;
  }

  destroy(): void {
    for (const kernel of this.cache.values()) kernel.destroy();
    this.cache.clear();
  }

  private kernelFor(batch: number, m: number, k: number, n: number): GpuJsKernel {
    const key = shapeKey(batch, m, k, n);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      // Re-insert to mark it most recently used (a Map iterates in insertion order).
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    if (this.cache.size >= MAX_CACHED_KERNELS) {
      const [oldestKey, oldest] = this.cache.entries().next().value as [string, GpuJsKernel];
      this.cache.delete(oldestKey);
      oldest.destroy();
    }
    const kernel = this.gpu.createKernel(MATMUL_SOURCE, {
      output: [n, m, batch],
      constants: { k },
      precision: 'single', // float32 textures in and out: no 8-bit packing
      tactic: 'precision', // highp floats in the shader
    });
    this.cache.set(key, kernel);
    return kernel;
  }
}

function shapeKey(batch: number, m: number, k: number, n: number): string {
  return `${batch}x${m}x${k}x${n}`;
}
