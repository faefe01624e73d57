/**
 * The public face of the estimators: what src/index.ts re-exports. The helpers the estimators share (common.ts,
 * the sampler's acceptance functions, the log-weight checks) are internal; tests import them from their modules.
 */
export * from './types.js';
export { elbo, elboStl, elboScoreFunction, type ElboOptions, type ElboScoreFunctionOptions } from './elbo.js';
export { iwae, iwaeDreg, vrLogMeanExp, type IwaeOptions } from './iwae.js';
export { vrIwae, type VrIwaeOptions } from './vr-iwae.js';
export {
  logMeanExp,
  leaveOneOutLogSumExp,
  leaveOneOutMean,
  normalizedWeights,
  effectiveSampleSize,
  weightPerplexity,
} from './logweights.js';
export {
  sgd,
  adam,
  stepDecay,
  type Optimizer,
  type LearningRate,
  type SgdState,
  type AdamState,
} from './optimizers.js';
export { rejectionSample, type RejectionSampleOptions, type RejectionSampleResult } from './rejection-sampler.js';
export { vrs, type VrsOptions } from './vrs.js';
export { rvrs, semiRvrs, type RvrsOptions, type SemiRvrsOptions, type SemiRvrsProblem } from './rvrs.js';
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
  thresholdForStep,
  thresholdAfterStep,
  initialThresholdState,
  type ThresholdPolicy,
  type FixedThresholdPolicy,
  type QuantileThresholdPolicy,
  type AdaptiveThresholdPolicy,
  type MinibatchThresholds,
  type ThresholdState,
} from './threshold.js';
export {
  exactRElboFromLogDensities,
  exactRElboDiscrete,
  exactRElbo1D,
  type ExactRElbo,
  type ExactDiscreteOptions,
  type ExactDiscreteResult,
  type Quadrature1D,
  type Exact1DResult,
  type TiltOptions,
} from './r-elbo-exact.js';
export {
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
} from './iw-score.js';
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
} from './check.js';
export { DEFAULT_MAX_DRAW_ELEMENTS } from './common.js';
export {
  train,
  trainAsync,
  trainStep,
  initialTrainState,
  NonFiniteGradientError,
  type TrainConfig,
  type TrainParams,
  type TrainState,
  type TrainResult,
  type StepRecord,
  type AnyEstimator,
  type EstimatorOptionsOf,
  type DiagnosticsOf,
} from './train.js';
