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
      for (const word of line.split(' ')) if (/^-?[0-9.e+-]+$/.test(word)) expect(Number.isFinite(Number(word))).toBe(true);
    }
  });

  it('are shown verbatim in the README', () => {
    const code = readFileSync(new URL('../examples/estimators.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(code.replace("from '../src/index.js'", "from 'sieve-vi'").trim());
  });
});
