/**
 * A small discrete VAE for the conditional-sampler tests: a categorical latent with 3 states, a
 * Bernoulli decoder over D = 4 binary dimensions (the path the MNIST VAE uses), and a biased
 * categorical encoder. Everything is enumerable, so p(x_m | x_o) is exact:
 *
 *   p(z = c) = π_c,  p(x | z = c) = Π_d Bernoulli(x_d; σ(L_cd)),
 *   q(z | x̃) = softmax(τ · log p(z, x̃) + β)  (τ = 1 and β = 0 would be the exact p(z | x̃)).
 */
import { Bernoulli, Categorical } from '../../src/dist/index.js';
import { tensor } from '../../src/tensor/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { ConditionalVae } from '../../src/conditional/index.js';

export const PRIOR = [0.5, 0.3, 0.2];
export const LOGITS = [
  [2, -1, 1.5, -2],
  [-1.5, 2, -1, 1.5],
  [0.5, 0.5, -2, 2],
];

export interface DiscreteParams {
  logPrior: Tensor;
  /** Decoder logits [C, D]. */
  L: Tensor;
  temperature: number;
  bias: Tensor;
}

export function discreteParams(temperature: number, bias: number[]): DiscreteParams {
  return { logPrior: tensor(PRIOR.map(Math.log)), L: tensor(LOGITS), temperature, bias: tensor(bias) };
}

/** The exact encoder and a biased one (tempered, shifted). */
export const EXACT = discreteParams(1, [0, 0, 0]);
export const BIASED = discreteParams(0.5, [0.6, -0.6, 0]);

export const discreteVae: ConditionalVae<DiscreteParams> = {
  prior: (p) => new Categorical({ logits: p.logPrior }),
  decoder: (p, z) => new Bernoulli({ logits: p.L.take(z, 0) }),
  encoder: (p, x) => {
    // log p(z = c, x) = log π_c + Σ_d [x_d L_cd − softplus(L_cd)], for every c: [..., C].
    const logJoint = x.matmul(p.L.T).sub(p.L.softplus().sum(-1)).add(p.logPrior);
    return new Categorical({ logits: logJoint.mul(p.temperature).add(p.bias) });
  },
};

function sigmoid(u: number): number {
  return 1 / (1 + Math.exp(-u));
}

/**
 * Exact p(x_m | x_o) for x [D] with `observed` flags: probabilities of the 2^|m| binary patterns of
 * the missing dimensions, in the order of `patternIndex`.
 */
export function exactConditional(x: number[], observed: boolean[]): number[] {
  const missing = observed.flatMap((o, d) => (o ? [] : [d]));
  const lik = (c: number, d: number, v: number): number =>
    v === 1 ? sigmoid(LOGITS[c][d]) : 1 - sigmoid(LOGITS[c][d]);
  const post = PRIOR.map((pc, c) => observed.reduce((s, o, d) => (o ? s * lik(c, d, x[d]) : s), pc));
  const total = post.reduce((a, b) => a + b, 0);
  return Array.from({ length: 2 ** missing.length }, (_, pattern) =>
    post.reduce((s, pc, c) => s + (pc / total) * missing.reduce((p, d, i) => p * lik(c, d, (pattern >> i) & 1), 1), 0),
  );
}

/** The pattern index of the missing entries of a complete vector: bit i is missing dimension i. */
export function patternIndex(row: ArrayLike<number>, observed: boolean[]): number {
  const missing = observed.flatMap((o, d) => (o ? [] : [d]));
  return missing.reduce((s, d, i) => s + (row[d] === 1 ? 1 << i : 0), 0);
}
