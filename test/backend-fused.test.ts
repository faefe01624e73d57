/**
 * The fused kernels and the chunked binary path of the WebAssembly backend, against the JS reference
 * backend (thresholds at zero, so every size reaches WebAssembly), and the ops built on them:
 *
 * - binary ops over arrays larger than one chunk, in every broadcast the kernels take: bit for bit;
 * - adamUpdate: bit for bit between the backends, and equal to the separate ops it replaces (same
 *   float32 roundings), edge values included; the `adam` optimizer's numbers unchanged;
 * - bernoulliLogits: within the error bound of its float32 steps, NaN/±Inf as documented, and
 *   accurate where the composite x·l − softplus(l) cancels;
 * - bernoulliLogLik: gradients against float64 finite differences and the adjoint identity, second
 *   derivatives through its fused gradient op;
 * - bernoulliLogitsGrad: bit for bit the sigmoid, sub and mul it replaces, on each backend.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adam, checkGrads, jsBackend, scalar, setBackend, Tensor } from '../src/index.js';
import { bernoulliLogLik } from '../src/tensor/ops/bernoulli-logits.js';
import { makeWasmBackend } from '../src/tensor/backend/wasm/backend.js';
import type { AdamHyper, BinaryOp } from '../src/tensor/backend/backend.js';
import { broadcastShapes, shapeSize } from '../src/tensor/shape.js';
import {
  broadcastPairArb as gradPairArb,
  elementwiseMagnitude,
  opSuite,
  Rng,
  seedArb,
  values,
  type OpCase,
} from './helpers/gradtest.js';
import { broadcastPairArb, shapeArb } from './helpers/tensor-props.js';
import * as R from './helpers/reference64.js';
import type { A64 } from './helpers/reference64.js';

const wasm = makeWasmBackend({ transcendental: 0, cheap: 0, matmulWork: 0 });
const PROPS = { numRuns: 120, seed: 20261204 } as const;
const U = 2 ** -24;

const EDGE_VALUES = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 2 ** -149, -(2 ** -130), 3.4028234663852886e38];

function specialValuesArb(n: number): fc.Arbitrary<Float32Array> {
  return fc.oneof(
    fc.float32Array({ minLength: n, maxLength: n }),
    fc.array(fc.constantFrom(...EDGE_VALUES), { minLength: n, maxLength: n }).map((v) => Float32Array.from(v)),
  );
}

const sameFloat = (x: number, y: number): boolean => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));

function expectIdentical(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!sameFloat(actual[i], expected[i])) {
      expect.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** Values with every edge value among smooth ones, deterministic. */
const mixed = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) =>
    i % 13 === 0 ? EDGE_VALUES[(i + seed) % EDGE_VALUES.length] : Math.sin(i * seed) * 30,
  );

describe('binary ops in chunks (arrays larger than one 16,384-float chunk)', () => {
  // [a shape, b shape]: same shape, scalar, rows longer than a chunk with a row and a column vector,
  // many short rows (several rows per chunk) with a row and a column vector.
  const cases: [number[], number[]][] = [
    [[40_003], [40_003]],
    [[40_003], []],
    [[3, 20_001], [20_001]],
    [
      [3, 20_001],
      [3, 1],
    ],
    [[1], [3, 20_001]],
    [[5_003, 7], [7]],
    [
      [5_003, 7],
      [5_003, 1],
    ],
    [
      [2, 16_385],
      [2, 16_385],
    ],
    [
      [16_385, 3],
      [1, 3],
    ],
  ];
  const ops: BinaryOp[] = ['add', 'mul', 'div', 'maximum', 'lt'];
  it.each(cases)('[%s] with [%s] matches the JS backend exactly', (aShape, bShape) => {
    const out = broadcastShapes('test', aShape, bShape);
    const a = mixed(shapeSize(aShape), 3);
    const b = mixed(shapeSize(bShape), 5);
    for (const op of ops) {
      expectIdentical(
        wasm.binary(op, a, aShape, b, bShape, out),
        jsBackend.binary(op, a, aShape, b, bShape, out),
        `${op} [${aShape}] with [${bShape}]`,
      );
      expectIdentical(
        wasm.binary(op, b, bShape, a, aShape, out),
        jsBackend.binary(op, b, bShape, a, aShape, out),
        `${op} [${bShape}] with [${aShape}]`,
      );
    }
  });
});

describe('adamUpdate', () => {
  const hyperArb: fc.Arbitrary<AdamHyper> = fc.record({
    b1: fc.double({ min: 0, max: 0.999, noNaN: true }),
    b2: fc.double({ min: 0, max: 0.9999, noNaN: true }),
    eps: fc.double({ min: 1e-10, max: 1e-2, noNaN: true }),
    stepSize: fc.double({ min: 1e-5, max: 1, noNaN: true }),
  });
  /** m and v as an optimizer holds them: v ≥ 0 (√v of a negative v would be NaN in both, but untested). */
  const caseArb = fc.integer({ min: 0, max: 70 }).chain((n) =>
    fc.record({
      p: specialValuesArb(n),
      g: specialValuesArb(n),
      m: specialValuesArb(n),
      v: specialValuesArb(n).map((v) => v.map(Math.abs)),
      hyper: hyperArb,
    }),
  );

  /** The separate ops of the unfused optimizer, on the JS backend. */
  function composite(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper) {
    const previous = setBackend(jsBackend);
    try {
      const t = (d: Float32Array): Tensor => Tensor.fromData(d, [d.length]);
      const [pt, gt, mt, vt] = [t(p), t(g), t(m), t(v)];
      const m2 = mt.mul(h.b1).add(gt.mul(1 - h.b1));
      const v2 = vt.mul(h.b2).add(gt.mul(gt).mul(1 - h.b2));
      const p2 = pt.sub(m2.mul(scalar(h.stepSize)).div(v2.sqrt().add(h.eps)));
      return { param: p2.dataSync(), m: m2.dataSync(), v: v2.dataSync() };
    } finally {
      setBackend(previous);
    }
  }

  it('the JS kernel equals the separate ops bit for bit, edge values included (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ p, g, m, v, hyper }) => {
        const fused = jsBackend.adamUpdate(p, g, m, v, hyper);
        const ops = composite(p, g, m, v, hyper);
        for (const k of ['param', 'm', 'v'] as const) expectIdentical(fused[k], ops[k], k);
      }),
      PROPS,
    );
  });

  it('the WebAssembly kernel equals the JS one bit for bit, edge values included (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ p, g, m, v, hyper }) => {
        const a = wasm.adamUpdate(p, g, m, v, hyper);
        const b = jsBackend.adamUpdate(p, g, m, v, hyper);
        for (const k of ['param', 'm', 'v'] as const) expectIdentical(a[k], b[k], `${k} (n = ${p.length})`);
        expect(b.gradFinite).toBe(g.every(Number.isFinite));
        expect(a.gradFinite).toBe(b.gradFinite);
      }),
      PROPS,
    );
  });

  it('flags a non-finite gradient from the data alone, not from stale padding lanes', () => {
    const hyper = { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3 };
    const nan = new Float32Array(8).fill(NaN);
    expect(wasm.adamUpdate(nan, nan, nan, nan, hyper).gradFinite).toBe(false);
    // Five floats: the kernel's last vector also reads three lanes past them, which held NaN just now.
    const ones = new Float32Array(5).fill(1);
    expect(wasm.adamUpdate(ones, ones, ones, ones, hyper).gradFinite).toBe(true);
    const inf = Float32Array.of(1, 1, 1, 1, Infinity);
    expect(wasm.adamUpdate(ones, inf, ones, ones, hyper).gradFinite).toBe(false);
  });

  it('long arrays (several 8,192-float chunks and a ragged one) match the JS kernel exactly', () => {
    const n = 20_003;
    const [p, g, m] = [mixed(n, 1), mixed(n, 2), mixed(n, 3)];
    const v = mixed(n, 4).map(Math.abs);
    const hyper = { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3 };
    const a = wasm.adamUpdate(p, g, m, v, hyper);
    const b = jsBackend.adamUpdate(p, g, m, v, hyper);
    for (const k of ['param', 'm', 'v'] as const) expectIdentical(a[k], b[k], k);
  });

  it('the adam optimizer gives the numbers of the separate ops over several steps, on both backends', () => {
    const rng = new Rng(5);
    const draw = (shape: number[]): Tensor =>
      Tensor.fromData(
        Float32Array.from({ length: shapeSize(shape) }, () => rng.uniform(-2, 2)),
        shape,
      );
    const params = { w: draw([3, 70]), b: draw([70]), s: draw([]) };
    for (const backend of [jsBackend, makeWasmBackend({ transcendental: 0, cheap: 0, matmulWork: 0 })]) {
      const previous = setBackend(backend);
      try {
        const opt = adam({ lr: 0.01 });
        let [p, state] = [params as Record<string, Tensor>, opt.init(params)];
        const ref = {
          p: { ...params } as Record<string, Tensor>,
          m: {} as Record<string, Float32Array>,
          v: {} as Record<string, Float32Array>,
        };
        for (const k of Object.keys(params)) {
          ref.m[k] = new Float32Array(params[k as 'w'].size);
          ref.v[k] = new Float32Array(params[k as 'w'].size);
        }
        for (let t = 1; t <= 3; t++) {
          const grads = { w: draw([3, 70]), b: draw([70]), s: draw([]) } as Record<string, Tensor>;
          [p, state] = opt.step(p, grads, state);
          const stepSize = (0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
          for (const k of Object.keys(params)) {
            const c = composite(ref.p[k].dataSync(), grads[k].dataSync(), ref.m[k], ref.v[k], {
              b1: 0.9,
              b2: 0.999,
              eps: 1e-8,
              stepSize,
            });
            ref.p[k] = Tensor.fromData(c.param, params[k as 'w'].shape);
            ref.m[k] = c.m;
            ref.v[k] = c.v;
            expectIdentical(p[k].dataSync(), c.param, `${backend.name} step ${t} param ${k}`);
            expect(p[k].shape).toEqual(params[k as 'w'].shape);
            expectIdentical((state.m as Record<string, Tensor>)[k].dataSync(), c.m, `${backend.name} step ${t} m ${k}`);
            expectIdentical((state.v as Record<string, Tensor>)[k].dataSync(), c.v, `${backend.name} step ${t} v ${k}`);
          }
        }
      } finally {
        setBackend(previous);
      }
    }
  });

  it('a gradient tree of another structure is still reported by name', () => {
    const opt = adam({ lr: 0.01 });
    const params = { w: scalar(1) };
    expect(() => opt.step(params, { u: scalar(1) } as never, opt.init(params))).toThrow(/structure/);
  });
});

describe('bernoulliLogits', () => {
  /** float64 log p(x | l), written the cancellation-free way, with 0·(±Inf) terms taken as 0. */
  function exact(x: number, l: number): number {
    const taken = x === 0 ? 0 : x * Math.min(l, 0);
    const missed = x === 1 ? 0 : (1 - x) * Math.max(l, 0);
    return taken - missed - Math.log1p(Math.exp(-Math.abs(l)));
  }

  /**
   * |wasm − js| bound: WebAssembly rounds x·min(l, 0), 1 − x, (1 − x)·max(l, 0) and their difference
   * (≤ 3u·T with T the two terms' sizes), computes log1p(e^−|l|) to 1 + 2.5 ulp (≤ 7u·sp, the ulp
   * bounds of exp and log1p in docs/wasm-backend.md), and rounds the last subtraction (u·|r|); the JS
   * backend rounds the float64 result once (u·|r|). Plus a few subnormal ulps for results near 0.
   */
  function bound(x: number, l: number): number {
    const T = Math.abs(x * Math.min(l, 0)) + Math.abs((1 - x) * Math.max(l, 0));
    const sp = Math.log1p(Math.exp(-Math.abs(l)));
    return 3 * U * T + 7 * U * sp + 2 * U * Math.abs(exact(x, l)) + 4 * 2 ** -149;
  }

  const length = (shape: number[]) => ({ minLength: shapeSize(shape), maxLength: shapeSize(shape) });
  const caseArb = broadcastPairArb({ maxRank: 3, maxDim: 7 }).chain(([xShape, lShape]) =>
    fc.record({
      xShape: fc.constant(xShape),
      lShape: fc.constant(lShape),
      x: fc
        .oneof(
          fc.array(fc.constantFrom(0, 1), length(xShape)),
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), length(xShape)),
        )
        .map((v) => Float32Array.from(v)),
      l: fc.float32Array({ ...length(lShape), min: -100, max: 100, noNaN: true }),
    }),
  );

  it('WebAssembly matches the JS backend within the bound of its float32 steps, any broadcast (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ xShape, lShape, x, l }) => {
        const out = broadcastShapes('test', xShape, lShape);
        const a = wasm.bernoulliLogits(x, xShape, l, lShape, out);
        const b = jsBackend.bernoulliLogits(x, xShape, l, lShape, out);
        const xs = jsBackend.broadcastTo(x, xShape, out);
        const ls = jsBackend.broadcastTo(l, lShape, out);
        expect(a.length).toBe(shapeSize(out));
        for (let i = 0; i < a.length; i++) {
          const tol = bound(xs[i], ls[i]);
          if (!(Math.abs(a[i] - b[i]) <= tol)) {
            expect.fail(
              `[${xShape}] with [${lShape}], x = ${xs[i]}, l = ${ls[i]}: wasm ${a[i]}, js ${b[i]} ` + `(bound ${tol})`,
            );
          }
        }
      }),
      PROPS,
    );
  });

  it('edge logits: ±Inf give log σ (0 or −Inf), NaN propagates, in both backends', () => {
    const ls = [Infinity, -Infinity, NaN, 0, -0, 200, -200, 3.4028234663852886e38, 2 ** -149];
    const x = Float32Array.from(ls.flatMap(() => [0, 1]));
    const l = Float32Array.from(ls.flatMap((v) => [v, v]));
    const expected = Float32Array.from(ls.flatMap((v) => [exact(0, v), exact(1, v)]));
    expect([...expected.slice(0, 6)]).toEqual([-Infinity, 0, 0, -Infinity, NaN, NaN]);
    for (const backend of [jsBackend, wasm]) {
      // The sign of a zero may differ (log σ(200) = −1.4e−87 rounds to −0 in float64, 0 − 0 = +0 in float32).
      const got = backend.bernoulliLogits(x, [x.length], l, [l.length], [x.length]);
      got.forEach((v, i) => {
        expect(v === expected[i] || sameFloat(v, expected[i]), `${backend.name} element ${i}: ${v}`).toBe(true);
      });
    }
  });

  it('is accurate where x·l − softplus(l) cancels (x = 1, large l: log σ(l) ≈ −e^−l)', () => {
    const ls = [10, 17, 20, 40, 80];
    const x = new Float32Array(ls.length).fill(1);
    const l = Float32Array.from(ls);
    for (const backend of [jsBackend, wasm]) {
      const got = backend.bernoulliLogits(x, [5], l, [5], [5]);
      ls.forEach((v, i) => {
        const want = -Math.log1p(Math.exp(-v));
        // 4 ulps: the log1p and exp bounds plus roundings; the naive formula gives 0 for l ≥ 17.
        expect(Math.abs(got[i] - want), `${backend.name} l = ${v}`).toBeLessThanOrEqual(8 * U * Math.abs(want));
      });
    }
  });
});

describe('bernoulliLogLik (differentiable)', () => {
  const sigma = (l: number): number => 1 / (1 + Math.exp(-l));
  const f64 = (x: A64, l: A64): A64 =>
    R.zip(x, l, (xi, li) => xi * li - (Math.max(li, 0) + Math.log1p(Math.exp(-Math.abs(li)))));
  opSuite(
    'bernoulliLogLik with broadcasting',
    fc.tuple(gradPairArb(3), seedArb).map(([[xs, ls], s]): OpCase => {
      const rng = new Rng(s);
      return {
        label: `bernoulliLogLik [${xs}] [${ls}]`,
        inputs: [values(xs, () => rng.uniform(0, 1)), values(ls, () => rng.uniform(-5, 5))],
        f32: (x, l) => bernoulliLogLik(x, l),
        f64,
        // ∂/∂l = x − σ(l) cancels: terms |x| + σ(l); 4 roundings: σ, the subtraction, ·g, the broadcast sum.
        error: {
          rounds: 4,
          magnitude: (inputs, w) =>
            elementwiseMagnitude(inputs, w, [(_x, l) => Math.abs(l), (x, l) => Math.abs(x) + sigma(l)]),
        },
      };
    }),
  );

  it('second derivatives, through the fused gradient op, in reverse and forward mode (checkGrads, order 2)', () => {
    // x [2,1,3] against logits [4,3]: both broadcast, so every rule's sum over broadcast axes is used.
    const x = Tensor.fromData(Float32Array.from([0, 1, 0.25, 1, 0, 0.75]), [2, 1, 3]);
    const l = Tensor.fromData(
      Float32Array.from({ length: 12 }, (_, i) => Math.sin(1.7 * i) * 2),
      [4, 3],
    );
    const w = Tensor.fromData(
      Float32Array.from({ length: 24 }, (_, i) => Math.cos(0.9 * i)),
      [2, 4, 3],
    );
    // tanh of the log-likelihood: the cotangent reaching bernoulliLogLik then depends on x and l, so the second
    // derivatives also go through the fused op's rules in g (with a linear outer function g would be constant).
    const f = (a: Tensor, b: Tensor) => bernoulliLogLik(a, b).tanh().mul(w).sum();
    const report = checkGrads(f, [x, l], { order: 2 });
    const orders = report.checks.map((c) => `${c.mode}:${c.order}`);
    expect(orders).toContain('rev:2');
    expect(orders).toContain('fwd:2');
    // checkGrads throws beyond its float32 tolerance; the margin it reports:
    expect(report.maxRelError).toBeLessThanOrEqual(1e-2);
  });

  it('names the op and the shapes when they do not broadcast', () => {
    expect(() =>
      bernoulliLogLik(Tensor.fromData(new Float32Array(3), [3]), Tensor.fromData(new Float32Array(2), [2])),
    ).toThrow(/bernoulliLogLik.*\[3\].*\[2\]/);
  });
});

describe('bernoulliLogitsGrad kernel: g·(x − σ(l))', () => {
  /** A shape that broadcasts to `full`: some leading axes dropped, some axes set to 1. */
  const towards = (full: number[]): fc.Arbitrary<number[]> =>
    fc
      .tuple(
        fc.integer({ min: 0, max: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      )
      .map(([drop, ones]) => full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
  const operand = (full: number[]) => fc.oneof(fc.constant(full), towards(full));
  const caseArb = shapeArb({ maxRank: 4, maxDim: 7 }).chain((full) =>
    fc.tuple(operand(full), operand(full), operand(full)).chain(([xs, ls, gs]) =>
      fc.record({
        xs: fc.constant(xs),
        ls: fc.constant(ls),
        gs: fc.constant(gs),
        x: specialValuesArb(shapeSize(xs)),
        l: specialValuesArb(shapeSize(ls)),
        g: specialValuesArb(shapeSize(gs)),
      }),
    ),
  );

  // Each backend's fused kernel must round where its own sigmoid, sub and mul round: bit for bit.
  it('equals sigmoid, sub and mul of the same backend bit for bit, every broadcast, edge values (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ xs, ls, gs, x, l, g }) => {
        const out = broadcastShapes('test', broadcastShapes('test', xs, ls), gs);
        for (const backend of [jsBackend, wasm]) {
          const xl = broadcastShapes('test', xs, ls);
          const d = backend.binary('sub', x, xs, backend.unary('sigmoid', l), ls, xl);
          const composite = backend.binary('mul', g, gs, d, xl, out);
          const fused = backend.bernoulliLogitsGrad(x, xs, l, ls, g, gs, out);
          expectIdentical(fused, composite, `${backend.name} [${xs}] [${ls}] [${gs}]`);
        }
      }),
      PROPS,
    );
  });

  it('long rows in several chunks, odd lengths, row and scalar broadcasts', () => {
    const cases: number[][][] = [
      [
        [20, 784],
        [14, 20, 784],
        [14, 20, 784],
      ],
      [[40_003], [40_003], []],
      [[3, 1], [3, 20_001], [20_001]],
    ];
    for (const [xs, ls, gs] of cases) {
      const out = broadcastShapes('test', broadcastShapes('test', xs, ls), gs);
      const [x, l, g] = [mixed(shapeSize(xs), 3), mixed(shapeSize(ls), 5), mixed(shapeSize(gs), 7)];
      const xl = broadcastShapes('test', xs, ls);
      const composite = wasm.binary('mul', g, gs, wasm.binary('sub', x, xs, wasm.unary('sigmoid', l), ls, xl), xl, out);
      expectIdentical(wasm.bernoulliLogitsGrad(x, xs, l, ls, g, gs, out), composite, `[${xs}] [${ls}] [${gs}]`);
    }
  });
});

describe('logsumexp kernel', () => {
  /** Sorted distinct axes of a shape (possibly none), drawn with the shape. */
  const caseArb = shapeArb({ minRank: 1, maxRank: 4, maxDim: 7 }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axes: fc.subarray(
        shape.map((_, i) => i),
        { minLength: 1 },
      ),
      x: fc.oneof(
        fc.float32Array({ minLength: shapeSize(shape), maxLength: shapeSize(shape), min: -60, max: 60, noNaN: true }),
        specialValuesArb(shapeSize(shape)),
      ),
    }),
  );

  /**
   * |wasm − js| bound for a finite result r with shift s (the lane max): the float32 exps (1 ulp, so
   * 2u relative) make the float64 sum S relatively off by ≤ 2u, its rounding to float32 by u, so log S
   * is off by ≤ 3u absolute; logV adds 1 ulp (≤ 2u·|log S|), the final + s rounds (u·|r|), and the
   * JS backend rounds once (u·|r|).
   */
  const bound = (r: number, logS: number): number => U * (3 + 2 * Math.abs(logS) + 2 * Math.abs(r)) + 2 ** -149;

  it('matches the JS backend for any axes (adjacent ones in WebAssembly), edge values included (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, axes, x }) => {
        const a = wasm.logsumexp(x, shape, axes);
        const b = jsBackend.logsumexp(x, shape, axes);
        const shifts = jsBackend.reduce('max', x, shape, axes);
        expect(a.length).toBe(b.length);
        for (let i = 0; i < b.length; i++) {
          const s = Number.isFinite(shifts[i]) ? shifts[i] : 0;
          const ok = Number.isFinite(b[i]) ? Math.abs(a[i] - b[i]) <= bound(b[i], b[i] - s) : sameFloat(a[i], b[i]);
          if (!ok) expect.fail(`[${shape}] over [${axes}], output ${i}: wasm ${a[i]}, js ${b[i]}`);
        }
      }),
      PROPS,
    );
  });

  it('rows and columns longer than a vector, with ragged ends, and the edge cases of a lane', () => {
    // Lanes: all −Inf → −Inf; a +Inf → +Inf; a NaN → NaN; huge values → no overflow.
    const lanes = [
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
      [1, Infinity, 2, 3, 4],
      [1, 2, NaN, 3, -Infinity],
      [3e38, 3e38, 1, 2, 3],
      [-1e30, -1e30, -1e30, -1e30, -1e30],
    ];
    const x = Float32Array.from(lanes.flat());
    for (const backend of [jsBackend, wasm]) {
      const rows = backend.logsumexp(x, [5, 5], [1]);
      expect([...rows.slice(0, 3)]).toEqual([-Infinity, Infinity, NaN]);
      expect(rows[3]).toBe(Math.fround(3e38 + Math.log(2)));
      expect(Math.abs(rows[4] - Math.fround(-1e30))).toBeLessThanOrEqual(2 ** 76); // log 5 is far below an ulp
      // The same lanes as columns: the transposed layout goes through the column kernel.
      const cols = backend.logsumexp(jsBackend.transpose(x, [5, 5], [1, 0]), [5, 5], [0]);
      expectIdentical(cols, rows, `${backend.name} columns`);
    }
    const long = Float32Array.from({ length: 3 * 1001 }, (_, i) => Math.sin(i) * 20);
    for (const [shape, axes] of [
      [[3, 1001], [1]],
      [[1001, 3], [0]],
      [[3, 7, 143], [1]],
    ] as const) {
      const a = wasm.logsumexp(long, shape, axes);
      const b = jsBackend.logsumexp(long, shape, axes);
      b.forEach((v, i) => expect(Math.abs(a[i] - v), `[${shape}] output ${i}`).toBeLessThanOrEqual(bound(v, v)));
    }
  });
});
