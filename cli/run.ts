/**
 * Pieces shared by the commands: Ctrl-C handling, run metadata, and printing where the report is.
 */
import type { ExperimentResult, RunMode } from '../experiments/types.js';
import { UsageError } from './args.js';
import { exitCodeFor, machineInfo, sieveVersion, signalName, type CliIo, type StopSignal } from './io.js';
import { prepareOutDir } from './out-dir.js';
import type { ProgressRenderer } from './progress.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type RunFailure, type RunRecord } from './report/results.js';
import { acquireRunLock, type RunLock } from './run-lock.js';

export interface InterruptState {
  stopped(): boolean;
  /** The first stop signal received, if any. */
  signal(): StopSignal | undefined;
  dispose(): void;
}

/**
 * First Ctrl-C or SIGTERM: set the stop flag (the running loop returns early, the report is still
 * written; the exit code is then 130 for SIGINT, 143 for SIGTERM). A second one: quit at once with
 * the first signal's exit code, without the report.
 */
export function handleInterrupts(
  io: CliIo,
  progress: ProgressRenderer,
  onStop?: (signal: StopSignal) => void,
): InterruptState {
  let first: StopSignal | undefined;
  const dispose = io.onInterrupt((count, signal = 'SIGINT') => {
    if (count <= 1) {
      first = signal;
      onStop?.(signal);
      progress.log(`\n${signalName(signal)}: stopping and writing the report (send it again to quit at once).`);
    } else {
      progress.log(`\n${signalName(signal)} again: quitting without writing the report.`);
      io.exitNow(exitCodeFor(first ?? signal));
    }
  });
  return { stopped: () => first !== undefined, signal: () => first, dispose };
}

export function makeRecord(args: {
  command: string;
  argv: readonly string[];
  runName: string;
  mode: RunMode;
  seed: number;
  startedAt: Date;
  seconds: number;
  interrupted: boolean;
  stopSignal?: StopSignal;
  settings?: Record<string, number | string | boolean>;
  experiments: ExperimentResult[];
  failures?: RunFailure[];
  skipped?: string[];
}): RunRecord {
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    run: {
      command: args.command,
      argv: args.argv.slice(),
      runName: args.runName,
      mode: args.mode,
      seed: args.seed,
      startedAt: args.startedAt.toISOString(),
      seconds: Math.round(args.seconds * 1000) / 1000,
      interrupted: args.interrupted,
      ...(args.stopSignal !== undefined ? { stopSignal: args.stopSignal } : {}),
      sieveVersion: sieveVersion(),
      machine: machineInfo(),
      settings: args.settings ?? {},
    },
    experiments: args.experiments,
    failures: args.failures ?? [],
    skipped: args.skipped ?? [],
  };
}

/**
 * Check, create and lock the report directory before any work (a bad --out is a UsageError, exit 2);
 * the caller releases the lock when the report is written.
 */
export function claimOutDir(dir: string): RunLock {
  prepareOutDir(dir);
  return acquireRunLock(dir);
}

/** Give the event loop a turn (so Ctrl-C is noticed inside long synchronous loops). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The run mode from --tiny / --quick / --standard / --full (at most one of the `allowed` flags).
 * `sieve fit` builds models at tiny, quick or full size only, so it passes a narrower list.
 */
export function modeFrom<M extends RunMode = RunMode>(
  options: Record<string, unknown>,
  fallback: M,
  allowed: readonly M[] = ['tiny', 'quick', 'standard', 'full'] as M[],
): M {
  const given = allowed.filter((m) => options[m] === true);
  if (given.length > 1) {
    const choices = allowed.map((m) => `--${m}`).join(', ');
    throw new UsageError(`--${given[0]} and --${given[1]} cannot be used together (choose one of ${choices})`);
  }
  return given[0] ?? fallback;
}
