/**
 * Result arrays allocated without zero-filling (src/tensor/backend/wasm/uninitialized.ts): each must
 * own its ArrayBuffer (a tensor's storage is never shared with unrelated data), and every result the
 * WASM backend returns through one must be written whole (checked against the JS backend elsewhere;
 * here, on memory that held other values just before).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uninitializedFloats } from '../src/tensor/backend/wasm/uninitialized.js';
import { makeWasmBackend } from '../src/tensor/backend/wasm/backend.js';
import { jsBackend } from '../src/tensor/backend/js.js';

afterEach(() => vi.restoreAllMocks());

describe('uninitializedFloats', () => {
  it.each([0, 1, 1023, 16_383, 16_384, 300_000])(
    '%i floats: the length asked for, in an ArrayBuffer of its own',
    (n) => {
      const a = uninitializedFloats(n);
      expect(a.length).toBe(n);
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(4 * n);
    },
  );

  it('skips zero-filling (Buffer.allocUnsafe) from 16,384 floats on, and only there', () => {
    const spy = vi.spyOn(Buffer, 'allocUnsafe');
    uninitializedFloats(16_383);
    expect(spy).not.toHaveBeenCalled();
    uninitializedFloats(16_384);
    expect(spy).toHaveBeenCalledWith(65_536);
  });

  it('falls back to a zeroed array if Buffer hands back a piece of a shared pool', () => {
    const pool = new ArrayBuffer(1 << 18);
    vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((size: number) => Buffer.from(pool, 64, size));
    const a = uninitializedFloats(16_384);
    expect(a.buffer).not.toBe(pool);
    expect(a.buffer.byteLength).toBe(4 * 16_384);
    expect(a.every((x) => x === 0)).toBe(true);
  });
});

describe('WASM results in unzeroed arrays are written whole', () => {
  const wasm = makeWasmBackend({ transcendental: 0, cheap: 0, matmulWork: 0 });

  it('unary, binary, matmul and Adam results equal the JS backend after memory was dirtied', () => {
    const n = 40_000;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const y = Float32Array.from({ length: n }, (_, i) => Math.cos(i) + 2);
    for (let round = 0; round < 3; round++) {
      // Fill and drop arrays of the same sizes, so that unzeroed memory is likely to hold old values.
      for (let i = 0; i < 8; i++) uninitializedFloats(n).fill(12345.5);
      expect(wasm.unary('sqrt', y)).toEqual(jsBackend.unary('sqrt', y));
      expect(wasm.binary('mul', x, [n], y, [n], [n])).toEqual(jsBackend.binary('mul', x, [n], y, [n], [n]));
      // A·Aᵀ for A 130×130 (an unzeroed result: ≥ 16,384 floats): float32 sums, within γ_k·Σ_p|a_ip||a_jp| of
      // the float64 product (k = 130).
      const k = 130;
      const a = x.subarray(0, k * k);
      const product = wasm.matmulTransposed(a, [k, k], false, a, [k, k], true, [k, k]);
      const gamma = (k * 2 ** -24) / (1 - k * 2 ** -24);
      let outside = 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          let exact = 0,
            magnitude = 0;
          for (let p = 0; p < k; p++) {
            exact += a[i * k + p] * a[j * k + p];
            magnitude += Math.abs(a[i * k + p] * a[j * k + p]);
          }
          if (!(Math.abs(product[i * k + j] - exact) <= gamma * magnitude)) outside++;
        }
      }
      expect(outside).toBe(0);
      const hyper = { b1: 0.9, b2: 0.999, stepSize: 1e-3, eps: 1e-8 };
      const got = wasm.adamUpdate(x, y, y, y, hyper);
      const want = jsBackend.adamUpdate(x, y, y, y, hyper);
      expect([got.param, got.m, got.v]).toEqual([want.param, want.m, want.v]);
    }
  });
});
