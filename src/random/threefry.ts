/**
 * Threefry-2x32 with 20 rounds: the counter-based generator of Random123 (Salmon et al., "Parallel
 * random numbers: as easy as 1, 2, 3", SC 2011), also used by JAX.
 *
 * Threefry is a keyed hash (a reduced Threefish block cipher): for a fixed 64-bit key it maps a
 * 64-bit counter block (x0, x1) to a pseudo-random 64-bit block, and this map is a bijection.
 * So there is no hidden state to advance: the i-th random block of a key is simply
 * `threefry2x32(key, counter i)`, any block can be computed on its own, and two different counters
 * under the same key can never give the same block.
 *
 * All words are unsigned 32-bit integers held in JavaScript numbers. Additions are done in float64
 * (exact for sums below 2^53) and wrapped back with `>>> 0`; bit operations in JavaScript already
 * work on 32 bits.
 */
import { fail } from '../errors.js';

/** Key-schedule parity constant: the third key word is k0 ^ k1 ^ this (from Threefish/Skein). */
const KEY_PARITY = 0x1bd11bda;

/** threefry2x32's output words: threefryInto then only ever stores into a Uint32Array (one fast path). */
const pair = new Uint32Array(2);

/**
 * Threefry-2x32-20 of the counter block (x0, x1) under the key (k0, k1); returns the two output
 * words. All inputs must be uint32 integers (0 .. 2^32-1); this hot inner function does not check.
 */
export function threefry2x32(k0: number, k1: number, x0: number, x1: number): [number, number] {
  threefryInto(k0, k1, x0, x1, pair, 0);
  return [pair[0], pair[1]];
}

/**
 * The same function, writing the two output words to out[at] and out[at + 1] instead of
 * allocating a pair: the bulk generators call it millions of times.
 */
export function threefryInto(k0: number, k1: number, x0: number, x1: number, out: Uint32Array, at: number): void {
  // Three key words: the extra one makes every key-schedule injection differ. The words are kept
  // as int32 (`| 0`): the same 32 bits as uint32, and V8 then does the arithmetic on integers.
  const ks0 = k0 | 0;
  const ks1 = k1 | 0;
  const ks2 = (k0 ^ k1 ^ KEY_PARITY) | 0;
  let a = (x0 + ks0) | 0;
  let b = (x1 + ks1) | 0;
  // 20 rounds in 5 groups of 4, written out: a loop over a table of rotations ran 3.7× slower
  // (1M words: 44 against 12 ms). Each round mixes the words: a += b, b = rotl(b, R) ^ a. Groups
  // alternate between the rotations (13, 15, 26, 6) and (17, 29, 16, 24) (Random123's R_32x2).
  // After group s (1..5) the key is injected again, rotated by s words, plus s, so that no two
  // groups are identical: a += ks[s mod 3], b += ks[(s+1) mod 3] + s.
  a = (a + b) | 0;
  b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) | 0;
  b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) | 0;
  b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) | 0;
  b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + ks1) | 0;
  b = (b + ks2 + 1) | 0;
  a = (a + b) | 0;
  b = ((b << 17) | (b >>> 15)) ^ a;
  a = (a + b) | 0;
  b = ((b << 29) | (b >>> 3)) ^ a;
  a = (a + b) | 0;
  b = ((b << 16) | (b >>> 16)) ^ a;
  a = (a + b) | 0;
  b = ((b << 24) | (b >>> 8)) ^ a;
  a = (a + ks2) | 0;
  b = (b + ks0 + 2) | 0;
  a = (a + b) | 0;
  b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) | 0;
  b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) | 0;
  b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) | 0;
  b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + ks0) | 0;
  b = (b + ks1 + 3) | 0;
  a = (a + b) | 0;
  b = ((b << 17) | (b >>> 15)) ^ a;
  a = (a + b) | 0;
  b = ((b << 29) | (b >>> 3)) ^ a;
  a = (a + b) | 0;
  b = ((b << 16) | (b >>> 16)) ^ a;
  a = (a + b) | 0;
  b = ((b << 24) | (b >>> 8)) ^ a;
  a = (a + ks1) | 0;
  b = (b + ks2 + 4) | 0;
  a = (a + b) | 0;
  b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) | 0;
  b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) | 0;
  b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) | 0;
  b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + ks2) | 0;
  b = (b + ks0 + 5) | 0;
  out[at] = a >>> 0;
  out[at + 1] = b >>> 0;
}

/** The two words of a key: a PRNGKey (key.ts, which imports this file, so it is not imported back). */
export interface KeyWords {
  readonly k0: number;
  readonly k1: number;
}

/** Largest number of words `randomBits` can produce: 2^32 counter blocks of two words each. */
export const MAX_RANDOM_WORDS = 2 ** 33;

/**
 * `count` random uint32 words from `key`, in counter mode: block c = threefry2x32(key, (0, c))
 * gives words 2c and 2c+1. The first counter word is 0 because key.ts uses 1 and 2 there for
 * splitting and folding in, so a key's random bits never coincide with the keys derived from it.
 *
 * The stream is fixed by the key alone: `randomBits(k, n)` is a prefix of `randomBits(k, m)` for
 * n <= m, and the same key gives the same words on every run and platform.
 */
export function randomBits(key: KeyWords, count: number): Uint32Array {
  if (!Number.isInteger(count) || count < 0 || count > MAX_RANDOM_WORDS) {
    fail('randomBits', `count must be an integer in [0, 2^33], got ${count}`);
  }
  const { k0, k1 } = key;
  const out = new Uint32Array(count);
  const fullBlocks = Math.floor(count / 2);
  for (let c = 0; c < fullBlocks; c++) threefryInto(k0, k1, 0, c, out, 2 * c);
  if (count % 2 === 1) out[count - 1] = threefry2x32(k0, k1, 0, fullBlocks)[0]; // odd count: keep the first word
  return out;
}
