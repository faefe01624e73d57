/**
 * PRNG keys: the only source of randomness in Sieve.
 *
 * There is no global generator. Every sampler takes a key and the numbers it returns are a pure
 * function of that key (and the arguments), so the same key gives the same numbers on every run
 * and platform. To get fresh numbers you derive new keys: `split` one key into several, or
 * `foldIn` an integer (a step number, a layer index...). As in JAX, a key should be used for one
 * thing only: either pass it to one sampler, or split / fold it, not both.
 *
 * Derived keys are Threefry blocks of the parent key (see threefry.ts). The 64-bit counter block is
 * (purpose, index): purpose 0 is random bits (randomBits), 1 is split and 2 is foldIn. Because
 * Threefry is a bijection of the counter for a fixed key, keys derived for different purposes or
 * indices can never collide with each other, nor with the parent's random bits.
 */
import { fail } from '../errors.js';
import { threefry2x32 } from './threefry.js';

const UINT32_MAX = 0xffffffff;
const SPLIT_PURPOSE = 1;
const FOLD_IN_PURPOSE = 2;

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= UINT32_MAX;
}

function hex32(x: number): string {
  return '0x' + x.toString(16).padStart(8, '0');
}

/** An immutable PRNG key: two uint32 words (a 64-bit Threefry key). */
export class PRNGKey {
  readonly k0: number;
  readonly k1: number;

  constructor(k0: number, k1: number) {
    if (!isUint32(k0) || !isUint32(k1)) {
      fail('PRNGKey', `key words must be integers in [0, ${UINT32_MAX}], got ${String(k0)}, ${String(k1)}`);
    }
    this.k0 = k0;
    this.k1 = k1;
    Object.freeze(this); // immutable at run time too, not only for the type checker
  }

  /** True if both words are equal. */
  equals(other: PRNGKey): boolean {
    return this.k0 === other.k0 && this.k1 === other.k1;
  }

  toString(): string {
    return `PRNGKey(${hex32(this.k0)}, ${hex32(this.k1)})`;
  }
}

/**
 * The key for an integer seed: the seed's high and low 32 bits become the two words (JAX's
 * `PRNGKey(seed)` layout). Nearby seeds give unrelated streams because Threefry scrambles the key.
 */
export function key(seed: number): PRNGKey {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    fail('key', `seed must be a non-negative safe integer (0 .. 2^53-1), got ${String(seed)}`);
  }
  return new PRNGKey(Math.floor(seed / 2 ** 32), seed >>> 0);
}

/** Throw unless `k` is a PRNGKey; samplers call this so that a forgotten key is reported clearly. */
export function checkKey(op: string, k: unknown): asserts k is PRNGKey {
  if (!(k instanceof PRNGKey)) {
    const got = k === null ? 'null' : Array.isArray(k) ? 'an array' : typeof k;
    fail(op, `expected a PRNGKey as the first argument, got ${got}`);
  }
}

/** `n` new keys derived from `k` (child i is Threefry block (split, i) of k). */
export function split(k: PRNGKey, n = 2): PRNGKey[] {
  checkKey('split', k);
  if (!Number.isInteger(n) || n < 0 || n > UINT32_MAX + 1) {
    fail('split', `n must be a non-negative integer (at most 2^32), got ${String(n)}`);
  }
  const keys: PRNGKey[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const [w0, w1] = threefry2x32(k.k0, k.k1, SPLIT_PURPOSE, i);
    keys[i] = new PRNGKey(w0, w1);
  }
  return keys;
}

/**
 * A new key that depends on `k` and on the integer `data` (in [0, 2^32-1]). Different data give
 * different keys, so `foldIn(k, step)` gives each step of a loop its own key.
 */
export function foldIn(k: PRNGKey, data: number): PRNGKey {
  checkKey('foldIn', k);
  if (!isUint32(data)) fail('foldIn', `data must be an integer in [0, ${UINT32_MAX}], got ${String(data)}`);
  const [w0, w1] = threefry2x32(k.k0, k.k1, FOLD_IN_PURPOSE, data);
  return new PRNGKey(w0, w1);
}
