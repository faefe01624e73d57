/**
 * The contract for a model the `sieve fit` command (and the experiments) can train: a log-joint
 * and a variational family in the form the estimators take (`Problem`), initial parameters, and
 * how to get data. Models live outside `src/` so that importing the library never loads a data
 * set; data packages are optional and loaded on demand with a clear error when missing.
 */
import type { PRNGKey } from '../src/random/key.js';
import type { Problem } from '../src/vi/types.js';

export interface FitModel<X = unknown> {
  name: string;
  problem: Problem;
  /** Initial model parameters θ (a pytree; may be empty {} when the model has none). */
  theta: unknown;
  /** Initial variational parameters φ. */
  phi: unknown;
  /** Whether the latents are continuous (pathwise estimators apply) or discrete. */
  latent: 'continuous' | 'discrete';
  /** The training data for one step: the whole set (global latents) or a minibatch (local latents). */
  batch(key: PRNGKey, step: number): X;
  /** Optional evaluation of the fitted parameters (e.g. a test bound), as named numbers. */
  evaluate?(theta: unknown, phi: unknown, key: PRNGKey): Record<string, number>;
}

export interface ModelOptions {
  seed: number;
  /** 'tiny' for tests, 'quick' for the default run, 'full' for the long run. */
  mode: ModelSize;
  /** Minibatch size for local-latent models (the model's default when omitted). */
  batchSize?: number;
}

export interface ModelSpec {
  name: string;
  description: string;
  latent: 'continuous' | 'discrete';
  /** Builds the model (loads data on demand; may throw a clear "install X" error). */
  build(options: ModelOptions): Promise<FitModel>;
}

/** The sizes a model can be built at (`sieve fit --tiny/--quick/--full`). */
export type ModelSize = 'tiny' | 'quick' | 'full';
