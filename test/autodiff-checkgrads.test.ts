/**
 * checkGrads: passes on correct derivatives of composite functions (up to order 2 and 3, both
 * modes, pytree arguments), fails with an informative SieveError on wrong ones, is deterministic,
 * and validates its options.
 */
import { describe, expect, it } from 'vitest';
import {
  bind,
  checkGrads,
  cos,
  customVjp,
  definePrimitive,
  exp,
  lgamma,
  logaddexp,
  logsumexp,
  matmul,
  mul,
  scalar,
  SieveError,
  sin,
  sqrt,
  stopGradient,
  tensor,
  type Tensor,
  type CheckGradsReport,
} from '../src/index.js';
import { Rng } from './helpers/gradtest.js';

const rand = (rng: Rng, shape: number[], lo = -1, hi = 1): Tensor => {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(
    Array.from({ length: n }, () => rng.uniform(lo, hi)),
    shape,
  );
};

/** Run fn, expect it to throw a SieveError, return the message. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SieveError);
    return (e as Error).message;
  }
  throw new Error('expected checkGrads to fail, but it passed');
}

describe('checkGrads passes on composite functions', () => {
  const rng = new Rng(2024);

  it('an MLP-like loss (pytree parameters, tanh, softmax cross-entropy), order 2', () => {
    const params = { w1: rand(rng, [4, 6]), b1: rand(rng, [6]), w2: rand(rng, [6, 3]), b2: rand(rng, [3]) };
    const x = rand(rng, [5, 4], -2, 2);
    const labels = tensor([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const loss = (p: typeof params, xb: Tensor): Tensor => {
      const h = matmul(xb, p.w1).add(p.b1).tanh();
      const logits = matmul(h, p.w2).add(p.b2);
      return logits.logSoftmax(-1).mul(labels).sum().neg().div(5);
    };
    const report = checkGrads(loss, [params, x], { order: 2 });
    expect(report.checks).toHaveLength(6);
    expect(report.maxRelError).toBeLessThanOrEqual(1e-2);
  });

  it('logsumexp of a matmul (customVjp inside), order 2, non-scalar output', () => {
    const x = rand(rng, [3, 5], -2, 2);
    const w = rand(rng, [5, 4], -2, 2);
    const report = checkGrads((a: Tensor, b: Tensor) => logsumexp(matmul(a, b), -1), [x, w], { order: 2 });
    expect(report.checks.map((c) => `${c.mode}:${c.order}:${c.fn}`)).toEqual([
      'rev:1:f',
      'rev:2:vjp(f)',
      'fwd:2:vjp(f)',
      'fwd:1:f',
      'rev:2:jvp(f)',
      'fwd:2:jvp(f)',
    ]);
  });

  it('special functions and powers, order 3', () => {
    const x = rand(rng, [4], 0.5, 3);
    const y = rand(rng, [4], -1, 1);
    checkGrads(
      (a: Tensor, b: Tensor) => lgamma(a).mul(b.sigmoid()).add(a.pow(b)).add(sqrt(a).mul(a.digamma())),
      [x, y],
      { order: 3 },
    );
  });

  it('a function of several pytree arguments with constants, returning a pytree', () => {
    const args = [{ a: rand(rng, [3]), meta: 'not a tensor', list: [rand(rng, [2, 3]), 7] }, rand(rng, [3])];
    const f = (p: { a: Tensor; list: [Tensor, number] }, b: Tensor) => ({
      s: p.a.mul(b).sin(),
      t: [matmul(p.list[0], b).mul(p.list[1]), logaddexp(p.a, b)],
    });
    const report = checkGrads(f, args, { order: 2 });
    expect(report.checks).toHaveLength(6);
  });

  it('movement ops and reductions in one function, order 2', () => {
    const x = rand(rng, [3, 4], -2, 2);
    const f = (t: Tensor) =>
      t
        .transpose()
        .slice([1], [3])
        .cumsum(0)
        .mul(t.max(0).expandDims(1).broadcastTo([4, 3]).slice([1], [3]))
        .exp()
        .mean(-1);
    checkGrads(f, [x], { order: 2 });
  });

  it('uses the perturbation that float32 can represent, so exact functions check to ~0 error far from 0', () => {
    const x = tensor([301.7, -877.3, 1234.5, 517.1]);
    // The identity (x·1) is computed exactly, so fd and autodiff agree to rounding even with atol 0.
    const report = checkGrads((t: Tensor) => t.mul(1), [x], { rtol: 1e-9, atol: 0 });
    expect(report.maxRelError).toBeLessThan(1e-9);
    // ... whereas x ± eps·v differ from x by 2·eps·v only up to ulp(x) ≈ 6e-5: a 3% error at eps = 1e-3.
    const naive = x
      .dataSync()
      .map((xi) => Math.abs((Math.fround(xi + 1e-3 * 0.7) - Math.fround(xi - 1e-3 * 0.7)) / (2e-3 * 0.7) - 1));
    expect(Math.max(...naive)).toBeGreaterThan(1e-2);
  });
});

describe('checkGrads fails on wrong derivatives', () => {
  const x = tensor([0.3, -1.2, 2.0, 0.7, -2.5]);

  it(
    'a customVjp for sin whose rule returns g·sin(x) fails in reverse mode, naming mode, order, error, values and ' +
      'shapes',
    () => {
      const badSin = customVjp(
        (t: Tensor) => sin(t),
        (g, [t]) => [g.mul(sin(t))],
      );
      const msg = failure(() => checkGrads((t: Tensor) => badSin(t), [x]));
      expect(msg).toMatch(/^checkGrads: rev check failed at order 1 on f: relative error [\d.e+-]+ exceeds rtol 0\.01/);
      expect(msg).toMatch(/tolerance [\d.e+-]+/);
      expect(msg).toMatch(/finite difference <u, J v> = -?[\d.e+-]+, reverse mode \(vjp\): <Jᵀu, v> = -?[\d.e+-]+/);
      expect(msg).toContain('1 of 2 checks failed');
      expect(msg).toContain('input shapes: [5]');
      // Forward mode differentiates sin itself, so a forward-only check passes.
      checkGrads((t: Tensor) => badSin(t), [x], { modes: ['fwd'], order: 2 });
      // The correct rule passes.
      const goodSin = customVjp(
        (t: Tensor) => sin(t),
        (g, [t]) => [g.mul(cos(t))],
      );
      checkGrads((t: Tensor) => goodSin(t), [x], { order: 2 });
    },
  );

  it('a rule that is right to first order but not differentiable (stopGradient inside) fails only at order 2', () => {
    const frozen = customVjp(
      (t: Tensor) => sin(t),
      (g, [t]) => [g.mul(stopGradient(cos(t)))],
    );
    checkGrads((t: Tensor) => frozen(t), [x], { order: 1 });
    const msg = failure(() => checkGrads((t: Tensor) => frozen(t), [x], { order: 2 }));
    expect(msg).toMatch(/check failed at order 2 on (vjp\(f\)|jvp\(f\))/);
  });

  it('a primitive with a wrong JVP rule fails in forward mode only', () => {
    const p = definePrimitive({
      name: 'expWrongJvp',
      impl: ([t]) => exp(t),
      vjp: (g, _t, y) => [mul(g, y)],
      jvp: ([t], _x, y) => (t === null ? null : mul(t, y).neg()),
    });
    const f = (t: Tensor) => bind(p, [t], undefined);
    checkGrads(f, [x], { modes: ['rev'] });
    const msg = failure(() => checkGrads(f, [x]));
    expect(msg).toMatch(/^checkGrads: fwd check failed at order 1 on f/);
    expect(msg).toContain('forward mode (jvp): <u, J v>');
  });

  it(
    'a gradient off by 5% fails for most seeds, one off by 0.1% passes for all (the default tolerance sits ' +
      'between)',
    () => {
      // One random projection <u, J v> may be too small to resolve a 5% error against the float32
      // round-off floor, so count over seeds (deterministic: fixed seeds).
      const scaled = (k: number) =>
        customVjp(
          (t: Tensor) => exp(t),
          (g, _t, y) => [g.mul(y).mul(k)],
        );
      const fails = (k: number): number => {
        const f = scaled(k);
        let n = 0;
        for (let seed = 0; seed < 20; seed++) {
          try {
            checkGrads((t: Tensor) => f(t).sum(), [x], { modes: ['rev'], seed });
          } catch {
            n++;
          }
        }
        return n;
      };
      expect(fails(1.05)).toBeGreaterThanOrEqual(12);
      expect(fails(1.25)).toBeGreaterThanOrEqual(18);
      expect(fails(1.001)).toBe(0);
      expect(fails(-1)).toBe(20);
    },
  );

  it('fails when f is not finite at the perturbed inputs (too close to a singularity)', () => {
    const msg = failure(() => checkGrads((t: Tensor) => t.log(), [tensor([1e-4, 1])]));
    expect(msg).toMatch(/^checkGrads: f at x [+-] eps·v is not finite/);
  });

  it('describes pytree inputs in the failure message', () => {
    const bad = customVjp(
      (t: Tensor) => t.mul(t),
      (g, [t]) => [g.mul(t)],
    );
    const msg = failure(() =>
      checkGrads(
        (p: { w: Tensor; b: Tensor[] }) => bad(p.w).sum().add(p.b[0].sum()),
        [{ w: tensor([[1, 2]]), b: [tensor([3])] }],
      ),
    );
    expect(msg).toContain('input shapes: {b: ([1]), w: [1,2]}');
  });
});

describe('checkGrads report, determinism and options', () => {
  const x = tensor([0.5, -0.25, 1.5]);
  const f = (t: Tensor) => t.sin().mul(t.exp()).sum();

  it('runs 2, 6 and 14 checks for orders 1, 2, 3 with both modes (1, 2, 3 with one)', () => {
    expect(checkGrads(f, [x]).checks).toHaveLength(2);
    expect(checkGrads(f, [x], { order: 2 }).checks).toHaveLength(6);
    expect(checkGrads(f, [x], { order: 3 }).checks).toHaveLength(14);
    expect(checkGrads(f, [x], { order: 3, modes: ['rev'] }).checks.map((c) => c.fn)).toEqual([
      'f',
      'vjp(f)',
      'vjp(vjp(f))',
    ]);
    expect(checkGrads(f, [x], { order: 2, modes: ['fwd'] }).checks.map((c) => c.fn)).toEqual(['f', 'jvp(f)']);
  });

  it('reports each check with fd and autodiff estimates of <u, J v>, errors within tolerance', () => {
    const report: CheckGradsReport = checkGrads(f, [x], { order: 2 });
    for (const c of report.checks) {
      expect(c.passed).toBe(true);
      expect(c.absError).toBeCloseTo(Math.abs(c.autodiff - c.finiteDifference), 12);
      expect(c.absError).toBeLessThanOrEqual(c.tolerance);
      expect(c.relError).toBeLessThanOrEqual(0.01);
      expect(c.atol).toBeGreaterThan(0);
    }
    expect(report.maxRelError).toBe(Math.max(...report.checks.map((c) => c.relError)));
  });

  it('is deterministic for a seed, and other seeds draw other directions', () => {
    const a = checkGrads(f, [x], { order: 2, seed: 7 });
    const b = checkGrads(f, [x], { order: 2, seed: 7 });
    const c = checkGrads(f, [x], { order: 2, seed: 8 });
    expect(b).toEqual(a);
    expect(c.checks[0].finiteDifference).not.toBe(a.checks[0].finiteDifference);
  });

  it('validates its options', () => {
    expect(() => checkGrads(f, [x], { order: 0 })).toThrow('checkGrads: order must be a positive integer, got 0');
    expect(() => checkGrads(f, [x], { modes: ['rev', 'sideways' as 'rev'] })).toThrow(/checkGrads: modes must be/);
    expect(() => checkGrads(f, [x], { modes: [] })).toThrow(/checkGrads: modes must be/);
    expect(() => checkGrads(f, [x], { eps: 0 })).toThrow('checkGrads: eps must be a positive number, got 0');
    expect(() => checkGrads(f, [x], { rtol: -1 })).toThrow(/checkGrads: rtol/);
    expect(() => checkGrads(f, [x], { atol: NaN })).toThrow(/checkGrads: atol/);
    expect(() => checkGrads(f, [x], { seed: 1.5 })).toThrow(/checkGrads: seed/);
    expect(() => checkGrads(f, x as unknown as Tensor[])).toThrow(/checkGrads: args must be an array/);
  });

  it('an explicit atol replaces the round-off floor', () => {
    const tight = checkGrads((t: Tensor) => t.mul(scalar(3)).sum(), [x], { atol: 1e-3 });
    expect(tight.checks.every((c) => c.atol === 1e-3)).toBe(true);
  });
});
