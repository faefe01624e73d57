/**
 * The exact objectives of the VRS diagnostic against φ (enumeration of z < 400, no sampling): the
 * R-ELBO at T = 50, the plain ELBO and log Σ P over a wide range of φ, and a zoom on φ* where the
 * R-ELBO touches log Σ P (which the wide plot cannot show: its y-range is set by the ELBO).
 */
import { TRUNCATED_POISSON, truncatedPoissonExact } from '../models/truncated-poisson.js';
import type { Plot, Series } from './types.js';

const PHI_STAR = Math.log(TRUNCATED_POISSON.rate);

/** n points evenly spaced from lo to hi. */
function linspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + (i / (n - 1)) * (hi - lo));
}

/** A vertical two-point line at x spanning [lo, hi] (drawn dashed: it marks a value, it is not data). */
function verticalMarker(name: string, x: number, lo: number, hi: number): Series {
  return { name, reference: true, x: [x, x], y: [lo, hi] };
}

/** The wide view (rates 3…30): the R-ELBO, the ELBO and where each peaks. */
export function boundsPlot(): Plot {
  const grid = linspace(Math.log(3), Math.log(30), 121);
  const exact = grid.map((g) => truncatedPoissonExact(Math.exp(g)));
  // The ELBO on a coarser grid, drawn with markers: to the right of φ* the two bounds coincide (q puts
  // almost no mass below 5 there), and the markers keep the ELBO visible under the R-ELBO's line.
  const coarse = linspace(Math.log(3), Math.log(30), 31);
  const elbo = coarse.map((g) => truncatedPoissonExact(Math.exp(g)).elbo);
  const logMass = exact[0].logEvidence;
  const lowest = Math.min(...elbo);
  const elboRate = TRUNCATED_POISSON.elboOptimumRate;
  return {
    id: 'vrs-bounds',
    title: 'Exact R-ELBO (T = 50) and plain ELBO against φ',
    xLabel: 'φ = log rate',
    yLabel: 'bound (nats)',
    series: [
      { name: 'ELBO', x: coarse, y: elbo },
      { name: `R-ELBO (T = ${TRUNCATED_POISSON.threshold})`, x: grid, y: exact.map((e) => e.rElbo) },
      { name: 'log Σ P', reference: true, x: [grid[0], grid[grid.length - 1]], y: [logMass, logMass] },
      verticalMarker(`φ* = log ${TRUNCATED_POISSON.rate}`, PHI_STAR, lowest, logMass),
    ],
    caption:
      `Exact values by enumeration of z < ${TRUNCATED_POISSON.support}. The R-ELBO peaks at φ* = log ` +
      `${TRUNCATED_POISSON.rate} ≈ ${PHI_STAR.toFixed(3)} (dashed vertical line); the ELBO peaks at rate ≈ ` +
      `${elboRate} (φ ≈ ${Math.log(elboRate).toFixed(3)}), which is where the plain score-function ELBO goes. ` +
      `Far right of φ* the two bounds coincide (q puts almost no mass below ${TRUNCATED_POISSON.cut} there; the ` +
      'ELBO has markers). At this scale the R-ELBO and log Σ P cannot be told apart near φ*: the next plot zooms in.',
  };
}

/** The zoom on φ* (rates 8…12.5, symmetric in φ, so that φ* is a grid point): the R-ELBO touches log Σ P there. */
export function boundsZoomPlot(): Plot {
  const halfWidth = Math.log(TRUNCATED_POISSON.rate / 8);
  // 33 points: few enough to draw every one as a marker, odd so that the middle one is φ* itself.
  const grid = linspace(PHI_STAR - halfWidth, PHI_STAR + halfWidth, 33);
  const rElbo = grid.map((g) => truncatedPoissonExact(Math.exp(g)).rElbo);
  const atStar = truncatedPoissonExact(TRUNCATED_POISSON.rate);
  const logMass = atStar.logEvidence;
  const lowest = Math.min(...rElbo);
  const [left, right] = [rElbo[0], rElbo[rElbo.length - 1]];
  const rate = (g: number) => Math.exp(g).toFixed(1);
  return {
    id: 'vrs-bounds-zoom',
    title: 'Zoom on φ*: the exact R-ELBO (T = 50) touches log Σ P',
    xLabel: 'φ = log rate',
    yLabel: 'bound (nats)',
    series: [
      { name: `R-ELBO (T = ${TRUNCATED_POISSON.threshold})`, x: grid, y: rElbo },
      { name: 'log Σ P', reference: true, x: [grid[0], grid[grid.length - 1]], y: [logMass, logMass] },
      verticalMarker(`φ* = log ${TRUNCATED_POISSON.rate}`, PHI_STAR, lowest, logMass),
    ],
    caption:
      `The R-ELBO (markers) on φ ∈ [log ${rate(grid[0])}, log ${rate(grid[grid.length - 1])}]: it equals log Σ P ` +
      `= ${logMass.toFixed(6)} at φ* (R-ELBO ${atStar.rElbo.toFixed(6)}, a gap of ` +
      `${Math.abs(logMass - atStar.rElbo).toExponential(1)}) and falls to ${left.toFixed(4)} and ` +
      `${right.toFixed(4)} at the ends: at φ* the resampled proposal is the target itself. The ELBO (below ` +
      `${Math.max(...grid.map((g) => truncatedPoissonExact(Math.exp(g)).elbo)).toFixed(2)} here) is off this scale.`,
  };
}
