/**
 * A thin layer over benny: run a few cases as one benny suite and return, for each, the median
 * time of one call. Benny (benchmark.js underneath) reports operations per second, which is
 * awkward for calls that take tens of milliseconds or seconds; times are easier to read and to
 * divide into per-op costs. The median, not the mean, because a stray garbage collection or a busy
 * neighbour on the machine should not move the result.
 */
import { add, configure, cycle, suite } from 'benny';

export interface CaseTiming {
  name: string;
  /** Median seconds per call. */
  seconds: number;
  /** benchmark.js's relative margin of error of the mean, in percent. */
  rme: number;
  samples: number;
}

export interface SuiteOptions {
  /** At least this many timed samples per case (a sample is one or more calls). */
  minSamples: number;
  /** Stop sampling a case after this many seconds, once it has minSamples. */
  maxTime: number;
}

export async function timeCases(
  title: string,
  cases: readonly (readonly [name: string, fn: () => unknown])[],
  options: SuiteOptions,
): Promise<CaseTiming[]> {
  const summary = await suite(
    title,
    // minTime 0: a sample may be a single call, so slow cases are not repeated just to fill time.
    configure({ cases: { minSamples: options.minSamples, maxTime: options.maxTime, minTime: 0 } }),
    ...cases.map(([name, fn]) => add(name, () => fn)),
    cycle((result) => {
      console.log(
        `  ${result.name.padEnd(52)} ${formatTime(result.details.median).padStart(10)}  ` +
          `±${result.margin.toFixed(1)}%  (${result.samples} samples)`,
      );
    }),
  );
  return summary.results.map((r) => ({ name: r.name, seconds: r.details.median, rme: r.margin, samples: r.samples }));
}

export function formatTime(seconds: number): string {
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(1)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(2)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/** A plain-text table with a header row; columns after the first are right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: readonly string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Deterministic pseudo-random numbers in [0, 1) (a 32-bit LCG): benchmark data need not be good randomness. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
