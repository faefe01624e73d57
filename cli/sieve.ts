#!/usr/bin/env node
/**
 * The main job (placeholder until the experiments CLI lands): fit the posterior of a conjugate
 * Normal–Normal model with the reparameterized ELBO, written directly with `valueAndGrad`, and
 * compare the result with the exact posterior.
 *
 *   z ~ N(0, 1),   x_i | z ~ N(z, 1)  for i = 1..n,   q(z) = N(m, s²),  s = exp(logS)
 */
import { adam, key, random, stepDecay, tensor, valueAndGrad, type Tensor } from '../src/index.js';

const { normal, split } = random;

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(x; loc, scale) elementwise. */
function normalLogPdf(x: Tensor, loc: Tensor | number, scale: Tensor | number): Tensor {
  const z = x.sub(loc).div(scale);
  const logScale = typeof scale === 'number' ? Math.log(scale) : scale.log();
  return z.square().mul(-0.5).sub(logScale).sub(0.5 * LOG_2PI);
}

function main(): void {
  const n = 20;
  const samples = 8;
  const steps = 1500;
  let k = key(2024);
  const [dataKey, trainKey] = split(k);
  k = trainKey;

  // Synthetic data from a "true" z = 1.3.
  const x = normal(dataKey, [1, n], 1.3, 1); // shape [1, n] so it broadcasts against [S, 1] samples
  const xs = Array.from(x.dataSync());
  const sumX = xs.reduce((a, b) => a + b, 0);

  // Exact posterior and evidence (conjugate Gaussian).
  const postVar = 1 / (1 + n);
  const postMean = postVar * sumX;
  const sumSq = xs.reduce((a, b) => a + b * b, 0);
  // log p(x) = log N(x; 0, I + 11ᵀ) = -n/2 log 2π - 1/2 log(1+n) - 1/2 (Σx² - (Σx)²/(1+n))
  const logEvidence = -0.5 * n * LOG_2PI - 0.5 * Math.log(1 + n) - 0.5 * (sumSq - (sumX * sumX) / (1 + n));

  type Params = { m: Tensor; logS: Tensor };
  const logJoint = (z: Tensor): Tensor => normalLogPdf(z, 0, 1).squeeze(-1).add(normalLogPdf(x, z, 1).sum(-1));

  const negElbo = (params: Params, eps: Tensor): Tensor => {
    const s = params.logS.exp();
    const z = params.m.add(s.mul(eps)); // reparameterized sample, shape [S, 1]
    const logQ = normalLogPdf(z, params.m, s).squeeze(-1);
    return logJoint(z).sub(logQ).mean().neg();
  };
  const lossAndGrad = valueAndGrad(negElbo);

  const opt = adam({ lr: stepDecay(0.05, [700, 1100], 0.1) });
  let params: Params = { m: tensor(0), logS: tensor(0) };
  let state = opt.init(params);
  console.log('Sieve main job: reparameterized-ELBO fit of a conjugate Normal-Normal posterior');
  console.log(`  data: n = ${n} points, prior N(0, 1), likelihood N(z, 1); ${samples} samples per step, Adam lr 0.05 dropped x0.1 at steps 700 and 1100\n`);
  console.log('  step    ELBO (est.)        m         s');
  for (let t = 0; t <= steps; t++) {
    const [stepKey, nextKey] = split(k);
    k = nextKey;
    const eps = normal(stepKey, [samples, 1]);
    const [loss, grads] = lossAndGrad(params, eps);
    if (t % 150 === 0) {
      console.log(`  ${String(t).padStart(4)}  ${(-loss.item()).toFixed(4).padStart(12)}  ${params.m.item().toFixed(4).padStart(8)}  ${params.logS.exp().item().toFixed(4).padStart(8)}`);
    }
    if (t < steps) [params, state] = opt.step(params, grads, state);
  }
  const m = params.m.item();
  const s = Math.exp(params.logS.item());
  console.log('\n                 fitted q      exact posterior');
  console.log(`  mean          ${m.toFixed(4).padStart(9)}      ${postMean.toFixed(4).padStart(9)}`);
  console.log(`  std. dev.     ${s.toFixed(4).padStart(9)}      ${Math.sqrt(postVar).toFixed(4).padStart(9)}`);
  console.log(`\n  log p(x) exact: ${logEvidence.toFixed(4)}  (the ELBO approaches it as q approaches the posterior)`);
}

main();
