/**
 * The examples of docs/estimators.md, runnable: the code between the "example start/end"
 * markers is shown verbatim in the document (test/vi-check.test.ts checks that), with imports
 * from 'sieve-vi' instead of the source paths.
 */
import { Categorical, adam, key, stopGradient, tensor, train, type PRNGKey, type Tensor } from '../../src/index.js';
import {
  checkUnbiased,
  exactExpectation,
  iwScoreFunction,
  vimco,
  vimcoStar,
  vrIwaeScore,
  type CheckUnbiasedResult,
} from '../../src/vi/index.js';

export function runReadmeExamples(): {
  vimcoStarBound: number;
  unbiased: CheckUnbiasedResult;
  biased: CheckUnbiasedResult;
  exactMatches: number;
  logs: unknown[][];
} {
  const logs: unknown[][] = [];
  const console = { log: (...a: unknown[]) => logs.push(a) };

  // ---- example start
  // A categorical latent z ∈ {0, 1, 2, 3} with log p(x, z) = θ_z and q(z) = softmax(φ) (docs/estimator-math.md §9.4).
  const problem = {
    logJoint: (theta: Tensor, z: Tensor) => theta.take(z, 0),
    guide: (phi: Tensor) => new Categorical({ logits: phi }),
  };
  const theta = tensor([-1.0, -2.0, -0.5, -3.0]); // log p(x) = 0.148

  // Fit q with VIMCO-★ (IWAE bound, N = 8): only q.sample and q.logProb are needed. The model θ stays
  // fixed: train updates every leaf of params, so θ is left out of them and read by the log joint.
  const fit = train({
    estimator: vimcoStar,
    problem: { ...problem, logJoint: (_fixed: unknown, z: Tensor) => problem.logJoint(theta, z) },
    options: { samples: 8 },
    params: { theta: {}, phi: tensor([0.0, 0.5, -0.5, 1.0]) },
    optimizer: adam({ lr: 0.05 }),
    steps: 300,
    key: key(0),
  });
  const phi = fit.state.params.phi;
  const fitted = vimcoStar(key(1), theta, phi, undefined, { problem, samples: 8 });
  console.log(fitted.bound, fitted.diagnostics.ess!.item()); // ≈ 0.15 (log p(x) = 0.148), ESS ≈ 8
  // ---- example end

  const vimcoStarBound = vimcoStar(key(2), theta, phi, undefined, { problem, samples: 1000 }).bound;

  // ---- example start
  const opts = { problem, samples: 10 };
  vimco(key(2), theta, phi, undefined, { ...opts, variant: 'geometric' }); // VIMCO (or 'arithmetic')
  vimcoStar(key(2), theta, phi, undefined, opts); // VIMCO-★ at α = 0
  vimcoStar(key(2), theta, phi, undefined, { ...opts, alpha: 0.5 }); // VR-IWAE bound, β = α (provisional)
  vimcoStar(key(2), theta, phi, undefined, { ...opts, alpha: 0.5, beta: 0.3 }); // any β ≥ 0 is unbiased
  vrIwaeScore(key(2), theta, phi, undefined, { ...opts, alpha: 0.5 }); // no control variate
  iwScoreFunction(key(2), theta, phi, undefined, {
    ...opts,
    alpha: 0.5,
    controlVariate: { beta: 2, mean: 'geometric' },
  });
  // ---- example end

  // ---- example start
  // Your own estimator: REINFORCE for the IWAE bound with the "baseline" c_i = lw_i. It looks
  // harmless, but c_i depends on z_i, so it is biased. Any function
  // (key, theta, phi, x, options) → { loss, bound, perDataPoint, diagnostics } with an `info`
  // property can be checked; for exactExpectation it must use options.fixedDraws when given.
  const mine = Object.assign(
    (
      k: PRNGKey,
      th: Tensor,
      ph: Tensor,
      _x: unknown,
      o: { problem: typeof problem; samples: number; fixedDraws?: Tensor },
    ) => {
      const q = o.problem.guide(ph);
      const z = o.fixedDraws ?? q.sample(k, [o.samples]);
      const lq = q.logProb(z);
      const lw = o.problem.logJoint(th, z).sub(lq);
      const value = lw.logsumexp(0).sub(Math.log(o.samples)); // L̂ = log-mean-exp of the weights
      const signal = stopGradient(value.sub(lw)); // L̂ − c_i with c_i = lw_i: the bug
      const surrogate = value.add(signal.mul(lq).sum());
      return { loss: surrogate.neg(), bound: value.item(), perDataPoint: value, diagnostics: { samples: o.samples } };
    },
    { info: { name: 'mine', drawsFrom: 'q' as const, reparameterized: false, minSamples: 2 } },
  );

  const args = { theta, phi: tensor([0.0, 0.5, -0.5, 1.0]), x: undefined, options: { problem, samples: 3 } };
  const support = tensor([0, 1, 2, 3]); // every value of z
  // Reference: the exact expected gradient (of the loss) of a trusted estimator, by enumerating all
  // 4³ triples of draws; it equals −∇L_3 exactly.
  const exact = exactExpectation(vimcoStar, { ...args, support });

  // Monte Carlo check: 2000 independent estimates, Bonferroni-corrected z-test at false-alarm rate 1e-3.
  const good = checkUnbiased(vimcoStar, exact.grad, { ...args, draws: 2000, key: key(7) });
  const bad = checkUnbiased(mine, exact.grad, { ...args, draws: 2000, key: key(7) });
  console.log(good.ok, good.maxAbsZ < good.threshold); // true true
  console.log(bad.ok, bad.worst, bad.maxAbsZ > bad.threshold); // false 'phi[…]' true: likely biased

  // Exact check: mine's expected gradient differs from the truth far beyond float32 rounding.
  const mineExact = exactExpectation(mine, { ...args, support });
  console.log(mineExact.grad.phi.sub(exact.grad.phi).abs().max().item()); // ≈ 1.8 ≫ 1e-5
  // ---- example end

  // The trusted reference equals −∇L_3 of the model of docs/estimator-math.md §9.4
  // (∂L_3/∂φ = [0.163168, −0.094036, 0.261279, −0.330411]).
  const table = [0.163168, -0.094036, 0.261279, -0.330411];
  const exactMatches = Math.max(
    ...Array.from((exact.grad.phi as Tensor).dataSync(), (v, j) => Math.abs(-v - table[j])),
  );
  return { vimcoStarBound, unbiased: good, biased: bad, exactMatches, logs };
}
