/**
 * Runs one registered experiment in a worker thread, so that the main thread stays responsive:
 * Ctrl-C is noticed at once even while the experiment computes synchronously. The stop flag is a
 * SharedArrayBuffer the experiment's `shouldStop()` reads; progress and log lines are posted to the
 * main thread (progress updates throttled to ~20 a second), then the result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EXPERIMENTS } from '../experiments/index.js';
import type { ProgressTask, RunContext, RunMode } from '../experiments/types.js';

export type WorkerMessage =
  | { type: 'task'; id: number; label: string; total: number }
  | { type: 'update'; id: number; done: number; info?: Record<string, number | string> }
  | { type: 'finish'; id: number }
  | { type: 'log'; message: string }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string };

export interface WorkerInput {
  name: string;
  seed: number;
  mode: RunMode;
  stop: SharedArrayBuffer;
}

async function runInWorker(): Promise<void> {
  const port = parentPort!;
  const input = workerData as WorkerInput;
  const flag = new Int32Array(input.stop);
  const post = (m: WorkerMessage): void => port.postMessage(m);
  let nextId = 0;
  const context: RunContext = {
    seed: input.seed,
    mode: input.mode,
    progress(label: string, total: number): ProgressTask {
      const id = nextId++;
      post({ type: 'task', id, label, total });
      let last = -Infinity;
      return {
        update(done, info) {
          const now = performance.now();
          if (now - last < 50 && done < total) return;
          last = now;
          post({ type: 'update', id, done, info });
        },
        finish() {
          post({ type: 'finish', id });
        },
      };
    },
    shouldStop: () => Atomics.load(flag, 0) !== 0,
    log: (message) => post({ type: 'log', message }),
  };
  try {
    const exp = EXPERIMENTS.find((e) => e.name === input.name);
    if (exp === undefined) throw new Error(`no registered experiment '${input.name}'`);
    post({ type: 'result', result: await exp.run(context) });
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

if (parentPort !== null) void runInWorker();
