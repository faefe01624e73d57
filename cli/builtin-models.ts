/**
 * Models built into the CLI (what `npm start` used to fit before the experiments existed): a
 * conjugate Normal–Normal model whose posterior and evidence are known exactly, so any estimator's
 * fit can be checked against the truth. Models registered in `models/index.ts` with the same name
 * take precedence.
 *
 *   z ~ N(0, 1),   x_i | z ~ N(z, 1)  for i = 1..n,   q(z) = N(m, s²),  s = exp(logS)
 */
import { MODELS, type FitModel, type ModelOptions, type ModelSpec } from '../models/index.js';
import { Normal } from '../src/dist/index.js';
import { key, random, tensor, type Tensor } from '../src/index.js';

const LOG_2PI = Math.log(2 * Math.PI);

export const normalNormalModel: ModelSpec = {
  name: 'normal-normal',
  description: 'conjugate Gaussian: z ~ N(0,1), 20 points x_i ~ N(z,1); exact posterior and log p(x) known',
  latent: 'continuous',
  async build(options: ModelOptions): Promise<FitModel> {
    const n = 20;
    const [dataKey] = random.split(key(options.seed));
    const x = random.normal(dataKey, [n], 1.3, 1);
    const xs = Array.from(x.dataSync());
    const sumX = xs.reduce((a, b) => a + b, 0);
    const sumSq = xs.reduce((a, b) => a + b * b, 0);
    const postVar = 1 / (1 + n);
    const postMean = postVar * sumX;
    // log p(x) = log N(x; 0, I + 11ᵀ)
    const logEvidence = -0.5 * n * LOG_2PI - 0.5 * Math.log(1 + n) - 0.5 * (sumSq - (sumX * sumX) / (1 + n));
    type Phi = { m: Tensor; logS: Tensor };
    return {
      name: 'normal-normal',
      latent: 'continuous',
      problem: {
        // z: [S] (guide batch [], event []) → [S]
        logJoint: (_theta: unknown, z: Tensor, data: Tensor) =>
          new Normal(0, 1).logProb(z).add(new Normal(z.expandDims(-1), 1).logProb(data).sum(-1)),
        guide: (phi: Phi) => new Normal(phi.m, phi.logS.exp()),
      },
      theta: {},
      phi: { m: tensor(0), logS: tensor(0) },
      batch: () => x,
      evaluate(_theta: unknown, phi: unknown) {
        const p = phi as Phi;
        const m = p.m.item();
        const s = Math.exp(p.logS.item());
        const sd = Math.sqrt(postVar);
        // KL(q || posterior) between two Gaussians: the gap log p(x) − ELBO at the optimum of q.
        const kl = Math.log(sd / s) + (s * s + (m - postMean) ** 2) / (2 * postVar) - 0.5;
        return { logEvidence, posteriorMean: postMean, posteriorSd: sd, fittedMean: m, fittedSd: s, klToPosterior: kl };
      },
    };
  },
};

export const BUILTIN_MODELS: readonly ModelSpec[] = [normalNormalModel];

/** The registered models, then the built-in ones whose names are not taken. */
export function allModels(): ModelSpec[] {
  const names = new Set(MODELS.map((m) => m.name));
  return [...MODELS, ...BUILTIN_MODELS.filter((m) => !names.has(m.name))];
}
