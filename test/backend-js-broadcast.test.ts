/**
 * The JS backend's broadcasting fast paths (`where` with full-size or single-value operands,
 * `broadcastTo` along the last axis only or along leading axes only) against a naive reference
 * that computes every output element from its multi-index. Both copy values, so they must agree
 * bit for bit, for every shape, including sizes 0 and 1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../src/tensor/backend/js.js';

type Shape = number[];

const size = (shape: Shape): number => shape.reduce((p, d) => p * d, 1);

/** out[idx] = x[idx broadcast into x's shape], written out index by index. */
function naiveBroadcast(x: Float32Array, shape: Shape, outShape: Shape): Float32Array {
  const out = new Float32Array(size(outShape));
  const offset = outShape.length - shape.length;
  for (let o = 0; o < out.length; o++) {
    let rem = o;
    let src = 0;
    let stride = 1;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const i = rem % outShape[d];
      rem = Math.floor(rem / outShape[d]);
      const xd = d - offset;
      if (xd >= 0) {
        src += (shape[xd] === 1 ? 0 : i) * stride;
        stride *= shape[xd];
      }
    }
    out[o] = x[src];
  }
  return out;
}

/** An output shape and an operand shape that broadcasts to it (axes set to 1 or dropped in front). */
const broadcastPair = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }).chain((outShape) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: outShape.length, maxLength: outShape.length }),
      fc.integer({ min: 0, max: outShape.length }),
      fc.constantFrom('free', 'column', 'leading'),
    )
    .map(([ones, drop, kind]) => {
      let shape = outShape.map((d, i) => (ones[i] ? 1 : d));
      if (kind === 'column' && outShape.length > 0) shape = [...outShape.slice(0, -1), 1];
      if (kind === 'leading') shape = outShape.map((d, i) => (i < drop ? 1 : d));
      return { outShape, shape: shape.slice(kind === 'column' ? 0 : Math.min(drop, shape.length)) };
    }),
);

const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => (((i + 1) * 2654435761 + seed) % 1000) / 7 - 60);

describe('JS backend broadcasting fast paths', () => {
  it('broadcastTo equals the index-by-index reference for every shape pair', () => {
    fc.assert(
      fc.property(broadcastPair, fc.integer({ min: 0, max: 1000 }), ({ outShape, shape }, seed) => {
        const x = values(size(shape), seed);
        expect(Array.from(jsBackend.broadcastTo(x, shape, outShape))).toEqual(
          Array.from(naiveBroadcast(x, shape, outShape)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('where equals the reference with each operand full-size, single-valued or broadcast', () => {
    const operand = (outShape: Shape) =>
      fc.constantFrom<'full' | 'one' | 'scalar'>('full', 'one', 'scalar').map((kind) => {
        if (kind === 'full') return outShape;
        if (kind === 'one') return outShape.map(() => 1);
        return [];
      });
    const arb = fc
      .array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 })
      .chain((outShape) => fc.tuple(fc.constant(outShape), operand(outShape), operand(outShape), operand(outShape)));
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 1000 }), ([outShape, cShape, aShape, bShape], seed) => {
        const cond = values(size(cShape), seed).map((v) => (v > 0 ? 1 : 0));
        const a = values(size(aShape), seed + 1);
        const b = values(size(bShape), seed + 2);
        const c = naiveBroadcast(cond, cShape, outShape);
        const ax = naiveBroadcast(a, aShape, outShape);
        const bx = naiveBroadcast(b, bShape, outShape);
        const expected = Array.from(c, (ci, i) => (ci !== 0 ? ax[i] : bx[i]));
        expect(Array.from(jsBackend.where(cond, cShape, a, aShape, b, bShape, outShape))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
