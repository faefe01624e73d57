/**
 * The registry of models known to `sieve fit`. Each model module adds one line here.
 */
import type { ModelSpec } from './types.js';
import { conjugateGaussianModel } from './conjugate-gaussian.js';
import { truncatedPoissonModel } from './truncated-poisson.js';
import { gaussianToyModel } from './gaussian-toy.js';
import { logisticRegressionModel } from './logistic-regression.js';
import { sbnModel } from './sbn.js';
import { vaeModel } from './vae.js';

export const MODELS: ModelSpec[] = [
  conjugateGaussianModel,
  truncatedPoissonModel,
  gaussianToyModel,
  logisticRegressionModel,
  sbnModel,
  vaeModel,
];

export type { FitModel, ModelOptions, ModelSpec } from './types.js';
