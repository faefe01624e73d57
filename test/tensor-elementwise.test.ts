/**
 * Forward values of elementwise ops against a float64 reference: unary functions (incl. the
 * special functions lgamma/digamma/polygamma), broadcasting binary ops, comparisons, where, clip;
 * plus numerical-stability and NaN-propagation cases.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as S from '../src/index.js';
import { tensor, scalar, type Tensor, type TensorLike } from '../src/index.js';
import * as R from './helpers/reference.js';
import {
  arrayArb,
  both,
  broadcastPairArb,
  expectClose,
  expectNear,
  RUNS,
  shapeArb,
  smallIntValuesArb,
  valuesArb,
  type Drawn,
} from './helpers/tensor-props.js';

const vals = (t: Tensor): number[] => Array.from(t.dataSync());

// ---------------------------------------------------------------------------------------------
// Unary

/** Non-integer values in (-5, 0): at least 0.01 away from the poles of lgamma/digamma. */
const negativeNonIntegers = (n: number): fc.Arbitrary<Float32Array> =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.double({ min: 0.01, max: 0.99, noNaN: true })), {
      minLength: n,
      maxLength: n,
    })
    .map((a) => Float32Array.from(a, ([k, u]) => -k - u));

const positiveOrNegative =
  (lo: number, hi: number) =>
  (n: number): fc.Arbitrary<Float32Array> =>
    fc.oneof(valuesArb(n, { min: lo, max: hi }), negativeNonIntegers(n));

interface UnaryCase {
  name: string;
  f: (x: Tensor) => Tensor;
  ref: (v: number) => number;
  values: (n: number) => fc.Arbitrary<Float32Array>;
  atol?: number;
}

const unaryCases: UnaryCase[] = [
  { name: 'neg', f: S.neg, ref: (v) => -v, values: (n) => valuesArb(n) },
  // exp overflows to Inf past ~88.7
  { name: 'exp', f: S.exp, ref: Math.exp, values: (n) => valuesArb(n, { min: -100, max: 100 }) },
  {
    name: 'log',
    f: S.log,
    ref: Math.log,
    values: (n) => fc.oneof(valuesArb(n, { min: 0, max: 1e6 }), valuesArb(n, { min: -1, max: 1 })),
  },
  {
    name: 'log1p',
    f: S.log1p,
    ref: Math.log1p,
    values: (n) => fc.oneof(valuesArb(n, { min: -1, max: 100 }), valuesArb(n, { min: -1e-6, max: 1e-6 })),
  },
  {
    name: 'expm1',
    f: S.expm1,
    ref: Math.expm1,
    values: (n) => fc.oneof(valuesArb(n, { min: -20, max: 20 }), valuesArb(n, { min: -1e-6, max: 1e-6 })),
  },
  { name: 'sqrt', f: S.sqrt, ref: Math.sqrt, values: (n) => valuesArb(n, { min: -1, max: 1e4 }) },
  { name: 'square', f: S.square, ref: (v) => v * v, values: (n) => valuesArb(n, { min: -1e3, max: 1e3 }) },
  { name: 'abs', f: S.abs, ref: Math.abs, values: (n) => valuesArb(n) },
  { name: 'sign', f: S.sign, ref: Math.sign, values: (n) => fc.oneof(valuesArb(n), smallIntValuesArb(n)) },
  { name: 'sin', f: S.sin, ref: Math.sin, values: (n) => valuesArb(n, { min: -20, max: 20 }) },
  { name: 'cos', f: S.cos, ref: Math.cos, values: (n) => valuesArb(n, { min: -20, max: 20 }) },
  { name: 'tanh', f: S.tanh, ref: Math.tanh, values: (n) => valuesArb(n, { min: -30, max: 30 }) },
  { name: 'sigmoid', f: S.sigmoid, ref: R.scalar.sigmoid, values: (n) => valuesArb(n, { min: -120, max: 120 }) },
  {
    name: 'logSigmoid',
    f: S.logSigmoid,
    ref: R.scalar.logSigmoid,
    values: (n) => valuesArb(n, { min: -200, max: 200 }),
  },
  { name: 'softplus', f: S.softplus, ref: R.scalar.softplus, values: (n) => valuesArb(n, { min: -200, max: 200 }) },
  { name: 'relu', f: S.relu, ref: R.scalar.relu, values: (n) => fc.oneof(valuesArb(n), smallIntValuesArb(n)) },
  // Special functions: the kernel (Lanczos) and the reference (recurrence + Stirling series) are
  // both float64 accurate to ~1e-13, far below float32 rounding; atol covers results near a root.
  { name: 'lgamma', f: S.lgamma, ref: R.lgamma, values: positiveOrNegative(1e-3, 60), atol: 1e-9 },
  { name: 'digamma', f: S.digamma, ref: R.digamma, values: positiveOrNegative(1e-3, 60), atol: 1e-9 },
  {
    name: 'polygamma(1)',
    f: (x) => S.polygamma(1, x),
    ref: (v) => R.polygamma(1, v),
    values: (n) => valuesArb(n, { min: 0.01, max: 60 }),
  },
  {
    name: 'polygamma(2)',
    f: (x) => S.polygamma(2, x),
    ref: (v) => R.polygamma(2, v),
    values: (n) => valuesArb(n, { min: 0.01, max: 60 }),
  },
  {
    name: 'polygamma(3)',
    f: (x) => S.polygamma(3, x),
    ref: (v) => R.polygamma(3, v),
    values: (n) => valuesArb(n, { min: 0.05, max: 60 }),
  },
];

describe('unary ops match the float64 reference', () => {
  for (const c of unaryCases) {
    it(c.name, () => {
      fc.assert(
        fc.property(arrayArb(shapeArb({ maxRank: 3 }), c.values), (d) => {
          const [x, rx] = both(d);
          const y = c.f(x);
          expectClose(y, R.map(rx, c.ref), { atol: c.atol ?? 0 }, c.name);
        }),
        RUNS,
      );
    });
  }

  it('accept plain numbers and give 0-d tensors', () => {
    expect(S.exp(0).shape).toEqual([]);
    expect(S.exp(0).item()).toBe(1);
    expect(S.sqrt(16).item()).toBe(4);
    expect(S.neg(3).item()).toBe(-3);
  });

  it('hand-checked values', () => {
    expect(vals(S.abs(tensor([-2, 0, 3])))).toEqual([2, 0, 3]);
    expect(vals(S.sign(tensor([-2, 0, 3, NaN])))).toEqual([-1, 0, 1, NaN]);
    expect(vals(S.relu(tensor([-2, 0, 3])))).toEqual([0, 0, 3]);
    expect(vals(S.square(tensor([-3, 0.5])))).toEqual([9, 0.25]);
    expect(vals(S.log(tensor([1, 0, -1])))).toEqual([0, -Infinity, NaN]);
    expect(vals(S.sqrt(tensor([4, 0, -1])))).toEqual([2, 0, NaN]);
    expect(vals(S.exp(tensor([0, -Infinity, Infinity, 100])))).toEqual([1, 0, Infinity, Infinity]);
    expect(vals(S.sigmoid(tensor([0])))).toEqual([0.5]);
    expect(S.softplus(tensor([0])).item()).toBeCloseTo(Math.LN2, 7);
    expect(vals(S.tanh(tensor([-Infinity, 0, Infinity])))).toEqual([-1, 0, 1]);
  });
});

describe('special functions: known high-precision values and identities', () => {
  const EULER_GAMMA = 0.5772156649015329;
  const f32 = (f: (x: Tensor) => Tensor, v: number): number => f(tensor([v])).item();
  // One float32 rounding of the result: relative 2^-24 ≈ 6e-8; allow a few ulps.
  const tol = { rtol: 3e-7, atol: 1e-7 };

  it('lgamma', () => {
    expectNear(f32(S.lgamma, 0.5), Math.log(Math.sqrt(Math.PI)), tol, 'lgamma(1/2) = log √π');
    expectNear(f32(S.lgamma, 1), 0, tol, 'lgamma(1)');
    expectNear(f32(S.lgamma, 2), 0, tol, 'lgamma(2)');
    expectNear(f32(S.lgamma, 3), Math.LN2, tol, 'lgamma(3) = log 2');
    expectNear(f32(S.lgamma, 10), Math.log(362880), tol, 'lgamma(10) = log 9!');
    expectNear(f32(S.lgamma, 100), 359.1342053695754, tol, 'lgamma(100)');
    expectNear(f32(S.lgamma, -0.5), Math.log(2 * Math.sqrt(Math.PI)), tol, 'lgamma(-1/2) = log 2√π');
    expectNear(f32(S.lgamma, -1.5), Math.log((4 / 3) * Math.sqrt(Math.PI)), tol, 'lgamma(-3/2) = log (4/3)√π');
    expectNear(f32(S.lgamma, 1e-3), 6.907178885383853, tol, 'lgamma(1e-3)');
    expect(vals(S.lgamma(tensor([0, -1, -2, Infinity])))).toEqual([Infinity, Infinity, Infinity, Infinity]);
    expect(S.lgamma(tensor([NaN])).item()).toBeNaN();
  });

  it('digamma', () => {
    expectNear(f32(S.digamma, 1), -EULER_GAMMA, tol, 'ψ(1) = -γ');
    expectNear(f32(S.digamma, 0.5), -EULER_GAMMA - 2 * Math.LN2, tol, 'ψ(1/2) = -γ - 2 log 2');
    expectNear(f32(S.digamma, 2), 1 - EULER_GAMMA, tol, 'ψ(2) = 1 - γ');
    expectNear(f32(S.digamma, 10), 2.251752589066721, tol, 'ψ(10)');
    expectNear(f32(S.digamma, -0.5), 0.03648997397857652, tol, 'ψ(-1/2) = ψ(1/2) + 2');
    expect(vals(S.digamma(tensor([0, -1, -3])))).toEqual([NaN, NaN, NaN]);
  });

  it('polygamma', () => {
    expectNear(
      f32((x) => S.polygamma(1, x), 1),
      Math.PI ** 2 / 6,
      tol,
      'ψ1(1) = π²/6',
    );
    expectNear(
      f32((x) => S.polygamma(1, x), 0.5),
      Math.PI ** 2 / 2,
      tol,
      'ψ1(1/2) = π²/2',
    );
    expectNear(
      f32((x) => S.polygamma(2, x), 1),
      -2 * 1.2020569031595942,
      tol,
      'ψ2(1) = -2ζ(3)',
    );
    expectNear(
      f32((x) => S.polygamma(3, x), 1),
      Math.PI ** 4 / 15,
      tol,
      'ψ3(1) = π⁴/15',
    );
    expectNear(
      f32((x) => S.polygamma(1, x), 100),
      0.010050166663333571,
      tol,
      'ψ1(100)',
    );
    expectNear(
      f32((x) => S.polygamma(0, x), 1),
      -EULER_GAMMA,
      tol,
      'polygamma(0, ·) is digamma',
    );
    expect(S.polygamma(1, tensor([Infinity])).item()).toBe(0);
  });

  // x = i/32 and x+1 are exact in float32, so the identities hold up to output rounding only.
  const exactX = fc.integer({ min: 2, max: 640 }).map((i) => i / 32);

  it('lgamma(x+1) = lgamma(x) + log x', () => {
    fc.assert(
      fc.property(exactX, (x) => {
        const [a, b] = vals(S.lgamma(tensor([x, x + 1])));
        expectNear(b, a + Math.log(x), { rtol: 1e-6, atol: 4e-7 * (1 + Math.abs(a)) });
      }),
      RUNS,
    );
  });

  it('ψ(x+1) = ψ(x) + 1/x and ψ(1-x) - ψ(x) = π cot(πx)', () => {
    fc.assert(
      fc.property(exactX, (x) => {
        const [a, b] = vals(S.digamma(tensor([x, x + 1])));
        expectNear(b, a + 1 / x, { rtol: 1e-6, atol: 4e-7 * (1 + Math.abs(a) + 1 / x) });
        if (!Number.isInteger(x)) {
          const [p, q] = vals(S.digamma(tensor([x, 1 - x])));
          const cot = Math.PI / Math.tan(Math.PI * x);
          expectNear(q - p, cot, { rtol: 1e-5, atol: 1e-6 * (1 + Math.abs(p) + Math.abs(q)) });
        }
      }),
      RUNS,
    );
  });

  it('ψ⁽ⁿ⁾(x+1) = ψ⁽ⁿ⁾(x) + (-1)^n n! / x^(n+1)', () => {
    fc.assert(
      fc.property(exactX, fc.integer({ min: 1, max: 4 }), (x, n) => {
        const [a, b] = vals(S.polygamma(n, tensor([x, x + 1])));
        let fact = 1;
        for (let i = 2; i <= n; i++) fact *= i;
        const step = ((n % 2 === 0 ? 1 : -1) * fact) / x ** (n + 1);
        expectNear(b, a + step, { rtol: 1e-5, atol: 1e-6 * (Math.abs(a) + Math.abs(step)) });
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Binary with broadcasting

interface BinaryCase {
  name: string;
  f: (a: TensorLike, b: TensorLike) => Tensor;
  ref: (a: number, b: number) => number;
  a?: (n: number) => fc.Arbitrary<Float32Array>;
  b?: (n: number) => fc.Arbitrary<Float32Array>;
}

const withTies = (n: number): fc.Arbitrary<Float32Array> => fc.oneof(valuesArb(n), smallIntValuesArb(n));

const binaryCases: BinaryCase[] = [
  { name: 'add', f: S.add, ref: (a, b) => a + b },
  { name: 'sub', f: S.sub, ref: (a, b) => a - b },
  { name: 'mul', f: S.mul, ref: (a, b) => a * b },
  // zeros in the divisor give ±Infinity and NaN, the same in both implementations
  { name: 'div', f: S.div, ref: (a, b) => a / b, b: withTies },
  {
    name: 'pow',
    f: S.pow,
    ref: Math.pow,
    a: (n) => valuesArb(n, { min: 0, max: 5 }),
    b: (n) => valuesArb(n, { min: -4, max: 4 }),
  },
  { name: 'pow (negative base, integer exponent)', f: S.pow, ref: Math.pow, b: (n) => smallIntValuesArb(n, -3, 3) },
  { name: 'maximum', f: S.maximum, ref: R.scalar.maximum, a: withTies, b: withTies },
  { name: 'minimum', f: S.minimum, ref: R.scalar.minimum, a: withTies, b: withTies },
  { name: 'lt', f: S.lt, ref: (a, b) => +(a < b), a: withTies, b: withTies },
  { name: 'le', f: S.le, ref: (a, b) => +(a <= b), a: withTies, b: withTies },
  { name: 'gt', f: S.gt, ref: (a, b) => +(a > b), a: withTies, b: withTies },
  { name: 'ge', f: S.ge, ref: (a, b) => +(a >= b), a: withTies, b: withTies },
  { name: 'eq', f: S.eq, ref: (a, b) => +(a === b), a: withTies, b: withTies },
  { name: 'ne', f: S.ne, ref: (a, b) => +(a !== b), a: withTies, b: withTies },
  {
    name: 'logaddexp',
    f: S.logaddexp,
    ref: (a, b) => R.reducers.logsumexp([a, b]),
    a: (n) => valuesArb(n, { min: -100, max: 100 }),
  },
];

/** Two arrays of broadcast-compatible shapes. */
function pairArb(
  a: (n: number) => fc.Arbitrary<Float32Array>,
  b: (n: number) => fc.Arbitrary<Float32Array>,
): fc.Arbitrary<[Drawn, Drawn]> {
  return broadcastPairArb({ maxRank: 4, maxDim: 3 }).chain(([sa, sb]) =>
    fc.tuple(arrayArb(fc.constant(sa), a), arrayArb(fc.constant(sb), b)),
  );
}

describe('binary ops broadcast and match the reference', () => {
  for (const c of binaryCases) {
    it(c.name, () => {
      fc.assert(
        fc.property(pairArb(c.a ?? ((n) => valuesArb(n)), c.b ?? ((n) => valuesArb(n))), ([da, db]) => {
          const [a, ra] = both(da);
          const [b, rb] = both(db);
          // logaddexp is a composite of float32 ops: its absolute error scales with the inputs
          const atol =
            c.name === 'logaddexp' ? 1e-6 * (1 + Math.max(...ra.data.map(Math.abs), ...rb.data.map(Math.abs))) : 0;
          expectClose(c.f(a, b), R.zip(ra, rb, c.ref), { atol }, c.name);
        }),
        RUNS,
      );
    });
  }

  it('take plain numbers on either side', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(S.sub(x, 1).toArray()).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(S.sub(10, x).toArray()).toEqual([
      [9, 8],
      [7, 6],
    ]);
    expect(S.div(1, tensor([2, 4])).toArray()).toEqual([0.5, 0.25]);
    expect(S.pow(2, tensor([0, 3, -1])).toArray()).toEqual([1, 8, 0.5]);
    expect(S.pow(tensor([3]), 2).toArray()).toEqual([9]);
    expect(S.gt(x, 2).toArray()).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(S.add(1, 2).shape).toEqual([]);
    expect(S.add(1, 2).item()).toBe(3);
  });

  it('broadcast a row against a column (hand-checked)', () => {
    const col = tensor([[1], [2], [3]]);
    const row = tensor([10, 20]);
    expect(S.add(col, row).toArray()).toEqual([
      [11, 21],
      [12, 22],
      [13, 23],
    ]);
    expect(S.mul(row, col).toArray()).toEqual([
      [10, 20],
      [20, 40],
      [30, 60],
    ]);
    expect(S.sub(row, col).shape).toEqual([3, 2]);
    expect(S.add(tensor([[1, 2, 3]]), S.zeros([0, 3])).shape).toEqual([0, 3]);
  });

  it('pow edge cases follow Math.pow', () => {
    expect(vals(S.pow(tensor([-2, -8, 0, 0, 4]), tensor([3, 1 / 3, 0, -1, 0.5])))).toEqual([-8, NaN, 1, Infinity, 2]);
  });

  it('comparisons with NaN are false except ne', () => {
    const n = tensor([NaN]);
    for (const f of [S.lt, S.le, S.gt, S.ge, S.eq]) expect(f(n, n).item()).toBe(0);
    expect(S.ne(n, n).item()).toBe(1);
    expect(S.eq(tensor([-0]), tensor([0])).item()).toBe(1);
  });
});

describe('where and clip', () => {
  it('where(cond, a, b) broadcasts all three', () => {
    const tripleArb = broadcastPairArb({ maxRank: 3, maxDim: 3 }).chain(([s1, s2]) =>
      fc.tuple(
        arrayArb(fc.constant(s1), (n) => smallIntValuesArb(n, -1, 1)),
        arrayArb(fc.constant(s2)),
        // the third shape is s1 or s2 with leading dims dropped
        fc
          .constantFrom(s1, s2)
          .chain((s3) => fc.integer({ min: 0, max: s3.length }).chain((k) => arrayArb(fc.constant(s3.slice(k))))),
      ),
    );
    fc.assert(
      fc.property(tripleArb, ([dc, da, db]) => {
        const [c, rc] = both(dc);
        const [a, ra] = both(da);
        const [b, rb] = both(db);
        expectClose(S.where(c, a, b), R.where(rc, ra, rb), {}, 'where');
      }),
      RUNS,
    );
  });

  it('where treats any nonzero condition as true and takes numbers', () => {
    expect(S.where(tensor([0, 0.5, -2, 0]), tensor([1, 2, 3, 4]), 9).toArray()).toEqual([9, 2, 3, 9]);
    expect(S.where(1, tensor([1, 2]), tensor([[5], [6]])).toArray()).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(vals(S.where(tensor([1, 0]), tensor([Infinity, Infinity]), tensor([NaN, 3])))).toEqual([Infinity, 3]);
  });

  it('clip limits to [lo, hi] with broadcasting bounds', () => {
    fc.assert(
      fc.property(
        pairArb(
          (n) => valuesArb(n),
          (n) => valuesArb(n, { min: -5, max: 0 }),
        ),
        fc.float({ min: 0, max: 5, noNaN: true }),
        ([dx, dlo], hi) => {
          const [x, rx] = both(dx);
          const [lo, rlo] = both(dlo);
          const expected = R.map(R.zip(rx, rlo, R.scalar.maximum), (v) => R.scalar.minimum(v, hi));
          expectClose(S.clip(x, lo, hi), expected, {}, 'clip');
        },
      ),
      RUNS,
    );
    expect(vals(S.clip(tensor([-5, 0.5, 5, NaN]), 0, 1))).toEqual([0, 0.5, 1, NaN]);
  });
});

// ---------------------------------------------------------------------------------------------
// Numerical stability and NaN

describe('numerical stability', () => {
  it('softplus, sigmoid, logSigmoid at ±1e4 are finite and correct', () => {
    expect(vals(S.softplus(tensor([1e4, -1e4])))).toEqual([1e4, 0]);
    expect(vals(S.sigmoid(tensor([1e4, -1e4])))).toEqual([1, 0]);
    expect(vals(S.logSigmoid(tensor([-1e4, 1e4])))).toEqual([-1e4, -0]);
    expect(vals(S.logSigmoid(tensor([-1e4])))).toEqual([-1e4]);
    // far tails, where the naive formulas would overflow or round to log(0)
    expectNear(S.softplus(tensor([-80])).item(), Math.exp(-80), { rtol: 1e-6 });
    expectNear(S.sigmoid(tensor([-80])).item(), Math.exp(-80), { rtol: 1e-6 });
    expectNear(S.logSigmoid(tensor([80])).item(), -Math.exp(-80), { rtol: 1e-6 });
    expectNear(S.softplus(tensor([90])).item(), 90, { rtol: 1e-7 });
    expect(vals(S.softplus(tensor([Infinity, -Infinity])))).toEqual([Infinity, 0]);
    expect(vals(S.sigmoid(tensor([Infinity, -Infinity])))).toEqual([1, 0]);
  });

  it('log1p and expm1 are accurate for tiny arguments', () => {
    expectNear(S.log1p(tensor([1e-10])).item(), 1e-10, { rtol: 1e-6 });
    expectNear(S.expm1(tensor([1e-10])).item(), 1e-10, { rtol: 1e-6 });
    expectNear(S.log1p(tensor([-1e-10])).item(), -1e-10, { rtol: 1e-6 });
    expect(S.log1p(tensor([-1])).item()).toBe(-Infinity);
  });

  it('NaN propagates through maximum, minimum, clip and relu', () => {
    expect(vals(S.maximum(tensor([NaN, 1, 2]), tensor([0, NaN, 1])))).toEqual([NaN, NaN, 2]);
    expect(vals(S.minimum(tensor([NaN, 1, 2]), tensor([0, NaN, 1])))).toEqual([NaN, NaN, 1]);
    expect(vals(S.maximum(tensor([NaN, 3]), -Infinity))).toEqual([NaN, 3]);
    expect(vals(S.relu(tensor([NaN, -Infinity, Infinity])))).toEqual([NaN, 0, Infinity]);
    expect(vals(S.add(tensor([NaN]), 1))).toEqual([NaN]);
  });

  it('logaddexp handles infinities without NaN', () => {
    expect(
      vals(S.logaddexp(tensor([-Infinity, Infinity, -Infinity, 1e30]), tensor([-Infinity, Infinity, 0, 1e30]))),
    ).toEqual([-Infinity, Infinity, 0, 1e30].map(Math.fround));
    expectNear(S.logaddexp(tensor([1e4]), tensor([1e4])).item(), 1e4 + Math.LN2, { rtol: 1e-7 });
  });
});

// ---------------------------------------------------------------------------------------------
// Method aliases

describe('Tensor methods are the functions', () => {
  it('every method gives the same result as its function', () => {
    const x = tensor([
      [0.5, -1.25, 2],
      [3, -0.75, 1.5],
    ]);
    const y = tensor([[1.5, 2, -0.5]]);
    const p = tensor([
      [0.5, 1.25, 2],
      [3, 0.75, 1.5],
    ]);
    const pairs: [string, Tensor, Tensor][] = [
      ['add', x.add(y), S.add(x, y)],
      ['sub', x.sub(2), S.sub(x, 2)],
      ['mul', x.mul(y), S.mul(x, y)],
      ['div', x.div(y), S.div(x, y)],
      ['pow', p.pow(y), S.pow(p, y)],
      ['maximum', x.maximum(y), S.maximum(x, y)],
      ['minimum', x.minimum(y), S.minimum(x, y)],
      ['lt', x.lt(y), S.lt(x, y)],
      ['le', x.le(y), S.le(x, y)],
      ['gt', x.gt(y), S.gt(x, y)],
      ['ge', x.ge(y), S.ge(x, y)],
      ['eq', x.eq(3), S.eq(x, 3)],
      ['ne', x.ne(3), S.ne(x, 3)],
      ['neg', x.neg(), S.neg(x)],
      ['exp', x.exp(), S.exp(x)],
      ['log', p.log(), S.log(p)],
      ['log1p', p.log1p(), S.log1p(p)],
      ['expm1', x.expm1(), S.expm1(x)],
      ['sqrt', p.sqrt(), S.sqrt(p)],
      ['square', x.square(), S.square(x)],
      ['abs', x.abs(), S.abs(x)],
      ['sign', x.sign(), S.sign(x)],
      ['sin', x.sin(), S.sin(x)],
      ['cos', x.cos(), S.cos(x)],
      ['tanh', x.tanh(), S.tanh(x)],
      ['sigmoid', x.sigmoid(), S.sigmoid(x)],
      ['logSigmoid', x.logSigmoid(), S.logSigmoid(x)],
      ['softplus', x.softplus(), S.softplus(x)],
      ['relu', x.relu(), S.relu(x)],
      ['lgamma', p.lgamma(), S.lgamma(p)],
      ['digamma', p.digamma(), S.digamma(p)],
      ['clip', x.clip(-1, 1), S.clip(x, -1, 1)],
      ['sum', x.sum(1, true), S.sum(x, 1, true)],
      ['mean', x.mean(0), S.mean(x, 0)],
      ['max', x.max(-1), S.max(x, -1)],
      ['min', x.min(), S.min(x)],
      ['logsumexp', x.logsumexp(0, true), S.logsumexp(x, 0, true)],
      ['softmax', x.softmax(0), S.softmax(x, 0)],
      ['logSoftmax', x.logSoftmax(), S.logSoftmax(x)],
      ['cumsum', x.cumsum(1, true), S.cumsum(x, 1, true)],
      ['matmul', x.matmul(y.T), S.matmul(x, S.transpose(y))],
      ['reshape', x.reshape([3, 2]), S.reshape(x, [3, 2])],
      ['transpose', x.transpose([1, 0]), S.transpose(x)],
      ['T', x.T, S.transpose(x)],
      ['expandDims', x.expandDims(1), S.expandDims(x, 1)],
      ['squeeze', y.squeeze(), S.squeeze(y)],
      ['broadcastTo', y.broadcastTo([2, 3]), S.broadcastTo(y, [2, 3])],
      ['slice', x.slice([0, 1], [1, null]), S.slice(x, [0, 1], [1, null])],
      ['take', x.take([1, 0], 1), S.take(x, [1, 0], 1)],
    ];
    for (const [name, m, f] of pairs) {
      expect(m.shape, name).toEqual(f.shape);
      expect(vals(m), name).toEqual(vals(f));
    }
    // and a few against literal values, so the table cannot pass if both sides are wrong alike
    expect(x.sum(1).toArray()).toEqual([1.25, 3.75]);
    expect(x.T.toArray()).toEqual([
      [0.5, 3],
      [-1.25, -0.75],
      [2, 1.5],
    ]);
    expect(x.max(-1).toArray()).toEqual([2, 3]);
    expect(x.slice([0, 1], [1, null]).toArray()).toEqual([[-1.25, 2]]);
  });

  it('scalar() results work with every binary op', () => {
    expect(S.add(scalar(2), tensor([1, 2])).toArray()).toEqual([3, 4]);
  });
});
