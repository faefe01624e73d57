/**
 * Runs `sieve fit`'s training in a worker thread (see worker-protocol.ts): the model and estimator
 * are looked up by name, and the stop flag is read before every log-joint evaluation, so a stop
 * signal ends even a long rejection-sampling step within one round.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { allModels } from './builtin-models.js';
import { buildFitModel, trainFit, type FitWorkerInput } from './commands/fit.js';
import { findEstimator } from './estimators.js';
import { postingProgress, readStopFlag, serveJob } from './worker-protocol.js';

function runFitInWorker(port: NonNullable<typeof parentPort>): Promise<void> {
  const { settings, stop } = workerData as FitWorkerInput;
  const out = postingProgress(port);
  return serveJob(port, async () => {
    const spec = allModels().find((m) => m.name === settings.model);
    const entry = findEstimator(settings.estimator);
    if (spec === undefined || entry === undefined) {
      throw new Error(`no registered model '${settings.model}' or estimator '${settings.estimator}'`);
    }
    const model = await buildFitModel(spec, settings);
    if (entry.pathwise && model.latent === 'discrete') {
      const why = `model '${model.name}' has discrete latents`;
      throw new Error(`estimator '${entry.name}' needs continuous latents, but ${why}`);
    }
    const progress = {
      task: (label: string, total: number) => out.progress(label, total),
      log: (m: string) => out.log(m),
    };
    return trainFit(model, entry, settings, { now: () => performance.now() }, progress, () => readStopFlag(stop));
  });
}

if (parentPort !== null) void runFitInWorker(parentPort);
