/**
 * RVRS (Jankowiak & Phan 2023; docs/estimator-math.md §6, §9.1) and Semi-RVRS
 * (docs/estimator-math.md §6.8 there).
 *
 * - Quadrature reproduces the docs/estimator-math.md §9.1 R-ELBO / Z_R table and the RVRS gradient references (1e-6);
 *   the path form of docs/estimator-math.md §6.2 equals the score form and finite differences for ε ∈ {0, 1e-4, 0.1}.
 * - At the exact posterior q = N(0.5, 0.5): R-ELBO = log p(x) for every T, Z_R = σ(log p(x) + T);
 *   the estimators' values equal log p(x) on every draw and RVRS's φ-gradient vanishes per draw.
 * - Monte Carlo (B independent replicates in one call, each with its own φ, so the gradient w.r.t.
 *   φ has one entry per replicate; 5-SE tolerance, see helpers/vi-rejection-stats.ts): the rvrs
 *   mean reproduces the gradient references (ε = 0) and the quadrature-exact gradient for ε = 0.1;
 *   RVRS and VRS agree; the exact θ-gradient is unbiased and 'fast' is biased as documented.
 *   Negative controls: dropping the covariance term, and the reference code's floor-free surrogate at
 *   ε = 0.1, are off by more than 10 SE.
 * - Semi-RVRS on a Gaussian hierarchy: MC mean of every gradient (global and local guide
 *   parameters) matches a nested-quadrature exact gradient of the semi objective within 5 SE.
 */
import { describe, expect, it } from 'vitest';
import { valueAndGrad } from '../src/autodiff/transforms.js';
import { stopGradient } from '../src/autodiff/custom.js';
import { Categorical, Normal } from '../src/dist/index.js';
import { key, split } from '../src/random/key.js';
import { scalar, tensor } from '../src/tensor/creation.js';
import { add, exp, mul } from '../src/tensor/ops/index.js';
import { Tensor } from '../src/tensor/tensor.js';
import { logAcceptance64, sampleR, sigmoid64 } from '../src/vi/rejection-sampler.js';
import { exactRElbo1D } from '../src/vi/r-elbo-exact.js';
import { rvrs, semiRvrs, type SemiRvrsProblem } from '../src/vi/rvrs.js';
import { vrs } from '../src/vi/vrs.js';
import type { Problem } from '../src/vi/types.js';
import {
  GAUSS,
  gaussExact,
  gaussLogJoint,
  gaussLogp64,
  gaussPhi,
  gaussProblem,
  referenceCodeRvrsLoss,
} from './helpers/vi-rejection-models.js';
import { expectAgree, expectAllClose, expectWithinSe, meanSe, K_SE } from './helpers/vi-rejection-stats.js';

type Phi = { m: Tensor; logS: Tensor };

/** Per-replicate objective gradients (−∇loss) w.r.t. m and log s, from one estimator call over B replicates. */
function perReplicate(lossFn: (phi: Phi) => Tensor, phi: Phi): { dm: Float64Array; dlogs: Float64Array } {
  const [, g] = valueAndGrad(lossFn)(phi);
  return {
    dm: Float64Array.from((g.m as Tensor).dataSync(), (v) => -v),
    dlogs: Float64Array.from((g.logS as Tensor).dataSync(), (v) => -v),
  };
}

describe('conjugate Gaussian by quadrature', () => {
  it('R-ELBO and Z_R table', () => {
    for (const row of GAUSS.rows) {
      const e = gaussExact(row.m, row.s, row.T);
      expect(Math.abs(e.rElbo - row.rElbo), `R-ELBO ${JSON.stringify(row)}`).toBeLessThanOrEqual(5e-7 + 1e-9);
      expect(Math.abs(e.Z - row.Z), `Z ${JSON.stringify(row)}`).toBeLessThanOrEqual(5e-7 + 1e-9);
      expect(Math.abs(e.logEvidence - GAUSS.logEvidence)).toBeLessThan(1e-7);
    }
  });

  it('RVRS gradient references: R-ELBO, Z_R, ∂/∂m, ∂/∂log s, ∂/∂T (score form and path form)', () => {
    for (const row of GAUSS.gradRows) {
      const e = gaussExact(row.m, row.s, row.T);
      const tol = 5e-7 + 1e-9;
      expect(Math.abs(e.rElbo - row.rElbo)).toBeLessThanOrEqual(tol);
      expect(Math.abs(e.Z - row.Z)).toBeLessThanOrEqual(tol);
      expectAllClose(e.dPhi!, [row.dm, row.dlogs], tol, 'dR/dφ (score form)');
      expectAllClose(e.dPhiPath!, [row.dm, row.dlogs], tol, 'dR/dφ (path form docs/estimator-math.md §6.2)');
      expect(Math.abs(e.dT - row.dT)).toBeLessThanOrEqual(tol);
    }
  });

  it('exact gradient (path form) = score form = finite differences, for ε ∈ {0, 1e-4, 0.1}', () => {
    const h = 1e-4;
    for (const eps of [0, 1e-4, 0.1]) {
      for (const [m, s, T] of [
        [0.2, 1.5, 0],
        [1.0, 0.5, 0],
        [-0.3, 0.8, 1.5],
        [0.6, 1.1, -2],
      ]) {
        const e = gaussExact(m, s, T, eps, 0, 20001);
        const fdm =
          (gaussExact(m + h, s, T, eps, 0, 20001).rElbo - gaussExact(m - h, s, T, eps, 0, 20001).rElbo) / (2 * h);
        const fds =
          (gaussExact(m, s * Math.exp(h), T, eps, 0, 20001).rElbo -
            gaussExact(m, s * Math.exp(-h), T, eps, 0, 20001).rElbo) /
          (2 * h);
        const fdT =
          (gaussExact(m, s, T + h, eps, 0, 20001).rElbo - gaussExact(m, s, T - h, eps, 0, 20001).rElbo) / (2 * h);
        const label = `m ${m} s ${s} T ${T} ε ${eps}`;
        expectAllClose(e.dPhiPath!, e.dPhi!, 1e-9, `path vs score, ${label}`);
        expectAllClose(e.dPhi!, [fdm, fds], 1e-6, `score vs FD, ${label}`);
        expect(Math.abs(e.dT - fdT), `dT ${label}`).toBeLessThan(1e-6);
      }
    }
  });

  it('limits: nonincreasing in T, ELBO ≤ R-ELBO ≤ log p(x), Z_R increasing', () => {
    for (const [m, s] of [
      [0, 1],
      [0.7, 2 / 3],
      [1, 0.5],
      [-1, 2],
    ]) {
      let prev = gaussExact(m, s, -6, 0, 0, 8001);
      for (const T of [-4, -2, -1, 0, 1, 2, 4, 8, Infinity]) {
        const e = gaussExact(m, s, T, 0, 0, 8001);
        expect(e.rElbo).toBeLessThanOrEqual(prev.rElbo + 1e-12);
        expect(e.Z).toBeGreaterThanOrEqual(prev.Z - 1e-12);
        expect(e.rElbo).toBeGreaterThanOrEqual(e.elbo - 1e-12);
        expect(e.rElbo).toBeLessThanOrEqual(e.logEvidence + 1e-9);
        prev = e;
      }
      expect(prev.rElbo).toBeCloseTo(prev.elbo, 12); // T = +∞
    }
  });
});

describe('at the exact posterior q = N(0.5, 0.5)', () => {
  const s = Math.sqrt(GAUSS.postVar);
  it('R-ELBO = log p(x) for every T and Z_R = σ(log p(x) + T) (quadrature)', () => {
    for (const T of [-5, -2, 0, 2, 6, Infinity]) {
      const e = gaussExact(GAUSS.postMean, s, T);
      expect(Math.abs(e.rElbo - GAUSS.logEvidence)).toBeLessThan(1e-7);
      const z = T === Infinity ? 1 : sigmoid64(GAUSS.logEvidence + T);
      expect(Math.abs(e.Z - z)).toBeLessThan(1e-7);
    }
    for (const { T, Z } of GAUSS.posteriorZ)
      expect(Math.abs(gaussExact(GAUSS.postMean, s, T).Z - Z)).toBeLessThanOrEqual(5e-7);
  });

  it('rvrs and vrs values are log p(x) on every draw; RVRS φ-gradient is 0 per draw', () => {
    const B = 200;
    const phi = gaussPhi(GAUSS.postMean, s, B);
    for (const T of [-1, 0, 2]) {
      const out = rvrs(key(3), undefined, phi, undefined, { problem: gaussProblem, samples: 3, threshold: T });
      expectAllClose(out.perDataPoint.dataSync(), new Array(B).fill(GAUSS.logEvidence), 2e-5, `rvrs values, T = ${T}`);
      const outV = vrs(key(3), undefined, phi, undefined, { problem: gaussProblem, samples: 3, threshold: T });
      expectAllClose(outV.perDataPoint.dataSync(), new Array(B).fill(GAUSS.logEvidence), 2e-5, `vrs values, T = ${T}`);
      const g = perReplicate(
        (p) => rvrs(key(3), undefined, p, undefined, { problem: gaussProblem, samples: 3, threshold: T }).loss,
        phi,
      );
      expectAllClose(g.dm, new Array(B).fill(0), 1e-4, 'dm');
      expectAllClose(g.dlogs, new Array(B).fill(0), 1e-4, 'dlog s');
    }
  });
});

describe('rvrs Monte Carlo (B replicates per call)', () => {
  const B = 4000;
  const S = 4;

  for (const [i, row] of GAUSS.gradRows.entries()) {
    it(`ε = 0, q = N(${row.m}, ${row.s}²), T = ${row.T}: mean gradient reproduces the reference within 5 SE`, () => {
      const phi = gaussPhi(row.m, row.s, B);
      const g = perReplicate(
        (p) =>
          rvrs(key(100 + i), undefined, p, undefined, { problem: gaussProblem, samples: S, threshold: row.T }).loss,
        phi,
      );
      const dm = meanSe(g.dm);
      const ds = meanSe(g.dlogs);
      expectWithinSe(dm, row.dm, '∂/∂m');
      expectWithinSe(ds, row.dlogs, '∂/∂log s');
      if (i === 2) {
        // Power check: the estimator without its covariance term (E_r[a² P lw] only) is detectably wrong here.
        const e = gaussExact(row.m, row.s, row.T);
        const noCov = [0, 0];
        for (let j = 0; j < e.grid.length; j++) {
          const z = e.grid[j];
          const a = 1 - e.k[j];
          const plw = -z + (GAUSS.x - z) + (z - row.m) / (row.s * row.s);
          noCov[0] += e.r[j] * a * a * plw;
          noCov[1] += e.r[j] * a * a * plw * (z - row.m);
        }
        expect(Math.abs(noCov[0] - row.dm)).toBeGreaterThan(10 * dm.se);
        expect(Math.abs(noCov[1] - row.dlogs)).toBeGreaterThan(10 * ds.se);
      }
    });
  }

  for (const [i, row] of [GAUSS.gradRows[0], GAUSS.gradRows[2]].entries()) {
    it(
      `ε = 0.1, q = N(${row.m}, ${row.s}²), T = ${row.T}: mean = quadrature-exact gradient; the floor-free ` +
        'reference-code surrogate is biased',
      () => {
        const eps = 0.1;
        const e = gaussExact(row.m, row.s, row.T, eps);
        const phi = gaussPhi(row.m, row.s, B);
        const g = perReplicate(
          (p) =>
            rvrs(key(200 + i), undefined, p, undefined, {
              problem: gaussProblem,
              samples: S,
              threshold: row.T,
              acceptanceFloor: eps,
            }).loss,
          phi,
        );
        const dm = meanSe(g.dm);
        const ds = meanSe(g.dlogs);
        expectWithinSe(dm, e.dPhi![0], '∂/∂m (ε = 0.1)');
        expectWithinSe(ds, e.dPhi![1], '∂/∂log s (ε = 0.1)');
        const ref = perReplicate((p) => referenceCodeRvrsLoss(key(300 + i), p, S, row.T, eps), phi);
        const rm = meanSe(ref.dm);
        const rs = meanSe(ref.dlogs);
        expect(
          Math.max(Math.abs(rm.mean - e.dPhi![0]) / rm.se, Math.abs(rs.mean - e.dPhi![1]) / rs.se),
        ).toBeGreaterThan(10);
      },
    );
  }

  for (const [i, row] of [GAUSS.gradRows[0], GAUSS.gradRows[2]].entries()) {
    it(`RVRS and VRS φ-gradients agree in expectation (q = N(${row.m}, ${row.s}²), T = ${row.T})`, () => {
      const phi = gaussPhi(row.m, row.s, B);
      const a = perReplicate(
        (p) =>
          rvrs(key(400 + i), undefined, p, undefined, { problem: gaussProblem, samples: S, threshold: row.T }).loss,
        phi,
      );
      const b = perReplicate(
        (p) => vrs(key(500 + i), undefined, p, undefined, { problem: gaussProblem, samples: S, threshold: row.T }).loss,
        phi,
      );
      expectAgree(meanSe(a.dm), meanSe(b.dm), '∂/∂m');
      expectAgree(meanSe(a.dlogs), meanSe(b.dlogs), '∂/∂log s');
    });
  }

  it("θ-gradient: 'exact' is unbiased for dR/dθ; 'fast' estimates E_r[∇θ ℓp] (biased)", () => {
    const row = GAUSS.gradRows[2];
    const e = gaussExact(row.m, row.s, row.T);
    let erGrad = 0; // E_r[∂ℓp/∂μ0] at μ0 = 0
    for (let j = 0; j < e.grid.length; j++) erGrad += e.r[j] * e.grid[j];
    const phi = gaussPhi(row.m, row.s, B);
    const theta = Tensor.fromData(new Float32Array(B), [B]); // μ0 per replicate
    const problem: Problem = { logJoint: (th: Tensor, z: Tensor) => gaussLogJoint(th, z), guide: gaussProblem.guide };
    const thetaGrad = (mode: 'exact' | 'fast', k: number): Float64Array => {
      const [, g] = valueAndGrad(
        (th: Tensor) =>
          rvrs(key(k), th, phi, undefined, { problem, samples: S, threshold: row.T, thetaGradient: mode }).loss,
      )(theta);
      return Float64Array.from((g as Tensor).dataSync(), (v) => -v);
    };
    const ex = meanSe(thetaGrad('exact', 600));
    const fast = meanSe(thetaGrad('fast', 601));
    expectWithinSe(ex, e.dTheta![0], "dR/dθ ('exact')");
    expectWithinSe(fast, erGrad, "E_r[∇θ ℓp] ('fast')");
    expect(Math.abs(fast.mean - e.dTheta![0]) / fast.se).toBeGreaterThan(10);
  });
});

describe('rvrs identities', () => {
  it('on fixed accepted noise the gradient equals the per-draw formula in float64 (ε ∈ {0, 0.1, 0.5})', () => {
    // ĝ_φ = (1/S) Σ ρ_s² P lw_s + (1/(S−1)) Σ (A_s − Ā)(k − k² − k')_s P lw_s,
    // ĝ_θ = (1/S) Σ ∂ℓp_s + (1/(S−1)) Σ (A_s − Ā) k_s ∂ℓp_s, with θ = μ0 (prior mean).
    const noise = [-1.3, 0.2, 0.9, 2.1];
    const S = noise.length;
    for (const eps of [0, 0.1, 0.5]) {
      for (const [m, s, T, mu0] of [
        [0.2, 1.5, 0, 0],
        [1, 0.5, -1, 0.3],
        [-0.5, 0.8, 1.2, -0.2],
      ]) {
        const lambda = eps / (1 - eps);
        const z = noise.map((e) => m + s * e);
        const lw = z.map(
          (v) => gaussLogp64(v, mu0) - (-0.5 * Math.log(2 * Math.PI) - Math.log(s) - 0.5 * ((v - m) / s) ** 2),
        );
        const A = lw.map((v) => v - logAcceptance64(v, T, eps));
        const Abar = A.reduce((a, b) => a + b, 0) / S;
        const want = { m: 0, logS: 0, theta: 0 };
        for (let j = 0; j < S; j++) {
          const sg = sigmoid64(lw[j] + T);
          const k = (sg * (1 - sg)) / (lambda + sg);
          const rho = 1 - k;
          const kp = (sg * (1 - sg) * ((1 - 2 * sg) * (lambda + sg) - sg * (1 - sg))) / (lambda + sg) ** 2;
          const dlwdz = -(z[j] - mu0) + (GAUSS.x - z[j]) + (z[j] - m) / (s * s);
          const w = (rho * rho) / S + ((A[j] - Abar) * (k - k * k - kp)) / (S - 1);
          want.m += w * dlwdz;
          want.logS += w * dlwdz * (z[j] - m);
          const dlp = z[j] - mu0;
          want.theta += dlp / S + ((A[j] - Abar) * k * dlp) / (S - 1);
        }
        const problem: Problem = {
          logJoint: (th: Tensor, zz: Tensor) => gaussLogJoint(th, zz),
          guide: gaussProblem.guide,
        };
        const [, g] = valueAndGrad(
          (th: Tensor, p: Phi) =>
            rvrs(key(0), th, p, undefined, {
              problem,
              samples: S,
              threshold: T,
              acceptanceFloor: eps,
              fixedDraws: tensor(noise),
              normalizerSamples: 1,
            }).loss,
          [0, 1],
        )(scalar(mu0), { m: scalar(m), logS: scalar(Math.log(s)) });
        const label = `ε ${eps} m ${m} s ${s} T ${T}`;
        expect(Math.abs(-g[1].m.item() - want.m), `∂/∂m ${label}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(want.m)));
        expect(Math.abs(-g[1].logS.item() - want.logS), `∂/∂log s ${label}`).toBeLessThan(
          2e-5 * Math.max(1, Math.abs(want.logS)),
        );
        expect(Math.abs(-g[0].item() - want.theta), `∂/∂θ ${label}`).toBeLessThan(
          2e-5 * Math.max(1, Math.abs(want.theta)),
        );
      }
    }
  });

  it('T = +∞ is the sticking-the-landing ELBO gradient on the same noise', () => {
    const B = 50;
    const phi = gaussPhi(0.3, 1.2, B);
    const k = key(9);
    const noise = sampleR(k, undefined, phi, undefined, {
      problem: gaussProblem,
      samples: 3,
      threshold: Infinity,
      reparameterized: true,
    }).noise!;
    const a = perReplicate(
      (p) => rvrs(k, undefined, p, undefined, { problem: gaussProblem, samples: 3, threshold: Infinity }).loss,
      phi,
    );
    const stl = perReplicate((p) => {
      const q = gaussProblem.guide(p, undefined);
      const z = q.fromNoise(noise);
      return gaussLogJoint(undefined, z).sub(q.detach().logProb(z)).mean(0).sum().neg();
    }, phi);
    expectAllClose(a.dm, stl.dm, 1e-5, 'dm');
    expectAllClose(a.dlogs, stl.dlogs, 1e-5, 'dlog s');
  });

  it('fixedDraws (accepted noise) reproduces the sampled run', () => {
    const B = 30;
    const phi = gaussPhi(1, 0.5, B);
    const k = key(10);
    const opts = { problem: gaussProblem, samples: 3, threshold: 0, acceptanceFloor: 0.05 };
    const noise = sampleR(k, undefined, phi, undefined, { ...opts, reparameterized: true }).noise!;
    const a = perReplicate((p) => rvrs(k, undefined, p, undefined, opts).loss, phi);
    const b = perReplicate((p) => rvrs(key(77), undefined, p, undefined, { ...opts, fixedDraws: noise }).loss, phi);
    expectAllClose(a.dm, b.dm, 1e-6, 'dm');
    expectAllClose(a.dlogs, b.dlogs, 1e-6, 'dlog s');
    expect(() => rvrs(k, undefined, phi, undefined, { ...opts, fixedDraws: noise.reshape([3 * B]) })).toThrow(
      /fixedDraws/,
    );
  });

  it('refuses a non-reparameterized guide and a bad thetaGradient', () => {
    const problem: Problem = {
      logJoint: (_t: unknown, z: Tensor) => z.mul(0),
      guide: (phi: Tensor) => new Categorical({ logits: phi }),
    };
    expect(() => rvrs(key(0), undefined, tensor([0, 0]), undefined, { problem, samples: 2, threshold: 0 })).toThrow(
      /reparameterized/,
    );
    expect(() =>
      rvrs(key(0), undefined, gaussPhi(0, 1, 1), undefined, {
        problem: gaussProblem,
        samples: 2,
        threshold: 0,
        thetaGradient: 'slow' as 'fast',
      }),
    ).toThrow(/thetaGradient/);
    expect(rvrs.info).toEqual({ name: 'rvrs', drawsFrom: 'r', reparameterized: true, minSamples: 2 });
  });
});

// ---- Semi-RVRS ----------------------------------------------------------------------------

/**
 * β ~ N(0, 1); z_n | β ~ N(β, 1); x_n | z_n ~ N(z_n, 1), N = 3. Guides q(β) = N(mβ, e^{2 lsβ}),
 * q(z_n | β) = N(w β + d_n, e^{2 ls_n}).
 */
const X = [1, -0.5, 2];
const TN = [0, -1, 0.5];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const PHI0 = {
  mB: 0.4,
  lsB: Math.log(0.7),
  w: 0.3,
  d: [0.2, -0.4, 0.9],
  ls: [Math.log(0.9), Math.log(0.6), Math.log(0.8)],
};

type SemiPhi = { mB: Tensor; lsB: Tensor; w: Tensor; d: Tensor; ls: Tensor };

const semiProblem: SemiRvrsProblem<undefined, SemiPhi, Tensor> = {
  logPriorGlobal: (_t, beta) => new Normal(0, 1).logProb(beta),
  logJointLocal: (_t, beta, z, x) => add(new Normal(beta, 1).logProb(z), new Normal(z, 1).logProb(x)),
  globalGuide: (phi) => new Normal(phi.mB, exp(phi.lsB)),
  localGuide: (phi, beta, _x) => new Normal(add(mul(phi.w, beta), phi.d), exp(phi.ls)),
};

/** Exact gradient of E_q(β)[log p(β) − log q(β) + Σ_n R_n(β)] by nested quadrature (float64). */
function semiExactGradient(): { mB: number; lsB: number; w: number; d: number[]; ls: number[]; mBGlobalOnly: number } {
  const { mB, lsB, w, d, ls } = PHI0;
  const sB = Math.exp(lsB);
  const G = 161;
  const lo = mB - 8 * sB;
  const hb = (16 * sB) / (G - 1);
  const out = { mB: 0, lsB: 0, w: 0, d: [0, 0, 0], ls: [0, 0, 0], mBGlobalOnly: 0 };
  for (let g = 0; g < G; g++) {
    const beta = lo + g * hb;
    const wq = (g === 0 || g === G - 1 ? 1 : g % 2 === 1 ? 4 : 2) * (hb / 3);
    const u = (beta - mB) / sB;
    const qb = Math.exp(-HALF_LOG_2PI - lsB - 0.5 * u * u);
    let f = -HALF_LOG_2PI - 0.5 * beta * beta - (-HALF_LOG_2PI - lsB - 0.5 * u * u);
    out.mBGlobalOnly += wq * qb * f * (u / sB); // what β detached from the local terms would give
    for (let n = 0; n < 3; n++) {
      const mu = w * beta + d[n];
      const s = Math.exp(ls[n]);
      const e = exactRElbo1D(
        {
          logp: (z) => -HALF_LOG_2PI - 0.5 * (z - beta) ** 2 - HALF_LOG_2PI - 0.5 * (X[n] - z) ** 2,
          logq: (z) => -HALF_LOG_2PI - ls[n] - 0.5 * ((z - mu) / s) ** 2,
          dlogq: (z) => [((z - mu) / (s * s)) * beta, (z - mu) / (s * s), ((z - mu) / s) ** 2 - 1],
          lower: mu - 12 * s - 4,
          upper: mu + 12 * s + 4,
          points: 2001,
        },
        { threshold: TN[n] },
      );
      f += e.rElbo;
      out.w += wq * qb * e.dPhi![0];
      out.d[n] += wq * qb * e.dPhi![1];
      out.ls[n] += wq * qb * e.dPhi![2];
    }
    out.mB += wq * qb * f * (u / sB); // score of mβ
    out.lsB += wq * qb * f * (u * u - 1); // score of log sβ
  }
  return out;
}

describe('semiRvrs', () => {
  it('MC mean of every gradient matches the nested-quadrature exact gradient of the semi objective (5 SE)', () => {
    const exact = semiExactGradient();
    const R = 960;
    const keys = split(key(4242), R);
    const phi: SemiPhi = {
      mB: scalar(PHI0.mB),
      lsB: scalar(PHI0.lsB),
      w: scalar(PHI0.w),
      d: tensor(PHI0.d),
      ls: tensor(PHI0.ls),
    };
    const x = tensor(X);
    const T = tensor(TN);
    const cols: number[][] = Array.from({ length: 9 }, () => []);
    const f = valueAndGrad(
      (p: SemiPhi, k: ReturnType<typeof key>) =>
        semiRvrs(k, undefined, p, x, { problem: semiProblem, samples: 3, threshold: T }).loss,
    );
    for (let r = 0; r < R; r++) {
      const [, g] = f(phi, keys[r]);
      const flat = [g.mB.item(), g.lsB.item(), g.w.item(), ...g.d.dataSync(), ...g.ls.dataSync()];
      flat.forEach((v, j) => cols[j].push(-v));
    }
    const truth = [exact.mB, exact.lsB, exact.w, ...exact.d, ...exact.ls];
    const names = ['mβ', 'log sβ', 'w', 'd0', 'd1', 'd2', 'ls0', 'ls1', 'ls2'];
    truth.forEach((t, j) => expectWithinSe(meanSe(cols[j]), t, names[j]));
    // Power: the β-path through the local R-ELBOs matters. Without it the mβ-gradient would be
    // E_q[(log p(β) − log q(β)) s(β)] (= −mβ here), which this same 5-SE test rejects.
    const mb = meanSe(cols[0]);
    expect(Math.abs(mb.mean - exact.mBGlobalOnly)).toBeGreaterThan(K_SE * mb.se);
  });

  it('minibatch scaling and per-data-point thresholds: local terms scale by datasetSize / B', () => {
    const phi: SemiPhi = { mB: scalar(0.4), lsB: scalar(-0.3), w: scalar(0.3), d: tensor(PHI0.d), ls: tensor(PHI0.ls) };
    const k = key(5);
    const a = semiRvrs(k, undefined, phi, tensor(X), { problem: semiProblem, samples: 2, threshold: tensor(TN) });
    const b = semiRvrs(k, undefined, phi, tensor(X), {
      problem: { ...semiProblem, datasetSize: 30 },
      samples: 2,
      threshold: tensor(TN),
    });
    const local = a.perDataPoint.dataSync().reduce((s, v) => s + v, 0);
    const global = a.bound - local;
    expect(b.bound).toBeCloseTo(global + 10 * local, 3);
    expect((a.diagnostics.firstLogA as Tensor).shape).toEqual([2, 3]);
    expect((a.diagnostics.threshold as Tensor).dataSync()).toEqual(Float32Array.from(TN));
    const g2 = semiRvrs(k, undefined, phi, tensor(X), {
      problem: semiProblem,
      samples: 2,
      threshold: 0,
      globalSamples: 2,
    });
    expect((g2.diagnostics.firstLogA as Tensor).shape).toEqual([4, 3]);
    expect(stopGradient(g2.loss).size).toBe(1);
  });
});
