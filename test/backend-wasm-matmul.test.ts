/**
 * The WebAssembly matrix product (src/tensor/backend/wasm/assembly/matmul*.ts) at sizes that cross
 * its blocks: several slabs of the shared dimension (at most 256 deep, split evenly), several blocks
 * of rows (at most 128), edge tiles (rows not a multiple of 4, columns not a multiple of 8), shared
 * dimensions that are not a multiple of the 4×4 blocks its packing transposes, every transpose case.
 *
 * The kernel promises a summation order (docs/wasm-backend.md, "Same bits on any number of threads"),
 * so it is checked bit for bit against a float32 reference that follows that order, not within a
 * tolerance: C[i][j] = ((0 + s₀) + s₁) + … over the slabs, each s_b = ((0 + a·b) + a·b) + … over its
 * p in increasing order, every product and sum rounded to float32. Rounding a float64 sum or product of
 * two float32 values to float32 gives the float32 operation's result exactly (53 ≥ 2·24 + 2), so the
 * reference below is exact, NaN and ±Inf included.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeWasmBackend } from '../src/tensor/backend/wasm/backend.js';
import type { KernelExports } from '../src/tensor/backend/wasm/kernels.js';
import { KERNELS_WASM_BASE64 } from '../src/tensor/backend/wasm/module.generated.js';
import { documentedOrder } from './helpers/matmul-order.js';

const wasm = makeWasmBackend({ transcendental: 0, cheap: 0, matmulWork: 0 });
const PROPS = { numRuns: 40, seed: 20261203 } as const;
/** Same value, bit for bit up to the NaN payload (so −0 ≠ +0). */
function sameFloat(x: number, y: number): boolean {
  return Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
}

function expectIdentical(actual: Float32Array, expected: Float32Array, n: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let e = 0; e < expected.length; e++) {
    if (!sameFloat(actual[e], expected[e])) {
      const where = `C[${Math.floor(e / n)}][${e % n}]`;
      expect.fail(`${label}: ${where} is ${actual[e]}, the documented order gives ${expected[e]}`);
    }
  }
}

/** Deterministic values in [−2, 2), varied enough that any change of order changes some bits. */
function wave(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => 2 * Math.sin(i * 0.7 + seed) * Math.cos(i * 0.013 * seed));
}

function product(
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
  a: Float32Array,
  b: Float32Array,
): Float32Array {
  const aShape = transposeA ? [k, m] : [m, k];
  const bShape = transposeB ? [n, k] : [k, n];
  return wasm.matmulTransposed(a, aShape, transposeA, b, bShape, transposeB, [m, n]);
}

/** A position (taken modulo the size) and a non-finite value to put there. */
const specialAtArb = fc.tuple(fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity));

const blockCrossingCase = fc
  .record({
    // Small sizes, and sizes across the blocks: rows past 128, depths past 256 and 512.
    m: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 120, max: 140 })),
    n: fc.oneof(fc.integer({ min: 0, max: 17 }), fc.integer({ min: 30, max: 41 })),
    k: fc.oneof(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 250, max: 530 })),
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
    specials: fc.array(specialAtArb, { maxLength: 3 }),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .map((c) => {
    const a = wave(c.m * c.k, c.seed);
    const b = wave(c.k * c.n, c.seed + 1);
    c.specials.forEach(([position, value], s) => {
      const x = s % 2 === 0 ? a : b;
      if (x.length > 0) x[position % x.length] = value;
    });
    return { ...c, a, b };
  });

describe('wasm matmul kernel: the documented summation order, bit for bit', () => {
  it('at sizes across its blocks and edge tiles, every transpose case, with NaN and ±Inf (property)', () => {
    fc.assert(
      fc.property(blockCrossingCase, ({ m, n, k, transposeA, transposeB, a, b }) => {
        const got = product(m, n, k, transposeA, transposeB, a, b);
        const want = documentedOrder(a, transposeA, b, transposeB, m, n, k);
        expectIdentical(got, want, n, `${m}×${k}×${n} transposeA=${transposeA} transposeB=${transposeB}`);
      }),
      PROPS,
    );
  });

  it("at the MLP's shapes (batch 100, 784-200-784): the forward products and their NT/TN gradients", () => {
    // [m, n, k, transposeA, transposeB]: x·W1, h·W3, dY·W1ᵀ, xᵀ·dY, dY·W3ᵀ, hᵀ·dY.
    const shapes: [number, number, number, boolean, boolean][] = [
      [100, 200, 784, false, false],
      [100, 784, 200, false, false],
      [100, 784, 200, false, true],
      [784, 200, 100, true, false],
      [100, 200, 784, false, true],
      [200, 784, 100, true, false],
    ];
    for (const [m, n, k, transposeA, transposeB] of shapes) {
      const a = wave(m * k, m + k);
      const b = wave(k * n, k + n);
      const got = product(m, n, k, transposeA, transposeB, a, b);
      const want = documentedOrder(a, transposeA, b, transposeB, m, n, k);
      expectIdentical(got, want, n, `${m}×${k}×${n} transposeA=${transposeA} transposeB=${transposeB}`);
    }
  });

  it('B read in place and B packed (rows 4 KB apart or more, or a multiple of 4 KB apart): the same order', () => {
    // [m, n, k]: B (k×n, not transposed) has rows n floats apart. The kernel reads B in place when its rows are
    // under 4 KB apart (n < 1024) or the product has at most 32 rows, unless n is a multiple of 1024; else it
    // packs B into panels (assembly/matmul.ts, readsBInPlace). Widths not a multiple of 8 leave an edge panel.
    const shapes: [number, number, number][] = [
      [33, 1023, 9], // in place, edge panel
      [20, 2056, 7], // in place: at most 32 rows
      [40, 1030, 20], // packed: rows over 4 KB apart, edge panel
      [36, 1024, 260], // packed: a multiple of 4 KB, two slabs
      [8, 1024, 12], // packed even with few rows: a multiple of 4 KB
    ];
    for (const [m, n, k] of shapes) {
      const a = wave(m * k, m + 3 * k);
      const b = wave(k * n, k + n);
      expectIdentical(
        product(m, n, k, false, false, a, b),
        documentedOrder(a, false, b, false, m, n, k),
        n,
        `${m}×${k}×${n}`,
      );
    }
  });

  it('rows computed on their own equal the same rows of the whole product (how threads split C)', () => {
    const [m, n, k] = [203, 45, 300];
    const a = wave(m * k, 3);
    const b = wave(k * n, 4);
    const whole = product(m, n, k, false, false, a, b);
    // Splits at rows that are not multiples of the 4-row panels nor of the 128-row blocks.
    for (const [r0, r1] of [
      [0, 1],
      [1, 130],
      [130, 203],
      [57, 187],
    ]) {
      const part = product(r1 - r0, n, k, false, false, a.subarray(r0 * k, r1 * k), b);
      expectIdentical(part, whole.subarray(r0 * n, r1 * n), n, `rows ${r0}…${r1 - 1}`);
    }
  });
});

/** A fresh instance of the kernels, so the test owns its memory layout. */
function freshKernels(): KernelExports {
  const module = new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  const abort = (): never => {
    throw new Error('abort');
  };
  return new WebAssembly.Instance(module, { env: { abort } }).exports as unknown as KernelExports;
}

describe('wasm matmul kernel: matmulStrided, a block of columns of C', () => {
  it('column blocks of any width, written with the row stride of the whole C, give the whole product', () => {
    const [m, n, k] = [37, 45, 300];
    const kernels = freshKernels();
    const a = wave(m * k, 5);
    const b = wave(k * n, 6);
    const base = Math.ceil(kernels.heapBase() / 16) * 16;
    const [aAt, bAt, cAt] = [base, base + 4 * (m * k + 4), base + 4 * (m * k + k * n + 8)];
    const scratchAt = Math.ceil((cAt + 4 * (m * n + 4)) / 16) * 16;
    const needed = scratchAt + kernels.matmulScratchBytes(m, n, k);
    kernels.memory.grow(Math.ceil(Math.max(0, needed - kernels.memory.buffer.byteLength) / 65536));
    const memory = new Float32Array(kernels.memory.buffer);
    memory.set(a, aAt / 4);
    memory.set(b, bAt / 4);
    for (const [transposeA, transposeB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ]) {
      const [ars, acs] = transposeA ? [1, m] : [k, 1];
      const [brs, bcs] = transposeB ? [1, k] : [n, 1];
      const label = `transposeA=${transposeA} transposeB=${transposeB}`;
      const want = documentedOrder(a, transposeA, b, transposeB, m, n, k);
      const c = memory.subarray(cAt / 4, cAt / 4 + m * n);
      // Splits at columns that are not multiples of the 8-wide panels; one block alone first.
      c.fill(0);
      kernels.matmulStrided(aAt, ars, acs, bAt + 4 * 13 * bcs, brs, bcs, cAt + 4 * 13, n, m, 24, k, scratchAt);
      for (let i = 0; i < m * n; i++) {
        const inBlock = i % n >= 13 && i % n < 37;
        if (!sameFloat(c[i], inBlock ? want[i] : 0)) expect.fail(`${label}: block 13…36 alone, element ${i}`);
      }
      c.fill(0);
      for (const [j0, j1] of [
        [0, 5],
        [5, 13],
        [13, 37],
        [37, 45],
      ]) {
        kernels.matmulStrided(aAt, ars, acs, bAt + 4 * j0 * bcs, brs, bcs, cAt + 4 * j0, n, m, j1 - j0, k, scratchAt);
      }
      expectIdentical(c.slice(), want, n, label);
    }
  });
});
