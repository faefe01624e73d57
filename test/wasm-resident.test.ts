/**
 * Resident tensor storage (src/tensor/backend/wasm/resident-*.ts): the block allocator, results that
 * are views onto the shared WebAssembly memory and inputs passed by offset, against the JS backend;
 * the cap; blocks coming back when views are garbage-collected; and that Sieve never makes a second
 * view of tensor storage that could outlive the first (which would read a reused block).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { setThreadCount, threadCount } from '../src/index.js';
import { jsBackend } from '../src/tensor/backend/js.js';
import { makeWasmBackend } from '../src/tensor/backend/wasm/backend.js';
import { BlockAllocator, blockBytes, sizeClass } from '../src/tensor/backend/wasm/resident-allocator.js';
import {
  type ResidentArrays,
  residentMemory,
  residentStats,
  setResidentArrays,
  type ResidentSettings,
} from '../src/tensor/backend/wasm/resident-arrays.js';
import type { BinaryOp, UnaryOp } from '../src/tensor/backend/backend.js';
import { broadcastShapes, shapeSize } from '../src/tensor/shape.js';
import { broadcastPairArb } from './helpers/tensor-props.js';

const PROPS = { numRuns: 60, seed: 20261203 } as const;

describe('resident allocator: size classes', () => {
  it('a class holds the request, is a multiple of 16 and wastes less than 1/8 of it (from 128 bytes)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (bytes) => {
        const cls = sizeClass(bytes);
        expect(cls.bytes).toBeGreaterThanOrEqual(bytes);
        expect(cls.bytes % 16).toBe(0);
        if (bytes >= 128) expect(cls.bytes - bytes).toBeLessThan(bytes / 8);
        expect(blockBytes(cls.index)).toBe(cls.bytes);
      }),
      PROPS,
    );
  });

  it('classes grow with the request: a larger request never gets a smaller class', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 0, max: 2 ** 20 }), (a, d) => {
        expect(sizeClass(a + d).index).toBeGreaterThanOrEqual(sizeClass(a).index);
      }),
      PROPS,
    );
  });
});

describe('resident allocator: blocks', () => {
  /** An allocator over a pretend memory of `limit` bytes, recording how far it was asked to grow. */
  function allocator(start: number, limit = Infinity): { blocks: BlockAllocator; reserved: () => number } {
    let end = 0;
    const blocks = new BlockAllocator(start, (e) => {
      if (e > limit) return false;
      end = Math.max(end, e);
      return true;
    });
    return { blocks, reserved: () => end };
  }

  it('live blocks are 16-byte aligned, never overlap and lie in the reserved region (random programs)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('allocate' as const), bytes: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.array(step, { maxLength: 80 }), (start, steps) => {
        const { blocks, reserved } = allocator(start);
        const live: { offset: number; index: number; bytes: number; asked: number }[] = [];
        for (const s of steps) {
          if (s.kind === 'allocate') {
            const b = blocks.allocate(s.bytes)!;
            live.push({ ...b, asked: s.bytes });
          } else if (live.length > 0) {
            const [b] = live.splice(s.pick % live.length, 1);
            blocks.release(b.offset, b.index);
          }
          const sorted = [...live].sort((p, q) => p.offset - q.offset);
          sorted.forEach((b, i) => {
            expect(b.offset % 16).toBe(0);
            expect(b.offset).toBeGreaterThanOrEqual(start);
            expect(b.bytes).toBeGreaterThanOrEqual(b.asked);
            expect(b.offset + b.bytes).toBeLessThanOrEqual(reserved());
            if (i > 0) expect(sorted[i - 1].offset + sorted[i - 1].bytes).toBeLessThanOrEqual(b.offset);
          });
          expect(blocks.usedBytes).toBe(live.reduce((t, b) => t + b.bytes, 0));
        }
      }),
      PROPS,
    );
  });

  it('a released block is the next one handed out for its class; other classes get fresh blocks', () => {
    const { blocks } = allocator(0);
    const a = blocks.allocate(4000)!;
    const b = blocks.allocate(4000)!;
    blocks.release(a.offset, a.index);
    expect(blocks.allocate(3990)!.offset).toBe(a.offset); // same class
    const other = blocks.allocate(9000)!;
    expect(other.offset).toBeGreaterThanOrEqual(b.offset + b.bytes);
    expect(blocks.carvedBytes).toBe(other.offset + other.bytes);
  });

  it('null when the memory cannot grow, or the request is 2 GB or more; nothing is carved then', () => {
    const { blocks } = allocator(0, 10_000);
    expect(blocks.allocate(8000)).not.toBeNull();
    const carved = blocks.carvedBytes;
    expect(blocks.allocate(8000)).toBeNull();
    expect(blocks.allocate(2 ** 31)).toBeNull();
    expect(blocks.allocate(0)).toBeNull();
    expect(blocks.carvedBytes).toBe(carved);
  });
});

/** Every array reaches WebAssembly: all thresholds 0, threads only where a test sets them. */
const wasm = makeWasmBackend({
  transcendental: 0,
  cheap: 0,
  matmulWork: 0,
  threadedMatmulWork: 64,
  threadedTranscendental: 64,
  threadedCheap: 64,
});

let previous: ResidentSettings;
let memory: ResidentArrays;
const initialThreads = threadCount();
beforeAll(() => {
  previous = setResidentArrays({ enabled: true, minFloats: 0 });
  memory = residentMemory()!;
});
afterEach(() => {
  setThreadCount(initialThreads);
  setResidentArrays({ enabled: true, minFloats: 0, limitBytes: previous.limitBytes });
});
afterAll(() => {
  setResidentArrays(previous);
  setThreadCount(1);
});

const isResident = (x: Float32Array): boolean => memory.offsetOf(x) >= 0;

/** A resident copy of x (a view made by the allocator, as a kernel's result is). */
function resident(x: Float32Array): Float32Array {
  if (x.length === 0) return x;
  const view = memory.allocate(x.length)!;
  view.set(x);
  return view;
}

/** Same bits, except that any NaN equals any NaN (WebAssembly does not fix NaN payloads). */
function expectIdentical(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const same = Object.is(actual[i], expected[i]) || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]));
    if (!same) expect.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

const EDGE_VALUES = [0, -0, 1, -1, NaN, Infinity, -Infinity, 2 ** -149, 3.4028234663852886e38, 88.8, -104];

function valuesArb(n: number): fc.Arbitrary<Float32Array> {
  return fc.oneof(
    fc.float32Array({ minLength: n, maxLength: n, min: -4, max: 4, noNaN: true }),
    fc.array(fc.constantFrom(...EDGE_VALUES), { minLength: n, maxLength: n }).map((v) => Float32Array.from(v)),
  );
}

/**
 * The WASM result of `f` on resident and on ordinary copies of the inputs, on 1 and 2 threads: each
 * must be a resident array (when it has elements) and equal, bit for bit, the result from ordinary
 * arrays with resident storage off, which is the path every other WASM test checks against the JS
 * backend.
 */
function expectSameEveryWay(label: string, inputs: Float32Array[], f: (xs: Float32Array[]) => Float32Array): void {
  setResidentArrays({ enabled: false });
  const expected = f(inputs);
  setResidentArrays({ enabled: true });
  for (const threads of [1, 2]) {
    setThreadCount(threads);
    for (const mix of [0, 1, 2]) {
      // 0: every input resident; 1: none; 2: every other one.
      const xs = inputs.map((x, i) => (mix === 0 || (mix === 2 && i % 2 === 0) ? resident(x) : x));
      const got = f(xs);
      const how = `${label}, ${threads} thread(s), inputs ${['resident', 'ordinary', 'mixed'][mix]}`;
      expect(isResident(got) || got.length === 0, `${how}: the result is resident`).toBe(true);
      expectIdentical(got, expected, how);
    }
  }
}

const UNARY: UnaryOp[] = ['exp', 'log', 'log1p', 'expm1', 'tanh', 'sigmoid', 'softplus', 'neg', 'abs', 'sqrt'];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'lt', 'eq'];

describe('resident results equal the copying path (and so the JS backend)', () => {
  it('unary kernels, lengths 0 to 150, edge values (property)', () => {
    const arb = fc.integer({ min: 0, max: 150 }).chain((n) => fc.tuple(fc.constantFrom(...UNARY), valuesArb(n)));
    fc.assert(
      fc.property(arb, ([op, x]) => expectSameEveryWay(`${op} of ${x.length}`, [x], ([y]) => wasm.unary(op, y))),
      PROPS,
    );
  });

  it('unary kernels over more than one 16,384-float chunk, odd length', () => {
    const x = Float32Array.from({ length: 40_003 }, (_, i) => Math.sin(i) * 5);
    for (const op of ['exp', 'neg'] as const) expectSameEveryWay(op, [x], ([y]) => wasm.unary(op, y));
  });

  it('binary kernels, every broadcast, sizes 0 and 1 (property)', () => {
    const arb = broadcastPairArb().chain(([aShape, bShape]) =>
      fc.tuple(
        fc.constantFrom(...BINARY),
        fc.constant(aShape),
        fc.constant(bShape),
        valuesArb(shapeSize(aShape)),
        valuesArb(shapeSize(bShape)),
      ),
    );
    fc.assert(
      fc.property(arb, ([op, aShape, bShape, a, b]) => {
        const out = broadcastShapes('test', aShape, bShape);
        const label = `${op} [${aShape}] with [${bShape}]`;
        expectSameEveryWay(label, [a, b], ([x, y]) => wasm.binary(op, x, aShape, y, bShape, out));
        expectIdentical(
          wasm.binary(op, a, aShape, b, bShape, out),
          jsBackend.binary(op, a, aShape, b, bShape, out),
          label,
        );
      }),
      PROPS,
    );
  });

  it('where, every broadcast of its three operands, NaN and −0 masks (property)', () => {
    const maskArb = (n: number) =>
      fc.array(fc.constantFrom(0, -0, 1, NaN, -2), { minLength: n, maxLength: n }).map((v) => Float32Array.from(v));
    const arb = broadcastPairArb().chain(([aShape, bShape]) => {
      const out = broadcastShapes('test', aShape, bShape);
      return fc.tuple(
        fc.constant(aShape),
        fc.constant(bShape),
        fc.constant(out),
        maskArb(shapeSize(out)),
        valuesArb(shapeSize(aShape)),
        valuesArb(shapeSize(bShape)),
      );
    });
    fc.assert(
      fc.property(arb, ([aShape, bShape, out, c, a, b]) => {
        const label = `where [${out}] [${aShape}] [${bShape}]`;
        expectSameEveryWay(label, [c, a, b], ([m, x, y]) => wasm.where(m, out, x, aShape, y, bShape, out));
        expectIdentical(
          wasm.where(c, out, a, aShape, b, bShape, out),
          jsBackend.where(c, out, a, aShape, b, bShape, out),
          label,
        );
      }),
      PROPS,
    );
  });

  it('binary over rows longer than one chunk and a row broadcast (chunks read resident operands in place)', () => {
    const a = Float32Array.from({ length: 3 * 20_001 }, (_, i) => Math.cos(i));
    const b = Float32Array.from({ length: 20_001 }, (_, i) => Math.sin(i));
    expectSameEveryWay('add [3,20001] [20001]', [a, b], ([x, y]) =>
      wasm.binary('add', x, [3, 20_001], y, [20_001], [3, 20_001]),
    );
  });

  it('reductions, transposes, logsumexp and Bernoulli log-likelihoods of random shapes', () => {
    const arb = fc
      .tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 9 }))
      .chain((shape) => fc.tuple(fc.constant(shape), valuesArb(shapeSize(shape)), valuesArb(shapeSize(shape))));
    fc.assert(
      fc.property(arb, ([shape, x, y]) => {
        const label = `[${shape}]`;
        expectSameEveryWay(`sum ${label}`, [x], ([v]) => wasm.reduce('sum', v, shape, [1]));
        expectSameEveryWay(`max ${label}`, [x], ([v]) => wasm.reduce('max', v, shape, [0, 1]));
        expectSameEveryWay(`transpose ${label}`, [x], ([v]) => wasm.transpose(v, shape, [0, 2, 1]));
        expectSameEveryWay(`logsumexp ${label}`, [x], ([v]) => wasm.logsumexp(v, shape, [1]));
        const bits = x.map((v) => (v > 0 ? 1 : 0));
        expectSameEveryWay(`bernoulli ${label}`, [bits, y], ([v, l]) =>
          wasm.bernoulliLogits(v, shape, l, shape, shape),
        );
      }),
      PROPS,
    );
  });

  it('matrix products: NN, NT, TN, TT, batched, sizes 0 and 1 (property)', () => {
    const arb = fc
      .record({
        batch: fc.integer({ min: 1, max: 3 }),
        m: fc.integer({ min: 0, max: 13 }),
        n: fc.integer({ min: 0, max: 13 }),
        k: fc.integer({ min: 0, max: 13 }),
        tA: fc.boolean(),
        tB: fc.boolean(),
      })
      .chain((d) => fc.tuple(fc.constant(d), valuesArb(d.batch * d.m * d.k), valuesArb(d.batch * d.k * d.n)));
    fc.assert(
      fc.property(arb, ([{ batch, m, n, k, tA, tB }, a, b]) => {
        const aShape = tA ? [batch, k, m] : [batch, m, k];
        const bShape = tB ? [batch, n, k] : [batch, k, n];
        const label = `[${aShape}]${tA ? 'ᵀ' : ''} @ [${bShape}]${tB ? 'ᵀ' : ''}`;
        expectSameEveryWay(label, [a, b], ([x, y]) =>
          wasm.matmulTransposed(x, aShape, tA, y, bShape, tB, [batch, m, n]),
        );
      }),
      PROPS,
    );
  });

  it('Adam steps, lengths 0 to 40 (the gradient flag ignores the lanes past a resident gradient)', () => {
    const hyper = { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3 };
    const arb = fc.integer({ min: 0, max: 40 }).chain((n) => fc.tuple(valuesArb(n), valuesArb(n), valuesArb(n)));
    fc.assert(
      fc.property(arb, ([p, g, m]) => {
        const v = m.map(Math.abs);
        // The spare lanes after a resident gradient hold NaN: they must not mark it non-finite.
        const run = (xs: Float32Array[]): Float32Array => {
          if (isResident(xs[1])) new Float32Array(xs[1].buffer, xs[1].byteOffset + 4 * xs[1].length, 3).fill(NaN);
          const out = wasm.adamUpdate(xs[0], xs[1], xs[2], xs[3], hyper);
          const on = residentStats().resultBytes >= 0 && memory.allocate(1) !== null;
          expect([out.param, out.m, out.v].every(isResident), 'results resident when on').toBe(on && p.length > 0);
          const flag = jsBackend.adamUpdate(xs[0], xs[1], xs[2], xs[3], hyper).gradFinite;
          expect(out.gradFinite, 'the finiteness flag').toBe(flag);
          return Float32Array.from([...out.param, ...out.m, ...out.v]);
        };
        // Compare the parts: param, m and v concatenated (the concatenation itself is ordinary).
        setResidentArrays({ enabled: false });
        const expected = run([p, g, m, v]);
        setResidentArrays({ enabled: true });
        expectIdentical(run([p, g, m, v].map(resident)), expected, 'adam, resident inputs');
        expectIdentical(run([p, g, m, v]), expected, 'adam, ordinary inputs');
      }),
      PROPS,
    );
  });
});

describe('resident storage: the cap, settings and collection', () => {
  it('above the cap results are ordinary arrays, with the same values', () => {
    const x = Float32Array.from({ length: 5000 }, (_, i) => i / 100);
    const kept: Float32Array[] = [];
    const block = sizeClass(4 * x.length + 16).bytes;
    setResidentArrays({ limitBytes: residentStats().resultBytes + 3.5 * block });
    for (let i = 0; i < 4; i++) kept.push(wasm.unary('exp', x));
    expect(kept.map(isResident)).toEqual([true, true, true, false]);
    expectIdentical(kept[3], kept[0], 'exp above the cap');
    setResidentArrays({ enabled: false });
    expect(isResident(wasm.unary('exp', x)), 'off: ordinary').toBe(false);
  });

  it('a resident result keeps its values while it is reachable: later results take other blocks', () => {
    const x = Float32Array.from({ length: 3000 }, (_, i) => i / 100);
    const first = wasm.unary('exp', x);
    const copy = Float32Array.from(first);
    const later = [wasm.unary('neg', x), wasm.binary('add', first, [3000], x, [3000], [3000]), wasm.unary('exp', x)];
    expect([first, ...later].every(isResident)).toBe(true);
    expectIdentical(first, copy, 'first result after later calls');
    const blocks = new Set([first, ...later].map((y) => memory.offsetOf(y)));
    expect(blocks.size, 'four results, four blocks').toBe(4);
  });

  it('results below minFloats are ordinary arrays', () => {
    setResidentArrays({ minFloats: 100 });
    expect(isResident(wasm.unary('exp', new Float32Array(99)))).toBe(false);
    expect(isResident(wasm.unary('exp', new Float32Array(100)))).toBe(true);
  });

  it('setResidentArrays refuses bad values with a SieveError naming the setting', () => {
    expect(() => setResidentArrays({ limitBytes: -1 })).toThrow(/setResidentArrays: limitBytes must be a number ≥ 0/);
    expect(() => setResidentArrays({ minFloats: NaN })).toThrow(/minFloats/);
    expect(() => setResidentArrays({ enabled: 'yes' as unknown as boolean })).toThrow(/enabled must be true or false/);
  });

  it('a collected result gives its block back (once the event loop has turned), and it is reused', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const x = Float32Array.from({ length: 30_000 }, (_, i) => i);
    const offsets = ((): number[] => {
      const ys = [wasm.unary('neg', x), wasm.unary('neg', x)];
      return ys.map((y) => memory.offsetOf(y));
    })();
    expect(offsets.every((o) => o >= 0)).toBe(true);
    const before = residentStats().resultBytes;
    for (let i = 0; i < 5 && residentStats().resultBytes > before - 2 * 120_000; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(residentStats().resultBytes, 'two blocks of 120,016+ bytes came back').toBeLessThanOrEqual(before - 240_032);
    const again = wasm.unary('neg', x);
    expect(offsets, 'the next result of that size takes a freed block').toContain(memory.offsetOf(again));
  });
});

describe('no second view of tensor storage outlives the op that made it', () => {
  /**
   * A `subarray` of tensor storage shares its block but does not keep the view the allocator gave
   * out alive, so it must be consumed at once: copied (`set`, a kernel `write`, decoded). Lines of
   * src/ that take a subarray and do anything else are reported.
   */
  function escapingSubarrays(files: { path: string; text: string }[]): string[] {
    const consumed = /(\.set\(|\.write\(|\.decode\()[^;]*\.subarray\(/;
    const found: string[] = [];
    for (const { path, text } of files) {
      text.split('\n').forEach((line, i) => {
        if (line.includes('.subarray(') && !consumed.test(line) && !line.trim().startsWith('*')) {
          found.push(`${path}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    return found;
  }

  function sources(dir: string): { path: string; text: string }[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === 'assembly' ? [] : sources(path);
      return path.endsWith('.ts') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
    });
  }

  it('every subarray in src/ is copied at once', () => {
    expect(escapingSubarrays(sources('src'))).toEqual([]);
  });

  it('the check catches a subarray that is returned or kept', () => {
    const bad = 'function f(x: Float32Array) {\n  return x.subarray(0, 4);\n}\nconst y = x.subarray(1);\n';
    expect(escapingSubarrays([{ path: 'bad.ts', text: bad }])).toHaveLength(2);
  });
});
