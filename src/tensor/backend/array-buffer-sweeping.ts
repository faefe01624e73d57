/**
 * Freeing dead tensors' storage inside the garbage collector's pause (Node 20), so that large results do not
 * set off full collections.
 *
 * Every large result is a fresh ArrayBuffer whose bytes V8 counts as *external memory*. When a young-generation
 * collection finds such buffers dead, V8 11 frees their bytes on a background thread (concurrent array-buffer
 * sweeping) and, as far as the measurements below show, takes them off its external-memory count only later, once
 * the main thread finishes that job. Until then the count includes the dead results as well as the new ones, so at
 * a few MB per op it soon passes V8's limit, and V8 answers "external memory pressure" with a full mark-compact:
 * one every 10–20 ms in a loop of exp over 1M floats, each pausing the calling thread for 2–5 ms, while the
 * marking threads take the core that Sieve's worker thread needs. With the flag
 * `--no-concurrent-array-buffer-sweeping` the same collections free the buffers in their pause, the count drops
 * at once, and the young-generation collections suffice.
 *
 * Measured (2026-12-04, 2-vCPU AMD EPYC, Node 20, `npm run bench` cases back to back without and with the flag):
 * mark-compacts while timing exp over 1M floats on one thread 161 → 9; rates (Gelem/s) exp 0.78 → 0.90 on one
 * thread and 1.12 → 1.36 on two, log 0.65 → 0.79 and 0.57 → 1.27, tanh on two threads 0.47 → 0.87, sigmoid
 * 0.59 → 1.09; the MLP on two threads 182 → 216 steps/s, the VAE 89 → 113 (docs/wasm-backend.md).
 *
 * The flag is process-wide: other code's dead ArrayBuffers are then also freed in the collector's pause (as
 * before V8 9), which lengthens young-generation pauses by the time free() takes on them. It changes when memory
 * is returned, never what is live. Set on the first large allocation (as glibc's trim threshold is, heap-trim.ts),
 * on Node 20 only; SIEVE_GC_TUNING=0 leaves V8's default.
 */
import { environmentSwitch } from './environment.js';
import { setNode20V8Flag } from './node-v8-flags.js';

/** SIEVE_GC_TUNING=1|0: whether Sieve may set the flag (default 1); a bad value is a SieveError when Sieve loads. */
const wanted = environmentSwitch('SIEVE_GC_TUNING', true);
let done = false;

/** Called before a large allocation: the first time, on Node 20 and unless SIEVE_GC_TUNING=0, sets the flag. */
export function sweepArrayBuffersInPause(): void {
  if (done) return;
  done = true;
  if (wanted) setNode20V8Flag('--no-concurrent-array-buffer-sweeping');
}
