/**
 * Bernoulli: 1 with probability p, 0 with probability 1 - p. Parameterized by `logits`
 * (p = sigmoid(logits)) or by `probs`; gradients flow to whichever was given. Not reparameterized.
 */
import { fail } from '../errors.js';
import type { PyTree } from '../autodiff/tree.js';
import { add, bernoulliLogLik, eq, logSigmoid, mul, neg, reshape, sigmoid, sub, where } from '../tensor/ops/index.js';
import { tensor } from '../tensor/creation.js';
import type { Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { bernoulli } from '../random/discrete.js';
import type { PRNGKey } from '../random/key.js';
import { boolean, checkValues, req, type Constraint } from './constraints.js';
import { Distribution, param, type DistributionOptions } from './distribution.js';
import { plogp, safeLog, safeLog1m } from './util.js';

/** Exactly one of `logits` and `probs`. */
export type LogitsOrProbs = { logits: TensorLike; probs?: undefined } | { probs: TensorLike; logits?: undefined };

/** Read a `{ logits } | { probs }` argument, checking that exactly one is given. */
export function readLogitsOrProbs(dist: string, p: unknown): { kind: 'logits' | 'probs'; value: Tensor } {
  const o = p as { logits?: unknown; probs?: unknown } | null;
  if (o === null || typeof o !== 'object') fail(dist, 'expected { logits } or { probs }');
  const hasL = o.logits !== undefined;
  const hasP = o.probs !== undefined;
  if (hasL === hasP) fail(dist, `pass exactly one of logits and probs, got ${hasL ? 'both' : 'neither'}`);
  return hasL
    ? { kind: 'logits', value: param(dist, 'logits', o.logits) }
    : { kind: 'probs', value: param(dist, 'probs', o.probs) };
}

export class Bernoulli extends Distribution {
  private readonly kind: 'logits' | 'probs';
  private readonly value: Tensor;

  constructor(p: LogitsOrProbs, options: DistributionOptions = {}) {
    const { kind, value } = readLogitsOrProbs('Bernoulli', p);
    super('Bernoulli', value.shape, [], options);
    this.kind = kind;
    this.value = value;
    if (this.validate) checkValues('Bernoulli', kind, value, kind === 'probs' ? req.probability : req.realLogit);
  }

  /** log(p / (1 - p)) (computed from probs if those were given). */
  get logits(): Tensor {
    return this.kind === 'logits' ? this.value : sub(safeLog(this.value), safeLog1m(this.value));
  }

  /** The probability of 1. */
  get probs(): Tensor {
    return this.kind === 'probs' ? this.value : sigmoid(this.value);
  }

  /** log P(1) and log P(0), accurate and NaN-free for either parameterization. */
  private logProbs(): [Tensor, Tensor] {
    if (this.kind === 'logits') return [logSigmoid(this.value), logSigmoid(neg(this.value))];
    return [safeLog(this.value), safeLog1m(this.value)];
  }

  get support(): Constraint {
    return boolean;
  }

  get params(): { logits: Tensor } | { probs: Tensor } {
    return this.kind === 'logits' ? { logits: this.value } : { probs: this.value };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): Bernoulli {
    return new Bernoulli((this.kind === 'logits' ? { logits: p.logits } : { probs: p.probs }) as LogitsOrProbs, {
      validate,
    });
  }

  protected override _sample(key: PRNGKey, shape: Shape): Tensor {
    return bernoulli(key, this.probs.primal(), shape);
  }

  protected _logProb(x: Tensor): Tensor {
    const xv = x.primal();
    const valid = boolean.check(xv);
    if (this.kind === 'logits') {
      // x·l − softplus(l) in one fused op; values outside {0, 1} (NaN too) are read as 0, then masked.
      return where(valid, bernoulliLogLik(where(valid, xv, 0), this.value), -Infinity);
    }
    const [l1, l0] = this.logProbs();
    return where(valid, where(eq(xv, 1), l1, l0), -Infinity);
  }

  /** The support {0, 1} as a tensor of shape [2, 1, ..., 1] (one 1 per batch axis). */
  enumerateSupport(): Tensor {
    return reshape(tensor([0, 1]), [2, ...this.batchShape.map(() => 1)]);
  }

  protected override _entropy(): Tensor {
    const [l1, l0] = this.logProbs();
    const p = this.probs;
    return neg(add(plogp(p, l1), plogp(sub(1, p), l0)));
  }

  protected override _mean(): Tensor {
    return this.probs;
  }

  protected override _variance(): Tensor {
    const p = this.probs;
    return mul(p, sub(1, p));
  }
}
