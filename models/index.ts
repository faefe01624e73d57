/**
 * The registry of models known to `sieve fit`. Each model module adds one line here.
 */
import type { ModelSpec } from './types.js';

export const MODELS: ModelSpec[] = [
  // e.g. gaussianModel, truncatedPoissonModel, gaussianToyModel, logisticRegressionModel, sbnModel, vaeModel
];

export type { FitModel, ModelOptions, ModelSpec } from './types.js';
