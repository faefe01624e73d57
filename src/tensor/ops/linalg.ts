/**
 * Matrix products with NumPy's matmul rules: 1-D operands are promoted to a row (left) or column
 * (right) vector and the added axis removed afterwards; leading (batch) axes broadcast.
 */
import { fail } from '../../errors.js';
import { bind, definePrimitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import { broadcastShapes, shapeToString } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { expandDims, matrixTranspose, squeeze, sumToShape } from './movement.js';

const matmulP = definePrimitive({
  name: 'matmul',
  impl: ([a, b]) => {
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    const outShape = [...batch, a.shape[a.ndim - 2], b.shape[b.ndim - 1]];
    return Tensor.fromData(getBackend().matmul(a._data!, a.shape, b._data!, b.shape, outShape), outShape);
  },
  // d(AB) = dA B + A dB, so the cotangents are G Bᵀ and Aᵀ G (summed over broadcast batch axes).
  vjp: (g, [a, b], _y, _p, needs) => [
    needs[0] ? sumToShape(matmul(g, matrixTranspose(b)), a.shape) : null,
    needs[1] ? sumToShape(matmul(matrixTranspose(a), g), b.shape) : null,
  ],
  jvp: ([ta, tb], [a, b]) => {
    const left = ta === null ? null : matmul(ta, b);
    const right = tb === null ? null : matmul(a, tb);
    return left === null ? right : right === null ? left : add(left, right);
  },
});

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    fail('matmul', `scalar operands are not allowed: ${shapeToString(a.shape)} @ ${shapeToString(b.shape)} (use mul)`);
  }
  const k1 = a.shape[a.ndim - 1];
  const k2 = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (k1 !== k2) fail('matmul', `inner dimensions differ: ${shapeToString(a.shape)} @ ${shapeToString(b.shape)}`);
  // Batch (leading) dimensions broadcast; check here so the message shows the operands' full shapes.
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  for (let i = 1; i <= Math.min(batchA.length, batchB.length); i++) {
    const da = batchA[batchA.length - i];
    const db = batchB[batchB.length - i];
    if (da !== db && da !== 1 && db !== 1) {
      fail('matmul', `batch dimensions of ${shapeToString(a.shape)} @ ${shapeToString(b.shape)} cannot be broadcast (${da} vs ${db})`);
    }
  }
  const a2 = a.ndim === 1 ? expandDims(a, 0) : a;
  const b2 = b.ndim === 1 ? expandDims(b, 1) : b;
  let out = bind(matmulP, [a2, b2], undefined);
  if (b.ndim === 1) out = squeeze(out, -1);
  if (a.ndim === 1) out = squeeze(out, a.ndim === 1 && b.ndim === 1 ? -1 : -2);
  return out;
}
