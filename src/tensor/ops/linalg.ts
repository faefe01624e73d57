/**
 * Matrix products with NumPy's matmul rules: 1-D operands are promoted to a row (left) or column
 * (right) vector and the added axis removed afterwards; leading (batch) axes broadcast.
 *
 * Both `matmul` and `matmulT` run on one primitive, the product op(A)·op(B) where op transposes the
 * last two axes of an operand or leaves them. Its derivative rules are products of the same kind, so
 * a backward pass (and the backward pass of a backward pass) never materializes a transposed copy:
 * the backend reads the operand transposed (Backend.matmulTransposed).
 */
import { fail } from '../../errors.js';
import { bind, definePrimitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import { broadcastShapes, shapeToString } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { expandDims, squeeze, sumToShape } from './movement.js';

/** Which operands are read transposed (their last two axes swapped). */
interface Transposes {
  ta: boolean;
  tb: boolean;
}

const product = (a: Tensor, b: Tensor, ta: boolean, tb: boolean): Tensor => bind(matmulTP, [a, b], { ta, tb });

const matmulTP = definePrimitive<Transposes>({
  name: 'matmul',
  impl: ([a, b], { ta, tb }) => {
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    const m = a.shape[a.ndim - (ta ? 1 : 2)];
    const n = b.shape[b.ndim - (tb ? 2 : 1)];
    const outShape = [...batch, m, n];
    const backend = getBackend();
    const data =
      ta || tb
        ? backend.matmulTransposed(a._data!, a.shape, ta, b._data!, b.shape, tb, outShape)
        : backend.matmul(a._data!, a.shape, b._data!, b.shape, outShape);
    return Tensor.fromData(data, outShape);
  },
  // C = op(A)·op(B) gives dop(A) = G·op(B)ᵀ and dop(B) = op(A)ᵀ·G; a stored-transposed operand takes
  // the transpose of its cotangent, e.g. A stored as op(A)ᵀ gets (G·op(B)ᵀ)ᵀ = op(B)·Gᵀ. Broadcast
  // batch axes are summed away.
  vjp: (g, [a, b], _y, { ta, tb }, needs) => [
    needs[0] ? sumToShape(ta ? product(b, g, tb, true) : product(g, b, false, !tb), a.shape) : null,
    needs[1] ? sumToShape(tb ? product(g, a, true, ta) : product(a, g, !ta, false), b.shape) : null,
  ],
  jvp: ([da, db], [a, b], _y, { ta, tb }) => {
    const left = da === null ? null : product(da, b, ta, tb);
    const right = db === null ? null : product(a, db, ta, tb);
    return left === null ? right : right === null ? left : add(left, right);
  },
});

/** Batch (leading) dimensions must broadcast; checked here so the message shows the full shapes. */
function checkBatches(op: string, a: Tensor, b: Tensor): void {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  for (let i = 1; i <= Math.min(batchA.length, batchB.length); i++) {
    const da = batchA[batchA.length - i];
    const db = batchB[batchB.length - i];
    if (da !== db && da !== 1 && db !== 1) {
      fail(
        op,
        `batch dimensions of ${shapeToString(a.shape)} @ ${shapeToString(b.shape)} cannot be broadcast ` +
          `(${da} vs ${db})`,
      );
    }
  }
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    fail('matmul', `scalar operands are not allowed: ${shapeToString(a.shape)} @ ${shapeToString(b.shape)} (use mul)`);
  }
  const k1 = a.shape[a.ndim - 1];
  const k2 = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (k1 !== k2) fail('matmul', `inner dimensions differ: ${shapeToString(a.shape)} @ ${shapeToString(b.shape)}`);
  checkBatches('matmul', a, b);
  const a2 = a.ndim === 1 ? expandDims(a, 0) : a;
  const b2 = b.ndim === 1 ? expandDims(b, 1) : b;
  let out = product(a2, b2, false, false);
  if (b.ndim === 1) out = squeeze(out, -1);
  if (a.ndim === 1) out = squeeze(out, a.ndim === 1 && b.ndim === 1 ? -1 : -2);
  return out;
}

/**
 * op(a) @ op(b), where op swaps the last two axes of an operand when its flag is set: matmulT(a, b,
 * false, true) is a @ matrixTranspose(b) without the transposed copy. Both operands need at least
 * two dimensions; leading (batch) axes broadcast as in `matmul`. Differentiable to any order.
 */
export function matmulT(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const flags = `transposeA = ${transposeA}, transposeB = ${transposeB}`;
  if (a.ndim < 2 || b.ndim < 2) {
    fail(
      'matmulT',
      `operands need at least 2 dimensions: ${shapeToString(a.shape)} @ ${shapeToString(b.shape)} ` + `(${flags})`,
    );
  }
  const ka = a.shape[a.ndim - (transposeA ? 2 : 1)];
  const kb = b.shape[b.ndim - (transposeB ? 1 : 2)];
  if (ka !== kb) {
    fail(
      'matmulT',
      `inner dimensions differ: ${shapeToString(a.shape)} @ ${shapeToString(b.shape)} with ${flags} ` +
        `(${ka} vs ${kb})`,
    );
  }
  checkBatches('matmulT', a, b);
  return product(a, b, transposeA, transposeB);
}
