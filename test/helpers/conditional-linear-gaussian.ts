/**
 * The linear-Gaussian VAE of the conditional-sampler tests (d = 2 latents, D = 5 dimensions, the
 * last two missing), two data points, and the checks of recorded imputations against the exact
 * p(x_m | x_o): the two means and the three covariance entries, each a plain mean of
 * f(x_m) = x_i or (x_i − μ_i)(x_j − μ_j) with the exact μ.
 */
import { tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { imputationTask, type ImputationTask } from '../../src/conditional/index.js';
import {
  biasedEncoder,
  conditionalOfMissing,
  exactEncoder,
  linearGaussianParams,
  linearGaussianVae,
  type LinearEncoder,
  type LinearGaussianDecoder,
  type LinearGaussianVaeParams,
} from '../../models/linear-gaussian-vae.js';
import { batchMeans, estimate, meanAndSe, type Estimate } from './conditional-stats.js';

export const DECODER: LinearGaussianDecoder = {
  W: [
    [1.0, 0.5],
    [-0.6, 1.2],
    [0.8, -0.4],
    [1.5, 0.3],
    [-0.7, 1.1],
  ],
  b: [0.2, -0.1, 0.3, 0.0, 0.5],
  noiseStd: [0.5, 0.6, 0.4, 0.3, 0.35],
};
export const OBSERVED = [true, true, true, false, false];
export const MISSING = [3, 4];
/** Two data points; the values at the missing positions are never read. */
export const DATA = [
  [1.2, -0.4, 0.9, 0, 0],
  [-0.8, 1.5, 0.2, 0, 0],
];

export const EXACT_ENCODER = exactEncoder(DECODER);
export const BIASED_ENCODER = biasedEncoder(DECODER);

export function params(encoder: LinearEncoder): LinearGaussianVaeParams {
  return linearGaussianParams(DECODER, encoder);
}

/** x and mask tensors for `rows` (each an index into DATA). */
export function dataTensors(rows: number[]): { x: Tensor; mask: Tensor } {
  return {
    x: tensor(rows.map((r) => DATA[r])),
    mask: tensor(rows.map(() => OBSERVED.map((o) => (o ? 1 : 0)))),
  };
}

export function task(encoder: LinearEncoder, rows: number[] = [0, 1]): ImputationTask<LinearGaussianVaeParams> {
  const { x, mask } = dataTensors(rows);
  return imputationTask(linearGaussianVae, params(encoder), x, mask);
}

type Statistic = [string, (a: number, b: number) => number, number];

/** The five statistics of data point `row` and their exact values. */
function statistics(row: number): Statistic[] {
  const { mean: m, cov } = conditionalOfMissing(DECODER, DATA[row], OBSERVED);
  return [
    ['mean x3', (a) => a, m[0]],
    ['mean x4', (_, b) => b, m[1]],
    ['var x3', (a) => (a - m[0]) ** 2, cov[0][0]],
    ['var x4', (_, b) => (b - m[1]) ** 2, cov[1][1]],
    ['cov x3 x4', (a, b) => (a - m[0]) * (b - m[1]), cov[0][1]],
  ];
}

/**
 * Estimates from chains: imputations [S, B, K, D] recorded at every iteration, the first `burnIn`
 * dropped, each chain's rest cut into `batches` batches. Data point b of the tensor is DATA[rows[b]].
 */
export function chainEstimates(imputations: Tensor, rows: number[], burnIn: number, batches: number): Estimate[] {
  const [S, B, K, D] = imputations.shape;
  const v = imputations.dataSync();
  const out: Estimate[] = [];
  for (let b = 0; b < B; b++) {
    for (const [name, f, truth] of statistics(rows[b])) {
      const trajectories: Float64Array[] = [];
      for (let k = 0; k < K; k++) {
        const traj = new Float64Array(S - burnIn);
        for (let s = burnIn; s < S; s++) {
          const at = ((s * B + b) * K + k) * D;
          traj[s - burnIn] = f(v[at + MISSING[0]], v[at + MISSING[1]]);
        }
        trajectories.push(traj);
      }
      out.push(estimate(`point ${rows[b]} ${name}`, batchMeans(trajectories, batches), truth));
    }
  }
  return out;
}

/**
 * Estimates from independent replicas: samples [B, M, D], where data points b of the tensor are
 * DATA[rows[b]] and each is one independent run; the estimate of a replica is its mean over M, and
 * the replicas of the same data point give the standard error.
 */
export function replicaEstimates(samples: Tensor, rows: number[]): Estimate[] {
  const [B, M, D] = samples.shape;
  const v = samples.dataSync();
  const out: Estimate[] = [];
  for (const row of [...new Set(rows)]) {
    for (const [name, f, truth] of statistics(row)) {
      const perReplica: number[] = [];
      for (let b = 0; b < B; b++) {
        if (rows[b] !== row) continue;
        let s = 0;
        for (let m = 0; m < M; m++) s += f(v[(b * M + m) * D + MISSING[0]], v[(b * M + m) * D + MISSING[1]]);
        perReplica.push(s / M);
      }
      out.push(estimate(`point ${row} ${name}`, meanAndSe(perReplica), truth));
    }
  }
  return out;
}
