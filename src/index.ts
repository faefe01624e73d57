/**
 * Sieve: functional reverse-mode autodiff over Float32Array tensors, immutable distributions and
 * variational-inference gradient estimators.
 */
// The tensor module must load first: ops depend on the Tensor class at call time.
export * from './tensor/index.js';
export * from './autodiff/index.js';
export { SieveError } from './errors.js';
// Random numbers live in their own namespace, as in `jax.random`: random.split, random.normal, ...
export * as random from './random/index.js';
export { key, PRNGKey } from './random/key.js';
export * from './dist/index.js';
export * from './vi/index.js';
