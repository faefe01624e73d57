/**
 * Runs one registered experiment in a worker thread (see worker-protocol.ts): Ctrl-C and SIGTERM
 * are noticed at once even while the experiment computes synchronously.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EXPERIMENTS } from '../experiments/index.js';
import type { RunContext, RunMode } from '../experiments/types.js';
import { postingProgress, readStopFlag, serveJob } from './worker-protocol.js';

export type { WorkerMessage } from './worker-protocol.js';

export interface WorkerInput {
  name: string;
  seed: number;
  mode: RunMode;
  stop: SharedArrayBuffer;
}

function runExperimentInWorker(port: NonNullable<typeof parentPort>): Promise<void> {
  const input = workerData as WorkerInput;
  const out = postingProgress(port);
  const context: RunContext = {
    seed: input.seed,
    mode: input.mode,
    progress: (label, total) => out.progress(label, total),
    shouldStop: () => readStopFlag(input.stop) !== undefined,
    log: (message) => out.log(message),
  };
  return serveJob(port, async () => {
    const exp = EXPERIMENTS.find((e) => e.name === input.name);
    if (exp === undefined) throw new Error(`no registered experiment '${input.name}'`);
    return exp.run(context);
  });
}

if (parentPort !== null) void runExperimentInWorker(parentPort);
