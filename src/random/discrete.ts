/**
 * Discrete samplers with a fixed number of words per value: bernoulli (1 word) and categorical
 * (2 words, inverse CDF). Results are float32 tensors holding integers (0/1, or category indices).
 */
import { fail } from '../errors.js';
import { normalizeAxis, shapeSize, shapeToString, stridesOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkKey, type PRNGKey } from './key.js';
import { broadcastIndex, expandParam, multiIndex, outputShape, probability, readParam } from './params.js';
import { randomBits } from './threefry.js';
import { unit53 } from './unit.js';

const TWO_POW_32 = 2 ** 32;

/**
 * 1 with probability p[i], else 0, comparing word i with p[i] * 2^32: exactly
 * ceil(p * 2^32) of the 2^32 possible words give 1, so p = 0 never and p = 1 always gives 1,
 * and any other p is matched within 2^-32.
 */
export function bernoulliFromBits(words: Uint32Array, p: ArrayLike<number>): Float32Array {
  const out = new Float32Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = words[i] < p[i] * TWO_POW_32 ? 1 : 0;
  return out;
}

/** Bernoulli (coin flip) values: 1 with probability p, else 0. */
export function bernoulli(key: PRNGKey, p: Tensor | number, shape?: Shape): Tensor {
  const op = 'bernoulli';
  checkKey(op, key);
  const param = readParam(op, 'p', p, probability);
  const outShape = outputShape(op, param, shape);
  const probs = expandParam(param, outShape);
  return Tensor.fromData(bernoulliFromBits(randomBits(key, probs.length), probs), outShape.slice());
}

/**
 * Category indices by inverse CDF. `cdf` holds one row of K cumulative (unnormalized) weights per
 * batch element; output i uses row `row[i]` and two words: with u uniform in [0, 1), it returns
 * the first k whose cumulative weight exceeds u * total. Categories of weight 0 are never chosen
 * (their cumulative weight equals the previous one), and u * total < total, so some k is found.
 */
export function categoricalFromBits(
  words: Uint32Array,
  cdf: Float64Array,
  numCategories: number,
  row: Uint32Array,
): Float32Array {
  const K = numCategories;
  const out = new Float32Array(row.length);
  for (let i = 0; i < row.length; i++) {
    const base = row[i] * K;
    const target = unit53(words[2 * i], words[2 * i + 1]) * cdf[base + K - 1];
    // Binary search for the first k with cdf[k] > target.
    let lo = 0;
    let hi = K - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[base + mid] > target) hi = mid;
      else lo = mid + 1;
    }
    out[i] = lo;
  }
  return out;
}

export interface CategoricalOptions {
  /** The axis of `logits` that holds the categories (default -1, the last). */
  axis?: number;
  /** Output shape; the batch shape (logits' shape without `axis`) must broadcast to it. */
  shape?: Shape;
}

/**
 * Category indices (as float values) drawn from softmax(logits) along `axis`; the other axes are
 * batch axes, each with its own distribution. Logits may be -Infinity (probability 0), not NaN or
 * +Infinity.
 */
export function categorical(key: PRNGKey, logits: Tensor, opts: CategoricalOptions = {}): Tensor {
  const op = 'categorical';
  checkKey(op, key);
  if (!(logits instanceof Tensor)) fail(op, `logits must be a Tensor, got ${logits === null ? 'null' : typeof logits}`);
  if (logits.ndim === 0) fail(op, 'logits must have at least one dimension (the categories)');
  const axis = normalizeAxis(op, opts.axis ?? -1, logits.ndim);
  const K = logits.shape[axis];
  if (K === 0) fail(op, `logits have no categories: axis ${axis} of shape ${shapeToString(logits.shape)} has size 0`);
  readParam(op, 'logits', logits, (v) => (Number.isNaN(v) || v === Infinity ? 'must not be NaN or +Infinity' : null));

  // Softmax weights exp(l - max) in float64 and their running sums, one row per batch element.
  const batchShape = logits.shape.filter((_, d) => d !== axis);
  const batchSize = shapeSize(batchShape);
  const strides = stridesOf(logits.shape);
  const inner = strides[axis]; // distance between consecutive categories in `values`
  const values = logits.dataSync();
  const cdf = new Float64Array(batchSize * K);
  for (let b = 0; b < batchSize; b++) {
    const start = Math.floor(b / inner) * K * inner + (b % inner); // where row b's category 0 is
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, values[start + k * inner]);
    if (max === -Infinity) {
      const where = batchShape.length === 0 ? '' : ` for batch index [${multiIndex(b, batchShape).join(',')}]`;
      fail(op, `logits are all -Infinity${where}: no category has positive probability`);
    }
    let total = 0;
    for (let k = 0; k < K; k++) {
      total += Math.exp(values[start + k * inner] - max);
      cdf[b * K + k] = total;
    }
  }
  const outShape = outputShape(op, { name: 'batch shape of logits', shape: batchShape }, opts.shape);
  const row = broadcastIndex(batchShape, outShape);
  const words = randomBits(key, 2 * row.length);
  return Tensor.fromData(categoricalFromBits(words, cdf, K, row), outShape.slice());
}
