/**
 * Gamma(alpha, 1) sampling by Marsaglia and Tsang's method ("A simple method for generating gamma
 * variables", ACM TOMS 26(3), 2000), valid for alpha >= 1, with the usual boost for alpha < 1:
 * if G ~ Gamma(alpha + 1) and U ~ Uniform(0, 1] then G * U^(1/alpha) ~ Gamma(alpha).
 * Each output element draws from its own stream, so its value does not depend on the others.
 */
import type { Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkKey, type PRNGKey } from './key.js';
import { all, expandParam, finite, outputShape, positive, readParam } from './params.js';
import { elementStream, type BitStream } from './stream.js';

/**
 * Marsaglia–Tsang for alpha >= 1: d * v with v = (1 + c x)^3, x standard normal, accepted with
 * probability proportional to the ratio of the gamma density to the normal-based hat
 * (on average fewer than 1.1 tries).
 */
function marsagliaTsang(stream: BitStream, alpha: number): number {
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = stream.normal();
      v = 1 + c * x;
    } while (v <= 0); // (1 + c x)^3 must be positive
    v = v * v * v;
    const u = stream.openUniform(); // in (0, 1], so log(u) is finite
    // Cheap squeeze first, then the exact log-density test.
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * One Gamma(alpha, 1) value from `stream` (alpha > 0 and finite). For alpha < 1 the boost is done
 * in log space, exp(log G + log(U) / alpha): dividing by alpha, rather than raising U to 1/alpha
 * (which overflows to Infinity for tiny alpha and meets log(1) = 0 as 0 * Infinity = NaN), keeps
 * every step finite, so a tiny alpha gives a tiny value or 0, never NaN.
 */
export function sampleGamma(stream: BitStream, alpha: number): number {
  if (alpha >= 1) return marsagliaTsang(stream, alpha);
  return Math.exp(sampleLogGamma(stream, alpha));
}

/**
 * The logarithm of one Gamma(alpha, 1) value, from the same draws as `sampleGamma`. For tiny
 * alpha the value itself underflows (Gamma(0.01) < 1e-38 with probability about 0.4) but its log
 * is an ordinary number: Beta and Dirichlet samples are built from log-gammas for that reason.
 */
export function sampleLogGamma(stream: BitStream, alpha: number): number {
  if (alpha >= 1) return Math.log(marsagliaTsang(stream, alpha));
  return Math.log(marsagliaTsang(stream, alpha + 1)) + Math.log(stream.openUniform()) / alpha;
}

/** Gamma values for the given shape parameters, output element i from the stream foldIn(key, i). */
export function gammaKernel(key: PRNGKey, alphas: ArrayLike<number>): Float32Array {
  const out = new Float32Array(alphas.length);
  for (let i = 0; i < alphas.length; i++) out[i] = sampleGamma(elementStream(key, i), alphas[i]);
  return out;
}

/**
 * Gamma(alpha, 1) values (shape alpha, rate 1; divide by a rate to get Gamma(alpha, rate)).
 * `alpha` may be a tensor; it must be > 0 and finite, and broadcast to `shape` if `shape` is given.
 */
export function gamma(key: PRNGKey, alpha: Tensor | number, shape?: Shape): Tensor {
  const op = 'gamma';
  checkKey(op, key);
  const param = readParam(op, 'alpha', alpha, all(positive, finite));
  const outShape = outputShape(op, param, shape);
  return Tensor.fromData(gammaKernel(key, expandParam(param, outShape)), outShape.slice());
}
