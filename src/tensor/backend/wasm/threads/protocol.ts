/**
 * How the calling thread and the worker threads share one job: the control block and the
 * functions both sides run.
 *
 * A job is a list of kernel calls (at most MAX_CALLS), each a row of CALL_WORDS float64 numbers in the
 * control block: the kernel (KIND) and its arguments, pointers into the shared WebAssembly memory.
 * Every thread, the calling one included, claims calls one at a time from a shared counter and runs
 * them until none is left, so a worker that wakes late (a busy machine) simply finds less to do, and
 * which thread runs a call never changes what it computes.
 *
 * The claim word packs the number of calls posted and the next unclaimed one, (count << 16) | next,
 * so that one compare-and-swap both checks the count it read and takes a call. A thread holding a
 * stale word (read during an earlier job) can only succeed if the word has exactly that value now, and
 * then it takes call `next` of the open job, whose row was written before the word said it exists.
 * The calling thread opens a job by storing (count << 16) | 0 and may raise the count while the others
 * claim (it posts calls as it prepares them); it reuses the rows only after every call is done.
 *
 * `claimCall`, `runCall`, `finishCall` and `workerLoop` are also the workers' source (through
 * Function.prototype.toString, in ./worker-source.ts), so they must use nothing from outside their own
 * bodies but their arguments and globals: that is why the indices below appear in them as numbers.
 */
import type { KernelExports } from '../kernels.js';

/** Int32 slots of the control block. */
export const CLAIM = 0; // (count << 16) | next
export const DONE = 1; // calls finished in the open job
export const FAILED = 2; // 1 if a call threw (the calling thread then throws after the job)
export const ACTIVE = 3; // threads that take part: a worker whose index is not below it claims nothing
/**
 * Int32 slots in float64 slot 4: how many workers sleep in Atomics.wait for a job, and whether the
 * calling thread sleeps for DONE. A thread notifies only when someone sleeps: Atomics.notify costs a
 * system call even then, and a polling thread needs none. (Each side writes its own slot, then reads
 * the other's word, all sequentially consistent: one of the two always sees the other.)
 */
export const SLEEPING_WORKERS = 8;
export const CALLER_SLEEPING = 9;

/** Float64 slots: every thread's matmul scratch is at SCRATCH_BASE + thread index · SCRATCH_STRIDE. */
export const SCRATCH_BASE = 2;
export const SCRATCH_STRIDE = 3;
/** Float64 index of the first call's row. */
export const FIRST_CALL = 5;
export const CALL_WORDS = 12;
export const MAX_CALLS = 1024;
/**
 * Int32 index of call 0's finished flag; call i's is FINISHED + i, after the rows. The thread that ran
 * the call sets it, so the calling thread can copy out a worker's result while the others still compute.
 */
export const FINISHED = 2 * (FIRST_CALL + MAX_CALLS * CALL_WORDS);
export const CONTROL_BYTES = 4 * (FINISHED + MAX_CALLS);

/** What a call's row holds in its first word; the arguments follow in the kernel's own order. */
export const KIND = { matmul: 0, unary: 1, binary: 2 } as const;

/** Claim the next call of the open job: its index, or −1 when every call has been claimed. */
export function claimCall(control: Int32Array): number {
  for (;;) {
    const word = Atomics.load(control, 0); // CLAIM
    if ((word & 0xffff) >= word >>> 16) return -1;
    if (Atomics.compareExchange(control, 0, word, word + 1) === word) return word & 0xffff;
  }
}

/** Run call `i` of the job in `params` (the control block as float64) with this thread's scratch. */
export function runCall(kernels: KernelExports, params: Float64Array, i: number, scratch: number): void {
  const c = 5 + 12 * i; // FIRST_CALL + CALL_WORDS · i
  const p = params;
  switch (p[c]) {
    case 0: // matmul: a, ars, acs, b, brs, bcs, c, m, n, k, ldc
      kernels.matmulStrided(
        p[c + 1],
        p[c + 2],
        p[c + 3],
        p[c + 4],
        p[c + 5],
        p[c + 6],
        p[c + 7],
        p[c + 11],
        p[c + 8],
        p[c + 9],
        p[c + 10],
        scratch,
      );
      break;
    case 1: // unary: op, x, out, n
      kernels.unary(p[c + 1], p[c + 2], p[c + 3], p[c + 4]);
      break;
    case 2: // binary: op, a, aRow, aCol, b, bRow, bCol, out, rows, cols
      kernels.binary(
        p[c + 1],
        p[c + 2],
        p[c + 3],
        p[c + 4],
        p[c + 5],
        p[c + 6],
        p[c + 7],
        p[c + 8],
        p[c + 9],
        p[c + 10],
      );
      break;
    default:
      throw new Error(`sieve worker: unknown kernel ${p[c]}`);
  }
}

/**
 * Run one claimed call, flag it finished and count it done; the last one wakes the calling thread. A
 * call that throws is counted too (and FAILED set), so that nobody waits forever for it.
 */
export function finishCall(
  kernels: KernelExports,
  control: Int32Array,
  params: Float64Array,
  i: number,
  thread: number,
  run: typeof runCall,
): void {
  try {
    run(kernels, params, i, params[2] + thread * params[3]); // SCRATCH_BASE, SCRATCH_STRIDE
  } catch {
    Atomics.store(control, 2, 1); // FAILED
  }
  Atomics.store(control, 24586 + i, 1); // FINISHED + i
  const count = Atomics.load(control, 0) >>> 16; // fixed while this call is unfinished
  // DONE; CALLER_SLEEPING
  if (Atomics.add(control, 1, 1) + 1 === count && Atomics.load(control, 9) !== 0) Atomics.notify(control, 1);
}

/** What a worker receives when it starts. */
export interface WorkerData {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  /** 1, 2, ...: the calling thread is thread 0. */
  readonly thread: number;
  /** How long an idle worker polls for the next job before it sleeps in Atomics.wait. */
  readonly spinMilliseconds: number;
}

/**
 * A worker's whole life: instantiate the kernels on the shared memory, then claim and run calls.
 * (Instantiating writes the module's constant tables, below its heap base, again: the same bytes, so
 * a kernel running meanwhile on another thread reads the same values.)
 */
export function workerLoop(
  data: WorkerData,
  claim: typeof claimCall,
  run: typeof runCall,
  finish: typeof finishCall,
): never {
  const abort = (): never => {
    throw new Error('sieve wasm kernels: abort');
  };
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory, abort } });
  const kernels = instance.exports as unknown as KernelExports;
  const control = new Int32Array(data.control);
  const params = new Float64Array(data.control);
  for (;;) {
    const word = Atomics.load(control, 0); // CLAIM
    // Asleep until the next job is posted, or for good once the pool shrank below this worker.
    if (data.thread >= Atomics.load(control, 3)) {
      // ACTIVE: the pool shrank below this worker, which is being stopped; it sleeps uncounted.
      Atomics.wait(control, 0, word);
      continue;
    }
    if ((word & 0xffff) >= word >>> 16) {
      // Nothing to claim. Poll a little before sleeping: a training step posts jobs a fraction of a
      // millisecond apart, and a thread woken from Atomics.wait starts 50–100 µs late.
      const until = performance.now() + data.spinMilliseconds;
      while (Atomics.load(control, 0) === word && performance.now() < until) {}
      Atomics.add(control, 8, 1); // SLEEPING_WORKERS: from here on, a new job is notified
      Atomics.wait(control, 0, word); // returns at once if the claim word changed meanwhile
      Atomics.sub(control, 8, 1);
      continue;
    }
    const i = claim(control);
    if (i >= 0) finish(kernels, control, params, i, data.thread, run);
  }
}
