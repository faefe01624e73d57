// The gpu.js matmul path. In headless Chromium (software WebGL: SwiftShader): auto-detection must
// refuse it, and forced on it must agree with the JS backend within the float32 accumulation bound
// (derived in test/browser/gpu-checks.ts) on every shape, actually running on the GPU path. In Node:
// no WebGL, so enableGpu reports why and changes nothing; the routing logic is checked with a fake kernel.
// Without /usr/bin/chromium the Chromium part fails (it does not skip).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { bundleForBrowser, launchChromium, openPage } from './browser/harness.js';
import { MATMUL_CASES, type GpuCheckResults } from './browser/gpu-checks.js';
import {
  SieveError,
  disableGpu,
  enableGpu,
  getBackend,
  gpuStatus,
  isSoftwareRenderer,
  jsBackend,
} from '../src/index.js';
import { makeGpuBackend } from '../src/tensor/backend/gpu/backend.js';
import type { GpuMatmul } from '../src/tensor/backend/gpu/kernels.js';

describe('gpu.js matmul in headless Chromium (SwiftShader)', () => {
  let browser: Browser | undefined;
  let results: GpuCheckResults;
  let errors: string[] = [];

  beforeAll(async () => {
    const bundle = await bundleForBrowser();
    browser = await launchChromium();
    const opened = await openPage(browser, bundle);
    errors = opened.errors;
    results = await opened.page.evaluate(() =>
      (
        globalThis as unknown as {
          sieveBrowserTest: { runGpuChecks(): Promise<GpuCheckResults> };
        }
      ).sieveBrowserTest.runGpuChecks(),
    );
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('auto-detection refuses the software renderer', () => {
    expect(results.auto.renderer).toMatch(/swiftshader/i);
    expect(results.auto.software).toBe(true);
    expect(results.auto.enabled).toBe(false);
    expect(results.auto.reason).toMatch(/software/);
  });

  it('forced on, it runs gpu.js WebGL2 kernels', () => {
    expect(results.forced.enabled, results.forced.reason).toBe(true);
    expect(results.forced.kernel).toBe('WebGL2Kernel');
  });

  for (const c of MATMUL_CASES) {
    it(`${c.name}: on the GPU, within (γ_k + 2u)·|A||B| of the JS backend`, () => {
      const r = results.cases.find((x) => x.name === c.name)!;
      expect(r.gpuCalls).toBe(1);
      expect(r.worstRatio, `max |gpu − js| = ${r.maxAbsDifference}`).toBeLessThanOrEqual(1);
    });
  }

  it('gradients through matmul run on the GPU and stay within the bound', () => {
    expect(results.gradient.gpuCalls).toBeGreaterThanOrEqual(1);
    expect(results.gradient.worstRatio).toBeLessThanOrEqual(1);
  });

  it('a product with NaN or ±∞ stays on the CPU and equals the JS result exactly', () => {
    expect(results.nonFinite).toEqual({ equal: true, cpuCalls: 1, gpuCalls: 0 });
  });

  it('disableGpu restores the CPU backend', () => {
    expect(results.after.enabled).toBe(false);
    expect(results.backendAfter).toBe('js');
  });

  it('logs no console errors', () => {
    expect(errors).toEqual([]);
  });
});

describe('the GPU path in Node (no WebGL)', () => {
  it('enableGpu reports why it is unavailable, never throws, and leaves the backend alone', async () => {
    const before = getBackend();
    for (const options of [{}, { force: true }]) {
      const status = await enableGpu(options);
      expect(status.enabled).toBe(false);
      expect(status.reason).toMatch(/no canvas/);
      expect(getBackend()).toBe(before);
    }
    expect(gpuStatus().enabled).toBe(false);
  });

  it('rejects an invalid threshold with a SieveError naming enableGpu', async () => {
    await expect(enableGpu({ minMultiplyAdds: -1 })).rejects.toThrow(SieveError);
    await expect(enableGpu({ minMultiplyAdds: 1.5 })).rejects.toThrow(/enableGpu: minMultiplyAdds/);
    disableGpu();
  });

  it('tells software renderers from hardware ones', () => {
    const software = [
      'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
      'Google SwiftShader',
      'llvmpipe (LLVM 15.0.6, 256 bits)',
      'ANGLE (Mesa, llvmpipe (LLVM 15.0.7, 256 bits), OpenGL 4.5)',
      'softpipe',
      'Microsoft Basic Render Driver',
    ];
    const hardware = [
      'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)',
      'ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)',
      'Mesa Intel(R) UHD Graphics 620 (KBL GT2)',
      'AMD Radeon Pro 5500M OpenGL Engine',
    ];
    for (const name of software) expect(isSoftwareRenderer(name), name).toBe(true);
    for (const name of hardware) expect(isSoftwareRenderer(name), name).toBe(false);
  });

  describe('routing (a fake kernel that records its calls)', () => {
    function fakeKernel() {
      const calls: { a: number; b: number; batch: number; m: number; k: number; n: number }[] = [];
      const kernel = {
        run(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number): Float32Array {
          calls.push({ a: a.length, b: b.length, batch, m, k, n });
          return jsBackend.matmul(a, [batch, m, k], b, [batch, k, n], [batch, m, n]);
        },
      } as unknown as GpuMatmul;
      return { kernel, calls };
    }
    const options = { minMultiplyAdds: 1000, maxTextureElements: 4096 };
    const filled = (n: number, f = (i: number) => (i % 7) - 3) => Float32Array.from({ length: n }, (_, i) => f(i));

    it('keeps products below the threshold on the CPU backend', () => {
      const { kernel, calls } = fakeKernel();
      const gpu = makeGpuBackend(jsBackend, kernel, options);
      gpu.matmul(filled(9 * 9), [9, 9], filled(9 * 9), [9, 9], [9, 9]); // 729 < 1000
      expect(calls).toEqual([]);
      expect(gpu.counts).toEqual({ gpu: 0, cpu: 1 });
    });

    it('materializes broadcast batches before calling the kernel, and matches the CPU result', () => {
      const { kernel, calls } = fakeKernel();
      const gpu = makeGpuBackend(jsBackend, kernel, options);
      const a = filled(2 * 1 * 5 * 6),
        b = filled(3 * 6 * 7);
      const got = gpu.matmul(a, [2, 1, 5, 6], b, [3, 6, 7], [2, 3, 5, 7]);
      expect(calls).toEqual([{ a: 6 * 5 * 6, b: 6 * 6 * 7, batch: 6, m: 5, k: 6, n: 7 }]);
      expect(got).toEqual(jsBackend.matmul(a, [2, 1, 5, 6], b, [3, 6, 7], [2, 3, 5, 7]));
    });

    it('sends transposed operands as materialized transposes', () => {
      const { kernel, calls } = fakeKernel();
      const gpu = makeGpuBackend(jsBackend, kernel, options);
      const a = filled(13 * 19),
        b = filled(21 * 13, (i) => (i % 5) - 2);
      const got = gpu.matmulTransposed(a, [13, 19], true, b, [21, 13], true, [19, 21]);
      expect(calls).toEqual([{ a: 19 * 13, b: 13 * 21, batch: 1, m: 19, k: 13, n: 21 }]);
      expect(got).toEqual(jsBackend.matmulTransposed(a, [13, 19], true, b, [21, 13], true, [19, 21]));
    });

    it('keeps products with non-finite inputs, or too large for a texture, on the CPU', () => {
      const { kernel, calls } = fakeKernel();
      const gpu = makeGpuBackend(jsBackend, kernel, options);
      const a = filled(16 * 16);
      a[5] = NaN;
      gpu.matmul(a, [16, 16], filled(16 * 16), [16, 16], [16, 16]);
      gpu.matmul(filled(70 * 70), [70, 70], filled(70 * 70), [70, 70], [70, 70]); // 4900 > 4096 floats
      expect(calls).toEqual([]);
      expect(gpu.counts).toEqual({ gpu: 0, cpu: 2 });
    });
  });
});
