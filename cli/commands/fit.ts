/**
 * `sieve fit --model NAME --estimator NAME [options]`: train one model with one estimator (Adam
 * on θ and φ), show the bound in a progress bar, print the bound over training, and write a
 * one-experiment report (plot of the bound against step; acceptance and threshold for the
 * rejection estimators) with results.json.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentResult, Plot, ProgressTask, Table } from '../../experiments/types.js';
import type { FitModel, ModelSize, ModelSpec } from '../../models/types.js';
import { treeFlatten } from '../../src/autodiff/index.js';
import { foldIn, key } from '../../src/random/key.js';
import { Tensor } from '../../src/tensor/tensor.js';
import {
  adam,
  initialTrainState,
  NonFiniteGradientError,
  trainAsync,
  type Problem,
  type StepRecord as TrainStepRecord,
  type ThresholdPolicy,
  type ThresholdState,
  type TrainParams,
  type TrainState,
} from '../../src/vi/index.js';
import {
  formatOptionsHelp,
  parseCommandArgs,
  UsageError,
  validList,
  type CommandSpec,
  type OptionValue,
} from '../args.js';
import { ESTIMATORS, findEstimator, type EstimatorEntry, type EstimatorOptionName } from '../estimators.js';
import { formatNumber } from '../format.js';
import {
  exitCodeFor,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  signalName,
  timestamp,
  type CliIo,
  type StopSignal,
} from '../io.js';
import { ProgressRenderer } from '../progress.js';
import { writeReport } from '../report/index.js';
import { claimOutDir, handleInterrupts, makeRecord, modeFrom } from '../run.js';
import { ExhaustionTracker, exhaustionFailure, MAX_PROPOSALS_LIMIT, stepExhaustion } from '../exhaustion.js';
import { formatExperimentSummary } from '../terminal-table.js';
import { loadParamsFile, loadParamsWithMetadata, saveParamsFile } from '../../src/io/index.js';
import { raiseStopFlag, runInWorker } from '../worker-protocol.js';

export const FIT_DEFAULTS = {
  steps: 1000,
  lr: 0.01,
  samples: 8,
  gamma: 0.9,
  refresh: 100,
  targetAccept: 0.33,
  acceptanceFloor: 0,
  maxProposals: 10_000,
  seed: 1,
} as const;
/** Draws per data point used to set a threshold (quantile or initial). */
const THRESHOLD_SAMPLES = 128;
/** Step size of the target-acceptance rule for T. */
const THRESHOLD_LR = 1;
/**
 * When q improves quickly, T can fall far from −ELBO and the acceptance saturates at 1 (or 0), where
 * the T-gradient a(1 − a) vanishes and the rule cannot recover: restart T from −ELBO then.
 */
const RESTART_OUTSIDE = { below: 0.005, above: 0.995 };

const appliesTo = (opt: EstimatorOptionName): string =>
  ESTIMATORS.filter((e) => e.options.includes(opt))
    .map((e) => e.name)
    .join(', ');

export function fitSpec(models: readonly ModelSpec[]): CommandSpec {
  return {
    name: 'fit',
    summary: 'train one model with one estimator and report the bound over time',
    options: [
      {
        name: 'model',
        type: 'choice',
        noun: 'model',
        choices: () => models.map((m) => m.name),
        description: 'the model to fit (required)',
      },
      {
        name: 'estimator',
        type: 'choice',
        noun: 'estimator',
        choices: () => ESTIMATORS.map((e) => e.name),
        description: 'the gradient estimator',
        defaultText: 'elbo for continuous latents, elbo-sf for discrete',
      },
      {
        name: 'steps',
        type: 'integer',
        min: 1,
        max: 10_000_000,
        description: 'optimization steps',
        defaultText: String(FIT_DEFAULTS.steps),
      },
      {
        name: 'lr',
        type: 'number',
        min: 0,
        minExclusive: true,
        max: 10,
        description: 'Adam learning rate',
        defaultText: String(FIT_DEFAULTS.lr),
      },
      {
        name: 'samples',
        type: 'integer',
        min: 1,
        max: 100_000,
        description: 'samples per data point (S or N); vimco, vimco-star, vrs, rvrs need >= 2',
        defaultText: String(FIT_DEFAULTS.samples),
      },
      {
        name: 'batch-size',
        type: 'integer',
        min: 1,
        description: 'minibatch size for models with local latents',
        defaultText: "the model's",
      },
      {
        name: 'alpha',
        type: 'number',
        min: 0,
        max: 1,
        maxExclusive: true,
        description: `VR-IWAE alpha (${appliesTo('alpha')})`,
        defaultText: '0.5 for vr-iwae, 0 for vimco-star',
      },
      {
        name: 'threshold',
        type: 'number',
        description: `fixed threshold T (${appliesTo('threshold')}); replaces --gamma / --target-accept`,
        metavar: 'T',
      },
      {
        name: 'gamma',
        type: 'number',
        min: 0,
        max: 1,
        minExclusive: true,
        maxExclusive: true,
        description: 'vrs: T is the gamma-quantile of log q - log p under q',
        defaultText: String(FIT_DEFAULTS.gamma),
      },
      {
        name: 'refresh',
        type: 'integer',
        min: 1,
        description: 'vrs: recompute the quantile threshold every N steps',
        defaultText: String(FIT_DEFAULTS.refresh),
      },
      {
        name: 'target-accept',
        type: 'number',
        min: 0,
        max: 1,
        minExclusive: true,
        maxExclusive: true,
        description: 'rvrs: adapt T so the acceptance rate approaches this',
        defaultText: String(FIT_DEFAULTS.targetAccept),
      },
      {
        name: 'acceptance-floor',
        type: 'number',
        min: 0,
        max: 1,
        maxExclusive: true,
        description: `acceptance floor epsilon (${appliesTo('acceptance-floor')})`,
        defaultText: '0',
      },
      {
        name: 'max-proposals',
        type: 'integer',
        min: 1,
        max: MAX_PROPOSALS_LIMIT,
        defaultText: String(FIT_DEFAULTS.maxProposals),
        description:
          `cap on proposals per data point, at least --samples (${appliesTo('max-proposals')}); ` +
          'a step that hits it runs cap / samples sampler rounds (seconds at the maximum)',
      },
      {
        name: 'seed',
        type: 'integer',
        min: 0,
        max: 2 ** 32 - 1,
        description: 'random seed (data and training); same seed, same numbers',
        defaultText: String(FIT_DEFAULTS.seed),
      },
      { name: 'tiny', type: 'boolean', description: 'build the model at its tiny (test) size' },
      { name: 'quick', type: 'boolean', description: 'build the model at its quick size (default)' },
      { name: 'full', type: 'boolean', description: 'build the model at its full size' },
      {
        name: 'out',
        type: 'string',
        metavar: 'DIR',
        description: 'report directory',
        defaultText: 'reports/fit-<model>-<estimator>-<date>',
      },
      {
        name: 'save-params',
        type: 'string',
        metavar: 'FILE',
        description: 'write the parameters and optimizer state here at the end (and when interrupted), atomically',
      },
      {
        name: 'resume',
        type: 'string',
        metavar: 'FILE',
        description: 'continue from a --save-params file up to --steps in all (same numbers as one uninterrupted run)',
      },
    ],
  };
}

export function fitHelp(models: readonly ModelSpec[]): string {
  const spec = fitSpec(models);
  const mw = Math.max(14, ...models.map((m) => m.name.length + 2));
  const ew = Math.max(12, ...ESTIMATORS.map((e) => e.name.length + 2));
  return [
    'Usage: sieve fit --model NAME [--estimator NAME] [--steps N] [--lr X] [--samples N] [options]',
    '',
    'Train one model with one estimator (Adam on the model and variational parameters), show the',
    'bound as it trains, and write a report with a plot of the bound against step.',
    '',
    'Models:',
    models.length === 0
      ? '  (none registered yet)'
      : models.map((m) => `  ${m.name.padEnd(mw)}[${m.latent}] ${m.description}`).join('\n'),
    '',
    'Estimators (pathwise ones need continuous latents):',
    ESTIMATORS.map((e) => {
      const kind = e.pathwise ? '[pathwise] ' : '[score]    ';
      const opts = e.options.length > 0 ? `; options: ${e.options.map((o) => `--${o}`).join(' ')}` : '';
      return `  ${e.name.padEnd(ew)}${kind}${e.description}${opts}`;
    }).join('\n'),
    '',
    'Options:',
    formatOptionsHelp(spec.options),
    '',
    'Example: sieve fit --model normal-normal --estimator rvrs --samples 4 --steps 500',
    '',
  ].join('\n');
}

export interface FitSettings {
  model: string;
  estimator: string;
  steps: number;
  lr: number;
  samples: number;
  seed: number;
  mode: ModelSize;
  batchSize?: number;
  alpha?: number;
  threshold?: number;
  gamma?: number;
  refresh?: number;
  targetAccept?: number;
  acceptanceFloor?: number;
  maxProposals?: number;
  /** Where to write the training state (--save-params). */
  saveParams?: string;
  /** The training state to continue from (--resume). */
  resume?: string;
}

/** Check the options against the model and estimator; everything wrong is a UsageError. */
export function resolveFitSettings(
  options: Record<string, OptionValue>,
  models: readonly ModelSpec[],
): { settings: FitSettings; entry: EstimatorEntry; spec: ModelSpec } {
  const modelName = options.model as string | undefined;
  if (modelName === undefined) throw new UsageError(`missing --model ${validList(models.map((m) => m.name))}`);
  const spec = models.find((m) => m.name === modelName)!;
  const estName = (options.estimator as string | undefined) ?? (spec.latent === 'continuous' ? 'elbo' : 'elbo-sf');
  const entry = findEstimator(estName)!;
  if (entry.pathwise && spec.latent === 'discrete') {
    const ok = ESTIMATORS.filter((e) => !e.pathwise).map((e) => e.name);
    throw new UsageError(
      `estimator '${entry.name}' needs continuous latents (pathwise gradients), but model '${spec.name}' has ` +
        `discrete latents (valid for it: ${ok.join(', ')})`,
    );
  }
  const optionNames: EstimatorOptionName[] = [
    'alpha',
    'threshold',
    'gamma',
    'refresh',
    'target-accept',
    'acceptance-floor',
    'max-proposals',
  ];
  for (const o of optionNames) {
    if (options[o] !== undefined && !entry.options.includes(o)) {
      throw new UsageError(`--${o} does not apply to estimator '${entry.name}' (it applies to: ${appliesTo(o)})`);
    }
  }
  if (
    options.threshold !== undefined &&
    (options.gamma !== undefined || options.refresh !== undefined || options['target-accept'] !== undefined)
  ) {
    throw new UsageError(
      `--threshold fixes T; it cannot be combined with ` +
        `${options.gamma !== undefined ? '--gamma' : options.refresh !== undefined ? '--refresh' : '--target-accept'}`,
    );
  }
  const samples = (options.samples as number | undefined) ?? Math.max(FIT_DEFAULTS.samples, entry.minSamples);
  if (samples < entry.minSamples)
    throw new UsageError(`--samples must be >= ${entry.minSamples} for estimator '${entry.name}', got ${samples}`);
  const settings: FitSettings = {
    model: spec.name,
    estimator: entry.name,
    steps: (options.steps as number | undefined) ?? FIT_DEFAULTS.steps,
    lr: (options.lr as number | undefined) ?? FIT_DEFAULTS.lr,
    samples,
    seed: (options.seed as number | undefined) ?? FIT_DEFAULTS.seed,
    mode: modeFrom<ModelSize>(options, 'quick', ['tiny', 'quick', 'full']),
  };
  if (options['batch-size'] !== undefined) settings.batchSize = options['batch-size'] as number;
  if (options['save-params'] !== undefined) settings.saveParams = options['save-params'] as string;
  if (options.resume !== undefined) settings.resume = options.resume as string;
  if (entry.options.includes('alpha'))
    settings.alpha = (options.alpha as number | undefined) ?? entry.defaultAlpha ?? 0;
  if (entry.threshold !== undefined) {
    settings.acceptanceFloor = (options['acceptance-floor'] as number | undefined) ?? FIT_DEFAULTS.acceptanceFloor;
    settings.maxProposals = (options['max-proposals'] as number | undefined) ?? FIT_DEFAULTS.maxProposals;
    if (settings.maxProposals < samples) {
      throw new UsageError(
        `--max-proposals must be >= --samples (${samples}): ` +
          `each data point needs ${samples} accepted proposals, got ${settings.maxProposals}`,
      );
    }
    if (options.threshold !== undefined) settings.threshold = options.threshold as number;
    else if (entry.threshold === 'quantile') {
      settings.gamma = (options.gamma as number | undefined) ?? FIT_DEFAULTS.gamma;
      settings.refresh = (options.refresh as number | undefined) ?? FIT_DEFAULTS.refresh;
    } else settings.targetAccept = (options['target-accept'] as number | undefined) ?? FIT_DEFAULTS.targetAccept;
  }
  return { settings, entry, spec };
}

/** Where training reports progress: the terminal renderer, or a worker's messages to it. */
export interface FitProgress {
  task(label: string, total: number): ProgressTask;
  log(message: string): void;
}

/** One recorded step. */
interface StepRecord {
  bound: number;
  acceptance?: number;
  threshold?: number;
  ess?: number;
  /** Data points that hit the proposal cap (rejection estimators). */
  exhausted?: number;
}

function meanOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof Tensor) {
    const d = v.dataSync();
    if (d.length === 0) return undefined;
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i];
    return s / d.length;
  }
  return undefined;
}

export interface FitOutcome {
  result: ExperimentResult;
  interrupted: boolean;
  /** The signal that stopped training, when one did. */
  stopSignal?: StopSignal;
  error?: string;
  /** Why training was stopped for proposal-cap exhaustion (exit code 1). */
  exhausted?: string;
  /** Why the --resume file does not fit this model (exit code 2; nothing was trained). */
  rejected?: string;
  /** Why the --save-params file could not be written (exit code 1). */
  saveError?: string;
}

/**
 * What the training loop carries from one step to the next besides the parameters and the Adam
 * state. Kept in the file's JSON metadata: JSON numbers round-trip float64 exactly, and a tensor
 * threshold's float32 values are exact doubles.
 */
interface LoopState {
  /** Steps done: the next step is this one, so its keys are foldIn(trainKey, step), as in one long run. */
  step: number;
  threshold: number | { shape: number[]; values: number[] } | null;
  adapt: { velocity: number[]; count: number } | null;
  reinit: boolean;
  reinits: number;
  baseline: number | null;
}

const FIT_STATE_KIND = 'sieve-fit-state';

/** Metadata of a --save-params file: the run it belongs to, and the loop state. */
interface FitStateMetadata {
  kind: typeof FIT_STATE_KIND;
  model: string;
  estimator: string;
  mode: ModelSize;
  seed: number;
  lr: number;
  samples: number;
  loop: LoopState;
}

/** A --resume file, read and checked against the settings (but not yet against the model's shapes). */
export interface FitResumePoint {
  metadata: FitStateMetadata;
}

/**
 * Read a --resume file and check that it belongs to this run (model, estimator, seed and size
 * decide the data and the meaning of the state) and that it has steps left to do. Every problem is
 * a one-line message (the caller exits with code 2).
 */
export async function readFitResumePoint(file: string, settings: FitSettings): Promise<FitResumePoint | string> {
  let metadata: Record<string, unknown>;
  try {
    metadata = (await loadParamsFile(file)).metadata;
  } catch (e) {
    return `cannot resume: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (metadata.kind !== FIT_STATE_KIND || typeof metadata.loop !== 'object' || metadata.loop === null) {
    return (
      `cannot resume from ${file}: it holds parameters but no training state ` +
      '(not written by sieve fit --save-params)'
    );
  }
  const m = metadata as unknown as FitStateMetadata;
  const mustMatch = [
    ['model', '--model'],
    ['estimator', '--estimator'],
    ['seed', '--seed'],
    ['mode', '--tiny/--quick/--full'],
  ] as const;
  for (const [name, flag] of mustMatch) {
    if (m[name] !== settings[name]) {
      return (
        `cannot resume from ${file}: it was saved with ${flag} ${String(m[name])}, ` +
        `this run has ${String(settings[name])}`
      );
    }
  }
  if (m.loop.step >= settings.steps) {
    return (
      `cannot resume from ${file}: it has already done ${m.loop.step} steps and --steps is ${settings.steps} ` +
      '(--steps counts all steps, including the resumed ones)'
    );
  }
  return { metadata: m };
}

function loopStateOf(s: TrainState<TrainParams, unknown>): LoopState {
  const T = s.threshold.threshold;
  const adapt = s.threshold.adapt;
  return {
    step: s.step,
    threshold:
      T === undefined ? null : typeof T === 'number' ? T : { shape: [...T.shape], values: Array.from(T.dataSync()) },
    adapt: adapt === undefined ? null : { velocity: Array.from(adapt.velocity), count: adapt.count },
    reinit: s.threshold.restartPending,
    reinits: s.threshold.restarts,
    baseline: typeof s.baseline === 'number' ? s.baseline : null,
  };
}

/** The threshold state saved in a --resume file (a fixed --threshold always wins). */
function thresholdStateOf(loop: LoopState, policy: ThresholdPolicy | undefined): ThresholdState {
  const thr = loop.threshold;
  const saved =
    thr === null ? undefined : typeof thr === 'number' ? thr : Tensor.fromData(new Float32Array(thr.values), thr.shape);
  return {
    threshold: policy?.kind === 'fixed' ? policy.threshold : saved,
    adapt:
      loop.adapt === null ? undefined : { velocity: Float64Array.from(loop.adapt.velocity), count: loop.adapt.count },
    restartPending: loop.reinit,
    restarts: loop.reinits,
  };
}

/**
 * How T is chosen: fixed by --threshold; vrs: the gamma-quantile every --refresh steps; rvrs: adapted
 * toward --target-accept from −ELBO, restarted when the acceptance saturates. With minibatches one T
 * is shared by all data points (the batch mean), because the next batch holds other points.
 */
function thresholdPolicyOf(
  entry: EstimatorEntry,
  settings: FitSettings,
  minibatch: boolean,
): ThresholdPolicy | undefined {
  if (entry.threshold === undefined) return undefined;
  if (settings.threshold !== undefined) return { kind: 'fixed', threshold: settings.threshold };
  const shared = minibatch ? 'shared' : 'per-point';
  if (entry.threshold === 'quantile') {
    return {
      kind: 'quantile',
      gamma: settings.gamma!,
      samples: THRESHOLD_SAMPLES,
      every: settings.refresh!,
      minibatch: shared,
    };
  }
  return {
    kind: 'adaptive',
    target: settings.targetAccept!,
    samples: THRESHOLD_SAMPLES,
    lr: THRESHOLD_LR,
    acceptanceFloor: settings.acceptanceFloor,
    minibatch: shared,
    restart: RESTART_OUTSIDE,
  };
}

/** The estimator's options from the settings (the driver adds problem and threshold). */
function estimatorOptionsOf(
  entry: EstimatorEntry,
  settings: FitSettings,
): {
  samples: number;
  alpha?: number;
  acceptanceFloor?: number;
  maxProposals?: number;
  baseline?: number;
} {
  return {
    samples: settings.samples,
    ...(settings.alpha !== undefined ? { alpha: settings.alpha } : {}),
    ...(entry.threshold !== undefined
      ? { acceptanceFloor: settings.acceptanceFloor, maxProposals: settings.maxProposals }
      : {}),
    // elbo-sf with one sample: a moving-average baseline, threaded by the driver.
    ...(settings.samples === 1 && entry.name === 'elbo-sf' ? { baseline: 0 } : {}),
  };
}

/** What the report keeps of a step: means over the data points. */
function recordOf(step: TrainStepRecord, entry: EstimatorEntry): StepRecord {
  const d = step.diagnostics;
  const rec: StepRecord = { bound: step.bound };
  const acc = meanOf(d.acceptanceRate);
  if (acc !== undefined) rec.acceptance = acc;
  const thr = meanOf(d.threshold ?? step.threshold);
  if (thr !== undefined && entry.threshold !== undefined) rec.threshold = thr;
  const ess = meanOf(d.ess);
  if (ess !== undefined) rec.ess = ess;
  const ex = stepExhaustion(d);
  if (ex !== undefined) rec.exhausted = ex.exhausted;
  return rec;
}

/** Thrown inside a step when a stop was requested: the step is abandoned, not finished. */
class StopRequested extends Error {}

/**
 * The problem with a stop check before every log-joint evaluation: the rejection sampler evaluates
 * it once per round, so a long step (a large --max-proposals) is abandoned at the next round instead
 * of running to the cap. (In a worker the stop flag is shared memory and is seen at once.)
 */
function stoppable(problem: Problem, stop: () => StopSignal | undefined): Problem {
  return {
    ...problem,
    logJoint: (...args: Parameters<Problem['logJoint']>) => {
      if (stop() !== undefined) throw new StopRequested('stop requested');
      return problem.logJoint(...args);
    },
  };
}

/** The training loop; returns the result as a one-experiment ExperimentResult. */
export async function trainFit(
  model: FitModel,
  entry: EstimatorEntry,
  settings: FitSettings,
  io: Pick<CliIo, 'now'>,
  progress: FitProgress,
  stop: () => StopSignal | undefined,
): Promise<FitOutcome> {
  const t0 = io.now();
  const problem = stoppable(model.problem, stop);
  const minibatch = problem.datasetSize !== undefined;
  // Step t's keys depend on t alone (foldIn(trainKey, t)), so a run resumed at step k draws what
  // an uninterrupted run draws from step k on.
  const trainKey = foldIn(key(settings.seed), 0x5eed);
  const opt = adam({ lr: settings.lr });
  type Params = { theta: unknown; phi: unknown };
  let params: Params = { theta: model.theta ?? {}, phi: model.phi };
  if (treeFlatten(params)[0].length === 0) throw new Error(`model '${model.name}' has no parameters to train`);
  let state = opt.init(params);
  let start = 0;
  let resumed: LoopState | undefined;
  if (settings.resume !== undefined) {
    const point = await readFitResumePoint(settings.resume, settings);
    const fs = await import('node:fs/promises');
    let loaded: { params: Params; optimizer: typeof state } | undefined;
    let rejected = typeof point === 'string' ? point : undefined;
    if (rejected === undefined) {
      try {
        const bytes = await fs.readFile(settings.resume);
        loaded = loadParamsWithMetadata<NonNullable<typeof loaded>>(bytes, { like: { params, optimizer: state } }).tree;
      } catch (e) {
        rejected =
          `cannot resume from ${settings.resume}: ${e instanceof Error ? e.message : String(e)} ` +
          `(model '${model.name}' at this size)`;
      }
    }
    if (rejected !== undefined || loaded === undefined) {
      const result = buildFitResult(settings, entry, model, [], {}, {}, 0);
      return { result, interrupted: false, rejected: rejected ?? 'cannot resume' };
    }
    params = loaded.params;
    state = loaded.optimizer;
    resumed = (point as FitResumePoint).metadata.loop;
    start = resumed.step;
    progress.log(`  resuming from ${settings.resume} at step ${start}`);
  }

  const threshold = thresholdPolicyOf(entry, settings, minibatch);
  const options = estimatorOptionsOf(entry, settings);
  const resumeState: TrainState<Params, typeof state> | undefined =
    resumed === undefined
      ? undefined
      : {
          step: start,
          params,
          optimizerState: state,
          skipped: 0,
          threshold: thresholdStateOf(resumed, threshold),
          baseline: resumed.baseline ?? options.baseline,
        };
  const records: StepRecord[] = [];
  let smooth: number | undefined;
  let error: string | undefined;
  let interrupted = false;
  let exhaustedWhy: string | undefined;
  const exhaustion = new ExhaustionTracker();
  const task = progress.task(`fit ${settings.model} / ${settings.estimator}`, settings.steps);

  // The state after the last completed step (references: tensors are immutable): what --save-params
  // writes, also when a stop or an error abandons a step halfway.
  let snapshot: TrainState<Params, typeof state> =
    resumeState ?? initialTrainState({ params, optimizer: opt, threshold, options });
  try {
    await trainAsync({
      estimator: entry.fn,
      problem,
      options,
      params,
      optimizer: opt,
      steps: settings.steps,
      key: trainKey,
      threshold,
      batch: (batchKey, t) => model.batch(batchKey, t),
      resume: resumeState,
      keepRecords: false,
      now: () => io.now(),
      shouldStop: () => {
        interrupted = stop() !== undefined;
        return interrupted || exhaustion.hopeless;
      },
      onStep: (step, next) => {
        records.push(recordOf(step, entry));
        const ex = stepExhaustion(step.diagnostics);
        if (ex !== undefined && ex.exhausted > 0 && exhaustion.firstStep === undefined) {
          const points = `${ex.exhausted} of ${ex.points} data point${ex.points === 1 ? '' : 's'}`;
          progress.log(
            `  step ${step.step}: ${points} hit --max-proposals ${settings.maxProposals} ` +
              `before ${settings.samples} ` +
              'acceptances (masked when fewer than 2 were accepted; a fully masked step has a NaN bound)',
          );
        }
        exhaustion.record(step.step, ex);
        if (Number.isFinite(step.bound)) smooth = smooth === undefined ? step.bound : 0.95 * smooth + 0.05 * step.bound;
        snapshot = next;
      },
      progress: (done) => {
        const info: Record<string, number> = {};
        if (smooth !== undefined) info.bound = smooth;
        const acceptance = records[records.length - 1].acceptance;
        if (acceptance !== undefined) info.accept = acceptance;
        if (exhaustion.stepsWithExhaustion > 0) info['exhausted steps'] = exhaustion.stepsWithExhaustion;
        task.update(done, info);
      },
    });
  } catch (e) {
    if (e instanceof StopRequested) interrupted = true;
    else if (e instanceof NonFiniteGradientError) {
      error =
        `step ${e.step}: gradient leaf ${e.leaf} has a non-finite value ${e.value} at index ${e.index}; ` +
        "check the loss and the estimator's diagnostics for this step";
    } else error = `step ${snapshot.step}: ${e instanceof Error ? e.message : String(e)}`;
  }
  task.finish();
  if (!interrupted && error === undefined && (exhaustion.hopeless || exhaustion.everyStep(records.length))) {
    exhaustedWhy = exhaustionFailure(exhaustion, records.length, {
      maxProposals: settings.maxProposals!,
      samples: settings.samples,
      threshold: settings.threshold,
    });
  }
  const stopSignal = interrupted ? stop() : undefined;
  let saveError: string | undefined;
  if (settings.saveParams !== undefined) {
    const s = snapshot;
    const metadata: FitStateMetadata = {
      kind: FIT_STATE_KIND,
      model: settings.model,
      estimator: settings.estimator,
      mode: settings.mode,
      seed: settings.seed,
      lr: settings.lr,
      samples: settings.samples,
      loop: loopStateOf(s),
    };
    try {
      const tree = { params: s.params, optimizer: s.optimizerState };
      await saveParamsFile(settings.saveParams, tree, { metadata: { ...metadata } });
      progress.log(`  saved the parameters and optimizer state after step ${s.step} to ${settings.saveParams}`);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      saveError = `could not save the parameters to ${settings.saveParams}: ${why}`;
    }
  }

  let evaluation: Record<string, number> = {};
  if (model.evaluate !== undefined && records.length > 0) {
    try {
      evaluation = model.evaluate(snapshot.params.theta, snapshot.params.phi, foldIn(key(settings.seed), 0xe7a1));
    } catch (e) {
      progress.log(`  evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const end = { stopSignal, error, exhausted: exhaustedWhy };
  const result = buildFitResult(settings, entry, model, records, evaluation, end, (io.now() - t0) / 1000);
  const reinits = snapshot.threshold.restarts;
  if (reinits > 0) {
    result.comments.push(
      `The threshold T was restarted from -ELBO ${reinits} time${reinits > 1 ? 's' : ''} because ` +
        `the acceptance rate saturated (above ${RESTART_OUTSIDE.above} or below ${RESTART_OUTSIDE.below}), ` +
        'where the target-acceptance rule has no gradient.',
    );
    result.metrics.thresholdRestarts = reinits;
  }
  if (start > 0) {
    result.comments.push(
      `Resumed from ${settings.resume} at step ${start}: the plots and tables cover steps ` +
        `${start + 1} to ${start + records.length} (shown as 1 to ${records.length}).`,
    );
    result.metrics.resumedAtStep = start;
  }
  return {
    result,
    interrupted,
    ...(stopSignal !== undefined ? { stopSignal } : {}),
    error,
    exhausted: exhaustedWhy,
    ...(saveError !== undefined ? { saveError } : {}),
  };
}

function exhaustedPointsOf(records: readonly StepRecord[]): number {
  return records.reduce((a, r) => a + (r.exhausted ?? 0), 0);
}

/** Chunk means and standard errors of a per-step quantity. */
function chunked(
  records: readonly StepRecord[],
  pick: (r: StepRecord) => number | undefined,
  chunks: number,
): { x: number[]; y: number[]; band: number[] } {
  const n = records.length;
  const size = Math.max(1, Math.ceil(n / chunks));
  const x: number[] = [],
    y: number[] = [],
    band: number[] = [];
  for (let i0 = 0; i0 < n; i0 += size) {
    const vals: number[] = [];
    for (let i = i0; i < Math.min(n, i0 + size); i++) {
      const v = pick(records[i]);
      if (v !== undefined && Number.isFinite(v)) vals.push(v);
    }
    x.push(Math.min(n, i0 + size));
    if (vals.length === 0) {
      y.push(NaN);
      band.push(NaN);
      continue;
    }
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    const v = vals.length > 1 ? vals.reduce((a, b) => a + (b - m) ** 2, 0) / (vals.length - 1) : 0;
    y.push(m);
    band.push(Math.sqrt(v / vals.length));
  }
  return { x, y, band };
}

export function buildFitResult(
  settings: FitSettings,
  entry: EstimatorEntry,
  model: Pick<FitModel, 'name' | 'latent'>,
  records: readonly StepRecord[],
  evaluation: Record<string, number>,
  end: { stopSignal?: StopSignal; error?: string; exhausted?: string },
  seconds: number,
): ExperimentResult {
  const done = records.length;
  const interrupted = end.stopSignal !== undefined;
  const error = end.error;
  const exhaustedSteps = records.filter((r) => (r.exhausted ?? 0) > 0).length;
  const bound = chunked(records, (r) => r.bound, 200);
  const boundSeries = [
    { name: `${settings.estimator} bound (mean over ${Math.max(1, Math.ceil(done / 200))} steps)`, ...bound },
  ];
  if (Number.isFinite(evaluation.logEvidence) && bound.x.length > 0) {
    boundSeries.push({
      name: 'log p(x) (exact)',
      x: [bound.x[0], bound.x[bound.x.length - 1]],
      y: [evaluation.logEvidence, evaluation.logEvidence],
      band: [0, 0],
    });
  }
  const plots: Plot[] = [
    {
      id: 'bound',
      title: `Training bound: ${settings.model} with ${settings.estimator}`,
      xLabel: 'step',
      yLabel: 'bound estimate (nats)',
      series: boundSeries,
      caption:
        `Monte Carlo estimate of the ${entry.name} objective at each step, averaged over blocks of steps ` +
        `(shaded: ± one standard error within a block). Higher is better.`,
    },
  ];
  const hasAcc = records.some((r) => r.acceptance !== undefined);
  if (hasAcc) {
    const acc = chunked(records, (r) => r.acceptance, 200);
    const series = [{ name: 'acceptance rate', ...acc }];
    if (settings.targetAccept !== undefined && acc.x.length > 0)
      series.push({
        name: `target ${settings.targetAccept}`,
        x: [acc.x[0], acc.x[acc.x.length - 1]],
        y: [settings.targetAccept, settings.targetAccept],
        band: [0, 0],
      });
    plots.push({
      id: 'acceptance',
      title: 'Acceptance rate of the rejection sampler',
      xLabel: 'step',
      yLabel: 'mean acceptance probability',
      series,
      caption:
        'Mean acceptance probability Z_R over proposals, per block of steps. Lower acceptance means a tighter bound ' +
        'but more proposals per accepted sample.',
    });
  }
  if (records.some((r) => r.threshold !== undefined && Number.isFinite(r.threshold))) {
    const thr = chunked(records, (r) => r.threshold, 200);
    plots.push({
      id: 'threshold',
      title: 'Threshold T',
      xLabel: 'step',
      yLabel: 'T (mean over data points)',
      series: [{ name: 'T', x: thr.x, y: thr.y }],
      caption:
        settings.threshold !== undefined
          ? 'Fixed threshold.'
          : entry.threshold === 'quantile'
            ? `The gamma = ${settings.gamma} quantile of log q - log p, refreshed every ${settings.refresh} steps.`
            : `Adapted each step so the acceptance rate approaches ${settings.targetAccept}.`,
    });
  }
  const rowsTable = chunked(records, (r) => r.bound, 10);
  const accTable = chunked(records, (r) => r.acceptance, 10);
  const thrTable = chunked(records, (r) => r.threshold, 10);
  const columns = ['steps up to', 'mean bound', '± s.e.'];
  if (hasAcc) columns.push('acceptance');
  if (records.some((r) => r.threshold !== undefined)) columns.push('threshold');
  if (exhaustedSteps > 0) columns.push('steps exhausted');
  const rows = rowsTable.x.map((x, i) => {
    const row: (string | number)[] = [x, rowsTable.y[i], rowsTable.band[i]];
    if (hasAcc) row.push(accTable.y[i]);
    if (records.some((r) => r.threshold !== undefined)) row.push(thrTable.y[i]);
    if (exhaustedSteps > 0) {
      const from = i === 0 ? 0 : rowsTable.x[i - 1];
      row.push(records.slice(from, x).filter((r) => (r.exhausted ?? 0) > 0).length);
    }
    return row;
  });
  const tables: Table[] = [{ title: 'Bound over training (block means)', columns, rows }];
  if (Object.keys(evaluation).length > 0)
    tables.push({
      title: 'Evaluation of the fitted parameters',
      columns: ['quantity', 'value'],
      rows: Object.entries(evaluation),
    });
  const lastTenth = records.slice(Math.floor(done * 0.9));
  const finals = lastTenth.map((r) => r.bound).filter(Number.isFinite);
  const finalBound = finals.length > 0 ? finals.reduce((a, b) => a + b, 0) / finals.length : NaN;
  const comments: string[] = [];
  if (end.stopSignal !== undefined) {
    comments.push(`Stopped by ${signalName(end.stopSignal)} after ${done} of ${settings.steps} steps.`);
  }
  if (error !== undefined) comments.push(`Training stopped with an error at ${error}`);
  if (end.exhausted !== undefined) comments.push(`Training stopped: ${end.exhausted}.`);
  if (exhaustedSteps > 0) {
    const points = exhaustedPointsOf(records);
    comments.push(
      `The rejection sampler hit its proposal cap (${settings.maxProposals} per data point) in ` +
        `${exhaustedSteps} of ${done} steps (${points} data-point draws in all). Exhausted data points with fewer ` +
        "than 2 accepted samples are left out of their step's bound, so those steps' bounds are biased, and NaN when " +
        'every data point was left out.',
    );
  }
  if (Number.isFinite(evaluation.logEvidence) && Number.isFinite(finalBound)) {
    comments.push(
      `Final bound ${formatNumber(finalBound)} vs exact log p(x) ${formatNumber(evaluation.logEvidence)}: gap ` +
        `${formatNumber(evaluation.logEvidence - finalBound)} nats.`,
    );
  }
  const settingsRecord: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) settingsRecord[k] = v as number | string;
  return {
    name: `fit-${settings.model}-${settings.estimator}`,
    title: `Fit: ${settings.model} with ${settings.estimator}`,
    summary:
      `Model '${model.name}' (${model.latent} latents) trained with the ${entry.name} estimator ` +
      `(${entry.description}) for ${done} step${done === 1 ? '' : 's'} with Adam (learning rate ${settings.lr}), ` +
      `${settings.samples} samples per data point, seed ${settings.seed}.`,
    plots,
    tables,
    references: [],
    comments,
    metrics: {
      stepsDone: done,
      finalBound,
      ...evaluation,
      ...(entry.threshold !== undefined ? { exhaustedSteps, exhaustedPoints: exhaustedPointsOf(records) } : {}),
    },
    settings: settingsRecord,
    interrupted,
    seconds,
  };
}

export async function runFit(
  argv: readonly string[],
  io: CliIo,
  models: readonly ModelSpec[],
  runner: 'in-process' | 'worker' = 'in-process',
): Promise<number> {
  const args = parseCommandArgs(argv, fitSpec(models));
  if (args.help) {
    io.stdout.write(fitHelp(models));
    return EXIT_OK;
  }
  const { settings, entry, spec } = resolveFitSettings(args.options, models);
  // Checked before the model is built and before --out is claimed: a bad file fails in a second.
  if (settings.saveParams !== undefined) {
    settings.saveParams = path.resolve(io.cwd, settings.saveParams);
    const dir = path.dirname(settings.saveParams);
    if (!existsSync(dir)) {
      io.stderr.write(`sieve: --save-params ${settings.saveParams}: the directory ${dir} does not exist\n`);
      return EXIT_USAGE;
    }
  }
  if (settings.resume !== undefined) {
    settings.resume = path.resolve(io.cwd, settings.resume);
    const point = await readFitResumePoint(settings.resume, settings);
    if (typeof point === 'string') {
      io.stderr.write(`sieve: ${point}\n`);
      return EXIT_USAGE;
    }
  }
  const startedAt = io.date();
  const runName =
    args.options.out !== undefined
      ? path.basename(path.resolve(io.cwd, args.options.out as string))
      : `fit-${settings.model}-${settings.estimator}-${timestamp(startedAt)}`;
  const outDir = path.resolve(io.cwd, (args.options.out as string | undefined) ?? path.join('reports', runName));
  // Before building the model (MNIST models load data): a bad --out fails in a second.
  const lock = claimOutDir(outDir);
  try {
    return await fitAndReport(argv, io, { settings, entry, spec, runName, outDir, startedAt }, runner);
  } finally {
    lock.release();
  }
}

interface FitPlan {
  settings: FitSettings;
  entry: EstimatorEntry;
  spec: ModelSpec;
  runName: string;
  outDir: string;
  startedAt: Date;
}

/** Build the model; a failure is an Error starting "could not build model" (exit code 1). */
export async function buildFitModel(spec: ModelSpec, settings: FitSettings): Promise<FitModel> {
  try {
    const batch = settings.batchSize !== undefined ? { batchSize: settings.batchSize } : {};
    return await spec.build({ seed: settings.seed, mode: settings.mode, ...batch });
  } catch (e) {
    throw new Error(`could not build model '${spec.name}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

const FIT_WORKER_URL = new URL('../fit-worker.js', import.meta.url);

/**
 * Training runs in a worker thread when the compiled worker exists (the CLI from dist/; registered
 * models only): a stop signal then reaches even a step that runs for seconds at its next rejection
 * round. Under a TypeScript loader (tests) it runs in-process; SIEVE_IN_PROCESS=1 forces that.
 */
export function fitWorkerAvailable(): boolean {
  return process.env.SIEVE_IN_PROCESS !== '1' && existsSync(fileURLToPath(FIT_WORKER_URL));
}

/** What the fit worker gets: everything it needs to look up the model and estimator by name. */
export interface FitWorkerInput {
  settings: FitSettings;
  stop: SharedArrayBuffer;
}

async function fitAndReport(
  argv: readonly string[],
  io: CliIo,
  plan: FitPlan,
  runner: 'in-process' | 'worker',
): Promise<number> {
  const { settings, entry, spec } = plan;
  const progress = new ProgressRenderer(io.stderr, { now: () => io.now() });
  let model: FitModel | undefined;
  if (runner === 'in-process') {
    try {
      model = await buildFitModel(spec, settings);
    } catch (e) {
      io.stderr.write(`sieve: ${(e as Error).message}\n`);
      return EXIT_FAILURE;
    }
    if (entry.pathwise && model.latent === 'discrete') {
      const why = `model '${model.name}' has discrete latents`;
      io.stderr.write(`sieve: estimator '${entry.name}' needs continuous latents, but ${why}\n`);
      return EXIT_USAGE;
    }
  }
  const t0 = io.now();
  const stopFlag = new SharedArrayBuffer(4);
  const interrupts = handleInterrupts(io, progress, (signal) => raiseStopFlag(stopFlag, signal));
  let outcome: FitOutcome;
  try {
    progress.log(
      `sieve fit: ${settings.model} with ${settings.estimator}, ${settings.steps} steps, lr ${settings.lr}, ` +
        `${settings.samples} samples, seed ${settings.seed}`,
    );
    if (model !== undefined) outcome = await trainFit(model, entry, settings, io, progress, () => interrupts.signal());
    else {
      const input: FitWorkerInput = { settings, stop: stopFlag };
      try {
        const target = { progress: (l: string, t: number) => progress.task(l, t), log: (m: string) => progress.log(m) };
        outcome = await runInWorker<FitOutcome>(FIT_WORKER_URL, input, target);
      } catch (e) {
        progress.close();
        io.stderr.write(`sieve: ${e instanceof Error ? e.message : String(e)}\n`);
        return EXIT_FAILURE;
      }
    }
  } finally {
    interrupts.dispose();
  }
  if (outcome.rejected !== undefined) {
    progress.close();
    io.stderr.write(`sieve: ${outcome.rejected}\n`);
    return EXIT_USAGE;
  }
  return reportFit(argv, io, plan, outcome, (io.now() - t0) / 1000);
}

/** Print the summary, write the report, and turn the outcome into the exit code. */
function reportFit(argv: readonly string[], io: CliIo, plan: FitPlan, outcome: FitOutcome, seconds: number): number {
  const { settings, runName, outDir, startedAt } = plan;
  const { result } = outcome;
  io.stdout.write(`\n${formatExperimentSummary(result, { width: io.stdout.columns ?? 100 })}\n`);
  const record = makeRecord({
    command: 'fit',
    argv: ['fit', ...argv],
    runName,
    mode: settings.mode,
    seed: settings.seed,
    startedAt,
    seconds,
    interrupted: outcome.interrupted,
    stopSignal: outcome.stopSignal,
    settings: result.settings,
    experiments: [result],
  });
  const paths = writeReport(outDir, record);
  io.stdout.write(
    `\n${outcome.interrupted ? 'Interrupted; partial report' : 'Report'}: ${paths.html}\nResults: ${paths.json}\n`,
  );
  if (outcome.saveError !== undefined) {
    io.stderr.write(`sieve: ${outcome.saveError}\n`);
    return EXIT_FAILURE;
  }
  if (outcome.error !== undefined) {
    io.stderr.write(`sieve: training failed at ${outcome.error}\n`);
    return EXIT_FAILURE;
  }
  if (outcome.exhausted !== undefined) {
    io.stderr.write(`sieve: training stopped: ${outcome.exhausted}\n`);
    return EXIT_FAILURE;
  }
  return outcome.interrupted ? exitCodeFor(outcome.stopSignal ?? 'SIGINT') : EXIT_OK;
}
