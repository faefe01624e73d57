/**
 * Per-chain selection without leaving tensors: after a Metropolis test each chain keeps either its
 * current latent or the proposed one, and the decoder output that goes with it. Selecting the
 * decoder's parameters (instead of decoding the kept latents again) saves one decoder evaluation
 * per chain and iteration.
 */
import { fail } from '../errors.js';
import type { Distribution } from '../dist/distribution.js';
import { shapeToString } from '../tensor/shape.js';
import { treeMap } from '../autodiff/tree.js';
import { where } from '../tensor/ops/index.js';
import { Tensor } from '../tensor/tensor.js';

/** A [B, N, 1, ..., 1] condition tensor (1 = take the first argument) for `rank`-dimensional values. */
function condition(take: Uint8Array, batch: number, n: number, rank: number): Tensor {
  return Tensor.fromData(Float32Array.from(take), [batch, n, ...new Array(Math.max(rank - 2, 0)).fill(1)]);
}

/** Per chain (b, n): `a` where take[b·N + n] is 1, else `b`; both [B, N, ...]. */
export function selectChains(take: Uint8Array, a: Tensor, b: Tensor): Tensor {
  return where(condition(take, a.shape[0], a.shape[1], a.ndim), a, b);
}

/**
 * Per chain: the distribution `a` where take is 1, else `b`. Both are the same family with batch
 * [B, N, ...] (e.g. the decoder at the proposed and at the current latents); their parameters are
 * selected with `where`, which broadcasts parameters shared by all chains.
 */
export function selectDistributions<T extends Distribution>(take: Uint8Array, a: T, b: T): T {
  const [B, N] = a.batchShape;
  const cond = condition(take, B, N, a.batchShape.length + a.eventShape.length);
  return a.withParams(treeMap((pa: Tensor, pb: Tensor) => where(cond, pa, pb), a.params, b.params));
}

/** Rows of t [B, N, ...rest] picked per data point: out[b, m] = t[b, index[b·M + m]], shape [B, M, ...rest]. */
export function gatherRows(t: Tensor, index: Int32Array, m: number): Tensor {
  const [B, N] = t.shape;
  const rest = t.shape.slice(2);
  let size = 1;
  for (const s of rest) size *= s;
  const src = t.dataSync();
  const out = new Float32Array(B * m * size);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < m; j++) {
      const from = (b * N + index[b * m + j]) * size;
      out.set(src.subarray(from, from + size), (b * m + j) * size);
    }
  }
  return Tensor.fromData(out, [B, m, ...rest]);
}

/**
 * The distribution at picked rows: a distribution of batch [B, N, ...] (e.g. the decoder at N
 * proposals) → batch [B, M, ...] with row m of data point b taken from row index[b·M + m].
 * Parameters with the full [B or 1, N, ...] leading axes are gathered; parameters broadcast along
 * the row axis (fewer axes than the batch shape, or size 1 on it) are shared by every row and kept.
 */
export function gatherDistribution<T extends Distribution>(dist: T, index: Int32Array, m: number): T {
  const [B, N] = dist.batchShape;
  const rank = dist.batchShape.length;
  const pick = (p: Tensor): Tensor => {
    if (p.ndim < rank || p.shape[1] === 1) return p;
    if (p.shape[1] !== N || (p.shape[0] !== B && p.shape[0] !== 1)) {
      fail(
        'gatherDistribution',
        `cannot align parameter of shape ${shapeToString(p.shape)} with batch shape ` +
          `${shapeToString(dist.batchShape)} of ${dist.name}`,
      );
    }
    return gatherRows(p.broadcastTo([B, N, ...p.shape.slice(2)]), index, m);
  };
  return dist.withParams(treeMap(pick, dist.params));
}
