/**
 * Score-function importance-weighted estimators (src/vi/iw-score.ts; docs/estimator-math.md §2.5, §3, §4).
 *
 * Exactness: expectations are computed by enumerating every N-tuple of draws (exactExpectation)
 * on the categorical model of docs/estimator-math.md §9.4 and the Bernoulli-latent model of §9.5 there,
 * and compared with the gradient of the exact bound L_N^{(α)} (also by enumeration, differentiated with `grad`). Both
 * sides are float32 evaluations of O(10) terms per tuple, summed with weights that add to 1 (the
 * expectation in float64), so they agree to a few 1e-7 (observed ≤ 3.0e-7 over all cases below);
 * TOL = 1e-5 leaves a 30× margin and is still ~7000× smaller than the bias of the negative control
 * (OVIS~ with γ = 1: observed 0.07–0.28 in the φ-gradient; the test requires > 1e-2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SieveError, grad, key, tensor, valueAndGrad, type Tensor } from '../src/index.js';
import {
  exactExpectation,
  iwLearningSignal,
  iwScoreFunction,
  vimco,
  vimcoStar,
  vrIwaeScore,
  type Estimator,
  type Problem,
} from '../src/vi/index.js';
import {
  CATEGORICAL,
  bernoulliParams,
  bernoulliProblem,
  bernoulliSupport,
  categoricalBound64,
  categoricalParams,
  categoricalProblem,
  categoricalSupport,
  exactVrIwaeBound,
  logSoftmax64,
  vrLme64,
} from './helpers/models.js';
import { ovisC64, ovisTilde, vimcoC64, vimcoStarC64 } from './helpers/vi-score-estimators.js';

const TOL = 1e-5;

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const neg = (a: ArrayLike<number>): number[] => Array.from(a, (v) => -v);

interface Model {
  name: string;
  problem: Problem;
  theta: any;
  phi: Tensor;
  x: unknown;
  support: Tensor;
  /** θ gradient leaves flattened (object keys sorted, as treeFlatten does). */
  flatTheta: (g: any) => number[];
}

const models: Model[] = [
  (() => {
    const { theta, phi } = categoricalParams();
    return {
      name: 'categorical',
      problem: categoricalProblem,
      theta,
      phi,
      x: undefined,
      support: categoricalSupport(),
      flatTheta: (g: Tensor) => Array.from(g.dataSync()),
    };
  })(),
  (() => {
    const { theta, phi, x } = bernoulliParams();
    return {
      name: 'Bernoulli',
      problem: bernoulliProblem,
      theta,
      phi,
      x,
      support: bernoulliSupport(),
      flatTheta: (g: { W: Tensor; c: Tensor }) => [...g.W.dataSync(), ...g.c.dataSync()],
    };
  })(),
];

/** Exact bound L_N^{(α)} and its gradient (of the bound) by enumeration + grad. */
function exactBound(m: Model, N: number, alpha: number) {
  const f = (th: any, ph: Tensor) => exactVrIwaeBound(m.problem, th, ph, m.x, m.support, N, alpha);
  const [v, [gt, gp]] = valueAndGrad(f, [0, 1])(m.theta, m.phi);
  return { value: (v as Tensor).item(), dTheta: m.flatTheta(gt), dPhi: Array.from((gp as Tensor).dataSync()) };
}

function expectation(m: Model, est: Estimator<any>, N: number, opts: object) {
  const ex = exactExpectation(est, {
    key: key(1),
    theta: m.theta,
    phi: m.phi,
    x: m.x,
    options: { problem: m.problem, samples: N, ...opts },
    support: m.support,
  });
  return {
    bound: ex.bound,
    loss: ex.loss,
    dTheta: m.flatTheta(ex.grad.theta),
    dPhi: Array.from((ex.grad.phi as Tensor).dataSync()),
  };
}

interface Config {
  label: string;
  est: Estimator<any>;
  alpha: number;
  opts: object;
}
const configs: Config[] = [
  { label: 'VIMCO (geometric)', est: vimco, alpha: 0, opts: { variant: 'geometric' } },
  { label: 'VIMCO (arithmetic)', est: vimco, alpha: 0, opts: { variant: 'arithmetic' } },
  { label: 'VIMCO-★ α = 0', est: vimcoStar, alpha: 0, opts: {} },
  { label: 'VIMCO-★ α = 0.5 (default β = α)', est: vimcoStar, alpha: 0.5, opts: { alpha: 0.5 } },
  { label: 'VIMCO-★ α = 0.5, β = 0.2', est: vimcoStar, alpha: 0.5, opts: { alpha: 0.5, beta: 0.2 } },
  { label: 'VIMCO-★ α = 0, β = 3', est: vimcoStar, alpha: 0, opts: { beta: 3 } },
  { label: 'VR-IWAE score α = 0', est: vrIwaeScore, alpha: 0, opts: { alpha: 0 } },
  { label: 'VR-IWAE score α = 0.5', est: vrIwaeScore, alpha: 0.5, opts: { alpha: 0.5 } },
  {
    label: 'family α = 0.5, β = 2 geometric',
    est: iwScoreFunction,
    alpha: 0.5,
    opts: { alpha: 0.5, controlVariate: { beta: 2, mean: 'geometric' } },
  },
  {
    label: "family α = 0.5, 'vimco-geometric'",
    est: iwScoreFunction,
    alpha: 0.5,
    opts: { alpha: 0.5, controlVariate: 'vimco-geometric' },
  },
];

describe('categorical model: IWAE reference table (L_N, ∂L_N/∂φ, ∂L_N/∂θ for N = 1..4) to 1e-5', () => {
  const m = models[0];
  it.each(CATEGORICAL.iwae.map((row) => [row.N, row] as const))(
    'N = %i: exact bound by enumeration + grad',
    (N, row) => {
      // float64 reference
      expect(Math.abs(categoricalBound64(CATEGORICAL.theta, CATEGORICAL.phi, N) - row.value)).toBeLessThan(1e-6);
      const e = exactBound(m, N, 0);
      expect(Math.abs(e.value - row.value)).toBeLessThan(1e-5);
      expect(maxAbsDiff(e.dPhi, row.dPhi)).toBeLessThan(1e-5);
      expect(maxAbsDiff(e.dTheta, row.dTheta)).toBeLessThan(1e-5);
    },
  );

  it.each(CATEGORICAL.iwae.map((row) => [row.N, row] as const))(
    'N = %i: expectations of the score estimators reproduce it',
    (N, row) => {
      const ests: [Estimator<any>, object][] = [[vrIwaeScore, { alpha: 0 }]];
      if (N >= 2) ests.push([vimcoStar, {}], [vimco, { variant: 'geometric' }], [vimco, { variant: 'arithmetic' }]);
      for (const [est, opts] of ests) {
        const e = expectation(m, est, N, opts);
        const label = `${est.info.name} ${JSON.stringify(opts)} N=${N}`;
        expect(Math.abs(e.bound - row.value), label).toBeLessThan(1e-5);
        expect(Math.abs(e.loss + row.value), label).toBeLessThan(1e-5); // loss = −bound
        expect(maxAbsDiff(neg(e.dPhi), row.dPhi), label).toBeLessThan(1e-5);
        expect(maxAbsDiff(neg(e.dTheta), row.dTheta), label).toBeLessThan(1e-5);
      }
    },
  );
});

describe('exact unbiasedness by enumeration: E[estimator] = ∇L_N^{(α)}', () => {
  const cases = models.flatMap((m) => [2, 3].flatMap((N) => configs.map((c) => ({ m, N, c }))));
  it.each(cases.map((k) => [`${k.m.name}, N = ${k.N}: ${k.c.label}`, k] as const))('%s', (_, { m, N, c }) => {
    const truth = exactBound(m, N, c.alpha);
    const e = expectation(m, c.est, N, c.opts);
    expect(Math.abs(e.bound - truth.value)).toBeLessThan(TOL); // E[L̂_α] = L_N^{(α)}
    expect(maxAbsDiff(neg(e.dPhi), truth.dPhi)).toBeLessThan(TOL);
    expect(maxAbsDiff(neg(e.dTheta), truth.dTheta)).toBeLessThan(TOL);
  });

  it('the bounds differ between the configurations (so the comparisons above are not vacuous)', () => {
    const m = models[1];
    const a0 = exactBound(m, 3, 0);
    const a5 = exactBound(m, 3, 0.5);
    expect(a0.value - a5.value).toBeGreaterThan(1e-3); // L̂_α nonincreasing in α
    expect(maxAbsDiff(a0.dPhi, a5.dPhi)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(exactBound(m, 2, 0).dPhi, a0.dPhi)).toBeGreaterThan(1e-3);
  });
});

describe('negative control: OVIS~ (test-only, helpers/vi-score-estimators.ts)', () => {
  const cases = models.flatMap((m) => [2, 3].map((N) => ({ m, N })));
  it.each(cases.map((k) => [`${k.m.name}, N = ${k.N}`, k] as const))(
    '%s: γ = 1 is biased by ≫ TOL; γ = 0 equals VIMCO-★',
    (_, { m, N }) => {
      const truth = exactBound(m, N, 0);
      const biased = expectation(m, ovisTilde(1), N, {});
      const bias = maxAbsDiff(neg(biased.dPhi), truth.dPhi);
      expect(bias).toBeGreaterThan(1e-2);
      // θ-gradient and value do not involve the control variate.
      expect(maxAbsDiff(neg(biased.dTheta), truth.dTheta)).toBeLessThan(TOL);
      const ovis0 = expectation(m, ovisTilde(0), N, {});
      const star = expectation(m, vimcoStar, N, {});
      expect(maxAbsDiff(ovis0.dPhi, star.dPhi)).toBeLessThan(TOL);
      expect(maxAbsDiff(neg(ovis0.dPhi), truth.dPhi)).toBeLessThan(TOL);
    },
  );

  it('OVIS~(γ = 0) and VIMCO-★ give the same gradient on every fixed draw (docs/estimator-math.md §4.3)', () => {
    const { theta } = categoricalParams();
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 6 }),
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }),
        (draws, phiV) => {
          const phi = tensor(phiV);
          const opts = { problem: categoricalProblem, samples: draws.length, fixedDraws: tensor(draws) };
          const g = (est: Estimator<any>) =>
            grad((ph: Tensor) => est(key(0), theta, ph, undefined, opts).loss)(phi).dataSync();
          expect(maxAbsDiff(g(ovisTilde(0)), g(vimcoStar))).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });
});

// ---- per-sample formulas on fixed draws (float64 references written out here) --------------

/** c_i of the family by its definition, in plain float64 (linear space; moderate values only). */
function familyC64(lw: number[], alpha: number, beta: number, mean: 'arithmetic' | 'geometric'): number[] {
  const k = 1 - alpha;
  const N = lw.length;
  return lw.map((_, i) => {
    const rest = lw.filter((__, j) => j !== i).map((v) => Math.exp(k * v)); // w̃_j
    const m =
      mean === 'arithmetic'
        ? rest.reduce((s, v) => s + v, 0) / (N - 1)
        : Math.exp(rest.reduce((s, v) => s + Math.log(v), 0) / (N - 1));
    return Math.log((rest.reduce((s, v) => s + v, 0) + beta * m) / N) / k;
  });
}

describe(
  'per-sample gradients on fixed draws equal Σ_i (L̂_α − c_i − W_i) s_φ(z_i) and Σ_i W_i ∇θ ℓp (categorical, ' +
    'float64 references)',
  () => {
    const cvArb = fc.oneof(
      fc.constant({ cv: 'none' as const, beta: 0, mean: 'arithmetic' as const }),
      fc.constant({ cv: 'vimco-geometric' as const, beta: 1, mean: 'geometric' as const }),
      fc.constant({ cv: 'vimco-arithmetic' as const, beta: 1, mean: 'arithmetic' as const }),
      fc
        .record({
          beta: fc.double({ min: 0, max: 3, noNaN: true }),
          mean: fc.constantFrom('arithmetic' as const, 'geometric' as const),
        })
        .map((o) => ({ cv: o, beta: o.beta, mean: o.mean })),
    );
    it('iwScoreFunction, any α ∈ [0, 1), any member of the family', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 6 }),
          fc.array(fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround), { minLength: 4, maxLength: 4 }),
          fc.array(fc.double({ min: -4, max: 1, noNaN: true }).map(Math.fround), { minLength: 4, maxLength: 4 }),
          fc.constantFrom(0, 0.3, 0.5, 0.9),
          cvArb,
          (draws, phiV, thetaV, alpha, { cv, beta, mean }) => {
            const N = draws.length;
            const lq = logSoftmax64(phiV);
            const qp = lq.map(Math.exp);
            const lw = draws.map((z) => thetaV[z] - lq[z]);
            const lhat = vrLme64(lw, alpha);
            const wAlpha = lw.map((v) => Math.exp((1 - alpha) * v));
            const W = wAlpha.map((v) => v / wAlpha.reduce((s, u) => s + u, 0));
            const c = cv === 'none' ? lw.map(() => 0) : familyC64(lw, alpha, beta, mean);
            const wantPhi = [0, 0, 0, 0];
            const wantTheta = [0, 0, 0, 0];
            draws.forEach((z, i) => {
              const d = lhat - c[i] - W[i];
              for (let j = 0; j < 4; j++) wantPhi[j] += d * ((z === j ? 1 : 0) - qp[j]); // s_φ = e_z − q
              wantTheta[z] += W[i];
            });
            const opts = {
              problem: categoricalProblem,
              samples: N,
              fixedDraws: tensor(draws),
              alpha,
              controlVariate: cv,
            };
            let bound = NaN;
            const [gt, gp] = grad(
              (th: Tensor, ph: Tensor) => {
                const r = iwScoreFunction(key(0), th, ph, undefined, opts);
                bound = r.bound;
                return r.loss;
              },
              [0, 1],
            )(tensor(thetaV), tensor(phiV));
            const scale = 1 + Math.max(...lw.map(Math.abs));
            expect(Math.abs(bound - lhat)).toBeLessThan(2e-5 * scale);
            expect(maxAbsDiff(neg(gp.dataSync()), wantPhi)).toBeLessThan(5e-5 * scale);
            expect(maxAbsDiff(neg(gt.dataSync()), wantTheta)).toBeLessThan(5e-5);
          },
        ),
        { numRuns: 150, seed: 42 },
      );
    });
  },
);

// ---- structure of the control variates (docs/estimator-math.md §4.2) ----------------------

describe('control-variate structure', () => {
  const lwArb = fc.array(fc.double({ min: -30, max: 30, noNaN: true }).map(Math.fround), {
    minLength: 2,
    maxLength: 8,
  });
  const cvs = [
    { alpha: 0, controlVariate: 'vimco-geometric' as const },
    { alpha: 0, controlVariate: 'vimco-arithmetic' as const },
    { alpha: 0, controlVariate: 'vimco-star' as const },
    { alpha: 0.5, controlVariate: 'vimco-star' as const },
    { alpha: 0.7, controlVariate: { beta: 2, mean: 'geometric' as const } },
  ];

  it('c_i does not change when lw_i alone is perturbed (VIMCO geo/arith, VIMCO-★, family; OVIS~ γ = 0)', () => {
    fc.assert(
      fc.property(
        lwArb,
        fc.nat(),
        fc.double({ min: -20, max: 20, noNaN: true }).map(Math.fround),
        (lw, iRaw, delta) => {
          const i = iRaw % lw.length;
          const lw2 = lw.slice();
          lw2[i] = Math.fround(lw[i] + delta);
          for (const o of cvs) {
            const c1 = iwLearningSignal(tensor(lw), o).c.dataSync();
            const c2 = iwLearningSignal(tensor(lw2), o).c.dataSync();
            expect(c2[i], JSON.stringify(o)).toBe(c1[i]); // bit-identical: c_i never reads lw_i
          }
          expect(ovisC64(lw2, 0)[i]).toBeCloseTo(ovisC64(lw, 0)[i], 10);
        },
      ),
      { numRuns: 200, seed: 3 },
    );
  });

  it('…while OVIS~ with γ = 1 does change (why it is biased)', () => {
    const lw = [0.5, -1, 2];
    const lw2 = [3, -1, 2];
    expect(Math.abs(ovisC64(lw2, 1)[0] - ovisC64(lw, 1)[0])).toBeGreaterThan(0.1);
  });

  it('the library c_i match plain float64 references (VIMCO geo/arith, VIMCO-★)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }).map(Math.fround), { minLength: 2, maxLength: 8 }),
        (lw) => {
          const get = (cv: 'vimco-geometric' | 'vimco-arithmetic' | 'vimco-star') =>
            Array.from(iwLearningSignal(tensor(lw), { controlVariate: cv }).c.dataSync());
          expect(maxAbsDiff(get('vimco-geometric'), vimcoC64(lw, 'geometric'))).toBeLessThan(2e-6 * 11);
          expect(maxAbsDiff(get('vimco-arithmetic'), vimcoC64(lw, 'arithmetic'))).toBeLessThan(2e-6 * 11);
          expect(maxAbsDiff(get('vimco-star'), vimcoStarC64(lw))).toBeLessThan(2e-6 * 11);
        },
      ),
      { numRuns: 100, seed: 5 },
    );
  });

  it('VIMCO-★ signal = −log(1 − W_i) − W_i ≥ 0', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -8, max: 8, noNaN: true }).map(Math.fround), { minLength: 2, maxLength: 8 }),
        (lw) => {
          const s = iwLearningSignal(tensor(lw), { controlVariate: 'vimco-star' }).signal.dataSync();
          const lse = Math.max(...lw) + Math.log(lw.reduce((a, v) => a + Math.exp(v - Math.max(...lw)), 0));
          lw.forEach((v, i) => {
            const W = Math.exp(v - lse);
            const want = -Math.log1p(-W) - W; // fine in float64 while W is not within ~1e-12 of 1
            expect(s[i]).toBeGreaterThanOrEqual(0);
            expect(Math.abs(s[i] - want)).toBeLessThan(1e-6 * (1 + want));
          });
        },
      ),
      { numRuns: 200, seed: 11 },
    );
  });

  it('is stable when some W_i ≈ 1 (the naive float32 −log(1 − W_i) is infinite there)', () => {
    const lw = [40, 0, 0, -5];
    const s = iwLearningSignal(tensor(lw), { controlVariate: 'vimco-star' }).signal.dataSync();
    // float64: LSE − LSE_{−0} = 40 + log(1 + e^{−40}(2 + e^{−5})) − log(2 + e^{−5}); W_0 = 1 − O(e^{−40}).
    const lseRest = Math.log(2 + Math.exp(-5));
    const want0 = 40 + Math.log1p(Math.exp(lseRest - 40)) - lseRest - 1 / (1 + Math.exp(lseRest - 40));
    expect(Math.abs(s[0] - want0)).toBeLessThan(1e-5 * want0);
    const W0f32 = Math.fround(1 / (1 + Math.fround(Math.exp(lseRest - 40))));
    expect(-Math.log1p(-W0f32)).toBe(Infinity); // what the naive formula would give
    // The other samples have W ≈ 0 and signal ≈ W²/2 ≈ 0.
    for (let i = 1; i < 4; i++) expect(Math.abs(s[i])).toBeLessThan(1e-12);
    // And the estimator's gradient is finite.
    const r = grad(
      (ph: Tensor) =>
        vimcoStar(key(0), tensor([40, 0, 0, -5]), ph, undefined, {
          problem: categoricalProblem,
          samples: 4,
          fixedDraws: tensor([0, 1, 2, 3]),
        }).loss,
    )(tensor([0, 0, 0, 0]));
    expect(Array.from(r.dataSync()).every(Number.isFinite)).toBe(true);
  });
});

// ---- batches, scaling, diagnostics --------------------------------------------------------

describe('local latents (per data point), datasetSize scaling and diagnostics', () => {
  const phiB = tensor([
    [0.0, 0.5, -0.5, 1.0],
    [1.0, -1.0, 0.3, 0.2],
    [-0.4, 0.1, 0.9, -2.0],
  ]);
  const theta = tensor(CATEGORICAL.theta.slice());
  const draws = [
    [0, 1, 3],
    [2, 2, 0],
    [3, 0, 0],
    [1, 3, 2],
  ]; // [N = 4, B = 3]

  it.each([
    ['vimco', vimco, {}],
    ['vimcoStar α = 0.5', vimcoStar, { alpha: 0.5 }],
    ['vrIwaeScore', vrIwaeScore, { alpha: 0.2 }],
  ] as const)('%s: batched loss and gradients = sum over data points run one at a time', (_, est, opts) => {
    const run = (ph: Tensor, z: number[][] | number[], extra: object = {}): any =>
      valueAndGrad(
        (th: Tensor, p: Tensor) =>
          (est as Estimator<any>)(key(0), th, p, undefined, {
            problem: categoricalProblem,
            samples: 4,
            fixedDraws: tensor(z),
            ...opts,
            ...extra,
          }).loss,
        [0, 1],
      )(theta, ph);
    const [lossB, [gtB, gpB]] = run(phiB, draws);
    let lossSum = 0;
    const gt = [0, 0, 0, 0];
    for (let b = 0; b < 3; b++) {
      const [l, [g1, g2]] = run(phiB.take([b], 0).reshape([4]), draws.map((row) => row[b]) as any);
      lossSum += l.item();
      g1.dataSync().forEach((v: number, j: number) => (gt[j] += v));
      const row = Array.from((gpB as Tensor).dataSync().slice(4 * b, 4 * b + 4));
      expect(maxAbsDiff(row, g2.dataSync())).toBeLessThan(1e-6);
    }
    expect(Math.abs(lossB.item() - lossSum)).toBeLessThan(1e-5);
    expect(maxAbsDiff(gtB.dataSync(), gt)).toBeLessThan(1e-5);
    // datasetSize = 30 with B = 3 scales loss and gradients by 10.
    const [lossS, [gtS]] = run(phiB, draws, { problem: { ...categoricalProblem, datasetSize: 30 } });
    expect(Math.abs(lossS.item() - 10 * lossB.item())).toBeLessThan(1e-4);
    expect(
      maxAbsDiff(
        gtS.dataSync(),
        Array.from(gtB.dataSync(), (v: number) => 10 * v),
      ),
    ).toBeLessThan(1e-4);
  });

  it('diagnostics: ess per data point in [1, N], learning signal [N, B], info metadata', () => {
    const r = vimcoStar(key(0), theta, phiB, undefined, {
      problem: categoricalProblem,
      samples: 4,
      fixedDraws: tensor(draws),
    });
    const ess = r.diagnostics.ess!;
    expect(ess.shape).toEqual([3]);
    for (const v of ess.dataSync()) {
      expect(v).toBeGreaterThanOrEqual(1 - 1e-6);
      expect(v).toBeLessThanOrEqual(4 + 1e-6);
    }
    // Data point 1 has draws [1, 2, 0, 3]... distinct lw → ESS < N; equal draws would give N.
    const same = vimcoStar(key(0), theta, phiB, undefined, {
      problem: categoricalProblem,
      samples: 4,
      fixedDraws: tensor([
        [2, 2, 2],
        [2, 2, 2],
        [2, 2, 2],
        [2, 2, 2],
      ]),
    });
    for (const v of same.diagnostics.ess!.dataSync()) expect(v).toBeCloseTo(4, 5);
    expect((r.diagnostics.learningSignal as Tensor).shape).toEqual([4, 3]);
    expect(r.perDataPoint.shape).toEqual([3]);
    expect(Math.abs(r.loss.item() + r.bound)).toBeLessThan(1e-5);
    for (const est of [iwScoreFunction, vimco, vimcoStar, vrIwaeScore]) {
      expect(est.info.drawsFrom).toBe('q');
      expect(est.info.reparameterized).toBe(false);
    }
    expect(vimco.info.minSamples).toBe(2);
    expect(vimcoStar.info.minSamples).toBe(2);
    expect(vrIwaeScore.info.minSamples).toBe(1);
  });

  it('samples from q when no fixedDraws are given (different keys, different draws)', () => {
    const { phi } = categoricalParams();
    const a = vimcoStar(key(1), theta, phi, undefined, { problem: categoricalProblem, samples: 8 });
    const b = vimcoStar(key(2), theta, phi, undefined, { problem: categoricalProblem, samples: 8 });
    const c = vimcoStar(key(1), theta, phi, undefined, { problem: categoricalProblem, samples: 8 });
    expect(a.bound).toBe(c.bound);
    expect(Array.from((a.diagnostics.learningSignal as Tensor).dataSync())).not.toEqual(
      Array.from((b.diagnostics.learningSignal as Tensor).dataSync()),
    );
  });
});

// ---- validation ---------------------------------------------------------------------------

describe('validation (SieveError with a clear message)', () => {
  const { theta, phi } = categoricalParams();
  const base = { problem: categoricalProblem, samples: 3 };
  const call = (est: Estimator<any>, opts: object) => () => est(key(0), theta, phi, undefined, { ...base, ...opts });
  const cases: [string, () => unknown, RegExp][] = [
    ['vimco N = 1', call(vimco, { samples: 1 }), /^vimco: samples must be an integer >= 2, got 1 \(leave-one-out/],
    ['vimcoStar N = 1', call(vimcoStar, { samples: 1 }), /^vimcoStar: samples must be an integer >= 2/],
    [
      'family with a control variate, N = 1',
      call(iwScoreFunction, { samples: 1, controlVariate: 'vimco-star' }),
      /^iwScoreFunction: samples must be an integer >= 2/,
    ],
    ['alpha = 1', call(vimcoStar, { alpha: 1 }), /^vimcoStar: alpha must be a number in \[0, 1\)/],
    [
      'alpha < 0',
      call(iwScoreFunction, { alpha: -0.1, controlVariate: 'none' }),
      /alpha must be a number in \[0, 1\) \(0 is IWAE; α → 1 approaches the ELBO\), got -0.1/,
    ],
    ['alpha NaN', call(vrIwaeScore, { alpha: NaN }), /^vrIwaeScore: alpha must be a number in \[0, 1\) .*got NaN/],
    ['vrIwaeScore without alpha', call(vrIwaeScore, {}), /^vrIwaeScore: options.alpha is required/],
    ['beta < 0', call(vimcoStar, { beta: -1 }), /^vimcoStar: beta must be a finite number >= 0, got -1/],
    [
      'beta in the family < 0',
      call(iwScoreFunction, { controlVariate: { beta: -2, mean: 'arithmetic' } }),
      /beta must be a finite number >= 0, got -2/,
    ],
    [
      'bad mean',
      call(iwScoreFunction, { controlVariate: { beta: 1, mean: 'harmonic' } }),
      /controlVariate.mean must be 'arithmetic' or 'geometric', got harmonic/,
    ],
    [
      'unknown control variate',
      call(iwScoreFunction, { controlVariate: 'vimco' }),
      /controlVariate must be 'none', 'vimco-geometric'.*got 'vimco'/,
    ],
    ['missing control variate', call(iwScoreFunction, {}), /^iwScoreFunction: options.controlVariate is required/],
    ['vimco with alpha', call(vimco, { alpha: 0.5 }), /^vimco: VIMCO is the IWAE \(α = 0\) estimator/],
    [
      'bad variant',
      call(vimco, { variant: 'harmonic' }),
      /^vimco: variant must be 'geometric' or 'arithmetic', got harmonic/,
    ],
    [
      'fixedDraws of the wrong shape',
      call(vimcoStar, { fixedDraws: tensor([0, 1]) }),
      /^vimcoStar: fixedDraws of shape \[2\] do not match \[samples, \.\.\.batch, \.\.\.event\] = \[3\]/,
    ],
    ['no options', () => (vimcoStar as any)(key(0), theta, phi, undefined), /^vimcoStar: options must be an object/],
  ];
  it.each(cases)('%s', (_, f, re) => {
    expect(f).toThrow(SieveError);
    expect(f).toThrow(re);
  });

  it('refuses infinite learning signals (fewer than 2 samples with positive weight) unless none is needed', () => {
    const th = tensor([0, -Infinity, -Infinity, -Infinity]); // only z = 0 is possible
    const run =
      (est: Estimator<any>, draws: number[], opts: object = {}) =>
      () =>
        est(key(0), th, phi, undefined, {
          problem: categoricalProblem,
          samples: draws.length,
          fixedDraws: tensor(draws),
          ...opts,
        });
    expect(run(vimcoStar, [0, 1, 2])).toThrow(
      new RegExp(
        String.raw`^vimcoStar: data point 0: the learning signal of sample 0 is Infinity \(1 of 3 log weights ` +
          `are finite; the leave-one-out control variate needs at least 2 samples with positive weight`,
      ),
    );
    // No draw with positive weight at all: refused by the shared log-weight check (logweights.ts) first.
    const noWeight = /^vrIwaeScore: data point 0: all 2 log weights are −Infinity \(the model gives zero density/;
    expect(run(vrIwaeScore, [1, 2], { alpha: 0 })).toThrow(noWeight);
    expect(run(vrIwaeScore, [0, 1, 2], { alpha: 0 })).not.toThrow();
    expect(run(vimcoStar, [0, 0, 1])).not.toThrow();
  });
});
