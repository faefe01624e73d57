/**
 * Sieve: functional reverse-mode autodiff over Float32Array tensors, immutable distributions and
 * variational-inference gradient estimators.
 *
 * This file is the whole public surface, name by name (test/public-api.test.ts pins it): adding or removing a name
 * here is a deliberate change to the API. Helpers that only the library's own modules, tests and experiments need
 * stay in their modules and are imported from there.
 */

// Tensors and ops (modules load in any order: test/import-graph.test.ts).
export { Tensor, type NestedArray, type TensorLike, type Axis } from './tensor/index.js';
export {
  tensor,
  scalar,
  asTensor,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  arange,
  linspace,
  eye,
  MAX_TENSOR_ELEMENTS,
  broadcastShapes,
  type Shape,
} from './tensor/index.js';
// Elementwise (broadcasting) and comparisons.
export {
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  exp,
  log,
  log1p,
  expm1,
  sqrt,
  square,
  abs,
  sign,
  sin,
  cos,
  tanh,
  sigmoid,
  logSigmoid,
  softplus,
  relu,
  lgamma,
  digamma,
  polygamma,
  maximum,
  minimum,
  clip,
  where,
  logaddexp,
  lt,
  le,
  gt,
  ge,
  eq,
  ne,
  isFinite,
} from './tensor/index.js';
// Reductions, along-an-axis ops, linear algebra, shape and indexing.
export {
  sum,
  mean,
  max,
  min,
  logsumexp,
  softmax,
  logSoftmax,
  cumsum,
  matmul,
  cholesky,
  triangularSolve,
  tril,
  triu,
  diagonal,
  type TriangularSolveOptions,
  reshape,
  transpose,
  matrixTranspose,
  expandDims,
  squeeze,
  broadcastTo,
  slice,
  pad,
  take,
  gather,
  concat,
  stack,
  split,
  oneHot,
  type IndexLike,
} from './tensor/index.js';
// Implicit reparameterization of Gamma draws, for distributions built on them.
export { reparamLogGamma, gammaLogSampleGradient } from './tensor/index.js';
// (Fused or new ops from the kernels work go here, named one by one.)
export { matmulT, bernoulliLogLik } from './tensor/index.js';

// Automatic differentiation: transforms, custom rules, pytrees, new primitives, and seeing what the core did.
export {
  grad,
  valueAndGrad,
  vjp,
  jvp,
  hvp,
  jacobian,
  type GradOptions,
  stopGradient,
  customVjp,
  treeFlatten,
  treeUnflatten,
  treeMap,
  type PyTree,
  type TreeDef,
  definePrimitive,
  defineNonDifferentiable,
  bind,
  type Primitive,
  describeLevel,
  LeakedTracerError,
  printGraph,
  traceGraph,
  type GraphTrace,
} from './autodiff/index.js';

// Errors: every bad input throws a SieveError naming the operation.
export { SieveError } from './errors.js';

// Random numbers live in their own namespace, as in `jax.random`: random.split, random.normal, ...
export * as random from './random/index.js';
export { key, PRNGKey } from './random/index.js';

// Distributions and KL divergence.
export {
  Distribution,
  setDefaultValidation,
  getDefaultValidation,
  type DistributionOptions,
  type NoisySample,
  Constraint,
  constraints,
  Normal,
  LogNormal,
  MultivariateNormal,
  Uniform,
  Exponential,
  Gamma,
  Beta,
  Dirichlet,
  Poisson,
  Bernoulli,
  type LogitsOrProbs,
  Categorical,
  OneHotCategorical,
  MixtureSameFamily,
  Independent,
  UnnormalizedDensity,
  type UnnormalizedOptions,
  kl,
  registerKL,
} from './dist/index.js';

// Estimators: the contract every estimator follows, the estimators, and their options.
export {
  type LogJoint,
  type Guide,
  type Problem,
  type Diagnostics,
  type EstimatorResult,
  type EstimatorInfo,
  type ElboDiagnostics,
  type ImportanceDiagnostics,
  type RejectionDiagnostics,
  type CommonOptions,
  type Estimator,
  DEFAULT_MAX_DRAW_ELEMENTS,
  elbo,
  elboStl,
  elboScoreFunction,
  type ElboOptions,
  type ElboScoreFunctionOptions,
  iwae,
  iwaeDreg,
  vrLogMeanExp,
  type IwaeOptions,
  vrIwae,
  type VrIwaeOptions,
  iwScoreFunction,
  vimco,
  vimcoStar,
  vrIwaeScore,
  iwLearningSignal,
  type IwControlVariate,
  type IwScoreOptions,
  type VimcoOptions,
  type VimcoStarOptions,
  type VrIwaeScoreOptions,
  vrs,
  type VrsOptions,
  rvrs,
  semiRvrs,
  type RvrsOptions,
  type SemiRvrsOptions,
  type SemiRvrsProblem,
} from './vi/index.js';
// Log-weight helpers: importance-weighted averages and weight diagnostics.
export {
  logMeanExp,
  leaveOneOutLogSumExp,
  leaveOneOutMean,
  normalizedWeights,
  effectiveSampleSize,
  weightPerplexity,
} from './vi/index.js';

// The rejection sampler and its thresholds (VRS's quantile schedule, RVRS's target acceptance).
export { rejectionSample, type RejectionSampleOptions, type RejectionSampleResult } from './vi/index.js';
export {
  quantileThreshold,
  quantileSchedule,
  initialThreshold,
  adaptThreshold,
  thresholdGradient,
  takeThresholds,
  putThresholds,
  type QuantileThresholdOptions,
  type QuantileScheduleState,
  type AdaptThresholdOptions,
  type AdaptThresholdState,
} from './vi/index.js';
// The training driver: keys, gradient, optimizer, threshold policy, non-finite handling, stopping, hooks.
export {
  train,
  trainAsync,
  NonFiniteGradientError,
  type TrainConfig,
  type TrainResult,
  type TrainState,
  type StepRecord,
  type ThresholdPolicy,
} from './vi/index.js';

// Optimizers.
export {
  sgd,
  adam,
  stepDecay,
  type Optimizer,
  type LearningRate,
  type SgdState,
  type AdamState,
} from './vi/index.js';

// Checkers for researchers: gradients against finite differences, estimators against exact expectations,
// signal-to-noise ratios, and the exact R-ELBO by enumeration or quadrature.
export {
  checkGrads,
  type CheckGradsOptions,
  type CheckGradsReport,
  type CheckMode,
  type GradCheck,
} from './autodiff/index.js';
export {
  exactExpectation,
  checkUnbiased,
  gradientSnr,
  type GradPair,
  type CheckArgs,
  type ExactExpectationOptions,
  type ExactExpectationResult,
  type MonteCarloOptions,
  type CheckUnbiasedOptions,
  type CheckUnbiasedResult,
  type GradientSnrResult,
  exactRElboFromLogDensities,
  exactRElboDiscrete,
  exactRElbo1D,
  type ExactRElbo,
  type ExactDiscreteOptions,
  type ExactDiscreteResult,
  type Quadrature1D,
  type Exact1DResult,
  type TiltOptions,
} from './vi/index.js';

// Conditional sampling of trained VAEs (pseudo-Gibbs, MWG, AC-MWG, LAIR); every helper is also in the
// `conditional` namespace.
export * as conditional from './conditional/index.js';
export {
  conditionalSample,
  imputationTask,
  pseudoGibbsStep,
  clipBounds,
  mwgInit,
  mwgStep,
  acMwgInit,
  acMwgStep,
  lairStep,
  lairFinalResample,
  initialImputations,
  type ConditionalVae,
  type ImputationTask,
  type ConditionalMethod,
  type ConditionalSampleOptions,
  type ConditionalSampleResult,
  type ConditionalDiagnostics,
  type PseudoGibbsState,
  type MwgState,
  type AcMwgState,
  type AcMwgOptions,
  type LairState,
  type LairOptions,
} from './conditional/index.js';

// Saving and loading parameter pytrees and optimizer states (bytes everywhere, files in Node).
export {
  saveParams,
  loadParams,
  loadParamsWithMetadata,
  PARAMS_FORMAT_VERSION,
  saveParamsFile,
  loadParamsFile,
  type SaveParamsOptions,
  type LoadParamsOptions,
  type LoadedParams,
} from './io/index.js';

// Backends: which kernels run the ops (JS reference, WebAssembly SIMD).
export {
  getBackend,
  setBackend,
  initWasmBackend,
  jsBackend,
  wasmBackend,
  type Backend,
} from './tensor/index.js';
// Worker threads of the WebAssembly backend for large matrix products and elementwise ops (1 turns them off).
export { setThreadCount, stopWorkerThreads, threadCount } from './tensor/backend/index.js';
export { residentSettings, residentStats, setResidentArrays, type ResidentSettings } from './tensor/backend/index.js';
// Fused multiply-adds in the WebAssembly matrix products (relaxed SIMD), where the engine has them.
export { fusedMultiplyAdd, setFusedMultiplyAdd } from './tensor/backend/index.js';
// The optional GPU path: gpu.js matrix products, only on a hardware GPU.
export {
  enableGpu,
  disableGpu,
  gpuStatus,
  isSoftwareRenderer,
  type EnableGpuOptions,
  type GpuStatus,
} from './tensor/backend/gpu/index.js';
