/**
 * Pseudo-Gibbs (docs/estimator-math.md §7.2), the baseline: alternate z ~ q(z | x_o, x̃_m) and x̃_m ~ p(x_m | z).
 * Exact only if the encoder equals the true posterior p(z | x); otherwise it samples from some
 * other distribution, and it can drift or diverge. As in the reference code, imputations can be
 * clipped (mode 'batch': per dimension to [2·min(0, min x_o), 2·max(0, max x_o)] over the
 * batch's observed values) and non-finite imputations are then replaced by the previous value.
 */
import { fail } from '../errors.js';
import { split, type PRNGKey } from '../random/key.js';
import { Tensor } from '../tensor/tensor.js';
import { decode, encode } from './task.js';
import { fillMissing } from './likelihood.js';
import type { ImputationTask } from './types.js';

export interface PseudoGibbsState {
  /** Complete vectors [B, K, D]. */
  imputations: Tensor;
  /** The latents that produced them [B, K, ...latent] (null before the first step). */
  latents: Tensor | null;
}

/** false: no clipping; 'batch': the reference code's bounds from the observed data; or bounds per dimension. */
export type ClipOption = false | 'batch' | { min: ArrayLike<number>; max: ArrayLike<number> };

export interface ClipBounds {
  lo: Float64Array;
  hi: Float64Array;
}

/** The clipping bounds per dimension, or null for no clipping. */
export function clipBounds(task: ImputationTask, clip: ClipOption): ClipBounds | null {
  const D = task.dims;
  if (clip === false) return null;
  if (clip === 'batch') {
    // The reference code multiplies by the mask (missing → 0) before min and max, hence the 0.
    const lo = new Float64Array(D);
    const hi = new Float64Array(D);
    const x = task.x.dataSync();
    for (let i = 0; i < x.length; i++) {
      lo[i % D] = Math.min(lo[i % D], 2 * x[i]);
      hi[i % D] = Math.max(hi[i % D], 2 * x[i]);
    }
    return { lo, hi };
  }
  if (clip === null || typeof clip !== 'object' || clip.min?.length !== D || clip.max?.length !== D) {
    fail(
      'pseudoGibbs',
      `clip must be false, 'batch' or { min, max } with ${D} values each, ` + `got ${JSON.stringify(clip)}`,
    );
  }
  const lo = Float64Array.from(clip.min);
  const hi = Float64Array.from(clip.max);
  for (let d = 0; d < D; d++) {
    if (!(lo[d] <= hi[d])) fail('pseudoGibbs', `clip.min[${d}] = ${lo[d]} must be ≤ clip.max[${d}] = ${hi[d]}`);
  }
  return { lo, hi };
}

/** Clamp new imputations into the bounds; non-finite ones keep the previous value. */
function clamp(next: Tensor, previous: Tensor, bounds: ClipBounds): Tensor {
  const v = next.dataSync();
  const prev = previous.dataSync();
  const D = bounds.lo.length;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const d = i % D;
    out[i] = !Number.isFinite(v[i]) ? prev[i] : Math.min(Math.max(v[i], bounds.lo[d]), bounds.hi[d]);
  }
  return Tensor.fromData(out, next.shape.slice());
}

export interface PseudoGibbsStepResult {
  state: PseudoGibbsState;
  decoderEvaluations: number;
}

/** One pseudo-Gibbs iteration for every chain: z ~ q(z | x̃), then the missing entries ~ p(x_m | z). */
export function pseudoGibbsStep(
  key: PRNGKey,
  task: ImputationTask,
  state: PseudoGibbsState,
  clip: ClipBounds | null = null,
): PseudoGibbsStepResult {
  const [kz, kx] = split(key, 2);
  const z = encode(task, state.imputations).sample(kz);
  const drawn = decode(task, z).sample(kx);
  const imputations = fillMissing(task, clip === null ? drawn : clamp(drawn, state.imputations, clip));
  return { state: { imputations, latents: z }, decoderEvaluations: z.shape[0] * z.shape[1] };
}
