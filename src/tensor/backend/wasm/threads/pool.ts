/**
 * The worker pool: threadCount() − 1 workers, each running the shared-memory build of the kernels on
 * the same WebAssembly memory as this thread, started on the first large op (never before) and never
 * keeping a Node process alive (unref).
 *
 * Sieve's API is synchronous, so a job runs to completion inside the op that posts it: this thread
 * writes the calls into the control block, wakes the workers (Atomics.notify), claims and runs calls
 * itself like any worker, then waits until every call is done: Atomics.wait where this thread may
 * block (Node, a browser's workers), a spin on Atomics.load where it may not (a browser's main thread).
 */
import { fail } from '../../../../errors.js';
import { nodeBuiltinModule } from '../../environment.js';
import type { KernelExports, Kernels, SharedKernels } from '../kernels.js';
import { loadSharedKernelsSync } from '../kernels.js';
import {
  ACTIVE,
  CALL_WORDS,
  CLAIM,
  CONTROL_BYTES,
  DONE,
  FAILED,
  FINISHED,
  FIRST_CALL,
  KIND,
  MAX_CALLS,
  SCRATCH_BASE,
  SCRATCH_STRIDE,
  SLEEPING_WORKERS,
  CALLER_SLEEPING,
  claimCall,
  finishCall,
  runCall,
  type WorkerData,
} from './protocol.js';
import { residentMemory } from '../resident-arrays.js';
import { BROWSER_WORKER_SOURCE, NODE_WORKER_SOURCE } from './worker-source.js';

interface WorkerHandle {
  /** Node's returns a promise that settles once the thread has ended; a browser's returns nothing. */
  terminate(): unknown;
}

type NodeWorkerClass = new (
  source: string,
  options: { eval: true; workerData: WorkerData },
) => WorkerHandle & {
  unref(): void;
  on(event: 'error', listener: (e: unknown) => void): void;
};

/** A function that starts one worker on `data`, or null where this platform has no way to. */
type WorkerStarter = (data: WorkerData) => WorkerHandle;

function nodeStarter(): WorkerStarter | null {
  const Worker = nodeBuiltinModule<{ Worker: NodeWorkerClass }>('node:worker_threads')?.Worker;
  if (Worker === undefined) return null;
  return (workerData) => {
    const worker = new Worker(NODE_WORKER_SOURCE, { eval: true, workerData });
    worker.unref(); // an idle pool must not keep the process alive
    // A worker that fails to start takes no calls: the others (and this thread) do them.
    worker.on('error', () => {});
    return worker;
  };
}

function browserStarter(): WorkerStarter | null {
  const g = globalThis as { Worker?: new (url: string) => WorkerHandle & { postMessage(data: unknown): void } };
  if (typeof g.Worker !== 'function' || typeof Blob !== 'function' || typeof URL.createObjectURL !== 'function') {
    return null;
  }
  const BrowserWorker = g.Worker;
  // One URL for the pool's lifetime: revoking it could race with a worker still loading it.
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
  return (data) => {
    const worker = new BrowserWorker(url);
    worker.postMessage(data);
    return worker;
  };
}

/**
 * How long an idle worker polls for the next job before sleeping, and how long this thread polls for
 * the workers' last calls. Measured on the 2-vCPU machines: a job's round trip through Atomics.wait
 * and notify took 17–116 µs, through polling 4–5 µs; the MLP step's jobs come 0.1–0.5 ms apart.
 */
const WORKER_SPIN_MILLISECONDS = 0.5;
const CALLER_SPIN_MILLISECONDS = 0.2;

export class WorkerPool {
  readonly kernels: Kernels;
  private readonly exports: KernelExports;
  private readonly control: Int32Array;
  private readonly params: Float64Array;
  private readonly workers: WorkerHandle[] = [];
  /** What the workers stopped so far returned from terminate() (see `stopped`). */
  private ending: unknown[] = [];
  /** The most threads this pool ever had: every one of them gets matmul scratch (see `resize`). */
  private mostThreads = 1;
  /** Whether this thread may block in Atomics.wait (not on a browser's main thread). */
  private readonly canBlock: boolean;
  private calls = 0;
  /** Calls of the job the threads may already claim (see `post`); -1 before the job is opened. */
  private posted = -1;
  /** Calls run so far, and how many of them this thread ran (the rest ran on workers). */
  readonly stats = { calls: 0, byCaller: 0 };
  /** False only in tests: this thread then leaves every call to the workers and just waits. */
  callerTakesPart = true;

  constructor(
    private readonly shared: SharedKernels,
    private readonly start: WorkerStarter,
  ) {
    this.kernels = shared.kernels;
    this.exports = shared.kernels.exports;
    const buffer = new SharedArrayBuffer(CONTROL_BYTES);
    this.control = new Int32Array(buffer);
    this.params = new Float64Array(buffer);
    Atomics.store(this.control, ACTIVE, 1);
    this.canBlock = mayBlock(this.control);
  }

  /** This thread plus the workers. */
  get threads(): number {
    return 1 + this.workers.length;
  }

  /** Thread indices that may run a matmul call: each needs its own scratch. */
  get scratchSlots(): number {
    return this.mostThreads;
  }

  /**
   * Start or stop workers so that `threads` threads take part. Only between jobs. A stopped worker
   * may take a moment to end (terminate() is asynchronous in Node): ACTIVE keeps it from claiming,
   * and scratch stays laid out for every thread index ever used, in case it already had.
   */
  resize(threads: number): void {
    Atomics.store(this.control, ACTIVE, threads);
    // Wake sleeping workers, so that those now beyond the count stop counting as sleepers (a worker
    // stopped while counted would make every later job call Atomics.notify, needlessly but safely).
    Atomics.notify(this.control, CLAIM);
    this.mostThreads = Math.max(this.mostThreads, threads);
    while (this.workers.length > threads - 1) this.ending.push(this.workers.pop()!.terminate());
    while (this.workers.length < threads - 1) {
      const thread = this.workers.length + 1;
      const { module, memory } = this.shared;
      const control = this.control.buffer as SharedArrayBuffer;
      this.workers.push(this.start({ module, memory, control, thread, spinMilliseconds: WORKER_SPIN_MILLISECONDS }));
    }
  }

  /** Settles once every worker stopped so far has ended (at once where terminate() gives no promise). */
  async stopped(): Promise<void> {
    const ending = this.ending;
    this.ending = [];
    // allSettled: a thread that failed to end cleanly has ended all the same.
    await Promise.allSettled(ending);
  }

  /** Start a job; thread t's matmul scratch is at scratchBase + t · scratchStride. */
  begin(scratchBase = 0, scratchStride = 0): void {
    this.calls = 0;
    this.posted = -1;
    this.params[SCRATCH_BASE] = scratchBase;
    this.params[SCRATCH_STRIDE] = scratchStride;
  }

  /** How many more calls the job can take. */
  get room(): number {
    return MAX_CALLS - this.calls;
  }

  /**
   * Add the call matmul(a, ars, acs, b, brs, bcs, c, m, n, k, this thread's scratch), C's rows `ldc`
   * floats apart (n unless the call computes a block of C's columns).
   */
  matmul(
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    bcs: number,
    c: number,
    m: number,
    n: number,
    k: number,
    ldc = n,
  ): void {
    const p = this.params,
      o = this.row(KIND.matmul);
    p[o + 1] = a;
    p[o + 2] = ars;
    p[o + 3] = acs;
    p[o + 4] = b;
    p[o + 5] = brs;
    p[o + 6] = bcs;
    p[o + 7] = c;
    p[o + 8] = m;
    p[o + 9] = n;
    p[o + 10] = k;
    p[o + 11] = ldc;
  }

  /** Add the call unary(op, x, out, n). */
  unary(op: number, x: number, out: number, n: number): void {
    const p = this.params,
      o = this.row(KIND.unary);
    p[o + 1] = op;
    p[o + 2] = x;
    p[o + 3] = out;
    p[o + 4] = n;
  }

  /** Add the call binary(op, a, aRow, aCol, b, bRow, bCol, out, rows, cols). */
  binary(
    op: number,
    a: number,
    aRow: number,
    aCol: number,
    b: number,
    bRow: number,
    bCol: number,
    out: number,
    rows: number,
    cols: number,
  ): void {
    const p = this.params,
      o = this.row(KIND.binary);
    p[o + 1] = op;
    p[o + 2] = a;
    p[o + 3] = aRow;
    p[o + 4] = aCol;
    p[o + 5] = b;
    p[o + 6] = bRow;
    p[o + 7] = bCol;
    p[o + 8] = out;
    p[o + 9] = rows;
    p[o + 10] = cols;
  }

  /**
   * Let the workers start on the calls added so far, while this thread prepares more (the operands
   * of later calls, say). Raising the count in the claim word is safe while others claim: a thread
   * that reads count c may run any call below c, and those rows are written.
   */
  post(): void {
    const control = this.control;
    if (this.posted < 0) {
      Atomics.store(control, DONE, 0);
      Atomics.store(control, FAILED, 0);
      Atomics.store(control, CLAIM, this.calls << 16); // opens the job: calls 0..calls−1 unclaimed
    } else {
      Atomics.add(control, CLAIM, (this.calls - this.posted) << 16);
    }
    this.posted = this.calls;
    if (Atomics.load(control, SLEEPING_WORKERS) > 0) Atomics.notify(control, CLAIM);
  }

  /**
   * Run every call of the job on all threads; returns when all are done. `whenDone(i)`, if given, runs
   * on this thread once for every call i, as soon as it is done: this thread's own calls right after it
   * ran them, the others' while it waits for the rest (to copy each result out while the others still
   * compute, say), the last ones at the end.
   */
  run(whenDone?: (call: number) => void): void {
    const count = this.calls;
    if (count === 0) return;
    if (this.posted !== count) this.post();
    this.calls = 0;
    this.posted = -1;
    const control = this.control;
    const handled = whenDone === undefined ? null : new Uint8Array(count);
    for (let i = this.callerTakesPart ? claimCall(control) : -1; i >= 0; i = claimCall(control)) {
      finishCall(this.exports, control, this.params, i, 0, runCall);
      this.stats.byCaller++;
      if (handled !== null) {
        handled[i] = 1;
        whenDone!(i);
      }
    }
    this.stats.calls += count;
    // The others' last calls are usually a fraction of a millisecond from done: poll for them first,
    // since a thread woken from Atomics.wait starts 50–100 µs late.
    let firstUnhandled = 0;
    const handleFinished = (): boolean => {
      let any = false;
      for (let i = firstUnhandled; i < count; i++) {
        if (handled![i] !== 0 || Atomics.load(control, FINISHED + i) === 0) continue;
        handled![i] = 1;
        whenDone!(i);
        any = true;
      }
      while (firstUnhandled < count && handled![firstUnhandled] !== 0) firstUnhandled++;
      return any;
    };
    let until = performance.now() + CALLER_SPIN_MILLISECONDS;
    for (let done = Atomics.load(control, DONE); done !== count; done = Atomics.load(control, DONE)) {
      if (handled !== null && handleFinished()) {
        until = performance.now() + CALLER_SPIN_MILLISECONDS;
        continue;
      }
      if (!this.canBlock || performance.now() < until) continue;
      Atomics.store(control, CALLER_SLEEPING, 1);
      Atomics.wait(control, DONE, done); // returns at once if DONE moved since it was read
      Atomics.store(control, CALLER_SLEEPING, 0);
    }
    if (handled !== null) handleFinished();
    if (Atomics.load(control, FAILED) !== 0) fail('wasm threads', 'a kernel call threw (on this thread or a worker)');
  }

  private row(kind: number): number {
    if (this.calls >= MAX_CALLS) fail('wasm threads', `a job has at most ${MAX_CALLS} calls`);
    Atomics.store(this.control, FINISHED + this.calls, 0);
    const o = FIRST_CALL + CALL_WORDS * this.calls++;
    this.params[o] = kind;
    return o;
  }
}

function mayBlock(control: Int32Array): boolean {
  try {
    Atomics.wait(control, ACTIVE, -1, 0); // never −1: returns 'not-equal' at once where allowed
    return true;
  } catch {
    return false; // TypeError on a browser's main thread
  }
}

let pool: WorkerPool | null = null;
let unavailable = false;

/**
 * The pool resized to `threads`, started on first use; null when threads is 1 or this platform has
 * no shared memory or no workers (the caller then runs single-threaded).
 */
export function workerPool(threads: number): WorkerPool | null {
  if (threads <= 1) {
    if (pool !== null && pool.threads > 1) pool.resize(1);
    return null;
  }
  if (pool === null) {
    if (unavailable) return null;
    // Through residentMemory(): operands go into the allocator's scratch, clear of resident tensors.
    const shared = residentMemory() === null ? null : loadSharedKernelsSync();
    const start = shared === null ? null : (nodeStarter() ?? browserStarter());
    if (shared === null || start === null) {
      unavailable = true;
      return null;
    }
    pool = new WorkerPool(shared, start);
  }
  if (pool.threads !== threads) pool.resize(threads);
  return pool;
}

/** Stop workers beyond `threads` − 1 now (starting more waits for the next large op). */
export function shrinkPool(threads: number): void {
  if (pool !== null && pool.threads > threads) pool.resize(threads);
}

/**
 * Stop every worker and wait until their threads have ended; the next large op starts them again.
 * For a thread that is about to end itself: Node 20 can abort the whole process when a worker thread
 * is terminated while it still owns workers of its own (see cli/worker-protocol.ts).
 */
export async function stopWorkerThreads(): Promise<void> {
  if (pool === null) return;
  pool.resize(1);
  await pool.stopped();
}

/** How many worker threads are running (0 until the first large op). */
export function startedWorkers(): number {
  return pool === null ? 0 : pool.threads - 1;
}
