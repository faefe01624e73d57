/**
 * Stop signals with the injected io: SIGTERM is handled like Ctrl-C (partial report, exit 143),
 * and a stop during a long rejection-sampling step abandons the step at its next round.
 * (test/cli-process.test.ts sends real signals to a real process.)
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalNormalModel } from '../cli/builtin-models.js';
import { main } from '../cli/main.js';
import { readResults } from '../cli/report/index.js';
import type { ModelSpec } from '../models/types.js';
import { fakeExperiment, fakeIo, tmpDir } from './helpers/cli-fakes.js';

describe('SIGTERM', () => {
  it('experiments: stops like Ctrl-C, writes the partial report, exit code 143', async () => {
    const f = fakeIo();
    const dir = path.join(tmpDir(), 'report');
    const alpha = fakeExperiment('alpha', { steps: 50, onStep: (t) => t === 7 && f.interrupt('SIGTERM') });
    const exps = [alpha, fakeExperiment('beta')];
    const code = await main(['experiments', '--tiny', '--out', dir], f.io, { experiments: exps, models: [] });
    expect(code).toBe(143);
    const record = readResults(path.join(dir, 'results.json'));
    expect(record.run.interrupted).toBe(true);
    expect(record.run.stopSignal).toBe('SIGTERM');
    expect(record.experiments[0].metrics.steps).toBe(7);
    expect(record.skipped).toEqual(['beta']);
    expect(f.stderr()).toContain('SIGTERM: stopping and writing the report');
    expect(f.stdout()).toContain('Skipped after SIGTERM: beta');
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html).toContain('This run was stopped with SIGTERM.');
  });

  it("a second signal quits at once with the first signal's code", async () => {
    const f = fakeIo();
    const exp = fakeExperiment('alpha', {
      steps: 30,
      onStep: (t) => {
        if (t === 4) {
          f.interrupt('SIGTERM');
          f.interrupt('SIGINT');
        }
      },
    });
    await main(['experiments', '--tiny', '--out', tmpDir()], f.io, { experiments: [exp], models: [] });
    expect(f.exits).toEqual([143]);
  });

  it('fit: exit code 143 and the report says which signal stopped it', async () => {
    const f = fakeIo();
    const dir = path.join(tmpDir(), 'fit');
    const stopping: ModelSpec = {
      ...normalNormalModel,
      async build(o) {
        const m = await normalNormalModel.build(o);
        return { ...m, batch: (k, step) => (step === 5 && f.interrupt('SIGTERM'), m.batch(k, step)) };
      },
    };
    const argv = ['fit', '--model', 'normal-normal', '--steps', '100', '--out', dir];
    const code = await main(argv, f.io, { models: [stopping], experiments: [] });
    expect(code).toBe(143);
    const record = readResults(path.join(dir, 'results.json'));
    expect(record.run.stopSignal).toBe('SIGTERM');
    expect(record.experiments[0].comments).toContain('Stopped by SIGTERM after 5 of 100 steps.');
  });
});

describe('a stop during a long step', () => {
  it('abandons the step at the next rejection round instead of running to the proposal cap', async () => {
    const f = fakeIo();
    const dir = path.join(tmpDir(), 'fit');
    let calls = 0;
    let callsAfterStop = 0;
    let stopped = false;
    // Every round of the rejection sampler evaluates the log joint once; press Ctrl-C in round 3.
    const counting: ModelSpec = {
      ...normalNormalModel,
      async build(o) {
        const m = await normalNormalModel.build(o);
        const logJoint = m.problem.logJoint;
        const problem = {
          ...m.problem,
          logJoint: (...args: Parameters<typeof logJoint>) => {
            calls++;
            if (stopped) callsAfterStop++;
            if (calls === 3) {
              stopped = true;
              f.interrupt();
            }
            return logJoint(...args);
          },
        };
        return { ...m, problem };
      },
    };
    // T = -200 never accepts: without the stop check the step would run all 1e5 / 4 rounds.
    const argv = [
      'fit',
      '--model',
      'normal-normal',
      '--estimator',
      'vrs',
      '--threshold',
      '-200',
      '--samples',
      '4',
      '--max-proposals',
      '100000',
      '--steps',
      '5',
      '--out',
      dir,
    ];
    const code = await main(argv, f.io, { models: [counting], experiments: [] });
    expect(code).toBe(130);
    expect(callsAfterStop).toBe(0);
    const r = readResults(path.join(dir, 'results.json')).experiments[0];
    expect(r.interrupted).toBe(true);
    expect(r.metrics.stepsDone).toBe(0);
  });
});
