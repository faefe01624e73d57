/**
 * From random 32-bit words to uniform numbers in the unit interval.
 *
 * Two precisions are used:
 *  - 24 bits, for values that end up as float32 uniforms: k / 2^24 with k < 2^24 is exactly
 *    representable in float32 and at most 1 - 2^-24, so a float32 uniform is never exactly 1;
 *  - 53 bits (two words), for values that feed a logarithm or a comparison in float64 (normals,
 *    exponentials, rejection tests), so tails and small probabilities are not cut off early.
 */

const TWO_POW_24 = 2 ** 24;
const TWO_POW_26 = 2 ** 26;
const TWO_POW_53 = 2 ** 53;

/** A uniform in [0, 1) from the top 24 bits of one word: a multiple of 2^-24, exact in float32. */
export function unit24(word: number): number {
  return (word >>> 8) / TWO_POW_24;
}

/** The 53-bit integer made of the top 27 bits of `hi` and the top 26 bits of `lo`. */
function bits53(hi: number, lo: number): number {
  return (hi >>> 5) * TWO_POW_26 + (lo >>> 6);
}

/** A uniform in [0, 1) with 53 random bits (a multiple of 2^-53), from two words. */
export function unit53(hi: number, lo: number): number {
  return bits53(hi, lo) / TWO_POW_53;
}

/** A uniform in (0, 1] with 53 random bits, from two words: never 0, so its logarithm is finite. */
export function openUnit53(hi: number, lo: number): number {
  return (bits53(hi, lo) + 1) / TWO_POW_53;
}
