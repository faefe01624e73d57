// Training with the driver: the conjugate Gaussian z ~ N(0, 1), x | z ~ N(z, 1), x = 1, whose posterior
// is N(0.5, 0.5) and log p(x) = -1.5155. First the ELBO, then RVRS with T adapted toward 33% acceptance.
import { Normal, adam, exp, key, rvrs, elbo, tensor, train, type Tensor } from '../src/index.js';

const problem = {
  logJoint: (_theta: unknown, z: Tensor, x: Tensor) => new Normal(0, 1).logProb(z).add(new Normal(z, 1).logProb(x)),
  guide: (phi: { loc: Tensor; logScale: Tensor }) => new Normal(phi.loc, exp(phi.logScale)),
};
const x = tensor(1);
const params = { theta: {}, phi: { loc: tensor(0), logScale: tensor(0) } };

const fit = train({
  estimator: elbo,
  problem,
  options: { samples: 8 },
  params,
  data: x,
  optimizer: adam({ lr: 0.05 }),
  steps: 300,
  key: key(0),
});
const { loc, logScale } = fit.state.params.phi;
console.log('q = N(%s, %s²)', loc.item().toFixed(2), Math.exp(logScale.item()).toFixed(2)); // posterior N(0.50, 0.71²)

const fitR = train({
  estimator: rvrs,
  problem,
  options: { samples: 4 },
  params: fit.state.params,
  data: x,
  optimizer: adam({ lr: 0.01 }),
  steps: 200,
  key: key(1),
  threshold: { kind: 'adaptive', target: 0.33, samples: 100 }, // T_0 = −ELBO, then toward Z_R = 0.33
  onStep: (_record, state) => {
    if (state.step % 100 === 0) console.log('step %d: T = %s', state.step, String(state.threshold.threshold));
  },
});
const last = fitR.records.slice(-50);
const bound = last.reduce((s, r) => s + r.bound, 0) / last.length;
const acceptance = last.reduce((s, r) => s + r.diagnostics.acceptanceRate.item(), 0) / last.length;
console.log('R-ELBO %s, acceptance %s', bound.toFixed(3), acceptance.toFixed(2));
