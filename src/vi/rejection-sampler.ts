/**
 * The rejection sampler of variational rejection sampling (Algorithm 1 of Grover et al. 2018; the
 * lockstep form of docs/estimator-math.md §6.7), and the acceptance arithmetic shared by VRS and RVRS
 * (docs/estimator-math.md §5.1, §6.1–6.3, §10).
 *
 * Resampled proposal. For a guide q, log weight lw(z) = log p(x, z) − log q(z | x), threshold T and
 * acceptance floor ε ∈ [0, 1):
 *
 *   a_ε(z) = ε + (1 − ε) σ(lw(z) + T)          (ε = 0: a = σ(lw + T), log a = logSigmoid(lw + T))
 *   r(z)   = q(z) a_ε(z) / Z_R,  Z_R = E_q[a_ε]
 *
 * Algorithm 1 draws z ~ q and accepts it iff log u < log a_ε(z) with log u = −Exponential(1)
 * (always accepts when a = 1, so T = +Infinity accepts everything).
 *
 * Vectorization. All data points (the guide's batch) and S lanes run in lockstep rounds: every
 * round draws one proposal per lane for every data point (one `q.sample(key, [S])` call and one
 * logJoint evaluation of shape [S, ...batch]). For each data point the proposals are then read in
 * sequence order (round, lane) and the first S accepted ones are kept; proposals of the final round
 * after the S-th acceptance are discarded (not counted). So each data point's result is exactly
 * that of running Algorithm 1 S times in a row, and:
 *   - the accepted samples are i.i.d. from r;
 *   - the number of proposals counted for a data point is negative binomial (mean S / Z_R);
 *   - round 0 is always complete: its S proposals are i.i.d. draws from q whose log a is returned
 *     as `firstLogA` (the input of the T-adaptation estimator g_T of docs/estimator-math.md §6.6);
 *   - log Ẑ_R = LSE(every counted log a) − log(#counted) (docs/estimator-math.md §6.5), computed in float64.
 *
 * Cap. `maxProposals` (per data point, default 10,000) bounds the proposals counted for each data
 * point; the loop therefore stops after at most ceil(maxProposals / S) rounds and never hangs. A data
 * point that reaches the cap with fewer than S acceptances is *exhausted*: it keeps the samples it
 * accepted (`accepted[b] < S`; the empty slots hold an arbitrary proposal and `mask` 0 there). The
 * estimators use what it has when at least 2 samples were accepted and mask it out otherwise
 * (docs/estimator-math.md §6.7).
 *
 * Keys. Round r uses foldIn(key, r), split into a proposal key and a uniform key; the same key and
 * inputs give the same result.
 */
import { fail } from '../errors.js';
import { stopGradient } from '../autodiff/custom.js';
import type { Distribution } from '../dist/distribution.js';
import { foldIn, split } from '../random/key.js';
import type { PRNGKey } from '../random/key.js';
import { exponential } from '../random/continuous.js';
import { broadcastTo } from '../tensor/ops/movement.js';
import { add, div, log, logSigmoid, mul, sigmoid, square, where } from '../tensor/ops/index.js';
import { shapeSize, shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkSampleCount, drawElementLimit, logJointOf } from './common.js';
import { checkLogWeights } from './logweights.js';
import type { Problem } from './types.js';

/** Default cap on the proposals counted per data point. */
export const DEFAULT_MAX_PROPOSALS = 10_000;

// ---- float64 acceptance arithmetic ----------------------------------------------------------

/** log σ(u) = −softplus(−u), stable for any u (±Infinity allowed). */
export function logSigmoid64(u: number): number {
  return u >= 0 ? -Math.log1p(Math.exp(-u)) : u - Math.log1p(Math.exp(u));
}

/** σ(u) without overflow. */
export function sigmoid64(u: number): number {
  if (u >= 0) return 1 / (1 + Math.exp(-u));
  const e = Math.exp(u);
  return e / (1 + e);
}

function logAddExp64(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * log a_ε = log(ε + (1 − ε) σ(lw + T)) in float64; T = +Infinity gives 0 (a = 1) for any lw.
 * Finite for |lw| up to 1e4 and beyond: log a = logSigmoid(lw + T) never overflows.
 */
export function logAcceptance64(lw: number, threshold: number, floor = 0): number {
  if (threshold === Infinity) return 0;
  const ls = logSigmoid64(lw + threshold);
  if (floor === 0) return ls;
  return Math.min(0, logAddExp64(Math.log(floor), Math.log1p(-floor) + ls)); // a ≤ 1 despite rounding
}

/** A_ε = lw − log a_ε (= lw + softplus(−lw − T) for ε = 0): the log ratio log p − log(q a). */
export function acceptanceLogRatio64(lw: number, threshold: number, floor = 0): number {
  return lw - logAcceptance64(lw, threshold, floor);
}

// ---- tensor (differentiable) acceptance arithmetic -------------------------------------------

/** Constant threshold tensor with +Infinity entries replaced by 0, and the mask of those entries. */
function splitInfinite(threshold: Tensor | number): { finite: Tensor | number; inf: Tensor | null; allInf: boolean } {
  if (typeof threshold === 'number')
    return { finite: threshold === Infinity ? 0 : threshold, inf: null, allInf: threshold === Infinity };
  const d = threshold.dataSync();
  let any = false;
  let all = d.length > 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === Infinity) any = true;
    else all = false;
  }
  if (!any) return { finite: stopGradient(threshold), inf: null, allInf: false };
  const inf = threshold.primal().eq(Infinity);
  return { finite: where(inf, 0, threshold.primal()), inf, allInf: all };
}

/**
 * log a_ε(lw) = log(ε + (1 − ε) σ(lw + T)) as a differentiable function of lw (T constant; it may
 * be a tensor broadcasting with lw, and +Infinity entries give exactly 0 with zero derivative).
 */
export function logAcceptance(lw: Tensor, threshold: Tensor | number, floor = 0): Tensor {
  const { finite, inf, allInf } = splitInfinite(threshold);
  if (allInf) return mul(lw, 0); // a ≡ 1: log a = 0 with zero derivative (shape of lw)
  const u = add(lw, finite);
  const la = floor === 0 ? logSigmoid(u) : log(add(mul(sigmoid(u), 1 - floor), floor));
  return inf === null ? la : where(inf, 0, la);
}

/**
 * ρ(u) = 1 − d log a_ε/du = (λ + σ²)/(λ + σ) with σ = σ(lw + T), λ = ε/(1 − ε) (docs/estimator-math.md §6.2); ρ = σ for
 * ε = 0 and ρ = 1 where T = +Infinity. Differentiable in lw.
 */
export function acceptanceRho(lw: Tensor, threshold: Tensor | number, floor = 0): Tensor {
  const { finite, inf, allInf } = splitInfinite(threshold);
  if (allInf) return add(mul(lw, 0), 1);
  const s = sigmoid(add(lw, finite));
  let rho: Tensor;
  if (floor === 0) rho = s;
  else {
    const lambda = floor / (1 - floor);
    rho = div(add(square(s), lambda), add(s, lambda));
  }
  return inf === null ? rho : where(inf, 1, rho);
}

/** ρ in float64 (see acceptanceRho). */
export function acceptanceRho64(lw: number, threshold: number, floor = 0): number {
  if (threshold === Infinity) return 1;
  const s = sigmoid64(lw + threshold);
  if (floor === 0) return s;
  const lambda = floor / (1 - floor);
  return (lambda + s * s) / (lambda + s);
}

// ---- option checking ------------------------------------------------------------------------

/** Check ε ∈ [0, 1). */
export function checkFloor(op: string, floor: number | undefined): number {
  const f = floor ?? 0;
  if (typeof f !== 'number' || !(f >= 0 && f < 1))
    fail(op, `acceptanceFloor must be a number in [0, 1), got ${String(floor)}`);
  return f;
}

/**
 * Check the proposal cap: an integer ≥ S whose worst case, maxProposals log-acceptance values
 * recorded for each of the `batch` data points, fits in the draw limit (`maxDrawElements`).
 */
export function checkMaxProposals(
  op: string,
  maxProposals: number | undefined,
  samples: number,
  batch = 1,
  maxDrawElements?: number,
): number {
  const m = maxProposals ?? DEFAULT_MAX_PROPOSALS;
  if (!Number.isInteger(m) || m < samples)
    fail(op, `maxProposals must be an integer >= samples (${samples}), got ${String(maxProposals)}`);
  const limit = drawElementLimit(op, maxDrawElements);
  if (m * batch > limit) {
    fail(
      op,
      `maxProposals = ${m} for ${batch} data points would record up to ${m * batch} log-acceptance values, ` +
        `more than the limit of ${limit}; lower maxProposals or raise options.maxDrawElements`,
    );
  }
  return m;
}

/**
 * The threshold of every data point, as float64 values (length = batch size) and as a constant
 * tensor of the guide's batch shape. T may be a number or a tensor broadcasting to the batch
 * shape; +Infinity is allowed (no rejection); NaN is refused, and so is −Infinity (a ≡ ε).
 */
export function thresholdPerPoint(
  op: string,
  threshold: number | Tensor,
  batchShape: readonly number[],
): { values: Float64Array; tensor: Tensor } {
  let t: Tensor;
  if (typeof threshold === 'number') {
    t = Tensor.fromData(new Float32Array(shapeSize(batchShape)).fill(threshold), batchShape.slice());
  } else if (threshold instanceof Tensor) {
    try {
      t = broadcastTo(stopGradient(threshold), batchShape.slice());
    } catch {
      return fail(
        op,
        `threshold of shape ${shapeToString(threshold.shape)} does not broadcast to the guide's batch shape ` +
          `${shapeToString(batchShape)}`,
      );
    }
  } else {
    return fail(
      op,
      `threshold must be a number or a Tensor (per data point), got ${threshold === null ? 'null' : typeof threshold}`,
    );
  }
  const d = t.dataSync();
  const values = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) {
    if (Number.isNaN(d[i]) || d[i] === -Infinity)
      fail(op, `threshold must be a real number or +Infinity, got ${d[i]} at data point ${i}`);
    values[i] = d[i];
  }
  // Keep the user's number exactly when it is a number (a float32 tensor would round it).
  if (typeof threshold === 'number') values.fill(threshold);
  return { values, tensor: t };
}

// ---- the sampler ----------------------------------------------------------------------------

export interface RejectionSampleOptions {
  /** Accepted samples wanted per data point (S ≥ 1). */
  samples: number;
  /** T: a number or a tensor broadcasting to the guide's batch shape; +Infinity = no rejection. */
  threshold: number | Tensor;
  /** ε ∈ [0, 1): accept with probability ε + (1 − ε) σ(lw + T) (bounds expected proposals by S/ε). */
  acceptanceFloor?: number;
  /** Cap on the proposals counted per data point (integer ≥ samples; default 10,000). */
  maxProposals?: number;
  /** Keep the noise of each accepted sample (needs q.hasRsample), for z = q.fromNoise(noise). */
  reparameterized?: boolean;
  /** Memory limit in float32 values (default 2^28): bounds S × batch × event and maxProposals × batch. */
  maxDrawElements?: number;
}

export interface RejectionSampleResult {
  /** Accepted samples, shape [S, ...batch, ...event] (constants). Empty slots (mask 0) hold a proposal. */
  value: Tensor;
  /** Their noise, shape [S, ...q.noiseShapeSuffix], when `reparameterized`; else null. */
  noise: Tensor | null;
  /** 1 where a slot holds an accepted sample, 0 for the empty slots of exhausted data points; shape [S, ...batch]. */
  mask: Tensor;
  /** Accepted samples per data point (≤ S), flat over the batch. */
  accepted: Int32Array;
  /** log Ẑ_R per data point: LSE(all counted log a) − log #counted. */
  logZ: Float64Array;
  /** Proposals counted per data point. */
  proposals: Int32Array;
  /** Sum of `proposals`. */
  totalProposals: number;
  /** Lockstep rounds run (0 when T = +Infinity everywhere: no loop). */
  rounds: number;
  /** Data points that hit the cap before S acceptances. */
  exhausted: Uint8Array;
  exhaustedCount: number;
  /** log a_ε of the round-0 proposal of each lane, shape [S, ...batch] (i.i.d. draws from q;
   * docs/estimator-math.md §6.6). */
  firstLogA: Tensor;
  /** Every counted log a_ε, per data point, in sequence order. */
  logA: Float64Array[];
  /** T per data point (float64). */
  threshold: Float64Array;
}

/**
 * Rejection-sample r ∝ q · a_ε for every data point of q's batch. `logJoint(z)` must return
 * log p(x, z) of shape [S, ...batch] for z of shape [S, ...batch, ...event]; its value is read
 * as a constant (pass parameters under stopGradient to avoid recording a graph).
 */
export function rejectionSample(
  key: PRNGKey,
  q: Distribution,
  logJoint: (z: Tensor) => Tensor,
  options: RejectionSampleOptions,
): RejectionSampleResult {
  return runRejectionSampler('rejectionSample', key, q, logJoint, options);
}

/**
 * @internal rejectionSample reporting errors as operation `op` (the estimator that called it).
 * Non-finite log weights follow the estimators' policy (logweights.ts checkLogWeights): a NaN or +∞
 * proposal is refused at once (NaN compared with a uniform is always false, so it would be rejected
 * forever and the point silently masked); a data point that reaches the cap having seen only −∞ log
 * weights is refused, since no draw of it could ever be accepted.
 */
export function runRejectionSampler(
  op: string,
  key: PRNGKey,
  q: Distribution,
  logJoint: (z: Tensor) => Tensor,
  options: RejectionSampleOptions,
): RejectionSampleResult {
  const S = options.samples;
  checkSampleCount(op, S, 1, q, options.maxDrawElements);
  const floor = checkFloor(op, options.acceptanceFloor);
  const batchShape = q.batchShape.slice();
  const B = shapeSize(batchShape);
  const maxProposals = checkMaxProposals(op, options.maxProposals, S, B, options.maxDrawElements);
  const reparam = options.reparameterized === true;
  if (reparam && !q.hasRsample) fail(op, `reparameterized sampling needs a guide with rsample; ${q.name} has none`);
  const qd = q.detach();
  const T = thresholdPerPoint(op, options.threshold, batchShape).values;
  const allInf = T.every((t) => t === Infinity);

  const accepted = new Int32Array(B);
  const proposals = new Int32Array(B);
  const exhausted = new Uint8Array(B);
  const lse = new Float64Array(B).fill(-Infinity);
  const logA: Float64Array[] = [];
  const logABuf: number[][] = Array.from({ length: B }, () => []);
  const first = new Float32Array(S * B);
  const maskData = new Float32Array(S * B);

  let zOut: Float32Array | null = null;
  let nOut: Float32Array | null = null;
  let zBlock = 0;
  let nBlock = 0;
  let zShape: number[] = [];
  let nShape: number[] = [];

  const draw = (k: PRNGKey): { z: Tensor; noise: Tensor | null } => {
    if (reparam) {
      const d = qd.rsampleWithNoise(k, [S]);
      return { z: stopGradient(d.value), noise: stopGradient(d.noise) };
    }
    return { z: qd.sample(k, [S]), noise: null };
  };
  // Copy block (lane s, data point b) of a proposal into slot j of the output.
  const copy = (src: Float32Array, dst: Float32Array, block: number, s: number, j: number, b: number): void => {
    const from = (s * B + b) * block;
    dst.set(src.subarray(from, from + block), (j * B + b) * block);
  };

  let rounds = 0;
  if (allInf) {
    // T = +Infinity: a ≡ 1, every proposal is accepted; no loop, no logJoint evaluation.
    const [kz] = split(foldIn(key, 0), 2);
    const { z, noise } = draw(kz);
    zOut = z.dataSync().slice();
    zShape = z.shape.slice();
    if (noise !== null) {
      nOut = noise.dataSync().slice();
      nShape = noise.shape.slice();
    }
    accepted.fill(S);
    proposals.fill(S);
    maskData.fill(1);
    lse.fill(Math.log(S)); // S proposals with log a = 0
    for (let b = 0; b < B; b++) logABuf[b] = new Array(S).fill(0);
  } else {
    const maxRounds = Math.ceil(maxProposals / S);
    const done = new Uint8Array(B);
    const sawFinite = new Uint8Array(B); // 1 once a proposal with lw > −∞ was seen
    let remaining = B;
    while (remaining > 0 && rounds < maxRounds) {
      const [kz, ku] = split(foldIn(key, rounds), 2);
      const { z, noise } = draw(kz);
      const zd = z.dataSync();
      const nd = noise?.dataSync() ?? null;
      if (rounds === 0) {
        // Every slot starts with a round-0 proposal, so empty slots always hold a valid value.
        zOut = zd.slice();
        zShape = z.shape.slice();
        zBlock = zd.length / (S * B || 1);
        if (noise !== null && nd !== null) {
          nOut = nd.slice();
          nShape = noise.shape.slice();
          nBlock = nd.length / (S * B || 1);
        }
      }
      const lp = logJoint(z).primal();
      const expected = [S, ...batchShape];
      if (lp.shape.length !== expected.length || lp.shape.some((d, i) => d !== expected[i])) {
        fail(
          op,
          `logJoint returned shape ${shapeToString(lp.shape)} for z of shape ${shapeToString(z.shape)}; expected ` +
            `${shapeToString(expected)}`,
        );
      }
      const lpd = lp.dataSync();
      const lqd = qd.logProb(z).primal().dataSync();
      const lw = new Float32Array(S * B);
      for (let i = 0; i < S * B; i++) lw[i] = lpd[i] - lqd[i];
      checkLogWeights(op, Tensor.fromData(lw, expected), { eachDraw: true });
      const logU = exponential(ku, [S, B]).dataSync();
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        for (let s = 0; s < S; s++) {
          const i = s * B + b;
          const la = logAcceptance64(lpd[i] - lqd[i], T[b], floor);
          if (lw[i] > -Infinity) sawFinite[b] = 1;
          if (rounds === 0) first[i] = la;
          lse[b] = logAddExp64(lse[b], la);
          logABuf[b].push(la);
          proposals[b]++;
          if (la >= 0 || -logU[i] < la) {
            const j = accepted[b]++;
            maskData[j * B + b] = 1;
            copy(zd, zOut!, zBlock, s, j, b);
            if (nd !== null) copy(nd, nOut!, nBlock, s, j, b);
          }
          if (accepted[b] === S) {
            done[b] = 1;
            remaining--;
            break;
          }
          if (proposals[b] >= maxProposals) {
            done[b] = 1;
            exhausted[b] = 1;
            remaining--;
            break;
          }
        }
      }
      rounds++;
    }
    refuseDeadPoints(op, exhausted, sawFinite, proposals);
  }

  const logZ = new Float64Array(B);
  let totalProposals = 0;
  let exhaustedCount = 0;
  for (let b = 0; b < B; b++) {
    logZ[b] = proposals[b] > 0 ? lse[b] - Math.log(proposals[b]) : NaN;
    totalProposals += proposals[b];
    exhaustedCount += exhausted[b];
    logA.push(Float64Array.from(logABuf[b]));
  }
  const value = Tensor.fromData(zOut ?? new Float32Array(0), zShape.length > 0 ? zShape : q.shape([S]));
  return {
    value,
    noise: nOut === null ? null : Tensor.fromData(nOut, nShape),
    mask: Tensor.fromData(maskData, [S, ...batchShape]),
    accepted,
    logZ,
    proposals,
    totalProposals,
    rounds,
    exhausted,
    exhaustedCount,
    firstLogA: Tensor.fromData(first, [S, ...batchShape]),
    logA,
    threshold: T,
  };
}

/** Refuse data points that hit the cap having seen only log weights −∞ (nothing could be accepted). */
function refuseDeadPoints(op: string, exhausted: Uint8Array, sawFinite: Uint8Array, proposals: Int32Array): void {
  let dead = 0;
  let first = -1;
  for (let b = 0; b < exhausted.length; b++) {
    if (exhausted[b] && !sawFinite[b] && dead++ === 0) first = b;
  }
  if (dead === 0) return;
  const who = dead === 1 ? `data point ${first}` : `${dead} data points (first: ${first})`;
  fail(
    op,
    `${who}: all ${proposals[first]} proposals have log weight −Infinity (the model gives zero ` +
      "density to every draw from the guide), so none can be accepted; start the guide inside the model's support",
  );
}

export interface SampleROptions extends RejectionSampleOptions {
  problem: Problem;
}

/**
 * Draw S samples per data point from the resampled proposal r(z | x) ∝ q_φ(z | x) a_ε(z) of a
 * Problem (see rejectionSample for the details and the result).
 */
export function sampleR(
  key: PRNGKey,
  theta: unknown,
  phi: unknown,
  x: unknown,
  options: SampleROptions,
): RejectionSampleResult {
  const { problem } = options;
  const q = problem.guide(stopGradient(phi), x);
  const th = stopGradient(theta);
  return runRejectionSampler('sampleR', key, q, (z) => logJointOf('sampleR', problem, th, z, x, q), options);
}

// ---- per-data-point weights shared by the estimators ------------------------------------------

/**
 * Constant coefficients of the covariance surrogates for the accepted samples of every data
 * point, from A_s (float64, flat [S·B]) and the mask:
 *   mean[s,b] = m_sb / n_b,   cov[s,b] = m_sb (A_sb − Ā_b) / (n_b − 1),
 * with n_b = Σ_s m_sb accepted samples. Data points with n_b < 2 are masked out (both zero).
 */
export function covarianceCoefficients(
  A: ArrayLike<number>,
  mask: ArrayLike<number>,
  S: number,
  B: number,
): {
  mean: Float32Array;
  cov: Float32Array;
  Abar: Float64Array;
  used: Uint8Array;
  usedCount: number;
  counts: Int32Array;
  ess: Float32Array;
} {
  const mean = new Float32Array(S * B);
  const cov = new Float32Array(S * B);
  const Abar = new Float64Array(B).fill(NaN);
  const used = new Uint8Array(B);
  const counts = new Int32Array(B);
  const ess = new Float32Array(B).fill(NaN);
  let usedCount = 0;
  for (let b = 0; b < B; b++) {
    let n = 0;
    let tot = 0;
    let mx = -Infinity;
    for (let s = 0; s < S; s++) {
      if (mask[s * B + b] > 0) {
        n++;
        tot += A[s * B + b];
        mx = Math.max(mx, A[s * B + b]);
      }
    }
    counts[b] = n;
    if (n === 0) continue;
    const abar = tot / n;
    Abar[b] = abar;
    // ESS of the weights exp(A) = p / (q a) over the accepted samples (= n when r is the posterior).
    let w1 = 0;
    let w2 = 0;
    for (let s = 0; s < S; s++) {
      if (mask[s * B + b] > 0) {
        const w = Math.exp(A[s * B + b] - mx);
        w1 += w;
        w2 += w * w;
      }
    }
    ess[b] = (w1 * w1) / w2;
    if (n < 2) continue;
    used[b] = 1;
    usedCount++;
    for (let s = 0; s < S; s++) {
      const i = s * B + b;
      if (mask[i] > 0) {
        mean[i] = 1 / n;
        cov[i] = (A[i] - abar) / (n - 1);
      }
    }
  }
  return { mean, cov, Abar, used, usedCount, counts, ess };
}

/**
 * The scalar loss and bound from per-data-point surrogates when some data points may be masked out (fewer than 2
 * accepted samples, docs/estimator-math.md §6.7): loss = −scale · (B / B_used) · Σ_b surrogate_b, with scale =
 * datasetSize / B for minibatches (else 1); the bound likewise from the per-data-point values of the used points.
 * Masked points get NaN in perDataPoint. With no usable point the loss is 0 (zero gradient) and the bound NaN.
 */
export function finishMasked(
  scale: number,
  surrogate: Tensor,
  values: ArrayLike<number>,
  used: Uint8Array,
  usedCount: number,
  batchShape: readonly number[],
): { loss: Tensor; bound: number; perDataPoint: Tensor } {
  const B = used.length;
  const per = new Float32Array(B);
  let total = 0;
  for (let b = 0; b < B; b++) {
    per[b] = used[b] ? values[b] : NaN;
    if (used[b]) total += values[b];
  }
  const perDataPoint = Tensor.fromData(per, batchShape.slice());
  if (usedCount === 0) return { loss: surrogate.sum().mul(0), bound: NaN, perDataPoint };
  const s = scale * (B / usedCount);
  return { loss: surrogate.sum().mul(-s), bound: s * total, perDataPoint };
}
