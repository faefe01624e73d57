/**
 * Float64 values that carry a bound on how far a float32 computation of the same expression can be
 * from them: the reference side of the correctness gate.
 *
 * Each operation returns the exact (float64) value and a first-order bound e ≥ |float32 result −
 * exact|, from the standard model fl(a ∘ b) = (a ∘ b)(1 + δ), |δ| ≤ u = 2⁻²⁴ (Higham, "Accuracy and
 * Stability of Numerical Algorithms", 2nd ed., §2.2 and §3.1):
 *  - errors already in the operands propagate through the derivative: |∂f/∂a|·e_a + |∂f/∂b|·e_b;
 *  - a sum of n terms, in any order (pairwise, blocked, SIMD lanes), adds γ_{n−1}·Σ|terms|, and a
 *    matrix product adds γ_k·(|A|·|B|) with γ_n = n·u / (1 − n·u) (Higham, Lemma 3.1, §3.5);
 *  - elementwise arithmetic adds 2u·(|a| + |b|), not u·|result|: autodiff libraries reassociate
 *    (x·g − σ·g instead of (x − σ)·g, a scale before or after), and a bound on the operands'
 *    magnitudes covers those orders where one on the result does not;
 *  - an elementary function (exp, log, tanh, sigmoid, softplus, sin, cos) may be off by
 *    FUNCTION_ULPS·u·(|f| + 1) (exp: ·|f| only). This is the accuracy we require of the libraries,
 *    stated once here: a few ulp for a polynomial kernel, plus an absolute u for the ones composed
 *    from exp and log (log(1 + eˣ) near 0 loses relative accuracy, not absolute).
 * Second-order terms (products of two errors, u²) are left out: the bound is first-order.
 */
export const U = 2 ** -24;
export const FUNCTION_ULPS = 16;

export function gamma(n: number): number {
  return (n * U) / (1 - n * U);
}

export class Bounded {
  constructor(
    readonly shape: readonly number[],
    /** The exact value of the expression, in float64. */
    readonly v: Float64Array,
    /** A bound on |float32 result − v|, elementwise. */
    readonly e: Float64Array,
  ) {}

  get size(): number {
    return this.v.length;
  }
}

/** Inputs are exact: the libraries receive these very float32 values. */
export function exact(data: ArrayLike<number>, shape: readonly number[]): Bounded {
  return new Bounded(shape, Float64Array.from(data), new Float64Array(data.length));
}

type Rule = (av: number, ae: number, bv: number, be: number) => [value: number, bound: number];

function map2(a: Bounded, b: Bounded, f: Rule): Bounded {
  if (a.size !== b.size) throw new Error(`bounded: sizes differ (${a.shape} vs ${b.shape})`);
  const v = new Float64Array(a.size);
  const e = new Float64Array(a.size);
  for (let i = 0; i < a.size; i++) [v[i], e[i]] = f(a.v[i], a.e[i], b.v[i], b.e[i]);
  return new Bounded(a.shape, v, e);
}

export function add(a: Bounded, b: Bounded): Bounded {
  return map2(a, b, (av, ae, bv, be) => [av + bv, ae + be + 2 * U * (Math.abs(av) + Math.abs(bv))]);
}

export function sub(a: Bounded, b: Bounded): Bounded {
  return map2(a, b, (av, ae, bv, be) => [av - bv, ae + be + 2 * U * (Math.abs(av) + Math.abs(bv))]);
}

export function mul(a: Bounded, b: Bounded): Bounded {
  return map2(a, b, (av, ae, bv, be) => [av * bv, Math.abs(bv) * ae + Math.abs(av) * be + 2 * U * Math.abs(av * bv)]);
}

export function div(a: Bounded, b: Bounded): Bounded {
  return map2(a, b, (av, ae, bv, be) => {
    const q = av / bv;
    return [q, ae / Math.abs(bv) + (Math.abs(q) * be) / Math.abs(bv) + 2 * U * Math.abs(q)];
  });
}

/** a·c for a constant c the library may hold rounded to float32 (or divide by 1/c): 2u. */
export function scale(a: Bounded, c: number): Bounded {
  const v = a.v.map((x) => x * c);
  const e = a.e.map((x, i) => Math.abs(c) * x + 2 * U * Math.abs(v[i]));
  return new Bounded(a.shape, v, e);
}

/** a + c for a constant c. */
export function shift(a: Bounded, c: number): Bounded {
  const v = a.v.map((x) => x + c);
  const e = a.e.map((x, i) => x + 2 * U * (Math.abs(a.v[i]) + Math.abs(c)));
  return new Bounded(a.shape, v, e);
}

/** Cap the bound at a size the result can never exceed (e.g. an Adam step is at most lr). */
export function capBound(a: Bounded, cap: number): Bounded {
  return new Bounded(
    a.shape,
    a.v,
    a.e.map((x) => Math.min(x, cap)),
  );
}

export interface ElementaryFunction {
  f: (x: number) => number;
  /** Derivative, to propagate the error already in the argument. */
  df: (x: number) => number;
  /** false: the error is relative to |f| only (exp). */
  absolute: boolean;
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

export const FUNCTIONS = {
  exp: { f: Math.exp, df: Math.exp, absolute: false },
  log: { f: Math.log, df: (x: number) => 1 / x, absolute: true },
  tanh: { f: Math.tanh, df: (x: number) => 1 - Math.tanh(x) ** 2, absolute: true },
  sigmoid: { f: sigmoid, df: (x: number) => sigmoid(x) * (1 - sigmoid(x)), absolute: true },
  softplus: { f: softplus, df: sigmoid, absolute: true },
  sin: { f: Math.sin, df: Math.cos, absolute: true },
  cos: { f: Math.cos, df: (x: number) => -Math.sin(x), absolute: true },
  sqrt: { f: Math.sqrt, df: (x: number) => 0.5 / Math.sqrt(x), absolute: false },
} satisfies Record<string, ElementaryFunction>;

export function apply(fn: ElementaryFunction, a: Bounded): Bounded {
  const v = new Float64Array(a.size);
  const e = new Float64Array(a.size);
  for (let i = 0; i < a.size; i++) {
    const y = fn.f(a.v[i]);
    v[i] = y;
    // An exact argument propagates nothing (even where the slope is infinite, as √ at 0).
    let propagated = a.e[i] === 0 ? 0 : Math.abs(fn.df(a.v[i])) * a.e[i];
    // √ has an infinite slope at 0; there |√(v + δ) − √v| ≤ √δ is the bound to use.
    if (fn === FUNCTIONS.sqrt) propagated = Math.min(propagated, Math.sqrt(a.e[i]));
    e[i] = propagated + FUNCTION_ULPS * U * (Math.abs(y) + (fn.absolute ? 1 : 0));
  }
  return new Bounded(a.shape, v, e);
}

/** The same bound at every element of a [rows, cols] matrix, added along rows: a [rows, cols] + bias [cols]. */
export function addRow(a: Bounded, bias: Bounded): Bounded {
  const cols = bias.size;
  const v = new Float64Array(a.size);
  const e = new Float64Array(a.size);
  for (let i = 0; i < a.size; i++) {
    const bv = bias.v[i % cols];
    v[i] = a.v[i] + bv;
    e[i] = a.e[i] + bias.e[i % cols] + 2 * U * (Math.abs(a.v[i]) + Math.abs(bv));
  }
  return new Bounded(a.shape, v, e);
}

/** Sum of every element: one scalar. */
export function sumAll(a: Bounded): Bounded {
  let s = 0;
  let abs = 0;
  let err = 0;
  for (let i = 0; i < a.size; i++) {
    s += a.v[i];
    abs += Math.abs(a.v[i]);
    err += a.e[i];
  }
  return new Bounded([], Float64Array.of(s), Float64Array.of(err + gamma(a.size - 1) * abs));
}

/** Column sums of a [rows, cols] matrix (a bias gradient): [cols]. */
export function sumRows(a: Bounded): Bounded {
  const [rows, cols] = a.shape;
  const v = new Float64Array(cols);
  const abs = new Float64Array(cols);
  const e = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      v[c] += a.v[r * cols + c];
      abs[c] += Math.abs(a.v[r * cols + c]);
      e[c] += a.e[r * cols + c];
    }
  }
  const g = gamma(rows - 1);
  return new Bounded(
    [cols],
    v,
    e.map((x, c) => x + g * abs[c]),
  );
}

/** Row sums of a [rows, cols] matrix: [rows]. */
export function sumCols(a: Bounded): Bounded {
  const [rows, cols] = a.shape;
  const v = new Float64Array(rows);
  const e = new Float64Array(rows);
  const g = gamma(cols - 1);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    let abs = 0;
    let err = 0;
    for (let c = 0; c < cols; c++) {
      s += a.v[r * cols + c];
      abs += Math.abs(a.v[r * cols + c]);
      err += a.e[r * cols + c];
    }
    v[r] = s;
    e[r] = err + g * abs;
  }
  return new Bounded([rows], v, e);
}

/** Element (i, j) of op(X), where op transposes when `t`. */
function at(x: Float64Array, cols: number, t: boolean, i: number, j: number): number {
  return t ? x[j * cols + i] : x[i * cols + j];
}

/**
 * op(A)·op(B) with op = transpose when ta / tb. Bound: |op A|·e_B + e_A·|op B| + γ_k·|op A|·|op B|.
 * The loops run in float64 over i, k, j; the zero error terms are skipped (inputs are often exact).
 */
export function matmul(a: Bounded, b: Bounded, ta = false, tb = false): Bounded {
  const [ar, ac] = a.shape;
  const [br, bc] = b.shape;
  const m = ta ? ac : ar;
  const k = ta ? ar : ac;
  const n = tb ? br : bc;
  if ((tb ? bc : br) !== k) throw new Error(`bounded matmul: inner sizes differ (${a.shape} · ${b.shape})`);
  const v = new Float64Array(m * n);
  const absProduct = new Float64Array(m * n);
  const e = new Float64Array(m * n);
  const aErr = a.e.some((x) => x !== 0);
  const bErr = b.e.some((x) => x !== 0);
  const bRow = new Float64Array(n);
  const bAbs = new Float64Array(n);
  const bE = new Float64Array(n);
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      bRow[j] = at(b.v, bc, tb, p, j);
      bAbs[j] = Math.abs(bRow[j]);
      bE[j] = bErr ? at(b.e, bc, tb, p, j) : 0;
    }
    for (let i = 0; i < m; i++) {
      const av = at(a.v, ac, ta, i, p);
      if (av === 0 && !aErr) continue;
      const aAbs = Math.abs(av);
      const aE = aErr ? at(a.e, ac, ta, i, p) : 0;
      const row = i * n;
      for (let j = 0; j < n; j++) {
        v[row + j] += av * bRow[j];
        absProduct[row + j] += aAbs * bAbs[j];
      }
      if (aE !== 0 || bErr) for (let j = 0; j < n; j++) e[row + j] += aAbs * bE[j] + aE * bAbs[j];
    }
  }
  const g = gamma(k);
  for (let i = 0; i < m * n; i++) e[i] += g * absProduct[i];
  return new Bounded([m, n], v, e);
}

/** Several bounded results laid end to end, in the order the gate reads them. */
export function concat(parts: readonly Bounded[]): Bounded {
  const size = parts.reduce((s, p) => s + p.size, 0);
  const v = new Float64Array(size);
  const e = new Float64Array(size);
  let offset = 0;
  for (const p of parts) {
    v.set(p.v, offset);
    e.set(p.e, offset);
    offset += p.size;
  }
  return new Bounded([size], v, e);
}
