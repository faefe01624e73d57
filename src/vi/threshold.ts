/**
 * Choosing the threshold T of VRS / RVRS: the γ-quantile rule of Grover et al. 2018 (Algorithm 2, eq. 8) and
 * the target-acceptance rule of Jankowiak & Phan 2023 (docs/estimator-math.md §5.5, §6.6).
 *
 * - quantileThreshold: the VRS heuristic (eq. 8, Algorithm 2): T_γ(x) = the γ-quantile of −lw under
 *   q, from N_T draws, per data point; then about a fraction γ of proposals have a ≥ ½.
 *   quantileSchedule refreshes it every F steps (Algorithm 2 starts from T = +∞ and refreshes at
 *   step 0, F, 2F, ...; T is held fixed in between, ignoring its dependence on θ, φ).
 * - adaptThreshold: the RVRS target-acceptance rule: minimize ½(Z_R − Z_tgt)² by SGD on T with the
 *   unbiased leave-one-out gradient estimate from the round-0 proposal of each of the S chains
 *   (i.i.d. from q; the estimators report them as diagnostics.firstLogA):
 *     g_T = (1/S) Σ_s (ā_{−s} − Z_tgt) · a_s (1 − a_s),   E[g_T] = (Z_R − Z_tgt) E_q[a(1 − a)]
 *   (with a floor ε the factor a(1 − a) is replaced by the exact (1 − ε) σ(1 − σ), σ = (a_ε − ε)/(1 − ε)),
 *   optional momentum g̃ ← γ_m g̃ + (1 − γ_m) g_T, and T ← T − η_T g̃ (η_T may be a schedule).
 *   Z_R > Z_tgt makes T decrease (more rejection, tighter bound) and vice versa.
 * - initialThreshold: T_0 = −ELBO estimate per data point (typical samples then have a ≈ ½).
 *   Adaptation cannot start from T = +∞ (a ≡ 1 gives g_T = 0): start from initialThreshold.
 * - takeThresholds / putThresholds: per-data-point thresholds T_n for a data set of N points,
 *   read and written for the members of a minibatch (Semi-RVRS, docs/estimator-math.md §6.8).
 */
import { fail } from '../errors.js';
import { stopGradient } from '../autodiff/custom.js';
import type { PRNGKey } from '../random/key.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkSampleCount, logJointOf } from './common.js';
import { checkLogWeights } from './logweights.js';
import type { Problem } from './types.js';

export interface QuantileThresholdOptions {
  problem: Problem;
  /** Quantile level γ ∈ (0, 1) (the VRS paper uses 0.9 and 0.95). */
  gamma: number;
  /** N_T: draws from q per data point. */
  samples: number;
}

/** −lw = log q − log p for N draws from q: a [N, B] float64 matrix (row-major, flat) and the batch shape. */
function negLogWeights(
  op: string,
  key: PRNGKey,
  theta: unknown,
  phi: unknown,
  x: unknown,
  problem: Problem,
  n: number,
): { v: Float32Array; B: number; batchShape: number[] } {
  const q = problem.guide(stopGradient(phi), x).detach();
  checkSampleCount(op, n, 1, q);
  const z = q.sample(key, [n]);
  const lp = logJointOf(op, problem, stopGradient(theta), z, x, q);
  const negLw = q.logProb(z).sub(lp);
  checkLogWeights(op, negLw.neg(), { eachDraw: true }); // a NaN would make the threshold meaningless
  const v = negLw.dataSync();
  return { v, B: shapeSize(q.batchShape), batchShape: q.batchShape.slice() };
}

/**
 * The empirical γ-quantile of −lw = log q(z|x) − log p(x, z) under q, per data point (shape: the
 * guide's batch shape). Definition: the ⌈γ N⌉-th smallest of N draws (inverse empirical CDF), so
 * at least a fraction γ of the draws have −lw ≤ T, i.e. a = σ(lw + T) ≥ ½.
 */
export function quantileThreshold(
  key: PRNGKey,
  theta: unknown,
  phi: unknown,
  x: unknown,
  options: QuantileThresholdOptions,
): Tensor {
  const op = 'quantileThreshold';
  const { gamma, samples: n } = options;
  if (typeof gamma !== 'number' || !(gamma > 0 && gamma < 1)) fail(op, `gamma must be in (0, 1), got ${String(gamma)}`);
  checkSampleCount(op, n, 1);
  const { v, B, batchShape } = negLogWeights(op, key, theta, phi, x, options.problem, n);
  const out = new Float32Array(B);
  const col = new Float64Array(n);
  const k = Math.max(1, Math.ceil(gamma * n)) - 1;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) col[i] = v[i * B + b];
    col.sort();
    out[b] = col[k];
  }
  return Tensor.fromData(out, batchShape);
}

/**
 * T_0 = −(ELBO estimate) = mean of log q − log p over N draws from q, per data point
 * (docs/estimator-math.md §6.6).
 */
export function initialThreshold(
  key: PRNGKey,
  theta: unknown,
  phi: unknown,
  x: unknown,
  options: { problem: Problem; samples: number },
): Tensor {
  const op = 'initialThreshold';
  checkSampleCount(op, options.samples, 1);
  const n = options.samples;
  const { v, B, batchShape } = negLogWeights(op, key, theta, phi, x, options.problem, n);
  const out = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i * B + b];
    out[b] = s / n;
  }
  return Tensor.fromData(out, batchShape);
}

export interface QuantileScheduleState {
  /** The threshold to use at this step (+Infinity before the first refresh). */
  threshold: number | Tensor;
  /** Steps taken. */
  step: number;
}

/**
 * Algorithm 2's threshold schedule: `init()` gives T = +∞; `update` refreshes T to the γ-quantile
 * when step mod `every` = 0 (so at the first call) and counts the step. Use the returned state's
 * threshold for this step's estimator call.
 */
export function quantileSchedule(options: QuantileThresholdOptions & { every: number }) {
  const every = options.every;
  if (!Number.isInteger(every) || every < 1)
    fail('quantileSchedule', `every must be an integer >= 1, got ${String(every)}`);
  return {
    init(): QuantileScheduleState {
      return { threshold: Infinity, step: 0 };
    },
    update(
      key: PRNGKey,
      theta: unknown,
      phi: unknown,
      x: unknown,
      state: QuantileScheduleState,
    ): QuantileScheduleState {
      const threshold = state.step % every === 0 ? quantileThreshold(key, theta, phi, x, options) : state.threshold;
      return { threshold, step: state.step + 1 };
    },
  };
}

export interface AdaptThresholdState {
  /** Smoothed gradient g̃ per data point. */
  velocity: Float64Array;
  /** Updates taken (t in a learning-rate schedule). */
  count: number;
}

export interface AdaptThresholdOptions {
  /** Z_tgt: the target acceptance rate (reference default 0.33). */
  target: number;
  /** η_T: a number (default 1) or a schedule t ↦ η_T(t), t = 0, 1, ... (e.g. t ↦ (t + 1)^−κ). */
  lr?: number | ((t: number) => number);
  /** γ_m ∈ [0, 1): momentum on the T-gradient (default 0; reference class default 0.99). */
  momentum?: number;
  /** ε used by the sampler (default 0); gives the exact dZ/dT factor (1 − ε) σ(1 − σ). */
  acceptanceFloor?: number;
  /** The state from the previous call (omit at the first). */
  state?: AdaptThresholdState;
}

/**
 * The unbiased leave-one-out estimate g_T of dL/dT for L = ½(Z_R − Z_tgt)², per data point, from
 * firstLogA of shape [S, ...batch] (S ≥ 2 i.i.d. draws from q per data point).
 */
export function thresholdGradient(firstLogA: Tensor, target: number, acceptanceFloor = 0): Float64Array {
  const op = 'thresholdGradient';
  if (!(firstLogA instanceof Tensor) || firstLogA.ndim < 1 || firstLogA.shape[0] < 2) {
    fail(
      op,
      'firstLogA must be a tensor [S, ...batch] with S >= 2 (the estimators report it as diagnostics.firstLogA)',
    );
  }
  const eps = acceptanceFloor;
  const S = firstLogA.shape[0];
  const d = firstLogA.dataSync();
  const B = d.length / S;
  const g = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let tot = 0;
    for (let s = 0; s < S; s++) tot += Math.exp(d[s * B + b]);
    let acc = 0;
    for (let s = 0; s < S; s++) {
      const a = Math.exp(d[s * B + b]);
      const sig = eps === 0 ? a : Math.min(1, Math.max(0, (a - eps) / (1 - eps)));
      acc += ((tot - a) / (S - 1) - target) * (1 - eps) * sig * (1 - sig);
    }
    g[b] = acc / S;
  }
  return g;
}

/**
 * One step of the target-acceptance rule (docs/estimator-math.md §6.6). T is a number (for a batch
 * shape []) or a tensor broadcasting to the batch shape of firstLogA; the new threshold has the same
 * kind (a tensor of the batch shape when T is a tensor or the batch has more than one point).
 */
export function adaptThreshold(
  threshold: number | Tensor,
  firstLogA: Tensor,
  options: AdaptThresholdOptions,
): { threshold: number | Tensor; state: AdaptThresholdState; gradient: Float64Array } {
  const op = 'adaptThreshold';
  const { target } = options;
  if (typeof target !== 'number' || !(target > 0 && target < 1))
    fail(op, `target must be in (0, 1), got ${String(target)}`);
  const momentum = options.momentum ?? 0;
  if (!(momentum >= 0 && momentum < 1)) fail(op, `momentum must be in [0, 1), got ${String(momentum)}`);
  const eps = options.acceptanceFloor ?? 0;
  if (!(eps >= 0 && eps < 1)) fail(op, `acceptanceFloor must be in [0, 1), got ${String(eps)}`);
  const g = thresholdGradient(firstLogA, target, eps);
  const B = g.length;
  const batchShape = firstLogA.shape.slice(1);
  const prev = options.state;
  if (prev !== undefined && prev.velocity.length !== B)
    fail(op, `state has ${prev.velocity.length} data points, firstLogA has ${B}`);
  const count = prev?.count ?? 0;
  const lrOpt = options.lr ?? 1;
  const lr = typeof lrOpt === 'number' ? lrOpt : lrOpt(count);
  if (!Number.isFinite(lr) || lr < 0) fail(op, `lr must be a finite non-negative number, got ${lr} at update ${count}`);
  const velocity = new Float64Array(B);
  for (let b = 0; b < B; b++)
    velocity[b] = momentum === 0 ? g[b] : momentum * (prev?.velocity[b] ?? 0) + (1 - momentum) * g[b];
  let T: Float64Array;
  if (typeof threshold === 'number') T = new Float64Array(B).fill(threshold);
  else {
    const t = threshold.primal().broadcastTo(batchShape).dataSync();
    T = Float64Array.from(t);
  }
  for (let b = 0; b < B; b++) {
    if (!Number.isFinite(T[b]))
      fail(op, `threshold must be finite to adapt (got ${T[b]} at data point ${b}); start from initialThreshold`);
    T[b] -= lr * velocity[b];
  }
  const state = { velocity, count: count + 1 };
  if (typeof threshold === 'number' && B === 1 && batchShape.length === 0)
    return { threshold: T[0], state, gradient: g };
  return { threshold: Tensor.fromData(Float32Array.from(T), batchShape), state, gradient: g };
}

/** The thresholds of minibatch members `indices` from a per-data-point table of shape [N]. */
export function takeThresholds(table: Tensor, indices: readonly number[]): Tensor {
  const d = table.dataSync();
  const out = new Float32Array(indices.length);
  indices.forEach((i, j) => {
    if (!Number.isInteger(i) || i < 0 || i >= d.length)
      fail('takeThresholds', `index ${i} out of range for ${d.length} data points`);
    out[j] = d[i];
  });
  return Tensor.fromData(out, [indices.length]);
}

/** A new table with the thresholds of `indices` replaced by `values` (shape [indices.length]); others unchanged. */
export function putThresholds(table: Tensor, indices: readonly number[], values: Tensor | number): Tensor {
  const out = table.dataSync().slice();
  const v = typeof values === 'number' ? null : values.dataSync();
  if (v !== null && v.length !== indices.length)
    fail('putThresholds', `${v.length} values for ${indices.length} indices`);
  indices.forEach((i, j) => {
    if (!Number.isInteger(i) || i < 0 || i >= out.length)
      fail('putThresholds', `index ${i} out of range for ${out.length} data points`);
    out[i] = v === null ? (values as number) : v[j];
  });
  return Tensor.fromData(out, table.shape.slice());
}

// ---- The threshold policy of a training run (applied by `train` in train.ts) --------------------

/** How a training run sets the threshold T of vrs / rvrs at each step. */
export type ThresholdPolicy = FixedThresholdPolicy | QuantileThresholdPolicy | AdaptiveThresholdPolicy;

/** T never changes. */
export interface FixedThresholdPolicy {
  kind: 'fixed';
  threshold: number | Tensor;
}

/**
 * For a minibatch, what a threshold belongs to:
 * - 'per-point' (default): each data point of this step's batch has its own T (a tensor of the guide's
 *   batch shape; a number for batch shape []). Right for full-batch training, and for minibatches when
 *   T is recomputed at every step.
 * - 'shared': one number T for every data point, the batch mean: the next batches hold other points,
 *   so per-point values computed on this batch would belong to the wrong points.
 * - 'centred' (adaptive only): T_n = −ELBO_n + δ, the data point's own −ELBO estimate recomputed at
 *   every step plus one shared offset δ that adapts (data points whose log-likelihoods differ by tens
 *   of nats then sit at similar acceptance rates; each point is seen too rarely to adapt its own T).
 */
export type MinibatchThresholds = 'per-point' | 'shared' | 'centred';

/** VRS (Grover et al. 2018, Algorithm 2): T = the γ-quantile of −lw under q, refreshed every `every` steps. */
export interface QuantileThresholdPolicy {
  kind: 'quantile';
  /** γ ∈ (0, 1). */
  gamma: number;
  /** N_T: draws from q per data point for each refresh. */
  samples: number;
  /** Refresh when step mod every = 0 (Algorithm 2 starts at step 0; T is held fixed in between). */
  every: number;
  minibatch?: 'per-point' | 'shared';
}

/**
 * RVRS (Jankowiak & Phan 2023): after every step T moves toward a target acceptance rate by
 * `adaptThreshold`'s rule, from T_0 = −ELBO (`initialThreshold`) or `initial`.
 */
export interface AdaptiveThresholdPolicy {
  kind: 'adaptive';
  /** Z_tgt ∈ (0, 1). */
  target: number;
  /** Draws from q per data point for T_0 = −ELBO (and for the centre of 'centred'). */
  samples: number;
  /** Start from this T instead of −ELBO ('per-point' and 'shared'). */
  initial?: number | Tensor;
  /** η_T (default 1) or a schedule of the update count. */
  lr?: number | ((t: number) => number);
  /** γ_m ∈ [0, 1) (default 0). */
  momentum?: number;
  /** ε of the estimator (default 0). */
  acceptanceFloor?: number;
  minibatch?: MinibatchThresholds;
  /**
   * Restart from −ELBO at the next step when the mean acceptance rate leaves [below, above]: once it
   * saturates at 0 or 1 the T-gradient a(1 − a) vanishes and the rule cannot recover by itself.
   */
  restart?: { below: number; above: number };
}

/** What a policy carries from step to step: plain data, so a run can be saved and resumed. */
export interface ThresholdState {
  /** T of the next step (the offset δ for 'centred'); undefined until first set. */
  threshold: number | Tensor | undefined;
  /** The adaptive rule's momentum and update count. */
  adapt: AdaptThresholdState | undefined;
  /** The restart rule fired: start again from −ELBO at the next step. */
  restartPending: boolean;
  /** Restarts so far. */
  restarts: number;
}

export function initialThresholdState(policy?: ThresholdPolicy): ThresholdState {
  const threshold =
    policy?.kind === 'fixed'
      ? policy.threshold
      : policy?.kind === 'adaptive' && policy.minibatch === 'centred'
        ? 0
        : policy?.kind === 'adaptive'
          ? policy.initial
          : undefined;
  return { threshold, adapt: undefined, restartPending: false, restarts: 0 };
}

/** The mean of a tensor's values (float64 sum), or the number itself. */
function meanValue(t: number | Tensor): number {
  if (typeof t === 'number') return t;
  const d = t.dataSync();
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i];
  return s / d.length;
}

function meanValue64(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** adaptThreshold's update for one shared number T, given the batch-mean gradient estimate g. */
function moveSharedThreshold(
  T: number,
  g: number,
  policy: AdaptiveThresholdPolicy,
  prev: AdaptThresholdState | undefined,
): { threshold: number; adapt: AdaptThresholdState } {
  const momentum = policy.momentum ?? 0;
  const count = prev?.count ?? 0;
  const lr = typeof policy.lr === 'function' ? policy.lr(count) : (policy.lr ?? 1);
  if (!Number.isFinite(lr) || lr < 0) {
    fail('thresholdAfterStep', `lr must be a finite non-negative number, got ${lr} at update ${count}`);
  }
  const v = momentum === 0 ? g : momentum * (prev?.velocity[0] ?? 0) + (1 - momentum) * g;
  return { threshold: T - lr * v, adapt: { velocity: Float64Array.of(v), count: count + 1 } };
}

/** A scalar tensor as a number (estimators accept both; a number keeps T a number when adapting). */
function numberIfScalar(t: Tensor): number | Tensor {
  return t.ndim === 0 ? t.item() : t;
}

function checkPolicy(op: string, policy: ThresholdPolicy): void {
  const kinds = ['fixed', 'quantile', 'adaptive'];
  if (policy === null || typeof policy !== 'object' || !kinds.includes(policy.kind)) {
    fail(op, `threshold policy must be { kind: 'fixed' | 'quantile' | 'adaptive', ... }, got ${String(policy?.kind)}`);
  }
  const minibatch = policy.kind === 'quantile' ? policy.minibatch : undefined;
  if (minibatch !== undefined && minibatch !== 'per-point' && minibatch !== 'shared') {
    fail(op, `a quantile policy's minibatch must be 'per-point' or 'shared', got ${String(minibatch)}`);
  }
  if (policy.kind === 'quantile' && (!Number.isInteger(policy.every) || policy.every < 1)) {
    fail(op, `a quantile policy's every must be an integer >= 1, got ${String(policy.every)}`);
  }
  if (policy.kind === 'adaptive' && policy.restart !== undefined) {
    const { below, above } = policy.restart;
    if (!(below >= 0 && below < above && above <= 1)) {
      fail(op, `restart needs 0 <= below < above <= 1, got [${below}, ${above}]`);
    }
  }
}

/**
 * The threshold for this step and the state to carry on. Computes T from q (under the current
 * parameters, on this step's batch x) when the policy asks for it: quantile refreshes, the first
 * step and restarts of the adaptive rule, and the centre of every 'centred' step.
 */
export function thresholdForStep(
  policy: ThresholdPolicy,
  state: ThresholdState,
  key: PRNGKey,
  step: number,
  theta: unknown,
  phi: unknown,
  x: unknown,
  problem: Problem,
): { threshold: number | Tensor; state: ThresholdState } {
  checkPolicy('thresholdForStep', policy);
  if (policy.kind === 'fixed') return { threshold: policy.threshold, state: { ...state, threshold: policy.threshold } };
  const shared = policy.minibatch === 'shared';
  if (policy.kind === 'quantile') {
    if (step % policy.every !== 0 && state.threshold !== undefined) return { threshold: state.threshold, state };
    const q = quantileThreshold(key, theta, phi, x, { problem, gamma: policy.gamma, samples: policy.samples });
    const threshold = shared ? meanValue(q) : numberIfScalar(q);
    return { threshold, state: { ...state, threshold } };
  }
  const options = { problem, samples: policy.samples };
  if (policy.minibatch === 'centred') {
    const delta = state.restartPending ? 0 : ((state.threshold as number | undefined) ?? 0);
    const restarts = state.restarts + (state.restartPending ? 1 : 0);
    const centre = initialThreshold(key, theta, phi, x, options);
    return { threshold: centre.add(delta), state: { ...state, threshold: delta, restartPending: false, restarts } };
  }
  if (state.threshold !== undefined && !state.restartPending) return { threshold: state.threshold, state };
  const restarts = state.restarts + (state.threshold !== undefined ? 1 : 0);
  const start = initialThreshold(key, theta, phi, x, options);
  const threshold = shared ? meanValue(start) : numberIfScalar(start);
  return { threshold, state: { threshold, adapt: undefined, restartPending: false, restarts } };
}

/**
 * After the step: the adaptive rule moves T from the estimator's diagnostics (firstLogA and the
 * acceptance rate); the other policies keep their state. 'shared' and 'centred' move one number by
 * the batch mean of the per-point gradient estimates g_T.
 */
export function thresholdAfterStep(
  policy: ThresholdPolicy,
  state: ThresholdState,
  diagnostics: { firstLogA?: Tensor; acceptanceRate?: Tensor },
): ThresholdState {
  const op = 'thresholdAfterStep';
  if (policy.kind !== 'adaptive') return state;
  const { firstLogA, acceptanceRate } = diagnostics;
  if (firstLogA === undefined) {
    fail(op, 'the adaptive threshold policy needs diagnostics.firstLogA (rvrs, vrs or semiRvrs without fixedDraws)');
  }
  if (state.threshold === undefined) fail(op, 'no threshold yet: call thresholdForStep before the step');
  let next: ThresholdState;
  if (policy.minibatch === 'shared' || policy.minibatch === 'centred') {
    const g = thresholdGradient(firstLogA, policy.target, policy.acceptanceFloor ?? 0);
    const moved = moveSharedThreshold(meanValue(state.threshold), meanValue64(g), policy, state.adapt);
    next = { ...state, threshold: moved.threshold, adapt: moved.adapt };
  } else {
    const a = adaptThreshold(state.threshold, firstLogA, {
      target: policy.target,
      lr: policy.lr,
      momentum: policy.momentum,
      acceptanceFloor: policy.acceptanceFloor,
      state: state.adapt,
    });
    next = { ...state, threshold: a.threshold, adapt: a.state };
  }
  const r = policy.restart;
  if (r !== undefined && acceptanceRate !== undefined) {
    const acceptance = meanValue(acceptanceRate);
    if (acceptance > r.above || acceptance < r.below) next = { ...next, restartPending: true, adapt: undefined };
  }
  return next;
}
