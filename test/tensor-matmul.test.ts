/**
 * Forward values of matmul against the float64 reference: 2-D, vector·matrix, matrix·vector,
 * vector·vector, batched with broadcast batch dimensions, size-0 dimensions; and `.T`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eye, matmul, tensor, transpose, zeros, type Tensor } from '../src/index.js';
import * as R from './helpers/reference.js';
import {
  arrayArb,
  both,
  broadcastPairArb,
  dimArb,
  expectClose,
  maxAbs,
  RUNS,
  type Drawn,
} from './helpers/tensor-props.js';

const vals = (t: Tensor): number[] => Array.from(t.dataSync());

/**
 * Products accumulate in float64 and round once; the error bound scales with Σ_p |a_ip||b_pj|,
 * which is at most k · max|a| · max|b| (cancellation can make the result itself tiny).
 */
function matmulTol(a: Drawn, b: Drawn, k: number): { rtol: number; atol: number } {
  return { rtol: 1e-6, atol: 1e-6 * k * maxAbs(a.data) * maxAbs(b.data) };
}

/** Operand shapes for every matmul form: each side is 1-D or has broadcast-compatible batch dims. */
const matmulCaseArb: fc.Arbitrary<{ a: Drawn; b: Drawn; k: number }> = fc
  .record({
    batch: broadcastPairArb({ maxRank: 3, maxDim: 3 }),
    m: dimArb(4),
    k: dimArb(5),
    n: dimArb(4),
    aVector: fc.boolean(),
    bVector: fc.boolean(),
  })
  .chain(({ batch: [ba, bb], m, k, n, aVector, bVector }) =>
    fc.record({
      a: arrayArb(fc.constant(aVector ? [k] : [...ba, m, k])),
      b: arrayArb(fc.constant(bVector ? [k] : [...bb, k, n])),
      k: fc.constant(k),
    }),
  );

describe('matmul', () => {
  it('matches the reference for 2-D, 1-D and batched operands (property)', () => {
    fc.assert(
      fc.property(matmulCaseArb, ({ a: da, b: db, k }) => {
        const [a, ra] = both(da);
        const [b, rb] = both(db);
        expectClose(matmul(a, b), R.matmul(ra, rb), matmulTol(da, db, k), `[${da.shape}] @ [${db.shape}]`);
      }),
      RUNS,
    );
  });

  it('2-D hand-checked', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [5, 6],
      [7, 8],
    ]);
    expect(matmul(a, b).toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(matmul(b, a).toArray()).toEqual([
      [23, 34],
      [31, 46],
    ]);
    expect(matmul(tensor([[1, 2, 3]]), tensor([[1], [2], [3]])).toArray()).toEqual([[14]]);
    expect(matmul(tensor([[1], [2]]), tensor([[3, 4]])).toArray()).toEqual([
      [3, 4],
      [6, 8],
    ]);
  });

  it('vector forms drop the promoted axes', () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const v2 = tensor([1, -1]);
    const v3 = tensor([1, 0, 2]);
    const mv = matmul(m, v3);
    expect(mv.shape).toEqual([2]);
    expect(mv.toArray()).toEqual([7, 16]);
    const vm = matmul(v2, m);
    expect(vm.shape).toEqual([3]);
    expect(vm.toArray()).toEqual([-3, -3, -3]);
    const vv = matmul(v3, tensor([4, 5, 6]));
    expect(vv.shape).toEqual([]);
    expect(vv.item()).toBe(16);
    // a vector against a batch of matrices
    const batch = tensor([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [2, 0],
        [0, 3],
      ],
    ]); // [2,2,2]
    expect(matmul(tensor([1, 1]), batch).toArray()).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(matmul(batch, tensor([1, 1])).toArray()).toEqual([
      [1, 1],
      [2, 3],
    ]);
  });

  it('batched with broadcast batch dimensions (hand-checked)', () => {
    const a = tensor([[[1, 2]], [[3, 4]]]); // [2,1,2]
    const b = tensor([[[1], [1]]]); // [1,2,1]
    const y = matmul(a, b);
    expect(y.shape).toEqual([2, 1, 1]);
    expect(y.toArray()).toEqual([[[3]], [[7]]]);
    const c = zeros([3, 1, 4, 2]);
    const d = zeros([5, 2, 6]);
    expect(matmul(c, d).shape).toEqual([3, 5, 4, 6]);
    // a 2-D operand broadcasts against a batch
    const e = tensor([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 1],
        [1, 0],
      ],
    ]);
    expect(
      matmul(
        e,
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ).toArray(),
    ).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [3, 4],
        [1, 2],
      ],
    ]);
  });

  it('size-0 dimensions', () => {
    expect(vals(matmul(zeros([2, 0]), zeros([0, 3])))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(matmul(zeros([0, 4]), zeros([4, 3])).shape).toEqual([0, 3]);
    expect(matmul(zeros([2, 4]), zeros([4, 0])).shape).toEqual([2, 0]);
    expect(matmul(zeros([0, 2, 4]), zeros([4, 3])).shape).toEqual([0, 2, 3]);
    expect(matmul(zeros([0]), zeros([0])).item()).toBe(0);
  });

  it('identity and non-finite values', () => {
    const a = tensor([
      [1.5, -2, 3],
      [0.25, 7, -1],
    ]);
    expect(matmul(a, eye(3)).toArray()).toEqual(a.toArray());
    expect(matmul(eye(2), a).toArray()).toEqual(a.toArray());
    // 0 · Infinity and 0 · NaN are NaN, as in IEEE arithmetic and NumPy
    expect(vals(matmul(tensor([[0, 1]]), tensor([[Infinity], [1]])))).toEqual([NaN]);
    expect(
      vals(
        matmul(
          tensor([[0, 0]]),
          tensor([
            [NaN, 1],
            [2, 3],
          ]),
        ),
      ),
    ).toEqual([NaN, 0]);
    expect(vals(matmul(tensor([[1, 1]]), tensor([[Infinity], [1]])))).toEqual([Infinity]);
  });

  it('accumulates in float64 before rounding', () => {
    expect(matmul(tensor([2 ** 24, 1, 1]), tensor([1, 1, 1])).item()).toBe(2 ** 24 + 2);
    expect(matmul(tensor([1e8, 1, -1e8]), tensor([1, 1, 1])).item()).toBe(1);
  });
});

describe('.T (matrix transpose)', () => {
  it('swaps the last two axes', () => {
    const x = tensor([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]); // [1,2,3]
    expect(x.T.shape).toEqual([1, 3, 2]);
    expect(x.T.toArray()).toEqual([
      [
        [1, 4],
        [2, 5],
        [3, 6],
      ],
    ]);
    expect(tensor([[1, 2]]).T.toArray()).toEqual([[1], [2]]);
    expect(transpose(tensor([[1, 2]])).toArray()).toEqual([[1], [2]]);
  });
});
