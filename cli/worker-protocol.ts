/**
 * Running a job (an experiment, or `sieve fit`'s training) in a worker thread, so that the main
 * thread stays responsive: a stop signal is seen at once even while the job computes
 * synchronously. The stop flag is a SharedArrayBuffer the job reads with Atomics (0 = run on,
 * 1 = SIGINT, 2 = SIGTERM); progress and log lines are posted to the main thread (updates throttled
 * to ~20 a second), then the result.
 */
import { setFlagsFromString } from 'node:v8';
import { Worker, type MessagePort } from 'node:worker_threads';
import type { ProgressTask } from '../experiments/types.js';
import type { StopSignal } from './io.js';
import { setThreadCount, stopWorkerThreads } from '../src/tensor/backend/index.js';

export type WorkerMessage =
  | { type: 'task'; id: number; label: string; total: number }
  | { type: 'update'; id: number; done: number; info?: Record<string, number | string> }
  | { type: 'finish'; id: number }
  | { type: 'log'; message: string }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string };

/** Where a job's progress goes (the main thread's renderer, or a worker's messages to it). */
export interface JobProgress {
  progress(label: string, total: number): ProgressTask;
  log(message: string): void;
}

const SIGNAL_CODES: Record<StopSignal, number> = { SIGINT: 1, SIGTERM: 2 };

/** Main thread: raise the stop flag (keeps the first signal). */
export function raiseStopFlag(flag: SharedArrayBuffer, signal: StopSignal): void {
  Atomics.compareExchange(new Int32Array(flag), 0, 0, SIGNAL_CODES[signal]);
}

/** Worker: read the stop flag. */
export function readStopFlag(flag: SharedArrayBuffer): StopSignal | undefined {
  const v = Atomics.load(new Int32Array(flag), 0);
  return v === 0 ? undefined : v === 1 ? 'SIGINT' : 'SIGTERM';
}

/** Worker side: progress and log lines as messages to the main thread. */
export function postingProgress(port: MessagePort): JobProgress & { post(m: WorkerMessage): void } {
  const post = (m: WorkerMessage): void => port.postMessage(m);
  let nextId = 0;
  return {
    post,
    progress(label: string, total: number): ProgressTask {
      const id = nextId++;
      post({ type: 'task', id, label, total });
      let last = -Infinity;
      // The newest update not posted (throttled); posted before finish so the final line is exact.
      let pending: WorkerMessage | undefined;
      return {
        update(done, info) {
          const now = performance.now();
          pending = { type: 'update', id, done, info };
          if (now - last < 50 && done < total) return;
          last = now;
          post(pending);
          pending = undefined;
        },
        finish() {
          if (pending !== undefined) post(pending);
          pending = undefined;
          post({ type: 'finish', id });
        },
      };
    },
    log: (message) => post({ type: 'log', message }),
  };
}

/**
 * Worker side: run the job and post its result, or its error message.
 *
 * The job's kernels run on this worker thread alone unless SIEVE_THREADS asks otherwise: measured on
 * the quick SBN, VAE and sbn-vimco experiments, two threads gained 1–10% on a quiet machine (182 s
 * against 192 s over two runs each, 2026-12-04) and lose when the other core is busy. With workers,
 * they are stopped, and their threads have ended, before the result is posted: the main thread
 * terminates this worker as soon as the result arrives, and Node 20 can abort the whole process
 * ("Assertion failed" in NodePlatform::ForIsolate) when a terminated worker still owns worker threads
 * of its own.
 */
export async function serveJob(port: MessagePort, job: () => Promise<unknown>): Promise<void> {
  if (process.env.SIEVE_THREADS === undefined || process.env.SIEVE_THREADS === '') setThreadCount(1);
  let message: WorkerMessage;
  try {
    message = { type: 'result', result: await job() };
  } catch (e) {
    message = { type: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  await stopWorkerThreads();
  port.postMessage(message);
}

/**
 * Node 20 can abort the whole process when a worker ends while V8 still optimizes its code on a
 * background thread: the compile job asks the platform for the ended isolate's task runner
 * ("Assertion failed: (data.first) != nullptr" in NodePlatform::ForIsolate, under
 * OptimizingCompileDispatcher::CompileTask in the stack; seen in `npm start` on 2026-12-03, when a short
 * experiment's worker was terminated). Without concurrent recompilation V8 optimizes on the worker's
 * own thread, so no such job can outlive it. Set before the first worker starts (each new isolate
 * reads the flag); it affects this CLI process only, never the library.
 */
let optimizingOnOwnThread = false;
function optimizeOnOwnThread(): void {
  if (optimizingOnOwnThread) return;
  setFlagsFromString('--no-concurrent-recompilation');
  optimizingOnOwnThread = true;
}

/** Main thread: start the worker script at `url` with `input` and relay its messages to `target`. */
export function runInWorker<T>(url: URL, input: unknown, target: JobProgress): Promise<T> {
  optimizeOnOwnThread();
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(url, { workerData: input });
    const tasks = new Map<number, ProgressTask>();
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      for (const t of tasks.values()) t.finish();
      void worker.terminate();
      f();
    };
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'task':
          tasks.set(m.id, target.progress(m.label, m.total));
          break;
        case 'update':
          tasks.get(m.id)?.update(m.done, m.info);
          break;
        case 'finish':
          tasks.get(m.id)?.finish();
          tasks.delete(m.id);
          break;
        case 'log':
          target.log(m.message);
          break;
        case 'result':
          settle(() => resolve(m.result as T));
          break;
        case 'error':
          settle(() => reject(new Error(m.message)));
          break;
      }
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => {
      settle(() => reject(new Error(`worker exited with code ${code} before returning a result`)));
    });
  });
}
