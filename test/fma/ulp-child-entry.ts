/**
 * Run by test/backend-wasm-ulp.test.ts in a child Node process (bundled with esbuild), with Sieve's
 * default build of the kernels: the relaxed-SIMD one (the test suite itself runs the plain one, and the
 * build is chosen once per process). Prints one JSON object (./ulp-report.ts): each transcendental
 * function's accuracy over the shared test inputs and a digest of its results.
 */
import { fusedMultiplyAdd } from '../../src/index.js';
import type { UnaryOp } from '../../src/tensor/backend/backend.js';
import { makeWasmBackend } from '../../src/tensor/backend/wasm/backend.js';
import { accuracy, logReducedRangeAccuracy, testInputs, ULP_BOUNDS } from '../helpers/ulp.js';
import { resultDigest } from './result-digest.js';
import type { UlpChildReport } from './ulp-report.js';

const wasm = makeWasmBackend({ transcendental: 0, cheap: 0, matmulWork: 0 });
const inputs = testInputs();
const functions: UlpChildReport['functions'] = {};
for (const op of Object.keys(ULP_BOUNDS)) {
  const got = wasm.unary(op as UnaryOp, inputs);
  functions[op] = { accuracy: accuracy(op, inputs, got), digest: resultDigest(got) };
}
const report: UlpChildReport = {
  fma: fusedMultiplyAdd(),
  functions,
  logReducedRange: logReducedRangeAccuracy((x) => wasm.unary('log', x)),
};
// Exit once the report is written (a pipe is written asynchronously): the worker threads would keep the process.
process.stdout.write(JSON.stringify(report), () => process.exit(0));
