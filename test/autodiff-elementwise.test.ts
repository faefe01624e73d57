/**
 * Gradients of the elementwise ops (unary, binary with broadcasting, where, clip, logaddexp)
 * against float64 finite differences of a float64 reference, and the jvp/vjp adjoint identity.
 * Inputs stay in well-conditioned domains: positive for log/sqrt, away from 0 for abs/relu, away
 * from each other for maximum/minimum/clip, so the finite differences never straddle a kink.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abs, add, clip, cos, digamma, div, exp, expm1, grad, jvp, lgamma, log, log1p, logaddexp, logSigmoid, maximum, minimum, mul, neg,
  polygamma, pow, relu, scalar, sigmoid, sin, softplus, sqrt, square, sub, tanh, tensor, Tensor, where, definePrimitive, bind, vjp,
} from '../src/index.js';
import * as R from './helpers/reference64.js';
import {
  awayFromZero, broadcastPairArb, broadcastShapesArb, checkAdjoint, checkOpGradient, opSuite, Rng, seedArb, shapeArb, toTensor,
  uniformValues, values, type OpCase,
} from './helpers/gradtest.js';
import type { A64 } from './helpers/reference64.js';

type Draw = (rng: Rng, shape: readonly number[]) => A64;
const u = (lo: number, hi: number): Draw => (rng, shape) => uniformValues(rng, shape, lo, hi);
const away = (lo: number, hi: number): Draw => (rng, shape) => awayFromZero(rng, shape, lo, hi);

const unaryOps: [string, (x: Tensor) => Tensor, (v: number) => number, Draw][] = [
  ['neg', neg, R.unary.neg, u(-3, 3)],
  ['exp', exp, R.unary.exp, u(-3, 3)],
  ['log', log, R.unary.log, u(0.1, 5)],
  ['log1p', log1p, R.unary.log1p, u(-0.8, 3)],
  ['expm1', expm1, R.unary.expm1, u(-3, 3)],
  ['sqrt', sqrt, R.unary.sqrt, u(0.1, 5)],
  ['square', square, R.unary.square, u(-3, 3)],
  ['abs', abs, R.unary.abs, away(0.1, 3)],
  ['sin', sin, R.unary.sin, u(-4, 4)],
  ['cos', cos, R.unary.cos, u(-4, 4)],
  ['tanh', tanh, R.unary.tanh, u(-3, 3)],
  ['sigmoid', sigmoid, R.unary.sigmoid, u(-6, 6)],
  ['logSigmoid', logSigmoid, R.unary.logSigmoid, u(-6, 6)],
  ['softplus', softplus, R.unary.softplus, u(-6, 6)],
  ['relu', relu, R.unary.relu, away(0.1, 3)],
  ['lgamma', lgamma, R.unary.lgamma, u(0.2, 6)],
  ['digamma', digamma, R.unary.digamma, u(0.3, 6)],
  ['polygamma(1, x)', (x) => polygamma(1, x), R.polygamma(1), u(0.4, 6)],
  ['polygamma(2, x)', (x) => polygamma(2, x), R.polygamma(2), u(0.5, 6)],
  ['polygamma(3, x)', (x) => polygamma(3, x), R.polygamma(3), u(0.6, 6)],
];

const unaryArb = (f: (x: Tensor) => Tensor, ref: (v: number) => number, draw: Draw): fc.Arbitrary<OpCase> =>
  fc.tuple(shapeArb(0, 3), seedArb).map(([shape, s]) => ({
    label: `shape [${shape}]`,
    inputs: [draw(new Rng(s), shape)],
    f32: f,
    f64: (x) => R.map(x, ref),
  }));

describe('unary ops', () => {
  for (const [name, f, ref, draw] of unaryOps) opSuite(name, unaryArb(f, ref, draw));
});

const binaryOps: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number, Draw, Draw][] = [
  ['add', add, R.binary.add, u(-3, 3), u(-3, 3)],
  ['sub', sub, R.binary.sub, u(-3, 3), u(-3, 3)],
  ['mul', mul, R.binary.mul, u(-3, 3), u(-3, 3)],
  ['div', div, R.binary.div, u(-3, 3), away(0.5, 3)],
  ['pow', pow, R.binary.pow, u(0.5, 2.5), u(-2, 2)],
  ['logaddexp', logaddexp, R.binary.logaddexp, u(-4, 4), u(-4, 4)],
  // a near k + 0.25 and b near k + 0.75: never closer than 0.3, so no ties.
  ['maximum', maximum, R.binary.maximum, (rng, s) => values(s, () => rng.int(-3, 2) + 0.25 + rng.uniform(-0.1, 0.1)), (rng, s) => values(s, () => rng.int(-3, 2) + 0.75 + rng.uniform(-0.1, 0.1))],
  ['minimum', minimum, R.binary.minimum, (rng, s) => values(s, () => rng.int(-3, 2) + 0.25 + rng.uniform(-0.1, 0.1)), (rng, s) => values(s, () => rng.int(-3, 2) + 0.75 + rng.uniform(-0.1, 0.1))],
];

describe('binary ops with broadcasting', () => {
  for (const [name, f, ref, drawA, drawB] of binaryOps) {
    const arb = fc.tuple(broadcastPairArb(3), seedArb).map(([[sa, sb], s]): OpCase => {
      const rng = new Rng(s);
      return { label: `${name} [${sa}] with [${sb}]`, inputs: [drawA(rng, sa), drawB(rng, sb)], f32: f, f64: (a, b) => R.zip(a, b, ref) };
    });
    opSuite(name, arb);
  }

  // pow with a negative base needs an integer exponent; differentiate in the base only.
  opSuite(
    'pow (negative base, integer exponent)',
    fc.tuple(broadcastPairArb(3), seedArb).map(([[sa, sb], s]): OpCase => {
      const rng = new Rng(s);
      const b = values(sb, () => rng.int(-2, 3));
      const bt = toTensor(b);
      return { label: `pow [${sa}] ^ int [${sb}]`, inputs: [awayFromZero(rng, sa, 0.5, 2)], f32: (a) => pow(a, bt), f64: (a) => R.zip(a, b, Math.pow) };
    }),
  );
});

describe('where and clip', () => {
  opSuite(
    'where',
    fc.tuple(broadcastShapesArb(3, 3), seedArb).map(([[sc, sa, sb], s]): OpCase => {
      const rng = new Rng(s);
      const c = values(sc, () => (rng.next() < 0.5 ? 0 : 1));
      const ct = toTensor(c);
      return {
        label: `where([${sc}], [${sa}], [${sb}])`,
        inputs: [uniformValues(rng, sa, -3, 3), uniformValues(rng, sb, -3, 3)],
        f32: (a, b) => where(ct, a, b),
        f64: (a, b) => R.where(c, a, b),
      };
    }),
  );

  // x stays ≥ 0.15 away from the bounds.
  const drawAwayFromBounds = (rng: Rng, shape: readonly number[]): A64 =>
    values(shape, () => [rng.uniform(-2.5, -1.15), rng.uniform(-0.85, 0.85), rng.uniform(1.15, 2.5)][rng.int(0, 2)]);

  opSuite(
    'clip (number bounds)',
    fc.tuple(shapeArb(0, 3), seedArb).map(([shape, s]): OpCase => ({
      label: `clip([${shape}], -1, 1)`,
      inputs: [drawAwayFromBounds(new Rng(s), shape)],
      f32: (x) => clip(x, -1, 1),
      f64: (x) => R.map(x, (v) => Math.min(Math.max(v, -1), 1)),
    })),
  );

  opSuite(
    'clip (tensor bounds, differentiated too)',
    fc.tuple(broadcastShapesArb(3, 3), seedArb).map(([[sx, slo, shi], s]): OpCase => {
      const rng = new Rng(s);
      return {
        label: `clip([${sx}], [${slo}], [${shi}])`,
        inputs: [drawAwayFromBounds(rng, sx), uniformValues(rng, slo, -1.05, -0.95), uniformValues(rng, shi, 0.95, 1.05)],
        f32: clip,
        f64: R.clip,
      };
    }),
  );
});

describe('subgradient conventions at ties and kinks (closed forms)', () => {
  it('maximum and minimum split the gradient equally on ties', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([1, 0, 5]);
    const [ga, gb] = grad((x: Tensor, y: Tensor) => maximum(x, y).sum(), [0, 1])(a, b) as Tensor[];
    expect(ga.toArray()).toEqual([0.5, 1, 0]);
    expect(gb.toArray()).toEqual([0.5, 0, 1]);
    const [ha, hb] = grad((x: Tensor, y: Tensor) => minimum(x, y).sum(), [0, 1])(a, b) as Tensor[];
    expect(ha.toArray()).toEqual([0.5, 0, 1]);
    expect(hb.toArray()).toEqual([0.5, 1, 0]);
  });

  it('relu and abs have derivative 0 at 0; jvp agrees', () => {
    const x = tensor([-1, 0, 2]);
    expect(grad((t: Tensor) => relu(t).sum())(x).toArray()).toEqual([0, 0, 1]);
    expect(grad((t: Tensor) => abs(t).sum())(x).toArray()).toEqual([-1, 0, 1]);
    expect(jvp((t: Tensor) => relu(t), [x], [tensor([1, 1, 1])])[1].toArray()).toEqual([0, 0, 1]);
  });

  it('pow: d/db a^b is 0 (not NaN) at a = 0, and d/da 0^1 = 1', () => {
    const [ga, gb] = grad((a: Tensor, b: Tensor) => pow(a, b).sum(), [0, 1])(tensor([0, 0]), tensor([1, 2])) as Tensor[];
    expect(ga.toArray()).toEqual([1, 0]);
    expect(gb.toArray()).toEqual([0, 0]);
  });

  it('a scalar broadcast against a matrix receives the sum of the cotangent', () => {
    const g = grad((s: Tensor, m: Tensor) => mul(s, m).sum())(scalar(2), tensor([[1, 2], [3, 4]]));
    expect(g.shape).toEqual([]);
    expect(g.item()).toBe(10);
  });
});

describe('the harness has teeth', () => {
  // sin with a wrong reverse rule (g·sin x instead of g·cos x) but the right forward rule.
  const badSinP = definePrimitive({
    name: 'badSin',
    impl: ([x]) => sin(x),
    vjp: (g, [x]) => [mul(g, sin(x))],
    jvp: ([t], [x]) => (t === null ? null : mul(t, cos(x))),
  });
  const badSin = (x: Tensor): Tensor => bind(badSinP, [x], undefined);
  const badCase: OpCase = { label: 'badSin [5]', inputs: [R.a64([5], [0.3, -1.2, 2, 0.7, -2.5])], f32: badSin, f64: (x) => R.map(x, Math.sin) };

  it('a wrong VJP rule fails the finite-difference check', () => {
    expect(() => checkOpGradient(badCase, 1)).toThrow(/reverse-mode gradient mismatch/);
  });

  it('a VJP rule that disagrees with the JVP rule fails the adjoint check', () => {
    expect(() => checkAdjoint(badCase, 1)).toThrow(/adjoint identity fails/);
  });

  it('the same checks pass for the correct sin', () => {
    const good: OpCase = { ...badCase, f32: sin };
    checkOpGradient(good, 1);
    checkAdjoint(good, 1);
    // and the rule above really is wrong, not the harness: its vjp gives g·sin(x)
    const [, pullback] = vjp(badSin, tensor([1]));
    expect(pullback(tensor([1]))[0].item()).toBeCloseTo(Math.sin(1), 6);
  });
});
