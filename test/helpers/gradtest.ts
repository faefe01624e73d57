/**
 * Harness for gradient tests of single ops.
 *
 * An OpCase is an op applied to some differentiable float32 inputs (`f32`, with Sieve) together
 * with a float64 reference of the same op (`f64`, see reference64.ts). The outputs are reduced to a
 * scalar with a random fixed weight tensor per output, L = Σ_k Σ_i W_k[i] · out_k[i], so that every
 * output element matters. Then:
 *
 * - checkOpGradient: Sieve's reverse-mode gradient of L (float32) must match central finite
 *   differences of the float64 reference L (step 1e-6 relative: error ~1e-10, so the FD gradient is
 *   exact at float32 resolution). The same comparison must reject the sign-flipped gradient, so
 *   every check demonstrably has the power to fail.
 * - checkAdjoint: forward and reverse mode must agree, <U, J V> (jvp) = <Jᵀ U, V> (vjp), for
 *   random U and V, with sums in float64; again the sign-flipped forward value must be rejected.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { grad, jvp, Tensor, vjp } from '../../src/index.js';
import type { A64 } from './reference64.js';

// ---------------------------------------------------------------------------------------------
// Random numbers (mulberry32), deterministic from a seed.

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }
  shuffle<T>(xs: readonly T[]): T[] {
    const a = xs.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** A float64 array of float32-representable values drawn by `draw`. */
export function values(shape: readonly number[], draw: (i: number) => number): A64 {
  const n = sizeOf(shape);
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = draw(i);
  return { shape: [...shape], data: Float64Array.from(f) };
}

export const uniformValues = (rng: Rng, shape: readonly number[], lo: number, hi: number): A64 => values(shape, () => rng.uniform(lo, hi));

/** Values with |v| in [lo, hi] and a random sign (away from a kink at 0). */
export const awayFromZero = (rng: Rng, shape: readonly number[], lo: number, hi: number): A64 => values(shape, () => rng.sign() * rng.uniform(lo, hi));

/** Distinct values at least ~0.15 apart (no ties, so max/min are differentiable with margin). */
export function distinctValues(rng: Rng, shape: readonly number[]): A64 {
  const n = sizeOf(shape);
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return values(shape, (i) => (order[i] - n / 2) * 0.25 + rng.uniform(-0.05, 0.05));
}

export function toTensor(a: A64): Tensor {
  return Tensor.fromData(Float32Array.from(a.data), a.shape);
}

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

// ---------------------------------------------------------------------------------------------

export interface OpCase {
  /** Shapes and parameters, shown when a check fails. */
  label: string;
  /** The differentiable inputs (float32-representable values). */
  inputs: A64[];
  f32: (...xs: Tensor[]) => Tensor | Tensor[];
  f64: (...xs: A64[]) => A64 | A64[];
}

function describe(c: OpCase): string {
  return `${c.label} (inputs ${c.inputs.map((x) => `[${x.shape}]`).join(' ')})`;
}

/** Forward values of f32 and f64 agree (so the reference really is this op). */
function checkForward(c: OpCase, outs: Tensor[], refs: A64[]): void {
  expect(outs.length, describe(c)).toBe(refs.length);
  outs.forEach((o, k) => {
    expect(o.shape, `output ${k} shape: ${describe(c)}`).toEqual(refs[k].shape);
    const got = o.dataSync();
    const ref = refs[k].data;
    let scale = 1;
    for (const v of ref) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < ref.length; i++) {
      if (!(Math.abs(got[i] - ref[i]) <= 1e-5 * scale)) {
        throw new Error(`forward value mismatch at output ${k}[${i}]: sieve ${got[i]} vs float64 ${ref[i]}: ${describe(c)}`);
      }
    }
  });
}

/** The gradient of Σ_k Σ_i W_k[i] out_k[i] by central differences of the float64 reference. */
export function fdGradient64(f64: OpCase['f64'], inputs: readonly A64[], weights: readonly Float64Array[]): Float64Array[] {
  const loss = (xs: A64[]): number => {
    let s = 0;
    list(f64(...xs)).forEach((o, k) => o.data.forEach((v, i) => (s += weights[k][i] * v)));
    return s;
  };
  return inputs.map((x, a) => {
    const g = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const h = 1e-6 * Math.max(1, Math.abs(x.data[i]));
      const at = (v: number): number => {
        const data = x.data.slice();
        data[i] = v;
        const xs = inputs.slice();
        xs[a] = { shape: x.shape, data };
        return loss(xs);
      };
      g[i] = (at(x.data[i] + h) - at(x.data[i] - h)) / (2 * h);
    }
    return g;
  });
}

/**
 * Elementwise comparison: |ad − fd| ≤ 1e-4·|fd| + 2e-5·scale, where scale is the largest |fd| of
 * the case. A float32 gradient carries a few ulps (~1e-7) relative to the terms it sums, so this is
 * a wide margin; a wrong rule (sign, factor, missing broadcast sum) is off by O(scale).
 */
export function gradientsClose(ad: readonly ArrayLike<number>[], fd: readonly Float64Array[]): { ok: boolean; detail: string } {
  let scale = 0;
  for (const g of fd) for (const v of g) scale = Math.max(scale, Math.abs(v));
  for (let a = 0; a < fd.length; a++) {
    for (let i = 0; i < fd[a].length; i++) {
      const tol = 1e-4 * Math.abs(fd[a][i]) + 2e-5 * scale + 1e-12;
      if (!(Math.abs(ad[a][i] - fd[a][i]) <= tol)) {
        return { ok: false, detail: `input ${a}, element ${i}: autodiff ${ad[a][i]} vs float64 finite difference ${fd[a][i]} (tolerance ${tol.toExponential(2)})` };
      }
    }
  }
  return { ok: true, detail: '' };
}

function randomWeights(rng: Rng, outs: readonly Tensor[]): { w32: Tensor[]; w64: Float64Array[] } {
  const w32 = outs.map((o) => {
    const d = new Float32Array(o.size);
    for (let i = 0; i < d.length; i++) d[i] = rng.normal();
    return Tensor.fromData(d, o.shape);
  });
  return { w32, w64: w32.map((w) => Float64Array.from(w.dataSync())) };
}

/** Reverse-mode gradient of the weighted output vs float64 finite differences of the reference. */
export function checkOpGradient(c: OpCase, seed: number): void {
  const xs = c.inputs.map(toTensor);
  const outs = list(c.f32(...xs));
  checkForward(c, outs, list(c.f64(...c.inputs)));
  const { w32, w64 } = randomWeights(new Rng(seed), outs);
  const loss = (...ys: Tensor[]): Tensor => list(c.f32(...ys)).reduce((s: Tensor, o, k) => s.add(o.mul(w32[k]).sum()), Tensor.fromData(new Float32Array(1), []));
  const grads = grad(loss, xs.map((_, i) => i))(...xs) as Tensor[];
  grads.forEach((g, a) => expect(g.shape, `gradient ${a} shape: ${describe(c)}`).toEqual(c.inputs[a].shape));
  const ad = grads.map((g) => g.dataSync());
  const fd = fdGradient64(c.f64, c.inputs, w64);
  const res = gradientsClose(ad, fd);
  if (!res.ok) throw new Error(`reverse-mode gradient mismatch: ${res.detail}: ${describe(c)}`);
  // The comparison has teeth: the same gradient with its sign flipped is rejected.
  if (fd.some((g) => g.some((v) => Math.abs(v) > 1e-6))) {
    expect(gradientsClose(ad.map((g) => g.map((v) => -v)), fd).ok, `sign flip not detected: ${describe(c)}`).toBe(false);
  }
}

/** <U, J V> from jvp equals <Jᵀ U, V> from vjp, accumulated in float64. */
export function checkAdjoint(c: OpCase, seed: number): void {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const xs = c.inputs.map(toTensor);
  const vs = xs.map((x) => randomWeights(rng, [x]).w32[0]);
  const [out, tangentOut] = jvp((...ys: Tensor[]) => c.f32(...ys), xs, vs);
  const outs = list(out as Tensor | Tensor[]);
  const tOuts = list(tangentOut as Tensor | Tensor[]);
  const us = randomWeights(rng, outs).w32;
  const [, pullback] = vjp((...ys: Tensor[]) => c.f32(...ys), ...xs);
  const cts = pullback(Array.isArray(out) ? us : us[0]) as Tensor[];
  let lhs = 0, rhs = 0, scale = 0;
  tOuts.forEach((t, k) => {
    expect(t.shape, `jvp tangent shape: ${describe(c)}`).toEqual(outs[k].shape);
    const td = t.dataSync(), ud = us[k].dataSync();
    for (let i = 0; i < td.length; i++) {
      lhs += ud[i] * td[i];
      scale += Math.abs(ud[i] * td[i]);
    }
  });
  cts.forEach((ct, a) => {
    expect(ct.shape, `vjp cotangent shape: ${describe(c)}`).toEqual(xs[a].shape);
    const cd = ct.dataSync(), vd = vs[a].dataSync();
    for (let i = 0; i < cd.length; i++) {
      rhs += cd[i] * vd[i];
      scale += Math.abs(cd[i] * vd[i]);
    }
  });
  const tol = 1e-5 * scale + 1e-12;
  if (!(Math.abs(lhs - rhs) <= tol)) {
    throw new Error(`adjoint identity fails: <U, J V> = ${lhs} (jvp) but <Jᵀ U, V> = ${rhs} (vjp), tolerance ${tol.toExponential(2)}: ${describe(c)}`);
  }
  // Teeth: a sign-flipped forward result would be rejected (unless the product is ~0 anyway).
  if (Math.abs(lhs) > 10 * tol) expect(Math.abs(-lhs - rhs) <= tol, `sign flip not detected: ${describe(c)}`).toBe(false);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

export const seedArb = fc.integer({ min: 0, max: 0x7fffffff });

/** A shape with ndim in [minNd, maxNd] and dims in [1, maxDim]. */
export const shapeArb = (minNd: number, maxNd: number, maxDim = 4): fc.Arbitrary<number[]> =>
  fc.nat(maxNd - minNd).chain((k) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minNd + k, maxLength: minNd + k }));

/**
 * `count` shapes that broadcast together: suffixes of a common base shape, with some dimensions
 * set to 1 in each.
 */
export const broadcastShapesArb = (count: number, maxNd = 3): fc.Arbitrary<number[][]> =>
  fc
    .record({
      base: shapeArb(0, maxNd, 3),
      drops: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: maxNd })), { minLength: count, maxLength: count }),
      ones: fc.array(fc.array(fc.nat(3).map((v) => v === 0), { minLength: maxNd, maxLength: maxNd }), { minLength: count, maxLength: count }),
    })
    .map(({ base, drops, ones }) => drops.map((drop, k) => base.slice(Math.min(drop, base.length)).map((d, i) => (ones[k][i] ? 1 : d))));

export const broadcastPairArb = (maxNd = 3): fc.Arbitrary<[number[], number[]]> =>
  broadcastShapesArb(2, maxNd).map(([a, b]) => [a, b]);

/** An `axis` argument for a tensor of ndim nd: undefined, one axis, or a list (with negative forms, shuffled). */
export const axisArb = (nd: number): fc.Arbitrary<number | number[] | undefined> => {
  if (nd === 0) return fc.constant(undefined);
  const one = fc.integer({ min: 0, max: nd - 1 }).chain((a) => fc.constantFrom(a, a - nd));
  const many = fc
    .subarray(Array.from({ length: nd }, (_, i) => i), { minLength: 1 })
    .chain((axes) => fc.tuple(fc.shuffledSubarray(axes, { minLength: axes.length, maxLength: axes.length }), fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length })))
    .map(([axes, neg]) => axes.map((a, i) => (neg[i] ? a - nd : a)));
  return fc.oneof(fc.constant(undefined), one, many);
};

/**
 * Number of fast-check runs per op property (each run is a few small tensors). Set
 * SIEVE_GRAD_RUNS to run more, e.g. to stress the tolerances.
 */
export const RUNS = Number(process.env.SIEVE_GRAD_RUNS ?? 25);

/** Two tests for an op: its gradient against float64 finite differences, and the adjoint identity. */
export function opSuite(name: string, arb: fc.Arbitrary<OpCase>, runs = RUNS): void {
  runs = Math.max(runs, RUNS);
  it(`${name}: reverse-mode gradient matches float64 finite differences`, () => {
    fc.assert(fc.property(arb, seedArb, (c, seed) => checkOpGradient(c, seed)), { numRuns: runs });
  });
  it(`${name}: jvp and vjp agree, <U, J V> = <Jᵀ U, V>`, () => {
    fc.assert(fc.property(arb, seedArb, (c, seed) => checkAdjoint(c, seed)), { numRuns: runs });
  });
}
