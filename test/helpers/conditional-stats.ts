/**
 * Monte Carlo checks for the conditional-sampler tests: means with batch-means standard errors,
 * z-scores against exact values, and a χ² goodness-of-fit statistic with its p-value.
 *
 * Batch means: each chain's trajectory (after burn-in) is cut into consecutive batches; if a batch
 * is much longer than the chain's autocorrelation time, the batch means are nearly independent,
 * so their spread gives the standard error of the overall mean. With a few hundred batches the
 * z-score is close to standard normal, and |z| > 5 has probability ≈ 6e-7 for a correct sampler.
 */

export interface Estimate {
  name: string;
  mean: number;
  se: number;
  truth: number;
  z: number;
}

/** Mean and batch-means standard error over chains: trajectories[c][t], each cut into `batches` batches. */
export function batchMeans(trajectories: ArrayLike<number>[], batches: number): { mean: number; se: number } {
  const means: number[] = [];
  for (const traj of trajectories) {
    const len = Math.floor(traj.length / batches);
    for (let i = 0; i < batches; i++) {
      let s = 0;
      for (let t = i * len; t < (i + 1) * len; t++) s += traj[t];
      means.push(s / len);
    }
  }
  return meanAndSe(means);
}

/** Mean and standard error of independent values. */
export function meanAndSe(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (n - 1) / n) };
}

export function estimate(name: string, m: { mean: number; se: number }, truth: number): Estimate {
  return { name, ...m, truth, z: (m.mean - truth) / m.se };
}

export function maxAbsZ(estimates: Estimate[]): number {
  return Math.max(...estimates.map((e) => Math.abs(e.z)));
}

export function report(estimates: Estimate[]): string {
  return estimates
    .map((e) => `${e.name}: ${e.mean.toFixed(4)} vs ${e.truth.toFixed(4)} (se ${e.se.toFixed(4)}, z ${e.z.toFixed(2)})`)
    .join('\n');
}

/** Pearson's χ² of observed counts against expected probabilities (cells with p = 0 must be empty). */
export function chiSquare(counts: number[], probs: number[]): { statistic: number; dof: number } {
  const n = counts.reduce((a, b) => a + b, 0);
  let stat = 0;
  let cells = 0;
  counts.forEach((c, i) => {
    if (probs[i] === 0) {
      if (c > 0) stat = Infinity;
      return;
    }
    cells++;
    stat += (c - n * probs[i]) ** 2 / (n * probs[i]);
  });
  return { statistic: stat, dof: cells - 1 };
}

/**
 * Upper tail P(χ²_k > x) from the closed forms: for even k, e^{-x/2} Σ_{j<k/2} (x/2)^j / j!; for odd k,
 * P(χ²_1 > x) + e^{-x/2} Σ_{j=1}^{(k-1)/2} (x/2)^{j-1/2} / Γ(j + 1/2).
 */
export function chiSquareTail(x: number, k: number): number {
  if (x === Infinity) return 0;
  const h = x / 2;
  if (k % 2 === 0) {
    let term = 1;
    let sum = 1;
    for (let j = 1; j < k / 2; j++) sum += term *= h / j;
    return Math.exp(-h) * sum;
  }
  let term = (Math.sqrt(h) / Math.sqrt(Math.PI)) * 2; // h^{1/2} / Γ(3/2)
  let sum = 0;
  for (let j = 1; j <= (k - 1) / 2; j++) {
    sum += term;
    term *= h / (j + 0.5);
  }
  return 2 * normalUpperTail(Math.sqrt(x)) + Math.exp(-h) * sum;
}

/** P(N(0,1) > a) for a ≥ 0: 1/2 minus the integral of the density over [0, a] by Simpson's rule (error < 1e-12). */
export function normalUpperTail(a: number): number {
  const n = 2000;
  const step = a / n;
  const f = (t: number): number => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  let s = f(0) + f(a);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(i * step);
  return 0.5 - (s * step) / 3;
}
