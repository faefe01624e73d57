/**
 * Memory over a long training run: Sieve's VAE step (bench/vae.ts) repeated `steps` times (or until
 * `maxSeconds`, so a slow backend cannot hold the benchmark for half an hour), with the heap sampled
 * 100 times along the way. Run with `node --expose-gc`: a full collection before each sample
 * measures what is live, not what the collector has not reached yet.
 *
 * Reported: heapUsed (JS objects: tensors, graph nodes, optimizer state), arrayBuffers (tensor
 * storage: Float32Array backing stores and WebAssembly memories, outside the JS heap; they are
 * released lazily, so this one swings by tens of MB between samples) and rss, each as start / max /
 * end, and the least-squares slope of heapUsed over the second half of the samples: the heap grows
 * during about the first 1,000 steps (caches, compiled code; measured: 8.0 → 8.7 MB on the wasm
 * backend) and then stays level. "Flat": that slope, projected over 10,000 steps, adds less than
 * 1 MB; a leak of one small tensor per step (a few hundred bytes) would exceed it.
 */
import { residentStats, Tensor } from '../src/index.js';
import { makeInputs, FULL_SIZES, vaeShapes, ADAM } from './peers/cases.js';
import { VaeTrainer, type VaeParams } from './vae.js';

export interface Range {
  start: number;
  max: number;
  end: number;
}

export interface MemoryResult {
  /** Steps run: fewer than asked for when the time cap stopped the run. */
  steps: number;
  requested: number;
  seconds: number;
  heapUsed: Range;
  arrayBuffers: Range;
  rss: Range;
  /** Size of the shared WebAssembly memory (worker pool and resident tensors; it never shrinks). */
  wasmMemory: Range;
  /** Bytes of live resident tensors (src/tensor/backend/wasm/resident-arrays.ts; 0 when that is off). */
  residentBytes: Range;
  /** Growth of heapUsed, bytes per 1000 steps (least squares over the second half of the run). */
  slopePer1000: number;
  /** Undefined when the run was too short to tell a leak from warm-up. */
  flat: boolean | undefined;
}

export const FLAT_LIMIT_BYTES = 1 << 20;
/** The horizon of the target: memory flat over 10,000 VAE training steps. */
export const TARGET_STEPS = 10_000;
/** Below this many steps the second half of the run is still in the warm-up: no verdict. */
export const MIN_JUDGED_STEPS = 2000;

function range(values: readonly number[]): Range {
  return { start: values[0], max: Math.max(...values), end: values[values.length - 1] };
}

function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function measureVaeMemory(
  steps: number,
  maxSeconds: number,
  log: (line: string) => void = () => {},
): MemoryResult {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('measureVaeMemory: run node with --expose-gc');
  const inputs = makeInputs(FULL_SIZES);
  const s = inputs.sizes;
  const params = Object.fromEntries(
    Object.entries(vaeShapes(s)).map(([k, shape]) => [k, Tensor.fromData(inputs.vaeParams[k], shape)]),
  );
  const trainer = new VaeTrainer(
    params as unknown as VaeParams,
    Tensor.fromData(inputs.vaeX, [s.batch, s.vae.pixels]),
    Tensor.fromData(inputs.vaeNoise, [s.batch, s.vae.latent]),
    ADAM.lr,
  );
  const every = Math.max(1, Math.floor(steps / 100));
  const at: number[] = [];
  const heap: number[] = [];
  const buffers: number[] = [];
  const rss: number[] = [];
  const wasm: number[] = [];
  const resident: number[] = [];
  const sample = (step: number): void => {
    collect();
    const m = process.memoryUsage();
    at.push(step);
    heap.push(m.heapUsed);
    buffers.push(m.arrayBuffers);
    rss.push(m.rss);
    const r = residentStats();
    wasm.push(r.memoryBytes);
    resident.push(r.resultBytes);
  };
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  sample(0);
  let done = 0;
  while (done < steps) {
    trainer.step();
    done++;
    if (done % every === 0 || done === steps) {
      sample(done);
      const mb = (heap[heap.length - 1] / 2 ** 20).toFixed(1);
      if (done % (every * 10) === 0) log(`  memory: step ${done}/${steps}, heap ${mb} MB`);
      if (elapsed() > maxSeconds) break;
    }
  }
  const skip = Math.floor(at.length / 2);
  const slopePer1000 = slope(at.slice(skip), heap.slice(skip)) * 1000;
  return {
    steps: done,
    requested: steps,
    seconds: elapsed(),
    heapUsed: range(heap),
    arrayBuffers: range(buffers),
    rss: range(rss),
    wasmMemory: range(wasm),
    residentBytes: range(resident),
    slopePer1000,
    flat: done < MIN_JUDGED_STEPS ? undefined : (slopePer1000 * TARGET_STEPS) / 1000 < FLAT_LIMIT_BYTES,
  };
}
