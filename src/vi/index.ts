export * from './types.js';
export { elbo, elboStl, elboScoreFunction, type ElboOptions, type ElboScoreFunctionOptions } from './elbo.js';
export { iwae, iwaeDreg, vrLogMeanExp, type IwaeOptions } from './iwae.js';
export { vrIwae, type VrIwaeOptions } from './vr-iwae.js';
export * from './logweights.js';
export * from './optimizers.js';
export { rejectionSample, sampleR, logAcceptance, acceptanceRho, logAcceptance64, acceptanceLogRatio64, DEFAULT_MAX_PROPOSALS, type RejectionSampleOptions, type RejectionSampleResult, type SampleROptions } from './rejection-sampler.js';
export { vrs, type VrsOptions } from './vrs.js';
export { rvrs, semiRvrs, type RvrsOptions, type SemiRvrsOptions, type SemiRvrsProblem } from './rvrs.js';
export { quantileThreshold, quantileSchedule, initialThreshold, adaptThreshold, thresholdGradient, takeThresholds, putThresholds, type QuantileThresholdOptions, type QuantileScheduleState, type AdaptThresholdOptions, type AdaptThresholdState } from './threshold.js';
export { exactRElboFromLogDensities, exactRElboDiscrete, exactRElbo1D, type ExactRElbo, type ExactDiscreteOptions, type ExactDiscreteResult, type Quadrature1D, type Exact1DResult, type TiltOptions } from './r-elbo-exact.js';
export {
  iwScoreFunction, vimco, vimcoStar, vrIwaeScore, iwLearningSignal,
  type IwControlVariate, type IwScoreOptions, type VimcoOptions, type VimcoStarOptions, type VrIwaeScoreOptions,
} from './iw-score.js';
export {
  exactExpectation, checkUnbiased, gradientSnr, normalQuantile,
  type GradPair, type CheckArgs, type ExactExpectationOptions, type ExactExpectationResult, type MonteCarloOptions,
  type CheckUnbiasedOptions, type CheckUnbiasedResult, type GradientSnrResult,
} from './check.js';
export {
  withInfo, scoreDraws, pathwiseDraws, finish, logJointOf, checkSampleCount, checkDraws, dataScale, batchSize,
  DEFAULT_MAX_DRAW_ELEMENTS,
} from './common.js';
