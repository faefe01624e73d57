/**
 * Shared pieces for the tensor forward-value tests: fast-check arbitraries for shapes
 * (including broadcast-compatible pairs and size-0 dimensions) and values, and a tolerant
 * comparison of a Sieve tensor against a float64 reference array.
 */
import fc from 'fast-check';
import { tensor, type Tensor } from '../../src/index.js';
import { arr, size, unravel, type Arr } from './reference.js';

/** fast-check settings for the property tests: enough runs to hit edge shapes, still fast. */
export const RUNS = { numRuns: 80 } as const;

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  maxDim?: number;
  /** Allow size-0 dimensions (drawn rarely). */
  allowZero?: boolean;
}

export function dimArb(maxDim = 4, allowZero = true): fc.Arbitrary<number> {
  const positive = fc.integer({ min: 1, max: maxDim });
  return allowZero ? fc.oneof({ arbitrary: positive, weight: 9 }, { arbitrary: fc.constant(0), weight: 1 }) : positive;
}

export function shapeArb({
  minRank = 0,
  maxRank = 4,
  maxDim = 4,
  allowZero = true,
}: ShapeOptions = {}): fc.Arbitrary<number[]> {
  return fc.array(dimArb(maxDim, allowZero), { minLength: minRank, maxLength: maxRank });
}

/**
 * Two broadcast-compatible shapes: draw a full shape, then derive each operand by dropping some
 * leading dimensions and replacing some of the remaining ones by 1.
 */
export function broadcastPairArb(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(opts).chain((full) => {
    const derived = fc
      .tuple(
        fc.integer({ min: 0, max: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      )
      .map(([drop, ones]) => full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    // Often keep one operand at the full shape (the common case), otherwise derive both.
    return fc.oneof(
      fc.tuple(fc.constant(full), derived),
      fc.tuple(derived, fc.constant(full)),
      fc.tuple(derived, derived),
    );
  });
}

export interface ValueOptions {
  min?: number;
  max?: number;
}

/** `n` float32 values in [min, max] (finite, no NaN; -0 and subnormals may appear). */
export function valuesArb(n: number, { min = -10, max = 10 }: ValueOptions = {}): fc.Arbitrary<Float32Array> {
  return fc.float32Array({
    minLength: n,
    maxLength: n,
    min: Math.fround(min),
    max: Math.fround(max),
    noNaN: true,
    noDefaultInfinity: true,
  });
}

/** Values drawn from a few small integers, so that ties and exact equalities are common. */
export function smallIntValuesArb(n: number, lo = -2, hi = 2): fc.Arbitrary<Float32Array> {
  return fc.array(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n }).map((a) => Float32Array.from(a));
}

export interface Drawn {
  shape: number[];
  data: Float32Array;
}

export function arrayArb(
  shape: fc.Arbitrary<number[]>,
  values: (n: number) => fc.Arbitrary<Float32Array> = (n) => valuesArb(n),
): fc.Arbitrary<Drawn> {
  return shape.chain((s) => values(size(s)).map((data) => ({ shape: s, data })));
}

/** The Sieve tensor and the float64 reference array holding the same (float32) values. */
export function both(d: Drawn): [Tensor, Arr] {
  return [tensor(d.data, d.shape), arr(d.shape, d.data)];
}

export interface Tolerance {
  /** Relative tolerance. */
  rtol?: number;
  /** Absolute tolerance (for results near 0 after cancellation). */
  atol?: number;
}

/**
 * Default tolerance. float32 has a 24-bit significand (unit roundoff 2^-24 ≈ 6e-8); an op
 * evaluated in float64 and rounded once is within 1 ulp, and short chains of float32 ops (a
 * composite like logSoftmax) within a few tens of ulps, so 1e-5 relative is comfortably loose
 * for rounding yet far tighter than any real bug (wrong index, axis, sign or formula).
 */
export const TOL: Required<Tolerance> = { rtol: 1e-5, atol: 0 };

export function close(actual: number, expected: number, { rtol = TOL.rtol, atol = TOL.atol }: Tolerance = {}): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (actual === expected) return true; // includes equal infinities
  // A float64 value beyond the float32 range legitimately becomes ±Infinity (or 0) in float32.
  if (actual === Math.fround(expected)) return true;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

/** Assert that `t` has the reference's shape and values within tolerance (throws a readable error). */
export function expectClose(t: Tensor, ref: Arr, tol: Tolerance = {}, label = ''): void {
  const where = label ? `${label}: ` : '';
  if (t.shape.length !== ref.shape.length || t.shape.some((d, i) => d !== ref.shape[i])) {
    throw new Error(`${where}shape [${t.shape}] but the reference has shape [${ref.shape}]`);
  }
  const data = t.dataSync();
  if (data.length !== ref.data.length) throw new Error(`${where}${data.length} values, expected ${ref.data.length}`);
  for (let i = 0; i < data.length; i++) {
    if (!close(data[i], ref.data[i], tol)) {
      throw new Error(
        `${where}at index [${unravel(i, ref.shape)}] of shape [${ref.shape}]: got ${data[i]}, expected ` +
          `${ref.data[i]} ` +
          `(rtol ${tol.rtol ?? TOL.rtol}, atol ${tol.atol ?? TOL.atol})`,
      );
    }
  }
}

/** Assert a scalar number against an expected value within tolerance. */
export function expectNear(actual: number, expected: number, tol: Tolerance = {}, label = ''): void {
  if (!close(actual, expected, tol)) {
    throw new Error(
      `${label ? `${label}: ` : ''}got ${actual}, expected ${expected} (rtol ${tol.rtol ?? TOL.rtol}, ` +
        `atol ${tol.atol ?? TOL.atol})`,
    );
  }
}

/** Sum of |values|: the scale of the rounding error of a sum (cancellation can make the result tiny). */
export function absSum(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += Math.abs(data[i]);
  return s;
}

export function maxAbs(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s = Math.max(s, Math.abs(data[i]));
  return s;
}
