/** What test/fma/child-entry.ts prints for test/wasm-fma.test.ts. */

/** A product C = A·B (A m×k, B k×n, each possibly stored transposed) and what the kernels gave. */
export interface Product {
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  a: number[];
  b: number[];
  oneThread: number[];
  twoThreads: number[];
}

export interface ChildReport {
  backend: string;
  fma: boolean;
  /** Whether the engine validated relaxed SIMD when the child finished (Sieve may have turned it on). */
  engineHasRelaxedSimd: boolean;
  /** Whether the relaxed build was in use before the child's own code ran. */
  loadedBefore: boolean;
  products: Product[];
  /** The error `setFusedMultiplyAdd(false)` / `(true)` threw after loading, or null. */
  refuseOff: string | null;
  refuseOn: string | null;
}
