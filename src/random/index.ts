/**
 * Counter-based, splittable random numbers (JAX-style), with no global state: every sampler takes
 * a PRNGKey first and is a pure function of its arguments.
 *
 *   const k = key(0);
 *   const [k1, k2] = split(k);
 *   const x = normal(k1, [3, 2]);
 *   const g = gamma(k2, tensor([0.5, 2, 10]));
 */
export { threefry2x32, randomBits } from './threefry.js';
export { PRNGKey, key, split, foldIn } from './key.js';
export { uniform, normal, exponential } from './continuous.js';
export { bernoulli, categorical, type CategoricalOptions } from './discrete.js';
export { poisson } from './poisson.js';
export { gamma } from './gamma.js';
