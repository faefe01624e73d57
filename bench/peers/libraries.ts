/**
 * The library configurations of the comparison, each started in its own process (a tfjs thread
 * count is fixed when its backend starts). Sieve's backends come first: the ratios divide by them.
 * Modules load on demand, so a process holds only the library it measures.
 */
import type { Library } from './cases.js';

export const LIBRARIES = {
  'sieve-js': async () => (await import('./sieve.js')).sieveLibrary('js'),
  'sieve-wasm': async () => (await import('./sieve.js')).sieveLibrary('wasm', 1),
  'sieve-wasm-2': async () => (await import('./sieve.js')).sieveLibrary('wasm', 2),
  'tfjs-1': async () => (await import('./tfjs-wasm.js')).tfjsLibrary(1),
  'tfjs-2': async () => (await import('./tfjs-wasm.js')).tfjsLibrary(2),
  'jax-js': async () => (await import('./jax-js.js')).jaxLibrary(),
} satisfies Record<string, () => Promise<Library>>;

export type LibraryId = keyof typeof LIBRARIES;
export const LIBRARY_IDS = Object.keys(LIBRARIES) as LibraryId[];
export const SIEVE_IDS: readonly LibraryId[] = ['sieve-js', 'sieve-wasm', 'sieve-wasm-2'];

/**
 * Threads each configuration computes on. A ratio compares Sieve only with configurations of as many
 * threads or more (Sieve 1T with tfjs 1T, Sieve 2T with tfjs 2T). jax-js's wasm backend has one in
 * Node 20: its worker pool needs the Web Worker API, which Node 20 lacks.
 */
export const THREADS: Record<LibraryId, number> = {
  'sieve-js': 1,
  'sieve-wasm': 1,
  'sieve-wasm-2': 2,
  'tfjs-1': 1,
  'tfjs-2': 2,
  'jax-js': 1,
};
