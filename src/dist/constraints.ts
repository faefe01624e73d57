/**
 * Supports (constraints on values) and parameter checks.
 *
 * A Constraint describes a set of values: `check(x)` returns 1 where an event of x lies in the set
 * and 0 elsewhere, with shape x.shape minus the constraint's `eventRank` trailing axes (a simplex
 * is checked per vector, a positive number per element). Checks never carry a gradient.
 *
 * Parameter validation (`checkValues`, ...) reads concrete values and throws a SieveError naming
 * the distribution, the parameter, and the first offending value with its index:
 * `Gamma: rate must be > 0, got -1 at index [1,0]`.
 */
import { fail } from '../errors.js';
import { asTensor } from '../tensor/creation.js';
import { abs, eq, ge, gt, isFinite as isFiniteMask, le, min, sum } from '../tensor/ops/index.js';
import { and, isIntegerMask } from './util.js';
import { stridesOf, type Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';

export class Constraint {
  constructor(
    /** Human-readable description, e.g. "positive" or "integer interval [0, 4]". */
    readonly name: string,
    /** Number of trailing axes that form one value (0 for scalars, 1 for vectors). */
    readonly eventRank: number,
    /** True for sets of integers (or one-hot vectors): no density, no pathwise gradients. */
    readonly discrete: boolean,
    private readonly test: (x: Tensor) => Tensor,
  ) {}

  /** 1 where the value (an event of `eventRank` trailing axes) is in the set, else 0. No gradient. */
  check(x: TensorLike): Tensor {
    const t = asTensor(x).primal();
    if (t.ndim < this.eventRank)
      fail(
        'Constraint.check',
        `${this.name} needs values with at least ${this.eventRank} dimension(s), got shape [${t.shape.join(',')}]`,
      );
    return this.test(t);
  }

  toString(): string {
    return this.name;
  }
}

const isInteger = isIntegerMask;

/** Tolerance for a vector summing to 1 (simplex checks) in float32. */
const SIMPLEX_TOLERANCE = 1e-4;

export const real = new Constraint('real', 0, false, (x) => eq(x, x)); // everything but NaN
export const realVector = new Constraint('real vector', 1, false, (x) => min(eq(x, x), -1));
export const positive = new Constraint('positive', 0, false, (x) => gt(x, 0));
export const nonNegative = new Constraint('non-negative', 0, false, (x) => ge(x, 0));
export const unitInterval = new Constraint('unit interval [0, 1]', 0, false, (x) => and(ge(x, 0), le(x, 1)));
export const boolean = new Constraint('boolean {0, 1}', 0, true, (x) => and(isInteger(x), and(ge(x, 0), le(x, 1))));
export const nonNegativeInteger = new Constraint('non-negative integer', 0, true, (x) =>
  and(isInteger(x), and(ge(x, 0), isFiniteMask(x))),
);

/** Integers lo, lo+1, ..., hi. */
export function integerInterval(lo: number, hi: number): Constraint {
  return new Constraint(`integer interval [${lo}, ${hi}]`, 0, true, (x) =>
    and(isInteger(x), and(ge(x, lo), le(x, hi))),
  );
}

/** The closed interval [low, high] (bounds may be tensors that broadcast with the value). */
export function interval(low: TensorLike, high: TensorLike): Constraint {
  const lo = asTensor(low).primal();
  const hi = asTensor(high).primal();
  const show = (t: Tensor): string => (t.size === 1 ? String(t.dataSync()[0]) : 'tensor');
  return new Constraint(`interval [${show(lo)}, ${show(hi)}]`, 0, false, (x) => and(ge(x, lo), le(x, hi)));
}

/** Vectors with non-negative entries summing to 1 (within SIMPLEX_TOLERANCE). */
export const simplex = new Constraint('simplex', 1, false, (x) =>
  and(min(ge(x, 0), -1), le(abs(sum(x, -1).sub(1)), SIMPLEX_TOLERANCE)),
);

/** Vectors with one entry equal to 1 and the others 0. */
export const oneHot = new Constraint('one-hot vector', 1, true, (x) =>
  and(min(eq(x, 0).add(eq(x, 1)), -1), eq(sum(x, -1), 1)),
);

/** `base` applied to each element, with the last `n` axes reinterpreted as one event (all must pass). */
export function independent(base: Constraint, n: number): Constraint {
  if (n === 0) return base;
  const axes = Array.from({ length: n }, (_, i) => -1 - i);
  return new Constraint(
    `${base.name} (${n} more event dimension${n === 1 ? '' : 's'})`,
    base.eventRank + n,
    base.discrete,
    (x) => {
      const c = base.check(x);
      const count = axes.reduce((p, a) => p * c.shape[c.ndim + a], 1);
      return eq(sum(c, axes), count); // all n trailing axes pass
    },
  );
}

/** A constraint whose membership test is supplied by the user (for unnormalized densities). */
export function custom(name: string, eventRank: number, discrete: boolean, test: (x: Tensor) => Tensor): Constraint {
  return new Constraint(name, eventRank, discrete, test);
}

/** All constraints, for `import { constraints } from 'sieve-vi'`. */
export const constraints = {
  real,
  realVector,
  positive,
  nonNegative,
  unitInterval,
  boolean,
  nonNegativeInteger,
  integerInterval,
  interval,
  simplex,
  oneHot,
  independent,
  custom,
};

// ---------------------------------------------------------------------------------------------
// Parameter validation

/** Shortest decimal that reads back as the same float32 (so 0.1 shows as 0.1). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let digits = 1; digits < 9; digits++) {
    const s = Number(v.toPrecision(digits));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

/** " at index 3" (1-D), " at index [1,0]" (n-D), "" (scalar). */
export function formatIndex(flat: number, shape: Shape): string {
  if (shape.length === 0) return '';
  if (shape.length === 1) return ` at index ${flat}`;
  return ` at index [${stridesOf(shape)
    .map((s, d) => Math.floor(flat / s) % shape[d])
    .join(',')}]`;
}

/** Returns null if v is acceptable, else what it must be ("must be > 0"). */
export type Requirement = (v: number) => string | null;

export const req = {
  finite: ((v) => (Number.isFinite(v) ? null : 'must be finite')) as Requirement,
  positive: ((v) =>
    v > 0 && v !== Infinity ? null : v === Infinity ? 'must be finite' : 'must be > 0') as Requirement,
  probability: ((v) => (v >= 0 && v <= 1 ? null : 'must be in [0, 1]')) as Requirement,
  /** Logits may be -Infinity (probability 0) but not NaN or +Infinity. */
  logit: ((v) => (Number.isNaN(v) || v === Infinity ? 'must not be NaN or +Infinity' : null)) as Requirement,
  realLogit: ((v) => (Number.isNaN(v) ? 'must not be NaN' : null)) as Requirement,
};

/** Check every value of a parameter; throw `dist: name <problem>, got v at index i` on the first bad one. */
export function checkValues(dist: string, name: string, t: Tensor, requirement: Requirement): void {
  const data = t.dataSync();
  for (let i = 0; i < data.length; i++) {
    const problem = requirement(data[i]);
    if (problem !== null) fail(dist, `${name} ${problem}, got ${formatValue(data[i])}${formatIndex(i, t.shape)}`);
  }
}

/** Check that each vector along the last axis sums to 1 within SIMPLEX_TOLERANCE. */
export function checkSimplexRows(dist: string, name: string, t: Tensor): void {
  const data = t.dataSync();
  const k = t.shape[t.ndim - 1];
  const rows = k === 0 ? 0 : data.length / k;
  const batch = t.shape.slice(0, -1);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += data[r * k + j];
    if (!(Math.abs(s - 1) <= SIMPLEX_TOLERANCE)) {
      const where = formatIndex(r, batch).replace(' at index', ' for batch index');
      fail(dist, `${name} must sum to 1 along the last axis, got ${formatValue(Math.fround(s))}${where}`);
    }
  }
}

/** Check lower-triangular with a positive diagonal, per matrix of the last two axes. */
export function checkLowerCholesky(dist: string, name: string, t: Tensor): void {
  const data = t.dataSync();
  const n = t.shape[t.ndim - 1];
  for (let i = 0; i < data.length; i++) {
    const r = Math.floor(i / n) % n;
    const c = i % n;
    const v = data[i];
    if (c > r && v !== 0)
      fail(
        dist,
        `${name} must be lower-triangular, got ${formatValue(v)} above the diagonal${formatIndex(i, t.shape)}`,
      );
    if (c === r && !(v > 0 && v !== Infinity))
      fail(dist, `${name} must have a positive finite diagonal, got ${formatValue(v)}${formatIndex(i, t.shape)}`);
    if (c < r && !Number.isFinite(v))
      fail(dist, `${name} must be finite, got ${formatValue(v)}${formatIndex(i, t.shape)}`);
  }
}
