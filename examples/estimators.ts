// One call of every estimator. Each returns { loss, bound, perDataPoint, diagnostics }: minimize
// `loss` (its gradient is minus the gradient estimator), `bound` estimates the objective.
import {
  Categorical, Normal, exp, grad, key, random, tensor, valueAndGrad, type Tensor,
  elbo, elboStl, elboScoreFunction, iwae, iwaeDreg, vrIwae, vimco, vimcoStar, vrIwaeScore,
  vrs, rvrs, semiRvrs, quantileThreshold, initialThreshold,
} from '../src/index.js';

// A continuous model: z ~ N(0, 1), x | z ~ N(z, 1), x = 1; q = N(loc, e^logScale). log p(x) = -1.5155.
const gaussian = {
  logJoint: (_theta: unknown, z: Tensor, x: Tensor) => new Normal(0, 1).logProb(z).add(new Normal(z, 1).logProb(x)),
  guide: (phi: { loc: Tensor; logScale: Tensor }) => new Normal(phi.loc, exp(phi.logScale)),
};
const phi = { loc: tensor(0.2), logScale: tensor(0) };
const x = tensor(1);
const k = key(0);

// Pathwise estimators (the guide must have rsample).
const e1 = elbo(k, {}, phi, x, { problem: gaussian, samples: 8 });
const e2 = elboStl(k, {}, phi, x, { problem: gaussian, samples: 8 }); // zero variance at the posterior
const i1 = iwae(k, {}, phi, x, { problem: gaussian, samples: 16 });
const i2 = iwaeDreg(k, {}, phi, x, { problem: gaussian, samples: 16 }); // φ-SNR grows like √N
const v1 = vrIwae(k, {}, phi, x, { problem: gaussian, samples: 16, alpha: 0.5, gradient: 'drep' });
// The gradient has phi's structure: { loc, logScale }.
const gPhi = grad((p: typeof phi) => iwaeDreg(k, {}, p, x, { problem: gaussian, samples: 16 }).loss)(phi);
console.log(e1.bound, e2.bound, i1.bound, i2.bound, v1.bound, gPhi.loc.item());

// A discrete model (docs/estimator-math.md §9.4): z ∈ {0,1,2,3}, log p(x, z) = θ_z, q = Categorical(softmax(φ)).
const categorical = {
  logJoint: (theta: Tensor, z: Tensor) => theta.take(z, 0),
  guide: (logits: Tensor) => new Categorical({ logits }),
};
const theta = tensor([-1, -2, -0.5, -3]);
const logits = tensor([0, 0.5, -0.5, 1]);

// Score-function estimators (only sample and logProb are needed).
const s1 = elboScoreFunction(k, theta, logits, null, { problem: categorical, samples: 4 }); // leave-one-out baseline
const s2 = vimco(k, theta, logits, null, { problem: categorical, samples: 8, variant: 'geometric' });
const s3 = vimcoStar(k, theta, logits, null, { problem: categorical, samples: 8 }); // φ-SNR grows like √N
const s4 = vrIwaeScore(k, theta, logits, null, { problem: categorical, samples: 8, alpha: 0.5 });
console.log(s1.bound, s2.bound, s3.bound, s4.bound);

// VRS: rejection sampling from r ∝ q·σ(lw + T), score-function covariance gradient (any guide).
const T = quantileThreshold(key(1), theta, logits, null, { problem: categorical, gamma: 0.9, samples: 100 });
const r1 = vrs(k, theta, logits, null, { problem: categorical, samples: 5, threshold: T });
console.log(r1.bound, r1.diagnostics.acceptanceRate.item(), r1.diagnostics.proposals);

// RVRS: the reparameterized version, here at T = −ELBO (`train` adapts T toward a target acceptance).
const T2 = initialThreshold(key(2), {}, phi, x, { problem: gaussian, samples: 200 });
const [r2, gRvrs] = valueAndGrad((p: typeof phi) => {
  const out = rvrs(k, {}, p, x, { problem: gaussian, samples: 4, threshold: T2, acceptanceFloor: 1e-4 });
  return [out.loss, out];
}, 0, { hasAux: true })(phi);
console.log(gRvrs.loc.item(), r2[1].diagnostics.acceptanceRate.item(), T2.item());

// Semi-RVRS: a global latent β with an ordinary guide, local latents z_n by RVRS given β.
const xs = tensor([0.5, 1.5, -0.3]);
const semi = {
  logPriorGlobal: (_t: unknown, beta: Tensor) => new Normal(0, 1).logProb(beta),
  logJointLocal: (_t: unknown, beta: Tensor, z: Tensor, xb: Tensor) =>
    new Normal(beta, 1).logProb(z).add(new Normal(z, 1).logProb(xb)),
  globalGuide: (p: { beta: typeof phi }) => new Normal(p.beta.loc, exp(p.beta.logScale)),
  localGuide: (p: { local: typeof phi }) => new Normal(p.local.loc, exp(p.local.logScale)),
};
const semiPhi = { beta: phi, local: { loc: tensor([0, 0, 0]), logScale: tensor([0, 0, 0]) } };
const r3 = semiRvrs(random.foldIn(k, 3), {}, semiPhi, xs, { problem: semi, samples: 2, threshold: 1 });
console.log(r3.bound);
