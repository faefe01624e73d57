/**
 * `sieve experiments [names...] [--quick|--standard|--full|--tiny] [--seed N] [--out DIR]`: run the selected
 * reproductions in registry order, print a summary table after each, and write
 * `<out>/index.html` and `<out>/results.json`. Ctrl-C stops the running experiment early (it
 * returns what it has, marked interrupted), skips the rest, and still writes the report.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Experiment, ExperimentResult, RunContext, RunMode } from '../../experiments/types.js';
import type { WorkerInput } from '../experiment-worker.js';
import { formatOptionsHelp, parseCommandArgs, type CommandSpec } from '../args.js';
import { formatDuration } from '../format.js';
import { exitCodeFor, EXIT_FAILURE, EXIT_OK, signalName, timestamp, type CliIo } from '../io.js';
import { ProgressRenderer } from '../progress.js';
import { writeReport } from '../report/index.js';
import type { RunFailure } from '../report/results.js';
import { claimOutDir, handleInterrupts, makeRecord, modeFrom } from '../run.js';
import { formatExperimentSummary } from '../terminal-table.js';
import { raiseStopFlag, runInWorker } from '../worker-protocol.js';

export const DEFAULT_SEED = 1;

export function experimentsSpec(experiments: readonly Experiment[]): CommandSpec {
  return {
    name: 'experiments',
    summary: "run the seed papers' reproductions and write an HTML report (npm start = sieve experiments --quick)",
    positionals: {
      name: 'names',
      description: 'experiments to run (default: all, in order)',
      noun: 'experiment',
      choices: () => experiments.map((e) => e.name),
    },
    options: [
      {
        name: 'quick',
        type: 'boolean',
        description: 'the quick versions: all of them in about three minutes on 2 cores (default)',
      },
      {
        name: 'standard',
        type: 'boolean',
        description: "each experiment within about 15 minutes on 2 cores: long enough to check the papers' orderings",
      },
      { name: 'full', type: 'boolean', description: "the longer versions, closer to the papers' settings (3+ seeds)" },
      { name: 'tiny', type: 'boolean', description: 'seconds-long smoke versions (what the test suite runs)' },
      {
        name: 'seed',
        type: 'integer',
        min: 0,
        max: 2 ** 32 - 1,
        description: 'random seed; the same seed gives the same numbers',
        defaultText: String(DEFAULT_SEED),
      },
      {
        name: 'out',
        type: 'string',
        metavar: 'DIR',
        description: 'report directory',
        defaultText: 'reports/experiments-<mode>-<date>',
      },
    ],
  };
}

export function experimentsHelp(experiments: readonly Experiment[]): string {
  const spec = experimentsSpec(experiments);
  const width = Math.max(12, ...experiments.map((e) => e.name.length + 2));
  const list =
    experiments.length === 0
      ? '  (none registered yet)'
      : experiments.map((e) => `  ${e.name.padEnd(width)}${e.description}`).join('\n');
  return [
    'Usage: sieve experiments [names...] [--quick | --standard | --full | --tiny] [--seed N] [--out DIR]',
    '',
    "Run the seed papers' reproductions (all of them, or the ones named) and write an HTML report.",
    "Prints a summary table per experiment and writes <out>/index.html (plots, tables, the papers'",
    'numbers beside ours) and <out>/results.json. Ctrl-C stops early and still writes the report.',
    '',
    'Experiments:',
    list,
    '',
    'Options:',
    formatOptionsHelp(spec.options),
    '',
  ].join('\n');
}

/** How an experiment is run: in this thread, or in a worker thread (see experiment-worker.ts). */
export type ExperimentRunner = (exp: Experiment, context: RunContext) => Promise<ExperimentResult>;

export const inProcessRunner: ExperimentRunner = (exp, context) => exp.run(context);

const WORKER_URL = new URL('../experiment-worker.js', import.meta.url);

/**
 * The worker runner is available when running the compiled CLI (dist/); under a TypeScript
 * loader (tests, vite-node) the worker file does not exist as .js and experiments run in-process.
 * SIEVE_IN_PROCESS=1 forces in-process runs.
 */
export function workerRunnerAvailable(): boolean {
  return process.env.SIEVE_IN_PROCESS !== '1' && existsSync(fileURLToPath(WORKER_URL));
}

/**
 * Run a *registered* experiment (looked up by name inside the worker) in a worker thread. The stop
 * flag is shared memory, so the experiment sees Ctrl-C or SIGTERM at once even in synchronous loops.
 */
export function workerRunner(stop: SharedArrayBuffer): ExperimentRunner {
  return (exp, context) => {
    const input: WorkerInput = { name: exp.name, seed: context.seed, mode: context.mode, stop };
    return runInWorker<ExperimentResult>(WORKER_URL, input, context);
  };
}

export async function runExperiments(
  argv: readonly string[],
  io: CliIo,
  experiments: readonly Experiment[],
  runnerChoice: 'in-process' | 'worker' = 'in-process',
): Promise<number> {
  const spec = experimentsSpec(experiments);
  const args = parseCommandArgs(argv, spec);
  if (args.help) {
    io.stdout.write(experimentsHelp(experiments));
    return EXIT_OK;
  }
  const mode = modeFrom(args.options, 'quick');
  const seed = (args.options.seed as number | undefined) ?? DEFAULT_SEED;
  const wanted = new Set(args.positionals);
  const selected = wanted.size === 0 ? experiments.slice() : experiments.filter((e) => wanted.has(e.name));
  const startedAt = io.date();
  const runName =
    args.options.out !== undefined
      ? path.basename(path.resolve(io.cwd, args.options.out as string))
      : `experiments-${mode}-${timestamp(startedAt)}`;
  const outDir = path.resolve(io.cwd, (args.options.out as string | undefined) ?? path.join('reports', runName));
  const lock = claimOutDir(outDir);
  try {
    return await runSelected(argv, io, { selected, mode, seed, runName, outDir, startedAt }, runnerChoice);
  } finally {
    lock.release();
  }
}

interface RunPlan {
  selected: Experiment[];
  mode: RunMode;
  seed: number;
  runName: string;
  outDir: string;
  startedAt: Date;
}

async function runSelected(
  argv: readonly string[],
  io: CliIo,
  plan: RunPlan,
  runnerChoice: 'in-process' | 'worker',
): Promise<number> {
  const { selected, mode, seed, runName, outDir, startedAt } = plan;
  const progress = new ProgressRenderer(io.stderr, { now: () => io.now() });
  const stopBuffer = new SharedArrayBuffer(4);
  const interrupts = handleInterrupts(io, progress, (signal) => raiseStopFlag(stopBuffer, signal));
  const runner = runnerChoice === 'worker' ? workerRunner(stopBuffer) : inProcessRunner;
  const t0 = io.now();
  const results: ExperimentResult[] = [];
  const failures: RunFailure[] = [];
  const skipped: string[] = [];
  let interrupted = false;
  try {
    if (selected.length === 0)
      progress.log('No experiments are registered yet (experiments/index.ts); writing an empty report.');
    else
      progress.log(
        `sieve experiments: ${selected.length} experiment${selected.length > 1 ? 's' : ''} (${mode}, ` +
          `seed ${seed}); report: ${path.join(outDir, 'index.html')}`,
      );
    for (const [i, exp] of selected.entries()) {
      if (interrupts.stopped()) {
        skipped.push(exp.name);
        continue;
      }
      progress.log(`\n[${i + 1}/${selected.length}] ${exp.title} (${exp.name})`);
      const context: RunContext = {
        seed,
        mode,
        progress: (label, total) => progress.task(label, total),
        shouldStop: () => interrupts.stopped(),
        log: (message) => progress.log(`  ${message}`),
      };
      const e0 = io.now();
      try {
        const result = await runner(exp, context);
        progress.close();
        if (result.interrupted) interrupted = true;
        results.push(result);
        io.stdout.write(`\n${formatExperimentSummary(result, { width: io.stdout.columns ?? 100 })}\n`);
      } catch (e) {
        progress.close();
        const message = e instanceof Error ? e.message : String(e);
        failures.push({ name: exp.name, title: exp.title, message });
        progress.log(
          `sieve: experiment '${exp.name}' failed after ${formatDuration((io.now() - e0) / 1000)}: ${message}`,
        );
      }
    }
    if (interrupts.stopped()) interrupted = true;
  } finally {
    interrupts.dispose();
  }
  const record = makeRecord({
    command: 'experiments',
    argv: ['experiments', ...argv],
    runName,
    mode,
    seed,
    startedAt,
    seconds: (io.now() - t0) / 1000,
    interrupted,
    stopSignal: interrupts.signal(),
    experiments: results,
    failures,
    skipped,
    settings: { experiments: selected.map((e) => e.name).join(', ') || '(none)' },
  });
  const paths = writeReport(outDir, record);
  io.stdout.write(
    `\n${interrupted ? 'Interrupted; partial report' : 'Report'}: ${paths.html}\nResults: ${paths.json}\n`,
  );
  const signal = interrupts.signal() ?? 'SIGINT';
  if (skipped.length > 0) io.stdout.write(`Skipped after ${signalName(signal)}: ${skipped.join(', ')}\n`);
  if (failures.length > 0) {
    io.stderr.write(
      `sieve: ${failures.length} experiment${failures.length > 1 ? 's' : ''} failed: ` +
        `${failures.map((f) => f.name).join(', ')}\n`,
    );
    return EXIT_FAILURE;
  }
  return interrupted ? exitCodeFor(signal) : EXIT_OK;
}
