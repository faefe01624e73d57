/**
 * How many threads the WebAssembly backend uses for large matrix products and elementwise ops: this
 * thread plus `threadCount() − 1` workers. 1 turns the pool off.
 *
 * Default: SIEVE_THREADS from the environment if set, else every core (os.availableParallelism() in
 * Node, navigator.hardwareConcurrency in a cross-origin isolated page). A page that is not
 * cross-origin isolated has no shared memory, so there the kernels run on one thread whatever is set.
 */
import { fail } from '../../../../errors.js';
import { environmentVariable, nodeBuiltinModule } from '../../environment.js';
import { shrinkPool } from './pool.js';

/** More threads than this is a mistake, not a machine. */
export const MAX_THREADS = 256;

function checked(op: string, n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    fail(op, `expected an integer from 1 to ${MAX_THREADS} (1 turns the worker threads off), got ${what}`);
  }
  return n;
}

function availableCores(): number {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; crossOriginIsolated?: boolean };
  const os = nodeBuiltinModule<{ availableParallelism: () => number }>('node:os');
  if (os?.availableParallelism !== undefined) return os.availableParallelism();
  if (g.crossOriginIsolated === true) return g.navigator?.hardwareConcurrency ?? 1;
  return 1;
}

function initialCount(): number {
  const text = environmentVariable('SIEVE_THREADS');
  if (text === undefined) return Math.min(MAX_THREADS, Math.max(1, availableCores()));
  return checked('SIEVE_THREADS', /^\d+$/.test(text.trim()) ? Number(text) : NaN, `'${text}'`);
}

let count = initialCount();

/** The number of threads large kernels use (this thread included); 1 means no worker threads. */
export function threadCount(): number {
  return count;
}

/**
 * Use `n` threads (this one and n − 1 workers) for large matrix products and elementwise ops; 1
 * turns the pool off. Results do not depend on n (docs/wasm-backend.md, "Threads"). Workers start
 * on the first large op; extra ones stop here when n goes down. Returns the previous count.
 */
export function setThreadCount(n: number): number {
  const what = typeof n === 'number' ? String(n) : `${typeof n} ${String(n)}`;
  checked('setThreadCount', n, what);
  const previous = count;
  count = n;
  shrinkPool(n);
  return previous;
}
