/**
 * Every WebAssembly kernel against the JS reference backend, on random shapes (sizes 0, 1, and
 * sizes that are not multiples of the SIMD width of 4 or of the matmul blocks), broadcasts, batched
 * and transposed operands, and NaN/±Inf values. The backend under test has its size thresholds
 * set to zero, so even one-element arrays go through WebAssembly.
 *
 * Exactness: neg, abs, sqrt, the four arithmetic ops, maximum/minimum and the comparisons are
 * correctly rounded in both backends, so they must agree bit for bit. Sums accumulate in float64
 * in both, in a different order. Matrix products accumulate in float32 in WASM (float64 in JS).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jsBackend } from '../src/tensor/backend/js.js';
import { makeWasmBackend, wasmBackend } from '../src/tensor/backend/wasm/backend.js';
import { backendFromChoice, getBackend, initWasmBackend, setBackend } from '../src/tensor/backend/index.js';
import { SieveError } from '../src/errors.js';
import { Kernels, type KernelExports } from '../src/tensor/backend/wasm/kernels.js';
import type { BinaryOp, ReduceOp, UnaryOp } from '../src/tensor/backend/backend.js';
import { broadcastShapes, shapeSize } from '../src/tensor/shape.js';
import { planBinary, planReduce, planTranspose } from '../src/tensor/backend/wasm/plans.js';
import { broadcastPairArb, shapeArb } from './helpers/tensor-props.js';

const wasm = makeWasmBackend({ transcendental: 0, cheap: 0, matmulWork: 0 });
const PROPS = { numRuns: 150, seed: 20261203 } as const;

const EDGE_VALUES = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 2 ** -149, -(2 ** -130), 3.4028234663852886e38];

/**
 * float32 values including the edge values: ±0, ±Inf, NaN, subnormals, the largest finite. Half the
 * arrays draw from a small set of them, so that ties (such as −0 against +0) are common.
 */
function specialValuesArb(n: number): fc.Arbitrary<Float32Array> {
  return fc.oneof(
    fc.float32Array({ minLength: n, maxLength: n }),
    fc.array(fc.constantFrom(...EDGE_VALUES), { minLength: n, maxLength: n }).map((v) => Float32Array.from(v)),
  );
}

function finiteValuesArb(n: number, bound = 4): fc.Arbitrary<Float32Array> {
  return fc.float32Array({ minLength: n, maxLength: n, min: -bound, max: bound, noNaN: true, noDefaultInfinity: true });
}

/** Same value, bit for bit up to the NaN payload (so −0 ≠ +0). */
function sameFloat(x: number, y: number): boolean {
  return Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
}

/** Shows −0 as such (String(-0) is "0"). */
function show(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

function expectIdentical(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!sameFloat(actual[i], expected[i])) {
      expect.fail(`${label}: element ${i} is ${show(actual[i])}, expected ${show(expected[i])}`);
    }
  }
}

function expectSameBinary(
  op: BinaryOp,
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  out: number[],
): void {
  const label = `${op} [${aShape}] with [${bShape}]`;
  expectIdentical(wasm.binary(op, a, aShape, b, bShape, out), jsBackend.binary(op, a, aShape, b, bShape, out), label);
}

/**
 * u·k/(1 − u·k): the relative error bound of a k-term float sum or dot product (Higham, "Accuracy
 * and Stability of Numerical Algorithms", §3.1).
 */
function gamma(k: number, u: number): number {
  return (k * u) / (1 - k * u);
}
const U32 = 2 ** -24;
const U64 = 2 ** -53;

describe('wasm backend: selection and memory', () => {
  it('SIEVE_BACKEND chooses js or wasm and rejects anything else by name', () => {
    expect(backendFromChoice('js')).toBe(jsBackend);
    expect(backendFromChoice('wasm')).toBe(wasmBackend);
    expect(() => backendFromChoice('gpu')).toThrow(SieveError);
    expect(() => backendFromChoice('gpu')).toThrow(/SIEVE_BACKEND: unknown backend 'gpu' \(expected 'js' or 'wasm'\)/);
  });

  it('initWasmBackend() loads the module asynchronously and makes wasm active', async () => {
    const previous = setBackend(jsBackend);
    try {
      expect(await initWasmBackend()).toBe(true);
      expect(getBackend()).toBe(wasmBackend);
    } finally {
      setBackend(previous);
    }
  });

  it('layout grows the memory as needed, and reports (null) when it cannot grow that far', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    const kernels = new Kernels({ memory, heapBase: () => 100 } as unknown as KernelExports);
    expect(kernels.layout([10, 3])).toEqual([112, 176]); // 16-aligned, a spare vector after each
    expect(kernels.layout([20_000])).not.toBeNull(); // 80 KB: one more 64 KB page
    expect(memory.buffer.byteLength).toBe(2 * 65536);
    expect(kernels.layout([40_000])).toBeNull(); // 160 KB: beyond the maximum of 2 pages
  });

  it('results are fresh arrays, not views of WebAssembly memory that a later call could overwrite', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => i / 100);
    const first = wasm.unary('exp', x);
    const copy = Float32Array.from(first);
    const second = wasm.unary('neg', x);
    // A view of the module's memory would have been overwritten by the second call's output.
    expectIdentical(first, copy, 'first result after a second call');
    expect(first.buffer).not.toBe(second.buffer);
    expect(first.buffer.byteLength).toBe(4000);
  });
});

describe('wasm backend: which shapes reach the kernels', () => {
  // The comparisons below would pass trivially if every call fell back to the JS backend.
  it('plans the common broadcasts as rows × cols', () => {
    const full = { rowStride: 5, colStride: 1 };
    const flat = { rowStride: 0, colStride: 1 };
    expect(planBinary([3, 5], [3, 5], [3, 5])).toEqual({ rows: 1, cols: 15, a: flat, b: flat });
    expect(planBinary([3, 5], [], [3, 5])).toEqual({ rows: 1, cols: 15, a: flat, b: { rowStride: 0, colStride: 0 } });
    expect(planBinary([3, 5], [5], [3, 5])).toEqual({ rows: 3, cols: 5, a: full, b: flat });
    const column = { rowStride: 1, colStride: 0 };
    expect(planBinary([3, 1], [3, 5], [3, 5])).toEqual({ rows: 3, cols: 5, a: column, b: full });
    expect(planBinary([2, 3, 5], [1, 3, 1], [2, 3, 5])).toBeNull();
  });

  it('plans reductions over adjacent axes as [outer, len, inner]', () => {
    expect(planReduce([4, 6], [1])).toEqual({ outer: 4, len: 6, inner: 1 });
    expect(planReduce([4, 6], [0])).toEqual({ outer: 1, len: 4, inner: 6 });
    expect(planReduce([2, 3, 4, 5], [1, 2])).toEqual({ outer: 2, len: 12, inner: 5 });
    expect(planReduce([2, 1, 3], [0, 2])).toEqual({ outer: 1, len: 6, inner: 1 });
    expect(planReduce([2, 3, 4], [0, 2])).toBeNull();
  });

  it('plans transposes as batched matrix transposes', () => {
    expect(planTranspose([4, 6], [1, 0])).toEqual({ batch: 1, rows: 4, cols: 6 });
    expect(planTranspose([2, 4, 6], [0, 2, 1])).toEqual({ batch: 2, rows: 4, cols: 6 });
    expect(planTranspose([2, 3, 5], [2, 0, 1])).toEqual({ batch: 1, rows: 6, cols: 5 });
    expect(planTranspose([2, 1, 3], [1, 0, 2])).toEqual({ batch: 1, rows: 1, cols: 6 });
    expect(planTranspose([2, 3, 4], [2, 1, 0])).toBeNull();
  });
});

describe('wasm backend: transpose', () => {
  const transposeCase = shapeArb({ maxRank: 4, maxDim: 9 }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      perm: fc.shuffledSubarray(
        shape.map((_, i) => i),
        { minLength: shape.length, maxLength: shape.length },
      ),
      x: specialValuesArb(shapeSize(shape)),
    }),
  );

  it('any permutation matches the JS backend exactly (property)', () => {
    fc.assert(
      fc.property(transposeCase, ({ shape, perm, x }) => {
        expectIdentical(wasm.transpose(x, shape, perm), jsBackend.transpose(x, shape, perm), `[${shape}] by [${perm}]`);
      }),
      PROPS,
    );
  });

  it('matrices with whole 4×4 tiles and ragged edges', () => {
    for (const [batch, rows, cols] of [
      [1, 8, 12],
      [3, 9, 13],
      [2, 4, 1],
      [1, 1, 7],
      [2, 17, 5],
    ]) {
      const x = Float32Array.from({ length: batch * rows * cols }, (_, i) => i);
      const shape = [batch, rows, cols];
      expectIdentical(wasm.transpose(x, shape, [0, 2, 1]), jsBackend.transpose(x, shape, [0, 2, 1]), `[${shape}]`);
    }
  });
});

describe('wasm backend: elementwise', () => {
  const exactUnary: UnaryOp[] = ['neg', 'abs', 'sqrt'];
  it.each(exactUnary)('%s matches the JS backend exactly, edge values included', (op) => {
    const arb = fc.integer({ min: 0, max: 70 }).chain((n) => specialValuesArb(n));
    fc.assert(
      fc.property(arb, (x) => expectIdentical(wasm.unary(op, x), jsBackend.unary(op, x), op)),
      PROPS,
    );
  });

  it('long arrays, computed in several chunks, match the JS backend exactly', () => {
    // 40,003 values: two whole 16,384-float chunks and a ragged last one.
    const x = Float32Array.from({ length: 40_003 }, (_, i) => (i % 7 === 0 ? EDGE_VALUES[i % 11] : Math.sin(i) * 50));
    for (const op of exactUnary) expectIdentical(wasm.unary(op, x), jsBackend.unary(op, x), op);
  });

  // log takes a shorter path (no edge-value handling) when every input of a call is positive, normal and
  // finite, and its general path otherwise: the two must agree bit for bit on such inputs, and one other
  // value anywhere must send the whole call to the general path.
  const positiveNormals = (n: number) =>
    fc.float32Array({ minLength: n, maxLength: n, min: 2 ** -126, max: 3.4028234663852886e38, noNaN: true });

  it('log: all-positive-normal inputs give the same bits as the general path (property)', () => {
    const arb = fc.integer({ min: 1, max: 18 }).chain((v) => positiveNormals(4 * v)); // whole vectors only
    fc.assert(
      fc.property(arb, (x) => {
        const withZero = new Float32Array(x.length + 4); // one vector more, with a 0: the general path
        withZero.set(x);
        expectIdentical(wasm.unary('log', x), wasm.unary('log', withZero).subarray(0, x.length), 'log');
      }),
      PROPS,
    );
  });

  it('log: an edge value at any position of a call gives its own result, the others unchanged', () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => 0.37 + i * 1.93);
    const usual = wasm.unary('log', x);
    for (const edge of [0, -0, -1, NaN, Infinity, -Infinity, 2 ** -149, 2 ** -130]) {
      for (let i = 0; i < x.length; i++) {
        const y = x.slice();
        y[i] = edge;
        const got = wasm.unary('log', y);
        const label = `log with ${edge} at ${i}`;
        const subnormal = edge > 0 && edge < 2 ** -126;
        // A subnormal's log against float64, within log's bound of 1 ulp (2^-17 for |log| in [64, 128),
        // where these two fall: −103.3 and −90.1); the others are exact.
        if (subnormal) expect(Math.abs(got[i] - Math.log(edge)), label).toBeLessThanOrEqual(2 ** -17);
        else expect(sameFloat(got[i], Math.fround(Math.log(edge))), `${label}: ${got[i]}`).toBe(true);
        got[i] = usual[i];
        expectIdentical(got, usual, label);
      }
    }
  });

  const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'lt', 'le', 'gt', 'ge', 'eq', 'ne'];
  const binaryCase = fc
    .record({
      op: fc.constantFrom(...binaryOps),
      shapes: broadcastPairArb({ maxRank: 4, maxDim: 7 }),
    })
    .chain(({ op, shapes: [aShape, bShape] }) =>
      fc.record({
        op: fc.constant(op),
        aShape: fc.constant(aShape),
        bShape: fc.constant(bShape),
        a: specialValuesArb(shapeSize(aShape)),
        b: specialValuesArb(shapeSize(bShape)),
      }),
    );

  it('binary ops match the JS backend exactly for every broadcast, edge values included (property)', () => {
    fc.assert(
      fc.property(binaryCase, ({ op, aShape, bShape, a, b }) => {
        const out = broadcastShapes('test', aShape, bShape);
        expectSameBinary(op, a, aShape, b, bShape, out);
      }),
      PROPS,
    );
  });

  it.each(binaryOps)('%s on every pair of edge values matches the JS backend exactly', (op) => {
    // [n,1] against [1,n] (column against row broadcast) and the same pairs as two flat arrays.
    const n = EDGE_VALUES.length;
    const col = Float32Array.from(EDGE_VALUES);
    const a = Float32Array.from({ length: n * n }, (_, i) => EDGE_VALUES[Math.floor(i / n)]);
    const b = Float32Array.from({ length: n * n }, (_, i) => EDGE_VALUES[i % n]);
    expectSameBinary(op, col, [n, 1], col, [1, n], [n, n]);
    expectSameBinary(op, a, [n * n], b, [n * n], [n * n]);
  });

  it('row and column broadcasts of long rows, whose lengths are not multiples of 4', () => {
    const cases = [
      [[3, 37], [37]],
      [[37], [5, 37]],
      [
        [6, 37],
        [6, 1],
      ],
      [
        [6, 1],
        [1, 37],
      ],
      [
        [2, 3, 9],
        [3, 1],
      ],
    ];
    for (const [aShape, bShape] of cases) {
      const out = broadcastShapes('test', aShape, bShape);
      const a = Float32Array.from({ length: shapeSize(aShape) }, (_, i) => Math.sin(i));
      const b = Float32Array.from({ length: shapeSize(bShape) }, (_, i) => Math.cos(i) + 2);
      for (const op of ['sub', 'div', 'maximum'] as BinaryOp[]) expectSameBinary(op, a, aShape, b, bShape, out);
    }
  });
});

describe('wasm backend: where', () => {
  /** A shape that broadcasts to `full`: some leading axes dropped, some axes set to 1. */
  const towards = (full: number[]): fc.Arbitrary<number[]> =>
    fc
      .tuple(
        fc.integer({ min: 0, max: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      )
      .map(([drop, ones]) => full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
  const operandShape = (full: number[]): fc.Arbitrary<number[]> => fc.oneof(fc.constant(full), towards(full));
  // Masks from {0, −0, 1, NaN, other values}: −0 selects b and NaN selects a, as `cond !== 0` does.
  const maskArb = (n: number): fc.Arbitrary<Float32Array> =>
    fc
      .array(fc.constantFrom(0, -0, 1, NaN, 2, -Infinity, 2 ** -149), { minLength: n, maxLength: n })
      .map((v) => Float32Array.from(v));
  const whereCase = shapeArb({ maxRank: 4, maxDim: 7 }).chain((full) =>
    fc.tuple(operandShape(full), operandShape(full), operandShape(full)).chain(([cShape, aShape, bShape]) =>
      fc.record({
        cShape: fc.constant(cShape),
        aShape: fc.constant(aShape),
        bShape: fc.constant(bShape),
        c: maskArb(shapeSize(cShape)),
        a: specialValuesArb(shapeSize(aShape)),
        b: specialValuesArb(shapeSize(bShape)),
      }),
    ),
  );

  function expectSameWhere(
    c: Float32Array,
    cShape: number[],
    a: Float32Array,
    aShape: number[],
    b: Float32Array,
    bShape: number[],
  ) {
    const out = broadcastShapes('test', broadcastShapes('test', cShape, aShape), bShape);
    expectIdentical(
      wasm.where(c, cShape, a, aShape, b, bShape, out),
      jsBackend.where(c, cShape, a, aShape, b, bShape, out),
      `where [${cShape}] [${aShape}] [${bShape}]`,
    );
  }

  it('matches the JS backend exactly for every broadcast, NaN and −0 masks included (property)', () => {
    fc.assert(
      fc.property(whereCase, ({ cShape, aShape, bShape, c, a, b }) => expectSameWhere(c, cShape, a, aShape, b, bShape)),
      PROPS,
    );
  });

  it('long and ragged rows, and arrays of several chunks, match the JS backend exactly', () => {
    const mask = (n: number) => Float32Array.from({ length: n }, (_, i) => (Math.sin(i * 7.1) > 0 ? 1 : 0));
    const values = (n: number, shift: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) + shift);
    const cases: number[][][] = [
      [[14, 20, 37], [14, 20, 37], []],
      [[6, 37], [37], [6, 1]],
      [[40_003], [], [40_003]],
      [
        [3, 20_001],
        [3, 20_001],
        [3, 1],
      ],
    ];
    for (const [cShape, aShape, bShape] of cases) {
      expectSameWhere(
        mask(shapeSize(cShape)),
        cShape,
        values(shapeSize(aShape), 0),
        aShape,
        values(shapeSize(bShape), 5),
        bShape,
      );
    }
  });
});

describe('wasm backend: reductions', () => {
  const reduceCase = fc
    .record({
      op: fc.constantFrom<ReduceOp>('sum', 'max'),
      shape: shapeArb({ maxRank: 4, maxDim: 9 }),
      withSpecials: fc.boolean(),
      axisFlags: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    })
    .chain(({ op, shape, withSpecials, axisFlags }) =>
      fc.record({
        op: fc.constant(op),
        shape: fc.constant(shape),
        axes: fc.constant(shape.map((_, i) => i).filter((i) => axisFlags[i])),
        x: withSpecials ? specialValuesArb(shapeSize(shape)) : finiteValuesArb(shapeSize(shape), 100),
      }),
    );

  it('sum and max over any axes match the JS backend (property)', () => {
    fc.assert(
      fc.property(reduceCase, ({ op, shape, axes, x }) => {
        const label = `${op} of [${shape}] over [${axes}]`;
        const got = wasm.reduce(op, x, shape, axes);
        const want = jsBackend.reduce(op, x, shape, axes);
        if (op === 'max') {
          // Ties between −0 and +0 may resolve either way: compare as numbers, NaN equal to NaN.
          expect(got.length, label).toBe(want.length);
          for (let i = 0; i < want.length; i++) {
            expect(got[i] === want[i] || sameFloat(got[i], want[i]), `${label}: element ${i}`).toBe(true);
          }
          return;
        }
        // Both sum in float64 and round once: besides the final roundings (an ulp of each), they can
        // differ by the float64 error bound 2·γ_len(u64)·Σ|x|.
        const absSums = jsBackend.reduce('sum', x.map(Math.abs), shape, axes);
        const len = shapeSize(shape) / Math.max(1, want.length);
        for (let i = 0; i < want.length; i++) {
          if (!Number.isFinite(want[i])) {
            expect(sameFloat(got[i], want[i]), `${label}: element ${i}`).toBe(true);
            continue;
          }
          const tol = 2 * U32 * Math.abs(want[i]) + 2 * gamma(len, U64) * absSums[i] + 2 ** -149;
          expect(Math.abs(got[i] - want[i]), `${label}: element ${i}`).toBeLessThanOrEqual(tol);
        }
      }),
      PROPS,
    );
  });
});

describe('wasm backend: matmul', () => {
  /** (A·B)[i,j] from the JS reference for the bound: Σ_p |a_ip||b_pj|, computed with |a| and |b|. */
  function checkMatmul(
    aShape: number[],
    transposeA: boolean,
    a: Float32Array,
    bShape: number[],
    transposeB: boolean,
    b: Float32Array,
    outShape: number[],
    k: number,
    label: string,
  ): void {
    const got = wasm.matmulTransposed(a, aShape, transposeA, b, bShape, transposeB, outShape);
    const want = jsBackend.matmulTransposed(a, aShape, transposeA, b, bShape, transposeB, outShape);
    const [absA, absB] = [a.map(Math.abs), b.map(Math.abs)];
    const bound = jsBackend.matmulTransposed(absA, aShape, transposeA, absB, bShape, transposeB, outShape);
    expect(got.length, label).toBe(want.length);
    // float32 accumulation: |error| ≤ γ_k·Σ|a||b| (Higham, §3.1); the JS result adds one rounding
    // and the bound itself is rounded to float32, hence γ_{k+2}.
    const g = gamma(k + 2, U32);
    for (let i = 0; i < want.length; i++) {
      if (!Number.isFinite(want[i]) || !Number.isFinite(bound[i])) {
        expect(sameFloat(got[i], want[i]), `${label}: element ${i} is ${got[i]}, JS gives ${want[i]}`).toBe(true);
        continue;
      }
      const tol = g * bound[i] + 2 ** -149;
      if (!(Math.abs(got[i] - want[i]) <= tol)) {
        expect.fail(`${label}: element ${i} is ${got[i]}, JS gives ${want[i]} (tolerance ${tol})`);
      }
    }
  }

  /** A position (taken modulo the size) and a non-finite value to put there. */
  const specialAtArb = fc.tuple(fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity));
  const matmulCase = fc
    .record({
      batch: broadcastPairArb({ maxRank: 2, maxDim: 3 }),
      m: fc.integer({ min: 0, max: 13 }),
      n: fc.integer({ min: 0, max: 19 }),
      k: fc.integer({ min: 0, max: 11 }),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
      withSpecials: fc.boolean(),
    })
    .chain((c) => {
      const [ba, bb] = c.batch;
      const aShape = [...ba, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
      const bShape = [...bb, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
      const values = (n: number): fc.Arbitrary<Float32Array> =>
        c.withSpecials
          ? fc.tuple(finiteValuesArb(n), fc.array(specialAtArb, { maxLength: 2 })).map(([data, specials]) => {
              for (const [at, v] of specials) if (n > 0) data[at % n] = v;
              return data;
            })
          : finiteValuesArb(n);
      return fc.record({
        c: fc.constant(c),
        aShape: fc.constant(aShape),
        bShape: fc.constant(bShape),
        a: values(shapeSize(aShape)),
        b: values(shapeSize(bShape)),
      });
    });

  it('batched, broadcast and transposed products match the JS backend within γ_k·Σ|a||b| (property)', () => {
    fc.assert(
      fc.property(matmulCase, ({ c, aShape, bShape, a, b }) => {
        const outShape = [...broadcastShapes('test', c.batch[0], c.batch[1]), c.m, c.n];
        const label = `[${aShape}]${c.transposeA ? 'ᵀ' : ''} @ [${bShape}]${c.transposeB ? 'ᵀ' : ''}`;
        checkMatmul(aShape, c.transposeA, a, bShape, c.transposeB, b, outShape, c.k, label);
      }),
      PROPS,
    );
  });

  it('products larger than one block (k > 256, m > 96) in all transpose cases', () => {
    const m = 101,
      n = 37,
      k = 263;
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.7));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 1.3));
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ]) {
      const aShape = ta ? [k, m] : [m, k];
      const bShape = tb ? [n, k] : [k, n];
      checkMatmul(aShape, ta, a, bShape, tb, b, [m, n], k, `${m}×${k}×${n} ta=${ta} tb=${tb}`);
    }
  });

  it('a stack of matrices times one matrix (the tall-product path)', () => {
    const a = Float32Array.from({ length: 3 * 5 * 9 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 9 * 6 }, (_, i) => Math.cos(i));
    checkMatmul([3, 5, 9], false, a, [9, 6], false, b, [3, 5, 6], 9, 'stack');
  });
});
