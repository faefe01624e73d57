/**
 * The WebAssembly backend's worker threads (src/tensor/backend/wasm/threads/): results on 2 and 3
 * threads, and with the workers doing every call, are bit-identical to one thread (the design keeps
 * each output element's float operations the same, docs/wasm-backend.md "Threads"); the thread
 * count is validated; workers start only on a large op and never keep a process alive.
 *
 * The property tests call the parallel kernels with a tiny grain (4 rows or 4 elements per call at
 * least), so that even small arrays are split into many calls at every possible boundary.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { setThreadCount, threadCount, SieveError } from '../src/index.js';
import { makeWasmBackend } from '../src/tensor/backend/wasm/backend.js';
import { BINARY_CODES, UNARY_CODES } from '../src/tensor/backend/wasm/codes.js';
import { planBinary } from '../src/tensor/backend/wasm/plans.js';
import {
  parallelBinary,
  parallelMatmul,
  parallelUnary,
  type Grain,
} from '../src/tensor/backend/wasm/threads/parallel-kernels.js';
import { startedWorkers, stopWorkerThreads, workerPool, WorkerPool } from '../src/tensor/backend/wasm/threads/pool.js';
import { loadSharedKernelsSync } from '../src/tensor/backend/wasm/kernels.js';
import {
  CALL_WORDS,
  CALLER_SLEEPING,
  CLAIM,
  DONE,
  FAILED,
  FINISHED,
  FIRST_CALL,
  SCRATCH_BASE,
  SCRATCH_STRIDE,
  claimCall,
  finishCall,
  runCall,
} from '../src/tensor/backend/wasm/threads/protocol.js';
import type { BinaryOp, UnaryOp } from '../src/tensor/backend/backend.js';
import { broadcastShapes, shapeSize } from '../src/tensor/shape.js';
import { broadcastPairArb } from './helpers/tensor-props.js';
import { launchChromium } from './browser/harness.js';

const PROPS = { numRuns: 60, seed: 20261203 } as const;
const TINY: Grain = { rows: 1, elements: 4, columns: 1 };
/** Every array reaches WebAssembly, always on one thread. */
const oneThread = makeWasmBackend({
  transcendental: 0,
  cheap: 0,
  matmulWork: 0,
  threadedMatmulWork: Infinity,
  threadedTranscendental: Infinity,
  threadedCheap: Infinity,
});

const initialThreads = threadCount();
afterEach(() => {
  setThreadCount(initialThreads);
});
afterAll(() => {
  setThreadCount(1); // stops the workers
});

/** The ways of running a job that must all give the one-thread result. */
const SETUPS = [
  { threads: 2, callerTakesPart: true },
  { threads: 3, callerTakesPart: true },
  { threads: 2, callerTakesPart: false },
  { threads: 3, callerTakesPart: false },
] as const;

/** Run `body` once per setup, with the pool set up for it (one setup after the other: no restarts inside). */
function forEverySetup(body: (pool: WorkerPool, setup: string) => void): void {
  for (const { threads, callerTakesPart } of SETUPS) {
    const pool = workerPool(threads)!;
    expect(pool, 'shared memory and worker_threads are available in Node').not.toBeNull();
    pool.callerTakesPart = callerTakesPart;
    try {
      body(pool, `${threads} threads${callerTakesPart ? '' : ', workers only'}`);
    } finally {
      pool.callerTakesPart = true;
    }
  }
}

/** The pool's result must exist (the job fits) and equal the one-thread result bit for bit. */
function expectSame(got: Float32Array | null, expected: Float32Array, label: string): void {
  expect(got, `${label}: the job fits the pool`).not.toBeNull();
  expectIdentical(got!, expected, label);
}

/** One thread's result: the single-threaded path of the backend. */
function onOneThread<T>(f: () => T): T {
  const previous = setThreadCount(1);
  try {
    return f();
  } finally {
    setThreadCount(previous);
  }
}

/** Same bits, except that any NaN equals any NaN (WebAssembly does not fix NaN payloads). */
function expectIdentical(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const same = Object.is(actual[i], expected[i]) || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]));
    if (!same) expect.fail(`${label}: element ${i} is ${actual[i]}, one thread gives ${expected[i]}`);
  }
}

const EDGE_VALUES = [0, -0, 1, -1, NaN, Infinity, -Infinity, 2 ** -149, 3.4028234663852886e38, 88.8, -104];

function valuesArb(n: number): fc.Arbitrary<Float32Array> {
  return fc.oneof(
    fc.float32Array({ minLength: n, maxLength: n, min: -4, max: 4, noNaN: true }),
    fc.array(fc.constantFrom(...EDGE_VALUES), { minLength: n, maxLength: n }).map((v) => Float32Array.from(v)),
  );
}

/** Deterministic values of magnitude about 1 with mixed signs, so that products cancel and round. */
function wavy(n: number, phase: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + phase) * (1 + (i % 5)));
}

describe('wasm threads: matmul on 2 and 3 threads equals one thread bit for bit', () => {
  function check(
    pool: WorkerPool,
    aShape: number[],
    transposeA: boolean,
    a: Float32Array,
    bShape: number[],
    transposeB: boolean,
    b: Float32Array,
    outShape: number[],
    grain: Grain,
    setup: string,
  ): void {
    const label = `[${aShape}]${transposeA ? 'ᵀ' : ''} @ [${bShape}]${transposeB ? 'ᵀ' : ''}, ${setup}`;
    const expected = oneThread.matmulTransposed(a, aShape, transposeA, b, bShape, transposeB, outShape);
    expectSame(parallelMatmul(pool, a, aShape, transposeA, b, bShape, transposeB, outShape, grain), expected, label);
  }

  const matmulCase = fc
    .record({
      batch: broadcastPairArb({ maxRank: 2, maxDim: 3 }),
      m: fc.integer({ min: 0, max: 37 }),
      n: fc.integer({ min: 0, max: 21 }),
      k: fc.integer({ min: 0, max: 13 }),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
    })
    .chain((c) => {
      const [ba, bb] = c.batch;
      const aShape = [...ba, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
      const bShape = [...bb, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
      return fc.record({
        c: fc.constant(c),
        aShape: fc.constant(aShape),
        bShape: fc.constant(bShape),
        a: valuesArb(shapeSize(aShape)),
        b: valuesArb(shapeSize(bShape)),
      });
    });

  it('NN, NT, TN, TT, batched and broadcast, sizes 0 and 1, edge values (property)', () => {
    forEverySetup((pool, setup) =>
      fc.assert(
        fc.property(matmulCase, ({ c, aShape, bShape, a, b }) => {
          const outShape = [...broadcastShapes('test', c.batch[0], c.batch[1]), c.m, c.n];
          check(pool, aShape, c.transposeA, a, bShape, c.transposeB, b, outShape, TINY, setup);
        }),
        PROPS,
      ),
    );
  });

  /** m×k · k×n in all four transpose cases, on every setup, once per grain. */
  function everyTransposeCase(m: number, n: number, k: number, phase: number, grains: Grain[]): void {
    const a = wavy(m * k, phase),
      b = wavy(k * n, phase + 1);
    forEverySetup((pool, setup) => {
      for (const [ta, tb] of [
        [false, false],
        [false, true],
        [true, false],
        [true, true],
      ]) {
        const aShape = ta ? [k, m] : [m, k];
        const bShape = tb ? [n, k] : [k, n];
        for (const grain of grains) check(pool, aShape, ta, a, bShape, tb, b, [m, n], grain, setup);
      }
    });
  }

  it('products over several blocks of the kernel (k > 256, m > 128), split at rows that are not block edges', () => {
    everyTransposeCase(203, 45, 517, 0, [
      { rows: 4, elements: 4 },
      { rows: 36, elements: 4 },
    ]);
  });

  it('short, wide products split by columns of C (k > 256), blocks that are not tile edges', () => {
    everyTransposeCase(37, 203, 517, 4, [
      { rows: 4, elements: 4, columns: 1 },
      { rows: 4, elements: 4, columns: 40 },
    ]);
  });

  it('through the backend with its default thresholds and grain: MLP-sized and batched products', () => {
    const threaded = makeWasmBackend({ transcendental: 64, cheap: 512, matmulWork: 512 });
    const cases: [number[], number[], number[]][] = [
      [
        [100, 784],
        [784, 200],
        [100, 200],
      ],
      [
        [4, 96, 70],
        [4, 70, 130],
        [4, 96, 130],
      ],
      [
        [3, 1, 64, 80],
        [2, 80, 72],
        [3, 2, 64, 72],
      ],
    ];
    for (const [aShape, bShape, outShape] of cases) {
      const a = wavy(shapeSize(aShape), 2),
        b = wavy(shapeSize(bShape), 3);
      const expected = onOneThread(() => threaded.matmul(a, aShape, b, bShape, outShape));
      for (const threads of [2, 3]) {
        setThreadCount(threads);
        expectIdentical(threaded.matmul(a, aShape, b, bShape, outShape), expected, `[${aShape}] @ [${bShape}]`);
      }
    }
  });
});

describe('wasm threads: elementwise ops on 2 and 3 threads equal one thread bit for bit', () => {
  const unaryOps = Object.keys(UNARY_CODES) as UnaryOp[];
  const binaryOps = Object.keys(BINARY_CODES) as BinaryOp[];

  it('every unary kernel, lengths 0 to 150, edge values (property)', () => {
    const arb = fc.record({ op: fc.constantFrom(...unaryOps), x: fc.integer({ min: 0, max: 150 }).chain(valuesArb) });
    forEverySetup((pool, setup) =>
      fc.assert(
        fc.property(arb, ({ op, x }) => {
          const label = `${op} of ${x.length}, ${setup}`;
          expectSame(parallelUnary(pool, UNARY_CODES[op]!, x, TINY), oneThread.unary(op, x), label);
        }),
        PROPS,
      ),
    );
  });

  it('every binary kernel, every broadcast the kernels take, edge values (property)', () => {
    const arb = fc
      .record({
        op: fc.constantFrom(...binaryOps),
        shapes: broadcastPairArb({ maxRank: 3, maxDim: 9 }),
      })
      .chain(({ op, shapes: [aShape, bShape] }) =>
        fc.record({
          op: fc.constant(op),
          aShape: fc.constant(aShape),
          bShape: fc.constant(bShape),
          a: valuesArb(shapeSize(aShape)),
          b: valuesArb(shapeSize(bShape)),
        }),
      );
    forEverySetup((pool, setup) =>
      fc.assert(
        fc.property(arb, ({ op, aShape, bShape, a, b }) => {
          const outShape = broadcastShapes('test', aShape, bShape);
          const plan = planBinary(aShape, bShape, outShape);
          if (plan === null) return; // a broadcast the kernels do not take stays in JS
          expectSame(
            parallelBinary(pool, BINARY_CODES[op]!, a, b, plan, TINY),
            oneThread.binary(op, a, aShape, b, bShape, outShape),
            `${op} [${aShape}] with [${bShape}], ${setup}`,
          );
        }),
        PROPS,
      ),
    );
  });

  it('long rows split into pieces, rows not a multiple of 4 long, row and column broadcasts', () => {
    const cases = [
      [[3, 1001], [1001]],
      [[1001], [5, 1001]],
      [
        [7, 39],
        [7, 1],
      ],
      [
        [7, 1],
        [1, 39],
      ],
      [
        [2, 3, 9],
        [2, 3, 1],
      ],
    ];
    forEverySetup((pool, setup) => {
      for (const [aShape, bShape] of cases) {
        const outShape = broadcastShapes('test', aShape, bShape);
        const plan = planBinary(aShape, bShape, outShape)!;
        const a = wavy(shapeSize(aShape), 4),
          b = wavy(shapeSize(bShape), 5);
        for (const op of ['sub', 'div', 'maximum'] as BinaryOp[]) {
          const expected = oneThread.binary(op, a, aShape, b, bShape, outShape);
          for (const elements of [4, 64, 100]) {
            expectSame(
              parallelBinary(pool, BINARY_CODES[op]!, a, b, plan, { rows: 1, elements }),
              expected,
              `${op} [${aShape}] with [${bShape}], grain ${elements}, ${setup}`,
            );
          }
        }
      }
    });
  });

  it('through the backend with its default thresholds: exp, tanh and add over 100,003 elements', () => {
    const threaded = makeWasmBackend({ transcendental: 64, cheap: 512, matmulWork: 512, threadedCheap: 65_536 });
    const x = wavy(100_003, 6),
      y = wavy(100_003, 7);
    const expected = onOneThread(() => [
      threaded.unary('exp', x),
      threaded.unary('tanh', x),
      threaded.binary('add', x, [x.length], y, [y.length], [x.length]),
    ]);
    for (const threads of [2, 3]) {
      setThreadCount(threads);
      expectIdentical(threaded.unary('exp', x), expected[0], 'exp');
      expectIdentical(threaded.unary('tanh', x), expected[1], 'tanh');
      expectIdentical(threaded.binary('add', x, [x.length], y, [y.length], [x.length]), expected[2], 'add');
    }
  });
});

describe('wasm threads: the job protocol', () => {
  it("the workers' copies of the control block's indices are the constants of protocol.ts", () => {
    // claimCall, runCall and finishCall are the workers' source (Function.prototype.toString), so they
    // spell the indices as numbers; these are the numbers they must spell.
    const finish = finishCall.toString();
    expect(finish).toContain(`Atomics.store(control, ${FINISHED} + i, 1)`);
    expect(finish).toContain(`Atomics.store(control, ${FAILED}, 1)`);
    expect(finish).toContain(`Atomics.add(control, ${DONE}, 1)`);
    expect(finish).toContain(`Atomics.load(control, ${CALLER_SLEEPING})`);
    expect(finish).toContain(`params[${SCRATCH_BASE}] + thread * params[${SCRATCH_STRIDE}]`);
    expect(runCall.toString()).toContain(`${FIRST_CALL} + ${CALL_WORDS} * i`);
    expect(claimCall.toString()).toContain(`Atomics.load(control, ${CLAIM})`);
  });

  it('run(whenDone) calls whenDone once for every call, after that call is done, whoever ran it', () => {
    const kern = loadSharedKernelsSync()!.kernels;
    forEverySetup((pool, setup) => {
      const pieces = 40;
      const per = 256;
      const x = Float32Array.from({ length: pieces * per }, (_, i) => (i % 97) / 10 - 4);
      const [at] = kern.layout([x.length])!;
      kern.write(at, x);
      pool.begin();
      for (let i = 0; i < pieces; i++) pool.unary(UNARY_CODES.exp!, at + 4 * i * per, at + 4 * i * per, per);
      const seen: number[] = [];
      const out = new Float32Array(x.length);
      pool.run((i) => {
        seen.push(i);
        kern.readInto(out, i * per, at + 4 * i * per, per);
      });
      expect(
        [...seen].sort((a, b) => a - b),
        setup,
      ).toEqual([...Array(pieces).keys()]);
      const expected = oneThread.unary('exp', x);
      expect(
        Buffer.from(out.buffer).equals(Buffer.from(expected.buffer)),
        `${setup}: every piece was done when copied`,
      ).toBe(true);
    });
  });
});

describe('wasm threads: the thread count', () => {
  it('setThreadCount takes integers from 1 to 256 and returns the previous count', () => {
    const previous = setThreadCount(3);
    expect(threadCount()).toBe(3);
    expect(setThreadCount(1)).toBe(3);
    expect(threadCount()).toBe(1);
    expect(setThreadCount(256)).toBe(1);
    setThreadCount(previous);
  });

  const refused = [0, -1, 1.5, NaN, Infinity, 257, '2', undefined];
  it.each(refused)('setThreadCount(%s) is a SieveError naming the value', (bad) => {
    const before = threadCount();
    let error: unknown;
    try {
      setThreadCount(bad as number);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SieveError);
    expect((error as Error).message).toMatch(/^setThreadCount: expected an integer from 1 to 256/);
    expect((error as Error).message).toContain(String(bad));
    expect(threadCount(), 'a refused count changes nothing').toBe(before);
  });

  it('workers start on the first large op at the current count and stop when the count goes down', () => {
    const backend = makeWasmBackend({ transcendental: 64, cheap: 512, matmulWork: 512 });
    const x = wavy(70_000, 8);
    setThreadCount(3);
    backend.unary('exp', x);
    expect(startedWorkers()).toBe(2);
    setThreadCount(2);
    expect(startedWorkers()).toBe(1);
    setThreadCount(1);
    expect(startedWorkers()).toBe(0);
    setThreadCount(2);
    expect(startedWorkers(), 'not before the next large op').toBe(0);
    backend.unary('exp', x);
    expect(startedWorkers()).toBe(1);
  });

  it('stopWorkerThreads ends every worker, resolves only once their threads have ended, keeps the count', async () => {
    const backend = makeWasmBackend({ transcendental: 64, cheap: 512, matmulWork: 512 });
    const x = wavy(70_000, 8);
    setThreadCount(3);
    const before = backend.unary('exp', x);
    expect(startedWorkers()).toBe(2);
    await stopWorkerThreads();
    expect(startedWorkers()).toBe(0);
    expect(threadCount()).toBe(3);
    expect(backend.unary('exp', x), 'the next large op starts them again, same result').toEqual(before);
    expect(startedWorkers()).toBe(2);

    // What it waits for: the promises terminate() returned (Node's settle when the thread has ended).
    const ends: Array<() => void> = [];
    const fakeStart = () => ({ terminate: () => new Promise<void>((resolve) => ends.push(resolve)) });
    const pool = new WorkerPool(loadSharedKernelsSync()!, fakeStart);
    pool.resize(3);
    pool.resize(1);
    let settled = false;
    const stopped = pool.stopped().then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled, 'still waiting for both threads').toBe(false);
    ends[0]();
    await new Promise((r) => setTimeout(r, 10));
    expect(settled, 'still waiting for one thread').toBe(false);
    ends[1]();
    await stopped;
    expect(settled).toBe(true);
  });

  it('SIEVE_THREADS sets the initial count, and a bad value is a SieveError at load', async () => {
    const path = '../src/tensor/backend/wasm/threads/thread-count.js';
    try {
      vi.stubEnv('SIEVE_THREADS', '3');
      vi.resetModules();
      expect((await import(path)).threadCount()).toBe(3);
      for (const bad of ['0', 'two', '2.5', '300']) {
        vi.stubEnv('SIEVE_THREADS', bad);
        vi.resetModules();
        await expect(import(path)).rejects.toThrow(
          `SIEVE_THREADS: expected an integer from 1 to 256 (1 turns the ` + `worker threads off), got '${bad}'`,
        );
      }
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

describe('wasm threads: worker lifetime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sieve-threads-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('workers start only on the first large op, and a process that used them exits by itself', async () => {
    const src = fileURLToPath(new URL('../src/tensor/backend/wasm/', import.meta.url));
    const script = join(dir, 'child.mjs');
    const bundle = await build({
      stdin: {
        contents: `
          import { wasmBackend } from './backend.ts';
          import { startedWorkers } from './threads/pool.ts';
          const ones = (n) => new Float32Array(n).fill(1);
          wasmBackend.matmul(ones(16 * 16), [16, 16], ones(16 * 16), [16, 16], [16, 16]);
          wasmBackend.unary('exp', ones(1000));
          console.log('after small ops', startedWorkers());
          const c = wasmBackend.matmul(ones(128 * 128), [128, 128], ones(128 * 128), [128, 128], [128, 128]);
          console.log('after a large op', startedWorkers(), c[0], c[c.length - 1]);
        `,
        resolveDir: src,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    writeFileSync(script, bundle.outputFiles[0].text);
    // The time-out only guards against a hang: a worker that kept the process alive would stop it there.
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, SIEVE_THREADS: '3' },
      timeout: 120_000,
    });
    expect(stdout.trim().split('\n')).toEqual(['after small ops 0', 'after a large op 2 128 128']);
  }, 180_000);
});

/**
 * In Chromium the pool runs Web Workers from a blob: URL, and this thread spins instead of blocking
 * (Atomics.wait is refused on a page's main thread). Shared memory needs cross-origin isolation: the
 * page is served with COOP/COEP headers from localhost (a trustworthy origin); without them Sieve
 * stays on one thread. Without /usr/bin/chromium this test fails (it does not skip).
 */
describe('wasm threads: in headless Chromium', () => {
  const PAGE_SCRIPT = `
    import { initWasmBackend } from './index.ts';
    import { makeWasmBackend } from './wasm/backend.ts';
    import { setThreadCount } from './wasm/threads/thread-count.ts';
    import { startedWorkers, workerPool } from './wasm/threads/pool.ts';
    globalThis.runThreads = async () => {
      const loaded = await initWasmBackend();
      const backend = makeWasmBackend({
        transcendental: 0, cheap: 0, matmulWork: 0, threadedMatmulWork: 0, threadedTranscendental: 0, threadedCheap: 0,
      });
      const a = Float32Array.from({ length: 96 * 70 }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5)));
      const product = () => backend.matmul(a, [96, 70], a, [70, 96], [96, 96]);
      const tanh = () => backend.unary('tanh', a);
      setThreadCount(1);
      const one = [product(), tanh()];
      setThreadCount(3);
      const first = [product(), tanh()]; // starts the workers; this thread may do every call
      await new Promise((resolve) => setTimeout(resolve, 1000)); // lets them load
      const pool = workerPool(3);
      if (pool !== null) pool.callerTakesPart = false;
      const byWorkers = [product(), tanh()];
      if (pool !== null) pool.callerTakesPart = true;
      const same = (x, y) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
      const identical = [0, 1].flatMap((i) => [same(one[i], first[i]), same(one[i], byWorkers[i])]);
      return { loaded, isolated: globalThis.crossOriginIsolated, workers: startedWorkers(), identical };
    };`;

  it('cross-origin isolated: workers from a blob: URL give the one-thread bits; otherwise one thread', async () => {
    const bundle = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: fileURLToPath(new URL('../src/tensor/backend/', import.meta.url)) },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const browser = await launchChromium();
    try {
      const results = [];
      for (const isolated of [true, false]) {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const headers: Record<string, string> = isolated
          ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
          : {};
        await page.route('http://localhost:9/', (route) =>
          route.fulfill({ status: 200, contentType: 'text/html', headers, body: '<!doctype html><body></body>' }),
        );
        await page.goto('http://localhost:9/');
        await page.addScriptTag({ content: bundle.outputFiles[0].text });
        const run = (): Promise<unknown> => (globalThis as unknown as { runThreads(): Promise<unknown> }).runThreads();
        results.push(await page.evaluate(run));
        expect(errors).toEqual([]);
        await page.close();
      }
      expect(results).toEqual([
        { loaded: true, isolated: true, workers: 2, identical: [true, true, true, true] },
        { loaded: true, isolated: false, workers: 0, identical: [true, true, true, true] },
      ]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
