/**
 * Small exact-enumeration test models (docs/estimator-math.md §9.4, §9) as plain `Problem`s, shared by the VI
 * tests. Keep this file stable: other test files import it.
 *
 *  - categorical (docs/estimator-math.md §9.4): K = 4 states, ℓp(z) = θ_z with θ a free tensor [4], q = softmax(φ), φ
 *    [4] (or [B, 4] for a batch of data points: guide batch shape [B]); support [0, 1, 2, 3].
 *  - bernoulli (docs/estimator-math.md §9): z ∈ {0,1}^3, p(z_j) = Bern(π_j), p(x | z) = Π_i Bern(x_i; σ(Wz + c)_i) with
 *    D = 2 observed bits x = [1, 0], θ = { W [2, 3], c [2] } (π fixed), q = Π_j Bern(σ(φ_j)),
 *    φ [3] (or [B, 3]); support: the 8 rows of {0,1}^3.
 *
 * Plus the exact VR-IWAE bound L_N^{(α)} (α = 0: IWAE) by enumeration of all K^N tuples, written
 * with differentiable tensor ops so `grad` gives its exact gradient (float32 arithmetic), and
 * float64 references for the categorical model.
 */
import { Bernoulli, Categorical, tensor, type Tensor } from '../../src/index.js';
import type { Problem } from '../../src/vi/index.js';

// ---- docs/estimator-math.md §9.4 categorical ----------------------------------------------------------------------

export const CATEGORICAL = {
  K: 4,
  theta: [-1.0, -2.0, -0.5, -3.0],
  phi: [0.0, 0.5, -0.5, 1.0],
  q: [0.167405, 0.276004, 0.101536, 0.455054],
  logEvidence: 0.148017,
  posterior: [0.317265, 0.116715, 0.523082, 0.042937],
  elbo: -0.890294,
  /** docs/estimator-math.md §9.4 IWAE table: L_N, ∂L_N/∂φ, ∂L_N/∂θ (gradients of the bound, not of a loss). */
  iwae: [
    {
      N: 1,
      value: -0.890294,
      dPhi: [0.280844, 0.049027, 0.271877, -0.601749],
      dTheta: [0.167405, 0.276004, 0.101536, 0.455054],
    },
    {
      N: 2,
      value: -0.509063,
      dPhi: [0.221041, -0.063695, 0.280448, -0.437793],
      dTheta: [0.25785, 0.302658, 0.177706, 0.261786],
    },
    {
      N: 3,
      value: -0.320211,
      dPhi: [0.163168, -0.094036, 0.261279, -0.330411],
      dTheta: [0.306914, 0.280295, 0.235692, 0.177098],
    },
    {
      N: 4,
      value: -0.209295,
      dPhi: [0.119623, -0.096339, 0.236259, -0.259542],
      dTheta: [0.333312, 0.252554, 0.280467, 0.133667],
    },
  ],
} as const;

/** ℓp(z) = θ_z for z of any shape (values in 0..3); q = softmax(φ), φ of shape [4] or [B, 4]. */
export const categoricalProblem: Problem<Tensor, Tensor, unknown> = {
  logJoint: (theta, z) => theta.take(z, 0),
  guide: (phi) => new Categorical({ logits: phi }),
};

export const categoricalSupport = (): Tensor => tensor([0, 1, 2, 3]);
export const categoricalParams = (): { theta: Tensor; phi: Tensor } => ({
  theta: tensor(CATEGORICAL.theta.slice()),
  phi: tensor(CATEGORICAL.phi.slice()),
});

// ---- docs/estimator-math.md §9.5 Bernoulli-latent (SBN-like) -----------------------------------------------

export const BERNOULLI = {
  prior: [0.3, 0.6, 0.5],
  W: [
    [1.5, -1.0, 0.5],
    [-0.5, 2.0, -1.5],
  ],
  c: [-0.5, 0.3],
  x: [1, 0],
  phi: [0.2, -0.4, 0.7],
} as const;

export interface BernoulliTheta {
  W: Tensor;
  c: Tensor;
}

/**
 * log p(x, z) for z of shape [..., 3] → [...]: Σ_j log Bern(z_j; π_j) + Σ_i log Bern(x_i; σ(Wz + c)_i).
 * x is a tensor [2] (or [B, 2] broadcasting against z's batch axes).
 */
export const bernoulliProblem: Problem<BernoulliTheta, Tensor, Tensor> = {
  logJoint: (theta, z, x) => {
    const prior = new Bernoulli({ probs: tensor(BERNOULLI.prior.slice()) }).logProb(z).sum(-1);
    const logits = z.matmul(theta.W.transpose()).add(theta.c); // [..., 2]
    const lik = new Bernoulli({ logits }).logProb(x).sum(-1);
    return prior.add(lik);
  },
  guide: (phi) => new Bernoulli({ logits: phi }).toEvent(1),
};

/** The 8 points of {0,1}^3, shape [8, 3]. */
export const bernoulliSupport = (): Tensor =>
  tensor([0, 1, 2, 3, 4, 5, 6, 7].map((k) => [(k >> 2) & 1, (k >> 1) & 1, k & 1]));
export const bernoulliParams = (): { theta: BernoulliTheta; phi: Tensor; x: Tensor } => ({
  theta: { W: tensor(BERNOULLI.W.map((r) => r.slice())), c: tensor(BERNOULLI.c.slice()) },
  phi: tensor(BERNOULLI.phi.slice()),
  x: tensor(BERNOULLI.x.slice()),
});

// ---- exact bounds by enumeration -------------------------------------------------------------

/** All N-tuples of {0..K−1}, lexicographic (last index fastest), flattened: [K^N · N]. */
export function tupleIndices(K: number, N: number): number[] {
  const T = K ** N;
  const out = new Array<number>(T * N);
  for (let t = 0; t < T; t++) {
    let r = t;
    for (let i = N - 1; i >= 0; i--) {
      out[t * N + i] = r % K;
      r = Math.floor(r / K);
    }
  }
  return out;
}

/**
 * The exact VR-IWAE bound L_N^{(α)} = Σ_tuples Π_i q(z_i) · (1/(1−α)) LME((1−α) lw(z_1..N)) for a
 * guide of batch shape [] over a finite support [K, ...event], as a differentiable function of
 * (theta, phi) (float32 tensor arithmetic; its `grad` is the exact gradient of the bound).
 */
export function exactVrIwaeBound(
  problem: Problem,
  theta: unknown,
  phi: unknown,
  x: unknown,
  support: Tensor,
  N: number,
  alpha = 0,
): Tensor {
  const q = problem.guide(phi, x);
  if (q.batchShape.length !== 0) throw new Error('exactVrIwaeBound: batch shape [] only');
  const K = support.shape[0];
  const lq = q.logProb(support); // [K]
  const lw = problem.logJoint(theta, support, x).sub(lq); // [K]
  const idx = tupleIndices(K, N);
  const T = K ** N;
  const lwT = lw.take(idx, 0).reshape([T, N]);
  const logProbT = lq.take(idx, 0).reshape([T, N]).sum(1);
  const k = 1 - alpha;
  const lhat = lwT.mul(k).logsumexp(1).sub(Math.log(N)).div(k);
  return logProbT.exp().mul(lhat).sum();
}

// ---- float64 references (categorical) ---------------------------------------------------------

export function logSoftmax64(v: readonly number[]): number[] {
  const m = Math.max(...v);
  const l = m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
  return v.map((x) => x - l);
}

/** (1/(1−α)) LME((1−α) v) in float64. */
export function vrLme64(v: readonly number[], alpha = 0): number {
  const k = 1 - alpha;
  const m = Math.max(...v.map((x) => k * x));
  if (m === -Infinity) return -Infinity;
  const s = v.reduce((acc, x) => acc + Math.exp(k * x - m), 0);
  return (m + Math.log(s / v.length)) / k;
}

/** Exact L_N^{(α)} of the categorical model in float64. */
export function categoricalBound64(theta: readonly number[], phi: readonly number[], N: number, alpha = 0): number {
  const lq = logSoftmax64(phi);
  const idx = tupleIndices(4, N);
  let total = 0;
  for (let t = 0; t < 4 ** N; t++) {
    const lw: number[] = [];
    let lp = 0;
    for (let i = 0; i < N; i++) {
      const z = idx[t * N + i];
      lw.push(theta[z] - lq[z]);
      lp += lq[z];
    }
    total += Math.exp(lp) * vrLme64(lw, alpha);
  }
  return total;
}
