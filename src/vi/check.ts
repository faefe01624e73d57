/**
 * Tools for verifying gradient estimators (yours or the library's):
 *
 *   exactExpectation  the exact expectation of an estimator's gradient (and loss / bound), for
 *                     models with a small discrete latent space, by enumerating every tuple of
 *                     draws and passing it as `options.fixedDraws`;
 *   checkUnbiased     a z-test of the Monte Carlo mean of independent gradient estimates against a
 *                     reference gradient, Bonferroni-corrected across coordinates;
 *   gradientSnr       per-coordinate signal-to-noise ratio |mean| / std of the gradient estimates.
 *
 * Sign convention: every gradient here is the gradient of the estimator's `loss` (the scalar you
 * minimize, what `valueAndGrad` of the loss returns), with respect to theta and phi, as pytrees of
 * the same structure: `{ theta, phi }`. The gradient of the objective (the bound) is minus it.
 * A part whose argument holds no tensors (e.g. theta = undefined) is left out (undefined).
 *
 * All means and variances are accumulated in float64 (plain numbers).
 */
import { fail } from '../errors.js';
import { valueAndGrad } from '../autodiff/transforms.js';
import { stopGradient } from '../autodiff/custom.js';
import { treeFlatten, treeUnflatten, type TreeDef } from '../autodiff/tree.js';
import { foldIn, key as makeKey, split, type PRNGKey } from '../random/key.js';
import { shapeSize, shapesEqual, shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloor, logAcceptance64, thresholdPerPoint } from './rejection-sampler.js';
import type { Estimator, EstimatorResult, Problem } from './types.js';

/** Gradients (or per-coordinate statistics) with respect to theta and phi, as pytrees. */
export interface GradPair {
  // biome-ignore lint/suspicious/noExplicitAny: shaped like the caller's theta, whose type the Estimator erases.
  theta?: any;
  // biome-ignore lint/suspicious/noExplicitAny: shaped like the caller's phi, whose type the Estimator erases.
  phi?: any;
}

/** What every tool needs: the estimator's arguments (options without fixedDraws). */
export interface CheckArgs {
  theta: unknown;
  phi: unknown;
  x: unknown;
  /** The estimator's options, including { problem, samples } (and e.g. threshold for VRS). */
  options: { problem: Problem; samples: number; [name: string]: unknown };
}

// ---- flattening gradients ---------------------------------------------------------------------

type Part = 'theta' | 'phi';

/** Where each gradient coordinate lives: the parts present, their tree structure and leaf shapes. */
interface Layout {
  parts: Part[];
  defs: Partial<Record<Part, TreeDef>>;
  shapes: Partial<Record<Part, number[][]>>;
  /** Offset of each part in the flat vector, and its size. */
  offset: Partial<Record<Part, number>>;
  size: Partial<Record<Part, number>>;
  total: number;
}

function layoutOf(grads: GradPair, parts: Part[]): Layout {
  const layout: Layout = { parts, defs: {}, shapes: {}, offset: {}, size: {}, total: 0 };
  for (const p of parts) {
    const [leaves, def] = treeFlatten(grads[p]);
    layout.defs[p] = def;
    layout.shapes[p] = leaves.map((l) => l.shape.slice());
    layout.offset[p] = layout.total;
    const n = leaves.reduce((s, l) => s + l.size, 0);
    layout.size[p] = n;
    layout.total += n;
  }
  return layout;
}

function flattenInto(grads: GradPair, layout: Layout, out: Float64Array): void {
  for (const p of layout.parts) {
    let o = layout.offset[p]!;
    for (const leaf of treeFlatten(grads[p])[0]) {
      const d = leaf.dataSync();
      for (let i = 0; i < d.length; i++) out[o + i] = d[i];
      o += d.length;
    }
  }
}

function unflatten(values: ArrayLike<number>, layout: Layout): GradPair {
  const out: GradPair = {};
  for (const p of layout.parts) {
    let o = layout.offset[p]!;
    const leaves = layout.shapes[p]!.map((shape) => {
      const n = shapeSize(shape);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = values[o + i];
      o += n;
      return Tensor.fromData(data, shape);
    });
    out[p] = treeUnflatten(layout.defs[p]!, leaves);
  }
  return out;
}

/** A readable name for flat coordinate j, e.g. "phi.W[1,2]" (object keys in sorted order). */
function coordinateName(j: number, layout: Layout): string {
  for (const p of layout.parts) {
    const start = layout.offset[p]!;
    if (j < start || j >= start + layout.size[p]!) continue;
    let rest = j - start;
    const paths: string[] = [];
    const walk = (d: TreeDef, path: string): void => {
      if (d.kind === 'leaf') paths.push(path);
      else if (d.kind === 'array') d.children.forEach((c, i) => walk(c, `${path}[${i}]`));
      else if (d.kind === 'object') d.children.forEach((c, i) => walk(c, `${path}.${d.keys[i]}`));
    };
    walk(layout.defs[p]!, p);
    const shapes = layout.shapes[p]!;
    for (let l = 0; l < shapes.length; l++) {
      const n = shapeSize(shapes[l]);
      if (rest < n) {
        if (shapes[l].length === 0) return paths[l];
        const idx: number[] = [];
        for (let a = shapes[l].length - 1; a >= 0; a--) {
          idx.unshift(rest % shapes[l][a]);
          rest = Math.floor(rest / shapes[l][a]);
        }
        return `${paths[l]}[${idx.join(',')}]`;
      }
      rest -= n;
    }
  }
  return `#${j}`;
}

// ---- running the estimator --------------------------------------------------------------------

function checkEstimator(op: string, estimator: unknown): asserts estimator is Estimator<never> {
  if (typeof estimator !== 'function')
    fail(op, `estimator must be an estimator function, got ${estimator === null ? 'null' : typeof estimator}`);
  const info = (estimator as { info?: { drawsFrom?: unknown } }).info;
  if (
    info === undefined ||
    info === null ||
    typeof info !== 'object' ||
    (info.drawsFrom !== 'q' && info.drawsFrom !== 'r')
  ) {
    fail(
      op,
      "estimator has no valid `info` metadata ({ name, drawsFrom: 'q' | 'r', reparameterized, minSamples }); wrap it " +
        'with withInfo(f, info)',
    );
  }
}

function checkArgs(op: string, args: unknown, needsKey: boolean): void {
  if (args === null || typeof args !== 'object')
    fail(op, `the second argument must be an object { ${needsKey ? 'key, ' : ''}theta, phi, x, options, ... }`);
  const a = args as Partial<CheckArgs> & { key?: unknown };
  if (a.options === null || typeof a.options !== 'object')
    fail(op, "options (the estimator's options, with { problem, samples }) is required");
  const p = a.options.problem as Problem | undefined;
  if (p === null || typeof p !== 'object' || typeof p.logJoint !== 'function' || typeof p.guide !== 'function') {
    fail(op, 'options.problem must be { logJoint(theta, z, x), guide(phi, x) }');
  }
  if (a.options.fixedDraws !== undefined) {
    fail(
      op,
      needsKey
        ? 'options.fixedDraws must not be set: every draw would be identical (remove it to draw independent estimates)'
        : 'options.fixedDraws must not be set: exactExpectation supplies every tuple of draws itself',
    );
  }
}

interface Evaluated {
  flat: Float64Array;
  loss: number;
  bound: number;
  result: EstimatorResult;
}

/** Evaluate loss and its gradients w.r.t. the parts of (theta, phi) that hold tensors. */
function makeEvaluator(op: string, estimator: Estimator<never>, args: CheckArgs) {
  const parts: Part[] = [];
  if (treeFlatten(args.theta)[0].length > 0) parts.push('theta');
  if (treeFlatten(args.phi)[0].length > 0) parts.push('phi');
  if (parts.length === 0) fail(op, 'theta and phi hold no tensors: there is nothing to differentiate');
  const argnums = parts.map((p) => (p === 'theta' ? 0 : 1));
  let layout: Layout | undefined;
  const evaluate = (k: PRNGKey, fixedDraws?: Tensor): Evaluated => {
    let result: EstimatorResult | undefined;
    const f = (th: unknown, ph: unknown): Tensor => {
      const options = fixedDraws === undefined ? args.options : { ...args.options, fixedDraws };
      result = estimator(k, th, ph, args.x, options as never);
      return result.loss;
    };
    const [loss, g] = valueAndGrad(f, argnums)(args.theta, args.phi) as [Tensor, unknown[]];
    const grads: GradPair = {};
    parts.forEach((p, i) => (grads[p] = g[i]));
    if (layout === undefined) layout = layoutOf(grads, parts);
    const flat = new Float64Array(layout.total);
    flattenInto(grads, layout, flat);
    return { flat, loss: loss.item(), bound: result!.bound, result: result! };
  };
  return { evaluate, parts, layout: () => layout! };
}

// ---- exactExpectation ------------------------------------------------------------------------

/** Extra keys used to check that an estimator's result does not depend on the key given fixedDraws. */
const PROBE_KEYS = 4;

export interface ExactExpectationOptions extends CheckArgs {
  /** Key passed to the estimator (only for anything it draws besides the latents; default key(0)). */
  key?: PRNGKey;
  /**
   * Every latent value, once: shape [K, ...eventShape] (for a Categorical guide [K]; for
   * Bernoulli(...).toEvent(1) over {0,1}^d, the 2^d rows). Must carry all of q's mass.
   */
  support: Tensor;
  /** Refuse when more than this many estimator evaluations would be needed (default 200,000). */
  maxTuples?: number;
}

export interface ExactExpectationResult {
  /** E[∇ loss] with respect to theta and phi (pytrees like the gradient; float64 sums, float32 storage). */
  grad: GradPair;
  /** E[loss] (float64). */
  loss: number;
  /** E[bound]: the estimator's reported bound, averaged exactly over the draws (float64). */
  bound: number;
  /** Tuples of draws per data point: K^samples. */
  tuples: number;
  /** Estimator evaluations actually made (zero-probability tuples are skipped; includes the 5 of the key check). */
  evaluations: number;
  drawsFrom: 'q' | 'r';
  /** 'r' only: the exact log Z_R = log E_q[a(z)] per data point. */
  logNormalizer?: Float64Array;
}

/**
 * The exact expectation of an estimator's gradient, loss and bound over its random draws, for a
 * model whose latent takes few values: every N-tuple (N = options.samples) of values from
 * `support` is passed as `options.fixedDraws`, and the results are weighted by
 *   Π_i q(z_i)   for estimators with info.drawsFrom === 'q' (i.i.d. draws from the guide), or
 *   Π_s r(z_s)   for 'r' (accepted samples of the rejection sampler: VRS), where
 *                r(z) ∝ q(z) a(z), a(z) = ε + (1 − ε) σ(lw(z) + T), lw = log p_θ(x, z) − log q_φ(z),
 *                computed exactly from problem.logJoint and the guide (options.threshold T,
 *                options.acceptanceFloor ε, both per data point as the estimator reads them).
 *
 * Batches (local latents): if the guide has a batch shape [B...], each data point's draws are
 * enumerated independently: the expectation of a loss that is a sum of per-data-point terms (every
 * estimator in src/vi) is Σ_b E_b, and E_b is obtained by enumerating data point b's draws while
 * the others are held at a fixed tuple o:
 *   E[∇loss] = Σ_b Σ_t P_b(t) ∇loss(t at b, o elsewhere) − (B − 1) ∇loss(o).
 * That costs B·K^N + 1 evaluations instead of K^{N·B}. (The subtraction loses some float32
 * precision for large B; keep B small.)
 *
 * Only estimators whose randomness is all in the draws can be enumerated: the gradient must not
 * depend on the key once fixedDraws are given (checked on one tuple with 5 keys), and reparameterized
 * estimators are refused (their fixedDraws are noise, not latent values). The expected `bound` of
 * an 'r' estimator includes whatever it does with the key (VRS estimates Z_R from extra draws);
 * `logNormalizer` gives the exact log Z_R.
 */
export function exactExpectation(estimator: Estimator<never>, args: ExactExpectationOptions): ExactExpectationResult {
  const op = 'exactExpectation';
  checkEstimator(op, estimator);
  checkArgs(op, args, false);
  const info = estimator.info;
  if (info.reparameterized) {
    fail(
      op,
      `${info.name} is reparameterized: its fixedDraws are noise, not latent values, so enumerating a discrete ` +
        `support does not apply (use checkUnbiased with a reference gradient instead)`,
    );
  }
  const { options, theta, phi, x } = args;
  const k0 = args.key ?? makeKey(0);
  const N = options.samples;
  if (!Number.isInteger(N) || N < 1) fail(op, `options.samples must be a positive integer, got ${String(N)}`);
  const maxTuples = args.maxTuples ?? 200_000;
  if (!Number.isInteger(maxTuples) || maxTuples < 1)
    fail(op, `maxTuples must be a positive integer, got ${String(maxTuples)}`);

  const q = options.problem.guide(phi, x);
  const batchShape = q.batchShape.slice();
  const eventShape = q.eventShape.slice();
  const B = shapeSize(batchShape);
  const E = shapeSize(eventShape);
  const support = args.support;
  if (!(support instanceof Tensor))
    fail(op, `support must be a Tensor of shape [K, ...eventShape], got ${support === null ? 'null' : typeof support}`);
  if (
    support.ndim !== 1 + eventShape.length ||
    !shapesEqual(support.shape.slice(1), eventShape) ||
    support.shape[0] < 1
  ) {
    fail(
      op,
      `support of shape ${shapeToString(support.shape)} must be [K, ...eventShape] with K >= 1 and eventShape ` +
        `${shapeToString(eventShape)} (the guide is ${q.toString()})`,
    );
  }
  const K = support.shape[0];
  const tuples = K ** N;
  const evaluationsNeeded = B * tuples + (B > 1 ? 1 : 0);
  if (evaluationsNeeded > maxTuples) {
    fail(
      op,
      `enumeration needs ${evaluationsNeeded.toLocaleString('en-US')} estimator evaluations (${K}^${N} tuples of ` +
        `draws${B > 1 ? ` for each of ${B} data points` : ''}), more than maxTuples = ` +
        `${maxTuples.toLocaleString('en-US')}; use fewer samples, a smaller support or batch, or raise maxTuples`,
    );
  }

  // Every support point for every data point: [K, ...batch, ...event].
  const sData = support.dataSync();
  const expanded = new Float32Array(K * B * E);
  for (let k = 0; k < K; k++)
    for (let b = 0; b < B; b++) for (let e = 0; e < E; e++) expanded[(k * B + b) * E + e] = sData[k * E + e];
  const zAll = Tensor.fromData(expanded, [K, ...batchShape, ...eventShape]);
  const qd = q.detach();
  const lq = stopGradient(qd.logProb(zAll)).dataSync(); // [K, B]
  const lpT = options.problem.logJoint(stopGradient(theta), zAll, x);
  if (!shapesEqual(lpT.shape, [K, ...batchShape])) {
    fail(
      op,
      `problem.logJoint returned shape ${shapeToString(lpT.shape)} for the ${K} support points; expected [K, ` +
        `...guide batch shape] = ${shapeToString([K, ...batchShape])}`,
    );
  }
  const lp = lpT.primal().dataSync();

  // log P_b(k): q's mass (checked to be complete), or r's.
  const logP = new Float64Array(K * B);
  let logNormalizer: Float64Array | undefined;
  const T = info.drawsFrom === 'r' ? readThreshold(op, options, batchShape) : undefined;
  if (T !== undefined) logNormalizer = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let mass = 0;
    for (let k = 0; k < K; k++) mass += Math.exp(lq[k * B + b]);
    if (!(Math.abs(mass - 1) <= 1e-4)) {
      fail(
        op,
        `the support carries ${mass.toPrecision(6)} of q's probability${B > 1 ? ` for data point ${b}` : ''}, ` +
          'not 1: list every latent value exactly once (shape [K, ...eventShape])',
      );
    }
    const lz = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const l = lq[k * B + b] - Math.log(mass); // renormalized: the weights sum to 1 exactly
      lz[k] = T === undefined ? l : l + logAcceptance64(lp[k * B + b] - lq[k * B + b], T.values[b], T.floor);
    }
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, lz[k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(lz[k] - m);
    const lse = m + Math.log(s);
    if (!Number.isFinite(lse))
      fail(op, `the draws have no probability${B > 1 ? ` for data point ${b}` : ''} (log normalizer ${lse})`);
    for (let k = 0; k < K; k++) logP[k * B + b] = lz[k] - lse;
    if (logNormalizer !== undefined) logNormalizer[b] = lse;
  }

  // The fixed tuple o for the other data points: each data point's most likely value (under
  // P·p(x, z), so its log weight is finite), repeated N times.
  const base = new Float32Array(N * B * E);
  for (let b = 0; b < B; b++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let k = 0; k < K; k++) {
      const score = logP[k * B + b] + lp[k * B + b];
      if (score > bestScore) {
        bestScore = score;
        best = k;
      }
    }
    if (best < 0)
      fail(op, `no support point has positive probability and finite log joint${B > 1 ? ` for data point ${b}` : ''}`);
    for (let i = 0; i < N; i++) for (let e = 0; e < E; e++) base[(i * B + b) * E + e] = sData[best * E + e];
  }
  const drawShape = [N, ...batchShape, ...eventShape];
  const ev = makeEvaluator(op, estimator, args);

  // The estimator must take all its randomness from fixedDraws: same draws, other keys, same
  // result. (Several keys: an estimator that ignores fixedDraws could draw the same small tuple
  // by chance.)
  const g0 = ev.evaluate(k0, Tensor.fromData(base.slice(), drawShape));
  let evaluations = 1;
  const differs = (a: number, b: number) =>
    !(Math.abs(a - b) <= 1e-6 * (1 + Math.abs(a))) && !(Number.isNaN(a) && Number.isNaN(b));
  for (let p = 0; p < PROBE_KEYS; p++) {
    const g1 = ev.evaluate(foldIn(k0, 0x5eed + p), Tensor.fromData(base.slice(), drawShape));
    evaluations++;
    if (differs(g0.loss, g1.loss) || g0.flat.some((v, j) => differs(v, g1.flat[j]))) {
      fail(
        op,
        `${info.name}'s loss or gradient changes with the key although fixedDraws are given: it ignores ` +
          `options.fixedDraws or draws something else, so its expectation cannot be enumerated`,
      );
    }
  }

  const layout = ev.layout();
  const acc = new Float64Array(layout.total);
  let accLoss = 0;
  let accBound = 0;
  if (B > 1) {
    for (let j = 0; j < acc.length; j++) acc[j] = -(B - 1) * g0.flat[j];
    accLoss = -(B - 1) * g0.loss;
    accBound = -(B - 1) * g0.bound;
  }
  const idx = new Int32Array(N);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < tuples; t++) {
      let r = t;
      let logW = 0;
      for (let i = N - 1; i >= 0; i--) {
        idx[i] = r % K;
        r = Math.floor(r / K);
        logW += logP[idx[i] * B + b];
      }
      const w = Math.exp(logW);
      if (w === 0) continue;
      const draws = base.slice();
      for (let i = 0; i < N; i++) for (let e = 0; e < E; e++) draws[(i * B + b) * E + e] = sData[idx[i] * E + e];
      const g = ev.evaluate(k0, Tensor.fromData(draws, drawShape));
      evaluations++;
      for (let j = 0; j < acc.length; j++) acc[j] += w * g.flat[j];
      accLoss += w * g.loss;
      accBound += w * g.bound;
    }
  }
  return {
    grad: unflatten(acc, layout),
    loss: accLoss,
    bound: accBound,
    tuples,
    evaluations,
    drawsFrom: info.drawsFrom,
    logNormalizer,
  };
}

function readThreshold(
  op: string,
  options: CheckArgs['options'],
  batchShape: number[],
): { values: Float64Array; floor: number } {
  const threshold = options.threshold as number | Tensor | undefined;
  if (threshold === undefined)
    fail(
      op,
      "the estimator draws from r (info.drawsFrom === 'r') but options.threshold is missing: r ∝ q·a needs T (and " +
        'optionally acceptanceFloor)',
    );
  const floor = checkFloor(op, options.acceptanceFloor as number | undefined);
  return { values: thresholdPerPoint(op, threshold, batchShape).values, floor };
}

// ---- Monte Carlo tools -----------------------------------------------------------------------

export interface MonteCarloOptions extends CheckArgs {
  /** Independent gradient estimates to draw (each with its own key, split from `key`). */
  draws: number;
  key: PRNGKey;
}

interface Moments {
  layout: Layout;
  mean: Float64Array;
  /** Sample standard deviation (n − 1). */
  sd: Float64Array;
  draws: number;
}

/** Welford mean and variance (float64) of `draws` independent gradient estimates. */
function sampleGradients(op: string, estimator: Estimator<never>, args: MonteCarloOptions): Moments {
  checkEstimator(op, estimator);
  checkArgs(op, args, true);
  const n = args.draws;
  if (!Number.isInteger(n) || n < 2)
    fail(op, `draws must be an integer >= 2 (a few hundred or more for a reliable check), got ${String(n)}`);
  if (args.key === undefined) fail(op, 'key (a PRNGKey) is required');
  const keys = split(args.key, n);
  const ev = makeEvaluator(op, estimator, args);
  let mean: Float64Array | undefined;
  let m2: Float64Array | undefined;
  for (let d = 0; d < n; d++) {
    const { flat } = ev.evaluate(keys[d]);
    if (mean === undefined) {
      mean = new Float64Array(flat.length);
      m2 = new Float64Array(flat.length);
    }
    for (let j = 0; j < flat.length; j++) {
      const delta = flat[j] - mean[j];
      mean[j] += delta / (d + 1);
      m2![j] += delta * (flat[j] - mean[j]);
    }
  }
  const sd = Float64Array.from(m2!, (v) => Math.sqrt(v / (n - 1)));
  return { layout: ev.layout(), mean: mean!, sd, draws: n };
}

/**
 * Φ^{-1}(p), the standard normal quantile, by Acklam's rational approximation (relative error
 * below 1.2e-9 on (0, 1)).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    fail('normalQuantile', `p must be in [0, 1], got ${p}`);
  }
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const u = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * u + c[1]) * u + c[2]) * u + c[3]) * u + c[4]) * u + c[5]) /
      ((((d[0] * u + d[1]) * u + d[2]) * u + d[3]) * u + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const u = p - 0.5;
  const r = u * u;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

export interface CheckUnbiasedOptions extends MonteCarloOptions {
  /**
   * Probability that an unbiased estimator fails the check (default 1e-3), under the normal
   * approximation of the mean (CLT): split across coordinates by Bonferroni, so the per-coordinate
   * two-sided threshold is Φ^{-1}(1 − falseAlarmRate / (2 · coordinates)).
   */
  falseAlarmRate?: number;
}

export interface CheckUnbiasedResult {
  /** true: no evidence of bias. false: the mean is further from the reference than chance allows — bias is likely. */
  ok: boolean;
  /** max_j |z_j| over the checked coordinates. */
  maxAbsZ: number;
  /** The Bonferroni-corrected threshold on |z_j|. */
  threshold: number;
  /** The coordinate with the largest |z|, e.g. "phi.logits[2]". */
  worst: string;
  /** z_j = (mean_j − reference_j) / stdErr_j (pytrees like the reference). */
  zScores: GradPair;
  /** Monte Carlo mean of the gradient of the loss. */
  mean: GradPair;
  /** Standard error of the mean (sample std / √draws). */
  stdErr: GradPair;
  draws: number;
  /** Number of coordinates checked. */
  coordinates: number;
  falseAlarmRate: number;
}

/**
 * Is the estimator unbiased for `reference`? Draws `draws` independent gradient estimates (keys
 * split from `key`; gradients of the loss, see the module comment), and for every coordinate of
 * the parts given in `reference` ({ theta?, phi? }, pytrees shaped like the gradient, e.g.
 * `exactExpectation(...).grad`, or minus the gradient of an exact bound) computes
 *
 *   z_j = (mean_j − reference_j) / (sd_j / √draws).
 *
 * ok = max |z_j| ≤ Φ^{-1}(1 − falseAlarmRate / (2m)) over the m checked coordinates (Bonferroni).
 * An unbiased estimator fails with probability at most about `falseAlarmRate` (exactly so only if
 * the mean is normal: use a few hundred draws or more, more for heavy-tailed estimators); ok = false
 * means the estimator is likely biased for that reference. A biased estimator passes when its bias
 * is small compared with the standard error: more draws detect smaller biases. A coordinate with
 * zero sample variance is compared exactly (to 1e-5 relative): z = 0 if equal, else ±Infinity.
 */
export function checkUnbiased(
  estimator: Estimator<never>,
  reference: GradPair,
  args: CheckUnbiasedOptions,
): CheckUnbiasedResult {
  const op = 'checkUnbiased';
  if (
    reference === null ||
    typeof reference !== 'object' ||
    (reference.theta === undefined && reference.phi === undefined)
  ) {
    fail(
      op,
      "reference must be { theta?, phi? } with at least one part: gradients of the loss shaped like the estimator's " +
        '(e.g. exactExpectation(...).grad)',
    );
  }
  const rate = args?.falseAlarmRate ?? 1e-3;
  if (typeof rate !== 'number' || !(rate > 0 && rate < 1))
    fail(op, `falseAlarmRate must be a number in (0, 1), got ${String(rate)}`);
  // Check the reference against theta / phi (the gradient has their structure) before sampling.
  checkArgs(op, args, true);
  const checked: Part[] = [];
  const refLeaves: Partial<Record<Part, Tensor[]>> = {};
  for (const p of ['theta', 'phi'] as Part[]) {
    if (reference[p] === undefined) continue;
    const [argLeaves, argDef] = treeFlatten(args[p]);
    if (argLeaves.length === 0)
      fail(op, `reference.${p} is given but ${p} holds no tensors, so the estimator has no ${p} gradient`);
    const [leaves, def] = treeFlatten(reference[p]);
    const same = JSON.stringify(stripConst(def)) === JSON.stringify(stripConst(argDef));
    if (
      !same ||
      leaves.length !== argLeaves.length ||
      leaves.some((l, i) => !shapesEqual(l.shape, argLeaves[i].shape))
    ) {
      fail(
        op,
        `reference.${p} must have the structure and shapes of the ${p} gradient: leaves ` +
          `${argLeaves.map((l) => shapeToString(l.shape)).join(', ')}; got ` +
          `${leaves.map((l) => shapeToString(l.shape)).join(', ') || 'no tensors'}`,
      );
    }
    refLeaves[p] = leaves;
    checked.push(p);
  }
  const mo = sampleGradients(op, estimator, args);
  const { layout } = mo;
  const ref = new Float64Array(layout.total);
  for (const p of checked) {
    let o = layout.offset[p]!;
    for (const l of refLeaves[p]!) {
      const d = l.dataSync();
      for (let i = 0; i < d.length; i++) ref[o + i] = d[i];
      o += d.length;
    }
  }
  const z = new Float64Array(layout.total);
  const se = new Float64Array(layout.total);
  let m = 0;
  let maxAbsZ = 0;
  let worst = -1;
  for (const p of checked) {
    const o = layout.offset[p]!;
    for (let j = o; j < o + layout.size[p]!; j++) {
      se[j] = mo.sd[j] / Math.sqrt(mo.draws);
      const diff = mo.mean[j] - ref[j];
      if (se[j] > 0) z[j] = diff / se[j];
      else
        z[j] =
          Math.abs(diff) <= 1e-5 * Math.max(1, Math.abs(ref[j]))
            ? 0
            : diff > 0 || Number.isNaN(diff)
              ? Infinity
              : -Infinity;
      if (Number.isNaN(z[j])) z[j] = Infinity;
      m++;
      if (Math.abs(z[j]) > maxAbsZ || worst < 0) {
        maxAbsZ = Math.abs(z[j]);
        worst = j;
      }
    }
  }
  if (m === 0) fail(op, 'the reference has no coordinates to check');
  for (const p of layout.parts) {
    if (checked.includes(p)) continue;
    const o = layout.offset[p]!;
    for (let j = o; j < o + layout.size[p]!; j++) {
      se[j] = mo.sd[j] / Math.sqrt(mo.draws);
      z[j] = NaN;
    }
  }
  const threshold = normalQuantile(1 - rate / (2 * m));
  const keep = (g: GradPair): GradPair => {
    const out: GradPair = {};
    for (const p of checked) out[p] = g[p];
    return out;
  };
  return {
    ok: maxAbsZ <= threshold,
    maxAbsZ,
    threshold,
    worst: coordinateName(worst, layout),
    zScores: keep(unflatten(z, layout)),
    mean: unflatten(mo.mean, layout),
    stdErr: unflatten(se, layout),
    draws: mo.draws,
    coordinates: m,
    falseAlarmRate: rate,
  };
}

/** A TreeDef without constant values (constants are not compared). */
function stripConst(d: TreeDef): unknown {
  if (d.kind === 'const') return 'const';
  if (d.kind === 'leaf') return 'leaf';
  if (d.kind === 'array') return d.children.map(stripConst);
  return { keys: d.keys, children: d.children.map(stripConst) };
}

export interface GradientSnrResult {
  /** |mean| / std per coordinate (0 where both are 0, Infinity where only std is 0). */
  snr: GradPair;
  /** Mean of the gradient of the loss. */
  mean: GradPair;
  /** Sample standard deviation (n − 1) of the gradient estimates. */
  std: GradPair;
  draws: number;
}

/**
 * Per-coordinate signal-to-noise ratio |mean| / std of `draws` independent gradient estimates
 * (keys split from `key`), with respect to theta and phi (parts holding no tensors are left out).
 * The SNR of a mean of n estimates is √n times this.
 */
export function gradientSnr(estimator: Estimator<never>, args: MonteCarloOptions): GradientSnrResult {
  const mo = sampleGradients('gradientSnr', estimator, args);
  const snr = Float64Array.from(mo.mean, (mu, j) => {
    const s = mo.sd[j];
    if (s > 0) return Math.abs(mu) / s;
    return mu === 0 ? 0 : Infinity;
  });
  return {
    snr: unflatten(snr, mo.layout),
    mean: unflatten(mo.mean, mo.layout),
    std: unflatten(mo.sd, mo.layout),
    draws: mo.draws,
  };
}
