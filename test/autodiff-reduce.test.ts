/**
 * Gradients of reductions (sum, mean, max, min, logsumexp: all axes, one axis, several axes,
 * negative axes, keepdims), softmax / logSoftmax / cumsum along an axis, and matmul in every
 * NumPy case (vector·vector, vector·matrix, matrix·vector, matrix·matrix, batched with broadcast
 * batch axes, vector·batch, batch·vector), against float64 finite differences of a float64
 * reference, plus the jvp/vjp adjoint identity.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cumsum, grad, jvp, logSoftmax, logsumexp, matmul, max, mean, min, softmax, sum, tensor, Tensor, type Axis } from '../src/index.js';
import * as R from './helpers/reference64.js';
import { distinctValues, opSuite, Rng, seedArb, shapeArb, axisArb, uniformValues, type OpCase } from './helpers/gradtest.js';

const fmtAxis = (a: unknown): string => (a === undefined ? 'all' : JSON.stringify(a));

type Reduction = (x: Tensor, axis?: Axis, keepdims?: boolean) => Tensor;
const reductions: [string, Reduction, (vs: number[]) => number, 'uniform' | 'distinct'][] = [
  ['sum', sum, R.reducers.sum, 'uniform'],
  ['mean', mean, R.reducers.mean, 'uniform'],
  ['max', max, R.reducers.max, 'distinct'],
  ['min', min, R.reducers.min, 'distinct'],
  ['logsumexp', logsumexp, R.reducers.logsumexp, 'uniform'],
];

describe('reductions (axes, negative axes, keepdims)', () => {
  for (const [name, f, ref, kind] of reductions) {
    const arb = shapeArb(0, 4, 3)
      .chain((shape) => fc.tuple(fc.constant(shape), axisArb(shape.length), fc.boolean(), seedArb))
      .map(([shape, axis, keepdims, s]): OpCase => {
        const rng = new Rng(s);
        const x = kind === 'distinct' ? distinctValues(rng, shape) : uniformValues(rng, shape, -3, 3);
        return {
          label: `${name}([${shape}], axis ${fmtAxis(axis)}, keepdims ${keepdims})`,
          inputs: [x],
          f32: (t) => f(t, axis, keepdims),
          f64: (t) => R.reduce(t, axis, keepdims, ref),
        };
      });
    opSuite(name, arb);
  }
});

describe('softmax, logSoftmax, cumsum along an axis', () => {
  const laneArb = (name: string, f32: (x: Tensor, axis: number, flag: boolean) => Tensor, lane: (flag: boolean) => (vs: number[]) => number[]) =>
    shapeArb(1, 3, 4)
      .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.boolean(), seedArb))
      .map(([shape, axis, flag, s]): OpCase => ({
        label: `${name}([${shape}], axis ${axis}, flag ${flag})`,
        inputs: [uniformValues(new Rng(s), shape, -3, 3)],
        f32: (x) => f32(x, axis, flag),
        f64: (x) => R.alongAxis(x, axis, lane(flag)),
      }));
  opSuite('softmax', laneArb('softmax', (x, a) => softmax(x, a), () => R.lanes.softmax));
  opSuite('logSoftmax', laneArb('logSoftmax', (x, a) => logSoftmax(x, a), () => R.lanes.logSoftmax));
  opSuite('cumsum (forward and reverse)', laneArb('cumsum', (x, a, rev) => cumsum(x, a, rev), (rev) => (rev ? R.lanes.cumsumReverse : R.lanes.cumsum)));
});

describe('matmul', () => {
  // [a shape, b shape] for every NumPy matmul case, with dims m, k, n and batch shapes drawn below.
  type Dims = { m: number; k: number; n: number; b1: number; b2: number };
  const cases: [string, (d: Dims) => [number[], number[]]][] = [
    ['vector @ vector', ({ k }) => [[k], [k]]],
    ['vector @ matrix', ({ k, n }) => [[k], [k, n]]],
    ['matrix @ vector', ({ m, k }) => [[m, k], [k]]],
    ['matrix @ matrix', ({ m, k, n }) => [[m, k], [k, n]]],
    ['batch @ matrix', ({ m, k, n, b1 }) => [[b1, m, k], [k, n]]],
    ['matrix @ batch', ({ m, k, n, b1 }) => [[m, k], [b1, k, n]]],
    ['batch @ batch', ({ m, k, n, b1 }) => [[b1, m, k], [b1, k, n]]],
    ['broadcast batches [b1,1] @ [b2]', ({ m, k, n, b1, b2 }) => [[b1, 1, m, k], [b2, k, n]]],
    ['broadcast batches [1,b2] @ [b1,1]', ({ m, k, n, b1, b2 }) => [[1, b2, m, k], [b1, 1, k, n]]],
    ['vector @ batch', ({ k, n, b1 }) => [[k], [b1, k, n]]],
    ['batch @ vector', ({ m, k, b1, b2 }) => [[b2, b1, m, k], [k]]],
  ];
  const dim = fc.integer({ min: 1, max: 4 });
  const dimsArb = fc.record({ m: dim, k: dim, n: dim, b1: fc.integer({ min: 1, max: 3 }), b2: fc.integer({ min: 1, max: 3 }) });
  for (const [name, shapes] of cases) {
    opSuite(
      `matmul ${name}`,
      fc.tuple(dimsArb, seedArb).map(([d, s]): OpCase => {
        const [sa, sb] = shapes(d);
        const rng = new Rng(s);
        return {
          label: `matmul [${sa}] @ [${sb}]`,
          inputs: [uniformValues(rng, sa, -2, 2), uniformValues(rng, sb, -2, 2)],
          f32: matmul,
          f64: R.matmul,
        };
      }),
      15,
    );
  }

  it('matmul gradients have closed forms: d/dA sum(A B) = 1 Bᵀ, d/dB = Aᵀ 1', () => {
    const A = tensor([[1, 2, 3], [4, 5, 6]]);
    const B = tensor([[1, -1], [2, 0], [0, 3]]);
    const [gA, gB] = grad((a: Tensor, b: Tensor) => matmul(a, b).sum(), [0, 1])(A, B) as Tensor[];
    expect(gA.toArray()).toEqual([[0, 2, 3], [0, 2, 3]]);
    expect(gB.toArray()).toEqual([[5, 5], [7, 7], [9, 9]]);
  });
});

describe('max/min ties and logsumexp with -Infinity (closed forms)', () => {
  it('max shares the gradient equally among tied maxima, per reduced group', () => {
    const x = tensor([[3, 1, 3], [2, 2, 2]]);
    expect(grad((t: Tensor) => max(t, 1).sum())(x).toArray()).toEqual([[0.5, 0, 0.5], [1 / 3, 1 / 3, 1 / 3].map(Math.fround)]);
    expect(grad((t: Tensor) => min(t, 0).sum())(x).toArray()).toEqual([[0, 1, 0], [1, 0, 1]]);
    const [, t] = jvp((t: Tensor) => max(t, 1), [x], [tensor([[1, 0, 3], [3, 6, 0]])]);
    expect(t.toArray()).toEqual([2, 3]);
  });

  it('logsumexp gives zero weight (not NaN) to -Infinity entries', () => {
    const g = grad((t: Tensor) => logsumexp(t))(tensor([0, -Infinity, 0]));
    expect(g.toArray()).toEqual([0.5, 0, 0.5]);
  });
});
