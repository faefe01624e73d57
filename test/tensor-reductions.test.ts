/**
 * Forward values of reductions (sum, mean, max, min, logsumexp over one or several axes, negative
 * axes, keepdims), softmax / logSoftmax and cumsum (forward and reverse) against the float64
 * reference; numerical stability of logsumexp; NaN propagation through max/min.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as S from '../src/index.js';
import { SieveError, tensor, type Tensor } from '../src/index.js';
import * as R from './helpers/reference.js';
import {
  absSum,
  arrayArb,
  both,
  expectClose,
  maxAbs,
  RUNS,
  shapeArb,
  valuesArb,
  type Drawn,
} from './helpers/tensor-props.js';

const vals = (t: Tensor): number[] => Array.from(t.dataSync());

type AxisArg = number | number[] | undefined;

/**
 * An axis argument for a tensor of rank `nd`: undefined (all axes), one axis, or a list of distinct
 * axes in any order; each axis is written as a positive or a negative number at random.
 */
function axisArgArb(nd: number): fc.Arbitrary<AxisArg> {
  const written = (a: number): fc.Arbitrary<number> => fc.constantFrom(a, a - nd);
  const all = Array.from({ length: nd }, (_, i) => i);
  const options: fc.Arbitrary<AxisArg>[] = [fc.constant(undefined)];
  if (nd > 0) {
    options.push(fc.integer({ min: 0, max: nd - 1 }).chain(written));
    options.push(fc.shuffledSubarray(all, { minLength: 1 }).chain((axes) => fc.tuple(...axes.map(written))));
  }
  return fc.oneof(...options);
}

const reductionCaseArb = (
  values?: (n: number) => fc.Arbitrary<Float32Array>,
): fc.Arbitrary<[Drawn, AxisArg, boolean]> =>
  arrayArb(shapeArb({ maxRank: 4, maxDim: 4 }), values).chain((d) =>
    fc.tuple(fc.constant(d), axisArgArb(d.shape.length), fc.boolean()),
  );

function reducedAxes(shape: readonly number[], axis: AxisArg): number[] {
  if (axis === undefined) return shape.map((_, i) => i);
  return (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + shape.length : a));
}

interface ReductionCase {
  name: string;
  f: (x: Tensor, axis: AxisArg, keepdims: boolean) => Tensor;
  ref: (vs: number[]) => number;
  /** Reducing an empty axis is an error (no identity element). */
  emptyThrows: boolean;
  tol: (data: Float32Array) => { rtol: number; atol: number };
}

// Sums accumulate in float64 and round once; the error is relative to Σ|x| (cancellation).
const sumTol = (d: Float32Array) => ({ rtol: 1e-6, atol: 1e-6 * absSum(d) });

const reductionCases: ReductionCase[] = [
  { name: 'sum', f: S.sum, ref: R.reducers.sum, emptyThrows: false, tol: sumTol },
  { name: 'mean', f: S.mean, ref: R.reducers.mean, emptyThrows: false, tol: sumTol },
  // max/min select an element: exact
  { name: 'max', f: S.max, ref: R.reducers.max, emptyThrows: true, tol: () => ({ rtol: 0, atol: 0 }) },
  { name: 'min', f: S.min, ref: R.reducers.min, emptyThrows: true, tol: () => ({ rtol: 0, atol: 0 }) },
  // logsumexp = m + log Σ exp(x - m) in float32 ops: error of a few ulps of max|x|
  {
    name: 'logsumexp',
    f: S.logsumexp,
    ref: R.reducers.logsumexp,
    emptyThrows: true,
    tol: (d) => ({ rtol: 1e-6, atol: 1e-6 * (1 + maxAbs(d)) }),
  },
];

describe('reductions over axes match the reference', () => {
  for (const c of reductionCases) {
    it(`${c.name} (one/several/negative axes, keepdims, size-0 dims)`, () => {
      fc.assert(
        fc.property(reductionCaseArb(), ([d, axis, keepdims]) => {
          const [x, rx] = both(d);
          const emptyReduced = reducedAxes(d.shape, axis).some((a) => d.shape[a] === 0);
          if (c.emptyThrows && emptyReduced) {
            expect(() => c.f(x, axis, keepdims)).toThrow(SieveError);
            expect(() => c.f(x, axis, keepdims)).toThrow(new RegExp(`^${c.name}: cannot reduce axis \\d+ of size 0`));
            return;
          }
          const y = c.f(x, axis, keepdims);
          expectClose(
            y,
            R.reduce(rx, axis, keepdims, c.ref),
            c.tol(d.data),
            `${c.name}(axis=${JSON.stringify(axis)}, keepdims=${keepdims})`,
          );
        }),
        RUNS,
      );
    });
  }

  it('hand-checked values', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(S.sum(x).item()).toBe(21);
    expect(S.sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(S.sum(x, -1, true).toArray()).toEqual([[6], [15]]);
    expect(S.sum(x, [0, 1], true).toArray()).toEqual([[21]]);
    expect(S.mean(x, 1).toArray()).toEqual([2, 5]);
    expect(S.mean(x).item()).toBe(3.5);
    expect(S.max(x, 0).toArray()).toEqual([4, 5, 6]);
    expect(S.min(x, 1, true).toArray()).toEqual([[1], [4]]);
    expect(S.max(x).shape).toEqual([]);
    expect(S.max(x, undefined, true).shape).toEqual([1, 1]);
    expectClose(
      S.logsumexp(x, 1),
      R.arr([2], [3 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 6 + Math.log(1 + Math.exp(-1) + Math.exp(-2))]),
    );
    const y = S.arange(24).reshape([2, 3, 4]);
    expect(S.sum(y, [0, 2]).toArray()).toEqual([60, 92, 124]);
    expect(S.sum(y, [2, -3]).toArray()).toEqual([60, 92, 124]);
    expect(S.max(y, [1]).toArray()).toEqual([
      [8, 9, 10, 11],
      [20, 21, 22, 23],
    ]);
  });

  it('sum and mean of empty axes', () => {
    expect(vals(S.sum(S.zeros([0, 3]), 0))).toEqual([0, 0, 0]);
    expect(S.sum(S.zeros([0])).item()).toBe(0);
    expect(S.sum(S.zeros([2, 0]), 1, true).toArray()).toEqual([[0], [0]]);
    expect(S.mean(S.zeros([0])).item()).toBeNaN(); // 0/0, as NumPy
    expect(S.max(S.zeros([0, 3]), 1).shape).toEqual([0]); // the reduced axis is not empty
  });

  it('an empty axis list leaves the tensor unchanged; 0-d tensors reduce to themselves', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(S.sum(x, []).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(S.max(x, []).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(S.sum(tensor(5)).item()).toBe(5);
    expect(S.logsumexp(tensor(-2)).item()).toBe(-2);
    expect(S.mean(tensor(5), []).item()).toBe(5);
  });

  it('sums accumulate in high precision', () => {
    // A float32 accumulator would round 2^24 + 1 back to 2^24 twice; float64 accumulation is exact.
    expect(S.sum(tensor([2 ** 24, 1, 1])).item()).toBe(2 ** 24 + 2);
    expect(
      S.sum(
        tensor([
          [2 ** 24, 1, 1],
          [0, 0, 0],
        ]),
        1,
      ).toArray(),
    ).toEqual([2 ** 24 + 2, 0]);
    expect(
      S.sum(
        tensor([
          [2 ** 24, 0],
          [1, 0],
          [1, 0],
        ]),
        0,
      ).toArray(),
    ).toEqual([2 ** 24 + 2, 0]);
    expect(S.sum(tensor([1e8, 1, -1e8, 1])).item()).toBe(2);
  });
});

describe('max / min and NaN', () => {
  it('NaN propagates in every code path (whole tensor, last axis, other axes)', () => {
    const x = tensor([
      [1, NaN, 3],
      [4, 5, 6],
      [NaN, 0, -1],
    ]);
    expect(S.max(x).item()).toBeNaN();
    expect(S.min(x).item()).toBeNaN();
    expect(vals(S.max(x, 1))).toEqual([NaN, 6, NaN]);
    expect(vals(S.min(x, -1))).toEqual([NaN, 4, NaN]);
    expect(vals(S.max(x, 0))).toEqual([NaN, NaN, 6]);
    expect(vals(S.min(x, 0, true))).toEqual([NaN, NaN, -1]);
    // NaN as the first or the last element of a lane
    expect(
      vals(
        S.max(
          tensor([
            [NaN, 1],
            [1, NaN],
          ]),
          1,
        ),
      ),
    ).toEqual([NaN, NaN]);
    expect(S.max(tensor([NaN, 1, 2, 3])).item()).toBeNaN();
    expect(S.max(tensor([1, 2, 3, NaN])).item()).toBeNaN();
    expect(S.sum(tensor([1, NaN])).item()).toBeNaN();
  });

  it('infinities', () => {
    expect(S.max(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(S.min(tensor([Infinity, 3])).item()).toBe(3);
    expect(S.max(tensor([-Infinity, Infinity])).item()).toBe(Infinity);
  });

  it('NaN propagates through random positions (property)', () => {
    fc.assert(
      fc.property(
        arrayArb(shapeArb({ minRank: 1, maxRank: 3, allowZero: false })).chain((d) =>
          fc.tuple(fc.constant(d), fc.integer({ min: 0, max: d.data.length - 1 }), axisArgArb(d.shape.length)),
        ),
        ([d, pos, axis]) => {
          const data = Float32Array.from(d.data);
          data[pos] = NaN;
          const [x, rx] = both({ shape: d.shape, data });
          expectClose(S.max(x, axis), R.reduce(rx, axis, false, R.reducers.max), { rtol: 0 }, 'max');
          expectClose(S.min(x, axis), R.reduce(rx, axis, false, R.reducers.min), { rtol: 0 }, 'min');
        },
      ),
      RUNS,
    );
  });
});

describe('logsumexp stability', () => {
  it('all -Infinity gives -Infinity, not NaN', () => {
    expect(S.logsumexp(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(
      vals(
        S.logsumexp(
          tensor([
            [-Infinity, -Infinity],
            [0, -Infinity],
          ]),
          1,
        ),
      ),
    ).toEqual([-Infinity, 0]);
  });

  it('one +Infinity gives +Infinity', () => {
    expect(S.logsumexp(tensor([1, Infinity, -Infinity])).item()).toBe(Infinity);
    expect(
      vals(
        S.logsumexp(
          tensor([
            [Infinity, 0],
            [1, 2],
          ]),
          -1,
        ),
      ),
    ).toEqual([Infinity, Math.fround(2 + Math.log1p(Math.exp(-1)))]);
  });

  it('huge values stay finite and correct', () => {
    expect(S.logsumexp(tensor([1e30, 1e30])).item()).toBe(Math.fround(1e30)); // + log 2 is below 1 ulp
    expect(S.logsumexp(tensor([1e30, 0])).item()).toBe(Math.fround(1e30));
    expect(S.logsumexp(tensor([-1e30, -1e30])).item()).toBe(Math.fround(-1e30));
    const big = S.logsumexp(tensor([1e4, 1e4])).item();
    expect(big).toBeCloseTo(1e4 + Math.LN2, 2);
    expect(S.logsumexp(tensor([-1e4, -1e4])).item()).toBeCloseTo(-1e4 + Math.LN2, 2);
    expect(S.logsumexp(tensor([1e4, -1e4])).item()).toBe(1e4);
    expect(S.logsumexp(tensor([1000, 1000, 1000])).item()).toBeCloseTo(1000 + Math.log(3), 3);
  });

  it('NaN propagates', () => {
    expect(S.logsumexp(tensor([1, NaN])).item()).toBeNaN();
  });

  it('is exact-ish for wide value ranges (property)', () => {
    fc.assert(
      fc.property(
        reductionCaseArb((n) => valuesArb(n, { min: -1e4, max: 1e4 })),
        ([d, axis, keepdims]) => {
          if (reducedAxes(d.shape, axis).some((a) => d.shape[a] === 0)) return;
          const [x, rx] = both(d);
          expectClose(S.logsumexp(x, axis, keepdims), R.reduce(rx, axis, keepdims, R.reducers.logsumexp), {
            rtol: 1e-6,
            atol: 1e-6 * (1 + maxAbs(d.data)),
          });
        },
      ),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------

const laneCaseArb = (values?: (n: number) => fc.Arbitrary<Float32Array>): fc.Arbitrary<[Drawn, number]> =>
  arrayArb(shapeArb({ minRank: 1, maxRank: 4, maxDim: 4 }), values).chain((d) =>
    fc.tuple(fc.constant(d), fc.integer({ min: -d.shape.length, max: d.shape.length - 1 })),
  );

describe('softmax and logSoftmax', () => {
  it('softmax matches the reference along any axis', () => {
    fc.assert(
      fc.property(
        laneCaseArb((n) => valuesArb(n, { min: -20, max: 20 })),
        ([d, axis]) => {
          const [x, rx] = both(d);
          // exp(x - lse): the absolute error of x - lse (a few ulps of 40) becomes a relative error
          expectClose(S.softmax(x, axis), R.softmax(rx, axis), { rtol: 2e-5, atol: 1e-7 }, `softmax(axis=${axis})`);
        },
      ),
      RUNS,
    );
  });

  it('logSoftmax matches the reference along any axis', () => {
    fc.assert(
      fc.property(
        laneCaseArb((n) => valuesArb(n, { min: -50, max: 50 })),
        ([d, axis]) => {
          const [x, rx] = both(d);
          expectClose(
            S.logSoftmax(x, axis),
            R.logSoftmax(rx, axis),
            { rtol: 1e-6, atol: 1e-6 * (1 + maxAbs(d.data)) },
            `logSoftmax(axis=${axis})`,
          );
        },
      ),
      RUNS,
    );
  });

  it('default to the last axis; rows sum to 1', () => {
    const x = tensor([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    expectClose(S.softmax(x), R.softmax(R.arr([2, 3], [1, 2, 3, 0, 0, 0]), 1));
    expectClose(S.logSoftmax(x), R.logSoftmax(R.arr([2, 3], [1, 2, 3, 0, 0, 0]), -1));
    for (const v of vals(S.softmax(x)).slice(3)) expect(v).toBeCloseTo(1 / 3, 7);
    expectClose(S.sum(S.softmax(x, 0), 0), R.arr([3], [1, 1, 1]), { rtol: 1e-6 });
  });

  it('are stable for huge logits', () => {
    expect(vals(S.softmax(tensor([1e4, 0, -1e4])))).toEqual([1, 0, 0]);
    expect(vals(S.softmax(tensor([1e30, 1e30])))).toEqual([0.5, 0.5]);
    expect(vals(S.logSoftmax(tensor([1e4, 0])))).toEqual([0, -1e4]);
    expect(vals(S.softmax(tensor([-Infinity, 0])))).toEqual([0, 1]);
    expect(vals(S.logSoftmax(tensor([-Infinity, 0])))).toEqual([-Infinity, 0]);
    // logits whose float32 spacing exceeds log n: logsumexp(x) rounds away the log n
    expect(vals(S.softmax(tensor([1e7, 1e7])))).toEqual([0.5, 0.5]);
    for (const v of vals(S.logSoftmax(tensor([1e30, 1e30])))) expect(v).toBeCloseTo(-Math.LN2, 6);
    for (const v of vals(S.logSoftmax(tensor([-3e6, -3e6, -3e6, -3e6])))) expect(v).toBeCloseTo(-Math.log(4), 6);
  });

  it('softmax sums to 1 and logSoftmax log-sums to 0 whatever the scale (property)', () => {
    fc.assert(
      fc.property(
        laneCaseArb((n) => valuesArb(n, { min: -1e9, max: 1e9 })),
        ([d, axis]) => {
          if (d.data.length === 0) return;
          const x = tensor(d.data, d.shape);
          const ones = R.reduce(R.arr(d.shape, d.data), axis, false, () => 1);
          expectClose(S.sum(S.softmax(x, axis), axis), ones, { rtol: 1e-6 }, 'Σ softmax');
          expectClose(S.sum(S.exp(S.logSoftmax(x, axis)), axis), ones, { rtol: 1e-6 }, 'Σ exp logSoftmax');
        },
      ),
      RUNS,
    );
  });

  it('an empty axis gives an empty result', () => {
    expect(S.softmax(S.zeros([2, 0])).shape).toEqual([2, 0]);
    expect(S.logSoftmax(S.zeros([0, 3]), 0).shape).toEqual([0, 3]);
    expect(S.softmax(S.zeros([0, 3]), 1).shape).toEqual([0, 3]);
  });
});

describe('cumsum', () => {
  it('matches the reference along any axis, forward and reverse', () => {
    fc.assert(
      fc.property(laneCaseArb(), fc.boolean(), ([d, axis], reverse) => {
        const [x, rx] = both(d);
        expectClose(
          S.cumsum(x, axis, reverse),
          R.cumsum(rx, axis, reverse),
          { rtol: 1e-6, atol: 1e-6 * absSum(d.data) },
          `cumsum(axis=${axis}, reverse=${reverse})`,
        );
      }),
      RUNS,
    );
  });

  it('hand-checked values', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(S.cumsum(x).toArray()).toEqual([
      [1, 3, 6],
      [4, 9, 15],
    ]);
    expect(S.cumsum(x, 0).toArray()).toEqual([
      [1, 2, 3],
      [5, 7, 9],
    ]);
    expect(S.cumsum(x, -1, true).toArray()).toEqual([
      [6, 5, 3],
      [15, 11, 6],
    ]);
    expect(S.cumsum(x, 0, true).toArray()).toEqual([
      [5, 7, 9],
      [4, 5, 6],
    ]);
    expect(S.cumsum(tensor(3)).item()).toBe(3);
    expect(S.cumsum(S.zeros([0, 2]), 0).shape).toEqual([0, 2]);
  });
});
