/**
 * The two targets of the samplers, and how imputations are put into complete vectors.
 *
 * The decoder factorizes over dimensions, so log p(x_o | z) is the sum of the per-dimension
 * log-likelihoods over the observed dimensions only (Simkus & Gutmann 2023; imputed values must never enter
 * p(x_o | z) in AC-MWG or LAIR). `where` rather than a multiplication by the mask, so that a -inf
 * or NaN log-likelihood of a missing entry can never turn the sum into NaN.
 *
 *   collapsed target  log p(x_o | z) + log p(z)      AC-MWG and LAIR (x_m marginalized)
 *   full target       log p(x̃ | z) + log p(z)        MWG (all dimensions, imputed ones included)
 */
import type { Distribution } from '../dist/distribution.js';
import { where } from '../tensor/ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import type { ImputationTask } from './types.js';

/** The task's data and mask shaped [B, 1, ..., 1, D] to broadcast against [B, N, ..., D]. */
function broadcastable(task: ImputationTask, t: Tensor, rank: number): Tensor {
  return t.reshape([task.batch, ...new Array(rank - 2).fill(1), task.dims]);
}

/** Σ over observed d of log p(x_d | z): decoded has batch [B, ..., D]; result [B, ...] in float64. */
export function observedLogLikelihood(task: ImputationTask, decoded: Distribution): Float64Array {
  const rank = decoded.batchShape.length;
  const perDim = decoded.logProb(broadcastable(task, task.x, rank));
  const observed = where(broadcastable(task, task.mask, rank), perDim, 0);
  return sumLastAxis(observed);
}

/** Σ over all d of log p(x̃_d | z) for complete vectors x̃ of the decoder's batch shape, in float64. */
export function fullLogLikelihood(decoded: Distribution, xFull: Tensor): Float64Array {
  return sumLastAxis(decoded.logProb(xFull));
}

/** Sum over the last axis in float64 (per-dimension terms of one data vector). */
export function sumLastAxis(t: Tensor): Float64Array {
  const d = t.dataSync();
  const n = t.shape[t.ndim - 1];
  const out = new Float64Array(d.length / n);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += d[i * n + j];
    out[i] = s;
  }
  return out;
}

/** A tensor's values in float64. */
export function toFloat64(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync());
}

/**
 * Complete vectors [B, N, D]: the observed entries copied from the task's data, the missing ones
 * from `imputed` [B, N, D] (a copy, not arithmetic, so observed values stay bit-identical).
 */
export function fillMissing(task: ImputationTask, imputed: Tensor): Tensor {
  const [B, N, D] = imputed.shape;
  const src = imputed.dataSync();
  const x = task.x.dataSync();
  const m = task.mask.dataSync();
  const out = new Float32Array(src.length);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      const row = (b * N + n) * D;
      for (let d = 0; d < D; d++) out[row + d] = m[b * D + d] === 1 ? x[b * D + d] : src[row + d];
    }
  }
  return Tensor.fromData(out, [B, N, D]);
}

/** The task's data repeated for N chains, [B, N, D] (missing entries 0), as a starting point. */
export function repeatData(task: ImputationTask, n: number): Tensor {
  return task.x.reshape([task.batch, 1, task.dims]).broadcastTo([task.batch, n, task.dims]);
}
