/**
 * The contract between a trained VAE and the conditional samplers of Simkus & Gutmann (2023),
 * "Conditional Sampling of Variational Autoencoders via Iterated Approximate Ancestral Sampling".
 *
 * A user has a prior p(z), a decoder p(x | z) that factorizes over the D data dimensions, and an
 * encoder q(z | x̃) that was trained on complete vectors. Given a data point whose entries are only
 * partly observed (a mask), the samplers draw the missing part x_m from p(x_m | x_o).
 *
 * Shapes: the samplers work on B data points with K chains each, so they call the VAE with a
 * leading [B, K] (or [B, N]) on every tensor. The latent's shape is the prior's event shape: [d]
 * for a Gaussian latent, [] for a categorical one.
 */
import type { Distribution } from '../dist/distribution.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export interface ConditionalVae<P = unknown> {
  /** p(z): batch shape [], event shape = the latent's shape. */
  prior(params: P): Distribution;
  /**
   * p(x | z), factorized over dimensions: for z of shape [...lead, ...latent] a distribution of
   * batch shape [...lead, D] and event shape [], so that logProb(x) gives one log-likelihood per
   * dimension and a mask can select the observed ones.
   */
  decoder(params: P, z: Tensor): Distribution;
  /**
   * q(z | x̃): x̃ and mask of shape [...lead, D] (complete vectors: the missing entries hold the
   * current imputation; mask is 1 where observed) → batch shape [...lead], event = latent shape.
   * Encoders trained without masks may ignore the mask.
   */
  encoder(params: P, x: Tensor, mask: Tensor): Distribution;
}

/**
 * The fixed inputs of a conditional-sampling run, checked once by `imputationTask`: the VAE, its
 * parameters, B data points x [B, D] and their mask [B, D] (1 observed, 0 missing).
 */
export interface ImputationTask<P = unknown> {
  readonly vae: ConditionalVae<P>;
  readonly params: P;
  /** Observed values [B, D]; missing entries are stored as 0 (their given values are never read). */
  readonly x: Tensor;
  /** 1 where observed, 0 where missing, [B, D]. */
  readonly mask: Tensor;
  readonly batch: number;
  readonly dims: number;
  /** The latent's shape (the prior's event shape) and its number of elements. */
  readonly latentShape: Shape;
  readonly latentSize: number;
}

/** Resampling scheme for LAIR (spec: multinomial by default, systematic optional). */
export type ResamplingMethod = 'multinomial' | 'systematic';
