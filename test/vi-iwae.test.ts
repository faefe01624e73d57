/**
 * Importance-weighted estimators (docs/estimator-math.md §2): iwae (pathwise docs/estimator-math.md §2.2), iwaeDreg
 * (docs/estimator-math.md §2.4) and vrIwae
 * ('rep' / 'drep', docs/estimator-math.md §2.5), plus the pathwise identities of docs/estimator-math.md §2.1 and §2.5.
 *
 * Statistical checks use fixed keys (deterministic) and the rule |mean − truth| ≤ 5·SE with
 * SE = sample std / √M over M independent per-replicate estimates (one backward pass; each
 * replicate has its own parameters). At a fresh key one such check fires by chance with
 * probability 2Φ(−5) ≈ 5.7e-7; this file makes ~50 of them (family-wise < 3e-5). Truths come from
 * float64 trapezoidal quadrature of L_2^{(α)} over (ε1, ε2) and central finite differences
 * (helpers/vi-gaussian.ts), checked against the docs/estimator-math.md §9.1 reference values. Each statistical block
 * has a negative control (a biased estimator) that the same rule must reject.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Categorical, Normal, grad, key, tensor, valueAndGrad, type Tensor } from '../src/index.js';
import {
  elbo,
  elboStl,
  iwae,
  iwaeDreg,
  vrIwae,
  vrIwaeScore,
  vrLogMeanExp,
  type Estimator,
  type Problem,
} from '../src/vi/index.js';
import {
  LOG_PX,
  estimates,
  expectRejected,
  expectWithinSe,
  gaussianProblem as problem,
  meanSe,
  pairedDiff,
  perSample64,
  replicated,
  vrIwaeQuadrature,
  vrLme64,
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

const M = 20000;
const Q = { m: 0.7, s: 2 / 3, mu0: 0 };

/** vrIwae with fixed α and gradient, as an Estimator. */
const vr = (alpha: number, gradient: 'rep' | 'drep'): Estimator<any> =>
  Object.assign((k: any, th: any, ph: any, x: any, o: any) => vrIwae(k, th, ph, x, { ...o, alpha, gradient }), {
    info: vrIwae.info,
  });

/** IWAE-STL, Σ_i W_i P lw_i (docs/estimator-math.md §2.3): BIASED for N > 1. Used as a negative control only. */
const iwaeStl = Object.assign(
  (k: any, th: Theta, ph: Phi, x: number, o: any) => {
    const q = o.problem.guide(ph, x);
    const z = q.rsample(k, [o.samples]);
    const lw = o.problem.logJoint(th, z, x).sub(q.detach().logProb(z));
    return { loss: lw.logsumexp(0).sum().neg(), perDataPoint: lw.logsumexp(0) };
  },
  { info: iwae.info },
) as unknown as Estimator<any>;

/** DREP with the DReG weights W² at α > 0 (drops the α W term): biased. Negative control. */
const drepWithoutAlphaTerm = (alpha: number) =>
  Object.assign(
    (k: any, th: Theta, ph: Phi, x: number, o: any) => {
      const q = o.problem.guide(ph, x);
      const z = q.rsample(k, [o.samples]);
      const qd = q.detach();
      const zc = z.primal();
      const lwT = o.problem.logJoint(th, zc, x).sub(qd.logProb(zc));
      const w = lwT
        .primal()
        .mul(1 - alpha)
        .softmax(0);
      const lwP = o.problem.logJoint({ mu0: th.mu0.primal() }, z, x).sub(qd.logProb(z));
      const s = vrLogMeanExp(lwT, alpha).add(w.square().mul(lwP).sum(0));
      return { loss: s.sum().neg(), perDataPoint: s };
    },
    { info: iwae.info },
  ) as unknown as Estimator<any>;

function replicateRun(est: Estimator<any>, k: number, opts: object, m = Q.m, s = Q.s, mu0 = Q.mu0, n = M) {
  const { theta, phi } = replicated(n, m, s, mu0);
  let per: Tensor | undefined;
  let ess: Tensor | undefined;
  const [, [gt, gp]] = valueAndGrad(
    (th: Theta, ph: Phi) => {
      const r = est(key(k), th, ph, 1, { problem, ...opts } as any);
      per = r.perDataPoint;
      ess = r.diagnostics?.ess;
      return r.loss;
    },
    [0, 1],
  )(theta, phi);
  return { m: estimates(gp.m), logS: estimates(gp.logS), mu0: estimates(gt.mu0), values: per!.dataSync(), ess };
}

function scalarRun(est: Estimator<any>, m: number, logS: number, mu0: number, opts: object) {
  let r: any;
  const [, [gt, gp]] = valueAndGrad(
    (th: Theta, ph: Phi) => {
      r = est(key(0), th, ph, 1, { problem, ...opts } as any);
      return r.loss;
    },
    [0, 1],
  )({ mu0: tensor(mu0) }, { m: tensor(m), logS: tensor(logS) });
  return {
    m: -gp.m.item(),
    logS: -gp.logS.item(),
    mu0: -gt.mu0.item(),
    value: r.perDataPoint.item() as number,
    result: r,
  };
}

const f32 = Math.fround;
const caseArb = fc.record({
  m: fc.double({ min: -1.5, max: 1.5, noNaN: true }).map(f32),
  logS: fc.double({ min: -1, max: 0.7, noNaN: true }).map(f32),
  mu0: fc.double({ min: -1, max: 1, noNaN: true }).map(f32),
  eps: fc.array(fc.double({ min: -3, max: 3, noNaN: true }).map(f32), { minLength: 1, maxLength: 6 }),
  alpha: fc.double({ min: 0, max: 0.95, noNaN: true }),
});
const FC = { numRuns: 60, seed: 7031 };
const TOL = 2e-4;
const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= TOL * (1 + scale);

describe('per-sample formulas on fixed draws (deterministic, float64 references)', () => {
  it('rep: Σ W^(α) ∇lw; drep: Σ [αW + (1−α)W²] P lw; θ: Σ W^(α) ∇θ ℓp (iwae, iwaeDreg at α = 0)', () => {
    fc.assert(
      fc.property(caseArb, ({ m, logS, mu0, eps, alpha }) => {
        const s = Math.exp(logS);
        const ps = eps.map((e) => perSample64(e, m, s, mu0));
        const lw = ps.map((p) => p.lw);
        const value = vrLme64(lw, alpha);
        const mx = Math.max(...lw);
        const e = lw.map((v) => Math.exp((1 - alpha) * (v - mx)));
        const t = e.reduce((a, b) => a + b);
        const W = e.map((v) => v / t);
        const scale = Math.max(
          ...ps.map(
            (p) =>
              Math.abs(p.pathM) + Math.abs(p.pathLogS) + Math.abs(p.scoreM) + Math.abs(p.scoreLogS) + Math.abs(p.lw),
          ),
        );
        const dot = (c: number[], f: (p: (typeof ps)[number]) => number) => ps.reduce((a, p, i) => a + c[i] * f(p), 0);
        const cd = W.map((w) => alpha * w + (1 - alpha) * w * w);
        const want = {
          repM: dot(W, (p) => p.pathM - p.scoreM),
          repLogS: dot(W, (p) => p.pathLogS - p.scoreLogS),
          drepM: dot(cd, (p) => p.pathM),
          drepLogS: dot(cd, (p) => p.pathLogS),
          mu0: dot(W, (p) => p.dmu0),
        };
        const opts = { samples: eps.length, fixedDraws: tensor(eps) };
        const runs: [string, ReturnType<typeof scalarRun>, 'rep' | 'drep'][] = [
          ['vrIwae rep', scalarRun(vr(alpha, 'rep'), m, logS, mu0, opts), 'rep'],
          ['vrIwae drep', scalarRun(vr(alpha, 'drep'), m, logS, mu0, opts), 'drep'],
        ];
        if (alpha < 0.5) {
          // the α = 0 estimators, compared with the α = 0 formulas
          const W0 = (() => {
            const e0 = lw.map((v) => Math.exp(v - mx));
            const t0 = e0.reduce((a, b) => a + b);
            return e0.map((v) => v / t0);
          })();
          const a = scalarRun(iwae, m, logS, mu0, opts);
          const d = scalarRun(iwaeDreg, m, logS, mu0, opts);
          const c0 = W0.map((w) => w * w);
          for (const [got, w, label] of [
            [a.value, vrLme64(lw, 0), 'iwae value'],
            [d.value, vrLme64(lw, 0), 'dreg value'],
            [a.m, dot(W0, (p) => p.pathM - p.scoreM), 'iwae ∂m'],
            [a.logS, dot(W0, (p) => p.pathLogS - p.scoreLogS), 'iwae ∂log s'],
            [d.m, dot(c0, (p) => p.pathM), 'dreg ∂m'],
            [d.logS, dot(c0, (p) => p.pathLogS), 'dreg ∂log s'],
            [a.mu0, dot(W0, (p) => p.dmu0), 'iwae ∂μ0'],
            [d.mu0, dot(W0, (p) => p.dmu0), 'dreg ∂μ0'],
          ] as const)
            expect(close(got, w, scale), `${label}: ${got} vs ${w}`).toBe(true);
          // Teeth: DReG is not IWAE-STL (Σ W P lw) once the weights are not degenerate.
          const stlM = dot(W0, (p) => p.pathM);
          if (Math.abs(stlM - dot(c0, (p) => p.pathM)) > 100 * TOL * (1 + scale))
            expect(close(d.m, stlM, scale)).toBe(false);
        }
        for (const [label, r, g] of runs) {
          expect(close(r.value, value, scale), `${label} value ${r.value} vs ${value}`).toBe(true);
          expect(close(r.mu0, want.mu0, scale), `${label} ∂μ0`).toBe(true);
          expect(close(r.m, g === 'rep' ? want.repM : want.drepM, scale), `${label} ∂m`).toBe(true);
          expect(close(r.logS, g === 'rep' ? want.repLogS : want.drepLogS, scale), `${label} ∂log s`).toBe(true);
        }
      }),
      FC,
    );
  });
});

describe('IWAE and VR-IWAE identities on fixed draws', () => {
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

  it('IWAE with N = 1 equals the ELBO (value and gradients); LME(lw) ≥ mean(lw)', () => {
    fc.assert(
      fc.property(caseArb, ({ m, logS, mu0, eps }) => {
        const one = { samples: 1, fixedDraws: tensor(eps.slice(0, 1)) };
        const a = scalarRun(iwae, m, logS, mu0, one);
        const b = scalarRun(elbo, m, logS, mu0, one);
        for (const k of ['value', 'm', 'logS', 'mu0'] as const) expect(same(a[k], b[k]), k).toBe(true);
        const all = { samples: eps.length, fixedDraws: tensor(eps) };
        const lme = scalarRun(iwae, m, logS, mu0, all).value;
        const avg = scalarRun(elbo, m, logS, mu0, all).value;
        expect(lme).toBeGreaterThanOrEqual(avg - 1e-6 * Math.max(1, Math.abs(avg)));
      }),
      FC,
    );
  });

  it('VR-IWAE: α = 0 is IWAE (rep) / DReG (drep); N = 1 is the ELBO (rep) / STL (drep) for every α', () => {
    fc.assert(
      fc.property(caseArb, ({ m, logS, mu0, eps, alpha }) => {
        const all = { samples: eps.length, fixedDraws: tensor(eps) };
        const one = { samples: 1, fixedDraws: tensor(eps.slice(0, 1)) };
        const pairs: [Estimator<any>, Estimator<any>, object][] = [
          [vr(0, 'rep'), iwae, all],
          [vr(0, 'drep'), iwaeDreg, all],
          [vr(alpha, 'rep'), elbo, one],
          [vr(alpha, 'drep'), elboStl, one],
        ];
        for (const [x, y, o] of pairs) {
          const a = scalarRun(x, m, logS, mu0, o);
          const b = scalarRun(y, m, logS, mu0, o);
          for (const k of ['value', 'm', 'logS', 'mu0'] as const)
            expect(same(a[k], b[k]), `${y.info.name} ${k}: ${a[k]} vs ${b[k]}`).toBe(true);
        }
      }),
      FC,
    );
  });

  it('mean(lw) ≤ L̂_α ≤ LME(lw), and L̂_α nonincreasing in α (pairs of α, same draws)', () => {
    const arb = fc.record({
      lw: fc.array(fc.double({ min: -50, max: 10, noNaN: true }).map(f32), { minLength: 1, maxLength: 8 }),
      a1: fc.double({ min: 0, max: 0.99, noNaN: true }),
      a2: fc.double({ min: 0, max: 0.99, noNaN: true }),
    });
    fc.assert(
      fc.property(arb, ({ lw, a1, a2 }) => {
        const [lo, hi] = a1 <= a2 ? [a1, a2] : [a2, a1];
        const t = tensor(lw);
        const v = (a: number) => vrLogMeanExp(t, a).item();
        const tol = (x: number) => 2e-6 * Math.max(1, Math.abs(x));
        const avg = lw.reduce((a, b) => a + b) / lw.length;
        const lme = v(0);
        expect(v(lo)).toBeLessThanOrEqual(lme + tol(lme));
        expect(v(hi)).toBeGreaterThanOrEqual(avg - tol(avg));
        expect(v(hi)).toBeLessThanOrEqual(v(lo) + tol(v(lo)));
        expect(Math.abs(v(hi) - vrLme64(lw, hi))).toBeLessThanOrEqual(tol(vrLme64(lw, hi)));
      }),
      { numRuns: 200, seed: 99 },
    );
    // Teeth: with unequal weights the inequalities are strict.
    const t = tensor([0, -3, 1]);
    expect(vrLogMeanExp(t, 0.2).item()).toBeGreaterThan(vrLogMeanExp(t, 0.6).item() + 0.1);
  });

  it('the same estimators on the same draws through the estimator API agree with vrLogMeanExp', () => {
    const eps = tensor([0.3, -1.2, 2.0, 0.7]);
    const lw = elbo(key(0), { mu0: tensor(0) }, { m: tensor(0.7), logS: tensor(Math.log(2 / 3)) }, 1, {
      problem,
      samples: 4,
      fixedDraws: eps,
    });
    const r = vrIwae(key(0), { mu0: tensor(0) }, { m: tensor(0.7), logS: tensor(Math.log(2 / 3)) }, 1, {
      problem,
      samples: 4,
      fixedDraws: eps,
      alpha: 0.4,
    });
    const ps = [0.3, -1.2, 2.0, 0.7].map((e) => perSample64(e, 0.7, 2 / 3, 0).lw);
    expect(r.perDataPoint.item()).toBeCloseTo(vrLme64(ps, 0.4), 5);
    expect(r.perDataPoint.item()).toBeGreaterThan(lw.perDataPoint.item());
  });
});

describe('conjugate Gaussian: IWAE (N = 2) gradients agree with quadrature of L_2 (5 SE)', () => {
  const ref = vrIwaeQuadrature(2, 0, Q.m, Q.s, Q.mu0);

  it('quadrature reproduces the references L_2 = −1.653474 (prior), −1.539980; N = 1 is the ELBO', () => {
    expect(vrIwaeQuadrature(2, 0, 0, 1, 0).value).toBeCloseTo(-1.653474, 6);
    expect(ref.value).toBeCloseTo(-1.53998, 6);
    const e1 = vrIwaeQuadrature(1, 0, Q.m, Q.s, Q.mu0);
    expect(e1.value).toBeCloseTo(-1.558848, 6);
    expect(e1.dm).toBeCloseTo(-0.4, 6);
    expect(e1.dlogS).toBeCloseTo(1 / 9, 6);
  });

  it('pathwise and DReG agree with the quadrature gradient and with each other', () => {
    const a = replicateRun(iwae, 41, { samples: 2 });
    const d = replicateRun(iwaeDreg, 41, { samples: 2 });
    for (const [name, r] of [
      ['iwae', a],
      ['iwaeDreg', d],
    ] as const) {
      expectWithinSe(meanSe(r.m), ref.dm, `${name} ∂/∂m`);
      expectWithinSe(meanSe(r.logS), ref.dlogS, `${name} ∂/∂log s`);
      expectWithinSe(meanSe(r.mu0), ref.dmu0, `${name} ∂/∂μ0`);
      expectWithinSe(meanSe(r.values), ref.value, `${name} L̂_2`);
    }
    expectWithinSe(pairedDiff(a.m, d.m), 0, 'paired iwae − DReG, ∂/∂m');
    expectWithinSe(pairedDiff(a.logS, d.logS), 0, 'paired iwae − DReG, ∂/∂log s');
    // DReG has a far smaller φ-variance than the pathwise gradient.
    expect(meanSe(d.m).sd).toBeLessThan(meanSe(a.m).sd / 5);
    // Negative control: IWAE-STL (Σ W P lw) is biased (docs/estimator-math.md §2.3) and is rejected.
    const stl = replicateRun(iwaeStl, 41, { samples: 2 });
    expectRejected(meanSe(stl.m), ref.dm, 'IWAE-STL ∂/∂m');
    expectRejected(meanSe(stl.logS), ref.dlogS, 'IWAE-STL ∂/∂log s');
  });

  it('reference values L_2 reproduced by the estimator (q = prior and q = N(0.7, (2/3)²))', () => {
    expectWithinSe(meanSe(replicateRun(iwae, 42, { samples: 2 }, 0, 1, 0).values), -1.653474, 'L_2, q = prior');
    expectWithinSe(meanSe(replicateRun(iwaeDreg, 43, { samples: 2 }).values), -1.53998, 'L_2, q = N(0.7,(2/3)²)');
    expectRejected(meanSe(replicateRun(iwae, 42, { samples: 1 }, 0, 1, 0).values), -1.653474, 'L_1 is not L_2');
  });

  it('L_N is nondecreasing in N (N = 1, 2, 5, 10 at q = prior) and matches L_5 ≈ −1.5575, L_10 ≈ −1.5345', () => {
    const n = 10000;
    const est = [1, 2, 5, 10].map((N, i) => meanSe(replicateRun(iwae, 50 + i, { samples: N }, 0, 1, 0, n).values));
    for (let i = 1; i < est.length; i++) {
      const d = est[i].mean - est[i - 1].mean;
      const se = Math.hypot(est[i].se, est[i - 1].se);
      expect(d / se, `L_${[1, 2, 5, 10][i]} − L_${[1, 2, 5, 10][i - 1]} = ${d} (SE ${se})`).toBeGreaterThan(5);
    }
    // docs/estimator-math.md §9.1 MC references carry their own SE (≈ 4e-4): combine both.
    for (const [i, want] of [
      [2, -1.5575],
      [3, -1.5345],
    ] as const) {
      const se = Math.hypot(est[i].se, 4e-4);
      expect(Math.abs(est[i].mean - want) / se, `L_${[1, 2, 5, 10][i]} = ${est[i].mean}`).toBeLessThanOrEqual(5);
    }
  });
});

describe('conjugate Gaussian: VR-IWAE rep and drep agree in expectation (N = 2)', () => {
  for (const alpha of [0.3, 0.7]) {
    it(`α = ${alpha}: both match the quadrature gradient of L_2^(α); paired difference within 5 SE`, () => {
      const ref = vrIwaeQuadrature(2, alpha, Q.m, Q.s, Q.mu0);
      const rep = replicateRun(vr(alpha, 'rep'), 61, { samples: 2 });
      const drep = replicateRun(vr(alpha, 'drep'), 61, { samples: 2 });
      for (const [name, r] of [
        ['rep', rep],
        ['drep', drep],
      ] as const) {
        expectWithinSe(meanSe(r.m), ref.dm, `${name} ∂/∂m`);
        expectWithinSe(meanSe(r.logS), ref.dlogS, `${name} ∂/∂log s`);
        expectWithinSe(meanSe(r.mu0), ref.dmu0, `${name} ∂/∂μ0`);
        expectWithinSe(meanSe(r.values), ref.value, `${name} L̂_α`);
      }
      expectWithinSe(pairedDiff(rep.m, drep.m), 0, 'paired rep − drep, ∂/∂m');
      expectWithinSe(pairedDiff(rep.logS, drep.logS), 0, 'paired rep − drep, ∂/∂log s');
      // Negative control: DReG's W² weights at α > 0 (no α W term) are biased.
      const bad = replicateRun(drepWithoutAlphaTerm(alpha), 61, { samples: 2 });
      expectRejected(meanSe(bad.m), ref.dm, `W² weights at α = ${alpha}, ∂/∂m`);
    });
  }
});

describe('exact posterior q = N(0.5, 0.5)', () => {
  const n = 2000;
  const s = Math.sqrt(0.5);
  const maxAbs = (xs: ArrayLike<number>) => Math.max(...Array.from(xs, Math.abs));
  it('every bound equals log p(x) = −1.5155121; DReG / DREP φ-gradients are 0 for every draw; ESS = N', () => {
    const cases: [string, Estimator<any>, boolean][] = [
      ['iwae', iwae, false],
      ['iwaeDreg', iwaeDreg, true],
      ['vrIwae rep α=0.5', vr(0.5, 'rep'), false],
      ['vrIwae drep α=0.5', vr(0.5, 'drep'), true],
    ];
    for (const [name, est, zero] of cases) {
      const r = replicateRun(est, 71, { samples: 5 }, 0.5, s, 0, n);
      for (const v of r.values) expect(Math.abs(v - LOG_PX), name).toBeLessThanOrEqual(1e-5);
      for (const e of r.ess!.dataSync()) expect(e).toBeCloseTo(5, 4);
      if (zero) {
        expect(maxAbs(r.m), `${name} ∂m`).toBeLessThanOrEqual(1e-5);
        expect(maxAbs(r.logS), `${name} ∂log s`).toBeLessThanOrEqual(1e-5);
      } else {
        // Negative control: the pathwise φ-gradient is zero only in expectation.
        expect(maxAbs(r.logS), `${name} ∂log s`).toBeGreaterThan(0.1);
      }
    }
  });
});

describe('minibatches of a local-latent model: unbiased scaling (exact with fixed draws)', () => {
  const noise = new Normal(0, 1).sample(key(81), [4, 6]);
  const cases: [string, Estimator<any>][] = [
    ['iwae', iwae],
    ['iwaeDreg', iwaeDreg],
    ['vrIwae rep α=0.5', vr(0.5, 'rep')],
    ['vrIwae drep α=0.5', vr(0.5, 'drep')],
  ];
  for (const [name, est] of cases) {
    it(`${name}: mean over all 15 minibatches of 2 (datasetSize 6) = full batch`, () => {
      const r = minibatchAverage(est, noise, () => ({ samples: 4 }));
      expectAllClose(r.avg, r.full.g, 1e-5, `${name} gradient`);
      expect(r.avgBound).toBeCloseTo(r.full.bound, 4);
      expect(notAllClose(minibatchAverage(est, noise, () => ({ samples: 4 }), null).avg, r.full.g, 1e-3)).toBe(true);
    });
  }
});

describe('shapes: local latents with an event axis, global latents', () => {
  it('guide Normal([B, D]).toEvent(1) with logJoint → [N, B]; global latent of shape [D]', () => {
    const B = 3;
    const D = 2;
    const y = tensor([
      [0.5, 1],
      [-1, 0],
      [2, 0.3],
    ]);
    const local: Problem = {
      logJoint: (th, z, x) => new Normal(th.mu, 1).logProb(z).add(new Normal(z, 1).logProb(x)).sum(-1),
      guide: (ph) => new Normal(ph.loc, ph.logS.exp()).toEvent(1),
    };
    const phi = {
      loc: tensor([
        [0, 0.5],
        [-0.5, 0],
        [1, 0.2],
      ]),
      logS: tensor([
        [0, -0.2],
        [0.1, 0],
        [-0.3, 0.2],
      ]),
    };
    const theta = { mu: tensor([0.1, -0.1]) };
    for (const est of [iwae, iwaeDreg, vr(0.3, 'rep'), vr(0.3, 'drep')]) {
      const r = est(key(5), theta, phi, y, { problem: local, samples: 7 });
      expect(r.perDataPoint.shape).toEqual([B]);
      const ess = (r.diagnostics.ess as Tensor).dataSync();
      expect(ess.length).toBe(B);
      for (const e of ess) expect(e >= 1 - 1e-5 && e <= 7 + 1e-5).toBe(true);
      const g = grad((th: any, ph: any) => est(key(5), th, ph, y, { problem: local, samples: 7 }).loss, [0, 1])(
        theta,
        phi,
      );
      expect(g[0].mu.shape).toEqual([D]);
      expect(g[1].loc.shape).toEqual([B, D]);
    }
    const global: Problem = {
      logJoint: (th, z) =>
        new Normal(th.mu, 1)
          .logProb(z)
          .add(new Normal(z, 1).logProb(tensor([1, -1])))
          .sum(-1),
      guide: (ph) => new Normal(ph.loc, 1).toEvent(1),
    };
    const r = iwaeDreg(key(6), { mu: tensor([0, 0]) }, { loc: tensor([0.2, 0.1]) }, null, {
      problem: global,
      samples: 5,
    });
    expect(r.perDataPoint.shape).toEqual([]);
    expect((r.diagnostics.ess as Tensor).shape).toEqual([]);
    expect(r.loss.item()).toBeCloseTo(-r.bound, 5);
  });

  it('loss = −bound, bound = (datasetSize / B) Σ perDataPoint', () => {
    const { theta, phi } = localParams();
    for (const est of [iwae, iwaeDreg, vr(0.5, 'drep')]) {
      const r = est(key(3), theta, phi, batchOf([2, 3]), { problem: localProblem(6), samples: 3 });
      const per = r.perDataPoint.dataSync();
      expect(r.bound).toBeCloseTo(3 * (per[0] + per[1]), 4);
      expect(r.loss.item()).toBeCloseTo(-r.bound, 4);
    }
  });
});

describe('vrLogMeanExp numerics', () => {
  it('large magnitudes, −∞ entries, α close to 1, gradient = softmax((1−α) lw)', () => {
    expect(vrLogMeanExp(tensor([1e4, -1e4]), 0.5).item()).toBeCloseTo(1e4 + Math.log(0.5) / 0.5, 0);
    expect(vrLogMeanExp(tensor([-1e4, -1e4 - 1]), 0).item()).toBeCloseTo(-1e4 + Math.log((1 + Math.exp(-1)) / 2), 1);
    expect(vrLogMeanExp(tensor([-Infinity, -Infinity]), 0.3).item()).toBe(-Infinity);
    expect(vrLogMeanExp(tensor([-Infinity, 0]), 0.3).item()).toBeCloseTo(Math.log(0.5) / 0.7, 6);
    const lw = [-3, 0.5, 2];
    expect(vrLogMeanExp(tensor(lw), 0.999).item()).toBeCloseTo(vrLme64(lw, 0.999), 4);
    const g = grad((t: Tensor) => vrLogMeanExp(t, 0.4))(tensor(lw)).dataSync();
    const e = lw.map((v) => Math.exp(0.6 * v));
    expectAllClose(
      g,
      e.map((v) => v / e.reduce((a, b) => a + b)),
      1e-6,
      'gradient',
    );
    expect(() => vrLogMeanExp(tensor(lw), 1)).toThrow(/alpha must be a number in \[0, 1\)/);
  });
});

describe('input validation (SieveError with a clear message)', () => {
  const theta = { mu0: tensor(0) };
  const phi = { m: tensor(0.7), logS: tensor(-0.4) };
  const call =
    (est: Estimator<any>, opts: object, p: Problem = problem) =>
    () =>
      est(key(0), theta, phi, 1, { problem: p, samples: 2, ...opts } as any);

  it('samples, alpha, gradient', () => {
    for (const est of [iwae, iwaeDreg, vrIwae])
      expect(call(est, { samples: 0, alpha: 0.5 })).toThrow(/samples must be an integer >= 1/);
    for (const alpha of [-0.1, 1, 1.5, NaN, '0.5', undefined])
      expect(call(vrIwae, { alpha })).toThrow(/vrIwae: alpha must be a number in \[0, 1\)/);
    expect(call(vrIwae, { alpha: 0.5, gradient: 'reinforce' })).toThrow(/gradient must be 'rep', 'drep' or 'score'/);
    expect(call(vrIwae, { alpha: 0.5 })).not.toThrow();
  });

  it('shape mismatches and non-reparameterized guides', () => {
    const badJoint: Problem = { ...problem, logJoint: (th, z, x) => problem.logJoint(th, z, x).mean(0) };
    for (const est of [iwae, iwaeDreg]) {
      expect(call(est, {}, badJoint)).toThrow(/logJoint returned shape \[\]/);
      expect(call(est, { fixedDraws: tensor([0.1, 0.2, 0.3]) })).toThrow(
        /fixedDraws \(noise\) of shape \[3\] must have shape .* = \[2\]/,
      );
      expect(
        call(est, {
          fixedDraws: tensor([
            [0.1, 0.2],
            [0.3, 0.4],
          ]),
        }),
      ).toThrow(/fixedDraws \(noise\) of shape \[2,2\]/);
    }
    const cat: Problem = { logJoint: (_th, z) => z.mul(0), guide: () => new Categorical({ logits: tensor([0, 1]) }) };
    expect(call(iwae, {}, cat)).toThrow(/iwae: needs a reparameterized guide \(rsample\), but Categorical has none/);
    expect(call(vrIwae, { alpha: 0.2, gradient: 'drep' }, cat)).toThrow(/needs a reparameterized guide/);
  });

  it("gradient 'score' delegates to vrIwaeScore (iw-score.ts), also for guides without rsample", () => {
    const cat: Problem = { logJoint: (th, z) => th.take(z, 0), guide: (ph) => new Categorical({ logits: ph }) };
    const run = (est: Estimator<any>, opts: object) =>
      grad(
        (th: Tensor, ph: Tensor) =>
          est(key(9), th, ph, null, { problem: cat, samples: 3, alpha: 0.4, ...opts } as any).loss,
        [0, 1],
      )(tensor([-1, -2, -0.5, -3]), tensor([0, 0.5, -0.5, 1])).map((g: Tensor) => Array.from(g.dataSync()));
    const a = run(vrIwae, { gradient: 'score' });
    const b = run(vrIwaeScore, {});
    expect(a).toEqual(b);
    expect(notAllClose(a[1], [0, 0, 0, 0], 1e-3)).toBe(true);
  });

  it('estimator metadata', () => {
    for (const [est, name] of [
      [iwae, 'iwae'],
      [iwaeDreg, 'iwaeDreg'],
      [vrIwae, 'vrIwae'],
    ] as const) {
      expect(est.info).toEqual({ name, drawsFrom: 'q', reparameterized: true, minSamples: 1 });
    }
  });
});
