/**
 * The sieve CLI's argument parsing, error paths (one line, valid choices, exit code 2) and help.
 */
import { describe, expect, it } from 'vitest';
import { parseCommandArgs, UsageError, type CommandSpec } from '../cli/args.js';
import { normalNormalModel } from '../cli/builtin-models.js';
import { ESTIMATOR_NAMES } from '../cli/estimators.js';
import { main, type CliDeps } from '../cli/main.js';
import { fakeDiscreteModel, fakeExperiment, fakeIo } from './helpers/cli-fakes.js';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'demo',
  positionals: { name: 'names', description: 'things', noun: 'thing', choices: () => ['a', 'b', 'c'] },
  options: [
    { name: 'quick', type: 'boolean', description: 'q' },
    { name: 'steps', type: 'integer', min: 1, description: 's' },
    { name: 'gamma', type: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true, description: 'g' },
    { name: 'threshold', type: 'number', description: 't' },
    { name: 'model', type: 'choice', noun: 'model', choices: () => ['x', 'y'], description: 'm' },
    { name: 'out', type: 'string', description: 'o' },
  ],
};

function usage(argv: string[]): string {
  try {
    parseCommandArgs(argv, spec);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseCommandArgs', () => {
  it('reads --flag value, --flag=value, booleans, numbers and positionals in any order', () => {
    const p = parseCommandArgs(
      ['b', '--steps', '30', '--gamma=0.95', '--quick', 'a', '--model', 'y', '--out=dir/x', '--threshold', '-2.5'],
      spec,
    );
    expect(p.help).toBe(false);
    expect(p.positionals).toEqual(['b', 'a']);
    expect(p.options).toEqual({ steps: 30, gamma: 0.95, quick: true, model: 'y', out: 'dir/x', threshold: -2.5 });
  });

  it('lets a later repetition win, takes --flag=false, and treats everything after -- as positional', () => {
    const p = parseCommandArgs(['--steps', '3', '--steps=4', '--quick=false', '--', 'c'], spec);
    expect(p.options).toEqual({ steps: 4, quick: false });
    expect(p.positionals).toEqual(['c']);
  });

  it('detects --help and -h anywhere, even after bad values', () => {
    expect(parseCommandArgs(['--model', 'nope', '--help'], spec).help).toBe(true);
    expect(parseCommandArgs(['-h'], spec).help).toBe(true);
  });

  it('names the valid choices and ranges in one-line errors', () => {
    expect(usage(['--model', 'z'])).toBe("unknown model 'z' (valid: x, y)");
    expect(usage(['d'])).toBe("unknown thing 'd' (valid: a, b, c)");
    expect(usage(['--bogus'])).toMatch(
      new RegExp(
        String.raw`^unknown option '--bogus' for 'sieve demo' \(valid: --quick, ` +
          String.raw`--steps, --gamma, --threshold, --model, --out, --help\)$`,
      ),
    );
    expect(usage(['-x'])).toMatch(/^unknown option '-x'/);
    expect(usage(['--steps'])).toBe('--steps needs a value: an integer >= 1');
    expect(usage(['--steps', '--quick'])).toBe('--steps needs a value: an integer >= 1');
    expect(usage(['--steps', 'ten'])).toBe("--steps must be an integer >= 1, got 'ten'");
    expect(usage(['--steps', '0'])).toBe("--steps must be an integer >= 1, got '0'");
    expect(usage(['--steps', '2.5'])).toBe("--steps must be an integer >= 1, got '2.5'");
    expect(usage(['--gamma', '1'])).toBe("--gamma must be a number in (0, 1), got '1'");
    expect(usage(['--gamma=NaN'])).toBe("--gamma must be a number in (0, 1), got 'NaN'");
    expect(usage(['--threshold', 'Infinity'])).toBe("--threshold must be a finite number, got 'Infinity'");
    expect(usage(['--model'])).toBe('--model needs a value: a model (valid: x, y)');
    expect(usage(['--quick=yes'])).toMatch(/^--quick is a flag/);
    expect(usage(['--out='])).toBe('--out needs a non-empty value');
    for (const m of [usage(['--model', 'z']), usage(['--steps', '0'])]) expect(m).not.toContain('\n');
  });

  it('refuses positionals for commands without them', () => {
    const { positionals: _, ...noPos } = spec;
    expect(() => parseCommandArgs(['extra'], noPos)).toThrow(/unexpected argument 'extra'/);
  });
});

const deps: CliDeps = {
  experiments: [fakeExperiment('alpha'), fakeExperiment('beta')],
  models: [normalNormalModel, fakeDiscreteModel],
};

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const f = fakeIo();
  const code = await main(argv, f.io, deps);
  return { code, out: f.stdout(), err: f.stderr() };
}

describe('sieve usage errors: one line, valid choices, exit code 2', () => {
  const cases: [string[], string | RegExp][] = [
    [['frobnicate'], "sieve: unknown command 'frobnicate' (valid: experiments, fit, help)"],
    [['--seed', '3'], "sieve: expected a command before '--seed' (valid: experiments, fit, help)"],
    [['help', 'nope'], "sieve: unknown command 'nope' (valid: experiments, fit, help)"],
    [['experiments', 'gamma'], "sieve: unknown experiment 'gamma' (valid: alpha, beta)"],
    [
      ['experiments', '--quick', '--full'],
      'sieve: --quick and --full cannot be used together (choose one of --tiny, --quick, --standard, --full)',
    ],
    [['experiments', '--seed', '-1'], "sieve: --seed must be an integer in [0, 4294967295], got '-1'"],
    [
      ['experiments', '--sed', '1'],
      new RegExp(
        `^sieve: unknown option '--sed' for 'sieve experiments' ` +
          String.raw`\(valid: --quick, --standard, --full, --tiny, --seed, --out, --help\)$`,
      ),
    ],
    [['fit'], 'sieve: missing --model (valid: normal-normal, bits)'],
    [['fit', '--model', 'foo'], "sieve: unknown model 'foo' (valid: normal-normal, bits)"],
    [
      ['fit', '--model', 'normal-normal', '--estimator', 'magic'],
      `sieve: unknown estimator 'magic' (valid: ${ESTIMATOR_NAMES.join(', ')})`,
    ],
    [
      ['fit', '--model', 'normal-normal', '--steps', '-5'],
      "sieve: --steps must be an integer in [1, 10000000], got '-5'",
    ],
    [['fit', '--model', 'normal-normal', '--lr', '0'], "sieve: --lr must be a number in (0, 10], got '0'"],
    [['fit', '--model', 'normal-normal', '--lr', 'fast'], "sieve: --lr must be a number in (0, 10], got 'fast'"],
    [
      ['fit', '--model', 'bits', '--estimator', 'iwae'],
      "sieve: estimator 'iwae' needs continuous latents (pathwise " +
        "gradients), but model 'bits' has discrete latents (valid for it: elbo-sf, vimco, vimco-star, vrs)",
    ],
    [['fit', '--model', 'bits', '--estimator', 'rvrs'], /^sieve: estimator 'rvrs' needs continuous latents/],
    [
      ['fit', '--model', 'normal-normal', '--alpha', '0.5'],
      "sieve: --alpha does not apply to estimator 'elbo' (it applies to: vr-iwae, vimco-star)",
    ],
    [
      ['fit', '--model', 'normal-normal', '--estimator', 'vrs', '--target-accept', '0.3'],
      "sieve: --target-accept does not apply to estimator 'vrs' (it applies to: rvrs)",
    ],
    [
      ['fit', '--model', 'normal-normal', '--estimator', 'vrs', '--threshold', '3', '--gamma', '0.9'],
      'sieve: --threshold fixes T; it cannot be combined with --gamma',
    ],
    [
      ['fit', '--model', 'normal-normal', '--estimator', 'vimco', '--samples', '1'],
      "sieve: --samples must be >= 2 for estimator 'vimco', got 1",
    ],
    [
      ['fit', '--model', 'normal-normal', '--estimator', 'vr-iwae', '--alpha', '1'],
      "sieve: --alpha must be a number in [0, 1), got '1'",
    ],
    [
      ['fit', '--model', 'normal-normal', '--estimator', 'rvrs', '--target-accept', '1.5'],
      "sieve: --target-accept must be a number in (0, 1), got '1.5'",
    ],
    [['fit', '--model', 'normal-normal', 'extra'], /^sieve: unexpected argument 'extra' for 'sieve fit'/],
  ];
  it.each(cases)('sieve %j', async (argv, expected) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.endsWith('\n')).toBe(true);
    const line = err.slice(0, -1);
    expect(line).not.toContain('\n');
    if (typeof expected === 'string') expect(line).toBe(expected);
    else expect(line).toMatch(expected);
  });
});

describe('help', () => {
  it('sieve --help lists commands, experiments, models and estimators', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], []]) {
      const { code, out, err } = await run(argv);
      expect(code).toBe(0);
      expect(err).toBe('');
      for (const word of [
        'experiments',
        'fit',
        'alpha',
        'beta',
        'a fake experiment called beta',
        'normal-normal',
        'bits',
        '[discrete]',
        ...ESTIMATOR_NAMES,
      ])
        expect(out).toContain(word);
    }
  });

  it('sieve fit --help lists models, estimators and every option', async () => {
    for (const argv of [
      ['fit', '--help'],
      ['help', 'fit'],
      ['fit', '--model', 'nope', '-h'],
    ]) {
      const { code, out } = await run(argv);
      expect(code).toBe(0);
      for (const word of ['normal-normal', 'bits', ...ESTIMATOR_NAMES]) expect(out).toContain(word);
      for (const opt of [
        'model',
        'estimator',
        'steps',
        'lr',
        'samples',
        'threshold',
        'gamma',
        'target-accept',
        'alpha',
        'seed',
        'out',
        'help',
      ])
        expect(out).toContain(`--${opt}`);
    }
  });

  it('sieve experiments --help lists experiments and options', async () => {
    const { code, out } = await run(['experiments', '--help']);
    expect(code).toBe(0);
    for (const word of ['alpha', 'beta', '--quick', '--full', '--seed', '--out']) expect(out).toContain(word);
  });

  it('sieve --version prints the version', async () => {
    const { code, out } = await run(['--version']);
    expect(code).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+/);
  });
});
