/**
 * `sieve fit` with a rejection estimator whose sampler hits --max-proposals: the exhaustion is
 * reported in the terminal, results.json and the HTML, a run where every data point keeps hitting
 * the cap stops with exit code 1, and --max-proposals has a documented maximum.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalNormalModel } from '../cli/builtin-models.js';
import { EXHAUSTED_STREAK_LIMIT, ExhaustionTracker, MAX_PROPOSALS_LIMIT } from '../cli/exhaustion.js';
import { main } from '../cli/main.js';
import { readResults } from '../cli/report/index.js';
import type { RunContext } from '../experiments/types.js';
import type { ModelSpec } from '../models/types.js';
import { fakeExperiment, fakeIo, tmpDir } from './helpers/cli-fakes.js';

async function runFit(argv: string[], models: ModelSpec[] = [normalNormalModel]) {
  const f = fakeIo();
  const dir = path.join(tmpDir(), 'fit');
  const code = await main(['fit', '--model', 'normal-normal', ...argv, '--out', dir], f.io, {
    models,
    experiments: [],
  });
  return { code, out: f.stdout(), err: f.stderr(), dir };
}

// T = -200: acceptance σ(lw - 200) ≈ e^-200, so every data point hits the cap in every step.
const HOPELESS = ['--estimator', 'vrs', '--threshold', '-200', '--samples', '4', '--max-proposals', '40'];

describe('proposal-cap exhaustion in sieve fit', () => {
  it(`stops after ${EXHAUSTED_STREAK_LIMIT} fully exhausted steps with exit 1 and reports it everywhere`, async () => {
    const { code, out, err, dir } = await runFit([...HOPELESS, '--steps', '50']);
    expect(code).toBe(1);
    const lines = err.split('\n');
    const last = lines[lines.length - 2];
    expect(last).toBe(
      'sieve: training stopped: the rejection sampler was exhausted in all ' +
        `${EXHAUSTED_STREAK_LIMIT} steps: every data point hit --max-proposals 40 before 4 acceptances, so no bound ` +
        'could be estimated (raise --threshold, set --acceptance-floor, lower --samples, or raise --max-proposals ' +
        `up to ${MAX_PROPOSALS_LIMIT})`,
    );
    // Terminal: the first exhausted step is announced, the progress shows the count, the summary warns.
    expect(err).toContain('step 0: 1 of 1 data point hit --max-proposals 40 before 4 acceptances');
    expect(err).toContain(`exhausted steps ${EXHAUSTED_STREAK_LIMIT}`);
    expect(out).toContain(`warning: the rejection sampler hit its proposal cap in ${EXHAUSTED_STREAK_LIMIT} steps`);
    expect(out).toContain('steps exhausted');
    // results.json: counts, and the reason in the comments.
    const r = readResults(path.join(dir, 'results.json')).experiments[0];
    expect(r.metrics.stepsDone).toBe(EXHAUSTED_STREAK_LIMIT);
    expect(r.metrics.exhaustedSteps).toBe(EXHAUSTED_STREAK_LIMIT);
    expect(r.metrics.exhaustedPoints).toBe(EXHAUSTED_STREAK_LIMIT); // one (global) latent per step
    expect(Number.isNaN(r.metrics.finalBound)).toBe(true);
    expect(r.comments.some((c) => c.startsWith('Training stopped: the rejection sampler was exhausted'))).toBe(true);
    const table = r.tables[0];
    expect(table.columns).toContain('steps exhausted');
    // HTML: a visible warning next to the NaN bound.
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    const warning = `<p class="warning">The rejection sampler hit its proposal cap in ${EXHAUSTED_STREAK_LIMIT} steps`;
    expect(html).toContain(warning);
  });

  it('a short run where every step exhausts also fails (exit 1)', async () => {
    const { code, err } = await runFit([...HOPELESS, '--steps', '3']);
    expect(code).toBe(1);
    expect(err).toContain('sieve: training stopped: the rejection sampler was exhausted in all 3 steps');
  });

  it('a run without exhaustion reports zero exhausted steps and no warning', async () => {
    const { code, out, dir } = await runFit([
      '--estimator',
      'vrs',
      '--threshold',
      '40',
      '--samples',
      '4',
      '--steps',
      '5',
    ]);
    expect(code).toBe(0);
    const r = readResults(path.join(dir, 'results.json')).experiments[0];
    expect(r.metrics.exhaustedSteps).toBe(0);
    expect(out).not.toContain('proposal cap');
  });

  it('the streak counts consecutive fully exhausted steps only', () => {
    const t = new ExhaustionTracker();
    for (let i = 0; i < EXHAUSTED_STREAK_LIMIT - 1; i++) t.record(i, { exhausted: 3, points: 3 });
    t.record(9, { exhausted: 2, points: 3 }); // partly exhausted: the streak restarts
    expect(t.hopeless).toBe(false);
    for (let i = 0; i < EXHAUSTED_STREAK_LIMIT - 1; i++) t.record(10 + i, { exhausted: 3, points: 3 });
    expect(t.hopeless).toBe(false);
    t.record(99, { exhausted: 3, points: 3 });
    expect(t.hopeless).toBe(true);
    expect(t.stepsWithExhaustion).toBe(2 * EXHAUSTED_STREAK_LIMIT);
    expect(t.fullyExhaustedSteps).toBe(2 * EXHAUSTED_STREAK_LIMIT - 1);
    expect(t.exhaustedPoints).toBe(3 * (2 * EXHAUSTED_STREAK_LIMIT - 1) + 2);
    expect(t.firstStep).toBe(0);
  });
});

describe('experiments that report exhaustion', () => {
  it('metrics.exhaustedSteps > 0 gives a warning in the terminal summary and the HTML', async () => {
    const f = fakeIo();
    const dir = path.join(tmpDir(), 'report');
    const base = fakeExperiment('capped', { steps: 5 });
    const capped = {
      ...base,
      run: async (ctx: RunContext) => {
        const r = await base.run(ctx);
        return { ...r, metrics: { ...r.metrics, exhaustedSteps: 3 } };
      },
    };
    const experiments = [capped, fakeExperiment('fine', { steps: 5 })];
    const code = await main(['experiments', '--tiny', '--out', dir], f.io, { experiments, models: [] });
    expect(code).toBe(0);
    expect(f.stdout()).toContain('warning: the rejection sampler hit its proposal cap in 3 steps');
    expect(f.stdout().match(/proposal cap/g)).toHaveLength(1);
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html.match(/<p class="warning">The rejection sampler hit its proposal cap in 3 steps/g)).toHaveLength(1);
  });
});

describe('--max-proposals limits', () => {
  it(`refuses more than ${MAX_PROPOSALS_LIMIT} (exit 2, one line) before building the model`, async () => {
    let built = false;
    const spy: ModelSpec = { ...normalNormalModel, build: async (o) => ((built = true), normalNormalModel.build(o)) };
    const argv = ['--estimator', 'vrs', '--threshold', '40', '--steps', '1', '--max-proposals', '100000000'];
    const { code, err } = await runFit(argv, [spy]);
    expect(code).toBe(2);
    expect(err).toBe(`sieve: --max-proposals must be an integer in [1, ${MAX_PROPOSALS_LIMIT}], got '100000000'\n`);
    expect(built).toBe(false);
  });

  it('refuses fewer than --samples (exit 2, one line)', async () => {
    const { code, err } = await runFit([
      '--estimator',
      'rvrs',
      '--samples',
      '8',
      '--steps',
      '1',
      '--max-proposals',
      '4',
    ]);
    expect(code).toBe(2);
    expect(err).toBe(
      'sieve: --max-proposals must be >= --samples (8): each data point needs 8 accepted proposals, got 4\n',
    );
  });
});
