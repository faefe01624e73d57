/**
 * Best-of-samples timing, for calls that may be synchronous or return a promise.
 *
 * A sample repeats the call until it has run for at least `minSampleSeconds` (so a 50 µs call is not
 * timed alone against the clock's resolution), and reports the mean time per call of that sample.
 * The result is the fastest sample: on a shared machine, load only ever adds time, so the minimum is
 * the estimate least disturbed by other processes (the "best of several samples").
 */
export interface SampleOptions {
  /** Take this many samples, unless `maxSeconds` runs out first (at least one is always taken). */
  samples: number;
  /** Call repeatedly for this long before sampling, so V8 has optimized the code being timed. */
  warmupSeconds: number;
  minSampleSeconds: number;
  maxSeconds: number;
}

export interface Timing {
  /** Seconds per call, fastest sample. */
  seconds: number;
  /** Seconds per call, median sample: how far the best is from the typical. */
  median: number;
  samples: number;
  callsPerSample: number;
}

async function call(fn: () => unknown): Promise<void> {
  const r = fn();
  if (r instanceof Promise) await r;
}

export async function bestOf(fn: () => unknown, options: SampleOptions): Promise<Timing> {
  const started = performance.now();
  // Warm-up: V8's optimizing compiler, jit tracing, first allocations; at least two calls.
  for (let i = 0; i < 2 || (performance.now() - started) / 1000 < options.warmupSeconds; i++) await call(fn);
  const t0 = performance.now();
  await call(fn);
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const callsPerSample = Math.max(1, Math.ceil(options.minSampleSeconds / once));
  const perCall: number[] = [];
  while (perCall.length < options.samples) {
    const s0 = performance.now();
    for (let i = 0; i < callsPerSample; i++) await call(fn);
    perCall.push((performance.now() - s0) / 1000 / callsPerSample);
    if ((performance.now() - started) / 1000 > options.maxSeconds) break;
  }
  const sorted = [...perCall].sort((a, b) => a - b);
  return { seconds: sorted[0], median: sorted[Math.floor(sorted.length / 2)], samples: perCall.length, callsPerSample };
}
