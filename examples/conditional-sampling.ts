// Conditional sampling of a trained VAE: draw the missing entries of partly observed data from
// p(x_m | x_o), with diagnostics; then save the parameters and load them back.
import {
  MultivariateNormal, Normal, conditionalSample, key, loadParams, ones, saveParams, tensor, zeros,
  type ConditionalVae, type Tensor,
} from '../src/index.js';

// A VAE is a prior p(z), a decoder factorized over the D dimensions (batch [..., D], event []) and an
// encoder q(z | x̃, mask) on complete vectors. Here a small linear-Gaussian one (probabilistic PCA);
// models/vae.ts has the MNIST VAE in the same form (mnistConditionalVae).
type Params = { W: Tensor; b: Tensor; A: Tensor; L: Tensor };
const vae: ConditionalVae<Params> = {
  prior: () => new Normal(zeros([2]), ones([2])).toEvent(1),
  decoder: (p, z) => new Normal(z.matmul(p.W.T).add(p.b), 0.3),
  encoder: (p, x) => new MultivariateNormal(x.matmul(p.A), p.L),
};
const params: Params = {
  W: tensor([[1, 0.5], [-0.6, 1.2], [0.8, -0.4], [1.5, 0.3], [-0.7, 1.1]]),
  b: tensor([0.2, -0.1, 0.3, 0, 0.5]),
  A: tensor([[0.3, 0.1], [-0.1, 0.3], [0.2, -0.1], [0.3, 0.1], [-0.1, 0.2]]),
  L: tensor([[0.3, 0], [0, 0.3]]),
};

// Two data points; mask 1 = observed, 0 = missing (the values at missing entries are ignored).
const x = tensor([[1.2, -0.4, 0.9, 0, 0], [-0.8, 1.5, 0.2, 0, 0]]);
const mask = tensor([[1, 1, 1, 0, 0], [1, 1, 1, 0, 0]]);

for (const method of ['mwg', 'ac-mwg', 'lair'] as const) {
  const r = conditionalSample(key(0), vae, params, x, mask, { method, iterations: 150 });
  // r.imputations: [iterations, B, K, D] complete vectors; LAIR's final resampling is in r.final.
  const samples = method === 'lair' ? r.final!.imputations : r.imputations.slice([50]); // drop a burn-in
  const meanMissing = samples.mean(samples.ndim === 4 ? [0, 2] : 1).slice([0, 3]); // [B, 2]
  const d = r.diagnostics;
  const quality = d.acceptanceRate ? `acceptance ${d.acceptanceRate.mean().item().toFixed(2)}`
    : `ESS ${d.ess!.mean().item().toFixed(1)} of 5 proposals`; // K = 4 particles + R = 1 prior draw
  const means = (meanMissing.toArray() as number[][]).map((row) => row.map((v) => v.toFixed(2)).join(' '));
  console.log(method, 'E[x_m | x_o] ≈', means.join(' | '), quality, `${d.decoderEvaluations} decoder evaluations`);
}

// Parameters (and optimizer states) round-trip bit for bit through a versioned binary format.
// In Node, saveParamsFile(path, tree) / loadParamsFile(path) write and read files atomically.
const bytes = saveParams(params, { metadata: { model: 'ppca' } });
const loaded = loadParams<Params>(bytes, { like: params });
console.log(bytes.length, 'bytes', loaded.W.shape);
