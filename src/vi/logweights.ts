/**
 * Log-weight arithmetic shared by the estimators, and their policy on non-finite log weights.
 *
 * Conventions: the sample axis is axis 0; any trailing axes are independent batches (for example
 * one per data point). Leave-one-out quantities are always used under stop-gradient (they are
 * control variates or centring terms), so they are computed here in float64 on concrete values and
 * returned as constants: that is both more accurate and cheaper than tracing them.
 */
import { fail } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { logsumexp } from '../tensor/ops/composite.js';
import { shapeToString } from '../tensor/shape.js';

/**
 * The estimators' policy on non-finite log weights lw = log p(x, z) − log q(z), shape [N, ...batch]:
 *   - NaN anywhere is a bug in the model or the guide: refused.
 *   - +∞ anywhere (q(z) = 0 at a draw, or an unbounded density) makes every weight but one zero and
 *     the gradient NaN: refused.
 *   - −∞ for every draw of a data point (the model gives zero density wherever the guide samples)
 *     leaves no estimate and a NaN or zero gradient: refused.
 *   - −∞ for some draws is allowed: importance-weighted bounds give those draws weight 0, and the ELBO
 *     is then honestly −∞ (loss +∞).
 * Reads the primal values, so it works on traced tensors without touching the gradient.
 */
export interface LogWeightCheck {
  /**
   * A 0/1 mask of shape [N, ...batch] (rejection estimators): only the accepted draws are checked,
   * and a single −∞ among them is refused, since the R-ELBO term A = lw − log a is then −∞.
   */
  accepted?: ArrayLike<number>;
  /** Check each draw on its own (NaN, +∞) and allow all-−∞ columns (one round of a rejection sampler). */
  eachDraw?: boolean;
}

export function checkLogWeights(op: string, lw: Tensor, options: LogWeightCheck = {}): void {
  const { accepted, eachDraw = false } = options;
  checkSamples(op, lw, 1);
  const x = lw.dataSync();
  const n = lw.shape[0];
  const batch = x.length / n;
  const at = (i: number): string => `(first at sample ${Math.floor(i / batch)}, data point ${i % batch})`;
  const what = 'log weights log p(x, z) − log q(z)';
  let nan = 0;
  let firstNan = -1;
  let posInf = 0;
  let firstPosInf = -1;
  let negInf = 0;
  let firstNegInf = -1;
  for (let i = 0; i < x.length; i++) {
    if (accepted !== undefined && !(accepted[i] > 0)) continue;
    const v = x[i];
    if (Number.isNaN(v)) {
      if (nan++ === 0) firstNan = i;
    } else if (v === Infinity) {
      if (posInf++ === 0) firstPosInf = i;
    } else if (v === -Infinity) {
      if (negInf++ === 0) firstNegInf = i;
    }
  }
  const checked = accepted === undefined ? x.length : countAccepted(accepted);
  if (nan > 0) {
    fail(
      op,
      `${nan} of ${checked} ${what} are NaN ${at(firstNan)}: ` +
        "the model's logJoint or the guide's logProb returned NaN",
    );
  }
  if (posInf > 0) {
    fail(
      op,
      `${posInf} of ${checked} ${what} are +Infinity ${at(firstPosInf)}: ` +
        'the guide gives zero density to a draw or the model density is unbounded there, so no weighted estimate ' +
        'exists',
    );
  }
  if (accepted !== undefined) {
    if (negInf > 0) {
      fail(
        op,
        `${negInf} of ${checked} ${what} are −Infinity at an accepted draw ${at(firstNegInf)}: ` +
          'the R-ELBO term A = lw − log a is −∞ there (an acceptance floor accepts draws the model gives zero density)',
      );
    }
    return;
  }
  if (eachDraw || negInf < n) return; // a dead column needs all n entries to be −∞
  let dead = 0;
  let firstDead = -1;
  for (let b = 0; b < batch; b++) {
    let all = true;
    for (let i = 0; i < n && all; i++) all = x[i * batch + b] === -Infinity;
    if (all && dead++ === 0) firstDead = b;
  }
  if (dead > 0) {
    const who = dead === 1 ? `data point ${firstDead}` : `${dead} data points (first: ${firstDead})`;
    fail(
      op,
      `${who}: all ${n} log weights are −Infinity (the model gives zero density to every draw ` +
        "from the guide), so there is no estimate and no gradient; start the guide inside the model's support",
    );
  }
}

function countAccepted(mask: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] > 0) c++;
  return c;
}

/** log((1/N) Σ_i exp(v_i)) over the sample axis: differentiable, stable. */
export function logMeanExp(v: Tensor, axis = 0): Tensor {
  return logsumexp(v, axis).sub(Math.log(v.shape[axis < 0 ? v.ndim + axis : axis]));
}

/** Visit each batch column of a [N, ...batch] array: calls f(offset, stride) for the N entries i*stride + offset. */
function forEachColumn(shape: readonly number[], f: (offset: number, stride: number, n: number) => void): void {
  const n = shape[0];
  let stride = 1;
  for (let i = 1; i < shape.length; i++) stride *= shape[i];
  for (let c = 0; c < stride; c++) f(c, stride, n);
}

function logaddexp64(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

function checkSamples(op: string, v: Tensor, min: number): void {
  if (v.ndim < 1 || v.shape[0] < min) {
    fail(op, `needs at least ${min} samples along axis 0, got shape ${shapeToString(v.shape)}`);
  }
}

/**
 * Leave-one-out log-sum-exp over axis 0: out_i = log Σ_{j≠i} exp(v_j), in O(N) with prefix and
 * suffix log-sum-exps (never by subtracting in linear space). Constant (no gradient). Needs N ≥ 2.
 */
export function leaveOneOutLogSumExp(v: Tensor): Tensor {
  checkSamples('leaveOneOutLogSumExp', v, 2);
  const x = v.dataSync();
  const out = new Float32Array(x.length);
  forEachColumn(v.shape, (c, stride, n) => {
    const prefix = new Float64Array(n + 1).fill(-Infinity); // prefix[i] = LSE(v_0..v_{i-1})
    const suffix = new Float64Array(n + 1).fill(-Infinity); // suffix[i] = LSE(v_i..v_{n-1})
    for (let i = 0; i < n; i++) prefix[i + 1] = logaddexp64(prefix[i], x[c + i * stride]);
    for (let i = n - 1; i >= 0; i--) suffix[i] = logaddexp64(suffix[i + 1], x[c + i * stride]);
    for (let i = 0; i < n; i++) out[c + i * stride] = logaddexp64(prefix[i], suffix[i + 1]);
  });
  return Tensor.fromData(out, v.shape);
}

/** Leave-one-out mean over axis 0: out_i = (Σ_j v_j − v_i)/(N − 1), summed in float64. Constant. */
export function leaveOneOutMean(v: Tensor): Tensor {
  checkSamples('leaveOneOutMean', v, 2);
  const x = v.dataSync();
  const out = new Float32Array(x.length);
  forEachColumn(v.shape, (c, stride, n) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += x[c + i * stride];
    for (let i = 0; i < n; i++) out[c + i * stride] = (total - x[c + i * stride]) / (n - 1);
  });
  return Tensor.fromData(out, v.shape);
}

/** Normalized importance weights W_i = softmax(lw)_i over axis 0 (differentiable). */
export function normalizedWeights(lw: Tensor): Tensor {
  return lw.softmax(0);
}

/** Effective sample size 1 / Σ W_i² per batch column, from log weights (constant). */
export function effectiveSampleSize(lw: Tensor): Tensor {
  checkSamples('effectiveSampleSize', lw, 1);
  const w = normalizedWeights(lw.primal());
  return w.square().sum(0).pow(-1);
}

/** Perplexity exp(−Σ W_i log W_i) per batch column (between 1 and N; constant). */
export function weightPerplexity(lw: Tensor): Tensor {
  checkSamples('weightPerplexity', lw, 1);
  const logW = lw.primal().logSoftmax(0);
  const w = logW.exp();
  // 0 · log 0 = 0: entries with W = 0 contribute nothing.
  const terms = w.mul(logW.maximum(-1e30));
  return terms.sum(0).neg().exp();
}
