import { createHash } from 'node:crypto';

/** A digest of the bits of a Float32Array: equal digests mean equal results, bit for bit. */
export function resultDigest(values: Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');
}
