/**
 * `sieve experiments` with fake experiments: runs in order, prints summaries, writes a report that
 * parses, same seed → same numbers, Ctrl-C → partial report marked interrupted, failures recorded.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type CliDeps } from '../cli/main.js';
import { readResults, type RunRecord } from '../cli/report/index.js';
import type { Experiment } from '../experiments/types.js';
import { checkHtml } from './helpers/cli-html-check.js';
import { fakeExperiment, fakeIo, tmpDir } from './helpers/cli-fakes.js';

async function runIn(
  argv: string[],
  experiments: Experiment[],
  f = fakeIo(),
): Promise<{ code: number; out: string; err: string; dir: string; record: RunRecord; html: string }> {
  const dir = path.join(tmpDir(), 'report');
  const deps: CliDeps = { experiments, models: [] };
  const code = await main(['experiments', ...argv, '--out', dir], f.io, deps);
  return {
    code,
    out: f.stdout(),
    err: f.stderr(),
    dir,
    record: readResults(path.join(dir, 'results.json')),
    html: readFileSync(path.join(dir, 'index.html'), 'utf8'),
  };
}

/** Every number a result holds except timings (which differ run to run). */
function numbers(record: RunRecord): unknown {
  return record.experiments.map(({ seconds: _, ...rest }) => rest);
}

describe('sieve experiments', () => {
  it('runs the selected experiments in registry order and writes index.html and results.json', async () => {
    const exps = [fakeExperiment('alpha'), fakeExperiment('beta'), fakeExperiment('gamma')];
    const { code, out, err, dir, record, html } = await runIn(['gamma', 'alpha', '--tiny', '--seed', '7'], exps);
    expect(code).toBe(0);
    expect(record.experiments.map((e) => e.name)).toEqual(['alpha', 'gamma']);
    expect(record.run).toMatchObject({
      command: 'experiments',
      mode: 'tiny',
      seed: 7,
      interrupted: false,
      runName: 'report',
    });
    expect(record.experiments[0].settings.mode).toBe('tiny');
    expect(record.experiments[0].metrics.steps).toBe(20);
    // Which kernels ran (ms per step depend on them): the suite's wasm backend without relaxed SIMD (SIEVE_FMA=0).
    const kernels =
      process.env.SIEVE_BACKEND === 'js'
        ? 'JavaScript (reference backend)'
        : 'WebAssembly SIMD (without relaxed SIMD: no fused multiply-add)';
    expect(record.run.machine.kernels).toBe(kernels);
    expect(html).toContain(record.run.machine.kernels);
    // Terminal: a summary table per experiment, where the report is.
    expect(out).toContain('Fake <alpha>');
    expect(out).toContain('Paper: Paper Table 1');
    expect(out).toContain(`Report: ${path.join(dir, 'index.html')}`);
    expect(err).toContain('[1/2]');
    expect(err).toContain('alpha training: 20/20');
    const { counts } = checkHtml(html);
    expect(counts.get('svg')).toBe(4);
  });

  it('defaults to quick mode and a reports/<run> directory under the working directory', async () => {
    const f = fakeIo();
    const code = await main(['experiments'], f.io, { experiments: [fakeExperiment('alpha', { steps: 3 })] });
    expect(code).toBe(0);
    const m = /Report: (.*index\.html)/.exec(f.stdout());
    expect(m).not.toBeNull();
    expect(m![1].startsWith(path.join(f.io.cwd, 'reports', 'experiments-quick-'))).toBe(true);
    expect(existsSync(m![1])).toBe(true);
  });

  it('--standard runs the experiments in standard mode and names the run after it', async () => {
    const { code, record } = await runIn(['--standard'], [fakeExperiment('alpha', { steps: 3 })]);
    expect(code).toBe(0);
    expect(record.run.mode).toBe('standard');
    expect(record.experiments[0].settings.mode).toBe('standard');
  });

  it('same seed, same numbers; another seed, other numbers', async () => {
    const exps = [fakeExperiment('alpha'), fakeExperiment('beta')];
    const a = await runIn(['--tiny', '--seed', '3'], exps);
    const b = await runIn(['--tiny', '--seed', '3'], exps);
    const c = await runIn(['--tiny', '--seed', '4'], exps);
    expect(numbers(a.record)).toEqual(numbers(b.record));
    expect(JSON.stringify(numbers(a.record))).toBe(JSON.stringify(numbers(b.record)));
    expect(numbers(a.record)).not.toEqual(numbers(c.record));
  });

  it('Ctrl-C: the running experiment stops early, the rest are skipped, the report is still written', async () => {
    const f = fakeIo();
    const exps = [
      fakeExperiment('alpha', { steps: 50 }),
      fakeExperiment('beta', { steps: 50, onStep: (t) => t === 10 && f.interrupt() }),
      fakeExperiment('gamma', { steps: 50 }),
    ];
    const { code, out, err, record, html } = await runIn(['--tiny'], exps, f);
    expect(code).toBe(130);
    expect(record.run.interrupted).toBe(true);
    expect(record.experiments.map((e) => [e.name, e.interrupted])).toEqual([
      ['alpha', false],
      ['beta', true],
    ]);
    expect(record.experiments[1].metrics.steps).toBe(10);
    expect(record.skipped).toEqual(['gamma']);
    expect(err).toContain('Ctrl-C: stopping');
    expect(out).toContain('Interrupted; partial report');
    expect(out).toContain('Skipped after Ctrl-C: gamma');
    expect(html).toContain('Stopped early with Ctrl-C');
    checkHtml(html);
    expect(f.exits).toEqual([]);
  });

  it('a second Ctrl-C quits at once with code 130', async () => {
    const f = fakeIo();
    const exps = [
      fakeExperiment('alpha', {
        steps: 30,
        onStep: (t) => {
          if (t === 5) {
            f.interrupt();
            f.interrupt();
          }
        },
      }),
    ];
    await runIn(['--tiny'], exps, f);
    expect(f.exits).toEqual([130]);
    expect(f.stderr()).toContain('Ctrl-C again');
  });

  it('a failing experiment is reported and the others still run (exit code 1)', async () => {
    const exps = [fakeExperiment('alpha', { fail: true }), fakeExperiment('beta')];
    const { code, err, record, html } = await runIn(['--tiny'], exps);
    expect(code).toBe(1);
    expect(record.failures).toEqual([{ name: 'alpha', title: 'Fake <alpha> & "friends"', message: 'alpha exploded' }]);
    expect(record.experiments.map((e) => e.name)).toEqual(['beta']);
    expect(err).toContain("experiment 'alpha' failed");
    expect(html).toContain('alpha exploded');
    checkHtml(html);
  });

  it('with no experiments registered it still writes an (empty) report', async () => {
    const { code, record, html } = await runIn([], []);
    expect(code).toBe(0);
    expect(record.experiments).toEqual([]);
    checkHtml(html);
  });
});
