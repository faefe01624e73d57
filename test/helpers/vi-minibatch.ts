/**
 * Minibatch unbiasedness harness for local-latent models (docs/estimator-math.md §1.4, §6.8; types.ts `datasetSize`).
 *
 * Model: 6 data points y_i, each with its own latent z_i ~ N(μ, 1), y_i | z_i ~ N(z_i, 1); guide
 * q(z_i) = N(loc_i, exp(logS_i)²) with per-point parameters. With fixed per-data-point draws
 * (the same draw of point i in every minibatch that contains it), the average over all C(6, 2) = 15
 * minibatches of the gradient of the scaled loss (datasetSize = 6, scale 6/2) equals the
 * full-batch gradient exactly, up to float32 rounding: each point appears in 5 of the 15 batches,
 * and 3 · 5 / 15 = 1.
 */
import { expect } from 'vitest';
import { Normal, tensor, valueAndGrad, key, type Tensor } from '../../src/index.js';
import type { Estimator, Problem } from '../../src/vi/index.js';

export const Y = [0.5, -1, 2, 0.3, 1.5, -0.7];

export interface Batch {
  idx: number[];
  y: Tensor;
}
export interface LocalPhi {
  loc: Tensor;
  logS: Tensor;
}
export interface LocalTheta {
  mu: Tensor;
}

export function localProblem(datasetSize?: number): Problem<LocalTheta, LocalPhi, Batch> {
  return {
    logJoint: (theta, z, x) => new Normal(theta.mu, 1).logProb(z).add(new Normal(z, 1).logProb(x.y)),
    guide: (phi, x) => new Normal(phi.loc.take(x.idx), phi.logS.take(x.idx).exp()),
    datasetSize,
  };
}

export const localParams = (): { theta: LocalTheta; phi: LocalPhi } => ({
  theta: { mu: tensor(0.2) },
  phi: { loc: tensor([0.1, -0.4, 0.9, 0.3, 0.5, -0.2]), logS: tensor([-0.3, 0.1, -0.6, 0, -0.2, 0.2]) },
});

export const batchOf = (idx: number[]): Batch => ({ idx, y: tensor(idx.map((i) => Y[i])) });

/** All 2-element subsets of {0..5}. */
export const pairs = (): number[][] => {
  const out: number[][] = [];
  for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) out.push([i, j]);
  return out;
};

/** Flat float64 gradient [dmu, dloc..., dlogS...] and the bound of one call. */
function gradOf(
  est: Estimator<any>,
  problem: Problem,
  batch: Batch,
  draws: Tensor,
  extra: object,
): { g: number[]; bound: number } {
  const { theta, phi } = localParams();
  let bound = NaN;
  const [, [gt, gp]] = valueAndGrad(
    (th: LocalTheta, ph: LocalPhi) => {
      const r = est(key(0), th, ph, batch, { problem, fixedDraws: draws, ...extra } as any);
      bound = r.bound;
      return r.loss;
    },
    [0, 1],
  )(theta, phi);
  return { g: [...gt.mu.dataSync(), ...gp.loc.dataSync(), ...gp.logS.dataSync()], bound };
}

/**
 * Average over all 15 minibatches of (gradient, bound) with datasetSize = 6 vs the full batch;
 * `draws` is [S, 6] (noise for pathwise estimators, samples for score-function ones); `extra`
 * gives per-batch extra options (e.g. a baseline for the batch). datasetSize null: no scaling
 * (the negative control).
 */
export function minibatchAverage(
  est: Estimator<any>,
  draws: Tensor,
  options: (idx: number[]) => object,
  datasetSize: number | null = 6,
) {
  const all = [0, 1, 2, 3, 4, 5];
  const full = gradOf(est, localProblem(), batchOf(all), draws, options(all));
  const ps = pairs();
  const avg = new Float64Array(full.g.length);
  let avgBound = 0;
  for (const idx of ps) {
    const r = gradOf(est, localProblem(datasetSize ?? undefined), batchOf(idx), draws.take(idx, 1), options(idx));
    r.g.forEach((v, i) => (avg[i] += v / ps.length));
    avgBound += r.bound / ps.length;
  }
  return { full, avg: Array.from(avg), avgBound };
}

/** |a − b| ≤ tol · max(1, |b|) elementwise. */
export function expectAllClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, label: string): void {
  expect(a.length, label).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(Math.abs(a[i] - b[i]), `${label}[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(b[i])),
    );
  }
}

export function notAllClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > tol * Math.max(1, Math.abs(b[i]))) return true;
  return false;
}
