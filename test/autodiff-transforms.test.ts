/**
 * Semantics of the transforms: nested perturbations (no perturbation confusion), hvp = grad of jvp,
 * zero gradients, argnums, hasAux, pytrees with constants, stopGradient, customVjp in both modes
 * and nested, the error messages, and a 100,000-op graph.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  cos,
  customVjp,
  grad,
  hvp,
  jacobian,
  jvp,
  logsumexp,
  matmul,
  mul,
  scalar,
  sin,
  stopGradient,
  tensor,
  type Tensor,
  treeFlatten,
  treeMap,
  treeUnflatten,
  valueAndGrad,
  vjp,
  zeros,
} from '../src/index.js';
import { Rng, seedArb } from './helpers/gradtest.js';

const RUNS = Number(process.env.SIEVE_GRAD_RUNS ?? 20);
const num = fc.double({ min: -5, max: 5, noNaN: true }).map(Math.fround);

/** Plain nested arrays of a pytree's tensors, for toEqual comparisons. */
const plain = (tree: unknown): unknown =>
  treeUnflatten(
    treeFlatten(tree)[1],
    treeFlatten(tree)[0].map((t) => t.toArray()),
  );

describe('nested perturbations are kept apart', () => {
  it('d/dx [x · d/dy (x + y)] = 1 at any point (reverse-over-reverse, and every mode mix)', () => {
    fc.assert(
      fc.property(num, num, (xv, yv) => {
        const x = scalar(xv);
        const y0 = scalar(yv);
        const one = scalar(1);
        // reverse over reverse
        expect(grad((a: Tensor) => a.mul(grad((b: Tensor) => a.add(b))(y0)))(x).item()).toBe(1);
        // forward over reverse, reverse over forward, forward over forward
        expect(jvp((a: Tensor) => a.mul(grad((b: Tensor) => a.add(b))(y0)), [x], [one])[1].item()).toBe(1);
        expect(grad((a: Tensor) => a.mul(jvp((b: Tensor) => a.add(b), [y0], [one])[1]))(x).item()).toBe(1);
        expect(jvp((a: Tensor) => a.mul(jvp((b: Tensor) => a.add(b), [y0], [one])[1]), [x], [one])[1].item()).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('d/dx [x · d/dy (x · y)] = 2x (the inner derivative is x itself, still traced by the outer transform)', () => {
    fc.assert(
      fc.property(num, num, (xv, yv) => {
        const x = scalar(xv);
        const y0 = scalar(yv);
        const one = scalar(1);
        expect(grad((a: Tensor) => a.mul(grad((b: Tensor) => a.mul(b))(y0)))(x).item()).toBe(Math.fround(2 * xv));
        expect(jvp((a: Tensor) => a.mul(grad((b: Tensor) => a.mul(b))(y0)), [x], [one])[1].item()).toBe(
          Math.fround(2 * xv),
        );
        expect(grad((a: Tensor) => a.mul(jvp((b: Tensor) => a.mul(b), [y0], [one])[1]))(x).item()).toBe(
          Math.fround(2 * xv),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('an inner transform of a function that ignores its argument but uses the outer variable', () => {
    // d/dx [ d/dy (x²) ] = 0: the inner gradient is 0 whatever x is.
    expect(grad((a: Tensor) => grad((_b: Tensor) => a.mul(a))(scalar(2)).add(a.mul(3)))(scalar(1.5)).item()).toBe(3);
  });

  it('jvp of grad (hvp) equals grad of jvp, for a composite function', () => {
    fc.assert(
      fc.property(seedArb, (s) => {
        const rng = new Rng(s);
        const W = tensor(
          Array.from({ length: 12 }, () => rng.uniform(-1, 1)),
          [3, 4],
        );
        const x = tensor(Array.from({ length: 4 }, () => rng.uniform(-2, 2)));
        const v = tensor(Array.from({ length: 4 }, () => rng.uniform(-1, 1)));
        const f = (t: Tensor) => logsumexp(matmul(W, t)).add(sin(t).mul(t.square()).sum());
        const a = hvp(f, x, v).dataSync();
        const b = grad((t: Tensor) => jvp(f, [t], [v])[1])(x).dataSync();
        const c = jvp((t: Tensor) => grad(f)(t), [x], [v])[1].dataSync();
        for (let i = 0; i < 4; i++) {
          expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(a[i])));
          expect(c[i]).toBe(a[i]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('grad, valueAndGrad, vjp: arguments and outputs', () => {
  it('a function that ignores its input has a zero gradient of the input shape (tensor and pytree)', () => {
    const g = grad((_x: Tensor) => tensor(3))(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    expect(g.shape).toEqual([2, 3]);
    expect(g.toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const c = tensor([1, 2]);
    const gt = grad((_p: { a: Tensor; b: Tensor[] }) => c.mul(2).sum())({ a: tensor([1]), b: [zeros([2, 2])] });
    expect(plain(gt)).toEqual({
      a: [0],
      b: [
        [
          [0, 0],
          [0, 0],
        ],
      ],
    });
    // forward mode: a zero tangent of the output's shape
    expect(jvp((_x: Tensor) => c.mul(2), [tensor([5])], [tensor([1])])[1].toArray()).toEqual([0, 0]);
    // and a function of one of two arguments has zero gradient in the other
    const [ga, gb] = grad((a: Tensor, _b: Tensor) => a.sum(), [0, 1])(tensor([1, 2]), tensor([3])) as Tensor[];
    expect(ga.toArray()).toEqual([1, 1]);
    expect(gb.toArray()).toEqual([0]);
  });

  it('argnums: a number gives one gradient, a list gives a list in that order', () => {
    const f = (a: Tensor, b: Tensor, c: Tensor) => a.mul(b).mul(c).sum();
    const a = tensor([1, 2]),
      b = tensor([3, 4]),
      c = tensor([5, 6]);
    expect(grad(f)(a, b, c).toArray()).toEqual([15, 24]);
    expect(grad(f, 1)(a, b, c).toArray()).toEqual([5, 12]);
    const gs = grad(f, [2, 0])(a, b, c) as Tensor[];
    expect(gs.map((t) => t.toArray())).toEqual([
      [3, 8],
      [15, 24],
    ]);
    const [v, g] = valueAndGrad(f, [1])(a, b, c) as [Tensor, Tensor[]];
    expect(v.item()).toBe(15 + 48);
    expect(g[0].toArray()).toEqual([5, 12]);
    expect(() => grad(f, 3)(a, b, c)).toThrow('valueAndGrad: argnums 3 is out of range for 3 arguments');
    expect(() => grad(f, [0, -1])(a, b, c)).toThrow(/argnums -1 is out of range/);
  });

  it('hasAux returns [gradient, aux]; aux is not differentiated and not left traced', () => {
    // f declares its result a pair, so that grad can type the aux (an array literal alone is an array).
    const f = (x: Tensor): [Tensor, { y: Tensor; mean: Tensor; label: string }] => {
      const y = x.square().sum();
      return [y, { y, mean: x.mean(), label: 'aux' }];
    };
    const [g, aux] = grad(f, 0, { hasAux: true })(tensor([1, 2, 3]));
    expect(g.toArray()).toEqual([2, 4, 6]);
    expect(aux.y.item()).toBe(14);
    expect(aux.mean.item()).toBe(2);
    expect(aux.label).toBe('aux');
    expect(aux.y.isTraced).toBe(false);
    const [[value, aux2], g2] = valueAndGrad(f, 0, { hasAux: true })(tensor([1, 2, 3]));
    expect(value.item()).toBe(14);
    expect(aux2.mean.item()).toBe(2);
    expect(g2.toArray()).toEqual([2, 4, 6]);
    // @ts-expect-error: with hasAux, f must return a pair (the types say so too).
    expect(() => grad((x: Tensor) => x.sum(), 0, { hasAux: true })(tensor([1]))).toThrow(
      'valueAndGrad: with hasAux, f must return [value, aux]',
    );
  });

  it('hasAux inside another transform: aux still carries the outer derivative', () => {
    // inner: value x³, aux x²; outer differentiates 3x² + x², so the result is 8x.
    const inner = (t: Tensor): [Tensor, Tensor] => [t.mul(t).mul(t), t.mul(t)];
    const outer = (t: Tensor) => {
      const [g, aux] = grad(inner, 0, { hasAux: true })(t);
      return g.add(aux);
    };
    expect(grad(outer)(scalar(1.5)).item()).toBe(12);
    expect(jvp((t: Tensor) => grad(inner, 0, { hasAux: true })(t)[1], [scalar(1.5)], [scalar(1)])[1].item()).toBe(3);
    expect(hvp((t: Tensor) => grad(inner, 0, { hasAux: true })(t)[1], scalar(1.5), scalar(1)).item()).toBe(2);
  });

  it('pytrees of nested objects and arrays: gradients keep the structure, constants are kept as they are', () => {
    const params = {
      layers: [
        {
          w: tensor([
            [1, 2],
            [3, 4],
          ]),
          act: 'tanh',
        },
        { w: tensor([[0.5], [-1]]), act: null },
      ],
      scale: 2,
      b: tensor([0.25]),
    };
    const f = (p: typeof params) =>
      matmul(matmul(tensor([[1, 1]]), p.layers[0].w), p.layers[1].w)
        .mul(p.scale)
        .add(p.b)
        .sum();
    const g = grad(f)(params);
    expect(g.layers[0].act).toBe('tanh');
    expect(g.layers[1].act).toBe(null);
    expect(g.scale).toBe(2);
    // d/dW1 of 1ᵀ W1 W2: (1 · W2ᵀ) scaled by 2; d/dW2: (1ᵀ W1)ᵀ · 2
    expect(plain(g)).toEqual({
      b: [1],
      layers: [
        {
          act: 'tanh',
          w: [
            [1, -2],
            [1, -2],
          ],
        },
        { act: null, w: [[8], [12]] },
      ],
      scale: 2,
    });
    // an SGD step with treeMap keeps the structure too
    const stepped = treeMap((p: Tensor, d: Tensor) => p.sub(d.mul(0.5)), params, g);
    expect(stepped.layers[0].act).toBe('tanh');
    expect(stepped.b.toArray()).toEqual([-0.25]);
  });

  it('jvp and vjp take pytrees of primals, tangents and cotangents', () => {
    const f = (p: { a: Tensor; b: [Tensor, string] }) => ({ s: p.a.mul(p.b[0]), t: [p.a.exp()] });
    const primal = { a: tensor([0, 1]), b: [tensor([2, 3]), 'const'] as [Tensor, string] };
    const tangent = { a: tensor([1, 0]), b: [tensor([0, 1]), 'const'] as [Tensor, string] };
    const [out, tOut] = jvp(f, [primal], [tangent]);
    expect(plain(out)).toEqual({ s: [0, 3], t: [[1, Math.fround(Math.E)]] });
    expect(plain(tOut)).toEqual({ s: [2, 1], t: [[1, 0]] });
    const [, pullback] = vjp(f, primal);
    const [ct] = pullback({ s: tensor([1, 1]), t: [tensor([1, 0])] });
    expect(plain(ct)).toEqual({ a: [3, 3], b: [[0, 1], 'const'] });
    expect(
      plain(hvp((p: { x: Tensor }) => p.x.square().sum().mul(p.x.sum()), { x: tensor([1, 2]) }, { x: tensor([1, 0]) })),
    ).toEqual({ x: [10, 6] });
  });

  it('jacobian has shape out.shape ++ x.shape', () => {
    const J = jacobian((x: Tensor) =>
      matmul(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        x.square(),
      ),
    )(tensor([1, -1, 2]));
    expect(J.shape).toEqual([2, 3]);
    expect(J.toArray()).toEqual([
      [2, -4, 12],
      [8, -10, 24],
    ]);
    expect(jacobian((x: Tensor) => x.sum())(tensor([[1, 2]])).shape).toEqual([1, 2]);
  });
});

describe('stopGradient', () => {
  it('gives zero gradient, and grad of x · stopGradient(x) is x', () => {
    const x = tensor([1, -2, 3]);
    expect(grad((t: Tensor) => stopGradient(t).square().sum())(x).toArray()).toEqual([0, 0, 0]);
    expect(grad((t: Tensor) => t.mul(stopGradient(t)).sum())(x).toArray()).toEqual([1, -2, 3]);
    expect(jvp((t: Tensor) => t.mul(stopGradient(t)), [x], [tensor([1, 1, 1])])[1].toArray()).toEqual([1, -2, 3]);
  });

  it('inside nested transforms it blocks every level', () => {
    const x = scalar(1.5);
    // inner: d/db (b · sg(a) · a) = sg(a) · a; outer: d/da = sg(a) = a
    expect(grad((a: Tensor) => grad((b: Tensor) => b.mul(stopGradient(a)).mul(a))(a))(x).item()).toBe(1.5);
    // grad of grad of x · sg(x²): the inner gradient is sg(x²), whose outer derivative is 0
    expect(grad((a: Tensor) => grad((b: Tensor) => b.mul(stopGradient(b.square())))(a))(x).item()).toBe(0);
    // pytrees
    const tree = stopGradient({ w: tensor([1]), k: 'c' });
    expect(tree.k).toBe('c');
  });
});

describe('customVjp', () => {
  // A deliberately "wrong" rule, so that which rule ran is visible: d/dx reported as 2·cos x.
  const sinTwice = customVjp(
    (t: Tensor) => sin(t),
    (g, [t]) => [g.mul(cos(t)).mul(2)],
  );

  it('reverse mode uses the custom rule; forward mode differentiates the function', () => {
    const x = tensor([0.5, 1]);
    expect(grad((t: Tensor) => sinTwice(t).sum())(x).dataSync()).toEqual(
      Float32Array.from([0.5, 1], (v) => 2 * Math.fround(Math.cos(v))),
    );
    expect(jvp(sinTwice, [x], [tensor([1, 1])])[1].dataSync()).toEqual(Float32Array.from([0.5, 1], (v) => Math.cos(v)));
    expect(sinTwice(x).dataSync()).toEqual(sin(x).dataSync());
  });

  it('grad of grad goes through the rule (which is differentiable): d/dx (2 cos x) = -2 sin x', () => {
    for (const v of [-1, 0.5, 2])
      expect(grad(grad((t: Tensor) => sinTwice(t)))(scalar(v)).item()).toBeCloseTo(-2 * Math.sin(v), 6);
    // forward over reverse sees the rule too
    expect(hvp((t: Tensor) => sinTwice(t), scalar(0.5), scalar(1)).item()).toBeCloseTo(-2 * Math.sin(0.5), 6);
  });

  it('grad-of-grad through logsumexp (a customVjp) gives its Hessian', () => {
    const x = tensor([0.5, -1, 2]);
    const p = Array.from(x.dataSync(), (v) => Math.exp(v)).map((e, _i, all) => e / all.reduce((s, t) => s + t, 0));
    const H = jacobian(grad((t: Tensor) => logsumexp(t)))(x).toArray() as number[][];
    H.forEach((row, i) => row.forEach((h, j) => expect(h).toBeCloseTo((i === j ? p[i] : 0) - p[i] * p[j], 6)));
    // grad of grad of a function of logsumexp with axes
    const y = tensor([
      [0.5, -1],
      [2, 0],
    ]);
    const g2 = grad((t: Tensor) =>
      grad((s: Tensor) => logsumexp(s, 1).square().sum())(t)
        .square()
        .sum(),
    )(y);
    expect(g2.shape).toEqual([2, 2]);
    expect(Array.from(g2.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('several inputs; a null cotangent means zero', () => {
    const f = customVjp(
      (a: Tensor, b: Tensor) => a.mul(b),
      (g, [, b]) => [g.mul(b), null],
    );
    const [ga, gb] = grad((a: Tensor, b: Tensor) => f(a, b).sum(), [0, 1])(tensor([1, 2]), tensor([3, 4])) as Tensor[];
    expect(ga.toArray()).toEqual([3, 4]);
    expect(gb.toArray()).toEqual([0, 0]);
  });
});

describe('error messages', () => {
  it('vjp with a cotangent of the wrong shape or count', () => {
    const [, pullback] = vjp((t: Tensor) => t.mul(2), tensor([1, 2]));
    expect(() => pullback(tensor([1, 2, 3]))).toThrow('vjp: cotangent 0 has shape [3] but the output has shape [2]');
    // @ts-expect-error: the cotangent has the output's type (one Tensor here); at run time, a clear error.
    expect(() => pullback([tensor([1, 2]), tensor([1])])).toThrow('vjp: cotangent has 2 tensors but the output has 1');
  });

  it('grad of a non-scalar or non-tensor output', () => {
    expect(() => grad((t: Tensor) => t.mul(2))(tensor([1, 2]))).toThrow(
      'grad: f must return a scalar (one-element) tensor, got shape [2]',
    );
    // @ts-expect-error: f must return a Tensor; at run time, a clear error.
    expect(() => grad((_t: Tensor) => 3)(tensor([1]))).toThrow('grad: f must return a Tensor, got number');
    // a one-element tensor of any rank is fine
    expect(grad((t: Tensor) => t.sum(0, true).reshape([1, 1]))(tensor([1, 2])).toArray()).toEqual([1, 1]);
  });

  it('jvp with a tangent of the wrong shape or count', () => {
    expect(() => jvp((t: Tensor) => t, [tensor([1, 2])], [tensor([1, 2, 3])])).toThrow(
      'jvp: tangent shape [3] does not match primal shape [2] (argument 0, leaf 0)',
    );
    // @ts-expect-error: one tangent per primal; at run time, a clear error.
    expect(() => jvp((t: Tensor) => t, [tensor([1, 2])], [])).toThrow('jvp: got 1 primals but 0 tangents');
    expect(() => jvp((p: Tensor[]) => p[0], [[tensor([1]), tensor([2])]], [[tensor([1])]])).toThrow(
      'jvp: tangent 0 has 1 tensors but primal 0 has 2',
    );
  });
});

describe('deep graphs', () => {
  const N = 100_000;
  const c = Math.fround(1 + 1e-5);

  it(`a chain of ${N} scalar ops differentiates without stack overflow (reverse and forward)`, () => {
    const chain = (x: Tensor): Tensor => {
      let y = x;
      for (let i = 0; i < N; i++) y = i % 2 === 0 ? mul(y, c) : add(y, 1e-6);
      return y;
    };
    // d/dx = c^(N/2), with the same float32 roundings as the backward pass (g ← g·c at each mul)
    let expected = 1;
    for (let i = 0; i < N / 2; i++) expected = Math.fround(expected * c);
    const g = grad(chain)(scalar(0.5));
    expect(g.item()).toBeCloseTo(expected, 4);
    expect(g.item()).toBeCloseTo(Math.exp((N / 2) * Math.log(c)), 2);
    expect(jvp(chain, [scalar(0.5)], [scalar(1)])[1].item()).toBeCloseTo(expected, 4);
  });

  it('grad of grad through a chain of 20,000 ops agrees with forward over forward', () => {
    // y ← 0.999·sin(y) + 0.001·y, 5,000 times (4 ops each)
    const chain = (x: Tensor): Tensor => {
      let y = x;
      for (let i = 0; i < 5_000; i++) y = sin(y).mul(0.999).add(y.mul(0.001));
      return y;
    };
    const x = scalar(0.8);
    const one = scalar(1);
    const rr = grad(grad(chain))(x).item();
    const ff = jvp((t: Tensor) => jvp(chain, [t], [one])[1], [x], [one])[1].item();
    expect(Number.isFinite(rr) && rr !== 0).toBe(true);
    expect(Math.abs(rr - ff)).toBeLessThanOrEqual(1e-4 * Math.abs(ff));
  });
});

describe('grad argument checks', () => {
  it('refuses to differentiate with respect to an argument with no tensors', () => {
    expect(() => grad((a: number, b: Tensor) => b.mul(a).sum())(2, tensor([1]))).toThrow(
      /grad: argument 0 contains no tensors to differentiate \(got number\)/,
    );
    // The same call differentiating argument 1 works and treats the number as a constant.
    expect(grad((a: number, b: Tensor) => b.mul(a).sum(), 1)(2, tensor([1])).toArray()).toEqual([2]);
  });
});

describe('customVjp under a forward level', () => {
  it('still uses the rule at reverse levels below a jvp', () => {
    // A rule that differs from fn's true derivative (fn is constant to autodiff) makes the path visible.
    const f = customVjp(
      (x: Tensor) => stopGradient(x.mul(2)),
      (g: Tensor) => [g.mul(2)],
    );
    const y0 = tensor(0.5);
    const direct = grad((a: Tensor) => f(a.add(y0)))(tensor(1.5));
    const underJvp = grad((a: Tensor) => jvp((b: Tensor) => f(a.add(b)), [y0], [tensor(1)])[0])(tensor(1.5));
    expect(direct.item()).toBe(2);
    expect(underJvp.item()).toBe(2);
  });
});
