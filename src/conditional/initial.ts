/**
 * Initial imputations (the reference code's `vae_samples`): for every chain draw z ~ p(z) and
 * x ~ p(x | z), and copy the missing coordinates into the data point.
 */
import { split, type PRNGKey } from '../random/key.js';
import type { Tensor } from '../tensor/tensor.js';
import { decode } from './task.js';
import { fillMissing } from './likelihood.js';
import type { ImputationTask } from './types.js';

export interface Imputations {
  /** Complete vectors [B, K, D]: observed entries from the data, missing ones imputed. */
  imputations: Tensor;
  /** Latent vectors decoded to make them (B·K). */
  decoderEvaluations: number;
}

/** K complete vectors per data point whose missing entries are samples of the VAE, [B, K, D]. */
export function initialImputations(key: PRNGKey, task: ImputationTask, chains: number): Imputations {
  const [kz, kx] = split(key, 2);
  const z = task.vae.prior(task.params).sample(kz, [task.batch, chains]);
  const x = decode(task, z).sample(kx);
  return { imputations: fillMissing(task, x), decoderEvaluations: task.batch * chains };
}
