/**
 * The float64 reference of every case, with the bound a float32 computation must stay within
 * (see bounded.ts). The MLP and VAE gradients are written out by hand (reverse mode, layer by
 * layer), so the reference shares no code with any library under test.
 */
import {
  add,
  addRow,
  apply,
  type Bounded,
  capBound,
  concat,
  exact,
  FUNCTIONS,
  matmul,
  mul,
  scale,
  shift,
  sub,
  sumAll,
  sumRows,
  div,
  U,
} from './bounded.js';
import {
  ADAM,
  CHAIN_SCALE,
  CHAIN_SHIFT,
  CHAIN_X0,
  mlpShapes,
  vaeShapes,
  type CaseId,
  type Inputs,
  type Params,
  type Shapes,
} from './cases.js';

function exactParams(params: Params, shapes: Shapes): Record<string, Bounded> {
  return Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, exact(params[k], s)]));
}

/** d tanh / d pre = 1 − h², from the tanh output h (as every library computes it). */
function tanhSlope(h: Bounded): Bounded {
  return shift(scale(mul(h, h), -1), 1);
}

/** x·l − softplus(l): the Bernoulli log-likelihood of binary x under logits l, elementwise. */
function bernoulliTerms(x: Bounded, logits: Bounded): Bounded {
  return sub(mul(x, logits), apply(FUNCTIONS.softplus, logits));
}

/** [loss, dW1, db1, dW2, db2, dW3, db3] of loss = −(1/B)·Σ (x·l − softplus(l)). */
export function mlpReference(inputs: Inputs): Bounded {
  const { batch: B, mlp } = inputs.sizes;
  const p = exactParams(inputs.mlpParams, mlpShapes(inputs.sizes));
  const x = exact(inputs.mlpX, [B, mlp[0]]);
  const h1 = apply(FUNCTIONS.tanh, addRow(matmul(x, p.W1), p.b1));
  const h2 = apply(FUNCTIONS.tanh, addRow(matmul(h1, p.W2), p.b2));
  const logits = addRow(matmul(h2, p.W3), p.b3);
  const loss = scale(sumAll(bernoulliTerms(x, logits)), -1 / B);

  const dLogits = scale(sub(apply(FUNCTIONS.sigmoid, logits), x), 1 / B);
  const dPre2 = mul(matmul(dLogits, p.W3, false, true), tanhSlope(h2));
  const dPre1 = mul(matmul(dPre2, p.W2, false, true), tanhSlope(h1));
  return concat([
    loss,
    matmul(x, dPre1, true),
    sumRows(dPre1),
    matmul(h1, dPre2, true),
    sumRows(dPre2),
    matmul(h2, dLogits, true),
    sumRows(dLogits),
  ]);
}

/**
 * The VAE loss (−ELBO per example, one reparameterized sample z = μ + σ·ε with the given ε) and
 * its gradient. ELBO = Σ(x·l − softplus(l)) − ½Σz² + ½Σε² + Σ log σ: log p(z) − log q(z|x), whose
 * 2π constants cancel and are left out by every library.
 */
function vaeLossAndGrad(inputs: Inputs, p: Record<string, Bounded>): { loss: Bounded; grads: Record<string, Bounded> } {
  const { batch: B, vae } = inputs.sizes;
  const x = exact(inputs.vaeX, [B, vae.pixels]);
  const eps = exact(inputs.vaeNoise, [B, vae.latent]);
  const h = apply(FUNCTIONS.tanh, addRow(matmul(x, p.V1), p.e1));
  const mu = addRow(matmul(h, p.Vmu), p.emu);
  const logSigma = addRow(matmul(h, p.Vsig), p.esig);
  const sigma = apply(FUNCTIONS.exp, logSigma);
  const z = add(mu, mul(sigma, eps));
  const hd = apply(FUNCTIONS.tanh, addRow(matmul(z, p.W1), p.b1));
  const logits = addRow(matmul(hd, p.W2), p.b2);
  // One sum over all the ELBO's terms: its bound holds whatever order a library adds them in.
  const terms = concat([bernoulliTerms(x, logits), scale(mul(z, z), -0.5), scale(mul(eps, eps), 0.5), logSigma]);
  const loss = scale(sumAll(terms), -1 / B);

  const dLogits = scale(sub(apply(FUNCTIONS.sigmoid, logits), x), 1 / B);
  const dPreD = mul(matmul(dLogits, p.W2, false, true), tanhSlope(hd));
  const dz = add(matmul(dPreD, p.W1, false, true), scale(z, 1 / B));
  const dLogSigma = shift(mul(mul(dz, eps), sigma), -1 / B);
  const dh = add(matmul(dz, p.Vmu, false, true), matmul(dLogSigma, p.Vsig, false, true));
  const dPreE = mul(dh, tanhSlope(h));
  const grads = {
    V1: matmul(x, dPreE, true),
    e1: sumRows(dPreE),
    Vmu: matmul(h, dz, true),
    emu: sumRows(dz),
    Vsig: matmul(h, dLogSigma, true),
    esig: sumRows(dLogSigma),
    W1: matmul(z, dPreD, true),
    b1: sumRows(dPreD),
    W2: matmul(hd, dLogits, true),
    b2: sumRows(dLogits),
  };
  return { loss, grads };
}

/**
 * The first Adam step from m = v = 0: θ − s·m / (√v + ε) with m = (1 − b1)·g, v = (1 − b2)·g² and
 * s = lr·√(1 − b2) / (1 − b1) (Kingma & Ba 2015, Algorithm 1, the bias correction folded into s).
 * |m|/√v = (1 − b1)/√(1 − b2), so no step exceeds lr: where the sign of g is within its rounding
 * bound, the two steps can differ by up to 2·lr, and that caps the bound.
 */
function adamFirstStep(theta: Bounded, g: Bounded): Bounded {
  const { lr, b1, b2, eps } = ADAM;
  const m = scale(g, 1 - b1);
  const v = scale(mul(g, g), 1 - b2);
  const stepSize = (lr * Math.sqrt(1 - b2)) / (1 - b1);
  const step = capBound(scale(div(m, shift(apply(FUNCTIONS.sqrt, v), eps)), stepSize), 2 * lr * (1 + 16 * U));
  return sub(theta, step);
}

/** [loss at θ0, θ1 (every parameter after one Adam step, in vaeShapes order)]. */
export function vaeReference(inputs: Inputs): Bounded {
  const shapes = vaeShapes(inputs.sizes);
  const p = exactParams(inputs.vaeParams, shapes);
  const { loss, grads } = vaeLossAndGrad(inputs, p);
  return concat([loss, ...Object.keys(shapes).map((k) => adamFirstStep(p[k], grads[k]))]);
}

/** [y, dy/dx] of the chain y ← c1·y + c2, y ← sin y, alternating, from x = 0.5. */
export function chainReference(ops: number): Bounded {
  let y = exact([CHAIN_X0], [1]);
  const sinInputs: Bounded[] = [];
  for (let i = 0; i < ops; i++) {
    if (i % 2 === 0) {
      y = shift(scale(y, CHAIN_SCALE), CHAIN_SHIFT);
    } else {
      sinInputs.push(y);
      y = apply(FUNCTIONS.sin, y);
    }
  }
  let g = exact([1], [1]);
  for (let i = ops - 1; i >= 0; i--) {
    g = i % 2 === 0 ? scale(g, CHAIN_SCALE) : mul(g, apply(FUNCTIONS.cos, sinInputs[(i - 1) / 2]));
  }
  return concat([y, g]);
}

export function reference(id: CaseId, inputs: Inputs): Bounded {
  const n = inputs.sizes.matmul;
  const a = (): Bounded => exact(inputs.a, [n, n]);
  const b = (): Bounded => exact(inputs.b, [n, n]);
  const len = inputs.sizes.elements;
  switch (id) {
    case 'matmul NN':
      return matmul(a(), b());
    case 'matmul NT':
      return matmul(a(), b(), false, true);
    case 'matmul TN':
      return matmul(a(), b(), true, false);
    case 'mlp':
      return mlpReference(inputs);
    case 'vae':
      return vaeReference(inputs);
    case 'chain':
      return chainReference(inputs.sizes.chainOps);
    case 'fma': {
      const { a: fa, b: fb, c: fc } = inputs.fma;
      return add(mul(exact(fa, [len]), exact(fb, [len])), exact(fc, [len]));
    }
    case 'log':
      return apply(FUNCTIONS.log, exact(inputs.positive, [len]));
    default:
      return apply(FUNCTIONS[id], exact(inputs.x, [len]));
  }
}
