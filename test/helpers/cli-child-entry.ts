/**
 * The entry point of the `sieve` child processes in test/cli-process.test.ts: the real process
 * binding (signals, stdout/stderr, exit code) with fake experiments whose timing the test controls,
 * and the registered models for `sieve fit`.
 *   quick   finishes at once
 *   gate    logs "gate: waiting", then waits for a line on stdin before finishing
 *   looper  logs "looper: running", then runs until stopped (yielding to the event loop)
 *   tail    finishes at once (registered last: skipped when a stop comes earlier)
 */
import { runAsProcess } from '../../cli/process-entry.js';
import type { Experiment } from '../../experiments/types.js';
import { fakeExperiment } from './cli-fakes.js';

function stdinLine(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.pause();
      process.stdin.unref?.();
      resolve();
    });
  });
}

const gate: Experiment = {
  ...fakeExperiment('gate', { steps: 3 }),
  async run(ctx) {
    ctx.log('gate: waiting');
    await stdinLine();
    return fakeExperiment('gate', { steps: 3 }).run(ctx);
  },
};

const looper: Experiment = {
  ...fakeExperiment('looper'),
  async run(ctx) {
    ctx.log('looper: running');
    let steps = 0;
    while (!ctx.shouldStop()) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      steps++;
    }
    const result = await fakeExperiment('looper', { steps: 3 }).run(ctx);
    return { ...result, interrupted: true, metrics: { ...result.metrics, loops: steps } };
  },
};

const experiments = [fakeExperiment('quick', { steps: 5 }), gate, looper, fakeExperiment('tail', { steps: 5 })];
// The models are the registry's, so `fit` trains in the (bundled) fit worker as the real CLI does.
runAsProcess(process.argv.slice(2), { experiments });
