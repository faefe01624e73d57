/**
 * The scalar path: ops on one-element tensors compute on numbers (`Backend.unaryScalar`/`binaryScalar`)
 * and keep their result in a slot of a shared array of values until its storage is asked for. It must
 * give exactly the numbers of the array kernels, bit for bit, for every op and every value (NaN, ±Inf,
 * ±0, subnormals, float32 overflow), and a one-element result must behave like any other tensor.
 * Also the cache of constants (`asTensor` on numbers), which the scalar path relies on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend, BinaryOp, UnaryOp } from '../src/tensor/backend/backend.js';
import { jsBackend } from '../src/tensor/backend/js.js';
import { wasmBackend } from '../src/tensor/backend/wasm/backend.js';
import { getBackend, setBackend } from '../src/tensor/backend/index.js';
import { asTensor, scalar, tensor } from '../src/tensor/creation.js';
import * as ops from '../src/tensor/ops/index.js';
import { grad } from '../src/autodiff/index.js';
import type { Tensor } from '../src/tensor/tensor.js';

const UNARY: readonly UnaryOp[] = [
  'neg',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'softplus',
  'abs',
  'sign',
  'lgamma',
  'polygamma',
];
const BINARY: readonly BinaryOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'lt',
  'le',
  'gt',
  'ge',
  'eq',
  'ne',
];

/** Edge values of float32, and any float32 (fc.float gives NaN, ±Inf, ±0 and subnormals too). */
const EDGES = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4028234663852886e38, 88.72, -103.9];
const value = fc.oneof(fc.constantFrom(...EDGES), fc.float());

const bits = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0];
/** Equal as float32 values: the same bits, or both NaN (NaN payloads are not specified). */
function sameFloat32(a: number, b: number): boolean {
  return (Number.isNaN(a) && Number.isNaN(b)) || bits(a) === bits(b);
}

describe('Backend.unaryScalar and binaryScalar', () => {
  // The WASM backend sends one-element arrays to the JS kernels, so both must agree with its `unary`.
  const backends: [string, Backend][] = [
    ['js', jsBackend],
    ['wasm', wasmBackend],
  ];
  for (const [name, be] of backends) {
    it(`${name}: unaryScalar rounded to float32 is unary on a one-element array, for every op`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...UNARY), value, fc.integer({ min: 0, max: 3 }), (op, x, n) => {
          const fromArray = be.unary(op, Float32Array.of(x), n)[0];
          const fromNumber = Math.fround(be.unaryScalar(op, Math.fround(x), n));
          return sameFloat32(fromArray, fromNumber);
        }),
        { numRuns: 2000 },
      );
    });

    it(`${name}: binaryScalar rounded to float32 is binary on one-element arrays, for every op`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...BINARY), value, value, (op, a, b) => {
          const fromArray = be.binary(op, Float32Array.of(a), [], Float32Array.of(b), [], [])[0];
          const fromNumbers = Math.fround(be.binaryScalar(op, Math.fround(a), Math.fround(b)));
          return sameFloat32(fromArray, fromNumbers);
        }),
        { numRuns: 3000 },
      );
    });
  }
});

describe('ops on one-element tensors', () => {
  /** The op computed on [x, 0.25, 2] (the array path), read at element 0. */
  const viaArray = (f: (t: Tensor) => Tensor, x: number): number => (f(tensor([x, 0.25, 2])).toArray() as number[])[0];

  const unaryOps: [string, (t: Tensor) => Tensor][] = UNARY.filter((op) => op !== 'polygamma').map((op) => [
    op,
    (t: Tensor) => (ops as unknown as Record<string, (x: Tensor) => Tensor>)[op](t),
  ]);
  unaryOps.push(['polygamma(1, ·)', (t) => ops.polygamma(1, t)]);

  it('a unary op on a one-element tensor gives the array path number, bit for bit', () => {
    fc.assert(
      fc.property(fc.constantFrom(...unaryOps), value, ([, f], x) => sameFloat32(f(scalar(x)).item(), viaArray(f, x))),
      { numRuns: 2000 },
    );
  });

  it('a binary op on one-element tensors gives the array path number, bit for bit, for both operand orders', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BINARY), value, value, (op, a, b) => {
        const f = (ops as unknown as Record<string, (x: Tensor, y: Tensor | number) => Tensor>)[op];
        const scalarResult = f(scalar(a), scalar(b)).item();
        const arrayResult = (f(tensor([a, 1, 2]), tensor([b, 3, 4])).toArray() as number[])[0];
        return sameFloat32(scalarResult, arrayResult);
      }),
      { numRuns: 3000 },
    );
  });

  it('broadcasts one-element shapes as the array path does: [] with [1, 1] gives [1, 1]', () => {
    const y = ops.mul(scalar(3), tensor([[2]]));
    expect(y.shape).toEqual([1, 1]);
    expect(y.toArray()).toEqual([[6]]);
    expect(ops.exp(tensor([0], [1, 1, 1])).shape).toEqual([1, 1, 1]);
  });

  it('a one-element result reads the same through item, dataSync, toArray and as an operand of a big op', () => {
    const y = scalar(0.1).mul(3).sin(); // float32 arithmetic at each step
    const expected = Math.fround(Math.sin(Math.fround(Math.fround(0.1) * 3)));
    expect(y.item()).toBe(expected);
    const data = y.dataSync();
    expect(data).toBeInstanceOf(Float32Array);
    expect(data.length).toBe(1);
    expect(data[0]).toBe(expected);
    expect(y.dataSync()).toBe(data); // the storage is made once, then kept
    expect(y.toArray()).toBe(expected);
    // Its storage goes to the array kernels like any other: broadcast against 300 elements.
    const big = ops.add(tensor(new Float32Array(300).fill(1)), scalar(0.1).mul(3).sin());
    expect(big.dataSync().every((v) => v === Math.fround(1 + expected))).toBe(true);
  });

  it('thousands of one-element results (several shared value arrays) each keep their own value', () => {
    const results: Tensor[] = [];
    for (let i = 0; i < 5000; i++) results.push(scalar(i).add(0.5));
    expect(results.every((t, i) => t.item() === i + 0.5)).toBe(true);
    expect(results.filter((_, i) => i % 997 === 0).every((t) => t.dataSync()[0] === t.item())).toBe(true);
  });

  it('the scalar path runs on the active backend (its scalar kernels), not on a fixed one', () => {
    const calls: string[] = [];
    const previous = setBackend({
      ...getBackend(),
      name: 'recording',
      unaryScalar: (op, x, arg) => {
        calls.push(op);
        return jsBackend.unaryScalar(op, x, arg);
      },
      binaryScalar: (op, a, b) => {
        calls.push(op);
        return jsBackend.binaryScalar(op, a, b);
      },
    });
    try {
      scalar(2).mul(3).exp();
    } finally {
      setBackend(previous);
    }
    expect(calls).toEqual(['mul', 'exp']);
  });

  it('gradients through a scalar chain match the float64 chain rule (and grad of grad still works)', () => {
    // y = sin(0.9999 x + 0.001) repeated; dy/dx by hand in float64. Each step's factor 0.9999·cos(u) is
    // |·| < 1 here, so rounding errors do not grow along the chain: each of the 3n forward and 2n backward
    // roundings (2^-24 relative) moves the gradient by at most a few 2^-24 relative; 18n·2^-24 bounds the sum.
    const n = 50;
    const f = (x: Tensor): Tensor => {
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(0.9999).add(0.001).sin();
      return y;
    };
    let y = 0.5;
    let dy = 1;
    for (let i = 0; i < n; i++) {
      const u = y * Math.fround(0.9999) + Math.fround(0.001);
      dy *= Math.fround(0.9999) * Math.cos(u);
      y = Math.sin(u);
    }
    const g = grad(f)(scalar(0.5)).item();
    expect(Math.abs(g - dy) / Math.abs(dy)).toBeLessThan(18 * n * 2 ** -24);
    // d²/dx² sin(x) = −sin(x): a second derivative through the same one-element path.
    const gg = grad((x: Tensor) => grad((z: Tensor) => z.sin())(x))(scalar(0.7)).item();
    expect(Math.abs(gg + Math.sin(0.7))).toBeLessThan(4 * 2 ** -24);
  });
});

describe('constants (numbers used as operands)', () => {
  it('the same number gives the same tensor; its value is the number rounded to float32', () => {
    expect(asTensor(0.9999)).toBe(asTensor(0.9999));
    fc.assert(
      fc.property(fc.double(), (x) => {
        const t = asTensor(x);
        return t.shape.length === 0 && sameFloat32(t.item(), Math.fround(x));
      }),
      { numRuns: 3000 },
    );
  });

  it('many constants (more than the cache holds, colliding in slots) each read back as themselves', () => {
    const xs = Array.from({ length: 2000 }, (_, i) => i / 7 - 100);
    for (let round = 0; round < 2; round++) {
      for (const x of xs) expect(asTensor(x).item()).toBe(Math.fround(x));
    }
  });

  it('−0 stays −0 and NaN stays NaN (=== cannot tell −0 from 0, and NaN never equals itself)', () => {
    expect(Object.is(asTensor(0).item(), 0)).toBe(true);
    expect(Object.is(asTensor(-0).item(), -0)).toBe(true);
    expect(Object.is(asTensor(0).item(), 0)).toBe(true);
    expect(asTensor(NaN).item()).toBeNaN();
    expect(Object.is(scalar(1).mul(-0).item(), -0)).toBe(true);
  });
});
