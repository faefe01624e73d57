/**
 * Conditional sampling of trained VAEs (Simkus & Gutmann 2023): samples of the missing entries of
 * partly observed data from p(x_m | x_o), by pseudo-Gibbs, MWG, AC-MWG and LAIR (README section
 * "Conditional sampling of VAEs").
 */
export type { ConditionalVae, ImputationTask, ResamplingMethod } from './types.js';
export { imputationTask, decode, encode } from './task.js';
export { observedLogLikelihood, fullLogLikelihood, fillMissing } from './likelihood.js';
export { initialImputations, type Imputations } from './initial.js';
export {
  pseudoGibbsStep,
  clipBounds,
  type PseudoGibbsState,
  type PseudoGibbsStepResult,
  type ClipOption,
  type ClipBounds,
} from './pseudo-gibbs.js';
export { mwgInit, mwgStep, mwgLogAcceptance, metropolisAccept, type MwgState, type MwgStepResult } from './mwg.js';
export {
  acMwgInit,
  acMwgStep,
  acMwgLogAcceptance,
  acMwgLogProposal,
  type AcMwgState,
  type AcMwgOptions,
  type AcMwgStepResult,
  type ImputationHistory,
} from './ac-mwg.js';
export {
  lairStep,
  lairProposals,
  lairLogProposal,
  lairLogWeights,
  lairFinalResample,
  collapsedLogTarget,
  lairSettings,
  type LairOptions,
  type LairState,
  type LairStepResult,
  type FinalResample,
} from './lair.js';
export { resampleIndices, normalizedWeights, effectiveSampleSize, perplexity } from './resampling.js';
export {
  conditionalSample,
  type ConditionalMethod,
  type ConditionalSampleOptions,
  type ConditionalSampleResult,
  type ConditionalDiagnostics,
} from './conditional-sample.js';
