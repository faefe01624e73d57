/**
 * Continuous samplers that are a fixed transform of a fixed number of random words per value:
 * uniform (1 word), exponential (2 words) and normal (4 words per pair of values). Each output
 * element i reads its own words of `randomBits(key, ...)`, so they need no per-element streams.
 *
 * The `...FromBits` functions are the pure kernels (words in, float32 values out); the exported
 * samplers check their arguments, draw the words and wrap the result in a Tensor.
 */
import { fail } from '../errors.js';
import { shapeSize, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkKey, type PRNGKey } from './key.js';
import { all, checkNumber, checkOutputShape, finite, positive } from './params.js';
import { randomBits } from './threefry.js';
import { openUnit53, unit24, unit53 } from './unit.js';

// ---- float32 neighbours, to keep uniform values inside [low, high) after rounding ----

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The float32 next to `f` (a float32 value) towards +Infinity (`up`) or -Infinity. */
function nextFloat32(f: number, up: boolean): number {
  if (f === 0) return up ? 2 ** -149 : -(2 ** -149); // smallest subnormal
  f32[0] = f;
  // For a positive float the bit pattern grows with the value; for a negative one it shrinks.
  i32[0] += f > 0 === up ? 1 : -1;
  return f32[0];
}

/** The smallest float32 that is >= x. */
function float32AtLeast(x: number): number {
  const f = Math.fround(x);
  return f >= x ? f : nextFloat32(f, true);
}

/** The largest float32 that is < x. */
function float32Below(x: number): number {
  const f = Math.fround(x);
  return f < x ? f : nextFloat32(f, false);
}

/**
 * Uniform float32 values in [low, high), one per word. The 24-bit uniform u is < 1, but
 * low + (high - low) * u can still round up to `high` in float32 (e.g. 1 + (1 - 2^-24) rounds to
 * 2), so results are clamped to the float32 values that really lie in [low, high).
 */
export function uniformFromBits(words: Uint32Array, low: number, high: number): Float32Array {
  const lo = float32AtLeast(low);
  const hi = float32Below(high);
  if (!(lo <= hi)) fail('uniform', `no float32 value lies in [${low}, ${high})`);
  const out = new Float32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const v = Math.fround(low + (high - low) * unit24(words[i]));
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/**
 * `n` normal values loc + scale * z by Box–Muller: four words give two uniforms in 53 bits, u1 in
 * (0, 1] (so log(u1) is finite) and u2 in [0, 1), and the pair of independent standard normals
 * r cos(2 pi u2), r sin(2 pi u2) with r = sqrt(-2 log u1). With an odd n the last sine is unused.
 */
export function normalFromBits(words: Uint32Array, n: number, loc: number, scale: number): Float32Array {
  if (words.length < 4 * Math.ceil(n / 2))
    fail('normal', `need ${4 * Math.ceil(n / 2)} random words, got ${words.length}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const w = 2 * i; // four words per pair of outputs
    const radius = Math.sqrt(-2 * Math.log(openUnit53(words[w], words[w + 1])));
    const angle = 2 * Math.PI * unit53(words[w + 2], words[w + 3]);
    out[i] = loc + scale * radius * Math.cos(angle);
    if (i + 1 < n) out[i + 1] = loc + scale * radius * Math.sin(angle);
  }
  return out;
}

/** Exponential values -log(u) / rate with u in (0, 1] from two words (never log 0). */
export function exponentialFromBits(words: Uint32Array, rate: number): Float32Array {
  const out = new Float32Array(words.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = -Math.log(openUnit53(words[2 * i], words[2 * i + 1])) / rate;
  return out;
}

/**
 * Uniform float32 values in [low, high) (the default is [0, 1)). Each value comes from 24 random
 * bits, so [0, 1) uniforms are multiples of 2^-24 and never exactly 1.
 */
export function uniform(key: PRNGKey, shape: Shape = [], low = 0, high = 1): Tensor {
  const op = 'uniform';
  checkKey(op, key);
  const outShape = checkOutputShape(op, shape);
  checkNumber(op, 'low', low, finite);
  checkNumber(op, 'high', high, finite);
  if (!(low < high)) fail(op, `low must be < high, got low=${low}, high=${high}`);
  if (!Number.isFinite(high - low)) fail(op, `high - low must be finite, got low=${low}, high=${high}`);
  const words = randomBits(key, shapeSize(outShape));
  return Tensor.fromData(uniformFromBits(words, low, high), outShape.slice());
}

/** Normal (Gaussian) values with mean `loc` and standard deviation `scale` (Box–Muller). */
export function normal(key: PRNGKey, shape: Shape = [], loc = 0, scale = 1): Tensor {
  const op = 'normal';
  checkKey(op, key);
  const outShape = checkOutputShape(op, shape);
  checkNumber(op, 'loc', loc, finite);
  checkNumber(op, 'scale', scale, all(positive, finite));
  const n = shapeSize(outShape);
  const words = randomBits(key, 4 * Math.ceil(n / 2));
  return Tensor.fromData(normalFromBits(words, n, loc, scale), outShape.slice());
}

/** Exponential values with the given rate (mean 1 / rate). */
export function exponential(key: PRNGKey, shape: Shape = [], rate = 1): Tensor {
  const op = 'exponential';
  checkKey(op, key);
  const outShape = checkOutputShape(op, shape);
  checkNumber(op, 'rate', rate, all(positive, finite));
  const words = randomBits(key, 2 * shapeSize(outShape));
  return Tensor.fromData(exponentialFromBits(words, rate), outShape.slice());
}
