/** What test/fma/ulp-child-entry.ts prints for test/backend-wasm-ulp.test.ts. */
import type { Accuracy } from '../helpers/ulp.js';

export interface UlpChildReport {
  /** Whether the child's kernels are the relaxed-SIMD build. */
  fma: boolean;
  /** Per function: its accuracy over `testInputs()`, and a digest of its results there. */
  functions: Record<string, { accuracy: Accuracy; digest: string }>;
  /** log over every float32 in [0.5, 2). */
  logReducedRange: Accuracy;
}
