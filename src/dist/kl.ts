/**
 * KL divergence KL(p || q) = E_p[log p(x) - log q(x)] in closed form, from a registry keyed by the
 * pair of classes. `registerKL(P, Q, fn)` adds a pair; `kl(p, q)` finds the most specific
 * registered pair for the classes of p and q (walking up the class hierarchy) and returns a tensor
 * of the broadcast batch shape, differentiable in the parameters of both arguments.
 *
 * Registered here: Normal–Normal, LogNormal–LogNormal, MultivariateNormal–MultivariateNormal,
 * Uniform–Uniform, Exponential–Exponential, Bernoulli–Bernoulli, Categorical–Categorical,
 * OneHotCategorical–OneHotCategorical, Poisson–Poisson, Gamma–Gamma, Beta–Beta,
 * Dirichlet–Dirichlet and Independent–Independent (summing the base KL over the event axes).
 */
import { fail } from '../errors.js';
import {
  add,
  digamma,
  div,
  exp,
  gt,
  le,
  lgamma,
  log,
  mul,
  square,
  sub,
  sum,
  where,
  ge,
  logSigmoid,
} from '../tensor/ops/index.js';
import { broadcastShapes, shapesEqual, shapeToString } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Bernoulli } from './bernoulli.js';
import { Beta, logBeta } from './beta.js';
import { Categorical, OneHotCategorical } from './categorical.js';
import { Dirichlet, logMultivariateBeta } from './dirichlet.js';
import { Distribution, Independent } from './distribution.js';
import { Exponential } from './exponential.js';
import { Gamma } from './gamma.js';
import { LogNormal } from './log-normal.js';
import { MultivariateNormal, klMultivariateNormal } from './multivariate-normal.js';
import { Normal } from './normal.js';
import { Poisson } from './poisson.js';
import { Uniform } from './uniform.js';
import { and, toShape } from './util.js';

// never[] parameters: any class producing a T fits, whatever its constructor takes.
type DistClass<T extends Distribution> = abstract new (...args: never[]) => T;
type KLFn = (p: Distribution, q: Distribution) => Tensor;

const registry = new Map<DistClass<Distribution>, Map<DistClass<Distribution>, KLFn>>();

/** Register the closed form of KL(p || q) for p of class P and q of class Q (replacing any previous one). */
export function registerKL<P extends Distribution, Q extends Distribution>(
  P: DistClass<P>,
  Q: DistClass<Q>,
  fn: (p: P, q: Q) => Tensor,
): void {
  if (typeof P !== 'function' || typeof Q !== 'function') fail('registerKL', 'P and Q must be distribution classes');
  if (typeof fn !== 'function') fail('registerKL', `fn must be a function (p, q) => Tensor, got ${typeof fn}`);
  let inner = registry.get(P);
  if (inner === undefined) registry.set(P, (inner = new Map()));
  inner.set(Q, fn as KLFn);
}

/** The classes of x from its own up to (excluding) Object. */
function classChain(x: object): DistClass<Distribution>[] {
  const out: DistClass<Distribution>[] = [];
  let proto = Object.getPrototypeOf(x);
  while (proto !== null && proto !== Object.prototype) {
    out.push(proto.constructor);
    proto = Object.getPrototypeOf(proto);
  }
  return out;
}

function lookup(p: Distribution, q: Distribution): KLFn | undefined {
  const cp = classChain(p);
  const cq = classChain(q);
  let best: KLFn | undefined;
  let bestRank = Infinity;
  cp.forEach((P, i) => {
    const inner = registry.get(P);
    if (inner === undefined) return;
    cq.forEach((Q, j) => {
      const fn = inner.get(Q);
      if (fn !== undefined && i + j < bestRank) {
        best = fn;
        bestRank = i + j;
      }
    });
  });
  return best;
}

/**
 * KL(p || q) in closed form, shape broadcast(p.batchShape, q.batchShape). Throws for a pair with
 * no registered closed form, or for different event shapes.
 */
export function kl(p: Distribution, q: Distribution): Tensor {
  if (!(p instanceof Distribution) || !(q instanceof Distribution)) {
    fail(
      'kl',
      `both arguments must be distributions, got ${p instanceof Distribution ? p.name : typeof p} and ` +
        `${q instanceof Distribution ? q.name : typeof q}`,
    );
  }
  const fn = lookup(p, q);
  if (fn === undefined) {
    fail(
      'kl',
      `no closed form registered for KL(${p.name} || ${q.name}); register one with registerKL(${p.constructor.name}, ` +
        `${q.constructor.name}, fn) or estimate it by Monte Carlo`,
    );
  }
  if (!shapesEqual(p.eventShape, q.eventShape)) {
    fail(
      'kl',
      `event shapes differ: KL(${p.name} || ${q.name}) with ${shapeToString(p.eventShape)} and ` +
        `${shapeToString(q.eventShape)}`,
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes('kl', p.batchShape, q.batchShape);
  } catch {
    return fail(
      'kl',
      `batch shapes ${shapeToString(p.batchShape)} and ${shapeToString(q.batchShape)} of KL(${p.name} || ${q.name}) ` +
        `cannot be broadcast`,
    );
  }
  return toShape(fn(p, q), batch);
}

/** Σ_i p_i (log p_i - log q_i) over the last axis, with 0 log 0 = 0 (NaN-free gradients). */
function discreteKL(logP: Tensor, logQ: Tensor): Tensor {
  const pr = exp(logP);
  const pos = gt(pr, 0);
  return sum(mul(pr, where(pos, sub(logP, logQ), 0)), -1);
}

// ---- registrations --------------------------------------------------------------------------

const klNormal = (mp: Tensor, sp: Tensor, mq: Tensor, sq: Tensor): Tensor => {
  // log(σq/σp) + (σp² + (μp - μq)²) / (2σq²) - ½
  const ratio = div(sp, sq);
  return sub(add(mul(add(square(ratio), square(div(sub(mp, mq), sq))), 0.5), log(div(sq, sp))), 0.5);
};

registerKL(Normal, Normal, (p, q) => klNormal(p.loc, p.scale, q.loc, q.scale));
registerKL(LogNormal, LogNormal, (p, q) => klNormal(p.loc, p.scale, q.loc, q.scale));
registerKL(MultivariateNormal, MultivariateNormal, klMultivariateNormal);

registerKL(Uniform, Uniform, (p, q) => {
  // log((hq - lq) / (hp - lp)) if [lp, hp] ⊆ [lq, hq], else +Infinity.
  const inside = and(ge(p.low.primal(), q.low.primal()), le(p.high.primal(), q.high.primal()));
  return where(inside, sub(log(sub(q.high, q.low)), log(sub(p.high, p.low))), Infinity);
});

registerKL(Exponential, Exponential, (p, q) => {
  // log(λp/λq) + λq/λp - 1
  return sub(add(log(div(p.rate, q.rate)), div(q.rate, p.rate)), 1);
});

registerKL(Bernoulli, Bernoulli, (p, q) => {
  const stack2 = (d: Bernoulli): [Tensor, Tensor] => {
    const prm = d.params as { logits?: Tensor; probs?: Tensor };
    return prm.logits !== undefined
      ? [logSigmoid(prm.logits), logSigmoid(prm.logits.neg())]
      : [d.logProb(1), d.logProb(0)];
  };
  const [p1, p0] = stack2(p);
  const [q1, q0] = stack2(q);
  const term = (lp: Tensor, lq: Tensor): Tensor => {
    const pr = exp(lp);
    return mul(pr, where(gt(pr, 0), sub(lp, lq), 0));
  };
  return add(term(p1, q1), term(p0, q0));
});

registerKL(Categorical, Categorical, (p, q) => {
  if (p.numCategories !== q.numCategories)
    fail('kl', `Categorical distributions have ${p.numCategories} and ${q.numCategories} categories`);
  return discreteKL(p.logits, q.logits);
});

registerKL(OneHotCategorical, OneHotCategorical, (p, q) => discreteKL(p.logits, q.logits));

registerKL(Poisson, Poisson, (p, q) => {
  // λp log(λp/λq) - λp + λq
  return add(sub(mul(p.rate, log(div(p.rate, q.rate))), p.rate), q.rate);
});

registerKL(Gamma, Gamma, (p, q) => {
  const ap = p.concentration;
  const bp = p.rate;
  const aq = q.concentration;
  const bq = q.rate;
  // (αp - αq) ψ(αp) - log Γ(αp) + log Γ(αq) + αq (log βp - log βq) + αp (βq - βp) / βp
  return add(
    add(sub(mul(sub(ap, aq), digamma(ap)), lgamma(ap)), lgamma(aq)),
    add(mul(aq, sub(log(bp), log(bq))), mul(ap, div(sub(bq, bp), bp))),
  );
});

registerKL(Beta, Beta, (p, q) => {
  const ap = p.concentration1;
  const bp = p.concentration0;
  const aq = q.concentration1;
  const bq = q.concentration0;
  // log B(αq, βq) - log B(αp, βp) + (αp - αq) ψ(αp) + (βp - βq) ψ(βp) + (αq - αp + βq - βp) ψ(αp + βp)
  return add(
    add(sub(logBeta(aq, bq), logBeta(ap, bp)), add(mul(sub(ap, aq), digamma(ap)), mul(sub(bp, bq), digamma(bp)))),
    mul(sub(add(aq, bq), add(ap, bp)), digamma(add(ap, bp))),
  );
});

registerKL(Dirichlet, Dirichlet, (p, q) => {
  const ap = p.concentration;
  const aq = q.concentration;
  const a0 = sum(ap, -1, true);
  // log B(αq) - log B(αp) + Σ (αp - αq)(ψ(αp) - ψ(α0p))
  return add(
    sub(logMultivariateBeta(aq), logMultivariateBeta(ap)),
    sum(mul(sub(ap, aq), sub(digamma(ap), digamma(a0))), -1),
  );
});

registerKL(Independent, Independent, (p, q) => {
  if (p.reinterpretedBatchNdims !== q.reinterpretedBatchNdims) {
    fail(
      'kl',
      `Independent distributions reinterpret ${p.reinterpretedBatchNdims} and ${q.reinterpretedBatchNdims} batch ` +
        `axes; KL needs the same number`,
    );
  }
  const n = p.reinterpretedBatchNdims;
  const base = kl(p.base, q.base);
  return n === 0
    ? base
    : sum(
        base,
        Array.from({ length: n }, (_, i) => -1 - i),
      );
});
