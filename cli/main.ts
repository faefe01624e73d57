/**
 * The `sieve` command dispatcher, as a function: `main(argv, io, deps)` returns the exit code and
 * writes only to the injected streams (usage errors: one line on stderr, exit code 2).
 */
import { EXPERIMENTS } from '../experiments/index.js';
import type { Experiment } from '../experiments/types.js';
import type { ModelSpec } from '../models/types.js';
import { UsageError, validList, wrap } from './args.js';
import { allModels } from './builtin-models.js';
import { experimentsHelp, runExperiments, workerRunnerAvailable } from './commands/experiments.js';
import { fitHelp, fitWorkerAvailable, runFit } from './commands/fit.js';
import { ESTIMATORS } from './estimators.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, sieveVersion, type CliIo } from './io.js';

export interface CliDeps {
  /** The experiments `sieve experiments` can run (default: the registry). */
  experiments?: readonly Experiment[];
  /** The models `sieve fit` can train (default: the registry plus the built-in ones). */
  models?: readonly ModelSpec[];
}

export const COMMANDS = ['experiments', 'fit', 'help'] as const;

export function mainHelp(experiments: readonly Experiment[], models: readonly ModelSpec[]): string {
  const w = Math.max(
    14,
    ...experiments.map((e) => e.name.length + 2),
    ...models.map((m) => m.name.length + 2),
    ...ESTIMATORS.map((e) => e.name.length + 2),
  );
  const list = (rows: [string, string][]): string =>
    rows.length === 0
      ? '  (none registered yet)'
      : rows.map(([n, d]) => wrap(`  ${n.padEnd(w)}${d}`, 100, 2 + w)).join('\n');
  return [
    `sieve ${sieveVersion()}: variational inference with rejection sampling, reproduced`,
    '',
    'Usage:',
    '  sieve experiments [names...] [--tiny | --quick | --standard | --full] [--seed N] [--out DIR]',
    '  sieve fit --model NAME [--estimator NAME] [--steps N] [--lr X] [--samples N] [--seed N] [--out DIR] ...',
    '  sieve help [command]        sieve <command> --help        sieve --version',
    '',
    'Commands:',
    list([
      [
        'experiments',
        "run the seed papers' reproductions; prints tables, writes reports/<run>/index.html and results.json",
      ],
      ['fit', 'train one model with one estimator; shows the bound over time and writes a report'],
      ['help', "show this help, or a command's help"],
    ]),
    '',
    'Experiments (sieve experiments --help for options; npm start runs them all with --quick):',
    list(experiments.map((e) => [e.name, e.description])),
    '',
    'Models (for sieve fit --model):',
    list(models.map((m) => [m.name, `[${m.latent}] ${m.description}`])),
    '',
    'Estimators (for sieve fit --estimator; pathwise ones need continuous latents):',
    list(ESTIMATORS.map((e) => [e.name, `${e.pathwise ? '[pathwise] ' : '[score] '}${e.description}`])),
    '',
    'Common options: --seed N (same seed, same numbers), --out DIR (report directory), a size: --tiny | --quick |',
    '--full (experiments also take --standard: three seeds with 95% intervals).',
    'Ctrl-C or SIGTERM stops a run early and still writes the report (exit 130 / 143); a second one quits at once.',
    'Exit codes: 0 done, 1 run failed, 2 bad usage or --out, 130 Ctrl-C, 143 SIGTERM.',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  const experiments = deps.experiments ?? EXPERIMENTS;
  const models = deps.models ?? allModels();
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h') {
      io.stdout.write(mainHelp(experiments, models));
      return EXIT_OK;
    }
    if (command === '--version' || command === '-V') {
      io.stdout.write(`${sieveVersion()}\n`);
      return EXIT_OK;
    }
    switch (command) {
      case 'experiments':
        // Registered experiments run in worker threads when the compiled worker exists (Ctrl-C
        // then stops even synchronous loops at once); injected ones (tests) run in-process.
        return await runExperiments(
          rest,
          io,
          experiments,
          deps.experiments === undefined && workerRunnerAvailable() ? 'worker' : 'in-process',
        );
      case 'fit': {
        // Registered models train in a worker thread when the compiled worker exists (a stop
        // signal then interrupts even a long step); injected ones (tests) train in-process.
        const runner = deps.models === undefined && fitWorkerAvailable() ? 'worker' : 'in-process';
        return await runFit(rest, io, models, runner);
      }
      case 'help': {
        const topic = rest[0];
        if (topic === undefined) io.stdout.write(mainHelp(experiments, models));
        else if (topic === 'experiments') io.stdout.write(experimentsHelp(experiments));
        else if (topic === 'fit') io.stdout.write(fitHelp(models));
        else if (topic === 'help') io.stdout.write(mainHelp(experiments, models));
        else throw new UsageError(`unknown command '${topic}' ${validList(COMMANDS)}`);
        return EXIT_OK;
      }
      default:
        if (command.startsWith('-'))
          throw new UsageError(`expected a command before '${command}' ${validList(COMMANDS)}`);
        throw new UsageError(`unknown command '${command}' ${validList(COMMANDS)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`sieve: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`sieve: error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_FAILURE;
  }
}
