/**
 * Test hygiene: no test asserts on elapsed wall-clock time. Such an assertion fails on a slow or
 * busy machine although the code is correct; speed is measured by the benchmarks (bench/) instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

/** Every test file under dir, recursively. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const CLOCK = /\b(performance\.now|Date\.now)\(/;

/** Lines of `source` that assert on a clock reading, directly or through a variable computed from one. */
function clockAssertions(source: string): string[] {
  // Variables computed from a clock reading, e.g. `const secs = (performance.now() - t0) / 1000`.
  const timed = [...source.matchAll(/\b(?:const|let|var)\s+(\w+)\s*=([^;\n]*)/g)]
    .filter((m) => CLOCK.test(m[2]) && /[-+*/]/.test(m[2]))
    .map((m) => new RegExp(`expect\\([^;]*\\b${m[1]}\\b`));
  return source.split('\n').filter((line) => {
    const at = line.indexOf('expect(');
    return at >= 0 && (CLOCK.test(line.slice(at)) || timed.some((re) => re.test(line)));
  });
}

it('no test file asserts on elapsed time (performance.now, Date.now), directly or through a variable', () => {
  // This file's own examples below are not assertions on time.
  const files = testFiles('test').filter((f) => !f.endsWith('no-wall-clock-assertions.test.ts'));
  const offenders = files.flatMap((f) => clockAssertions(readFileSync(f, 'utf8')).map((l) => `${f}: ${l.trim()}`));
  expect(offenders).toEqual([]);
});

it('the detector finds both forms and leaves timing that is only printed alone', () => {
  const direct = 'const t0 = performance.now();\nrun();\nexpect(performance.now() - t0).toBeLessThan(5000);';
  const viaVariable = 'const secs = (Date.now() - t0) / 1000;\nexpect(secs).toBeLessThan(5);';
  const printed = 'const secs = (performance.now() - t0) / 1000;\nconsole.log(secs);\nexpect(x).toBe(1);';
  expect(clockAssertions(direct)).toHaveLength(1);
  expect(clockAssertions(viaVariable)).toHaveLength(1);
  expect(clockAssertions(printed)).toEqual([]);
});
