/**
 * Pieces shared by the commands: Ctrl-C handling, run metadata, and printing where the report is.
 */
import type { ExperimentResult, RunMode } from '../experiments/types.js';
import { UsageError } from './args.js';
import { EXIT_INTERRUPTED, machineInfo, sieveVersion, type CliIo } from './io.js';
import type { ProgressRenderer } from './progress.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type RunFailure, type RunRecord } from './report/results.js';

export interface InterruptState {
  stopped(): boolean;
  dispose(): void;
}

/**
 * First Ctrl-C: set the stop flag (the running loop returns early, the report is still written).
 * Second Ctrl-C: quit at once with exit code 130.
 */
export function handleInterrupts(io: CliIo, progress: ProgressRenderer, onStop?: () => void): InterruptState {
  let stop = false;
  const dispose = io.onInterrupt((count) => {
    if (count <= 1) {
      stop = true;
      onStop?.();
      progress.log('\nCtrl-C: stopping after the current step and writing the report (press Ctrl-C again to quit at once).');
    } else {
      progress.log('\nCtrl-C again: quitting without writing the report.');
      io.exitNow(EXIT_INTERRUPTED);
    }
  });
  return { stopped: () => stop, dispose };
}

export function makeRecord(args: {
  command: string; argv: readonly string[]; runName: string; mode: RunMode; seed: number; startedAt: Date; seconds: number;
  interrupted: boolean; settings?: Record<string, number | string | boolean>;
  experiments: ExperimentResult[]; failures?: RunFailure[]; skipped?: string[];
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
      sieveVersion: sieveVersion(),
      machine: machineInfo(),
      settings: args.settings ?? {},
    },
    experiments: args.experiments,
    failures: args.failures ?? [],
    skipped: args.skipped ?? [],
  };
}

/** Give the event loop a turn (so Ctrl-C is noticed inside long synchronous loops). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The run mode from --tiny / --quick / --full (at most one). */
export function modeFrom(options: Record<string, unknown>, fallback: RunMode): RunMode {
  const given = (['tiny', 'quick', 'full'] as const).filter((m) => options[m] === true);
  if (given.length > 1) {
    throw new UsageError(`--${given[0]} and --${given[1]} cannot be used together (choose one of --tiny, --quick, --full)`);
  }
  return given[0] ?? fallback;
}
