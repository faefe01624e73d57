/**
 * What tfjs-backend-wasm's threads need from Node 20, which its Node bundle does not provide:
 *
 * 1. Its pthread workers start from a `blob:` URL, which `worker_threads` cannot load. The worker
 *    script is the package's `wasm-out/…threaded-simd.worker.js` export `wasmWorkerContents`; we
 *    start it with `eval: true` (newlines escaped, as tfjs does before making the blob).
 * 2. The main script is posted to each worker as a Blob, which the worker would read from disk by
 *    name; we post the path of the same script in `wasm-out/` instead.
 * 3. Emscripten assigns `global.Worker = worker_threads.Worker` while it starts; the shim is
 *    installed as a getter whose setter ignores that, so the shim stays in place.
 * 4. The pool size is os.cpus().length / 2 (clamped to 1…4), fixed at start: 1 on a 2-vCPU machine,
 *    whatever setThreadsCount says. `claimCpus` makes os.cpus() report enough CPUs for n threads.
 *    It only changes what this process believes; the kernel schedules the threads as usual.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const wasmOut = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');

export function installWorkerShim(): void {
  const workerScript = (
    require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
      wasmWorkerContents: string;
    }
  ).wasmWorkerContents.replace(/\n/g, '\\n');
  const mainScript = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');

  class BlobUrlWorker extends NodeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const fromBlob = String(url).startsWith('blob:');
      super(fromBlob ? workerScript : url, fromBlob ? { ...options, eval: true } : options);
    }

    override postMessage(...[message, transfer]: Parameters<NodeWorker['postMessage']>): void {
      const m = message as { urlOrBlob?: unknown } | null;
      const fromBlob = m !== null && typeof m === 'object' && m.urlOrBlob instanceof Blob;
      super.postMessage(fromBlob ? { ...m, urlOrBlob: mainScript } : message, transfer);
    }
  }
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => BlobUrlWorker, set: () => {} });
}

/** Make os.cpus() list 2·threads entries, so tfjs's pool (cpus / 2) has `threads` threads. */
export function claimCpus(threads: number): void {
  const real = os.cpus.bind(os);
  os.cpus = () => {
    const cpus = real();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
}
