/**
 * Triangular solves and the Cholesky factorization, batched over leading axes, with reverse- and
 * forward-mode rules written in differentiable ops (so they can be differentiated again).
 *
 * The kernels are the backend's (`Backend.triangularSolve`, `Backend.cholesky`): they run in float64
 * on the concrete values and round the result to float32.
 *
 *   triangularSolve(a, b, { lower, transpose }) solves op(a) x = b, op(a) = a or aᵀ, for a
 *   triangular a of shape [..., n, n] and b of shape [..., n, k]; only the triangle of a named by
 *   `lower` is read. Reverse mode: b̄ = op(a)⁻ᵀ ḡ, and ā = -b̄ xᵀ (or -x b̄ᵀ when transposed),
 *   restricted to that triangle.
 *
 *   cholesky(a) returns the lower-triangular L with L Lᵀ = (a + aᵀ)/2 (the input is symmetrized,
 *   as in JAX, so its gradient is symmetric). Forward mode: L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ), Φ = lower triangle
 *   with the diagonal halved (Murray, "Differentiation of the Cholesky decomposition", 2016);
 *   reverse mode is its adjoint: Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹).
 */
import { fail } from '../../errors.js';
import { bind, definePrimitive } from '../../autodiff/primitive.js';
import { getBackend } from '../backend/index.js';
import { broadcastShapes, shapeToString } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, mul, neg, sub, where } from './elementwise.js';
import { matmul } from './linalg.js';
import { broadcastTo, matrixTranspose } from './movement.js';
import { sum } from './reduce.js';

// ---------------------------------------------------------------------------------------------
// Masks

const maskCache = new Map<string, Tensor>();

/** Constant n×n mask: 1 on and below (lower) or on and above (upper) the diagonal, diagonal scaled by `diag`. */
function triMask(n: number, lower: boolean, diag = 1): Tensor {
  const key = `${n}|${lower}|${diag}`;
  let m = maskCache.get(key);
  if (m === undefined) {
    const data = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) data[i * n + j] = diag;
        else if (lower ? j < i : j > i) data[i * n + j] = 1;
      }
    }
    m = Tensor.fromData(data, [n, n]);
    maskCache.set(key, m);
  }
  return m;
}

function checkSquare(op: string, a: Tensor): number {
  if (a.ndim < 2 || a.shape[a.ndim - 1] !== a.shape[a.ndim - 2]) {
    fail(op, `expected a square matrix (or a batch of them) of shape [..., n, n], got ${shapeToString(a.shape)}`);
  }
  return a.shape[a.ndim - 1];
}

/** The lower triangle of the last two axes (entries above diagonal `k` set to 0). */
export function tril(x: Tensor, k = 0): Tensor {
  if (x.ndim < 2) fail('tril', `needs at least 2 dimensions, got shape ${shapeToString(x.shape)}`);
  const [r, c] = x.shape.slice(-2);
  const data = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[i * c + j] = j - i <= k ? 1 : 0;
  return where(Tensor.fromData(data, [r, c]), x, 0);
}

/** The upper triangle of the last two axes (entries below diagonal `k` set to 0). */
export function triu(x: Tensor, k = 0): Tensor {
  if (x.ndim < 2) fail('triu', `needs at least 2 dimensions, got shape ${shapeToString(x.shape)}`);
  const [r, c] = x.shape.slice(-2);
  const data = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[i * c + j] = j - i >= k ? 1 : 0;
  return where(Tensor.fromData(data, [r, c]), x, 0);
}

/** The main diagonal of the last two axes: shape [..., min(r, c)]. Differentiable. */
export function diagonal(x: Tensor): Tensor {
  if (x.ndim < 2) fail('diagonal', `needs at least 2 dimensions, got shape ${shapeToString(x.shape)}`);
  const [r, c] = x.shape.slice(-2);
  const n = Math.min(r, c);
  const sel = new Float32Array(r * c);
  for (let i = 0; i < n; i++) sel[i * c + i] = 1;
  const picked = where(Tensor.fromData(sel, [r, c]), x, 0); // where, not mul: off-diagonal Infinity stays harmless
  const rows = sum(picked, -1); // [..., r]: row i holds x[i, i] (or 0 for i >= n)
  if (r === n) return rows;
  return rows.slice([...x.shape.slice(0, -2).map(() => null), 0], [...x.shape.slice(0, -2).map(() => null), n]);
}

// ---------------------------------------------------------------------------------------------
// Triangular solve

interface SolveParams {
  lower: boolean;
  transpose: boolean;
}

const triangularSolveP = definePrimitive<SolveParams>({
  name: 'triangularSolve',
  impl: ([a, b], p) => {
    const out = getBackend().triangularSolve(a._data!, a.shape, b._data!, b.shape, p.lower, p.transpose);
    return Tensor.fromData(out, b.shape);
  },
  vjp: (g, [a], x, { lower, transpose }, needs) => {
    const bbar = triangularSolve(a, g, { lower, transpose: !transpose });
    let abar: Tensor | null = null;
    if (needs[0]) {
      const full = transpose ? matmul(x, matrixTranspose(bbar)) : matmul(bbar, matrixTranspose(x));
      abar = neg(mul(full, triMask(a.shape[a.ndim - 1], lower)));
    }
    return [abar, needs[1] ? bbar : null];
  },
  jvp: ([ta, tb], [a], x, { lower, transpose }) => {
    if (ta === null && tb === null) return null;
    let rhs: Tensor | null = tb;
    if (ta !== null) {
      const masked = mul(ta, triMask(a.shape[a.ndim - 1], lower));
      const prod = matmul(transpose ? matrixTranspose(masked) : masked, x);
      rhs = rhs === null ? neg(prod) : sub(rhs, prod);
    }
    return triangularSolve(a, rhs!, { lower, transpose });
  },
});

export interface TriangularSolveOptions {
  /** a is lower-triangular (default true); otherwise upper. Only that triangle is read. */
  lower?: boolean;
  /** Solve aᵀ x = b instead of a x = b (default false). */
  transpose?: boolean;
}

/**
 * Solve op(a) x = b for x, with a triangular: a is [..., n, n], b is [..., n, k] (leading batch
 * axes broadcast). Differentiable in a (its triangle) and b. A zero on the diagonal gives
 * Infinity or NaN, as in LAPACK.
 */
export function triangularSolve(a: Tensor, b: Tensor, options: TriangularSolveOptions = {}): Tensor {
  const op = 'triangularSolve';
  const n = checkSquare(op, a);
  if (b.ndim < 2)
    fail(
      op,
      `b must be a matrix (or a batch of them) of shape [..., n, k], got ${shapeToString(b.shape)}; for a vector use ` +
        `expandDims(b, -1)`,
    );
  if (b.shape[b.ndim - 2] !== n)
    fail(
      op,
      `a is ${n}×${n} but b has ${b.shape[b.ndim - 2]} rows (shapes ${shapeToString(a.shape)} and ` +
        `${shapeToString(b.shape)})`,
    );
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const a2 = broadcastTo(a, [...batch, n, n]);
  const b2 = broadcastTo(b, [...batch, n, b.shape[b.ndim - 1]]);
  return bind(triangularSolveP, [a2, b2], { lower: options.lower ?? true, transpose: options.transpose ?? false });
}

// ---------------------------------------------------------------------------------------------
// Cholesky

/** x L⁻¹ for lower-triangular L: (L⁻ᵀ xᵀ)ᵀ. */
function rightSolveLower(l: Tensor, x: Tensor, transpose: boolean): Tensor {
  return matrixTranspose(triangularSolve(l, matrixTranspose(x), { lower: true, transpose: !transpose }));
}

const choleskyP = definePrimitive({
  name: 'cholesky',
  impl: ([a]) => Tensor.fromData(getBackend().cholesky(a._data!, a.shape), a.shape),
  vjp: (g, _a, l) => {
    const n = l.shape[l.ndim - 1];
    const phi = mul(matmul(matrixTranspose(l), g), triMask(n, true, 0.5)); // Φ(Lᵀ L̄)
    const left = triangularSolve(l, phi, { lower: true, transpose: true }); // L⁻ᵀ Φ
    const s = rightSolveLower(l, left, false); // L⁻ᵀ Φ L⁻¹
    return [mul(add(s, matrixTranspose(s)), 0.5)];
  },
  jvp: ([t], _a, l) => {
    if (t === null) return null;
    const n = l.shape[l.ndim - 1];
    const inner = rightSolveLower(l, triangularSolve(l, t, { lower: true }), true); // L⁻¹ Ȧ L⁻ᵀ
    return matmul(l, mul(inner, triMask(n, true, 0.5)));
  },
});

/**
 * The Cholesky factor: lower-triangular L with positive diagonal and L Lᵀ = (a + aᵀ)/2, for a
 * symmetric positive-definite a of shape [..., n, n]. Throws if a leading minor is not positive.
 * Differentiable (forward and reverse mode); the gradient with respect to a is symmetric.
 */
export function cholesky(a: Tensor): Tensor {
  checkSquare('cholesky', a);
  const sym = mul(add(a, matrixTranspose(a)), 0.5);
  return bind(choleskyP, [sym], undefined);
}
