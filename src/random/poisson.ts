/**
 * Poisson sampling, exact for every rate (no normal approximation):
 *  - rate 0: always 0;
 *  - rate < 10: Knuth's multiplication method, counting uniforms until their product drops to
 *    exp(-rate) (on average rate + 1 uniforms, so only used for small rates);
 *  - rate >= 10: Hörmann's PTRS transformed rejection ("The transformed rejection method for
 *    generating Poisson random variables", Insurance: Mathematics and Economics 12, 1993), with the
 *    constants used by NumPy; about 1.2 pairs of uniforms per value whatever the rate.
 * Each output element draws from its own stream, so its value does not depend on the other rates.
 */
import type { Shape } from '../tensor/shape.js';
import { lgamma } from '../tensor/special.js';
import { Tensor } from '../tensor/tensor.js';
import { checkKey, type PRNGKey } from './key.js';
import { all, expandParam, finite, nonNegative, outputShape, readParam } from './params.js';
import { elementStream, type BitStream } from './stream.js';

/** Rates below this use Knuth's method, rates at or above it PTRS (NumPy's threshold). */
export const PTRS_MIN_RATE = 10;

/** Knuth: the number of uniforms multiplied before the product first falls to exp(-rate) or below, minus one. */
function poissonKnuth(stream: BitStream, rate: number): number {
  const limit = Math.exp(-rate);
  let count = 0;
  let product = stream.uniform();
  while (product > limit) {
    count++;
    product *= stream.uniform();
  }
  return count;
}

/** Hörmann's PTRS: a transformed-rejection draw from Poisson(rate), rate >= 10. */
function poissonPTRS(stream: BitStream, rate: number): number {
  // Parameters of the hat function (a transformed Cauchy-like envelope) fitted by Hörmann.
  const logRate = Math.log(rate);
  const b = 0.931 + 2.53 * Math.sqrt(rate);
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = stream.uniform() - 0.5;
    const v = stream.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + rate + 0.43);
    // Quick accept: the centre of the hat lies entirely under the Poisson histogram.
    if (us >= 0.07 && v <= vr) return k;
    // Reject: below 0, or in the thin tails where the hat is far above the distribution.
    if (k < 0 || (us < 0.013 && v > us)) continue;
    // Exact test: accept if v * hat(u) <= P(k), compared in log space (log(v) = -Infinity is fine).
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -rate + k * logRate - lgamma(k + 1)) return k;
  }
}

/** One Poisson(rate) value from `stream` (rate >= 0 and finite). */
export function samplePoisson(stream: BitStream, rate: number): number {
  if (rate === 0) return 0;
  return rate < PTRS_MIN_RATE ? poissonKnuth(stream, rate) : poissonPTRS(stream, rate);
}

/** Poisson values for the given rates, output element i from the stream foldIn(key, i). */
export function poissonKernel(key: PRNGKey, rates: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rates.length);
  for (let i = 0; i < rates.length; i++) out[i] = samplePoisson(elementStream(key, i), rates[i]);
  return out;
}

/**
 * Poisson counts (as float values) with the given rate (mean). `rate` may be a tensor; it must
 * be >= 0 and finite, and broadcast to `shape` if `shape` is given. Counts above 2^24 are rounded
 * to the nearest float32.
 */
export function poisson(key: PRNGKey, rate: Tensor | number, shape?: Shape): Tensor {
  const op = 'poisson';
  checkKey(op, key);
  const param = readParam(op, 'rate', rate, all(nonNegative, finite));
  const outShape = outputShape(op, param, shape);
  const rates = expandParam(param, outShape);
  return Tensor.fromData(poissonKernel(key, rates), outShape.slice());
}
