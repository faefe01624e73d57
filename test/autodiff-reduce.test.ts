/**
 * Gradients of reductions (sum, mean, max, min, logsumexp: all axes, one axis, several axes,
 * negative axes, keepdims), softmax / logSoftmax / cumsum along an axis, and matmul in every
 * NumPy case (vector·vector, vector·matrix, matrix·vector, matrix·matrix, batched with broadcast
 * batch axes, vector·batch, batch·vector), against float64 finite differences of a float64
 * reference, plus the jvp/vjp adjoint identity.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cumsum,
  grad,
  jvp,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  mean,
  min,
  softmax,
  sum,
  tensor,
  type Tensor,
  type Axis,
} from '../src/index.js';
import * as R from './helpers/reference64.js';
import {
  axisArb,
  checkOpGradient,
  distinctValues,
  gradientCase,
  opSuite,
  Rng,
  seedArb,
  shapeArb,
  uniformValues,
  type ErrorModel,
  type OpCase,
} from './helpers/gradtest.js';
import type { A64 } from './helpers/reference64.js';

const fmtAxis = (a: unknown): string => (a === undefined ? 'all' : JSON.stringify(a));

// Error models (see gradtest.ts). Sieve computes softmax-like ops from z = x − max(x), rounded, and
// e = exp(z), which that rounding perturbs by a factor up to 1 + |z| ulps: Z = max |z| in the lane.

/** Per lane: the max |x − max(x)| and the softmax probabilities, in float64. */
function laneStats(lane: readonly number[]): { p: number[]; z: number } {
  const m = Math.max(...lane);
  const e = lane.map((v) => Math.exp(v - m));
  const s = R.fsum(e);
  return { p: e.map((v) => v / s), z: Math.max(...lane.map((v) => Math.abs(v - m))) };
}

/** Term magnitudes of one lane, from its values and its |weights|. */
type LaneTerms = (xs: number[], ws: number[]) => number[];

/** The magnitude array of a lane op, filled lane by lane. */
function laneMagnitude(x: A64, w: Float64Array, axis: number, f: LaneTerms): Float64Array {
  const out = new Float64Array(x.data.length);
  for (const pos of R.lanePositions(x.shape, axis)) {
    const m = f(
      pos.map((p) => x.data[p]),
      pos.map((p) => w[p]),
    );
    pos.forEach((p, j) => (out[p] = m[j]));
  }
  return out;
}

/**
 * softmax: ∂L/∂x_i = p_i (w_i − Σ_j p_j w_j), which cancels when p_i ≈ 1; terms p_i(|w_i| + Σ p_j|w_j|).
 * 9 roundings on the longest chain: z, e, s, y = e/s, g·y, /s, the lane sum, the add, ·e.
 */
const softmaxError = (axis: number): ErrorModel => ({
  rounds: 9,
  magnitude: ([x], [w]) => [
    laneMagnitude(x, w, axis, (xs, ws) => {
      const { p, z } = laneStats(xs);
      const mixed = R.fsum(p.map((pj, j) => pj * ws[j]));
      return p.map((pi, i) => pi * (ws[i] + mixed) * (1 + z));
    }),
  ],
});

/**
 * logSoftmax: ∂L/∂x_i = w_i − p_i Σ_j w_j; terms |w_i| + p_i Σ|w_j|. 6 roundings: z, e, s, the lane
 * sum of w, /s, ·e, and the add (forward mode: z, t·e, sum, /s, the subtraction).
 */
const logSoftmaxError = (axis: number): ErrorModel => ({
  rounds: 6,
  magnitude: ([x], [w]) => [
    laneMagnitude(x, w, axis, (xs, ws) => {
      const { p, z } = laneStats(xs);
      const total = R.fsum(ws);
      return p.map((pi, i) => (ws[i] + pi * total) * (1 + z));
    }),
  ],
});

/**
 * logsumexp (custom VJP g·exp(x − y)): the softmax weight comes from the rounded output y, whose error
 * is u·(|y| + (y − m) + 2 + D) with D = max|x − m| (roundings of x − m, exp, the sum, log, + m), and
 * from the rounded x − y. So per element: |w| p_i (1 + |x_i − y| + |y| + (y − m) + D), 5 roundings
 * (exp, x − y, ·g in reverse mode; t·e, sum, /s, with D from x − m, in forward mode; +2 from y).
 */
const logsumexpError = (axis: R.Axis): ErrorModel => ({
  rounds: 5,
  magnitude: ([x], [w]) => {
    const out = new Float64Array(x.data.length);
    R.reductionGroups(x.shape, axis).forEach((pos, g) => {
      const xs = pos.map((q) => x.data[q]);
      const m = Math.max(...xs);
      const y = m + Math.log(R.fsum(xs.map((v) => Math.exp(v - m))));
      const d = Math.max(...xs.map((v) => v - m).map(Math.abs));
      for (const q of pos) {
        const xi = x.data[q];
        out[q] = w[g] * Math.exp(xi - y) * (1 + Math.abs(xi - y) + Math.abs(y) + (y - m) + d);
      }
    });
    return [out];
  },
});

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
          error: name === 'logsumexp' ? logsumexpError(axis) : undefined,
        };
      });
    opSuite(name, arb);
  }
});

describe('softmax, logSoftmax, cumsum along an axis', () => {
  interface LaneOp {
    name: string;
    f32: (x: Tensor, axis: number, flag: boolean) => Tensor;
    lane: (flag: boolean) => (vs: number[]) => number[];
    error?: (axis: number) => ErrorModel;
  }
  const softmaxOp: LaneOp = {
    name: 'softmax',
    f32: (x, a) => softmax(x, a),
    lane: () => R.lanes.softmax,
    error: softmaxError,
  };
  const logSoftmaxOp: LaneOp = {
    name: 'logSoftmax',
    f32: (x, a) => logSoftmax(x, a),
    lane: () => R.lanes.logSoftmax,
    error: logSoftmaxError,
  };
  const cumsumOp: LaneOp = {
    name: 'cumsum',
    f32: (x, a, rev) => cumsum(x, a, rev),
    lane: (rev) => (rev ? R.lanes.cumsumReverse : R.lanes.cumsum),
  };
  const laneCase = (op: LaneOp, x: A64, axis: number, flag: boolean): OpCase => ({
    label: `${op.name}([${x.shape}], axis ${axis}, flag ${flag})`,
    inputs: [x],
    f32: (t) => op.f32(t, axis, flag),
    f64: (t) => R.alongAxis(t, axis, op.lane(flag)),
    error: op.error?.(axis),
  });
  const laneArb = (op: LaneOp) =>
    shapeArb(1, 3, 4)
      .chain((shape) =>
        fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.boolean(), seedArb),
      )
      .map(([shape, axis, flag, s]): OpCase => laneCase(op, uniformValues(new Rng(s), shape, -3, 3), axis, flag));
  opSuite('softmax', laneArb(softmaxOp));
  opSuite('logSoftmax', laneArb(logSoftmaxOp));
  opSuite('cumsum (forward and reverse)', laneArb(cumsumOp));

  it('regression (issue 9): softmax with p ≈ 1 cancels in float32, within its bound, beyond the old constant', () => {
    // fast-check seed 1596238279 drew this case; the old tolerance 1e-4·|fd| + 2e-5·max|fd| rejected
    // an error of 1.2e-7 that is float32 rounding of p_0 (w_0 − Σ p_j w_j) with p_0 = 0.99999.
    const c = laneCase(softmaxOp, R.a64([2], [2.8017754554748535, -2.813509702682495]), 0, false);
    const weightSeed = 2147483131;
    checkOpGradient(c, weightSeed);
    const { ad, fd } = gradientCase(c, weightSeed);
    const scale = Math.max(...fd.grad[0].map(Math.abs));
    const oldTolerance = 1e-4 * Math.abs(fd.grad[0][0]) + 2e-5 * scale + 1e-12;
    expect(Math.abs(ad[0][0] - fd.grad[0][0])).toBeGreaterThan(oldTolerance);
  });
});

describe('matmul', () => {
  // [a shape, b shape] for every NumPy matmul case, with dims m, k, n and batch shapes drawn below.
  type Dims = { m: number; k: number; n: number; b1: number; b2: number };
  const cases: [string, (d: Dims) => [number[], number[]]][] = [
    ['vector @ vector', ({ k }) => [[k], [k]]],
    ['vector @ matrix', ({ k, n }) => [[k], [k, n]]],
    ['matrix @ vector', ({ m, k }) => [[m, k], [k]]],
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
      'matrix @ batch',
      ({ m, k, n, b1 }) => [
        [m, k],
        [b1, k, n],
      ],
    ],
    [
      'batch @ batch',
      ({ m, k, n, b1 }) => [
        [b1, m, k],
        [b1, k, n],
      ],
    ],
    [
      'broadcast batches [b1,1] @ [b2]',
      ({ m, k, n, b1, b2 }) => [
        [b1, 1, m, k],
        [b2, k, n],
      ],
    ],
    [
      'broadcast batches [1,b2] @ [b1,1]',
      ({ m, k, n, b1, b2 }) => [
        [1, b2, m, k],
        [b1, 1, k, n],
      ],
    ],
    ['vector @ batch', ({ k, n, b1 }) => [[k], [b1, k, n]]],
    ['batch @ vector', ({ m, k, b1, b2 }) => [[b2, b1, m, k], [k]]],
  ];
  const dim = fc.integer({ min: 1, max: 4 });
  const dimsArb = fc.record({
    m: dim,
    k: dim,
    n: dim,
    b1: fc.integer({ min: 1, max: 3 }),
    b2: fc.integer({ min: 1, max: 3 }),
  });
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
    const A = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const B = tensor([
      [1, -1],
      [2, 0],
      [0, 3],
    ]);
    const [gA, gB] = grad((a: Tensor, b: Tensor) => matmul(a, b).sum(), [0, 1])(A, B) as Tensor[];
    expect(gA.toArray()).toEqual([
      [0, 2, 3],
      [0, 2, 3],
    ]);
    expect(gB.toArray()).toEqual([
      [5, 5],
      [7, 7],
      [9, 9],
    ]);
  });
});

describe('max/min ties and logsumexp with -Infinity (closed forms)', () => {
  it('max shares the gradient equally among tied maxima, per reduced group', () => {
    const x = tensor([
      [3, 1, 3],
      [2, 2, 2],
    ]);
    expect(grad((t: Tensor) => max(t, 1).sum())(x).toArray()).toEqual([
      [0.5, 0, 0.5],
      [1 / 3, 1 / 3, 1 / 3].map(Math.fround),
    ]);
    expect(grad((t: Tensor) => min(t, 0).sum())(x).toArray()).toEqual([
      [0, 1, 0],
      [1, 0, 1],
    ]);
    const [, t] = jvp(
      (t: Tensor) => max(t, 1),
      [x],
      [
        tensor([
          [1, 0, 3],
          [3, 6, 0],
        ]),
      ],
    );
    expect(t.toArray()).toEqual([2, 3]);
  });

  it('logsumexp gives zero weight (not NaN) to -Infinity entries', () => {
    const g = grad((t: Tensor) => logsumexp(t))(tensor([0, -Infinity, 0]));
    expect(g.toArray()).toEqual([0.5, 0, 0.5]);
  });
});
