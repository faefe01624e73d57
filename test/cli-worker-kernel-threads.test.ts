/**
 * The CLI's experiment and fit workers run their kernels on their own thread (see serveJob in
 * cli/worker-protocol.ts) unless SIEVE_THREADS is set, and stop any pool threads before posting their
 * result: a worker that owns pool threads can abort Node 20 when it is terminated.
 */
import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { serveJob } from '../cli/worker-protocol.js';
import { setThreadCount, threadCount, wasmBackend } from '../src/tensor/backend/index.js';
import { startedWorkers } from '../src/tensor/backend/wasm/threads/pool.js';

const posted: unknown[] = [];
const port = { postMessage: (m: unknown) => posted.push(m) } as unknown as MessagePort;
const saved = { count: threadCount(), env: process.env.SIEVE_THREADS };

afterEach(() => {
  setThreadCount(saved.count);
  if (saved.env === undefined) delete process.env.SIEVE_THREADS;
  else process.env.SIEVE_THREADS = saved.env;
  posted.length = 0;
});

describe('serveJob and the kernel thread pool', () => {
  it('runs the job with one kernel thread when SIEVE_THREADS is not set', async () => {
    delete process.env.SIEVE_THREADS;
    setThreadCount(3);
    await serveJob(port, async () => threadCount());
    expect(posted).toEqual([{ type: 'result', result: 1 }]);
  });

  it('leaves the count alone when SIEVE_THREADS is set', async () => {
    process.env.SIEVE_THREADS = '3';
    setThreadCount(3);
    await serveJob(port, async () => threadCount());
    expect(posted).toEqual([{ type: 'result', result: 3 }]);
  });

  it('with pool threads, they have stopped before the result (or the error) is posted', async () => {
    process.env.SIEVE_THREADS = '2';
    setThreadCount(2);
    const workersWhenPosted: number[] = [];
    const watching = {
      postMessage: (m: unknown) => {
        workersWhenPosted.push(startedWorkers());
        posted.push(m);
      },
    } as unknown as MessagePort;
    const large = () => wasmBackend.unary('exp', new Float32Array(200_000).fill(0.5));
    await serveJob(watching, async () => {
      large();
      return startedWorkers();
    });
    await serveJob(watching, async () => {
      large();
      throw new Error('failed after a large op');
    });
    expect(posted).toEqual([
      { type: 'result', result: 1 },
      { type: 'error', message: 'failed after a large op' },
    ]);
    expect(workersWhenPosted).toEqual([0, 0]);
  });
});
