/**
 * Probability distributions: immutable values built from tensors, with reparameterized and
 * score-function sampling, batch and event shapes, and a KL registry. See docs/distributions.md.
 */
export {
  Distribution,
  setDefaultValidation,
  getDefaultValidation,
  type DistributionOptions,
  type NoisySample,
} from './distribution.js';
export { Constraint, constraints } from './constraints.js';
export { Normal } from './normal.js';
export { LogNormal } from './log-normal.js';
export { MultivariateNormal } from './multivariate-normal.js';
export { Uniform } from './uniform.js';
export { Exponential } from './exponential.js';
export { Gamma } from './gamma.js';
export { Beta } from './beta.js';
export { Dirichlet } from './dirichlet.js';
export { Poisson } from './poisson.js';
export { Bernoulli, type LogitsOrProbs } from './bernoulli.js';
export { Categorical, OneHotCategorical } from './categorical.js';
export { MixtureSameFamily } from './mixture-same-family.js';
export { Independent } from './distribution.js';
export { UnnormalizedDensity, type UnnormalizedOptions } from './unnormalized.js';
export { kl, registerKL } from './kl.js';
