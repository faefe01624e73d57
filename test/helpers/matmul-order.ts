/**
 * The WebAssembly matrix product's documented summation order (docs/wasm-backend.md, "Same bits on any
 * number of threads"), re-enacted in float64 so that tests can compare the kernels bit for bit:
 * C[i][j] = ((0 + s₀) + s₁) + … over the slabs of the shared dimension (⌈k/256⌉ of them, as even as
 * possible), each s_b a sum over its p in increasing order from 0, one step per p. The step is the
 * plain build's (round the product, then the sum) or the relaxed build's fused multiply-add (one
 * rounding). Rounding a float64 sum or product of two float32 values to float32 gives the float32
 * operation's result exactly (53 ≥ 2·24 + 2), so the plain re-enactment is exact, NaN and ±Inf included.
 */

/** The kernel's deepest slab (KC in src/tensor/backend/wasm/assembly/matmul.ts). */
export const MAX_SLAB = 256;

/** One step of a sum: sum + a·b in float32 (a, b and sum are float32 values). */
export type MultiplyAddStep = (a: number, b: number, sum: number) => number;

/** The plain build's step: the product rounded to float32, then the sum. */
export const separateSteps: MultiplyAddStep = (a, b, sum) => Math.fround(sum + Math.fround(a * b));

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The float32 next to x (a finite, nonzero float32) toward +Inf (up) or −Inf. */
function adjacentFloat(x: number, up: boolean): number {
  f32[0] = x;
  i32[0] += x > 0 === up ? 1 : -1;
  return f32[0];
}

/** A fused multiply-add: a·b + sum rounded once to float32 (finite operands). */
export const fusedStep: MultiplyAddStep = (a, b, c) => {
  const product = a * b; // exact: two 24-bit significands fit in a double's 53
  const sum = product + c;
  // TwoSum: sum + error = product + c exactly.
  const bVirtual = sum - c;
  const error = product - bVirtual + (c - (sum - bVirtual));
  const rounded = Math.fround(sum);
  if (error === 0 || rounded === sum) return rounded;
  // Only a sum exactly halfway between two float32s can round the wrong way; the error says which side.
  const other = adjacentFloat(rounded, sum > rounded);
  if (Math.abs(sum - rounded) !== Math.abs(other - sum)) return rounded;
  return error > 0 === other > rounded ? other : rounded;
};

/** Logical A[i][p] of an m×k operand stored as given (transposed: stored k×m). */
function at(x: ArrayLike<number>, transposed: boolean, rows: number, cols: number, i: number, p: number): number {
  return transposed ? x[p * rows + i] : x[i * cols + p];
}

/** C = A·B for one pair of matrices, in the kernel's documented summation order, with `step` per p. */
export function documentedOrder(
  a: ArrayLike<number>,
  transposeA: boolean,
  b: ArrayLike<number>,
  transposeB: boolean,
  m: number,
  n: number,
  k: number,
  step: MultiplyAddStep = separateSteps,
): Float32Array {
  const slabs = Math.ceil(k / MAX_SLAB);
  const depth = slabs === 0 ? 0 : Math.ceil(k / slabs);
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p0 = 0; p0 < k; p0 += depth) {
        let slab = 0;
        for (let p = p0; p < Math.min(k, p0 + depth); p++) {
          slab = step(at(a, transposeA, m, k, i, p), at(b, transposeB, k, n, p, j), slab);
        }
        sum = Math.fround(sum + slab);
      }
      c[i * n + j] = sum;
    }
  }
  return c;
}
