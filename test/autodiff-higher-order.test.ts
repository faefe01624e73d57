/**
 * Second and third derivatives against closed forms and against finite differences of float64
 * gradients: tanh'', softplus'', sin''' (nested grad and nested jvp), the Hessian of logsumexp
 * (through its customVjp, by jacobian(grad) and by hvp), of a quadratic form, and of matmul
 * compositions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cos,
  grad,
  hvp,
  jacobian,
  jvp,
  lgamma,
  logsumexp,
  matmul,
  polygamma,
  sigmoid,
  sin,
  softplus,
  tanh,
  tensor,
  type Tensor,
} from '../src/index.js';
import { polygamma as polygamma64 } from '../src/tensor/special.js';
import { gamma, Rng, seedArb } from './helpers/gradtest.js';

const RUNS = Number(process.env.SIEVE_GRAD_RUNS ?? 20);

const vec = (rng: Rng, n: number, lo: number, hi: number): Tensor =>
  tensor(Array.from({ length: n }, () => rng.uniform(lo, hi)));
const mat = (rng: Rng, r: number, c: number, lo = -1, hi = 1): Tensor =>
  tensor(
    Array.from({ length: r * c }, () => rng.uniform(lo, hi)),
    [r, c],
  );

/**
 * Every |a − b| ≤ rtol·|b| + atol·max(1, max|b|). The quantities here are O(1); float32 results
 * carry absolute errors of ~1e-7 of that scale (e.g. 1 − tanh² for tanh ≈ 1), even when tiny.
 */
function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  expect(actual.length, what).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= rtol * Math.abs(expected[i]) + atol * scale + 1e-12)) {
      throw new Error(`${what}: element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/**
 * Every |a_i − b_i| ≤ tol_i, where tol_i = γ_n·M_i bounds the float32 error of Sieve's result: n
 * roundings along the longest chain, M_i the sum of the absolute values of the terms (see
 * docs/testing.md). The float64 expected values are exact by comparison.
 */
function expectWithinBound(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tol: readonly number[],
  what: string,
): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol[i])) {
      throw new Error(
        `${what}: element ${i}: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol[i].toExponential(2)})`,
      );
    }
  }
}

/** d²/dx² of an elementwise f, elementwise: grad of sum(grad of sum f). */
const second = (f: (x: Tensor) => Tensor) => grad((x: Tensor) => grad((y: Tensor) => f(y).sum())(x).sum());

describe('second derivatives of elementwise functions (closed forms)', () => {
  it("tanh'' = -2 tanh (1 - tanh²), by grad∘grad and by jvp∘jvp", () => {
    fc.assert(
      fc.property(seedArb, (s) => {
        const x = vec(new Rng(s), 8, -3, 3);
        const t = Array.from(x.dataSync(), Math.tanh);
        const expected = t.map((v) => -2 * v * (1 - v * v));
        // Both modes compute −2y·(1 − y·y) from the rounded y: 5 roundings (y, y·y, 1 − ·, ·y, the sum
        // of the two equal terms y·t + t·y), terms 2|y|(1 + y²).
        const tol = t.map((v) => gamma(5) * 2 * Math.abs(v) * (1 + v * v));
        expectWithinBound(second(tanh)(x).dataSync(), expected, tol, "tanh'' by grad(grad)");
        const ones = tensor(new Array(8).fill(1));
        const [, t2] = jvp((y: Tensor) => jvp(tanh, [y], [ones])[1], [x], [ones]);
        expectWithinBound(t2.dataSync(), expected, tol, "tanh'' by jvp(jvp)");
        // teeth: the first derivative is not the second
        const first = grad((y: Tensor) => tanh(y).sum())(x).dataSync();
        expect(() => expectWithinBound(first, expected, tol, "tanh'")).toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it("softplus'' = σ(x)(1 - σ(x)), and sigmoid'' = σ(1-σ)(1-2σ)", () => {
    fc.assert(
      fc.property(seedArb, (s) => {
        const x = vec(new Rng(s), 8, -6, 6);
        const y = Array.from(x.dataSync(), (v) => 1 / (1 + Math.exp(-v)));
        // softplus'' is σ' = y·(1 − y) from the rounded y = σ(x): 4 roundings, terms y(1 + y).
        const softplusTol = y.map((v) => gamma(4) * v * (1 + v));
        expectWithinBound(
          second(softplus)(x).dataSync(),
          y.map((v) => v * (1 - v)),
          softplusTol,
          "softplus''",
        );
        // sigmoid'' = ((1 − y) − y)·y(1 − y), the cotangent of y summed from its two uses: 4 roundings on
        // the longest chain (y, 1 − y, y·(1 − y), the product), terms (1 + 2y)·y(1 + y).
        const sigmoidTol = y.map((v) => gamma(4) * (1 + 2 * v) * v * (1 + v));
        const sigmoid2 = y.map((v) => v * (1 - v) * (1 - 2 * v));
        expectWithinBound(second(sigmoid)(x).dataSync(), sigmoid2, sigmoidTol, "sigmoid''");
        // teeth: the first derivative is not the second
        const first = grad((t: Tensor) => sigmoid(t).sum())(x).dataSync();
        expect(() => expectWithinBound(first, sigmoid2, sigmoidTol, "sigmoid'")).toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it("lgamma'' = polygamma(1) and lgamma''' = polygamma(2)", () => {
    const x = tensor([0.5, 1, 2.5, 4]);
    expectClose(
      second(lgamma)(x).dataSync(),
      Array.from(x.dataSync(), (v) => polygamma64(1, v)),
      1e-5,
      0,
      "lgamma''",
    );
    const third = grad((y: Tensor) => second(lgamma)(y).sum());
    expectClose(
      third(x).dataSync(),
      Array.from(x.dataSync(), (v) => polygamma64(2, v)),
      1e-5,
      0,
      "lgamma'''",
    );
    expectClose(
      grad((y: Tensor) => polygamma(1, y).sum())(x).dataSync(),
      Array.from(x.dataSync(), (v) => polygamma64(2, v)),
      1e-5,
      0,
      "polygamma(1)'",
    );
  });

  it("sin''' = -cos and sin'''' = sin, by nested grad, nested jvp and mixed", () => {
    for (const v of [-2.5, -0.3, 0, 0.7, 1.9]) {
      const x = tensor(v);
      const d = (f: (t: Tensor) => Tensor) => grad(f);
      const g3 = d(d(d((t: Tensor) => sin(t))))(x) as Tensor;
      expect(g3.item()).toBeCloseTo(-Math.cos(v), 6);
      const g4 = d(d(d(d((t: Tensor) => sin(t)))))(x) as Tensor;
      expect(g4.item()).toBeCloseTo(Math.sin(v), 6);
      const one = tensor(1);
      const j =
        (f: (t: Tensor) => Tensor) =>
        (t: Tensor): Tensor =>
          jvp(f, [t], [one])[1];
      expect(j(j(j(sin)))(x).item()).toBeCloseTo(-Math.cos(v), 6);
      // forward over reverse over forward
      expect(j(grad(j(sin)))(x).item()).toBeCloseTo(-Math.cos(v), 6);
      expect(grad(j(grad((t: Tensor) => cos(t))))(x).item()).toBeCloseTo(Math.sin(v), 6);
    }
  });
});

describe('Hessians', () => {
  it('of logsumexp is diag(p) - p pᵀ (through its customVjp), by jacobian(grad) and by hvp', () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 6 }), (s, n) => {
        const rng = new Rng(s);
        const x = vec(rng, n, -3, 3);
        const xs = Array.from(x.dataSync());
        const m = Math.max(...xs);
        const z = xs.reduce((acc, v) => acc + Math.exp(v - m), 0);
        const p = xs.map((v) => Math.exp(v - m) / z);
        const H = p.flatMap((pi, i) => p.map((pj, j) => (i === j ? pi : 0) - pi * pj));
        const lse = (t: Tensor) => logsumexp(t);
        const J = jacobian(grad(lse))(x);
        expect(J.shape).toEqual([n, n]);
        expectClose(J.dataSync(), H, 1e-4, 1e-5, 'jacobian(grad(logsumexp))');
        const v = vec(rng, n, -1, 1);
        const Hv = p.map((_, i) => p.reduce((acc, _pj, j) => acc + H[i * n + j] * v.dataSync()[j], 0));
        expectClose(hvp(lse, x, v).dataSync(), Hv, 1e-4, 1e-5, 'hvp(logsumexp)');
        // grad of the directional derivative (reverse over forward) gives H v too
        expectClose(grad((t: Tensor) => jvp(lse, [t], [v])[1])(x).dataSync(), Hv, 1e-4, 1e-5, 'grad(jvp(logsumexp))');
      }),
      { numRuns: RUNS },
    );
  });

  it('of 0.5 xᵀ A x is (A + Aᵀ)/2 for a non-symmetric A', () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 5 }), (s, n) => {
        const rng = new Rng(s);
        const A = mat(rng, n, n, -2, 2);
        const x = vec(rng, n, -2, 2);
        const f = (t: Tensor) => matmul(t, matmul(A, t)).mul(0.5);
        const a = A.dataSync();
        const sym = Array.from({ length: n * n }, (_, k) => (a[k] + a[(k % n) * n + Math.floor(k / n)]) / 2);
        expectClose(jacobian(grad(f))(x).dataSync(), sym, 1e-5, 1e-6, 'Hessian of the quadratic form');
        const e0 = tensor(Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)));
        expectClose(hvp(f, x, e0).dataSync(), sym.slice(0, n), 1e-5, 1e-6, 'hvp with e0 (first column; symmetric)');
        // teeth: A itself is not the Hessian unless it happens to be symmetric
        if (a.some((v, k) => Math.abs(v - sym[k]) > 1e-3))
          expect(() => expectClose(jacobian(grad(f))(x).dataSync(), Array.from(a), 1e-5, 1e-6, 'A')).toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it('of f(W) = sum(tanh(X W)): hvp matches finite differences of the float64 gradient Xᵀ(1 - tanh²(X W))', () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (s, b, k, n) => {
          const rng = new Rng(s);
          const X = mat(rng, b, k, -1.5, 1.5);
          const W = mat(rng, k, n, -1.5, 1.5);
          const V = mat(rng, k, n, -1, 1);
          const f = (w: Tensor) => tanh(matmul(X, w)).sum();
          const xd = X.dataSync();
          const grad64 = (w: Float64Array): Float64Array => {
            const g = new Float64Array(k * n);
            for (let i = 0; i < b; i++) {
              for (let j = 0; j < n; j++) {
                let z = 0;
                for (let p = 0; p < k; p++) z += xd[i * k + p] * w[p * n + j];
                const d = 1 - Math.tanh(z) ** 2;
                for (let p = 0; p < k; p++) g[p * n + j] += xd[i * k + p] * d;
              }
            }
            return g;
          };
          const h = 1e-6;
          const wd = Float64Array.from(W.dataSync());
          const vd = V.dataSync();
          const gp = grad64(wd.map((w, i) => w + h * vd[i]));
          const gm = grad64(wd.map((w, i) => w - h * vd[i]));
          const fdHv = Array.from(gp, (g, i) => (g - gm[i]) / (2 * h));
          const Hv = hvp(f, W, V);
          expect(Hv.shape).toEqual([k, n]);
          expectClose(Hv.dataSync(), fdHv, 1e-4, 1e-5, 'hvp of sum(tanh(X W))');
          expectClose(jvp((w: Tensor) => grad(f)(w), [W], [V])[1].dataSync(), fdHv, 1e-4, 1e-5, 'jvp of grad');
          expectClose(grad((w: Tensor) => jvp(f, [w], [V])[1])(W).dataSync(), fdHv, 1e-4, 1e-5, 'grad of jvp');
          expectClose(grad(f)(W).dataSync(), grad64(wd), 1e-5, 1e-6, 'the gradient itself');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('of ||A B||² in A, in direction V, is 2 (V B) Bᵀ (mixed batched matmul)', () => {
    const rng = new Rng(3);
    const A = tensor(
      Array.from({ length: 2 * 3 * 4 }, () => rng.uniform(-1, 1)),
      [2, 3, 4],
    );
    const B = mat(rng, 4, 2);
    const V = tensor(
      Array.from({ length: 2 * 3 * 4 }, () => rng.uniform(-1, 1)),
      [2, 3, 4],
    );
    const f = (a: Tensor) => matmul(a, B).square().sum();
    const expected = matmul(matmul(V, B), B.T).mul(2);
    expectClose(hvp(f, A, V).dataSync(), expected.dataSync(), 1e-5, 1e-6, 'hvp of ||AB||²');
    // and the mixed second derivative d/dB <grad_A f, V> = 2 (Aᵀ V B + Vᵀ A B) summed over the batch
    const mixed = grad((b: Tensor) =>
      grad((a: Tensor) => matmul(a, b).square().sum())(A)
        .mul(V)
        .sum(),
    )(B);
    const At = A.transpose([0, 2, 1]);
    const Vt = V.transpose([0, 2, 1]);
    const expectedMixed = matmul(At, matmul(V, B))
      .add(matmul(Vt, matmul(A, B)))
      .mul(2)
      .sum(0);
    expectClose(mixed.dataSync(), expectedMixed.dataSync(), 1e-5, 1e-6, 'mixed second derivative');
  });
});
