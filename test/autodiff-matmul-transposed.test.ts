/**
 * matmulT(a, b, transposeA, transposeB) = op(a) @ op(b): gradients against float64 finite
 * differences and the jvp/vjp adjoint identity for all four transpose cases (plain and batched with
 * broadcast batch axes), second derivatives with checkGrads, and the point of the primitive: the
 * backward pass of matmul and matmulT never materializes a transposed copy.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkGrads,
  grad,
  hvp,
  jsBackend,
  matmul,
  matmulT,
  matrixTranspose,
  setBackend,
  SieveError,
  tensor,
  type Tensor,
  type Backend,
} from '../src/index.js';
import * as R from './helpers/reference64.js';
import { opSuite, Rng, seedArb, uniformValues, type OpCase } from './helpers/gradtest.js';
import type { A64 } from './helpers/reference64.js';

/** The float64 reference: swap the last two axes where flagged, then NumPy matmul. */
function reference(ta: boolean, tb: boolean): (a: A64, b: A64) => A64 {
  const swap = (x: A64): A64 => {
    const perm = x.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return R.transpose(x, perm);
  };
  return (a, b) => R.matmul(ta ? swap(a) : a, tb ? swap(b) : b);
}

const stored = (shape: number[], transposed: boolean): number[] =>
  transposed ? [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]] : shape;

describe('matmulT derivatives', () => {
  type Dims = { m: number; k: number; n: number; b1: number; b2: number };
  const layouts: [string, (d: Dims) => [number[], number[]]][] = [
    [
      'matrix @ matrix',
      ({ m, k, n }) => [
        [m, k],
        [k, n],
      ],
    ],
    [
      'batch @ matrix',
      ({ m, k, n, b1 }) => [
        [b1, m, k],
        [k, n],
      ],
    ],
    [
      'broadcast batches [b1,1] @ [b2]',
      ({ m, k, n, b1, b2 }) => [
        [b1, 1, m, k],
        [b2, k, n],
      ],
    ],
  ];
  const dim = fc.integer({ min: 1, max: 4 });
  const batch = fc.integer({ min: 1, max: 3 });
  const dimsArb = fc.record({ m: dim, k: dim, n: dim, b1: batch, b2: batch });
  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    for (const [name, shapes] of layouts) {
      opSuite(
        `matmulT ${name}, transposeA = ${ta}, transposeB = ${tb}`,
        fc.tuple(dimsArb, seedArb).map(([d, s]): OpCase => {
          const [sa, sb] = shapes(d);
          const rng = new Rng(s);
          return {
            label: `matmulT [${stored(sa, ta)}] @ [${stored(sb, tb)}] (${ta}, ${tb})`,
            inputs: [uniformValues(rng, stored(sa, ta), -2, 2), uniformValues(rng, stored(sb, tb), -2, 2)],
            f32: (a, b) => matmulT(a, b, ta, tb),
            f64: reference(ta, tb),
          };
        }),
        10,
      );
    }
  }

  it('second derivatives (both modes) match finite differences in all four cases', () => {
    const rng = new Rng(7);
    const rand = (shape: number[]): Tensor =>
      tensor(
        Array.from({ length: shape[0] * shape[1] }, () => rng.uniform(-1, 1)),
        shape,
      );
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      const a = rand(ta ? [4, 3] : [3, 4]);
      const b = rand(tb ? [2, 4] : [4, 2]);
      // tanh makes the second derivative nonzero in both operands.
      checkGrads((x: Tensor, y: Tensor) => matmulT(x, y, ta, tb).tanh(), [a, b], { order: 2 });
    }
  });
});

describe('backward passes make no transposed copies', () => {
  /** The JS backend, counting calls of its transpose kernel. */
  function countingTransposes(run: () => void): number {
    let calls = 0;
    const counting: Backend = {
      ...jsBackend,
      name: 'counting',
      transpose: (x, shape, perm) => {
        calls++;
        return jsBackend.transpose(x, shape, perm);
      },
    };
    const previous = setBackend(counting);
    try {
      run();
    } finally {
      setBackend(previous);
    }
    return calls;
  }

  const rng = new Rng(11);
  const rand = (shape: number[]): Tensor =>
    tensor(
      Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.uniform(-1, 1)),
      shape,
    );

  it('grad of matmul (plain and batched) and of matmulT in every case', () => {
    const calls = countingTransposes(() => {
      grad((a: Tensor, b: Tensor) => matmul(a, b).tanh().sum(), [0, 1])(rand([3, 4]), rand([4, 5]));
      grad((a: Tensor, b: Tensor) => matmul(a, b).tanh().sum(), [0, 1])(rand([2, 3, 4]), rand([4, 5]));
      for (const [ta, tb] of [
        [false, true],
        [true, false],
        [true, true],
      ] as const) {
        grad((a: Tensor, b: Tensor) => matmulT(a, b, ta, tb).tanh().sum(), [0, 1])(rand([4, 4]), rand([4, 4]));
      }
    });
    expect(calls).toBe(0);
  });

  it('a Hessian-vector product through matmul', () => {
    const x = rand([4, 3]);
    const calls = countingTransposes(() => {
      hvp((w: Tensor) => matmul(x, w).tanh().sum(), rand([3, 2]), rand([3, 2]));
    });
    expect(calls).toBe(0);
  });

  it('the counter sees a transpose where one is asked for (the check has teeth)', () => {
    expect(countingTransposes(() => matrixTranspose(rand([3, 4])))).toBe(1);
  });
});

describe('matmulT values and errors', () => {
  it('equals matmul of the transposed operands', () => {
    const rng = new Rng(3);
    const a = tensor(
      Array.from({ length: 6 * 5 }, () => rng.uniform(-1, 1)),
      [6, 5],
    );
    const b = tensor(
      Array.from({ length: 5 * 4 }, () => rng.uniform(-1, 1)),
      [5, 4],
    );
    const previous = setBackend(jsBackend); // both products round the same float64 sums once
    try {
      const at = matrixTranspose(a);
      const bt = matrixTranspose(b);
      expect(matmulT(at, b, true, false).toArray()).toEqual(matmul(a, b).toArray());
      expect(matmulT(a, bt, false, true).toArray()).toEqual(matmul(a, b).toArray());
      expect(matmulT(at, bt, true, true).toArray()).toEqual(matmul(a, b).toArray());
    } finally {
      setBackend(previous);
    }
  });

  it('rejects mismatched inner dimensions, vectors and unbroadcastable batches, naming the flags', () => {
    const message = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SieveError);
        return (e as Error).message;
      }
      throw new Error('expected a SieveError');
    };
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]); // 2×3
    expect(message(() => matmulT(a, a, false, false))).toMatch(
      /matmulT.*\[2,3\] @ \[2,3\].*transposeA = false.*\(3 vs 2\)/,
    );
    expect(message(() => matmulT(a, tensor([1, 2, 3]), false, true))).toMatch(/matmulT.*at least 2 dimensions/);
    const b = tensor(new Array(2 * 3 * 2).fill(1), [2, 3, 2]);
    const c = tensor(new Array(3 * 3 * 2).fill(1), [3, 3, 2]);
    expect(message(() => matmulT(b, c, true, false))).toMatch(/matmulT.*batch dimensions.*\(2 vs 3\)/);
    expect(matmulT(a, a, true, false).shape).toEqual([3, 3]);
    expect(matmulT(a, a, false, true).shape).toEqual([2, 2]);
  });
});
