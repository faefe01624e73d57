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
// The optional GPU path: gpu.js matrix products, only on a hardware GPU (gpu.js is loaded lazily).
export {
  enableGpu, disableGpu, gpuStatus, isSoftwareRenderer, DEFAULT_GPU_MIN_MULTIPLY_ADDS,
  type EnableGpuOptions, type GpuStatus,
} from './tensor/backend/gpu/index.js';
// Conditional sampling of trained VAEs (pseudo-Gibbs, MWG, AC-MWG, LAIR); every helper is also in the
// `conditional` namespace. Saving and loading parameter pytrees and optimizer states.
export * as conditional from './conditional/index.js';
export {
  conditionalSample, imputationTask, pseudoGibbsStep, clipBounds, mwgInit, mwgStep, acMwgInit, acMwgStep,
  lairStep, lairFinalResample, initialImputations,
  type ConditionalVae, type ImputationTask, type ConditionalMethod, type ConditionalSampleOptions,
  type ConditionalSampleResult, type ConditionalDiagnostics, type PseudoGibbsState, type MwgState, type AcMwgState,
  type AcMwgOptions, type LairState, type LairOptions,
} from './conditional/index.js';
export * from './io/index.js';
