/**
 * Harness for gradient tests of single ops.
 *
 * An OpCase is an op applied to some differentiable float32 inputs (`f32`, with Sieve) together
 * with a float64 reference of the same op (`f64`, see reference64.ts). The outputs are reduced to a
 * scalar with a random fixed weight tensor per output, L = Σ_k Σ_i W_k[i] · out_k[i], so that every
 * output element matters. Then:
 *
 * - checkOpGradient: Sieve's reverse-mode gradient of L (float32) must match central finite
 *   differences of the float64 reference L, within a float32 error bound of the op (below). The
 *   same comparison must reject the sign-flipped gradient, so every check demonstrably has teeth.
 * - checkAdjoint: forward and reverse mode must agree, <U, J V> (jvp) = <Jᵀ U, V> (vjp), for
 *   random U and V, with sums in float64, within the same kind of bound.
 *
 * Tolerances are error bounds, not tuned constants (see docs/testing.md). Sieve's kernels compute in
 * float64 and round each result to float32 once, so a derivative built from n kernel results along
 * its longest chain has a relative error of at most γ_n = n·u/(1 − n·u), u = 2^-24, with respect to
 * the size of the terms it adds up (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1).
 * For gradient element i that size is Σ_k |W_k|·M_ki, where M_ki ≥ |J_ki| is the sum of the
 * absolute values of the terms Sieve adds to form the Jacobian entry J_ki: |J_ki| itself when no
 * term cancels, more when one does (1 − y² for tanh' near y = ±1, or softmax's p_i(w_i − Σ p_j w_j)
 * when p_i is near 1). Each op's ErrorModel gives n and, when terms cancel, M.
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { grad, jsBackend, jvp, setBackend, Tensor, vjp } from '../../src/index.js';
import { broadcastShape, broadcastSource, fsum, unravel, type A64 } from './reference64.js';

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

export const uniformValues = (rng: Rng, shape: readonly number[], lo: number, hi: number): A64 =>
  values(shape, () => rng.uniform(lo, hi));

/** Values with |v| in [lo, hi] and a random sign (away from a kink at 0). */
export const awayFromZero = (rng: Rng, shape: readonly number[], lo: number, hi: number): A64 =>
  values(shape, () => rng.sign() * rng.uniform(lo, hi));

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
  /** How Sieve's derivative can deviate from the exact one (default: DEFAULT_ERROR). */
  error?: ErrorModel;
}

function describe(c: OpCase): string {
  return `${c.label} (inputs ${c.inputs.map((x) => `[${x.shape}]`).join(' ')})`;
}

/**
 * Forward values of f32 and f64 agree (so the reference really is this op). A sanity check, not
 * a precision test: 1e-5 of the largest output (≥ 1) is ~170 float32 ulps, above what the few
 * roundings of these ops add up to and far below what a different op would give.
 */
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
        throw new Error(
          `forward value mismatch at output ${k}[${i}]: sieve ${got[i]} vs float64 ${ref[i]}: ${describe(c)}`,
        );
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Error bounds

/** float32 unit roundoff. */
export const U32 = 2 ** -24;
/** float64 unit roundoff. */
export const U64 = 2 ** -53;

/** γ_n = n·u/(1 − n·u): the relative error of n successive float32 roundings (Higham, Lemma 3.1). */
export const gamma = (n: number): number => (n * U32) / (1 - n * U32);

/** How Sieve's float32 derivative of an op can deviate from the exact one. */
export interface ErrorModel {
  /**
   * n in γ_n: the number of float32 roundings along the longest chain from the inputs to a
   * gradient (reverse mode) or tangent (forward mode) element, counting each rounded forward value
   * the derivative uses (e.g. y = tanh x in 1 − y²) and each float64-accumulated sum (one rounding).
   */
  rounds: number;
  /**
   * For each input, per element: Σ_k |W_k|·M_ki, where M_ki ≥ |J_ki| bounds the sum of the
   * absolute values of the terms from which Sieve computes the Jacobian entry J_ki, in either mode,
   * times any condition factor of a rounded forward value (e.g. 1 + |z| for exp(z) of a rounded z).
   * Omitted: Σ_k |W_k|·|J_ki|, right for ops whose derivative terms never cancel.
   */
  magnitude?: (inputs: readonly A64[], absWeights: readonly Float64Array[]) => Float64Array[];
}

/**
 * The default model: Σ|W||J| with 3 roundings, which covers a derivative factor that is a rounded
 * kernel result (cos x for sin, y for exp), its product with the cotangent, and one float64-
 * accumulated sum over broadcast axes (or the sum of the two tangent terms of a binary op in
 * forward mode). Linear ops (movement, sum) round at most once. Ops with longer chains or
 * cancellation declare their own model.
 */
export const DEFAULT_ERROR: ErrorModel = { rounds: 3 };

/** Relative step of the central differences. */
const FD_STEP = 1e-6;
/**
 * Error of a float64 reference output, in units of U64·(|out| + 1): the references use compensated
 * sums, exact float32 products and libm functions (≤ 2 ulps), and the special functions are good
 * to ~1e-15 absolute on the domains used here, so 32 ulps is a safe bound.
 */
const REF_ULPS = 32;

/** Finite-difference view of an op at its inputs, for one weight tensor per output. */
export interface FdJacobian {
  /** Σ_k W_k J_ki by central differences: the gradient of L. */
  grad: Float64Array[];
  /** Σ_k |W_k||J_ki|: the default term magnitude. */
  absGrad: Float64Array[];
  /**
   * Bound on |grad − exact gradient|: the references' rounding (REF_ULPS) divided by the step,
   * doubled to cover truncation, h²|f'''|/6 ≤ 1.7e-13·|f'''|, which is below the rounding term
   * whenever |f'''| ≤ 2e4·(|f| + 1), true of every op on the domain its tests draw from.
   */
  err: Float64Array[];
}

/**
 * Central differences of the float64 reference, one output element at a time: an output that does
 * not depend on x_i gives exactly 0, so only the outputs that do contribute rounding error.
 */
export function fdJacobian64(f64: OpCase['f64'], inputs: readonly A64[], weights: readonly Float64Array[]): FdJacobian {
  const outsAt = (a: number, i: number, v: number): A64[] => {
    const data = inputs[a].data.slice();
    data[i] = v;
    const xs = inputs.slice();
    xs[a] = { shape: inputs[a].shape, data };
    return list(f64(...xs));
  };
  const grad: Float64Array[] = [];
  const absGrad: Float64Array[] = [];
  const err: Float64Array[] = [];
  inputs.forEach((x, a) => {
    const n = x.data.length;
    grad.push(new Float64Array(n));
    absGrad.push(new Float64Array(n));
    err.push(new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const h = FD_STEP * Math.max(1, Math.abs(x.data[i]));
      const hi = x.data[i] + h;
      const lo = x.data[i] - h;
      const step = hi - lo; // the step actually taken (2h but for the rounding of x ± h)
      const plus = outsAt(a, i, hi);
      const minus = outsAt(a, i, lo);
      const terms: number[] = [];
      let abs = 0;
      let scale = 0;
      plus.forEach((o, k) => {
        for (let j = 0; j < o.data.length; j++) {
          const p = o.data[j];
          const m = minus[k].data[j];
          if (p === m) continue;
          const w = weights[k][j];
          terms.push((w * (p - m)) / step);
          abs += Math.abs(w * (p - m)) / step;
          scale += Math.abs(w) * (Math.max(Math.abs(p), Math.abs(m)) + 1);
        }
      });
      grad[a][i] = fsum(terms);
      absGrad[a][i] = abs;
      // Two evaluations, each within REF_ULPS·U64·(|out| + 1); doubled for truncation.
      err[a][i] = (2 * 2 * REF_ULPS * U64 * scale) / step;
    }
  });
  return { grad, absGrad, err };
}

/**
 * The magnitude of an elementwise op (with broadcasting): for each input a, Σ_k |W_k|·m_a(values of
 * all inputs at output position k), summed into the element of a that position k reads.
 * `m_a` bounds the terms of ∂out_k/∂a as Sieve computes it.
 */
export function elementwiseMagnitude(
  inputs: readonly A64[],
  absWeights: readonly Float64Array[],
  partials: readonly ((...v: number[]) => number)[],
): Float64Array[] {
  const shape = broadcastShape(...inputs.map((x) => x.shape));
  const out = inputs.map((x) => new Float64Array(x.data.length));
  for (let k = 0; k < sizeOf(shape); k++) {
    const idx = unravel(k, shape);
    const src = inputs.map((x) => broadcastSource(x.shape, idx));
    const vals = src.map((p, a) => inputs[a].data[p]);
    partials.forEach((m, a) => (out[a][src[a]] += absWeights[0][k] * m(...vals)));
  }
  return out;
}

/** Per-element tolerances γ_n·magnitude + the finite differences' own error. */
export function gradientTolerance(c: OpCase, fd: FdJacobian, absWeights: readonly Float64Array[]): Float64Array[] {
  const model = c.error ?? DEFAULT_ERROR;
  const mag = model.magnitude ? model.magnitude(c.inputs, absWeights) : fd.absGrad;
  const g = gamma(model.rounds);
  return mag.map((m, a) => m.map((v, i) => g * v + fd.err[a][i]));
}

/** Elementwise comparison |ad − fd| ≤ tol; the first violation is described. */
export function gradientsClose(
  ad: readonly ArrayLike<number>[],
  fd: readonly Float64Array[],
  tol: readonly Float64Array[],
): { ok: boolean; detail: string } {
  for (let a = 0; a < fd.length; a++) {
    for (let i = 0; i < fd[a].length; i++) {
      const err = Math.abs(ad[a][i] - fd[a][i]);
      if (!(err <= tol[a][i])) {
        const detail =
          `input ${a}, element ${i}: autodiff ${ad[a][i]} vs float64 finite difference ${fd[a][i]} ` +
          `(error ${err.toExponential(2)}, tolerance ${tol[a][i].toExponential(2)})`;
        return { ok: false, detail };
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

const absAll = (ws: readonly Float64Array[]): Float64Array[] => ws.map((w) => w.map(Math.abs));

/** Sieve's reverse-mode gradient of L (weights W drawn from `seed`), its finite differences and tolerances. */
export function gradientCase(c: OpCase, seed: number): { ad: Float32Array[]; fd: FdJacobian; tol: Float64Array[] } {
  const xs = c.inputs.map(toTensor);
  const outs = list(c.f32(...xs));
  checkForward(c, outs, list(c.f64(...c.inputs)));
  const { w32, w64 } = randomWeights(new Rng(seed), outs);
  const zero = Tensor.fromData(new Float32Array(1), []);
  const loss = (...ys: Tensor[]): Tensor =>
    list(c.f32(...ys)).reduce((s: Tensor, o, k) => s.add(o.mul(w32[k]).sum()), zero);
  const grads = grad(
    loss,
    xs.map((_, i) => i),
  )(...xs) as Tensor[];
  grads.forEach((g, a) => expect(g.shape, `gradient ${a} shape: ${describe(c)}`).toEqual(c.inputs[a].shape));
  const fd = fdJacobian64(c.f64, c.inputs, w64);
  return { ad: grads.map((g) => g.dataSync()), fd, tol: gradientTolerance(c, fd, absAll(w64)) };
}

/** Reverse-mode gradient of the weighted output vs float64 finite differences of the reference. */
export function checkOpGradient(c: OpCase, seed: number): void {
  const { ad, fd, tol } = gradientCase(c, seed);
  const res = gradientsClose(ad, fd.grad, tol);
  if (!res.ok) throw new Error(`reverse-mode gradient mismatch: ${res.detail}: ${describe(c)}`);
  // The comparison has teeth: the same gradient with its sign flipped is rejected (whenever some
  // element exceeds its tolerance, i.e. whenever the check can tell anything apart at all).
  if (fd.grad.some((g, a) => g.some((v, i) => Math.abs(v) > tol[a][i]))) {
    const flipped = gradientsClose(
      ad.map((g) => g.map((v) => -v)),
      fd.grad,
      tol,
    );
    expect(flipped.ok, `sign flip not detected: ${describe(c)}`).toBe(false);
  }
}

/**
 * <U, J V> from jvp equals <Jᵀ U, V> from vjp, accumulated in float64. Each tangent element T_k
 * is off by at most γ_n Σ_i M_ki |V_i| and each cotangent element C_i by γ_n Σ_k |U_k| M_ki, so
 * |lhs − rhs| ≤ 2 γ_n Σ_i |V_i| (Σ_k |U_k| M_ki), plus the compensated float64 sums' rounding.
 */
export function checkAdjoint(c: OpCase, seed: number): void {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const xs = c.inputs.map(toTensor);
  const vs = xs.map((x) => randomWeights(rng, [x]).w32[0]);
  const [out, tangentOut] = jvp((...ys: Tensor[]) => c.f32(...ys), xs, vs);
  const outs = list(out as Tensor | Tensor[]);
  const tOuts = list(tangentOut as Tensor | Tensor[]);
  const us = randomWeights(rng, outs);
  const [, pullback] = vjp((...ys: Tensor[]) => c.f32(...ys), ...xs);
  const cts = pullback(Array.isArray(out) ? us.w32 : us.w32[0]) as Tensor[];
  const lhsTerms: number[] = [];
  const rhsTerms: number[] = [];
  tOuts.forEach((t, k) => {
    expect(t.shape, `jvp tangent shape: ${describe(c)}`).toEqual(outs[k].shape);
    const td = t.dataSync(),
      ud = us.w64[k];
    for (let i = 0; i < td.length; i++) lhsTerms.push(ud[i] * td[i]); // exact: float32 × float32
  });
  cts.forEach((ct, a) => {
    expect(ct.shape, `vjp cotangent shape: ${describe(c)}`).toEqual(xs[a].shape);
    const cd = ct.dataSync(),
      vd = vs[a].dataSync();
    for (let i = 0; i < cd.length; i++) rhsTerms.push(cd[i] * vd[i]);
  });
  const lhs = fsum(lhsTerms);
  const rhs = fsum(rhsTerms);
  const model = c.error ?? DEFAULT_ERROR;
  const absU = absAll(us.w64);
  const mag = model.magnitude ? model.magnitude(c.inputs, absU) : fdJacobian64(c.f64, c.inputs, absU).absGrad;
  let bound = 0;
  mag.forEach((m, a) => {
    const vd = vs[a].dataSync();
    for (let i = 0; i < m.length; i++) bound += m[i] * Math.abs(vd[i]);
  });
  const tol = 2 * gamma(model.rounds) * bound + 4 * U64 * (Math.abs(lhs) + Math.abs(rhs));
  if (!(Math.abs(lhs - rhs) <= tol)) {
    throw new Error(
      `adjoint identity fails: <U, J V> = ${lhs} (jvp) but <Jᵀ U, V> = ${rhs} (vjp), ` +
        `tolerance ${tol.toExponential(2)}: ${describe(c)}`,
    );
  }
  // Teeth: a sign-flipped forward result is rejected (whenever it is larger than the tolerance).
  if (Math.abs(lhs) > tol) expect(Math.abs(-lhs - rhs) <= tol, `sign flip not detected: ${describe(c)}`).toBe(false);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

export const seedArb = fc.integer({ min: 0, max: 0x7fffffff });

/** A shape with ndim in [minNd, maxNd] and dims in [1, maxDim]. */
export const shapeArb = (minNd: number, maxNd: number, maxDim = 4): fc.Arbitrary<number[]> =>
  fc
    .nat(maxNd - minNd)
    .chain((k) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minNd + k, maxLength: minNd + k }));

/**
 * `count` shapes that broadcast together: suffixes of a common base shape, with some dimensions
 * set to 1 in each.
 */
export const broadcastShapesArb = (count: number, maxNd = 3): fc.Arbitrary<number[][]> =>
  fc
    .record({
      base: shapeArb(0, maxNd, 3),
      drops: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: maxNd })), {
        minLength: count,
        maxLength: count,
      }),
      ones: fc.array(
        fc.array(
          fc.nat(3).map((v) => v === 0),
          { minLength: maxNd, maxLength: maxNd },
        ),
        { minLength: count, maxLength: count },
      ),
    })
    .map(({ base, drops, ones }) =>
      drops.map((drop, k) => base.slice(Math.min(drop, base.length)).map((d, i) => (ones[k][i] ? 1 : d))),
    );

export const broadcastPairArb = (maxNd = 3): fc.Arbitrary<[number[], number[]]> =>
  broadcastShapesArb(2, maxNd).map(([a, b]) => [a, b]);

/** An `axis` argument for a tensor of ndim nd: undefined, one axis, or a list (with negative forms, shuffled). */
export const axisArb = (nd: number): fc.Arbitrary<number | number[] | undefined> => {
  if (nd === 0) return fc.constant(undefined);
  const one = fc.integer({ min: 0, max: nd - 1 }).chain((a) => fc.constantFrom(a, a - nd));
  const many = fc
    .subarray(
      Array.from({ length: nd }, (_, i) => i),
      { minLength: 1 },
    )
    .chain((axes) =>
      fc.tuple(
        fc.shuffledSubarray(axes, { minLength: axes.length, maxLength: axes.length }),
        fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }),
      ),
    )
    .map(([axes, neg]) => axes.map((a, i) => (neg[i] ? a - nd : a)));
  return fc.oneof(fc.constant(undefined), one, many);
};

/**
 * Number of fast-check runs per op property (each run is a few small tensors). Set
 * SIEVE_GRAD_RUNS to run more, e.g. to stress the tolerances.
 */
export const RUNS = Number(process.env.SIEVE_GRAD_RUNS ?? 25);

/**
 * Stress mode, used by scripts/grad-stress.mjs: with SIEVE_GRAD_STRESS_OUT set, an op property runs
 * all its cases, counts the failing ones instead of stopping at the first, and appends one JSON line
 * { property, cases, failures, examples, ms, seed } to that file.
 */
const STRESS_OUT = process.env.SIEVE_GRAD_STRESS_OUT;

type OpCheck = (c: OpCase, seed: number) => void;

function opProperty(title: string, arb: fc.Arbitrary<OpCase>, runs: number, check: OpCheck): void {
  it(title, () => {
    // These properties test the derivative rules, and their error bounds count the roundings of the JS
    // reference kernels (float64 inside, one float32 rounding per kernel). So they run on the JS backend
    // whatever the default is; the WASM kernels are checked against the JS ones, with their own bounds,
    // in test/backend-wasm*.test.ts.
    const previous = setBackend(jsBackend);
    try {
      runOpProperty(title, arb, runs, check);
    } finally {
      setBackend(previous);
    }
  });
}

function runOpProperty(title: string, arb: fc.Arbitrary<OpCase>, runs: number, check: OpCheck): void {
  if (STRESS_OUT === undefined) {
    fc.assert(
      fc.property(arb, seedArb, (c, seed) => check(c, seed)),
      { numRuns: runs },
    );
    return;
  }
  let failures = 0;
  const examples: string[] = [];
  const start = performance.now();
  const counting = (c: OpCase, seed: number): void => {
    try {
      check(c, seed);
    } catch (e) {
      failures++;
      if (examples.length < 3) examples.push(`${String(e).slice(0, 400)} (weight seed ${seed})`);
    }
  };
  fc.assert(fc.property(arb, seedArb, counting), { numRuns: runs });
  const ms = performance.now() - start;
  const seed = fc.readConfigureGlobal().seed;
  appendFileSync(STRESS_OUT, `${JSON.stringify({ property: title, cases: runs, failures, examples, ms, seed })}\n`);
}

/** Two tests for an op: its gradient against float64 finite differences, and the adjoint identity. */
export function opSuite(name: string, arb: fc.Arbitrary<OpCase>, runs = RUNS): void {
  runs = Math.max(runs, RUNS);
  opProperty(`${name}: reverse-mode gradient matches float64 finite differences`, arb, runs, checkOpGradient);
  opProperty(`${name}: jvp and vjp agree, <U, J V> = <Jᵀ U, V>`, arb, runs, checkAdjoint);
}
