// The README's conditional-sampling example is examples/conditional-sampling.ts verbatim: it must
// run, print finite numbers, and still be shown in the README exactly as it is in the file.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { consoleLines } from './helpers/console-lines.js';

describe('README conditional-sampling example', () => {
  it('runs and prints finite estimates for MWG, AC-MWG and LAIR, then the saved size', async () => {
    const lines = await consoleLines(() => import('../examples/conditional-sampling.js'), 'json');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['mwg', 'ac-mwg', 'lair', expect.stringMatching(/^\d+$/)]);
    for (const line of lines.slice(0, 3)) {
      const numbers = line
        .split(/[ |]+/)
        .filter((w) => /^-?\d/.test(w))
        .map(Number);
      expect(numbers.length).toBeGreaterThanOrEqual(6);
      for (const n of numbers) expect(Number.isFinite(n)).toBe(true);
    }
    expect(lines[3]).toBe(`${lines[3].split(' ')[0]} bytes [5,2]`);
  });

  it('is shown verbatim in the README', () => {
    const code = readFileSync(new URL('../examples/conditional-sampling.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(code.replace("from '../src/index.js'", "from 'sieve-vi'").trim());
  });
});
