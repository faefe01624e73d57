// The relaxed-SIMD build of the WebAssembly kernels: matrix products with fused multiply-adds.
//
// The build is chosen once per process (src/tensor/backend/wasm/kernel-variant.ts), so each case runs
// test/fma/child-entry.ts in a child Node process, started with no Node flags (on Node 20 Sieve itself
// turns on relaxed SIMD, src/tensor/backend/wasm/node20-relaxed-simd.ts), with or without SIEVE_FMA. The products
// must equal, bit for bit, a float64 re-enactment of the kernel's documented summation order (each slab's
// sum over p in order from 0, later slabs added in turn) whose steps are fused multiply-adds exactly where
// the processor has FMA, and the same on two threads as on one.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedMultiplyAdd, SieveError, setFusedMultiplyAdd } from '../src/index.js';
import { bundleNodeScript, nodeHasRelaxedSimd } from './browser/harness.js';
import type { ChildReport, Product } from './fma/report.js';
import { documentedOrder, fusedStep, separateSteps } from './helpers/matmul-order.js';
import { processorHasFma } from './helpers/processor-fma.js';

let childFile = '';

beforeAll(async () => {
  childFile = await bundleNodeScript(fileURLToPath(new URL('./fma/child-entry.ts', import.meta.url)));
});

/** With `offBeforeLoad`, the child starts on the JS backend and refuses the relaxed build before loading. */
async function runChild(fmaSetting: string | undefined, offBeforeLoad = false): Promise<ChildReport> {
  // The suite itself runs with SIEVE_FMA=0 (vitest.config.ts); the child gets exactly what the case asks,
  // and Sieve's default backend unless it must start without kernels.
  const env: Record<string, string | undefined> = { ...process.env, SIEVE_FMA: fmaSetting, SIEVE_BACKEND: 'js' };
  if (fmaSetting === undefined) delete env.SIEVE_FMA;
  if (!offBeforeLoad) delete env.SIEVE_BACKEND;
  const args = [childFile, ...(offBeforeLoad ? ['off-before-load'] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    env,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout) as ChildReport;
}

/** The kernel's order with fused or separate steps, as numbers (the child reports numbers). */
function kernelOrder(p: Product, fused: boolean): number[] {
  const step = fused ? fusedStep : separateSteps;
  return Array.from(documentedOrder(p.a, p.transposeA, p.b, p.transposeB, p.m, p.n, p.k, step));
}

/** Where two results first differ in their bits (−0 and +0 differ), or null. */
function firstDifference(actual: number[], expected: number[]): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} against ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) return `element ${i}: ${actual[i]} against ${expected[i]}`;
  }
  return null;
}

function label(p: Product): string {
  return `${p.m}×${p.k}·${p.k}×${p.n}${p.transposeA ? ' Aᵀ' : ''}${p.transposeB ? ' Bᵀ' : ''}`;
}

describe('WebAssembly kernels with relaxed SIMD (fused multiply-add)', () => {
  it('fused and separate steps give different products here, so the checks below tell them apart', async () => {
    const report = await runChild('0');
    for (const p of report.products) {
      expect(firstDifference(kernelOrder(p, true), kernelOrder(p, false)), label(p)).not.toBeNull();
    }
  });

  // By default, with no Node flag (Node 20 included): the documented order, fused where the processor has FMA.
  it('are loaded by default, on Node 20 too; products match the re-enactment on 1 and 2 threads', async () => {
    const report = await runChild(undefined);
    expect(report.backend).toBe('wasm');
    expect(report.loadedBefore).toBe(true);
    expect(report.fma).toBe(true);
    expect(report.engineHasRelaxedSimd).toBe(true);
    const fused = processorHasFma();
    for (const p of report.products) {
      expect(firstDifference(p.oneThread, kernelOrder(p, fused)), label(p)).toBeNull();
      expect(firstDifference(p.twoThreads, p.oneThread), `${label(p)}, 2 threads`).toBeNull();
    }
    // The loaded build cannot change any more; asking for it again is fine.
    expect(report.refuseOn).toBeNull();
    expect(report.refuseOff).toMatch(/^SieveError: setFusedMultiplyAdd: .*already loaded with fused.*SIEVE_FMA/);
  });

  it('SIEVE_FMA=0 keeps the plain build: a multiply, a rounding and an add per step', async () => {
    const report = await runChild('0');
    expect(report.fma).toBe(false);
    // Nor does Sieve touch the engine's flags then: relaxed SIMD is what it was (this process has SIEVE_FMA=0 too).
    expect(report.engineHasRelaxedSimd).toBe(nodeHasRelaxedSimd());
    for (const p of report.products) {
      expect(firstDifference(p.oneThread, kernelOrder(p, false)), label(p)).toBeNull();
      expect(firstDifference(p.twoThreads, p.oneThread), `${label(p)}, 2 threads`).toBeNull();
    }
    expect(report.refuseOff).toBeNull();
    expect(report.refuseOn).toMatch(/^SieveError: setFusedMultiplyAdd: .*already loaded without fused/);
  });

  it('setFusedMultiplyAdd(false) before the kernels load (as in a browser) keeps the plain build', async () => {
    const report = await runChild(undefined, true);
    expect(report.loadedBefore).toBe(false);
    expect(report.backend).toBe('wasm');
    expect(report.fma).toBe(false);
    expect(report.engineHasRelaxedSimd).toBe(nodeHasRelaxedSimd());
    for (const p of report.products) expect(firstDifference(p.oneThread, kernelOrder(p, false)), label(p)).toBeNull();
  });

  it('in this process (SIEVE_FMA=0): the plain build; a change or a non-boolean is refused', () => {
    expect(fusedMultiplyAdd()).toBe(false);
    expect(() => setFusedMultiplyAdd(false)).not.toThrow();
    expect(() => setFusedMultiplyAdd(true)).toThrow(/^setFusedMultiplyAdd: .*already loaded without fused/);
    expect(() => setFusedMultiplyAdd('yes' as unknown as boolean)).toThrow(
      new SieveError('setFusedMultiplyAdd', 'expected true or false, got yes'),
    );
  });

  it('a bad SIEVE_FMA is a SieveError naming it', async () => {
    await expect(runChild('yes')).rejects.toThrow(/SieveError: SIEVE_FMA: expected 0 or 1, got 'yes'/);
  });
});
