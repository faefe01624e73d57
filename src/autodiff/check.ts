/**
 * checkGrads: test a function's derivatives against finite differences, like JAX's `check_grads`.
 *
 *   checkGrads(f, [x, params], { order: 2 })
 *
 * For each mode, one random direction v (per input leaf) and one random cotangent u (per output
 * leaf) are drawn, and the directional derivative <u, J v> is computed twice:
 *
 * - by central finite differences, with f evaluated at x + εv and x − εv. Inputs are float32, so
 *   the perturbed inputs are rounded; the check uses the perturbation that actually happened,
 *   d = fround(x + εv) − fround(x − εv) (exact in float64), instead of 2εv. The difference
 *   <u, f(x₊) − f(x₋)> is accumulated in float64.
 * - by autodiff: reverse mode as <Jᵀu, d> (vjp pulls u back), forward mode as <u, J d> (jvp
 *   pushes d forward); the products and sums again in float64.
 *
 * Both are divided by 2ε and reported as estimates of <u, J v>. With `order` ≥ 2 the derivative
 * functions are checked the same way, recursively, as JAX does: x ↦ J(x) v (built with jvp) and
 * x ↦ J(x)ᵀ u (built with vjp), for fixed random u and v. Checking them against random projections
 * at the next level amounts to checking the scalar functions x ↦ <u', J(x) v'>. Order 2 with both
 * modes runs 2 + 4 checks: rev, fwd, and rev-of-rev, fwd-of-rev, rev-of-fwd, fwd-of-fwd.
 *
 * A check passes when |autodiff − fd| ≤ max(atol, rtol · max(|autodiff|, |fd|)). On failure a
 * SieveError (`checkGrads: ...`) names the worst failing check; otherwise a report is returned.
 *
 * Directions come from a small seeded generator (no global state): same seed, same checks.
 * The inputs must be concrete tensors, far enough (≫ ε) from kinks and domain boundaries.
 */
import { fail } from '../errors.js';
import { shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { jvp, vjp } from './transforms.js';
import { treeFlatten, treeUnflatten, type PyTree, type TreeDef } from './tree.js';

export type CheckMode = 'rev' | 'fwd';

export interface CheckGradsOptions {
  /** Check derivatives up to this order (1 = first derivatives). Default 1. */
  order?: number;
  /** Which modes to check: 'rev' (vjp) and/or 'fwd' (jvp). Default both. */
  modes?: readonly CheckMode[];
  /** Finite-difference step along the random direction. Default 1e-3. */
  eps?: number;
  /** Relative tolerance on <u, J v>. Default 1e-2. */
  rtol?: number;
  /**
   * Absolute tolerance on <u, J v>. Default: the estimated float32 round-off floor of the finite
   * difference for this function and these inputs (see DEFAULT_ROUNDOFF_ULPS).
   */
  atol?: number;
  /** Seed of the random directions. Default 0. */
  seed?: number;
}

export interface GradCheck {
  /** The mode checked: 'rev' (vjp) or 'fwd' (jvp). */
  mode: CheckMode;
  /** Derivative order: 1 for f itself, 2 for its derivative functions, ... */
  order: number;
  /** The function checked: 'f', or a derivative function such as 'vjp(f)' or 'jvp(vjp(f))'. */
  fn: string;
  /** <u, f(x₊) − f(x₋)> / 2ε: the finite-difference estimate of <u, J v>. */
  finiteDifference: number;
  /** <Jᵀu, d> / 2ε (rev) or <u, J d> / 2ε (fwd): the autodiff value of the same quantity. */
  autodiff: number;
  /** |autodiff − finiteDifference|. */
  absError: number;
  /** absError / max(|autodiff|, |finiteDifference|, atol / rtol): the check passes when ≤ rtol. */
  relError: number;
  /** The absolute tolerance used: max(atol, rtol · max(|autodiff|, |finiteDifference|)). */
  tolerance: number;
  /** The atol in force (given, or the estimated round-off floor). */
  atol: number;
  passed: boolean;
}

export interface CheckGradsReport {
  /** The largest relError over all checks (each passed, so with rtol > 0 this is ≤ rtol). */
  maxRelError: number;
  checks: GradCheck[];
}

/*
 * Defaults, for float32.
 *
 * The error of a central difference with step ε is truncation plus round-off:
 *     |fd − <u, J v>| ≈ ε²/6 · |f'''| + ulp(f) / ε   (per unit of u, with |v| ~ 1).
 * - Truncation: with ε = 1e-3 it is ~2e-7 · |f'''|, negligible unless f curves on a scale ≲ 0.05
 *   (e.g. log near 0: keep inputs away from singularities by ≫ ε).
 * - Round-off: f is computed in float32, so each output carries an error of a few half-ulps,
 *   k · 2⁻²⁴ · |f|. Differencing two such values and dividing by 2ε multiplies it by
 *   1/(2ε) = 500: an absolute error of ~k · 3e-5 · Σ|u|·|f|. The default atol is this floor,
 *   computed from the values f actually returned at x₊ and x₋, with a generous k (roundoffUlps:
 *   64 for f, 1024 for derivative functions): it lets a check pass when <u, J v> is too small to
 *   be resolved in float32, and no sooner.
 * - Relative part: ε = 1e-3 balances the two terms for functions of unit scale (the optimum,
 *   (3 ulp/|f'''|)^(1/3) ≈ 5e-3, is flat); what is left relative to |<u, J v>| is round-off hidden
 *   in cancellations inside f (not visible in |f|), ~1e-4-1e-3, and the autodiff result's own
 *   float32 error (~1e-6). rtol = 1e-2 leaves a margin of 10 over that, while a wrong rule (a
 *   sign, a missing term, a wrong factor) is off by O(1) and fails.
 * Using d = fround(x + εv) − fround(x − εv) removes the input rounding, which would otherwise be
 * an error of ulp(x)/ε relative: 6e-3 at |x| = 100.
 */
const DEFAULT_EPS = 1e-3;
const DEFAULT_RTOL = 1e-2;
/**
 * Round-off allowance of the default atol, in half-ulps (2⁻²⁴ relative) of each output of the
 * function checked: f itself, or (order ≥ 2) a derivative function, whose outputs come out of
 * sums that cancel (e.g. σ'(z) = y(1 − y) with y ≈ 1) and so carry more error relative to their
 * size. Measured over MLP / logsumexp∘matmul / lgamma / pow / sigmoid(x xᵀ) / variance /
 * weighted-softmax compositions and hundreds of seeds: typically ≤ 8 at order 1 (up to ~65 when the
 * output itself is a cancelling sum, where rtol then carries the check), ≤ ~250 at orders 2 and 3.
 * With these defaults none of several thousand such runs failed falsely, while a rule off by 5%
 * (25%, a sign) failed for 91% (97%, 99.5%) of seeds on sum(exp(x)): the rest drew a projection
 * <u, J v> too small to resolve in float32.
 */
function roundoffUlps(order: number): number {
  return order === 1 ? 64 : 1024;
}
const HALF_ULP = 2 ** -24;

// ---------------------------------------------------------------------------------------------
// A small deterministic generator: mulberry32 for uniforms, Box–Muller for normals.

class Directions {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  private uniform(): number {
    // mulberry32: one 32-bit state, full period; two draws make a 53-bit uniform in [0, 1).
    const next = (): number => {
      this.state = (this.state + 0x6d2b79f5) | 0;
      let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    };
    return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  }
  /** Standard normal values, rounded to float32 (so a tensor of them holds exactly these values). */
  normal(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u1 = 1 - this.uniform(); // (0, 1]
      const u2 = this.uniform();
      out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
    return out;
  }
  /** Random tensors with the shapes of `like`. */
  tensors(like: readonly Tensor[]): Tensor[] {
    return like.map((t) => Tensor.fromData(this.normal(t.size), t.shape));
  }
}

// ---------------------------------------------------------------------------------------------
// Arguments as a flat list of tensor leaves.

// biome-ignore lint/suspicious/noExplicitAny: f takes the caller's own argument types, and we must call it.
type Fn = (...args: any[]) => PyTree;

interface FlatArgs {
  leaves: Tensor[];
  /** Rebuild the argument list with other leaves in place of these. */
  rebuild(leaves: readonly Tensor[]): PyTree[];
}

function flattenArgs(args: readonly PyTree[]): FlatArgs {
  const defs: TreeDef[] = [];
  const counts: number[] = [];
  const leaves: Tensor[] = [];
  for (const a of args) {
    const [l, def] = treeFlatten(a);
    defs.push(def);
    counts.push(l.length);
    leaves.push(...l);
  }
  const rebuild = (newLeaves: readonly Tensor[]): PyTree[] => {
    let k = 0;
    return defs.map((def, i) => {
      const part = newLeaves.slice(k, k + counts[i]);
      k += counts[i];
      return treeUnflatten(def, part);
    });
  };
  return { leaves, rebuild };
}

function outputLeaves(out: PyTree, what: string): Tensor[] {
  const [leaves] = treeFlatten(out);
  for (const t of leaves) {
    const data = t.dataSync();
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        fail('checkGrads', `${what} is not finite (${data[i]} in an output of shape ${shapeToString(t.shape)})`);
    }
  }
  return leaves;
}

/** Σ a·b over matching leaves, in float64. */
function dot(a: readonly Tensor[], b: readonly (Tensor | Float64Array)[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const x = a[k].dataSync();
    const bk = b[k];
    const y = bk instanceof Tensor ? bk.dataSync() : bk;
    for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  }
  return s;
}

interface Perturbation {
  plus: Tensor[];
  minus: Tensor[];
  /** fround(x + εv) − fround(x − εv), exact in float64. */
  d: Float64Array[];
}

function perturb(leaves: readonly Tensor[], v: readonly Tensor[], eps: number): Perturbation {
  const plus: Tensor[] = [];
  const minus: Tensor[] = [];
  const d: Float64Array[] = [];
  leaves.forEach((x, k) => {
    const xs = x.dataSync();
    const vs = v[k].dataSync();
    const p = new Float32Array(xs.length);
    const m = new Float32Array(xs.length);
    const dk = new Float64Array(xs.length);
    for (let i = 0; i < xs.length; i++) {
      p[i] = xs[i] + eps * vs[i]; // rounded to float32 by the store
      m[i] = xs[i] - eps * vs[i];
      dk[i] = p[i] - m[i];
    }
    plus.push(Tensor.fromData(p, x.shape));
    minus.push(Tensor.fromData(m, x.shape));
    d.push(dk);
  });
  return { plus, minus, d };
}

/** <u, f(x₊) − f(x₋)> in float64, and the round-off scale Σ|u|·(|f(x₊)| + |f(x₋)|). */
function finiteDifference(
  f: Fn,
  flat: FlatArgs,
  pert: Perturbation,
  u: readonly Tensor[],
  fn: string,
): { fd: number; scale: number } {
  const fp = outputLeaves(f(...flat.rebuild(pert.plus)), `${fn} at x + eps·v`);
  const fm = outputLeaves(f(...flat.rebuild(pert.minus)), `${fn} at x - eps·v`);
  let fd = 0;
  let scale = 0;
  for (let k = 0; k < u.length; k++) {
    const us = u[k].dataSync();
    const a = fp[k].dataSync();
    const b = fm[k].dataSync();
    for (let i = 0; i < us.length; i++) {
      fd += us[i] * (a[i] - b[i]);
      scale += Math.abs(us[i]) * (Math.abs(a[i]) + Math.abs(b[i]));
    }
  }
  return { fd, scale };
}

function describeArgs(args: readonly PyTree[]): string {
  const describe = (x: unknown): string => {
    if (x instanceof Tensor) return shapeToString(x.shape);
    if (Array.isArray(x)) return `(${x.map(describe).join(', ')})`;
    if (
      x !== null &&
      typeof x === 'object' &&
      (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null)
    ) {
      return `{${Object.keys(x)
        .sort()
        .map((k) => `${k}: ${describe((x as Record<string, unknown>)[k])}`)
        .join(', ')}}`;
    }
    return typeof x;
  };
  return args.map(describe).join(', ');
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(6)).toString() : String(v);
}

function checkPrimal(
  got: readonly Tensor[],
  expected: readonly Tensor[],
  mode: CheckMode,
  fn: string,
  rtol: number,
): void {
  if (got.length !== expected.length)
    fail(
      'checkGrads',
      `${fn} returned ${got.length} tensors under ${mode === 'rev' ? 'vjp' : 'jvp'} but ${expected.length} when ` +
        `called directly`,
    );
  got.forEach((g, k) => {
    const a = g.dataSync();
    const b = expected[k].dataSync();
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < b.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    if (a.length !== b.length || worst > rtol * scale + 1e-30) {
      fail(
        'checkGrads',
        `the primal output of ${mode === 'rev' ? 'vjp' : 'jvp'}(${fn}) differs from ${fn}(x) by ${fmt(worst)} ` +
          `(output ${k})`,
      );
    }
  });
}

// ---------------------------------------------------------------------------------------------

/**
 * Check the derivatives of `f` at `args` (an array of the arguments: tensors or pytrees of tensors)
 * against float64-accumulated central finite differences, in reverse and/or forward mode, up to
 * `order`. Throws a SieveError describing the worst failing check; returns a report otherwise.
 */
export function checkGrads(
  // biome-ignore lint/suspicious/noExplicitAny: f takes the caller's own argument types, and we must call it.
  f: (...args: any[]) => PyTree,
  args: readonly PyTree[],
  options: CheckGradsOptions = {},
): CheckGradsReport {
  const order = options.order ?? 1;
  const modes = options.modes ?? (['rev', 'fwd'] as const);
  const eps = options.eps ?? DEFAULT_EPS;
  const rtol = options.rtol ?? DEFAULT_RTOL;
  const seed = options.seed ?? 0;
  if (typeof f !== 'function') fail('checkGrads', 'f must be a function');
  if (!Array.isArray(args)) fail('checkGrads', 'args must be an array of the arguments of f');
  if (!Number.isInteger(order) || order < 1) fail('checkGrads', `order must be a positive integer, got ${order}`);
  if (modes.length === 0 || modes.some((m) => m !== 'rev' && m !== 'fwd'))
    fail('checkGrads', `modes must be a non-empty list of 'rev' and 'fwd', got [${modes.join(', ')}]`);
  if (!(eps > 0) || !Number.isFinite(eps)) fail('checkGrads', `eps must be a positive number, got ${eps}`);
  if (!(rtol >= 0) || !Number.isFinite(rtol)) fail('checkGrads', `rtol must be a non-negative number, got ${rtol}`);
  if (options.atol !== undefined && !(options.atol >= 0))
    fail('checkGrads', `atol must be a non-negative number, got ${options.atol}`);
  if (!Number.isInteger(seed)) fail('checkGrads', `seed must be an integer, got ${seed}`);

  const flat = flattenArgs(args);
  const rng = new Directions(seed);
  const checks: GradCheck[] = [];

  const record = (mode: CheckMode, ord: number, fn: string, adRaw: number, fdRaw: number, scale: number): void => {
    const autodiff = adRaw / (2 * eps);
    const finiteDifference = fdRaw / (2 * eps);
    const atol = options.atol ?? (roundoffUlps(ord) * HALF_ULP * scale) / (2 * eps);
    const absError = Math.abs(autodiff - finiteDifference);
    const magnitude = Math.max(Math.abs(autodiff), Math.abs(finiteDifference));
    const tolerance = Math.max(atol, rtol * magnitude);
    const denominator = Math.max(magnitude, rtol > 0 ? atol / rtol : 0);
    const relError = absError === 0 ? 0 : denominator > 0 ? absError / denominator : Infinity;
    const passed = Number.isFinite(absError) && absError <= tolerance;
    checks.push({
      mode,
      order: ord,
      fn,
      finiteDifference,
      autodiff,
      absError,
      relError: Number.isNaN(relError) ? Infinity : relError,
      tolerance,
      atol,
      passed,
    });
  };

  const run = (g: Fn, ord: number, fn: string): void => {
    const value = outputLeaves(g(...args), `${fn}(x)`);
    for (const mode of modes) {
      const v = rng.tensors(flat.leaves);
      const pert = perturb(flat.leaves, v, eps);
      if (mode === 'rev') {
        const [out, pullback] = vjp(g, ...args);
        const [outs, outDef] = treeFlatten(out);
        checkPrimal(outs, value, mode, fn, rtol);
        const u = rng.tensors(outs);
        const cotangents = flattenArgs(pullback(treeUnflatten(outDef, u))).leaves;
        const ad = dot(cotangents, pert.d);
        const { fd, scale } = finiteDifference(g, flat, pert, u, fn);
        record(mode, ord, fn, ad, fd, scale);
        if (ord < order) {
          // x ↦ J(x)ᵀ u' for a fixed random u'.
          const uNext = treeUnflatten(outDef, rng.tensors(outs));
          run((...xs: PyTree[]) => vjp(g, ...xs)[1](uNext), ord + 1, `vjp(${fn})`);
        }
      } else {
        // d as a float32 tangent: exact when x₊ and x₋ are within a factor 2 (Sterbenz), and
        // otherwise off by one rounding (2⁻²⁴ relative), far below any tolerance.
        const tangents = flat.rebuild(
          pert.d.map((dk, k) => Tensor.fromData(Float32Array.from(dk), flat.leaves[k].shape)),
        );
        const [out, tangentOut] = jvp(g, args, tangents);
        const outs = treeFlatten(out)[0];
        checkPrimal(outs, value, mode, fn, rtol);
        const u = rng.tensors(outs);
        const ad = dot(u, treeFlatten(tangentOut)[0]);
        const { fd, scale } = finiteDifference(g, flat, pert, u, fn);
        record(mode, ord, fn, ad, fd, scale);
        if (ord < order) {
          // x ↦ J(x) v' for a fixed random v'.
          const vNext = flat.rebuild(rng.tensors(flat.leaves));
          run((...xs: PyTree[]) => jvp(g, xs, vNext)[1], ord + 1, `jvp(${fn})`);
        }
      }
    }
  };
  run(f, 1, 'f');

  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    const worst = failed.reduce((a, b) => (b.relError > a.relError || Number.isNaN(b.autodiff) ? b : a));
    const how = worst.mode === 'rev' ? 'reverse mode (vjp): <Jᵀu, v>' : 'forward mode (jvp): <u, J v>';
    fail(
      'checkGrads',
      `${worst.mode} check failed at order ${worst.order} on ${worst.fn}: relative error ${fmt(worst.relError)} ` +
        `exceeds rtol ${fmt(rtol)} (|error| ${fmt(worst.absError)} > tolerance ${fmt(worst.tolerance)}, atol ` +
        `${fmt(worst.atol)}); finite difference <u, J v> = ${fmt(worst.finiteDifference)}, ${how} = ` +
        `${fmt(worst.autodiff)}; ${failed.length} of ${checks.length} checks failed; input shapes: ` +
        `${describeArgs(args)}`,
    );
  }
  return { maxRelError: checks.reduce((m, c) => Math.max(m, c.relError), 0), checks };
}
