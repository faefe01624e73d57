/**
 * Exact R-ELBO, acceptance rate Z_R and per-component φ-gradients for the setting of the RVRS SNR sweep
 * (experiments/rvrs-snr.ts): the D-dimensional version of the 1-D conjugate Gaussian of
 * docs/estimator-math.md §9.1,
 *
 *   z ~ N(0, I_D),   x | z ~ N(z, I_D),   x = (1, …, 1),   posterior N(½·1, ½ I),   log p(x) = D (−½ log 4π − ¼),
 *
 * with the mean-field guide q = N(m·1, s² I) (every coordinate alike: m = 0.7, s = 2/3 in the sweep).
 *
 * Why a D-dimensional integral reduces to two dimensions. Writing z = m + s ε with ε ~ N(0, I), each
 * coordinate's log weight is c0 + c1 ε_d + c2 ε_d² with
 *   c0 = −½ log 2π + log s − ¼ − (m − ½)²,   c1 = −2 (m − ½) s,   c2 = ½ − s².
 * So lw depends on ε only through u = Σ ε_d / √D ~ N(0, 1) and c = |ε − u·1/√D| (the chi distribution with
 * D − 1 degrees of freedom, independent of u): lw = D c0 + c1 √D u + c2 (u² + c²). The acceptance
 * a = σ(lw + T) and A = lw − log a are functions of lw, so Z_R and the R-ELBO are 2-D integrals over (u, c).
 * The gradient comes from the score form dR/dφ = Cov_r(A, ρ ∂ℓq/∂φ) (docs/estimator-math.md §5.3, ρ = a), with
 * the scores for a shift of every mean coordinate, Σ_d (z_d − m)/s² = √D u / s, and of every log scale,
 * Σ_d ((z_d − m)²/s² − 1) = u² + c² − D. By symmetry every coordinate's gradient is 1/D of these.
 * The library's exactRElboFromLogDensities does the tilting arithmetic on the (u, c) grid (Simpson weights
 * times the densities of u and c as the measure).
 */
import { fail } from '../src/errors.js';
import { sigmoid64 } from '../src/vi/rejection-sampler.js';
import { exactRElboFromLogDensities } from '../src/vi/r-elbo-exact.js';

/** The guide of the sweep: every coordinate N(m, s²). */
export interface IsotropicGuide {
  dim: number;
  m: number;
  s: number;
}

export interface ExactSweepPoint {
  /** Acceptance rate Z_R = E_q[σ(lw + T)] (1 for T = +∞). */
  Z: number;
  rElbo: number;
  /** ELBO = E_q[lw] (= the R-ELBO at T = +∞). */
  elbo: number;
  /** log p(x) = D (−½ log 4π − ¼). */
  logEvidence: number;
  /** ∂R-ELBO/∂m_d and ∂R-ELBO/∂log s_d for one coordinate d (all coordinates are alike). */
  gradM: number;
  gradLogS: number;
}

/** Per-coordinate log weight coefficients: lw_d = c0 + c1 ε_d + c2 ε_d² (see the file comment). */
export function logWeightCoefficients(m: number, s: number): { c0: number; c1: number; c2: number } {
  return {
    c0: -0.5 * Math.log(2 * Math.PI) + Math.log(s) - 0.25 - (m - 0.5) ** 2,
    c1: -2 * (m - 0.5) * s,
    c2: 0.5 - s * s,
  };
}

/** Simpson weights on n (odd) equally spaced points with spacing h. */
function simpson(n: number, h: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => ((i === 0 || i === n - 1 ? 1 : i % 2 === 1 ? 4 : 2) * h) / 3);
}

/** The (u, c) grid: lw at every point and the log of its q-mass (density × Simpson weight, unnormalized). */
interface Grid {
  lw: Float64Array;
  logMass: Float64Array;
  /** Scores of the common mean shift and the common log-scale shift at every point. */
  scoreM: Float64Array;
  scoreLogS: Float64Array;
}

const U_HALF_RANGE = 9; // N(0, 1) mass beyond ±9 is ~2e-19
const U_POINTS = 241;
const C_POINTS = 121;

function makeGrid(g: IsotropicGuide): Grid {
  const { dim: D, m, s } = g;
  if (!Number.isInteger(D) || D < 1) fail('rvrsSnrExact', `dim must be an integer >= 1, got ${D}`);
  if (!(s > 0)) fail('rvrsSnrExact', `s must be > 0, got ${s}`);
  const { c0, c1, c2 } = logWeightCoefficients(m, s);
  const hu = (2 * U_HALF_RANGE) / (U_POINTS - 1);
  const wu = simpson(U_POINTS, hu);
  // c ~ chi with k = D − 1 degrees of freedom (absent for D = 1): density ∝ c^{k−1} e^{−c²/2}, mass within √k ± 9.
  const k = D - 1;
  const cLo = k === 0 ? 0 : Math.max(0, Math.sqrt(k) - 9);
  const cHi = k === 0 ? 0 : Math.sqrt(k) + 9;
  // Even k: the integrand c^{k−1} H(c²) is odd, and Simpson's endpoint error at c = 0 is O(h^{k}) (h⁴ for k = 2, 4),
  // so those get a 4× finer grid (error ÷ 256); odd k gives an even integrand and no endpoint error.
  const nc = k === 0 ? 1 : k % 2 === 0 && k < 8 ? 4 * C_POINTS - 3 : C_POINTS;
  const hc = k === 0 ? 0 : (cHi - cLo) / (nc - 1);
  const wc = k === 0 ? Float64Array.of(1) : simpson(nc, hc);
  const n = U_POINTS * nc;
  const out: Grid = {
    lw: new Float64Array(n),
    logMass: new Float64Array(n),
    scoreM: new Float64Array(n),
    scoreLogS: new Float64Array(n),
  };
  for (let i = 0; i < U_POINTS; i++) {
    const u = -U_HALF_RANGE + i * hu;
    const logU = Math.log(wu[i]) - 0.5 * u * u;
    for (let j = 0; j < nc; j++) {
      const c = cLo + j * hc;
      const c2sq = c * c;
      // c^{k−1} with k = 1 is 1 (not 0 · log 0); at c = 0 with k > 1 the log mass is −∞ (zero mass).
      const logPower = k === 1 ? 0 : (k - 1) * Math.log(c);
      const logC = k === 0 ? 0 : Math.log(wc[j]) + logPower - 0.5 * c2sq;
      const p = i * nc + j;
      out.lw[p] = D * c0 + c1 * Math.sqrt(D) * u + c2 * (u * u + c2sq);
      out.logMass[p] = logU + logC;
      out.scoreM[p] = (Math.sqrt(D) * u) / s;
      out.scoreLogS[p] = u * u + c2sq - D;
    }
  }
  return out;
}

/** Exact quantities at threshold T (a number or +Infinity) for the isotropic guide, by 2-D Simpson quadrature. */
export function exactSweepPoint(g: IsotropicGuide, threshold: number): ExactSweepPoint {
  const grid = makeGrid(g);
  // logp − logq must be lw; logq = 0 leaves the q-mass entirely to logMeasure.
  const res = exactRElboFromLogDensities(grid.lw, new Float64Array(grid.lw.length), {
    threshold,
    logMeasure: grid.logMass,
  });
  let dM = 0;
  let dLogS = 0;
  for (let p = 0; p < grid.lw.length; p++) {
    if (res.phiCoef[p] === 0) continue;
    dM += res.phiCoef[p] * grid.scoreM[p];
    dLogS += res.phiCoef[p] * grid.scoreLogS[p];
  }
  const D = g.dim;
  return {
    Z: res.Z,
    rElbo: res.rElbo,
    elbo: res.elbo,
    logEvidence: D * (-0.5 * Math.log(4 * Math.PI) - 0.25),
    gradM: dM / D,
    gradLogS: dLogS / D,
  };
}

/**
 * The threshold T at which the exact acceptance rate Z_R(T) equals `target` ∈ (0, 1), by bisection
 * (Z_R increases with T, docs/estimator-math.md §5.2).
 */
export function thresholdForAcceptance(g: IsotropicGuide, target: number): number {
  if (!(target > 0 && target < 1)) fail('thresholdForAcceptance', `target must be in (0, 1), got ${target}`);
  const grid = makeGrid(g);
  let top = -Infinity;
  for (const v of grid.logMass) top = Math.max(top, v);
  const mass = Float64Array.from(grid.logMass, (v) => Math.exp(v - top));
  const total = mass.reduce((a, b) => a + b, 0);
  const Z = (T: number): number => {
    let acc = 0;
    for (let p = 0; p < mass.length; p++) if (mass[p] > 0) acc += mass[p] * sigmoid64(grid.lw[p] + T);
    return acc / total;
  };
  // Bracket: σ(lw + T) ∈ [σ(min lw + T), σ(max lw + T)] over the grid's support.
  let lo = Infinity;
  let hi = -Infinity;
  for (let p = 0; p < mass.length; p++) {
    if (mass[p] === 0) continue;
    lo = Math.min(lo, grid.lw[p]);
    hi = Math.max(hi, grid.lw[p]);
  }
  const logit = Math.log(target / (1 - target));
  let a = logit - hi - 1;
  let b = logit - lo + 1;
  for (let it = 0; it < 60; it++) {
    const mid = 0.5 * (a + b);
    if (Z(mid) < target) a = mid;
    else b = mid;
  }
  return 0.5 * (a + b);
}
