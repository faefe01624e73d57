/**
 * Curves of the SBN experiment across seeds and budgets: the value of a checkpoint curve at a
 * common wall-time budget, and the mean curve of several seeds with its 95% band.
 *
 * Equal wall time: every run records its test NLL at checkpoints, against the training seconds
 * spent so far (step time only; the checkpoint evaluations themselves are not counted). Every
 * method is read at the same budget T*, the training time of the shortest run, by linear
 * interpolation between the two checkpoints around T* (the value at 0 s is the untrained model's).
 */
import { fail } from '../src/errors.js';
import { acrossSeeds } from './seeds.js';

/** A curve y(x) with nondecreasing x. */
export interface Curve {
  x: number[];
  y: number[];
}

/**
 * y at x = at, linearly interpolated between the neighbouring points of a curve with nondecreasing x.
 * `at` must lie within [x[0], x[last]]: a budget beyond the run is an error, never an extrapolation.
 */
export function valueAt(curve: Curve, at: number): number {
  const op = 'valueAt';
  const { x, y } = curve;
  if (x.length === 0 || x.length !== y.length)
    fail(op, `expected a non-empty curve with as many x as y, got ${x.length} x and ${y.length} y`);
  for (let i = 1; i < x.length; i++)
    if (!(x[i] >= x[i - 1])) fail(op, `expected nondecreasing x, got x[${i - 1}] = ${x[i - 1]}, x[${i}] = ${x[i]}`);
  const last = x.length - 1;
  if (!(at >= x[0] && at <= x[last])) fail(op, `expected a point within [${x[0]}, ${x[last]}], got ${at}`);
  let i = 1;
  while (i < last && x[i] < at) i++;
  if (i > last || x[i] === x[i - 1]) return y[Math.min(i, last)];
  const t = (at - x[i - 1]) / (x[i] - x[i - 1]);
  return y[i - 1] + t * (y[i] - y[i - 1]);
}

/** The mean curve of several seeds and, with two or more, the 95% half-width across seeds at each point. */
export interface CurveAcrossSeeds extends Curve {
  band?: number[];
  /** How many seeds went in (those whose curve has as many points as the first one). */
  seeds: number;
}

/**
 * Point-by-point mean over seeds (x too: the evaluations or seconds of a point differ a little by
 * seed) and the Student-t half-width of y. Seeds are matched by point index; a seed whose curve has
 * another length (a run interrupted early) is left out rather than misaligned.
 */
export function curveAcrossSeeds(curves: readonly Curve[]): CurveAcrossSeeds {
  if (curves.length === 0) fail('curveAcrossSeeds', 'expected at least one curve, got none');
  const n = curves[0].x.length;
  const used = curves.filter((c) => c.x.length === n && c.y.length === n);
  const x: number[] = [];
  const y: number[] = [];
  const band: number[] = [];
  for (let i = 0; i < n; i++) {
    x.push(used.reduce((s, c) => s + c.x[i], 0) / used.length);
    const stats = acrossSeeds(used.map((c) => c.y[i]));
    y.push(stats.mean);
    band.push(stats.halfWidth);
  }
  return used.length > 1 ? { x, y, band, seeds: used.length } : { x, y, seeds: used.length };
}
