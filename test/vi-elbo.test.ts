/**
 * ELBO estimators (docs/estimator-math.md §1): elbo (pathwise docs/estimator-math.md §1.2), elboStl
 * (docs/estimator-math.md §1.3), elboScoreFunction (docs/estimator-math.md §1.4).
 *
 * Statistical checks use fixed keys, so they are deterministic; each compares a Monte Carlo mean
 * of M independent per-replicate estimates (one backward pass: each replicate has its own copy of
 * the parameters, see helpers/vi-gaussian.ts) with the closed form, |mean − truth| ≤ 5·SE with
 * SE = sample std / √M. Under the CLT one such check would fire by chance with probability
 * 2Φ(−5) ≈ 5.7e-7 at a fresh key; this file makes ~30 of them (family-wise < 2e-5). Every
 * statistical check is paired with a negative control (a biased variant that must be rejected by
 * the same rule), and every exact check with one that must fail at the same tolerance.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Categorical, Normal, SieveError, grad, key, tensor, valueAndGrad, type Tensor } from '../src/index.js';
import { elbo, elboScoreFunction, elboStl, type Estimator, type Problem } from '../src/vi/index.js';
import {
  LOG_PX,
  elboExact,
  estimates,
  expectRejected,
  expectWithinSe,
  gaussianProblem as problem,
  meanSe,
  perSample64,
  replicated,
  scalarParams,
  type Phi,
  type Theta,
} from './helpers/vi-gaussian.js';
import {
  batchOf,
  expectAllClose,
  localParams,
  localProblem,
  minibatchAverage,
  notAllClose,
} from './helpers/vi-minibatch.js';

const M = 20000; // replicates per Monte Carlo check
// The reference proposal N(0.7, (2/3)²) of docs/estimator-math.md §9.1, prior mean θ = μ0 = 0.
const Q = { m: 0.7, s: 2 / 3, mu0: 0 };

/** Per-replicate estimates of (∂/∂m, ∂/∂log s, ∂/∂μ0) and values, for M replicates. */
function replicateRun(est: Estimator<any>, k: number, opts: object, m = Q.m, s = Q.s, mu0 = Q.mu0, n = M) {
  const { theta, phi } = replicated(n, m, s, mu0);
  let per: Tensor | undefined;
  const [, [gt, gp]] = valueAndGrad(
    (th: Theta, ph: Phi) => {
      const r = est(key(k), th, ph, 1, { problem, ...opts } as any);
      per = r.perDataPoint;
      return r.loss;
    },
    [0, 1],
  )(theta, phi);
  return { m: estimates(gp.m), logS: estimates(gp.logS), mu0: estimates(gt.mu0), values: per!.dataSync() };
}

/** Gradient (of the objective, i.e. −∂loss) and value for one global (scalar) parameter set. */
function scalarRun(est: Estimator<any>, m: number, logS: number, mu0: number, opts: object) {
  const theta = { mu0: tensor(mu0) };
  const phi = { m: tensor(m), logS: tensor(logS) };
  let r: any;
  const [, [gt, gp]] = valueAndGrad(
    (th: Theta, ph: Phi) => {
      r = est(key(0), th, ph, 1, { problem, ...opts } as any);
      return r.loss;
    },
    [0, 1],
  )(theta, phi);
  return {
    m: -gp.m.item(),
    logS: -gp.logS.item(),
    mu0: -gt.mu0.item(),
    value: r.perDataPoint.item() as number,
    result: r,
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f32 = Math.fround;

// fast-check: parameters and draws for the per-sample formula checks.
const caseArb = fc.record({
  m: fc.double({ min: -1.5, max: 1.5, noNaN: true }).map(f32),
  logS: fc.double({ min: -1, max: 0.7, noNaN: true }).map(f32),
  mu0: fc.double({ min: -1, max: 1, noNaN: true }).map(f32),
  eps: fc.array(fc.double({ min: -3, max: 3, noNaN: true }).map(f32), { minLength: 1, maxLength: 5 }),
  baseline: fc.double({ min: -4, max: 0, noNaN: true }).map(f32),
});
const FC = { numRuns: 60, seed: 20240611 };
const TOL = 2e-4; // float32 evaluation of O(10) terms vs float64

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= TOL * (1 + scale);
}

describe('per-sample formulas on fixed draws (deterministic, float64 references)', () => {
  it('elbo: (1/S) Σ ∇lw (total derivative); elboStl: (1/S) Σ P lw; θ: (1/S) Σ ∇θ ℓp', () => {
    fc.assert(
      fc.property(caseArb, ({ m, logS, mu0, eps }) => {
        const s = Math.exp(logS);
        const ps = eps.map((e) => perSample64(e, m, s, mu0));
        const scale = Math.max(
          ...ps.map(
            (p) =>
              Math.abs(p.pathM) + Math.abs(p.pathLogS) + Math.abs(p.scoreM) + Math.abs(p.scoreLogS) + Math.abs(p.lw),
          ),
        );
        const opts = { samples: eps.length, fixedDraws: tensor(eps) };
        const rep = scalarRun(elbo, m, logS, mu0, opts);
        const stl = scalarRun(elboStl, m, logS, mu0, opts);
        const want = {
          value: mean(ps.map((p) => p.lw)),
          repM: mean(ps.map((p) => p.pathM - p.scoreM)),
          repLogS: mean(ps.map((p) => p.pathLogS - p.scoreLogS)),
          stlM: mean(ps.map((p) => p.pathM)),
          stlLogS: mean(ps.map((p) => p.pathLogS)),
          mu0: mean(ps.map((p) => p.dmu0)),
        };
        for (const [got, w, label] of [
          [rep.value, want.value, 'elbo value'],
          [stl.value, want.value, 'stl value'],
          [rep.m, want.repM, 'elbo ∂m'],
          [rep.logS, want.repLogS, 'elbo ∂log s'],
          [rep.mu0, want.mu0, 'elbo ∂μ0'],
          [stl.m, want.stlM, 'stl ∂m'],
          [stl.logS, want.stlLogS, 'stl ∂log s'],
          [stl.mu0, want.mu0, 'stl ∂μ0'],
        ] as const) {
          expect(close(got, w, scale), `${label}: ${got} vs ${w}`).toBe(true);
        }
        // Teeth: the two φ-formulas differ by the mean score; where it is visible, the pathwise
        // gradient must not pass as the STL formula.
        const sm = mean(ps.map((p) => p.scoreM));
        if (Math.abs(sm) > 100 * TOL * (1 + scale)) expect(close(rep.m, want.stlM, scale)).toBe(false);
      }),
      FC,
    );
  });

  it('elboScoreFunction: LOO (1/(S−1)) Σ (lw − l̄w) s_φ for S ≥ 2; (lw − b) s_φ for S = 1', () => {
    fc.assert(
      fc.property(caseArb, ({ m, logS, mu0, eps, baseline }) => {
        const s = Math.exp(logS);
        const S = eps.length;
        const z = eps.map((e) => f32(m + s * e)); // fixed samples (constants)
        const ps = z.map((zz) => perSample64((zz - m) / s, m, s, mu0));
        const scale = Math.max(
          ...ps.map((p) => (Math.abs(p.lw) + 4) * (Math.abs(p.scoreM) + Math.abs(p.scoreLogS) + 1)),
        );
        const r = scalarRun(elboScoreFunction, m, logS, mu0, { samples: S, fixedDraws: tensor(z), baseline });
        const lbar = mean(ps.map((p) => p.lw));
        const c = ps.map((p) => (S >= 2 ? (p.lw - lbar) / (S - 1) : p.lw - baseline));
        const wantM = ps.reduce((t, p, i) => t + c[i] * p.scoreM, 0);
        const wantLogS = ps.reduce((t, p, i) => t + c[i] * p.scoreLogS, 0);
        expect(close(r.value, lbar, scale), 'value').toBe(true);
        expect(close(r.m, wantM, scale), `∂m ${r.m} vs ${wantM}`).toBe(true);
        expect(close(r.logS, wantLogS, scale), `∂log s ${r.logS} vs ${wantLogS}`).toBe(true);
        expect(close(r.mu0, mean(ps.map((p) => p.dmu0)), scale), '∂μ0').toBe(true);
        // The loss's forward value is −value (fused surrogate, docs/estimator-math.md §0.2).
        expect(close(-r.result.loss.item(), lbar, scale)).toBe(true);
      }),
      FC,
    );
  });
});

describe('conjugate Gaussian: gradients agree with the closed-form ELBO gradient (5 SE)', () => {
  const truth = elboExact(Q.m, Q.s, Q.mu0); // ∂m = −0.4, ∂log s = 1/9, ∂μ0 = 0.7

  const cases: [string, Estimator<any>, object][] = [
    ['pathwise', elbo, { samples: 1 }],
    ['STL', elboStl, { samples: 1 }],
    ['score function, S = 2 (LOO)', elboScoreFunction, { samples: 2 }],
    ['score function, S = 5 (LOO)', elboScoreFunction, { samples: 5 }],
    ['score function, S = 1 (moving-average baseline b = −1.6)', elboScoreFunction, { samples: 1, baseline: -1.6 }],
  ];
  for (const [name, est, opts] of cases) {
    it(name, () => {
      const r = replicateRun(est, 11, opts);
      expectWithinSe(meanSe(r.m), truth.dm, `${name} ∂/∂m`);
      expectWithinSe(meanSe(r.logS), truth.dlogS, `${name} ∂/∂log s`);
      expectWithinSe(meanSe(r.mu0), truth.dmu0, `${name} ∂/∂μ0`);
      expectWithinSe(meanSe(r.values), truth.value, `${name} value`);
    });
  }

  it('negative controls: biased variants are rejected by the same 5-SE rule', () => {
    // (a) pathwise without the entropy term (surrogate mean ℓp(z)): off by 1 in ∂/∂log s.
    const noEntropy = Object.assign(
      (k: any, th: Theta, ph: Phi, x: number, o: any) => {
        const z = o.problem.guide(ph, x).rsample(k, [o.samples]);
        return { loss: o.problem.logJoint(th, z, x).mean(0).sum().neg(), perDataPoint: tensor(0) };
      },
      { info: elbo.info },
    ) as unknown as Estimator<any>;
    expectRejected(
      meanSe(replicateRun(noEntropy, 11, { samples: 1 }).logS),
      truth.dlogS,
      'pathwise without entropy, ∂/∂log s',
    );
    // (b) score function with 1/S instead of 1/(S−1) (S = 2: half the φ-gradient).
    const sf = replicateRun(elboScoreFunction, 11, { samples: 2 });
    expectRejected(meanSe(sf.m, 1 / 2), truth.dm, 'score function with 1/S, ∂/∂m');
    // (c) S = 1 with a baseline that depends on the current draw (b = lw − 1): the φ-gradient is
    // then Σ s_φ, of mean zero, not ∇L.
    const { theta, phi } = replicated(M, Q.m, Q.s, Q.mu0);
    const draws = new Normal(Q.m, Q.s).sample(key(12), [1, M]);
    const lw = elbo(key(0), theta, phi, 1, { problem, samples: 1, fixedDraws: draws.sub(Q.m).div(Q.s) }).perDataPoint;
    const bad = replicateRun(elboScoreFunction, 12, { samples: 1, fixedDraws: draws, baseline: lw.sub(1) });
    expectRejected(meanSe(bad.m), truth.dm, 'draw-dependent baseline, ∂/∂m');
    // ... while the same draws with a fixed baseline pass.
    expectWithinSe(
      meanSe(replicateRun(elboScoreFunction, 12, { samples: 1, fixedDraws: draws, baseline: -1.6 }).m),
      truth.dm,
      'fixed baseline on the same draws',
    );
  });

  it('reference ELBO values: L_1 = −1.918939 (q = prior), −1.558848 (q = N(0.7, (2/3)²))', () => {
    expect(elboExact(0, 1, 0).value).toBeCloseTo(-1.918939, 6);
    expect(elboExact(0.7, 2 / 3, 0).value).toBeCloseTo(-1.558848, 6);
    expect(elboExact(0.5, Math.sqrt(0.5), 0).value).toBeCloseTo(LOG_PX, 12); // q = posterior
    for (const [m, s, want] of [
      [0, 1, -1.918939],
      [0.7, 2 / 3, -1.558848],
    ]) {
      for (const est of [elbo, elboStl, elboScoreFunction]) {
        const r = replicateRun(est, 13, { samples: est === elboScoreFunction ? 2 : 1 }, m, s, 0);
        expectWithinSe(meanSe(r.values), want, `${est.info.name} L_1 at N(${m}, ${s.toFixed(3)}²)`);
      }
    }
    // Teeth: the two references are far apart at this M.
    expectRejected(meanSe(replicateRun(elbo, 13, { samples: 1 }, 0, 1, 0).values), -1.558848, 'prior vs N(0.7,(2/3)²)');
  });
});

describe('exact posterior q = N(0.5, 0.5): zero STL gradients, bounds equal log p(x)', () => {
  const n = 2000;
  const s = Math.sqrt(0.5);
  it('STL φ-gradient is 0 for every sample; every estimate equals log p(x) = −1.5155121', () => {
    expect(LOG_PX).toBeCloseTo(-1.5155121, 7);
    const stl = replicateRun(elboStl, 21, { samples: 1 }, 0.5, s, 0, n);
    const maxAbs = (xs: ArrayLike<number>) => Math.max(...Array.from(xs, Math.abs));
    expect(maxAbs(stl.m)).toBeLessThanOrEqual(1e-5);
    expect(maxAbs(stl.logS)).toBeLessThanOrEqual(1e-5);
    const sf = replicateRun(elboScoreFunction, 21, { samples: 3 }, 0.5, s, 0, n);
    expect(maxAbs(sf.m)).toBeLessThanOrEqual(1e-5); // lw − l̄w ≡ 0
    for (const [name, r] of [
      ['stl', stl],
      ['sf', sf],
      ['elbo', replicateRun(elbo, 21, { samples: 4 }, 0.5, s, 0, n)],
    ] as const) {
      for (const v of r.values) expect(Math.abs(v - LOG_PX), name).toBeLessThanOrEqual(1e-5);
    }
    // Negative control: the pathwise gradient is not zero per sample (only in expectation).
    expect(maxAbs(replicateRun(elbo, 21, { samples: 1 }, 0.5, s, 0, n).logS)).toBeGreaterThan(0.5);
  });
});

describe('categorical model: score-function ELBO is exactly unbiased (enumeration)', () => {
  const THETA = [-1.0, -2.0, -0.5, -3.0];
  const PHI = [0.0, 0.5, -0.5, 1.0];
  const catProblem: Problem<Tensor, Tensor, null> = {
    logJoint: (theta, z) => theta.take(z, 0),
    guide: (phi) => new Categorical({ logits: phi }),
  };
  const exactElbo = (theta: Tensor, phi: Tensor): Tensor => {
    const lq = phi.logSoftmax(-1);
    return lq.exp().mul(theta.sub(lq)).sum();
  };
  const qProbs = (() => {
    const e = PHI.map(Math.exp);
    const t = e.reduce((a, b) => a + b);
    return e.map((v) => v / t);
  })();

  /** E over all K^S tuples of (−∂loss/∂θ, −∂loss/∂φ, value), weights Π q(z_i), float64 sums. */
  function enumerate(S: number, opts: (tuple: number[]) => object = () => ({})) {
    const gTheta = new Float64Array(4);
    const gPhi = new Float64Array(4);
    let value = 0;
    for (let code = 0; code < 4 ** S; code++) {
      const tuple = Array.from({ length: S }, (_, i) => Math.floor(code / 4 ** i) % 4);
      const p = tuple.reduce((a, k) => a * qProbs[k], 1);
      let v = 0;
      const [gt, gp] = grad(
        (th: Tensor, ph: Tensor) => {
          const r = elboScoreFunction(key(0), th, ph, null, {
            problem: catProblem,
            samples: S,
            fixedDraws: tensor(tuple),
            ...opts(tuple),
          });
          v = r.bound;
          return r.loss;
        },
        [0, 1],
      )(tensor(THETA), tensor(PHI));
      for (let j = 0; j < 4; j++) {
        gTheta[j] -= p * gt.dataSync()[j];
        gPhi[j] -= p * gp.dataSync()[j];
      }
      value += p * v;
    }
    return { gTheta: Array.from(gTheta), gPhi: Array.from(gPhi), value };
  }

  const [exactTheta, exactPhi] = grad(exactElbo, [0, 1])(tensor(THETA), tensor(PHI)).map((g: Tensor) =>
    Array.from(g.dataSync()),
  );

  it('reproduces the reference values: ELBO = −0.890294, ∂L_1/∂φ, ∂L_1/∂θ = q', () => {
    expect(exactElbo(tensor(THETA), tensor(PHI)).item()).toBeCloseTo(-0.890294, 5);
    expectAllClose(exactPhi, [0.280844, 0.049027, 0.271877, -0.601749], 2e-6, '∂/∂φ');
    expectAllClose(exactTheta, [0.167405, 0.276004, 0.101536, 0.455054], 2e-6, '∂/∂θ');
  });

  for (const S of [2, 3]) {
    it(`S = ${S} (all ${4 ** S} tuples): E[gradient] = ∇ELBO and E[value] = ELBO to float32 precision`, () => {
      const e = enumerate(S);
      expectAllClose(e.gPhi, exactPhi, 1e-5, `E ĝ_φ (S = ${S})`);
      expectAllClose(e.gTheta, exactTheta, 1e-5, `E ĝ_θ (S = ${S})`);
      expect(e.value).toBeCloseTo(-0.890294, 5);
      // Negative control: the same expectation with 1/S in place of 1/(S−1) is visibly off.
      expect(
        notAllClose(
          e.gPhi.map((g) => (g * (S - 1)) / S),
          exactPhi,
          1e-3,
        ),
      ).toBe(true);
    });
  }

  it('S = 1 with a fixed baseline (any value) is unbiased; a draw-dependent one is not', () => {
    for (const b of [0, -0.89, 2.5]) {
      const e = enumerate(1, () => ({ baseline: b }));
      expectAllClose(e.gPhi, exactPhi, 1e-5, `E ĝ_φ (b = ${b})`);
      expectAllClose(e.gTheta, exactTheta, 1e-5, `E ĝ_θ (b = ${b})`);
    }
    const lq = PHI.map((_, k) => Math.log(qProbs[k]));
    const bad = enumerate(1, ([k]) => ({ baseline: THETA[k] - lq[k] - 1 })); // b = lw(z) − 1
    expect(notAllClose(bad.gPhi, exactPhi, 1e-3)).toBe(true);
    expectAllClose(bad.gPhi, [0, 0, 0, 0], 1e-5, 'E[s_φ] = 0 (I1)'); // what it estimates instead
  });
});

describe('moving-average baseline (samples = 1)', () => {
  it('diagnostics.baseline = d·b + (1 − d)·lw: number in, number out; tensor in, tensor out', () => {
    const { theta, phi } = scalarParams(0.7, 2 / 3, 0);
    const z = tensor([1.3]);
    const r = elboScoreFunction(key(0), theta, phi, 1, {
      problem,
      samples: 1,
      fixedDraws: z,
      baseline: -2,
      baselineDecay: 0.8,
    });
    const lw = r.perDataPoint.item();
    expect(r.diagnostics.baseline as number).toBeCloseTo(0.8 * -2 + 0.2 * lw, 6);
    // First call (no baseline): b = 0 is used, and the average starts at the current value.
    const first = elboScoreFunction(key(0), theta, phi, 1, { problem, samples: 1, fixedDraws: z });
    expect(first.diagnostics.baseline).toBe(lw);
    // Per data point (local latents): a tensor of the batch shape.
    const { theta: lt, phi: lp } = localParams();
    const batch = batchOf([1, 4]);
    const b0 = tensor([-1, -3]);
    const local = elboScoreFunction(key(1), lt, lp, batch, { problem: localProblem(6), samples: 1, baseline: b0 });
    const nb = local.diagnostics.baseline as Tensor;
    expect(nb.shape).toEqual([2]);
    const per = local.perDataPoint.dataSync();
    expectAllClose(nb.dataSync(), [0.9 * -1 + 0.1 * per[0], 0.9 * -3 + 0.1 * per[1]], 1e-6, 'per-point baseline');
    // Threading it through a loop keeps it per data point.
    const again = elboScoreFunction(key(2), lt, lp, batch, { problem: localProblem(6), samples: 1, baseline: nb });
    expect((again.diagnostics.baseline as Tensor).shape).toEqual([2]);
  });

  it('with samples ≥ 2 the LOO baseline is used: a given baseline changes nothing but is updated', () => {
    const run = (baseline?: number) =>
      scalarRun(elboScoreFunction, 0.7, Math.log(2 / 3), 0, {
        samples: 3,
        fixedDraws: tensor([0.1, 1.2, 0.6]),
        baseline,
      });
    const a = run();
    const b = run(5);
    expect([b.m, b.logS, b.mu0]).toEqual([a.m, a.logS, a.mu0]);
    expect(b.result.diagnostics.baseline).toBeCloseTo(0.9 * 5 + 0.1 * a.value, 6);
  });
});

describe('minibatches of a local-latent model: unbiased scaling (exact with fixed draws)', () => {
  const noise = new Normal(0, 1).sample(key(31), [3, 6]); // per-data-point draws
  const cases: [string, Estimator<any>, object][] = [
    ['elbo', elbo, { samples: 3 }],
    ['elboStl', elboStl, { samples: 3 }],
    ['elboScoreFunction (S = 3)', elboScoreFunction, { samples: 3 }],
  ];
  for (const [name, est, opts] of cases) {
    it(`${name}: mean over all 15 minibatches of 2 (datasetSize 6) = full batch`, () => {
      const r = minibatchAverage(est, noise, () => opts);
      expectAllClose(r.avg, r.full.g, 1e-5, `${name} gradient`);
      expect(r.avgBound).toBeCloseTo(r.full.bound, 4);
      // Negative control: without datasetSize the average is a third of the full gradient.
      expect(notAllClose(minibatchAverage(est, noise, () => opts, null).avg, r.full.g, 1e-3)).toBe(true);
    });
  }
  it('elboScoreFunction (S = 1) with a per-data-point baseline', () => {
    const b = tensor([-1, -2, -3, -1.5, -2.5, -1.2]);
    const z = noise.slice([0, 0], [1, 6]);
    const r = minibatchAverage(elboScoreFunction, z, (idx) => ({ samples: 1, baseline: b.take(idx) }));
    expectAllClose(r.avg, r.full.g, 1e-5, 'gradient');
  });

  it('loss = −bound and bound = (datasetSize / B) Σ perDataPoint', () => {
    const { theta, phi } = localParams();
    for (const est of [elbo, elboStl, elboScoreFunction]) {
      const r = est(key(3), theta, phi, batchOf([0, 5]), { problem: localProblem(6), samples: 2 });
      const per = r.perDataPoint.dataSync();
      expect(r.perDataPoint.shape).toEqual([2]);
      expect(r.bound).toBeCloseTo(3 * (per[0] + per[1]), 4);
      expect(r.loss.item()).toBeCloseTo(-r.bound, 4);
      expect((r.diagnostics.ess as Tensor).shape).toEqual([2]);
    }
  });
});

describe('input validation (SieveError with a clear message)', () => {
  const { theta, phi } = scalarParams(0.7, 2 / 3, 0);
  const call =
    (est: Estimator<any>, opts: object, p: Problem = problem) =>
    () =>
      est(key(0), theta, phi, 1, { problem: p, samples: 2, ...opts } as any);

  it('sample counts', () => {
    for (const est of [elbo, elboStl, elboScoreFunction]) {
      for (const samples of [0, 1.5, -1, NaN])
        expect(call(est, { samples })).toThrow(/samples must be an integer >= 1/);
    }
  });

  it('shape mismatches: logJoint output, fixedDraws, baseline', () => {
    const badJoint: Problem = { ...problem, logJoint: (th, z, x) => problem.logJoint(th, z, x).sum() };
    expect(call(elbo, {}, badJoint)).toThrow(/logJoint returned shape \[\] .*expected.*\[2\]/);
    expect(call(elboScoreFunction, {}, badJoint)).toThrow(SieveError);
    expect(call(elbo, { fixedDraws: tensor([0.1, 0.2, 0.3]) })).toThrow(/fixedDraws \(noise\) of shape \[3\]/);
    expect(call(elboStl, { fixedDraws: tensor([[0.1], [0.2]]) })).toThrow(/fixedDraws \(noise\) of shape \[2,1\]/);
    expect(call(elboScoreFunction, { fixedDraws: tensor([[0.1], [0.2]]) })).toThrow(/fixedDraws of shape \[2,1\]/);
    expect(call(elboScoreFunction, { samples: 1, baseline: tensor([1, 2]) })).toThrow(/baseline of shape \[2\]/);
    expect(call(elboScoreFunction, { samples: 1, baseline: NaN })).toThrow(/baseline must be finite/);
    expect(call(elboScoreFunction, { samples: 1, baselineDecay: 1 })).toThrow(
      /baselineDecay must be a number in \[0, 1\)/,
    );
  });

  it('problem and guide', () => {
    expect(() => elbo(key(0), theta, phi, 1, { samples: 1 } as any)).toThrow(/options.problem must be/);
    expect(call(elbo, {}, { ...problem, guide: () => ({}) as any })).toThrow(/must return a Distribution/);
    const cat: Problem = { logJoint: (_th, z) => z.mul(0), guide: () => new Categorical({ logits: tensor([0, 1]) }) };
    expect(call(elbo, {}, cat)).toThrow(/needs a reparameterized guide.*elboScoreFunction/);
    expect(call(elboStl, {}, cat)).toThrow(/needs a reparameterized guide/);
    expect(call(elboScoreFunction, {}, cat)).not.toThrow();
  });

  it('estimator metadata', () => {
    expect(elbo.info).toEqual({ name: 'elbo', drawsFrom: 'q', reparameterized: true, minSamples: 1 });
    expect(elboStl.info).toEqual({ name: 'elboStl', drawsFrom: 'q', reparameterized: true, minSamples: 1 });
    expect(elboScoreFunction.info).toEqual({
      name: 'elboScoreFunction',
      drawsFrom: 'q',
      reparameterized: false,
      minSamples: 1,
    });
  });
});
