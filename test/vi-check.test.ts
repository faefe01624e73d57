/**
 * Verification tools (src/vi/check.ts): exactExpectation, checkUnbiased, gradientSnr.
 *
 * Exact comparisons use TOL = 1e-5 (float32 evaluations of each tuple, float64 sums; observed
 * errors are a few 1e-7, see vi-score.test.ts). Monte Carlo checks use fixed keys (deterministic);
 * their statistical rules and margins are stated where they are used.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SieveError, grad, key, random, tensor, type Tensor } from '../src/index.js';
import {
  checkUnbiased,
  exactExpectation,
  gradientSnr,
  iwae,
  vimco,
  vimcoStar,
  vrIwaeScore,
  vrs,
  type Estimator,
} from '../src/vi/index.js';
import { normalQuantile } from '../src/vi/check.js';
import { withInfo } from '../src/vi/common.js';
import {
  bernoulliParams,
  bernoulliProblem,
  bernoulliSupport,
  categoricalParams,
  categoricalProblem,
  categoricalSupport,
  exactVrIwaeBound,
  tupleIndices,
} from './helpers/models.js';
import { ignoringFixedDraws, ovisTilde, selfBaseline } from './helpers/vi-score-estimators.js';
import { CAT, catExactGrad, catProblem } from './helpers/vi-rejection-models.js';
import { runReadmeExamples } from './helpers/vi-score-readme.js';

const TOL = 1e-5;
const arr = (t: Tensor): number[] => Array.from(t.dataSync());
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const neg = (a: ArrayLike<number>): number[] => Array.from(a, (v) => -v);

const cat = categoricalParams();
const catArgs = (N: number, extra: object = {}) => ({
  key: key(0),
  theta: cat.theta,
  phi: cat.phi,
  x: undefined,
  options: { problem: categoricalProblem, samples: N, ...extra },
  support: categoricalSupport(),
});

/** −∇(exact L_N^{(α)}) of the categorical model: the expected gradient of the loss. */
function catLossGrad(N: number, alpha = 0, phi = cat.phi) {
  const [gt, gp] = grad(
    (th: Tensor, ph: Tensor) => exactVrIwaeBound(categoricalProblem, th, ph, undefined, categoricalSupport(), N, alpha),
    [0, 1],
  )(cat.theta, phi);
  return { theta: gt.neg() as Tensor, phi: gp.neg() as Tensor };
}

describe('exactExpectation', () => {
  it('reports the enumeration: tuples K^N, evaluations, loss = −bound for a fused estimator', () => {
    const ex = exactExpectation(vimcoStar, catArgs(3));
    expect(ex.tuples).toBe(64);
    expect(ex.evaluations).toBe(64 + 5); // + the key-independence probe (1 + 4 keys)
    expect(ex.drawsFrom).toBe('q');
    expect(ex.logNormalizer).toBeUndefined();
    expect(Math.abs(ex.loss + ex.bound)).toBeLessThan(TOL);
    const truth = catLossGrad(3);
    expect(maxAbsDiff(arr(ex.grad.phi), arr(truth.phi))).toBeLessThan(TOL);
    expect(maxAbsDiff(arr(ex.grad.theta), arr(truth.theta))).toBeLessThan(TOL);
  });

  it(
    'batched guide: each data point enumerated independently = sum of per-data-point enumerations and of exact ' +
      'bounds',
    () => {
      const phis = [
        [0.0, 0.5, -0.5, 1.0],
        [1.0, -1.0, 0.3, 0.2],
        [-0.4, 0.1, 0.9, -2.0],
      ];
      const phiB = tensor(phis);
      const ex = exactExpectation(vimcoStar, { ...catArgs(2, { alpha: 0.5 }), phi: phiB });
      expect(ex.evaluations).toBe(3 * 16 + 5); // the probe's first evaluation is the base tuple o
      const sumTheta = [0, 0, 0, 0];
      let bound = 0;
      phis.forEach((row, b) => {
        const one = exactExpectation(vimcoStar, { ...catArgs(2, { alpha: 0.5 }), phi: tensor(row) });
        arr(one.grad.theta).forEach((v, j) => (sumTheta[j] += v));
        bound += one.bound;
        expect(maxAbsDiff(arr(ex.grad.phi).slice(4 * b, 4 * b + 4), arr(one.grad.phi))).toBeLessThan(TOL);
        const truth = catLossGrad(2, 0.5, tensor(row));
        expect(maxAbsDiff(arr(one.grad.phi), arr(truth.phi))).toBeLessThan(TOL);
      });
      expect(maxAbsDiff(arr(ex.grad.theta), sumTheta)).toBeLessThan(TOL);
      expect(Math.abs(ex.bound - bound)).toBeLessThan(TOL);
    },
  );

  it('Bernoulli model with a batch of two observations (x [2, 2], φ [2, 3])', () => {
    const b = bernoulliParams();
    const xs = [
      [1, 0],
      [0, 1],
    ];
    const phis = [
      [0.2, -0.4, 0.7],
      [-1, 0.5, 0.1],
    ];
    const ex = exactExpectation(vimco, {
      key: key(0),
      theta: b.theta,
      phi: tensor(phis),
      x: tensor(xs),
      options: { problem: bernoulliProblem, samples: 2 },
      support: bernoulliSupport(),
    });
    const W = [0, 0, 0, 0, 0, 0];
    xs.forEach((xb, i) => {
      const [gt, gp] = grad(
        (th: any, ph: Tensor) => exactVrIwaeBound(bernoulliProblem, th, ph, tensor(xb), bernoulliSupport(), 2),
        [0, 1],
      )(b.theta, tensor(phis[i]));
      expect(maxAbsDiff(arr(ex.grad.phi).slice(3 * i, 3 * i + 3), neg(gp.dataSync()))).toBeLessThan(TOL);
      arr(gt.W).forEach((v, j) => (W[j] -= v));
    });
    expect(maxAbsDiff(arr(ex.grad.theta.W), W)).toBeLessThan(TOL);
  });

  it.each([
    { S: 2, T: 2, eps: 0 },
    { S: 3, T: 0, eps: 0 },
    { S: 2, T: -2, eps: 0.1 },
  ])(
    "drawsFrom 'r' (VRS, S = $S, T = $T, ε = $eps): weights tuples by Π r(z_s); E = exact R-ELBO gradient",
    ({ S, T, eps }) => {
      const exact = catExactGrad(CAT.theta, CAT.phi, T, eps);
      const opts = { samples: S, threshold: T, acceptanceFloor: eps, normalizerSamples: 1 };
      const ex = exactExpectation(vrs, { ...catArgs(S, opts), options: { problem: catProblem, ...opts } });
      expect(ex.drawsFrom).toBe('r');
      expect(Math.abs(ex.logNormalizer![0] - exact.res.logZ)).toBeLessThan(1e-6);
      expect(maxAbsDiff(neg(arr(ex.grad.phi)), exact.dPhi)).toBeLessThan(TOL);
      expect(maxAbsDiff(neg(arr(ex.grad.theta)), exact.dTheta)).toBeLessThan(TOL);
      // Weighting the same draws by Π q instead (a wrong drawsFrom) gives a different answer.
      const asQ = withInfo((...a: Parameters<typeof vrs>) => vrs(...a), {
        ...vrs.info,
        drawsFrom: 'q',
      }) as Estimator<any>;
      const wrong = exactExpectation(asQ, { ...catArgs(S, opts), options: { problem: catProblem, ...opts } });
      expect(maxAbsDiff(neg(arr(wrong.grad.phi)), exact.dPhi)).toBeGreaterThan(1e-2);
    },
  );

  it(
    'errors: too many tuples, fixedDraws ignored, reparameterized, no info, bad support, incomplete support, ' +
      'missing threshold',
    () => {
      const bad: [() => unknown, RegExp][] = [
        [
          () => exactExpectation(vimcoStar, { ...catArgs(9) }),
          new RegExp(
            `^exactExpectation: enumeration needs 262,144 estimator evaluations ` +
              String.raw`\(4\^9 tuples of draws\), more than maxTuples = 200,000`,
          ),
        ],
        [
          () =>
            exactExpectation(vimcoStar, {
              ...catArgs(3),
              phi: tensor([
                [0, 0, 0, 0],
                [1, 1, 1, 1],
              ]),
              maxTuples: 100,
            }),
          new RegExp(
            String.raw`needs 129 estimator evaluations \(4\^3 tuples of draws ` +
              String.raw`for each of 2 data points\), more than maxTuples = 100`,
          ),
        ],
        [
          () => exactExpectation(ignoringFixedDraws(vimcoStar), catArgs(2)),
          new RegExp(
            `^exactExpectation: ignoresFixedDraws's loss or gradient changes with ` +
              `the key although fixedDraws are given: it ignores options.fixedDraws`,
          ),
        ],
        [
          () => exactExpectation(iwae, catArgs(2)),
          /^exactExpectation: iwae is reparameterized: its fixedDraws are noise/,
        ],
        [
          () =>
            exactExpectation(((k: any, t: any, p: any, x: any, o: any) => vimcoStar(k, t, p, x, o)) as any, catArgs(2)),
          /^exactExpectation: estimator has no valid `info` metadata/,
        ],
        [
          () => exactExpectation(vimcoStar, { ...catArgs(2), support: tensor([[0], [1], [2], [3]]) }),
          /^exactExpectation: support of shape \[4,1\] must be \[K, \.\.\.eventShape\] with K >= 1 and eventShape \[\]/,
        ],
        [
          () => exactExpectation(vimcoStar, { ...catArgs(2), support: tensor([0, 1, 3]) }),
          new RegExp(
            String.raw`^exactExpectation: the support carries 0.89846\d* of q's ` +
              `probability, not 1: list every latent value exactly once`,
          ),
        ],
        [
          () => exactExpectation(vimcoStar, { ...catArgs(2), support: tensor([0, 1, 2, 3, 3]) }),
          /support carries 1.455\d* of q's probability/,
        ],
        [
          () => exactExpectation(vrs, catArgs(2)),
          /^exactExpectation: the estimator draws from r .* but options.threshold is missing/,
        ],
        [
          () => exactExpectation(vimcoStar, catArgs(2, { fixedDraws: tensor([0, 1]) })),
          /^exactExpectation: options.fixedDraws must not be set: exactExpectation supplies every tuple/,
        ],
        [
          () => exactExpectation(vimcoStar, { ...catArgs(2), options: { samples: 2 } } as any),
          /^exactExpectation: options.problem must be/,
        ],
      ];
      for (const [f, re] of bad) {
        expect(f).toThrow(SieveError);
        expect(f).toThrow(re);
      }
      // Estimator errors surface unchanged (here: VIMCO needs N ≥ 2).
      expect(() => exactExpectation(vimco, catArgs(1))).toThrow(/^vimco: samples must be an integer >= 2/);
    },
  );
});

// ---- checkUnbiased -------------------------------------------------------------------------

describe('checkUnbiased', () => {
  // Reference: the exact gradient of the loss, −∇L_3 (enumeration). 1500 draws: the φ-gradient's
  // per-coordinate sd is ≈ 0.1–0.3, so SE ≈ 0.005; the biased estimators below are off by ≥ 0.04
  // in some coordinate (z > 8), far beyond the threshold Φ^{-1}(1 − 1e-3/16) ≈ 3.84.
  const N = 3;
  const reference = catLossGrad(N);
  const mc = (extra: object = {}) => ({
    draws: 1500,
    key: key(11),
    theta: cat.theta,
    phi: cat.phi,
    x: undefined,
    options: { problem: categoricalProblem, samples: N, ...extra },
  });

  it('passes for unbiased estimators (VIMCO-★, VIMCO, plain VR-IWAE score) and reports z-scores per coordinate', () => {
    for (const [est, extra] of [
      [vimcoStar, {}],
      [vimco, {}],
      [vrIwaeScore, { alpha: 0 }],
    ] as const) {
      const r = checkUnbiased(est as Estimator<any>, reference, mc(extra));
      expect(r.ok, `${est.info.name}: max |z| ${r.maxAbsZ} at ${r.worst}`).toBe(true);
      expect(r.coordinates).toBe(8);
      expect(r.threshold).toBeCloseTo(normalQuantile(1 - 1e-3 / 16), 12);
      expect(r.threshold).toBeCloseTo(3.8361, 3); // Φ^{-1}(1 − 6.25e-5)
      expect(r.zScores.phi.shape).toEqual([4]);
      expect(r.zScores.theta.shape).toEqual([4]);
      const z = [...arr(r.zScores.theta), ...arr(r.zScores.phi)];
      expect(Math.max(...z.map(Math.abs))).toBeCloseTo(r.maxAbsZ, 4);
      // z = (mean − reference)/stdErr, recomputed from the returned pieces.
      const m = arr(r.mean.phi);
      const se = arr(r.stdErr.phi);
      arr(r.zScores.phi).forEach((zj, j) => expect(zj).toBeCloseTo((m[j] - reference.phi.dataSync()[j]) / se[j], 3));
    }
  });

  it('FAILS for biased estimators: OVIS~ with γ = 1 and a baseline that depends on z_i', () => {
    for (const est of [ovisTilde(1), selfBaseline]) {
      const r = checkUnbiased(est, reference, mc());
      expect(r.ok, `${est.info.name} should be flagged (max |z| ${r.maxAbsZ})`).toBe(false);
      expect(r.maxAbsZ).toBeGreaterThan(2 * r.threshold);
      expect(r.worst).toMatch(/^phi\[\d\]$/); // θ-gradients are not affected by the control variate
      expect(Math.max(...arr(r.zScores.theta).map(Math.abs))).toBeLessThan(r.threshold);
    }
  });

  it('checks only the parts given (phi only), with pytree parameters (Bernoulli θ = { W, c })', () => {
    const b = bernoulliParams();
    const exact = exactExpectation(vimcoStar, {
      key: key(0),
      theta: b.theta,
      phi: b.phi,
      x: b.x,
      options: { problem: bernoulliProblem, samples: 3, alpha: 0.5 },
      support: bernoulliSupport(),
    });
    const args = {
      draws: 800,
      key: key(4),
      theta: b.theta,
      phi: b.phi,
      x: b.x,
      options: { problem: bernoulliProblem, samples: 3, alpha: 0.5 },
    };
    const r = checkUnbiased(vimcoStar, { phi: exact.grad.phi }, args);
    expect(r.ok).toBe(true);
    expect(r.coordinates).toBe(3);
    expect(r.zScores.theta).toBeUndefined();
    expect(r.mean.theta.W.shape).toEqual([2, 3]); // means are reported for every part
    const full = checkUnbiased(vimcoStar, exact.grad, args);
    expect(full.coordinates).toBe(3 + 6 + 2);
    expect(full.ok).toBe(true);
    // A wrong reference for one θ entry is caught and named.
    const Wbad = exact.grad.theta.W.add(
      tensor([
        [0, 0, 0],
        [0, 0.2, 0],
      ]),
    );
    const off = checkUnbiased(vimcoStar, { theta: { W: Wbad, c: exact.grad.theta.c } }, args);
    expect(off.ok).toBe(false);
    expect(off.worst).toBe('theta.W[1,1]');
  });

  it('false alarms: an unbiased Gaussian "estimator" fails at about the stated rate (Bonferroni, 5 coords)', () => {
    // loss = Σ_j φ_j ε_j, ε ~ N(0, 1) from the key: the gradient is pure noise around 0.
    const noise = withInfo(
      (k: any, _t: unknown, phi: Tensor) => ({
        loss: phi.mul(random.normal(k, [5])).sum(),
        bound: 0,
        perDataPoint: tensor(0),
        diagnostics: { samples: 1 },
      }),
      { name: 'noise', drawsFrom: 'q', reparameterized: false, minSamples: 1 },
    ) as Estimator<any>;
    const reps = 300;
    let alarms = 0;
    for (let i = 0; i < reps; i++) {
      const r = checkUnbiased(
        noise,
        { phi: tensor([0, 0, 0, 0, 0]) },
        {
          draws: 40,
          key: key(1000 + i),
          theta: undefined,
          phi: tensor([0, 0, 0, 0, 0]),
          x: undefined,
          options: { problem: categoricalProblem, samples: 1 },
          falseAlarmRate: 0.2,
        },
      );
      if (!r.ok) alarms++;
    }
    // Bonferroni with independent coordinates gives 1 − (1 − 0.04)^5 ≈ 0.185 under normality; the
    // t-distribution of a 40-draw mean adds a little (≈ 0.21). Binomial sd at p = 0.2, n = 300: 0.023.
    expect(alarms / reps).toBeGreaterThan(0.1);
    expect(alarms / reps).toBeLessThan(0.3);
  });

  it('errors', () => {
    const bad: [() => unknown, RegExp][] = [
      [
        () => checkUnbiased(vimcoStar, {}, mc()),
        /^checkUnbiased: reference must be \{ theta\?, phi\? \} with at least one part/,
      ],
      [
        () => checkUnbiased(vimcoStar, { phi: tensor([0, 0, 0]) }, mc()),
        /^checkUnbiased: reference.phi must have the structure and shapes of the phi gradient: leaves \[4\]; got \[3\]/,
      ],
      [
        () => checkUnbiased(vimcoStar, { phi: { a: tensor([0, 0, 0, 0]) } }, mc()),
        /reference.phi must have the structure and shapes/,
      ],
      [
        () => checkUnbiased(vimcoStar, reference, { ...mc(), draws: 1 }),
        /^checkUnbiased: draws must be an integer >= 2/,
      ],
      [
        () => checkUnbiased(vimcoStar, reference, { ...mc(), falseAlarmRate: 0 }),
        /^checkUnbiased: falseAlarmRate must be a number in \(0, 1\), got 0/,
      ],
      [
        () => checkUnbiased(vimcoStar, reference, mc({ fixedDraws: tensor([0, 1, 2]) })),
        /^checkUnbiased: options.fixedDraws must not be set: every draw would be identical/,
      ],
      [
        () => checkUnbiased(vimcoStar, { theta: tensor([0, 0, 0, 0]) }, { ...mc(), theta: undefined }),
        /^checkUnbiased: reference.theta is given but theta holds no tensors/,
      ],
      [
        () => checkUnbiased(vimcoStar, reference, { ...mc(), key: undefined } as any),
        /^checkUnbiased: key \(a PRNGKey\) is required/,
      ],
    ];
    for (const [f, re] of bad) {
      expect(f).toThrow(SieveError);
      expect(f).toThrow(re);
    }
  });
});

// ---- gradientSnr ---------------------------------------------------------------------------

describe('gradientSnr', () => {
  it('matches the exact mean, sd and SNR (by enumeration of all draws) within 5 standard errors', () => {
    // Exact moments of the φ-gradient of VIMCO-★ (N = 3): enumerate the 64 tuples, E[g], E[g²], E[g⁴].
    const N = 3;
    const idx = tupleIndices(4, N);
    const q = [0.167405, 0.276004, 0.101536, 0.455054]; // softmax(φ) (docs/estimator-math.md §9.4), to 6 digits
    const qExact = arr(cat.phi.softmax(0));
    expect(maxAbsDiff(qExact, q)).toBeLessThan(1e-6);
    const m1 = [0, 0, 0, 0];
    const m2 = [0, 0, 0, 0];
    const m4 = [0, 0, 0, 0];
    for (let t = 0; t < 4 ** N; t++) {
      const z = idx.slice(t * N, t * N + N);
      const p = z.reduce((s, k) => s * qExact[k], 1);
      const g = arr(
        grad(
          (ph: Tensor) =>
            vimcoStar(key(0), cat.theta, ph, undefined, {
              problem: categoricalProblem,
              samples: N,
              fixedDraws: tensor(z),
            }).loss,
        )(cat.phi),
      );
      g.forEach((v, j) => {
        m1[j] += p * v;
        m2[j] += p * v * v;
      });
      g.forEach((v, j) => (m4[j] += p * (v - 0) ** 4));
    }
    const draws = 3000;
    const r = gradientSnr(vimcoStar, {
      draws,
      key: key(21),
      theta: cat.theta,
      phi: cat.phi,
      x: undefined,
      options: { problem: categoricalProblem, samples: N },
    });
    expect(r.draws).toBe(draws);
    const mean = arr(r.mean.phi);
    const std = arr(r.std.phi);
    const snr = arr(r.snr.phi);
    for (let j = 0; j < 4; j++) {
      const sd = Math.sqrt(m2[j] - m1[j] ** 2);
      // central 4th moment from raw moments is awkward; bound the sd's SE with the raw 4th moment
      // (E[(g−μ)⁴] ≤ 8(E[g⁴] + μ⁴)), SE(sd) ≈ sqrt((μ4 − σ⁴)/(4 n σ²)).
      const mu4 = 8 * (m4[j] + m1[j] ** 4);
      const seSd = Math.sqrt(Math.max(mu4 - sd ** 4, 0) / (4 * draws * sd * sd));
      expect(Math.abs(mean[j] - m1[j])).toBeLessThan((5 * sd) / Math.sqrt(draws));
      expect(Math.abs(std[j] - sd)).toBeLessThan(5 * seSd);
      expect(Math.abs(snr[j] - Math.abs(mean[j]) / std[j])).toBeLessThan(1e-6 * snr[j]); // stored in float32
      expect(Math.abs(snr[j] - Math.abs(m1[j]) / sd)).toBeLessThan(0.1 * (Math.abs(m1[j]) / sd) + 0.02);
    }
    // θ-gradients are reported too (their SNR is much higher: no score-function noise in θ's coefficient).
    expect(r.snr.theta.shape).toEqual([4]);
  });

  it('VIMCO-★ has a higher φ-SNR than VIMCO on the categorical model (N = 4)', () => {
    const args = {
      draws: 600,
      key: key(5),
      theta: cat.theta,
      phi: cat.phi,
      x: undefined,
      options: { problem: categoricalProblem, samples: 4 },
    };
    const star = arr(gradientSnr(vimcoStar, args).snr.phi);
    const geo = arr(gradientSnr(vimco, args).snr.phi);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(star)).toBeGreaterThan(mean(geo));
  });

  it('zero-variance coordinates: SNR 0 when the mean is 0 (nothing to estimate)', () => {
    // θ enters only through W; with K = 1 effective state every draw is the same.
    const th = tensor([0, -Infinity, -Infinity, -Infinity]);
    const ph = tensor([0, -Infinity, -Infinity, -Infinity]); // q puts all its mass on z = 0
    const r = gradientSnr(vrIwaeScore, {
      draws: 5,
      key: key(0),
      theta: th,
      phi: ph,
      x: undefined,
      options: { problem: categoricalProblem, samples: 2, alpha: 0 },
    });
    expect(arr(r.std.phi)).toEqual([0, 0, 0, 0]);
    expect(arr(r.snr.phi)).toEqual([0, 0, 0, 0]);
    expect(() =>
      gradientSnr(vimcoStar, {
        draws: 1,
        key: key(0),
        theta: th,
        phi: ph,
        x: undefined,
        options: { problem: categoricalProblem, samples: 2 },
      }),
    ).toThrow(/^gradientSnr: draws must be an integer >= 2/);
  });
});

describe('normalQuantile', () => {
  it('matches known quantiles to 1e-8', () => {
    const known: [number, number][] = [
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.999, 3.090232306167813],
      [1e-6, -4.753424308822899],
      [0.02, -2.053748910631823],
      [1 - 1e-9, 5.997807015007686],
    ];
    for (const [p, z] of known) expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-8 * Math.max(1, Math.abs(z)));
    expect(() => normalQuantile(1.5)).toThrow(/^normalQuantile: p must be in \[0, 1\], got 1.5/);
  });
});

describe('README section (docs/estimators.md)', () => {
  it('its examples run and print what the comments say', () => {
    const out = runReadmeExamples();
    // With N = 1000 the IWAE estimate is within a few 1e-3 of log p(x) = 0.148017 (it is not a
    // bound for each draw, only in expectation).
    expect(Math.abs(out.vimcoStarBound - 0.148017)).toBeLessThan(0.02);
    expect(out.unbiased.ok).toBe(true);
    expect(out.biased.ok).toBe(false);
    expect(out.exactMatches).toBeLessThan(TOL);
    // The printed values match the comments in the document.
    const [fit, goodLine, badLine, mineDiff] = out.logs;
    expect(Math.abs((fit[0] as number) - 0.15)).toBeLessThan(0.02);
    expect(fit[1] as number).toBeGreaterThan(7.5);
    expect(goodLine).toEqual([true, true]);
    expect(badLine[0]).toBe(false);
    expect(badLine[1]).toMatch(/^phi\[\d\]$/);
    expect(badLine[2]).toBe(true);
    expect(Math.abs((mineDiff[0] as number) - 1.8)).toBeLessThan(0.1);
  });

  it('shows the example code verbatim', () => {
    const doc = readFileSync(new URL('../docs/estimators.md', import.meta.url), 'utf8');
    const src = readFileSync(new URL('./helpers/vi-score-readme.ts', import.meta.url), 'utf8');
    const blocks = [...src.matchAll(/\/\/ ---- example start\n([\s\S]*?)\n\s*\/\/ ---- example end/g)].map((m) =>
      m[1].replace(/^ {2}/gm, ''),
    );
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) expect(doc).toContain(b);
  });
});
