/**
 * Turning the GPU path on and off: `await enableGpu()` wraps the active CPU backend so that large
 * matrix products run as gpu.js WebGL kernels — only where a hardware GPU renders WebGL.
 *
 *   const status = await enableGpu();      // { enabled: false, reason: '...' } on a software renderer
 *   const forced = await enableGpu({ force: true, minMultiplyAdds: 0 }); // tests: even on SwiftShader
 *
 * It never throws for an environment without a GPU (Node, no WebGL, no gpu.js installed): it
 * resolves to a status whose `reason` says why the GPU is not used, and the backend is unchanged.
 * Choose the CPU backend first (`setBackend`, `initWasmBackend`): enableGpu wraps the active one.
 */
import { fail } from '../../../errors.js';
import { getBackend, setBackend } from '../index.js';
import type { Backend } from '../backend.js';
import { makeGpuBackend, type GpuBackend, type GpuMatmulCounts } from './backend.js';
import { GpuMatmul, importGpuJs } from './kernels.js';
import { probeWebGl, refusalReason } from './renderer.js';

export { isSoftwareRenderer } from './renderer.js';

/**
 * Products below this many multiply-adds (batch·m·n·k) stay on the CPU. An estimate, not a
 * measurement (no machine of this project has a GPU): a gpu.js call costs about a millisecond of
 * uploads, draw and read-back, which the JS backend spends on roughly 2^21 multiply-adds (128³).
 */
const DEFAULT_GPU_MIN_MULTIPLY_ADDS = 2 ** 21;

export interface EnableGpuOptions {
  /** Use the GPU path even on a software renderer (SwiftShader, llvmpipe): for tests, never for speed. */
  readonly force?: boolean;
  /** Smallest batch·m·n·k sent to the GPU (default DEFAULT_GPU_MIN_MULTIPLY_ADDS). */
  readonly minMultiplyAdds?: number;
}

export interface GpuStatus {
  readonly enabled: boolean;
  /** Why the GPU is or is not used, in words. */
  readonly reason: string;
  /** The WebGL renderer's name, where a WebGL context could be opened. */
  readonly renderer: string | null;
  readonly software: boolean;
  /** 'WebGL2Kernel' or 'WebGLKernel': the gpu.js kernel class that ran the self-test. */
  readonly kernel: string | null;
  /** Matrix products sent to the GPU and kept on the CPU since enabling. */
  readonly counts: Readonly<GpuMatmulCounts> | null;
}

interface Active {
  readonly backend: GpuBackend;
  readonly matmul: GpuMatmul;
  readonly status: Omit<GpuStatus, 'counts'>;
}

let active: Active | null = null;
let lastRefusal: GpuStatus = {
  enabled: false,
  reason: 'enableGpu() has not been called',
  renderer: null,
  software: false,
  kernel: null,
  counts: null,
};

function refuse(reason: string, renderer: string | null = null, software = false): GpuStatus {
  lastRefusal = { enabled: false, reason, renderer, software, kernel: null, counts: null };
  return lastRefusal;
}

function checkOptions(options: EnableGpuOptions): number {
  const min = options.minMultiplyAdds ?? DEFAULT_GPU_MIN_MULTIPLY_ADDS;
  if (!Number.isInteger(min) || min < 0) {
    fail('enableGpu', `minMultiplyAdds must be a non-negative integer, got ${String(options.minMultiplyAdds)}`);
  }
  return min;
}

/** A 2×3 by 3×2 product of small integers: exact in float32, so any difference means a broken GPU path. */
function selfTest(matmul: GpuMatmul): string | null {
  const a = new Float32Array([1, 2, 3, 4, 5, 6]);
  const b = new Float32Array([7, 8, 9, 10, 11, 12]);
  const expected = [58, 64, 139, 154];
  let got: Float32Array;
  try {
    got = matmul.run(a, b, 1, 2, 3, 2);
  } catch (e) {
    return `the gpu.js self-test kernel failed: ${String(e)}`;
  }
  if (expected.some((v, i) => got[i] !== v)) return `the gpu.js self-test computed [${got}] instead of [${expected}]`;
  return null;
}

/**
 * Route large matrix products through gpu.js WebGL kernels, if a hardware GPU is present (or
 * `force`). Resolves to the status; throws only for invalid options.
 */
export async function enableGpu(options: EnableGpuOptions = {}): Promise<GpuStatus> {
  const minMultiplyAdds = checkOptions(options);
  disableGpu();
  const probed = probeWebGl();
  if (!probed.ok) return refuse(probed.reason);
  const { probe } = probed;
  const refusal = refusalReason(probe);
  const software = refusal !== null;
  if (refusal !== null && options.force !== true)
    return refuse(`${refusal}; pass { force: true } to use it anyway`, probe.renderer, software);
  const loaded = await importGpuJs();
  if (!loaded.ok) return refuse(loaded.reason, probe.renderer, software);
  let matmul: GpuMatmul;
  try {
    matmul = new GpuMatmul(loaded.module, new loaded.module.GPU({ canvas: probe.canvas, context: probe.context }));
  } catch (e) {
    return refuse(`gpu.js could not use the WebGL context: ${String(e)}`, probe.renderer, software);
  }
  const failure = selfTest(matmul);
  if (failure !== null) {
    matmul.destroy();
    return refuse(failure, probe.renderer, software);
  }
  const backend = makeGpuBackend(getBackend(), matmul, {
    minMultiplyAdds,
    maxTextureElements: probe.maxTextureSize * probe.maxTextureSize,
  });
  setBackend(backend);
  const how = software ? 'forced on a software renderer (correct but slow)' : 'hardware GPU';
  active = {
    backend,
    matmul,
    status: {
      enabled: true,
      reason: `${how}: products of ≥ ${minMultiplyAdds} multiply-adds run on ${probe.renderer}`,
      renderer: probe.renderer,
      software,
      kernel: matmul.kernelClass(1, 2, 3, 2),
    },
  };
  return gpuStatus();
}

/** Stop using the GPU: the CPU backend that enableGpu wrapped becomes active again. */
export function disableGpu(): void {
  if (active === null) return;
  // Restore the wrapped backend only if ours is still installed; a later setBackend wins.
  if (getBackend() === active.backend) setBackend(active.backend.base);
  active.matmul.destroy();
  active = null;
  lastRefusal = refuse('disableGpu() was called');
}

export function gpuStatus(): GpuStatus {
  if (active === null) return lastRefusal;
  return { ...active.status, counts: { ...active.backend.counts } };
}

/** The backend enableGpu installed, if it is on (for tests and diagnostics). */
export function gpuBackend(): Backend | null {
  return active?.backend ?? null;
}
