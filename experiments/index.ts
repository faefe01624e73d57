/**
 * The registry of experiments known to `sieve experiments`, in the order they run.
 */
import type { Experiment } from './types.js';
import { vrsDiagnostic } from './vrs-diagnostic.js';
import { snrScaling } from './snr-scaling.js';
import { rvrsSnr } from './rvrs-snr.js';
import { logisticRegression } from './logistic-regression.js';
import { sigmoidBeliefNet } from './sbn.js';
import { sbnVimco } from './sbn-vimco.js';
import { vaeExperiment } from './vae.js';
import { imputationExperiment } from './imputation-mixture.js';

export const EXPERIMENTS: Experiment[] = [
  vrsDiagnostic,
  snrScaling,
  rvrsSnr,
  logisticRegression,
  sigmoidBeliefNet,
  sbnVimco,
  vaeExperiment,
  imputationExperiment,
];

export type * from './types.js';
