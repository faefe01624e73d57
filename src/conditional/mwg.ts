/**
 * Metropolis-within-Gibbs, MWG (docs/estimator-math.md §7.3), the exact but sticky baseline. Each chain holds a
 * latent z and a complete vector x̃ = (x_o, x̃_m) and alternates
 *   1. an independence Metropolis–Hastings step for p(z | x̃) with proposal z' ~ q(· | x̃):
 *      log α = [log p(x̃ | z') + log p(z')] − [log p(x̃ | z) + log p(z)] + log q(z | x̃) − log q(z' | x̃),
 *      where the likelihood uses ALL dimensions, imputed ones included;
 *   2. x̃_m ~ p(x_m | z) from the (possibly unchanged) current z.
 * Because z and x̃_m are strongly coupled, proposals that disagree with the current imputation
 * are rejected, so chains can stay stuck for long.
 */
import type { Distribution } from '../dist/distribution.js';
import { split, type PRNGKey } from '../random/key.js';
import { randomBits } from '../random/threefry.js';
import { openUnit53 } from '../random/unit.js';
import type { Tensor } from '../tensor/tensor.js';
import { decode, encode } from './task.js';
import { fillMissing, fullLogLikelihood, toFloat64 } from './likelihood.js';
import { selectChains, selectDistributions } from './select.js';
import type { ImputationTask } from './types.js';

export interface MwgState {
  /** Current latents [B, K, ...latent]. */
  latents: Tensor;
  /** Current complete vectors [B, K, D]. */
  imputations: Tensor;
  /** The decoder at the current latents (kept so that it is not evaluated twice). */
  decoded: Distribution;
}

/** A start: the given complete vectors [B, K, D] and z ~ q(z | x̃) for each chain. */
export function mwgInit(
  key: PRNGKey,
  task: ImputationTask,
  imputations: Tensor,
): { state: MwgState; decoderEvaluations: number } {
  const latents = encode(task, imputations).sample(key);
  const decoded = decode(task, latents);
  return { state: { latents, imputations, decoded }, decoderEvaluations: imputations.shape[0] * imputations.shape[1] };
}

/** log p(x̃ | z) + log p(z) per chain, in float64. */
function fullLogTarget(task: ImputationTask, decoded: Distribution, z: Tensor, xFull: Tensor): Float64Array {
  const lik = fullLogLikelihood(decoded, xFull);
  const prior = toFloat64(task.vae.prior(task.params).logProb(z));
  return lik.map((v, i) => v + prior[i]);
}

/**
 * MWG's log acceptance ratio per chain for moving from `current` to `proposed` latents, both
 * [B, K, ...latent], given the complete vectors x̃ [B, K, D] (the proposal is q(· | x̃)). The encoder
 * output at x̃ and the decoder outputs at the two latents may be passed in to save evaluations.
 */
export function mwgLogAcceptance(
  task: ImputationTask,
  imputations: Tensor,
  current: Tensor,
  proposed: Tensor,
  cached: { encoded?: Distribution; current?: Distribution; proposed?: Distribution } = {},
): Float64Array {
  const q = cached.encoded ?? encode(task, imputations);
  const cur = fullLogTarget(task, cached.current ?? decode(task, current), current, imputations);
  const prop = fullLogTarget(task, cached.proposed ?? decode(task, proposed), proposed, imputations);
  const qCur = q.logProb(current).dataSync();
  const qProp = q.logProb(proposed).dataSync();
  return prop.map((p, i) => p - cur[i] + qCur[i] - qProp[i]);
}

/** Accept where log u < log α, with u uniform in (0, 1] (53 bits), so log α = -inf never accepts. */
export function metropolisAccept(key: PRNGKey, logAlpha: Float64Array): Uint8Array {
  const words = randomBits(key, 2 * logAlpha.length);
  const accepted = new Uint8Array(logAlpha.length);
  for (let i = 0; i < logAlpha.length; i++) {
    accepted[i] = Math.log(openUnit53(words[2 * i], words[2 * i + 1])) < logAlpha[i] ? 1 : 0;
  }
  return accepted;
}

export interface MwgStepResult {
  state: MwgState;
  /** 1 where the chain moved, [B·K]. */
  accepted: Uint8Array;
  logAcceptance: Float64Array;
  decoderEvaluations: number;
}

/** One MWG iteration for every chain. */
export function mwgStep(key: PRNGKey, task: ImputationTask, state: MwgState): MwgStepResult {
  const [kq, ku, kx] = split(key, 3);
  const encoded = encode(task, state.imputations);
  const proposed = encoded.sample(kq);
  const decodedProposed = decode(task, proposed);
  const logAcceptance = mwgLogAcceptance(task, state.imputations, state.latents, proposed, {
    encoded,
    current: state.decoded,
    proposed: decodedProposed,
  });
  const accepted = metropolisAccept(ku, logAcceptance);
  const latents = selectChains(accepted, proposed, state.latents);
  const decoded = selectDistributions(accepted, decodedProposed, state.decoded);
  const imputations = fillMissing(task, decoded.sample(kx));
  const [B, K] = proposed.shape;
  return { state: { latents, imputations, decoded }, accepted, logAcceptance, decoderEvaluations: B * K };
}
