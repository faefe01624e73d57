/**
 * `sieve fit --save-params FILE` / `--resume FILE`: a run stopped (or ended) at step k and resumed
 * to N steps ends with bit-identical parameters, Adam state and loop state to one uninterrupted run
 * of N steps at the same seed; bad files are one-line errors with exit code 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalNormalModel } from '../cli/builtin-models.js';
import { main } from '../cli/main.js';
import type { ModelSpec } from '../models/types.js';
import { loadParamsWithMetadata, saveParams } from '../src/io/index.js';
import { treeFlatten } from '../src/autodiff/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { fakeDiscreteModel, fakeIo, tmpDir, type FakeIo } from './helpers/cli-fakes.js';

const MODELS: ModelSpec[] = [normalNormalModel, fakeDiscreteModel];

async function runFit(argv: string[], f: FakeIo = fakeIo(), models = MODELS): Promise<{ code: number; err: string }> {
  const code = await main(['fit', ...argv, '--out', path.join(tmpDir(), 'fit')], f.io, { models, experiments: [] });
  return { code, err: f.stderr() };
}

/** Every tensor's values and every non-tensor leaf of a saved file, plus its metadata. */
function contents(file: string): { leaves: unknown[]; metadata: Record<string, unknown> } {
  const { tree, metadata } = loadParamsWithMetadata(readFileSync(file));
  const [leaves] = treeFlatten(tree);
  return { leaves: leaves.map((l) => (l instanceof Tensor ? Array.from(l.dataSync()) : l)), metadata };
}

describe('sieve fit --save-params / --resume', () => {
  for (const [estimator, extra] of [
    ['rvrs', ['--samples', '4', '--target-accept', '0.5']],
    ['vrs', ['--samples', '4', '--refresh', '7']],
    ['elbo-sf', ['--samples', '1']],
  ] as const) {
    it(`${estimator}: 13 steps + resume to 30 = 30 steps, bit for bit`, async () => {
      const model = estimator === 'elbo-sf' ? 'bits' : 'normal-normal';
      const dir = tmpDir();
      const base = ['--model', model, '--estimator', estimator, '--lr', '0.05', '--seed', '3', ...extra];
      const whole = path.join(dir, 'whole.sieve');
      const part = path.join(dir, 'part.sieve');
      const resumed = path.join(dir, 'resumed.sieve');
      expect((await runFit([...base, '--steps', '30', '--save-params', whole])).code).toBe(0);
      expect((await runFit([...base, '--steps', '13', '--save-params', part])).code).toBe(0);
      const r = await runFit([...base, '--steps', '30', '--resume', part, '--save-params', resumed]);
      expect(r.code, r.err).toBe(0);
      const a = contents(whole);
      const b = contents(resumed);
      expect((b.metadata.loop as { step: number }).step).toBe(30);
      expect(b.leaves).toEqual(a.leaves);
      expect(b.metadata).toEqual(a.metadata);
      // Not trivially equal: the partial run's state differs.
      expect(contents(part).leaves).not.toEqual(a.leaves);
    });
  }

  it('a run stopped by Ctrl-C saves its last completed step, and resuming it matches the long run', async () => {
    const dir = tmpDir();
    const f = fakeIo();
    const interrupting: ModelSpec = {
      ...normalNormalModel,
      async build(o) {
        const m = await normalNormalModel.build(o);
        return { ...m, batch: (k, step) => (step === 12 && f.interrupt(), m.batch(k, step)) };
      },
    };
    const base = ['--model', 'normal-normal', '--estimator', 'rvrs', '--samples', '4', '--lr', '0.05'];
    const stopped = path.join(dir, 'stopped.sieve');
    const r1 = await runFit([...base, '--steps', '25', '--save-params', stopped], f, [interrupting]);
    expect(r1.code).toBe(130);
    expect((contents(stopped).metadata.loop as { step: number }).step).toBe(12);
    const whole = path.join(dir, 'whole.sieve');
    const resumed = path.join(dir, 'resumed.sieve');
    await runFit([...base, '--steps', '25', '--save-params', whole]);
    expect((await runFit([...base, '--steps', '25', '--resume', stopped, '--save-params', resumed])).code).toBe(0);
    expect(contents(resumed).leaves).toEqual(contents(whole).leaves);
  });

  it('bad files (missing, corrupt, no training state, other model, wrong shapes, no steps left): exit 2', async () => {
    const dir = tmpDir();
    const good = path.join(dir, 'good.sieve');
    const base = ['--model', 'normal-normal', '--steps', '5'];
    expect((await runFit([...base, '--save-params', good])).code).toBe(0);
    const expectUsage = async (argv: string[], message: RegExp): Promise<void> => {
      const r = await runFit(argv);
      expect(r.code, r.err).toBe(2);
      // One error line, the last (a shape mismatch is found after the run's header line).
      const errors = r.err
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('sieve: '));
      expect(errors).toHaveLength(1);
      expect(r.err.trim().split('\n').at(-1)).toMatch(message);
    };
    const missing = path.join(dir, 'nope.sieve');
    await expectUsage([...base, '--resume', missing], /cannot resume: .*cannot read .*nope\.sieve/);
    const corrupt = path.join(dir, 'corrupt.sieve');
    const bytes = readFileSync(good);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(corrupt, bytes);
    await expectUsage([...base, '--resume', corrupt], /corrupt\.sieve.*the tensor data is corrupted/);
    const plain = path.join(dir, 'plain.sieve');
    writeFileSync(plain, saveParams({ w: Tensor.fromData(new Float32Array(2), [2]) }));
    await expectUsage([...base, '--resume', plain], /no training state/);
    const otherModel = /saved with --model normal-normal, this run has bits/;
    await expectUsage(['--model', 'bits', '--steps', '5', '--resume', good], otherModel);
    await expectUsage([...base, '--seed', '2', '--resume', good], /saved with --seed 1, this run has 2/);
    await expectUsage([...base, '--resume', good], /already done 5 steps and --steps is 5/);
    // Same name, other shapes: the metadata says normal-normal, the tensors are another model's.
    const { tree, metadata } = loadParamsWithMetadata(readFileSync(good));
    const [leaves] = treeFlatten(tree);
    const first = leaves.find((l) => l instanceof Tensor) as Tensor;
    const reshaped = JSON.parse(JSON.stringify(metadata));
    const longer = Tensor.fromData(new Float32Array(first.size + 1), [first.size + 1]);
    const swap = (t: unknown): unknown => (t === first ? longer : t);
    const other = path.join(dir, 'other.sieve');
    const map = (x: unknown): unknown =>
      x instanceof Tensor
        ? swap(x)
        : Array.isArray(x)
          ? x.map(map)
          : x !== null && typeof x === 'object'
            ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, map(v)]))
            : x;
    writeFileSync(other, saveParams(map(tree), { metadata: reshaped }));
    const shapes = /shape mismatch at .*expected \[/;
    await expectUsage(['--model', 'normal-normal', '--steps', '9', '--resume', other], shapes);
    const nowhere = path.join(dir, 'no', 'such', 'dir', 'x.sieve');
    await expectUsage([...base, '--save-params', nowhere], /directory .* does not exist/);
  });
});
