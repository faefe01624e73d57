/**
 * Pieces shared by the estimators: checking and evaluating log weights, turning per-data-point
 * surrogates into the scaled scalar loss, and attaching estimator metadata.
 */
import { fail } from '../errors.js';
import { stopGradient } from '../autodiff/custom.js';
import type { Distribution } from '../dist/distribution.js';
import { shapeSize, shapesEqual, shapeToString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { PRNGKey } from '../random/key.js';
import type { EstimatorInfo, Problem } from './types.js';

/**
 * Default cap on the values one estimator call may draw (samples × batch × event float32 values):
 * 2^28 values = 1 GiB. The whole call needs a small multiple of this (the autodiff graph keeps a few
 * tensors of the draws' size), so a request above it is refused before anything is allocated rather
 * than left to grow until the process is killed. Raise it per call with `options.maxDrawElements`.
 */
export const DEFAULT_MAX_DRAW_ELEMENTS = 2 ** 28;

/** A byte count for messages: 8 GiB, 48 MiB, 12 B. */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ];
  for (const [unit, size] of units) {
    if (bytes >= size) return `${Number((bytes / size).toPrecision(3))} ${unit}`;
  }
  return `${bytes} B`;
}

/** Check `options.maxDrawElements` (a positive integer, default DEFAULT_MAX_DRAW_ELEMENTS). */
export function drawElementLimit(op: string, limit: number | undefined): number {
  const m = limit ?? DEFAULT_MAX_DRAW_ELEMENTS;
  if (!Number.isSafeInteger(m) || m < 1) fail(op, `maxDrawElements must be a positive integer, got ${String(limit)}`);
  return m;
}

/**
 * Check the sample count an estimator needs and, given the guide, that its draws
 * [samples, ...batch, ...event] fit in the draw limit (see DEFAULT_MAX_DRAW_ELEMENTS).
 */
export function checkSampleCount(
  op: string,
  samples: number,
  min: number,
  q?: Distribution,
  maxDrawElements?: number,
): void {
  if (!Number.isInteger(samples) || samples < min) {
    fail(
      op,
      `samples must be an integer >= ${min}, got ` +
        `${samples}${min >= 2 ? ' (leave-one-out constructions need at least 2)' : ''}`,
    );
  }
  if (q === undefined) return;
  const limit = drawElementLimit(op, maxDrawElements);
  const shape = q.shape([samples]);
  const size = shapeSize(shape);
  if (size > limit) {
    fail(
      op,
      `samples = ${samples} would draw ${size} float32 values (${formatBytes(4 * size)}) ` +
        `of shape ${shapeToString(shape)}, more than the limit of ${limit} (${formatBytes(4 * limit)}); ` +
        'use fewer samples or a smaller batch, or raise options.maxDrawElements',
    );
  }
}

/** log p_θ(x, z), checked to have shape [S, ...q.batchShape]. */
export function logJointOf(
  op: string,
  problem: Problem,
  theta: unknown,
  z: Tensor,
  x: unknown,
  q: Distribution,
): Tensor {
  const lp = problem.logJoint(theta, z, x);
  const expected = [z.shape[0], ...q.batchShape];
  if (!shapesEqual(lp.shape, expected)) {
    fail(
      op,
      `logJoint returned shape ${shapeToString(lp.shape)} for z of shape ${shapeToString(z.shape)}; expected ` +
        `[samples, ...guide batch shape] = ${shapeToString(expected)}`,
    );
  }
  return lp;
}

/** Check fixed draws (samples) have the shape [S, ...batch, ...event]. */
export function checkDraws(op: string, z: Tensor, samples: number, q: Distribution): void {
  const expected = q.shape([samples]);
  if (!shapesEqual(z.shape, expected)) {
    fail(
      op,
      `fixedDraws of shape ${shapeToString(z.shape)} do not match [samples, ...batch, ...event] = ` +
        `${shapeToString(expected)}`,
    );
  }
}

/**
 * Pathwise draws for a reparameterized estimator: q.rsample, or q.fromNoise(fixedDraws) when
 * fixed noise is given (its leading axis must be the sample axis).
 */
export function pathwiseDraws(
  op: string,
  key: PRNGKey,
  q: Distribution,
  samples: number,
  fixedNoise: Tensor | undefined,
): Tensor {
  if (fixedNoise === undefined) return q.rsample(key, [samples]);
  if (fixedNoise.shape[0] !== samples)
    fail(op, `fixedDraws (noise) of shape ${shapeToString(fixedNoise.shape)} must have ${samples} samples on axis 0`);
  return q.fromNoise(fixedNoise);
}

/** Score-function draws: q.sample, or the given fixed samples (constants either way). */
export function scoreDraws(
  op: string,
  key: PRNGKey,
  q: Distribution,
  samples: number,
  fixed: Tensor | undefined,
): Tensor {
  if (fixed === undefined) return q.sample(key, [samples]);
  checkDraws(op, fixed, samples, q);
  return stopGradient(fixed);
}

/** Number of data points in the batch (1 for a global latent). */
export function batchSize(q: Distribution): number {
  return shapeSize(q.batchShape);
}

/** datasetSize / batchSize for minibatches, else 1. */
export function dataScale(op: string, problem: Problem, q: Distribution): number {
  if (problem.datasetSize === undefined) return 1;
  const b = batchSize(q);
  if (!Number.isInteger(problem.datasetSize) || problem.datasetSize < b) {
    fail(op, `datasetSize must be an integer >= the batch size ${b}, got ${problem.datasetSize}`);
  }
  return problem.datasetSize / b;
}

/**
 * The scalar loss from per-data-point surrogates (shape: batch): −scale · Σ_b surrogate_b.
 * Also returns the matching bound from per-data-point values.
 */
export function finish(
  op: string,
  problem: Problem,
  q: Distribution,
  surrogate: Tensor,
  values: Tensor,
): { loss: Tensor; bound: number; perDataPoint: Tensor } {
  const scale = dataScale(op, problem, q);
  const perDataPoint = stopGradient(values);
  let total = 0;
  const v = perDataPoint.dataSync();
  for (let i = 0; i < v.length; i++) total += v[i];
  return { loss: surrogate.sum().mul(-scale), bound: scale * total, perDataPoint };
}

/** Attach static metadata to an estimator function. */
export function withInfo<F extends (...args: never[]) => unknown>(
  f: F,
  info: EstimatorInfo,
): F & { info: EstimatorInfo } {
  return Object.assign(f, { info });
}
