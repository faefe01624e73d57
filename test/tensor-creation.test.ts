/**
 * Forward values of tensor creation and inspection: tensor(), scalar, zeros/ones/full, arange,
 * linspace, eye, zerosLike/onesLike; toArray, item, toString, dataSync, shape/size/ndim; and
 * immutability (creation copies its input, ops never write their inputs' storage).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as S from '../src/index.js';
import {
  arange,
  eye,
  full,
  linspace,
  ones,
  onesLike,
  scalar,
  tensor,
  zeros,
  zerosLike,
  Tensor,
  type NestedArray,
} from '../src/index.js';
import { arr, size } from './helpers/reference.js';
import { arrayArb, RUNS, shapeArb, valuesArb } from './helpers/tensor-props.js';

/** Nested JS arrays of the given shape holding `data` (row-major); a scalar for shape []. */
function nest(shape: readonly number[], data: ArrayLike<number>): NestedArray {
  if (shape.length === 0) return data[0];
  const build = (dim: number, offset: number): NestedArray[] => {
    const inner = size(shape.slice(dim + 1));
    return Array.from({ length: shape[dim] }, (_, i) =>
      dim === shape.length - 1 ? data[offset + i] : build(dim + 1, offset + i * inner),
    );
  };
  return build(0, 0);
}

describe('tensor()', () => {
  it('builds from nested arrays with the inferred shape', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(t.ndim).toBe(2);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);

    const t3 = tensor([
      [[1], [2]],
      [[3], [4]],
      [[5], [6]],
    ]);
    expect(t3.shape).toEqual([3, 2, 1]);
    expect(Array.from(t3.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('builds a scalar from a number', () => {
    const t = tensor(2.5);
    expect(t.shape).toEqual([]);
    expect(t.ndim).toBe(0);
    expect(t.size).toBe(1);
    expect(t.item()).toBe(2.5);
    expect(t.toArray()).toBe(2.5);
    expect(tensor(7, [1, 1]).shape).toEqual([1, 1]);
  });

  it('builds from a Float32Array or a flat array with an explicit shape', () => {
    const f = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    expect(f.shape).toEqual([3, 2]);
    expect(f.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 1, 3]);
    expect(a.toArray()).toEqual([[[1, 2, 3]], [[4, 5, 6]]]);
    // nested arrays with an explicit shape are read in row-major order, then laid out in that shape
    expect(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        [4],
      ).toArray(),
    ).toEqual([1, 2, 3, 4]);
    // a flat array without a shape is 1-D
    expect(tensor(new Float32Array([9, 8])).shape).toEqual([2]);
    expect(tensor([5], []).shape).toEqual([]);
  });

  it('handles empty tensors', () => {
    expect(tensor([]).shape).toEqual([0]);
    const e = tensor([[], []]);
    expect(e.shape).toEqual([2, 0]);
    expect(e.size).toBe(0);
    expect(e.toArray()).toEqual([[], []]);
    expect(tensor([], [3, 0, 2]).shape).toEqual([3, 0, 2]);
    expect(tensor(new Float32Array(0), [0, 5]).toArray()).toEqual([]);
  });

  it('rounds values to float32 and keeps NaN, ±Infinity and -0', () => {
    expect(tensor([0.1]).dataSync()[0]).toBe(Math.fround(0.1));
    expect(tensor(1e40).item()).toBe(Infinity);
    const t = tensor([NaN, Infinity, -Infinity, -0]);
    const d = Array.from(t.dataSync());
    expect(d[0]).toBeNaN();
    expect(d.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Object.is(d[3], -0)).toBe(true);
  });

  it('round-trips nested arrays of any shape (property)', () => {
    fc.assert(
      fc.property(arrayArb(shapeArb({ maxRank: 4 })), ({ shape, data }) => {
        const nested = nest(shape, data);
        const t = tensor(nested);
        // a size-0 dimension hides the dimensions after it from a nested array
        const firstZero = shape.indexOf(0);
        const visible = firstZero < 0 ? shape : shape.slice(0, firstZero + 1);
        expect(t.shape).toEqual(visible);
        expect(t.ndim).toBe(visible.length);
        expect(t.size).toBe(size(shape));
        expect(t.toArray()).toEqual(nested);
        expect(Array.from(t.dataSync())).toEqual(Array.from(data));
        // and from the flat data with an explicit shape
        const u = tensor(data, shape);
        expect(u.shape).toEqual(shape);
        expect(u.toArray()).toEqual(nested);
      }),
      RUNS,
    );
  });
});

describe('scalar, zeros, ones, full, zerosLike, onesLike', () => {
  it('scalar is 0-d', () => {
    const s = scalar(-3.25);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(-3.25);
  });

  it('fill any shape with the right value (property)', () => {
    fc.assert(
      fc.property(shapeArb(), fc.float({ noNaN: true }), (shape, v) => {
        const n = size(shape);
        for (const [t, value] of [
          [zeros(shape), 0],
          [ones(shape), 1],
          [full(shape, v), v],
        ] as const) {
          expect(t.shape).toEqual(shape);
          expect(t.size).toBe(n);
          expect(t.dataSync().length).toBe(n);
          for (const x of t.dataSync()) expect(x).toBe(Math.fround(value));
        }
        const base = tensor(new Float32Array(n).fill(7), shape);
        expect(zerosLike(base).shape).toEqual(shape);
        expect(Array.from(zerosLike(base).dataSync())).toEqual(new Array(n).fill(0));
        expect(onesLike(base).shape).toEqual(shape);
        expect(Array.from(onesLike(base).dataSync())).toEqual(new Array(n).fill(1));
      }),
      RUNS,
    );
  });

  it('full keeps special values', () => {
    expect(Array.from(full([2], -Infinity).dataSync())).toEqual([-Infinity, -Infinity]);
    expect(full([1, 2], NaN).toArray()).toEqual([[NaN, NaN]]);
  });

  it('does not alias the shape array it was given', () => {
    const shape = [2, 3];
    const t = zeros(shape);
    shape[0] = 5;
    expect(t.shape).toEqual([2, 3]);
  });
});

describe('arange', () => {
  it('follows NumPy for the usual forms', () => {
    expect(Array.from(arange(5).dataSync())).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(arange(2, 7).dataSync())).toEqual([2, 3, 4, 5, 6]);
    expect(Array.from(arange(0, 1, 0.25).dataSync())).toEqual([0, 0.25, 0.5, 0.75]);
    expect(Array.from(arange(5, 0, -1).dataSync())).toEqual([5, 4, 3, 2, 1]);
    expect(Array.from(arange(1, 2, 0.4).dataSync())).toEqual([1, 1.4, 1.8].map(Math.fround));
    expect(arange(0, 1, 0.1).size).toBe(10);
    for (const empty of [arange(0), arange(3, 3), arange(5, 0), arange(0, 5, -1), arange(-2)]) {
      expect(empty.shape).toEqual([0]);
    }
  });

  it('matches start + i*step for i < ceil((stop-start)/step) (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: -50, max: 50 }),
        fc.constantFrom(1, 2, 3, 0.5, -1, -0.5, -3, 0.25),
        (start, stop, step) => {
          const t = arange(start, stop, step);
          const n = Math.max(0, Math.ceil((stop - start) / step));
          expect(t.shape).toEqual([n]);
          expect(Array.from(t.dataSync())).toEqual(Array.from({ length: n }, (_, i) => Math.fround(start + i * step)));
        },
      ),
      RUNS,
    );
  });
});

describe('linspace', () => {
  it('includes both ends', () => {
    expect(Array.from(linspace(0, 1, 5).dataSync())).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(linspace(3, -3, 3).dataSync())).toEqual([3, 0, -3]);
    expect(Array.from(linspace(2, 3, 1).dataSync())).toEqual([2]);
    expect(linspace(0, 1, 0).shape).toEqual([0]);
    // the last value is exactly `stop`, not start + (num-1)*step
    const l = linspace(0, 0.3, 7).dataSync();
    expect(l[6]).toBe(Math.fround(0.3));
  });

  it('is evenly spaced (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.integer({ min: 2, max: 40 }),
        (start, stop, num) => {
          const d = linspace(start, stop, num).dataSync();
          expect(d.length).toBe(num);
          const step = (stop - start) / (num - 1);
          // each value is start + i*step rounded once to float32: within 1 ulp of the larger end
          const atol = 2 * Math.max(Math.abs(start), Math.abs(stop)) * 2 ** -24 + 1e-30; // + float32 underflow
          for (let i = 0; i < num; i++) expect(Math.abs(d[i] - (start + i * step))).toBeLessThanOrEqual(atol);
          // == rather than Object.is: linspace(-0, 0) may start at +0
          expect(d[0] === Math.fround(start)).toBe(true);
          expect(d[num - 1] === Math.fround(stop)).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe('eye', () => {
  it('square and rectangular identities', () => {
    expect(eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(eye(3, 2).toArray()).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(eye(0).shape).toEqual([0, 0]);
    expect(eye(1).toArray()).toEqual([[1]]);
  });
});

describe('inspection: toArray, item, dataSync, toString', () => {
  it('toArray nests by shape, scalars give numbers', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).toArray(),
    ).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(scalar(4).toArray()).toBe(4);
    expect(zeros([2, 0]).toArray()).toEqual([[], []]);
    expect(zeros([0, 2]).toArray()).toEqual([]);
  });

  it('item reads any one-element tensor', () => {
    expect(tensor([[[6]]]).item()).toBe(6);
    expect(tensor([-1.5]).item()).toBe(-1.5);
  });

  it('dataSync is the flat row-major Float32Array', () => {
    const d = tensor([
      [1, 2],
      [3, 4],
    ]).dataSync();
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual([1, 2, 3, 4]);
  });

  it('toString formats values and shape', () => {
    expect(scalar(3).toString()).toBe('Tensor(3., shape=[])');
    expect(tensor([1, 2.5, -0.125]).toString()).toBe('Tensor([1., 2.5, -0.125], shape=[3])');
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).toString(),
    ).toBe('Tensor([[1., 2.],\n        [3., 4.]], shape=[2,2])');
    // float32 noise is hidden (0.1 is stored as 0.100000001...)
    expect(tensor([0.1]).toString()).toBe('Tensor([0.1], shape=[1])');
    expect(tensor([NaN, -Infinity]).toString()).toBe('Tensor([NaN, -Infinity], shape=[2])');
    expect(arange(20).toString()).toBe(
      'Tensor([0., 1., 2., 3., 4., 5., ..., 14., 15., 16., 17., 18., 19.], shape=[20])',
    );
    expect(zeros([0]).toString()).toBe('Tensor([], shape=[0])');
    expect(String(tensor([[[1]], [[2]]]))).toBe('Tensor([[[1.]],\n        [[2.]]], shape=[2,1,1])');
  });
});

describe('immutability', () => {
  it('tensor() copies its input', () => {
    const f = new Float32Array([1, 2, 3]);
    const tf = tensor(f);
    f[0] = 100;
    expect(Array.from(tf.dataSync())).toEqual([1, 2, 3]);
    expect(tf.dataSync()).not.toBe(f);

    const flat = [1, 2, 3, 4];
    const tflat = tensor(flat, [2, 2]);
    flat[3] = 100;
    expect(tflat.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);

    const nested = [
      [1, 2],
      [3, 4],
    ];
    const tn = tensor(nested);
    nested[1][0] = 100;
    expect(tn.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('toArray returns fresh arrays', () => {
    const t = tensor([[1, 2]]);
    const a = t.toArray() as number[][];
    a[0][0] = 9;
    expect(t.toArray()).toEqual([[1, 2]]);
  });

  it('no op writes the storage of its inputs (property)', () => {
    // Every op runs on the same inputs; afterwards the inputs must hold their original values.
    const ops: [string, (x: Tensor, y: Tensor) => unknown][] = [
      ['add', S.add],
      ['sub', S.sub],
      ['mul', S.mul],
      ['div', S.div],
      ['pow', S.pow],
      ['maximum', S.maximum],
      ['minimum', S.minimum],
      ['lt', S.lt],
      ['eq', S.eq],
      ['where', (x, y) => S.where(S.gt(x, 0), x, y)],
      ['clip', (x) => S.clip(x, -1, 1)],
      ['neg', S.neg],
      ['exp', S.exp],
      ['log', S.log],
      ['log1p', S.log1p],
      ['expm1', S.expm1],
      ['sqrt', S.sqrt],
      ['square', S.square],
      ['abs', S.abs],
      ['sign', S.sign],
      ['sin', S.sin],
      ['cos', S.cos],
      ['tanh', S.tanh],
      ['sigmoid', S.sigmoid],
      ['logSigmoid', S.logSigmoid],
      ['softplus', S.softplus],
      ['relu', S.relu],
      ['lgamma', S.lgamma],
      ['digamma', S.digamma],
      ['polygamma', (x) => S.polygamma(1, x)],
      ['sum', (x) => S.sum(x, 0)],
      ['mean', (x) => S.mean(x)],
      ['max', (x) => S.max(x, 1)],
      ['min', (x) => S.min(x, -1, true)],
      ['logsumexp', (x) => S.logsumexp(x, 0)],
      ['softmax', (x) => S.softmax(x)],
      ['logSoftmax', (x) => S.logSoftmax(x, 0)],
      ['cumsum', (x) => S.cumsum(x, 0)],
      ['cumsum reverse', (x) => S.cumsum(x, 1, true)],
      ['matmul', (x, y) => S.matmul(x, S.transpose(y))],
      ['reshape', (x) => S.reshape(x, [-1])],
      ['transpose', (x) => S.transpose(x)],
      ['T', (x) => x.T],
      ['expandDims', (x) => S.expandDims(x, 1)],
      ['squeeze', (x) => S.squeeze(S.expandDims(x, 0))],
      ['broadcastTo', (x) => S.broadcastTo(x, [2, 3, 4])],
      ['slice', (x) => S.slice(x, [1], [null])],
      ['pad', (x) => S.pad(x, [1, 0], [0, 2])],
      ['take', (x) => S.take(x, [2, 0, 0], 1)],
      ['gather', (x) => S.gather(x, tensor([[1], [0], [3]]), 1)],
      ['concat', (x, y) => S.concat([x, y], 1)],
      ['stack', (x, y) => S.stack([x, y], -1)],
      ['split', (x) => S.split(x, 2, 1)],
      ['oneHot', () => S.oneHot(tensor([0, 2]), 3)],
      ['logaddexp', S.logaddexp],
    ];
    fc.assert(
      fc.property(valuesArb(12, { min: -3, max: 3 }), valuesArb(12, { min: -3, max: 3 }), (dx, dy) => {
        const x = tensor(dx, [3, 4]);
        const y = tensor(dy, [3, 4]);
        const sx = Float32Array.from(x.dataSync());
        const sy = Float32Array.from(y.dataSync());
        for (const [name, op] of ops) {
          const out = op(x, y);
          // The result of a non-view op is fresh storage.
          if (out instanceof Tensor && !['reshape', 'expandDims', 'squeeze'].includes(name)) {
            expect(out.dataSync(), name).not.toBe(x.dataSync());
          }
          expect(Array.from(x.dataSync()), name).toEqual(Array.from(sx));
          expect(Array.from(y.dataSync()), name).toEqual(Array.from(sy));
        }
      }),
      { numRuns: 10 },
    );
  });

  it('one-element results stay independent however many are made', () => {
    // Results of many scalar ops (enough to exhaust any pooled storage) keep their own values.
    const x = S.scalar(2);
    const kept: [Tensor, number][] = [];
    for (let i = 0; i < 3000; i++) {
      const y = i % 3 === 0 ? S.add(x, i) : i % 3 === 1 ? S.mul(tensor(i), x) : S.sum(tensor([i, 1]));
      if (i % 7 === 0) kept.push([y, i % 3 === 0 ? 2 + i : i % 3 === 1 ? 2 * i : i + 1]);
    }
    expect(x.item()).toBe(2);
    for (const [t, v] of kept) expect(t.item()).toBe(v);
  });

  it('tensor() does not alias the shape array it was given', () => {
    const shape = [2, 2];
    const t = tensor([1, 2, 3, 4], shape);
    shape[0] = 4;
    shape[1] = 1;
    expect(t.shape).toEqual([2, 2]);
    expect(t.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

// Guard against a helper bug making the property above vacuous.
describe('test helpers', () => {
  it('nest builds row-major nested arrays', () => {
    expect(nest([2, 3], [1, 2, 3, 4, 5, 6])).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(nest([], [7])).toBe(7);
    expect(arr([2], [1, 2]).data).toEqual([1, 2]);
  });
});
