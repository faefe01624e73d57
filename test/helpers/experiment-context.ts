/**
 * A silent RunContext for running experiments in tests: no terminal, and a stop flag that turns on
 * after a chosen number of shouldStop() calls (to test the Ctrl-C path at a given point).
 */
import type { RunContext, RunMode } from '../../experiments/types.js';

export interface FakeContext extends RunContext {
  /** How many times the experiment has asked shouldStop(). */
  calls(): number;
  /** How many progress updates it has sent, over all its progress bars. */
  updates(): number;
  /** Whether some update reported more steps done than its bar's total. */
  overTotal(): boolean;
}

/** `stopAfter` = number of shouldStop() calls answered false before the first true. */
export function fakeContext(seed: number, stopAfter = Infinity, mode: RunMode = 'tiny'): FakeContext {
  let calls = 0;
  let updates = 0;
  let overTotal = false;
  return {
    seed,
    mode,
    progress(_label: string, total: number) {
      return {
        update(done: number) {
          updates++;
          if (done > total) overTotal = true;
        },
        finish() {},
      };
    },
    shouldStop: () => ++calls > stopAfter,
    log() {},
    calls: () => calls,
    updates: () => updates,
    overTotal: () => overTotal,
  };
}
