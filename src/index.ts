/**
 * Sieve: functional reverse-mode autodiff over Float32Array tensors, immutable distributions and
 * variational-inference gradient estimators.
 */
// The tensor module must load first: ops depend on the Tensor class at call time.
export * from './tensor/index.js';
export * from './autodiff/index.js';
export { SieveError } from './errors.js';
