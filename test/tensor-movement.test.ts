/**
 * Forward values of movement ops against the float64 reference: reshape (with -1), transpose
 * (default and perm, negative axes), expandDims, squeeze, broadcastTo, slice (negative / null
 * bounds, clamping), pad, take, gather, concat, stack, split, oneHot.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as S from '../src/index.js';
import { tensor, type Tensor } from '../src/index.js';
import * as R from './helpers/reference.js';
import { arrayArb, both, broadcastPairArb, expectClose, RUNS, shapeArb, type Drawn } from './helpers/tensor-props.js';

const vals = (t: Tensor): number[] => Array.from(t.dataSync());
/** Movement ops copy values: results must be exact. */
const EXACT = { rtol: 0, atol: 0 };

const drawnArb = (opts: Parameters<typeof shapeArb>[0] = {}): fc.Arbitrary<Drawn> =>
  arrayArb(shapeArb({ maxRank: 4, ...opts }));

/** An axis of a rank-`nd` tensor (nd >= 1), written positive or negative. */
const axisArb = (nd: number): fc.Arbitrary<number> => fc.integer({ min: -nd, max: nd - 1 });

describe('reshape', () => {
  /** A shape with the same size: shuffle the dims, merge some neighbours, insert some 1s, maybe one -1. */
  const targetArb = (shape: number[]): fc.Arbitrary<number[]> =>
    fc
      .tuple(
        fc.shuffledSubarray(shape, { minLength: shape.length, maxLength: shape.length }),
        fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
        fc.array(fc.integer({ min: 0, max: shape.length }), { maxLength: 2 }),
        fc.option(fc.nat()),
      )
      .map(([dims, merge, ones, minusOne]) => {
        const out: number[] = [];
        dims.forEach((d, i) => (merge[i] && out.length > 0 ? (out[out.length - 1] *= d) : out.push(d)));
        for (const at of ones) out.splice(Math.min(at, out.length), 0, 1);
        // -1 must leave a non-zero known size to be inferable
        if (minusOne !== null && out.length > 0) {
          const at = minusOne % out.length;
          const known = out.filter((_, i) => i !== at).reduce((p, d) => p * d, 1);
          if (known !== 0) out[at] = -1;
        }
        return out;
      });

  it('keeps the row-major data and infers -1 (property)', () => {
    fc.assert(
      fc.property(
        drawnArb().chain((d) => fc.tuple(fc.constant(d), targetArb(d.shape))),
        ([d, target]) => {
          const [x, rx] = both(d);
          const known = target.filter((v) => v !== -1).reduce((p, v) => p * v, 1);
          const resolved = target.map((v) => (v === -1 ? d.data.length / known : v));
          expectClose(S.reshape(x, target), R.reshape(rx, resolved), EXACT, `reshape to [${target}]`);
        },
      ),
      RUNS,
    );
  });

  it('hand-checked', () => {
    const x = S.arange(6);
    expect(S.reshape(x, [2, 3]).toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(S.reshape(x, [3, -1]).toArray()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(S.reshape(x, [-1]).shape).toEqual([6]);
    expect(S.reshape(tensor([5]), []).shape).toEqual([]);
    expect(S.reshape(tensor(5), [1, 1, -1]).shape).toEqual([1, 1, 1]);
    expect(S.reshape(S.zeros([0, 3]), [3, 0, 5]).shape).toEqual([3, 0, 5]);
    expect(S.reshape(S.zeros([0, 3]), [-1, 3]).shape).toEqual([0, 3]);
  });
});

describe('transpose', () => {
  it('permutes axes like NumPy (property)', () => {
    const caseArb = drawnArb().chain((d) => {
      const nd = d.shape.length;
      const idx = Array.from({ length: nd }, (_, i) => i);
      const perm = fc
        .tuple(
          fc.shuffledSubarray(idx, { minLength: nd, maxLength: nd }),
          fc.array(fc.boolean(), { minLength: nd, maxLength: nd }),
        )
        .map(([p, neg]) => p.map((a, i) => (neg[i] ? a - nd : a)));
      return fc.tuple(fc.constant(d), fc.option(perm, { nil: undefined }));
    });
    fc.assert(
      fc.property(caseArb, ([d, perm]) => {
        const [x, rx] = both(d);
        expectClose(S.transpose(x, perm), R.transpose(rx, perm), EXACT, `transpose(${JSON.stringify(perm)})`);
      }),
      RUNS,
    );
  });

  it('hand-checked', () => {
    const x = S.arange(24).reshape([2, 3, 4]);
    const y = S.transpose(x, [1, 2, 0]);
    expect(y.shape).toEqual([3, 4, 2]);
    expect(vals(y).slice(0, 6)).toEqual([0, 12, 1, 13, 2, 14]);
    expect(S.transpose(x).shape).toEqual([4, 3, 2]);
    expect(S.transpose(x).toArray()).toEqual(S.transpose(x, [2, 1, 0]).toArray());
    expect(S.transpose(tensor(3)).item()).toBe(3);
    expect(S.transpose(tensor([[1, 2, 3]]), [-1, -2]).toArray()).toEqual([[1], [2], [3]]);
  });
});

describe('expandDims and squeeze', () => {
  it('expandDims inserts a 1 at any position, negative counting from the new end (property)', () => {
    fc.assert(
      fc.property(
        drawnArb({ maxRank: 3 }).chain((d) =>
          fc.tuple(fc.constant(d), fc.integer({ min: -d.shape.length - 1, max: d.shape.length })),
        ),
        ([d, axis]) => {
          const [x, rx] = both(d);
          expectClose(S.expandDims(x, axis), R.expandDims(rx, axis), EXACT, `expandDims(${axis})`);
        },
      ),
      RUNS,
    );
    expect(S.expandDims(tensor([1, 2]), 0).shape).toEqual([1, 2]);
    expect(S.expandDims(tensor([1, 2]), -1).shape).toEqual([2, 1]);
    expect(S.expandDims(tensor([1, 2]), 1).shape).toEqual([2, 1]);
    expect(S.expandDims(tensor(1), 0).shape).toEqual([1]);
  });

  it('squeeze removes all or the given size-1 axes (property)', () => {
    const caseArb = arrayArb(fc.array(fc.constantFrom(1, 1, 2, 3, 0), { maxLength: 5 })).chain((d) => {
      const ones = d.shape.map((s, i) => (s === 1 ? i : -1)).filter((i) => i >= 0);
      const nd = d.shape.length;
      return fc.tuple(
        fc.constant(d),
        fc.option(
          fc.subarray(ones).chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - nd)))),
          { nil: undefined },
        ),
      );
    });
    fc.assert(
      fc.property(caseArb, ([d, axes]) => {
        const x = tensor(d.data, d.shape);
        const removed =
          axes === undefined
            ? d.shape.map((s, i) => (s === 1 ? i : -1))
            : axes.map((a) => (a < 0 ? a + d.shape.length : a));
        const expected = R.reshape(
          R.arr(d.shape, d.data),
          d.shape.filter((_, i) => !removed.includes(i)),
        );
        expectClose(S.squeeze(x, axes), expected, EXACT, `squeeze(${JSON.stringify(axes)})`);
      }),
      RUNS,
    );
    expect(S.squeeze(tensor([[[1], [2]]])).shape).toEqual([2]);
    expect(S.squeeze(tensor([[[1], [2]]]), 0).shape).toEqual([2, 1]);
    expect(S.squeeze(tensor([[[1], [2]]]), [-1, 0]).shape).toEqual([2]);
    expect(S.squeeze(tensor([[5]])).shape).toEqual([]);
  });
});

describe('broadcastTo', () => {
  it('copies along broadcast dimensions (property)', () => {
    fc.assert(
      fc.property(
        broadcastPairArb().chain(([sa, sb]) =>
          fc.tuple(arrayArb(fc.constant(sa)), fc.constant(R.broadcastShape(sa, sb)!)),
        ),
        ([d, target]) => {
          const [x, rx] = both(d);
          expectClose(S.broadcastTo(x, target), R.broadcastTo(rx, target), EXACT, `broadcastTo([${target}])`);
        },
      ),
      RUNS,
    );
    expect(S.broadcastTo(tensor([1, 2]), [2, 2]).toArray()).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(S.broadcastTo(tensor([[1], [2]]), [2, 3]).toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(S.broadcastTo(tensor(7), [2]).toArray()).toEqual([7, 7]);
    expect(S.broadcastTo(tensor([[1, 2]]), [0, 2]).shape).toEqual([0, 2]);
  });
});

describe('slice and pad', () => {
  const boundArb = (d: number): fc.Arbitrary<number | null> => fc.option(fc.integer({ min: -d - 2, max: d + 2 }));

  it('slice uses Python bounds: null = whole, negatives from the end, clamped (property)', () => {
    const caseArb = drawnArb({ minRank: 1 }).chain((d) =>
      fc.tuple(
        fc.constant(d),
        fc.integer({ min: 0, max: d.shape.length }).chain((k) => fc.tuple(...d.shape.slice(0, k).map(boundArb))),
        fc.option(
          fc.integer({ min: 0, max: d.shape.length }).chain((k) => fc.tuple(...d.shape.slice(0, k).map(boundArb))),
          { nil: undefined },
        ),
      ),
    );
    fc.assert(
      fc.property(caseArb, ([d, starts, ends]) => {
        const [x, rx] = both(d);
        expectClose(
          S.slice(x, starts, ends),
          R.slice(rx, starts, ends),
          EXACT,
          `slice(${JSON.stringify(starts)}, ${JSON.stringify(ends)})`,
        );
      }),
      RUNS,
    );
  });

  it('slice hand-checked', () => {
    const x = S.arange(10);
    expect(vals(S.slice(x, [2], [5]))).toEqual([2, 3, 4]);
    expect(vals(S.slice(x, [-3]))).toEqual([7, 8, 9]);
    expect(vals(S.slice(x, [null], [-8]))).toEqual([0, 1]);
    expect(vals(S.slice(x, [-100], [100]))).toEqual(vals(x));
    expect(S.slice(x, [7], [3]).shape).toEqual([0]);
    expect(S.slice(x, [12], [null]).shape).toEqual([0]);
    const m = S.arange(12).reshape([3, 4]);
    expect(S.slice(m, [1, 1], [null, 3]).toArray()).toEqual([
      [5, 6],
      [9, 10],
    ]);
    expect(S.slice(m, [null, -1]).toArray()).toEqual([[3], [7], [11]]);
    expect(S.slice(m, [], []).toArray()).toEqual(m.toArray());
  });

  it('pad adds zeros on each side (property)', () => {
    const caseArb = drawnArb({ maxRank: 3 }).chain((d) => {
      const widths = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: d.shape.length, maxLength: d.shape.length });
      return fc.tuple(fc.constant(d), widths, widths);
    });
    fc.assert(
      fc.property(caseArb, ([d, before, after]) => {
        const [x, rx] = both(d);
        expectClose(S.pad(x, before, after), R.pad(rx, before, after), EXACT, `pad([${before}], [${after}])`);
      }),
      RUNS,
    );
    expect(S.pad(tensor([[1, 2]]), [1, 0], [0, 1]).toArray()).toEqual([
      [0, 0, 0],
      [1, 2, 0],
    ]);
  });
});

describe('take, gather, oneHot', () => {
  it('take selects along an axis with index tensors of any rank, negative indices wrapping (property)', () => {
    const caseArb = drawnArb({ minRank: 1, maxRank: 3 }).chain((d) =>
      axisArb(d.shape.length).chain((axis) => {
        const len = d.shape[axis < 0 ? axis + d.shape.length : axis];
        const idxShape = len === 0 ? fc.constant<number[]>([0]) : shapeArb({ maxRank: 2, maxDim: 3 });
        const idx = arrayArb(idxShape, (n) =>
          len === 0
            ? fc.constant(new Float32Array(0))
            : fc
                .array(fc.integer({ min: -len, max: len - 1 }), { minLength: n, maxLength: n })
                .map((a) => Float32Array.from(a)),
        );
        return fc.tuple(fc.constant(d), fc.constant(axis), idx, fc.boolean());
      }),
    );
    fc.assert(
      fc.property(caseArb, ([d, axis, di, asArray]) => {
        const [x, rx] = both(d);
        const [idx, ridx] = both(di);
        // indices as a tensor (any shape) or as a plain array (1-D)
        const indices = asArray && di.shape.length === 1 ? Array.from(di.data) : idx;
        expectClose(
          S.take(x, indices, axis),
          R.take(rx, ridx, axis),
          EXACT,
          `take(axis=${axis}, indices=${JSON.stringify(Array.from(di.data))})`,
        );
      }),
      RUNS,
    );
  });

  it('take hand-checked', () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(S.take(m, [1, 0, 1]).toArray()).toEqual([
      [4, 5, 6],
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(S.take(m, [2, -3], 1).toArray()).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(S.take(m, tensor(1), 1).toArray()).toEqual([2, 5]); // a 0-d index drops the axis
    expect(S.take(m, tensor([[0], [1]]), 0).shape).toEqual([2, 1, 3]);
    expect(S.take(m, Int32Array.from([-1]), -1).toArray()).toEqual([[3], [6]]);
    expect(S.take(m, [], 0).shape).toEqual([0, 3]);
  });

  it('gather is take_along_axis, broadcasting the other axes (property)', () => {
    const caseArb = drawnArb({ minRank: 1, maxRank: 3, allowZero: false }).chain((d) =>
      axisArb(d.shape.length).chain((axis) => {
        const nd = d.shape.length;
        const ax = axis < 0 ? axis + nd : axis;
        const idxShape = fc
          .tuple(fc.integer({ min: 0, max: 3 }), fc.array(fc.boolean(), { minLength: nd, maxLength: nd }))
          .map(([k, ones]) => d.shape.map((s, i) => (i === ax ? k : ones[i] ? 1 : s)));
        const len = d.shape[ax];
        const idx = arrayArb(idxShape, (n) =>
          fc
            .array(fc.integer({ min: 0, max: len - 1 }), { minLength: n, maxLength: n })
            .map((a) => Float32Array.from(a)),
        );
        return fc.tuple(fc.constant(d), fc.constant(axis), idx);
      }),
    );
    fc.assert(
      fc.property(caseArb, ([d, axis, di]) => {
        const [x, rx] = both(d);
        const [idx, ridx] = both(di);
        expectClose(
          S.gather(x, idx, axis),
          R.takeAlongAxis(rx, ridx, axis),
          EXACT,
          `gather(axis=${axis}, idx shape [${di.shape}])`,
        );
      }),
      RUNS,
    );
  });

  it('gather hand-checked, including non-finite values in unselected places', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(S.gather(x, tensor([[2], [0]]), 1).toArray()).toEqual([[3], [4]]);
    expect(S.gather(x, tensor([[1, 0, 1]]), 0).toArray()).toEqual([[4, 2, 6]]);
    expect(S.gather(tensor([10, 20, 30]), [2, 2, 0]).toArray()).toEqual([30, 30, 10]);
    // the other entries of x must not leak into the result (0 · Infinity would be NaN)
    const y = tensor([
      [Infinity, 1, NaN],
      [-Infinity, 2, 3],
    ]);
    expect(vals(S.gather(y, tensor([[1], [2]]), 1))).toEqual([1, 3]);
    expect(vals(S.gather(y, tensor([[0], [0]]), 1))).toEqual([Infinity, -Infinity]);
  });

  it('oneHot (property and hand-checked)', () => {
    const caseArb = fc.integer({ min: 1, max: 5 }).chain((depth) =>
      fc.tuple(
        fc.constant(depth),
        arrayArb(shapeArb({ maxRank: 2, maxDim: 4 }), (n) =>
          fc
            .array(fc.integer({ min: 0, max: depth - 1 }), { minLength: n, maxLength: n })
            .map((a) => Float32Array.from(a)),
        ),
      ),
    );
    fc.assert(
      fc.property(caseArb, ([depth, di]) => {
        const [idx, ridx] = both(di);
        expectClose(S.oneHot(idx, depth), R.oneHot(ridx, depth), EXACT, `oneHot(depth=${depth})`);
      }),
      RUNS,
    );
    expect(S.oneHot([0, 2], 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(S.oneHot(tensor(1), 2).toArray()).toEqual([0, 1]);
    expect(S.oneHot(Int32Array.from([1]), 2).toArray()).toEqual([[0, 1]]);
  });
});

describe('concat, stack, split', () => {
  it('concat joins along any axis, including empty parts (property)', () => {
    const caseArb = shapeArb({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((shape) =>
      axisArb(shape.length).chain((axis) => {
        const ax = axis < 0 ? axis + shape.length : axis;
        const part = fc
          .integer({ min: 0, max: 3 })
          .chain((len) => arrayArb(fc.constant(shape.map((d, i) => (i === ax ? len : d)))));
        return fc.tuple(fc.array(part, { minLength: 1, maxLength: 4 }), fc.constant(axis));
      }),
    );
    fc.assert(
      fc.property(caseArb, ([parts, axis]) => {
        const ts = parts.map((p) => both(p));
        expectClose(
          S.concat(
            ts.map(([t]) => t),
            axis,
          ),
          R.concat(
            ts.map(([, r]) => r),
            axis,
          ),
          EXACT,
          `concat(axis=${axis})`,
        );
      }),
      RUNS,
    );
    expect(
      S.concat([
        tensor([[1, 2]]),
        tensor([
          [3, 4],
          [5, 6],
        ]),
      ]).toArray(),
    ).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(S.concat([tensor([[1], [2]]), tensor([[3], [4]])], -1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(S.concat([tensor([1, 2])]).toArray()).toEqual([1, 2]);
  });

  it('stack joins along a new axis (property)', () => {
    const caseArb = shapeArb({ maxRank: 3, maxDim: 3 }).chain((shape) =>
      fc.tuple(
        fc.array(arrayArb(fc.constant(shape)), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -shape.length - 1, max: shape.length }),
      ),
    );
    fc.assert(
      fc.property(caseArb, ([parts, axis]) => {
        const ts = parts.map((p) => both(p));
        expectClose(
          S.stack(
            ts.map(([t]) => t),
            axis,
          ),
          R.stack(
            ts.map(([, r]) => r),
            axis,
          ),
          EXACT,
          `stack(axis=${axis})`,
        );
      }),
      RUNS,
    );
    expect(S.stack([tensor([1, 2]), tensor([3, 4])]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(S.stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(S.stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
  });

  it('split into equal sections or given sizes, undoing concat (property)', () => {
    const caseArb = shapeArb({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((shape) =>
      axisArb(shape.length).chain((axis) => {
        const ax = axis < 0 ? axis + shape.length : axis;
        const sections = fc.oneof(
          fc
            .integer({ min: 1, max: 3 })
            .chain((count) => fc.integer({ min: 0, max: 2 }).map((each) => ({ count, each }))),
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
        );
        return sections.chain((sec) => {
          const len = Array.isArray(sec) ? sec.reduce((p, v) => p + v, 0) : sec.count * sec.each;
          return fc.tuple(
            arrayArb(fc.constant(shape.map((d, i) => (i === ax ? len : d)))),
            fc.constant(axis),
            fc.constant(sec),
          );
        });
      }),
    );
    fc.assert(
      fc.property(caseArb, ([d, axis, sec]) => {
        const [x, rx] = both(d);
        const nd = d.shape.length;
        const ax = axis < 0 ? axis + nd : axis;
        const sizes = Array.isArray(sec) ? sec : new Array<number>(sec.count).fill(sec.each);
        const parts = S.split(x, Array.isArray(sec) ? sec : sec.count, axis);
        expect(parts.length).toBe(sizes.length);
        let start = 0;
        parts.forEach((p, i) => {
          const starts = d.shape.map((_, j) => (j === ax ? start : null));
          const ends = d.shape.map((_, j) => (j === ax ? start + sizes[i] : null));
          expectClose(p, R.slice(rx, starts, ends), EXACT, `split part ${i}`);
          start += sizes[i];
        });
      }),
      RUNS,
    );
    const [a, b] = S.split(S.arange(6).reshape([2, 3]), [1, 2], 1);
    expect(a.toArray()).toEqual([[0], [3]]);
    expect(b.toArray()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(S.split(S.arange(6), 3).map((t) => t.toArray())).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });
});

describe('helpers used above', () => {
  it('reference take / takeAlongAxis / slice agree with hand-computed NumPy results', () => {
    const m = R.arr([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(R.take(m, R.arr([2], [-1, 0]), 1).data).toEqual([3, 1, 6, 4]);
    expect(R.takeAlongAxis(m, R.arr([1, 3], [1, 0, 1]), 0).data).toEqual([4, 2, 6]);
    expect(R.slice(m, [null, -2]).data).toEqual([2, 3, 5, 6]);
    expect(R.concat([R.arr([0, 3], []), m, R.arr([1, 3], [7, 8, 9])], 0).data).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(R.matmul(R.arr([2], [1, 2]), R.arr([2], [3, 4])).shape).toEqual([]);
  });
});
