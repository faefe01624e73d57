/**
 * The estimators `sieve fit --estimator` knows: CLI name → library function, which estimator
 * options apply, whether it needs continuous latents (pathwise gradients), and its sample minimum.
 */
import {
  elbo,
  elboScoreFunction,
  elboStl,
  iwae,
  iwaeDreg,
  rvrs,
  vimco,
  vimcoStar,
  vrIwae,
  vrs,
  type Estimator,
} from '../src/vi/index.js';

/** Estimator-specific `sieve fit` options (the common ones, --samples, --lr, ..., always apply). */
export type EstimatorOptionName =
  | 'alpha'
  | 'threshold'
  | 'gamma'
  | 'refresh'
  | 'target-accept'
  | 'acceptance-floor'
  | 'max-proposals';

export interface EstimatorEntry {
  name: string;
  description: string;
  // biome-ignore lint/suspicious/noExplicitAny: estimators with different options types; train() calls them.
  fn: Estimator<any>;
  /** Needs q.rsample: only for models with continuous latents. */
  pathwise: boolean;
  minSamples: number;
  options: readonly EstimatorOptionName[];
  /** How a rejection estimator gets its threshold T when --threshold is not given. */
  threshold?: 'quantile' | 'adapt';
  /** Default α for estimators with --alpha. */
  defaultAlpha?: number;
}

const REJECTION_OPTIONS = ['threshold', 'acceptance-floor', 'max-proposals'] as const;

export const ESTIMATORS: readonly EstimatorEntry[] = [
  {
    name: 'elbo',
    description: 'reparameterized ELBO (pathwise)',
    fn: elbo,
    pathwise: true,
    minSamples: 1,
    options: [],
  },
  {
    name: 'elbo-stl',
    description: 'ELBO, sticking-the-landing gradient (pathwise, score term dropped)',
    fn: elboStl,
    pathwise: true,
    minSamples: 1,
    options: [],
  },
  {
    name: 'elbo-sf',
    description: 'score-function ELBO (REINFORCE) with a leave-one-out baseline (any latents)',
    fn: elboScoreFunction,
    pathwise: false,
    minSamples: 1,
    options: [],
  },
  {
    name: 'iwae',
    description: 'importance-weighted bound, pathwise gradient',
    fn: iwae,
    pathwise: true,
    minSamples: 1,
    options: [],
  },
  {
    name: 'dreg',
    description: 'IWAE bound, doubly reparameterized gradient',
    fn: iwaeDreg,
    pathwise: true,
    minSamples: 1,
    options: [],
  },
  {
    name: 'vr-iwae',
    description: 'VR-IWAE bound with alpha in [0, 1), pathwise gradient',
    fn: vrIwae,
    pathwise: true,
    minSamples: 1,
    options: ['alpha'],
    defaultAlpha: 0.5,
  },
  {
    name: 'vimco',
    description: 'IWAE bound, score function with VIMCO control variates (any latents)',
    fn: vimco,
    pathwise: false,
    minSamples: 2,
    options: [],
  },
  {
    name: 'vimco-star',
    description: 'VR-IWAE bound, score function with VIMCO-star control variates (any latents)',
    fn: vimcoStar,
    pathwise: false,
    minSamples: 2,
    options: ['alpha'],
    defaultAlpha: 0,
  },
  {
    name: 'vrs',
    description: 'variational rejection sampling: R-ELBO, score-function gradient (any latents); T = gamma-quantile',
    fn: vrs,
    pathwise: false,
    minSamples: 2,
    options: [...REJECTION_OPTIONS, 'gamma', 'refresh'],
    threshold: 'quantile',
  },
  {
    name: 'rvrs',
    description: 'reparameterized VRS: R-ELBO, pathwise gradient; T adapted to a target acceptance',
    fn: rvrs,
    pathwise: true,
    minSamples: 2,
    options: [...REJECTION_OPTIONS, 'target-accept'],
    threshold: 'adapt',
  },
];

export const ESTIMATOR_NAMES: readonly string[] = ESTIMATORS.map((e) => e.name);

export function findEstimator(name: string): EstimatorEntry | undefined {
  return ESTIMATORS.find((e) => e.name === name);
}
