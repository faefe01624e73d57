/**
 * Accuracy of the WebAssembly transcendental functions, in float32 ulps against float64 Math, over the
 * whole float32 range (the inputs and the measure are in ./helpers/ulp.ts), for both builds of the
 * kernels: the plain one in this process (the suite runs with SIEVE_FMA=0), and the relaxed-SIMD one,
 * whose range reductions and polynomials take fused multiply-adds, in a child process that loads Sieve's
 * default build (./fma/ulp-child-entry.ts; the build is chosen once per process). The bounds are the ones
 * documented in docs/wasm-backend.md, the same for both builds.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedMultiplyAdd } from '../src/index.js';
import type { UnaryOp } from '../src/tensor/backend/backend.js';
import { makeWasmBackend } from '../src/tensor/backend/wasm/backend.js';
import { bundleNodeScript } from './browser/harness.js';
import { resultDigest } from './fma/result-digest.js';
import type { UlpChildReport } from './fma/ulp-report.js';
import { processorHasFma } from './helpers/processor-fma.js';
import { type Accuracy, accuracy, logReducedRangeAccuracy, testInputs, ULP_BOUNDS } from './helpers/ulp.js';

const wasm = makeWasmBackend({ transcendental: 0, cheap: 0, matmulWork: 0 });
const inputs = testInputs();
const functions = Object.keys(ULP_BOUNDS) as UnaryOp[];

function expectWithinBound(op: string, measured: Accuracy, build: string): void {
  expect(measured.wrongEdge, `${build} build, ${op}`).toBeNull();
  const { worst, worstAt } = measured;
  console.log(`${build} build, ${op}: max error ${worst.toFixed(3)} ulp at x = ${worstAt} (bound ${ULP_BOUNDS[op]})`);
  expect(worst, `${build} build, ${op}: max error ${worst} ulp at x = ${worstAt}`).toBeLessThanOrEqual(ULP_BOUNDS[op]);
}

describe('wasm transcendental functions, plain build (this process): accuracy in float32 ulps', () => {
  it('this process runs the plain build', () => {
    expect(fusedMultiplyAdd()).toBe(false);
  });

  it.each(functions)('%s is within its documented ulp bound over the whole float32 range', (op) => {
    expectWithinBound(op, accuracy(op, inputs, wasm.unary(op, inputs)), 'plain');
  });

  it('log is within its bound for every float32 in [0.5, 2), the range of its reduced argument', () => {
    expectWithinBound(
      'log',
      logReducedRangeAccuracy((x) => wasm.unary('log', x)),
      'plain',
    );
  });
});

describe('wasm transcendental functions, relaxed-SIMD build (a child process): accuracy in float32 ulps', () => {
  let report: UlpChildReport;

  beforeAll(async () => {
    const file = await bundleNodeScript(fileURLToPath(new URL('./fma/ulp-child-entry.ts', import.meta.url)));
    // The child loads Sieve's default build: no SIEVE_FMA (on Node 20 Sieve turns relaxed SIMD on itself).
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.SIEVE_FMA;
    const { stdout } = await promisify(execFile)(process.execPath, [file], { env, maxBuffer: 16 << 20 });
    report = JSON.parse(stdout) as UlpChildReport;
  });

  it('the child runs the relaxed-SIMD build', () => {
    expect(report.fma).toBe(true);
  });

  it.each(functions)('%s is within the same documented ulp bound', (op) => {
    expectWithinBound(op, report.functions[op].accuracy, 'relaxed');
  });

  it('log is within its bound for every float32 in [0.5, 2)', () => {
    expectWithinBound('log', report.logReducedRange, 'relaxed');
  });

  // So that the checks above measure fused arithmetic: were the relaxed build's polynomials unfused, its
  // results would be the plain build's.
  it.each(functions)('%s: the builds give different results exactly where the processor has FMA', (op) => {
    const plain = resultDigest(wasm.unary(op, inputs));
    if (processorHasFma()) expect(report.functions[op].digest).not.toBe(plain);
    else expect(report.functions[op].digest).toBe(plain);
  });
});
