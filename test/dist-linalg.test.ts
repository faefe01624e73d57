/**
 * Tests for the ops added for the distributions: triangularSolve and cholesky (values against
 * float64 references; reverse mode against central finite differences and against forward mode),
 * and reparamLogGamma (the implicit reparameterization gradient of Gamma samples against a finite
 * difference of the float64 inverse CDF).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grad, jvp, vjp } from '../src/autodiff/index.js';
import { tensor } from '../src/tensor/creation.js';
import {
  cholesky,
  matmul,
  reparamLogGamma,
  gammaLogSampleGradient,
  triangularSolve,
  tril,
  triu,
  diagonal,
} from '../src/tensor/ops/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { gammaLogSampleGrad, regularizedGammaP, regularizedGammaQ } from '../src/tensor/special-gamma.js';
import { SieveError } from '../src/errors.js';
import { expectClose } from './dist-helpers.js';

/** A deterministic pseudo-random generator for test inputs (not for the library). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function randMatrix(rng: () => number, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Array.from({ length: n }, () => rng()),
    shape,
  );
}

/** A well-conditioned lower-triangular matrix (batch of them): diagonal in [1, 2]. */
function randLower(rng: () => number, batch: number[], n: number): Tensor {
  const data: number[] = [];
  const count = batch.reduce((a, b) => a * b, 1);
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data.push(j < i ? rng() : j === i ? 1.5 + rng() : 0);
  }
  return tensor(data, [...batch, n, n]);
}

/** Float64 solve of op(A) x = b for one matrix, A given row-major. */
function refSolve(a: number[], b: number[], n: number, k: number, lower: boolean, transpose: boolean): number[] {
  const m = (i: number, j: number) => (transpose ? a[j * n + i] : a[i * n + j]);
  const x = new Array(n * k).fill(0);
  const fwd = lower !== transpose;
  for (let c = 0; c < k; c++) {
    const order = fwd ? [...Array(n).keys()] : [...Array(n).keys()].reverse();
    for (const i of order) {
      let s = b[i * k + c];
      for (let j = 0; j < n; j++) if ((fwd && j < i) || (!fwd && j > i)) s -= m(i, j) * x[j * k + c];
      x[i * k + c] = s / m(i, i);
    }
  }
  return x;
}

/** ⟨a, b⟩ in float64. */
function dot(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** Central finite difference of scalar f along direction v, in float32 arithmetic. */
function fdDirectional(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor, h: number): number {
  return (f(x.add(v.mul(h))).item() - f(x.sub(v.mul(h))).item()) / (2 * h);
}

describe('triangularSolve', () => {
  it('matches a float64 solve for lower/upper and transposed systems, batched', () => {
    const rng = lcg(1);
    for (const lower of [true, false]) {
      for (const transpose of [false, true]) {
        const l = randLower(rng, [2], 4);
        const a = lower ? l : l.T; // upper for lower = false
        const b = randMatrix(rng, [2, 4, 3]);
        const x = triangularSolve(a, b, { lower, transpose });
        expect(x.shape).toEqual([2, 4, 3]);
        for (let bi = 0; bi < 2; bi++) {
          const ref = refSolve(
            Array.from(a.dataSync().slice(bi * 16, bi * 16 + 16)),
            Array.from(b.dataSync().slice(bi * 12, bi * 12 + 12)),
            4,
            3,
            lower,
            transpose,
          );
          const got = x.dataSync().slice(bi * 12, bi * 12 + 12);
          ref.forEach((r, i) =>
            expectClose(`lower=${lower} transpose=${transpose} [${bi}][${i}]`, got[i], r, 1e-5, 1e-6),
          );
        }
      }
    }
  });

  it('reads only the named triangle', () => {
    const rng = lcg(2);
    const l = randLower(rng, [], 3);
    const junk = l.add(triu(randMatrix(rng, [3, 3]), 1)); // garbage above the diagonal
    const b = randMatrix(rng, [3, 2]);
    expect(triangularSolve(junk, b).toArray()).toEqual(triangularSolve(l, b).toArray());
  });

  it('broadcasts batch axes of a and b', () => {
    const rng = lcg(3);
    const a = randLower(rng, [1, 2], 3);
    const b = randMatrix(rng, [4, 1, 3, 1]);
    const x = triangularSolve(a, b);
    expect(x.shape).toEqual([4, 2, 3, 1]);
    // each result solves its system: a x = b
    const back = matmul(a, x);
    const want = b.broadcastTo([4, 2, 3, 1]).dataSync();
    back.dataSync().forEach((v, i) => expectClose(`a x = b [${i}]`, v, want[i], 1e-5, 1e-5));
  });

  it('gradients match finite differences and forward mode agrees with reverse mode (all four variants)', () => {
    const rng = lcg(4);
    for (const lower of [true, false]) {
      for (const transpose of [false, true]) {
        const l = randLower(rng, [2], 3);
        const a = lower ? l : l.T;
        const b = randMatrix(rng, [2, 3, 2]);
        const w = randMatrix(rng, [2, 3, 2]);
        const f = (aa: Tensor, bb: Tensor) => triangularSolve(aa, bb, { lower, transpose }).mul(w).sum();
        const [ga, gb] = grad(f, [0, 1])(a, b) as [Tensor, Tensor];
        // gradient is confined to the triangle that is read
        const mask = lower ? tril(tensor(1).broadcastTo([3, 3])) : triu(tensor(1).broadcastTo([3, 3]));
        expect(ga.mul(tensor(1).sub(mask)).abs().sum().item()).toBe(0);
        const va = randMatrix(rng, [2, 3, 3]).mul(mask);
        const vb = randMatrix(rng, [2, 3, 2]);
        const fdA = fdDirectional((x) => f(x, b), a, va, 1e-2);
        const fdB = fdDirectional((x) => f(a, x), b, vb, 1e-2);
        expectClose(`dA lower=${lower} T=${transpose}`, dot(ga, va), fdA, 2e-3, 2e-3);
        expectClose(`dB lower=${lower} T=${transpose}`, dot(gb, vb), fdB, 2e-3, 2e-3);
        // forward mode: <w, J [va, vb]> equals <grad, [va, vb]>
        const [, tangent] = jvp(
          (aa: Tensor, bb: Tensor) => triangularSolve(aa, bb, { lower, transpose }),
          [a, b],
          [va, vb],
        );
        expectClose(
          `jvp/vjp lower=${lower} T=${transpose}`,
          dot(tangent as Tensor, w),
          dot(ga, va) + dot(gb, vb),
          1e-4,
          1e-5,
        );
      }
    }
  });

  it('second derivatives are available (the rules are written in differentiable ops)', () => {
    const a = tensor([
      [2, 0],
      [1, 3],
    ]);
    const b = tensor([[1], [2]]);
    // f(s) = sum(solve(s·a, b)) = sum(solve(a, b)) / s, so f''(s) = 2 sum(solve(a, b)) / s^3
    const f = (s: Tensor) => triangularSolve(a.mul(s), b).sum();
    const s0 = tensor(1.5);
    const second = grad((s: Tensor) => grad(f)(s))(s0).item();
    const base = triangularSolve(a, b).sum().item();
    expectClose('d2f/ds2', second, (2 * base) / 1.5 ** 3, 1e-4, 1e-6);
  });

  it('rejects bad shapes', () => {
    expect(() => triangularSolve(tensor([[1, 2, 3]]), tensor([[1]]))).toThrow(
      'triangularSolve: expected a square matrix (or a batch of them) of shape [..., n, n], got [1,3]',
    );
    expect(() =>
      triangularSolve(
        tensor([
          [1, 0],
          [0, 1],
        ]),
        tensor([1, 2]),
      ),
    ).toThrow(
      'triangularSolve: b must be a ' +
        'matrix (or a batch of them) of shape [..., n, k], got [2]; for a vector use expandDims(b, -1)',
    );
    expect(() =>
      triangularSolve(
        tensor([
          [1, 0],
          [0, 1],
        ]),
        tensor([[1], [2], [3]]),
      ),
    ).toThrow('triangularSolve: a is 2×2 but b has 3 rows (shapes [2,2] and [3,1])');
  });
});

describe('cholesky', () => {
  it('factors random SPD matrices: L lower-triangular with positive diagonal and L Lᵀ = A', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const rng = lcg(seed);
        const m = randMatrix(rng, [2, n, n]);
        const a = matmul(m, m.T).add(tensor(0.5).mul(eyeOf(n))); // SPD
        const l = cholesky(a);
        expect(tril(l).toArray()).toEqual(l.toArray());
        expect(
          diagonal(l)
            .dataSync()
            .every((v) => v > 0),
        ).toBe(true);
        const back = matmul(l, l.T).dataSync();
        a.dataSync().forEach((v, i) => expectClose(`LLᵀ[${i}]`, back[i], v, 1e-5, 1e-5));
      }),
      { seed: 7, numRuns: 20 },
    );
  });

  it('symmetrizes its input: the factor of (A + Aᵀ)/2', () => {
    const a = tensor([
      [4, 1],
      [3, 5],
    ]);
    const s = tensor([
      [4, 2],
      [2, 5],
    ]);
    expect(cholesky(a).toArray()).toEqual(cholesky(s).toArray());
  });

  it('gradient matches finite differences and forward mode, and is symmetric', () => {
    const rng = lcg(11);
    const m = randMatrix(rng, [2, 3, 3]);
    const a = matmul(m, m.T).add(eyeOf(3));
    const w = randMatrix(rng, [2, 3, 3]);
    const f = (x: Tensor) => cholesky(x).mul(w).sum();
    const g = grad(f)(a) as Tensor;
    expect(g.toArray()).toEqual(g.T.toArray());
    for (let t = 0; t < 3; t++) {
      const v = randMatrix(rng, [2, 3, 3]);
      expectClose(`dA·v (${t})`, dot(g, v), fdDirectional(f, a, v, 1e-2), 3e-3, 3e-3);
      const [, tangent] = jvp(cholesky, [a], [v.add(v.T).mul(0.5)]);
      expectClose(`jvp/vjp (${t})`, dot(tangent as Tensor, w), dot(g, v.add(v.T).mul(0.5)), 1e-4, 1e-5);
    }
  });

  it('gradient of log det through cholesky is the inverse (d log|A| / dA = A⁻¹ for symmetric A)', () => {
    const a = tensor([
      [4, 1, 0.5],
      [1, 3, 0.2],
      [0.5, 0.2, 2],
    ]);
    const logdet = (x: Tensor) => diagonal(cholesky(x)).log().sum().mul(2);
    const g = grad(logdet)(a) as Tensor;
    const prod = matmul(g, a).dataSync(); // should be the identity
    prod.forEach((v, i) => expectClose(`A⁻¹A[${i}]`, v, i % 4 === 0 ? 1 : 0, 1e-5, 1e-5));
    const [, pullback] = vjp(cholesky, a);
    expect((pullback(tensor(0).broadcastTo([3, 3]))[0] as Tensor).abs().sum().item()).toBe(0);
  });

  it('throws a clear error for a matrix that is not positive definite', () => {
    expect(() =>
      cholesky(
        tensor([
          [1, 2],
          [2, 1],
        ]),
      ),
    ).toThrow(SieveError);
    expect(() =>
      cholesky(
        tensor([
          [1, 2],
          [2, 1],
        ]),
      ),
    ).toThrow('cholesky: matrix is not positive definite: the leading minor of order 2 is not positive (pivot -3)');
    expect(() =>
      cholesky(
        tensor([
          [
            [1, 0],
            [0, 1],
          ],
          [
            [-1, 0],
            [0, 1],
          ],
        ]),
      ),
    ).toThrow(
      'cholesky: matrix is not positive ' +
        'definite: the leading minor of order 1 is not positive (pivot -1) (batch index [1])',
    );
  });
});

function eyeOf(n: number): Tensor {
  return tensor(
    Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0)),
    [n, n],
  );
}

describe('implicit Gamma reparameterization (special-gamma.ts, reparamLogGamma)', () => {
  /** log z with P(a, z) = u, by bisection on log z in float64. */
  function logQuantile(a: number, u: number): number {
    let lo = -700;
    let hi = 20 + Math.log(a + 50);
    for (let i = 0; i < 200; i++) {
      const m = (lo + hi) / 2;
      if (u < 0.5 ? regularizedGammaP(a, Math.exp(m)) < u : regularizedGammaQ(a, Math.exp(m)) > 1 - u) lo = m;
      else hi = m;
    }
    return (lo + hi) / 2;
  }

  it('regularized incomplete gamma: known values', () => {
    expectClose('P(1, 2)', regularizedGammaP(1, 2), 1 - Math.exp(-2), 1e-14);
    expectClose('Q(1, 30)', regularizedGammaQ(1, 30), Math.exp(-30), 1e-12);
    // P(1/2, x) = erf(sqrt(x)); erf(1) = 0.8427007929497149
    expectClose('P(0.5, 1)', regularizedGammaP(0.5, 1), 0.8427007929497149, 1e-13);
    // P(3, x) = 1 - e^-x (1 + x + x²/2)
    expectClose('P(3, 5)', regularizedGammaP(3, 5), 1 - Math.exp(-5) * (1 + 5 + 12.5), 1e-13);
    expectClose('P + Q = 1', regularizedGammaP(7.3, 6.1) + regularizedGammaQ(7.3, 6.1), 1, 1e-14);
  });

  it('d log z / d alpha matches a finite difference of the inverse CDF, across alpha and quantiles', () => {
    fc.assert(
      fc.property(
        fc.double({ min: Math.log(0.02), max: Math.log(500), noNaN: true }),
        fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }),
        (logA, u) => {
          const a = Math.exp(logA);
          const lz = logQuantile(a, u);
          const h = 1e-4 * a;
          const fd = (logQuantile(a + h, u) - logQuantile(a - h, u)) / (2 * h);
          expectClose(`a=${a} u=${u}`, gammaLogSampleGrad(a, lz), fd, 1e-6, 1e-9);
        },
      ),
      { seed: 3, numRuns: 60 },
    );
  });

  it('the tensor op: identity in value, implicit gradient in alpha, identity in log z', () => {
    const alpha = tensor([0.3, 2, 40]);
    const logz = tensor([-3, 0.5, 3.7]);
    expect(reparamLogGamma(alpha, logz).toArray()).toEqual(logz.toArray());
    const [ga, gz] = grad((a: Tensor, z: Tensor) => reparamLogGamma(a, z).sum(), [0, 1])(alpha, logz) as [
      Tensor,
      Tensor,
    ];
    const want = [0, 1, 2].map((i) => gammaLogSampleGrad(alpha.dataSync()[i], logz.dataSync()[i]));
    ga.dataSync().forEach((v, i) => expectClose(`grad alpha ${i}`, v, want[i], 1e-6, 1e-7));
    expect(gz.toArray()).toEqual([1, 1, 1]);
    // broadcast alpha: the gradient is summed over the broadcast axis
    const gb = grad((a: Tensor) => reparamLogGamma(a, logz).sum())(tensor(2)) as Tensor;
    expectClose(
      'broadcast',
      gb.item(),
      [0, 1, 2].reduce((s, i) => s + gammaLogSampleGrad(2, logz.dataSync()[i]), 0),
      1e-6,
    );
    // forward mode agrees
    const [, t] = jvp((a: Tensor) => reparamLogGamma(a, logz), [alpha], [tensor([1, 1, 1])]);
    (t as Tensor).dataSync().forEach((v, i) => expectClose(`jvp ${i}`, v, want[i], 1e-6, 1e-7));
    expect(gammaLogSampleGradient(alpha, logz).shape).toEqual([3]);
  });

  it('stays finite for samples far below the float32 range (alpha = 0.01)', () => {
    const g = gammaLogSampleGrad(0.01, -400); // z = e^-400
    expect(Number.isFinite(g)).toBe(true);
    expect(g).toBeGreaterThan(0);
  });
});
