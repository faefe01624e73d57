// The README's quick tour is examples/quick-tour.ts verbatim; this runs it and checks the README
// still shows the same code, so the documentation can never drift from code that works.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { consoleLines } from './helpers/console-lines.js';

describe('README quick tour', () => {
  it('runs and prints what the comments promise', async () => {
    const lines = await consoleLines(() => import('../examples/quick-tour.js'), 'json');
    expect(lines[0]).toBe('Tensor([-2., -2.], shape=[2])');
    const [d2, , tangent] = lines[2].split(' ');
    expect(Number(d2)).toBeCloseTo(-Math.sin(1), 6);
    expect(Number(tangent)).toBe(1);
  });

  it('is shown verbatim in the README', () => {
    const tour = readFileSync(new URL('../examples/quick-tour.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    // The README imports from the package name instead of the source path.
    expect(readme).toContain(tour.replace("from '../src/index.js'", "from 'sieve-vi'").trim());
  });
});

describe('README estimator examples', () => {
  it('run, and every bound is finite', async () => {
    const lines = await consoleLines(() => import('../examples/estimators.js'));
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      for (const word of line.split(' '))
        if (/^-?[0-9.e+-]+$/.test(word)) expect(Number.isFinite(Number(word))).toBe(true);
    }
  });

  it('are shown verbatim in the README', () => {
    const code = readFileSync(new URL('../examples/estimators.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(code.replace("from '../src/index.js'", "from 'sieve-vi'").trim());
  });
});

describe('README training example', () => {
  it('runs: the ELBO fit is near the posterior N(0.5, 0.5), RVRS near its 33% target', async () => {
    const lines = await consoleLines(() => import('../examples/training.js'));
    expect(lines).toHaveLength(4);
    // The Gaussian family contains the posterior, and near it Adam moves each parameter by about lr = 0.05
    // per step: 2 lr = 0.1 (measured 0.52, 0.74).
    const [loc, scale] = lines[0].match(/-?[0-9.]+/g)!.map(Number);
    expect(Math.abs(loc - 0.5)).toBeLessThan(0.1);
    expect(Math.abs(scale - Math.SQRT1_2)).toBeLessThan(0.1);
    // Mean of 50 per-step Ẑ_R, each from about S / 0.33 ≈ 12 proposals (sd ≈ √(0.33 · 0.67 / 12) ≈ 0.14):
    // SE ≈ 0.14 / √50 ≈ 0.02, and 5 SE = 0.1.
    const acceptance = Number(lines[3].split(' ').pop());
    expect(Math.abs(acceptance - 0.33)).toBeLessThan(0.1);
  });

  it('is shown verbatim in the README', () => {
    const code = readFileSync(new URL('../examples/training.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(code.replace("from '../src/index.js'", "from 'sieve-vi'").trim());
  });
});
