/**
 * The CLI as a real process (bundled test entry, see helpers/cli-process.ts): SIGTERM writes the
 * partial report and exits 143, a reader that closes stdout early (`| head -1`) does not crash the
 * run, Ctrl-C reaches a long fit step, and a --out under /proc is refused at once instead of spinning.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults } from '../cli/report/index.js';
import { childScript, spawnCli } from './helpers/cli-process.js';
import { tmpDir } from './helpers/cli-fakes.js';

describe('sieve as a process', () => {
  it('SIGTERM: the running experiment stops, the rest is skipped, the report is written, exit 143', async () => {
    const dir = path.join(tmpDir(), 'report');
    const cli = await spawnCli(['experiments', 'looper', 'tail', '--out', dir]);
    await cli.waitFor('stderr', 'looper: running');
    cli.child.kill('SIGTERM');
    const { code, signal } = await cli.exited;
    expect({ code, signal }, cli.stderr()).toEqual({ code: 143, signal: null });
    const record = readResults(path.join(dir, 'results.json'));
    expect(record.run).toMatchObject({ interrupted: true, stopSignal: 'SIGTERM' });
    expect(record.experiments.map((e) => [e.name, e.interrupted])).toEqual([['looper', true]]);
    expect(record.skipped).toEqual(['tail']);
    expect(cli.stderr()).toContain('SIGTERM: stopping and writing the report');
    expect(cli.stdout()).toContain('Interrupted; partial report');
    expect(readdirSync(dir).sort()).toEqual(['index.html', 'results.json']);
  });

  it('a reader that closes stdout early: no crash, the run finishes and writes its report, exit 0', async () => {
    const dir = path.join(tmpDir(), 'report');
    const cli = await spawnCli(['experiments', 'quick', 'gate', '--out', dir]);
    // Like `| head -1`: read the first summary, then close the pipe; only then let the run go on.
    await cli.waitFor('stdout', 'Fake <quick>');
    await cli.waitFor('stderr', 'gate: waiting');
    cli.child.stdout.destroy();
    cli.child.stdin.write('go\n');
    const { code, signal } = await cli.exited;
    expect({ code, signal }, cli.stderr()).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).not.toMatch(/EPIPE|Error| {4}at /);
    const record = readResults(path.join(dir, 'results.json'));
    expect(record.experiments.map((e) => e.name)).toEqual(['quick', 'gate']);
    expect(existsSync(path.join(dir, 'index.html'))).toBe(true);
  });

  it('a closed stderr (progress) does not stop the run either', async () => {
    const dir = path.join(tmpDir(), 'report');
    const cli = await spawnCli(['experiments', 'gate', 'tail', '--out', dir]);
    await cli.waitFor('stderr', 'gate: waiting');
    cli.child.stderr.destroy();
    cli.child.stdin.write('go\n');
    const { code, signal } = await cli.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toContain(`Report: ${path.join(dir, 'index.html')}`);
    expect(readResults(path.join(dir, 'results.json')).experiments.map((e) => e.name)).toEqual(['gate', 'tail']);
  });

  it('Ctrl-C during a long fit step: training (in its worker) stops within a round, exit 130', async () => {
    const dir = path.join(tmpDir(), 'fit');
    // T = -200 never accepts: each step runs all 1e5 / 2 rejection rounds (seconds) unless stopped.
    const cli = await spawnCli([
      'fit',
      '--model',
      'gaussian',
      '--estimator',
      'vrs',
      '--threshold',
      '-200',
      '--samples',
      '2',
      '--max-proposals',
      '100000',
      '--steps',
      '5',
      '--out',
      dir,
    ]);
    // Printed when step 0 has finished, i.e. while step 1 runs.
    await cli.waitFor('stderr', 'step 0: 1 of 1 data point hit --max-proposals');
    cli.child.kill('SIGINT');
    const { code, signal } = await cli.exited;
    expect({ code, signal }, cli.stderr()).toEqual({ code: 130, signal: null });
    const r = readResults(path.join(dir, 'results.json')).experiments[0];
    expect(r.interrupted).toBe(true);
    // Step 1, running when Ctrl-C came, is abandoned rather than run to the cap.
    expect(r.metrics.stepsDone).toBe(1);
  });

  it('fit in its worker: exhaustion exits with code 1; the final progress line has the exact step count', async () => {
    const dir = path.join(tmpDir(), 'fit');
    const cli = await spawnCli([
      'fit',
      '--model',
      'gaussian',
      '--estimator',
      'vrs',
      '--threshold',
      '-200',
      '--samples',
      '4',
      '--max-proposals',
      '40',
      '--steps',
      '50',
      '--out',
      dir,
    ]);
    const { code } = await cli.exited;
    expect(code, cli.stderr()).toBe(1);
    // Steps take about a millisecond, so the worker throttles its updates; the last one must still arrive.
    expect(cli.stderr()).toMatch(/fit gaussian \/ vrs: 10\/50 in [^\n]*\(stopped early\)[^\n]*exhausted steps 10\n/);
    expect(cli.stderr()).toContain('sieve: training stopped: the rejection sampler was exhausted in all 10 steps');
    expect(readResults(path.join(dir, 'results.json')).experiments[0].metrics.exhaustedSteps).toBe(10);
  });

  it('--out under /proc is refused at once with one line (exit 2), not a 100% CPU loop', async () => {
    // spawnSync's timeout only guards the test run: the old recursive mkdir never returned.
    const args = [await childScript(), 'experiments', 'quick', '--out', '/proc/sieve-test/report'];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(
      'sieve: cannot write the report to --out /proc/sieve-test/report: ' +
        'cannot create /proc/sieve-test (ENOENT: no such file or directory)\n',
    );
  });
});
