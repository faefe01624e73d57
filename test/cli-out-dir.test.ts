/**
 * The report directory (--out): checked and created before any work (a bad one is exit 2 with one
 * line), locked against a second run, and written atomically (a reader never sees a torn file).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalNormalModel } from '../cli/builtin-models.js';
import { main } from '../cli/main.js';
import { readResults } from '../cli/report/index.js';
import { LOCK_FILE } from '../cli/run-lock.js';
import type { Experiment } from '../experiments/types.js';
import type { ModelSpec } from '../models/types.js';
import { fakeExperiment, fakeIo, tmpDir } from './helpers/cli-fakes.js';

/** Run `sieve experiments` with one fake experiment; `ran` tells whether it started. */
async function experimentsInto(out: string, opts: { seed?: number; experiment?: Experiment } = {}) {
  const f = fakeIo();
  let ran = false;
  const exp = opts.experiment ?? fakeExperiment('alpha', { steps: 5, onStep: () => (ran = true) });
  const argv = ['experiments', '--tiny', '--seed', String(opts.seed ?? 1), '--out', out];
  const code = await main(argv, f.io, { experiments: [exp], models: [] });
  return { code, out: f.stdout(), err: f.stderr(), ran: () => ran };
}

/** A model spec that records whether it was built. */
function spiedModel(): { spec: ModelSpec; built: () => boolean } {
  let built = false;
  return {
    spec: { ...normalNormalModel, build: async (o) => ((built = true), normalNormalModel.build(o)) },
    built: () => built,
  };
}

describe('--out is checked before any work', () => {
  it('refuses an existing file: exit 2, one line, nothing run', async () => {
    const file = path.join(tmpDir(), 'report.txt');
    writeFileSync(file, 'not a directory');
    const r = await experimentsInto(file);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`sieve: cannot write the report to --out ${file}: it exists and is not a directory\n`);
    expect(r.ran()).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('refuses a path under a file, naming the file (fit: before building the model)', async () => {
    const file = path.join(tmpDir(), 'plain');
    writeFileSync(file, '');
    const out = path.join(file, 'sub', 'report');
    const m = spiedModel();
    const f = fakeIo();
    const argv = ['fit', '--model', 'normal-normal', '--steps', '2', '--out', out];
    const code = await main(argv, f.io, { models: [m.spec], experiments: [] });
    expect(code).toBe(2);
    expect(f.stderr()).toBe(`sieve: cannot write the report to --out ${out}: ${file} is a file, not a directory\n`);
    expect(m.built()).toBe(false);
  });

  it('refuses directories it cannot create or write in (/sys)', async () => {
    const under = await experimentsInto('/sys/sieve-test-report');
    expect(under.code).toBe(2);
    const head = 'sieve: cannot write the report to --out';
    expect(under.err.startsWith(`${head} /sys/sieve-test-report: cannot create /sys/sieve-test-report (E`)).toBe(true);
    expect(under.err.split('\n')).toHaveLength(2); // one line
    expect(under.ran()).toBe(false);
    const sys = await experimentsInto('/sys');
    expect(sys.code).toBe(2);
    expect(sys.err.startsWith(`${head} /sys: cannot write files in it (E`)).toBe(true);
    expect(sys.err.split('\n')).toHaveLength(2);
  });

  it('creates missing parents and leaves only the report (no probe, lock or temp files)', async () => {
    const out = path.join(tmpDir(), 'a', 'b', 'c');
    const r = await experimentsInto(out);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['index.html', 'results.json']);
  });
});

describe('one run per report directory', () => {
  it('refuses a directory another live run holds, naming its pid', async () => {
    const out = tmpDir();
    // This test process is alive: a lock holding its pid is held.
    writeFileSync(path.join(out, LOCK_FILE), `${process.pid}\n`);
    const r = await experimentsInto(out);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `sieve: --out ${out} is in use by another sieve run (pid ${process.pid}); ` +
        'wait for it to finish or choose another --out\n',
    );
    expect(r.ran()).toBe(false);
    expect(existsSync(path.join(out, LOCK_FILE))).toBe(true);
  });

  it('takes over a stale lock (its process is dead) and removes it at the end', async () => {
    const out = tmpDir();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(path.join(out, LOCK_FILE), `${dead}\n`);
    const r = await experimentsInto(out);
    expect(r.code).toBe(0);
    expect(r.ran()).toBe(true);
    expect(existsSync(path.join(out, LOCK_FILE))).toBe(false);
  });

  it('a second run into the same directory while the first runs is refused; the first finishes', async () => {
    const out = tmpDir();
    let second: { code: number; err: string } | undefined;
    const first: Experiment = {
      ...fakeExperiment('first', { steps: 5 }),
      async run(ctx) {
        second = await experimentsInto(out, { seed: 2 });
        return fakeExperiment('first', { steps: 5 }).run(ctx);
      },
    };
    const r = await experimentsInto(out, { experiment: first });
    expect(second?.code).toBe(2);
    expect(second?.err).toContain(`is in use by another sieve run (pid ${process.pid})`);
    expect(r.code).toBe(0);
    expect(readResults(path.join(out, 'results.json')).experiments.map((e) => e.name)).toEqual(['first']);
    expect(existsSync(path.join(out, LOCK_FILE))).toBe(false);
  });

  it('the lock is released after Ctrl-C too', async () => {
    const out = tmpDir();
    const f = fakeIo();
    const exp = fakeExperiment('alpha', { steps: 50, onStep: (t) => t === 3 && f.interrupt() });
    const code = await main(['experiments', '--tiny', '--out', out], f.io, { experiments: [exp], models: [] });
    expect(code).toBe(130);
    expect(readdirSync(out).sort()).toEqual(['index.html', 'results.json']);
  });
});

describe('report files are replaced atomically', () => {
  it('a reader holding the old results.json still has the complete old file after a new run', async () => {
    const out = path.join(tmpDir(), 'report');
    expect((await experimentsInto(out, { seed: 1 })).code).toBe(0);
    const oldText = readFileSync(path.join(out, 'results.json'), 'utf8');
    // A hard link stands for a reader that opened the old file: with an in-place rewrite it
    // would see the new (or a half-written) content; with write-then-rename it keeps the old one.
    const reader = path.join(path.dirname(out), 'reader.json');
    linkSync(path.join(out, 'results.json'), reader);
    mkdirSync(out, { recursive: true });
    expect((await experimentsInto(out, { seed: 2 })).code).toBe(0);
    const newText = readFileSync(path.join(out, 'results.json'), 'utf8');
    expect(newText).not.toBe(oldText);
    expect(readFileSync(reader, 'utf8')).toBe(oldText);
    expect(readResults(path.join(out, 'results.json')).run.seed).toBe(2);
  });
});
