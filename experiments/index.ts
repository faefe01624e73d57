/**
 * The registry of experiments known to `sieve experiments`, in the order they run.
 */
import type { Experiment } from './types.js';

export const EXPERIMENTS: Experiment[] = [
  // vrsDiagnostic, snrScaling, logisticRegression, sigmoidBeliefNet, vae
];

export type * from './types.js';
