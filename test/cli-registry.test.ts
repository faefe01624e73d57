/**
 * Every experiment registered in experiments/index.ts runs in its tiny configuration through
 * `sieve experiments --tiny` and produces a report whose HTML parses, with one <svg> per plot and
 * one path per series, and a results.json that round-trips.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { readResults, serializeResults } from '../cli/report/index.js';
import { EXPERIMENTS } from '../experiments/index.js';
import { checkHtml } from './helpers/cli-html-check.js';
import { fakeIo, tmpDir } from './helpers/cli-fakes.js';

describe('registered experiments, tiny configuration', () => {
  it('has unique names', () => {
    const names = EXPERIMENTS.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(EXPERIMENTS.map((e) => [e.name]))('%s runs and reports', async (name) => {
    const f = fakeIo();
    const dir = path.join(tmpDir(), name);
    const code = await main(['experiments', name, '--tiny', '--seed', '1', '--out', dir], f.io);
    expect(code, f.stderr()).toBe(0);
    const record = readResults(path.join(dir, 'results.json'));
    expect(serializeResults(record)).toBe(readFileSync(path.join(dir, 'results.json'), 'utf8'));
    const [r] = record.experiments;
    expect(r.name).toBe(name);
    expect(r.interrupted).toBe(false);
    expect(r.plots.length).toBeGreaterThan(0);
    const { counts, elements } = checkHtml(readFileSync(path.join(dir, 'index.html'), 'utf8'));
    expect(counts.get('svg')).toBe(r.plots.length);
    const series = r.plots.reduce((a, p) => a + p.series.length, 0);
    expect(elements.filter((e) => e.name === 'path' && e.attrs.get('class') === 'series')).toHaveLength(series);
  });
});
