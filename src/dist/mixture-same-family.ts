/**
 * MixtureSameFamily(mixing, components): a finite mixture whose K components are one batched
 * distribution. `components` has batch shape [...B, K] (the last batch axis indexes the
 * components) and `mixing` is a Categorical over K categories whose batch shape broadcasts to B.
 *
 *   p(x) = Σ_k w_k p_k(x),  log p(x) = logsumexp_k(log w_k + log p_k(x)).
 *
 * Batch shape B, event shape = the components' event shape. Sampling picks a component index per
 * draw, then the draw of that component. There is no reparameterized sampler (the component
 * choice is discrete). Mean and variance are closed forms (law of total variance):
 * E[x] = Σ w_k μ_k, Var[x] = Σ w_k (σ_k² + μ_k²) - E[x]². The entropy has no closed form.
 */
import { fail } from '../errors.js';
import type { PyTree } from '../autodiff/tree.js';
import { add, expandDims, logsumexp, mul, oneHot, reshape, square, sub, sum, where } from '../tensor/ops/index.js';
import { broadcastShapes, shapeToString, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { split, type PRNGKey } from '../random/key.js';
import type { Constraint } from './constraints.js';
import { Categorical } from './categorical.js';
import { Distribution, type DistributionOptions } from './distribution.js';

const NAME = 'MixtureSameFamily';

/** Check the mixing and component distributions; return the mixture's batch shape. */
function mixtureBatchShape(mixing: unknown, components: unknown): number[] {
  if (!(mixing instanceof Categorical))
    fail(
      NAME,
      `mixing must be a Categorical, got ` +
        `${mixing instanceof Distribution ? mixing.name : mixing === null ? 'null' : typeof mixing}`,
    );
  if (!(components instanceof Distribution))
    fail(NAME, `components must be a Distribution, got ${components === null ? 'null' : typeof components}`);
  const cb = components.batchShape;
  if (cb.length < 1)
    fail(NAME, `components must have at least one batch axis (the components), got batch shape ${shapeToString(cb)}`);
  const k = cb[cb.length - 1];
  if (mixing.numCategories !== k) {
    fail(
      NAME,
      `mixing has ${mixing.numCategories} categories but components has ${k} (last axis of its batch shape ` +
        `${shapeToString(cb)})`,
    );
  }
  try {
    return broadcastShapes(NAME, mixing.batchShape, cb.slice(0, -1));
  } catch {
    return fail(
      NAME,
      `mixing batch shape ${shapeToString(mixing.batchShape)} does not broadcast with the components' batch shape ` +
        `${shapeToString(cb.slice(0, -1))} (without the component axis)`,
    );
  }
}

export class MixtureSameFamily extends Distribution {
  readonly mixing: Categorical;
  readonly components: Distribution;

  constructor(mixing: Categorical, components: Distribution, options: DistributionOptions = {}) {
    super(NAME, mixtureBatchShape(mixing, components), components.eventShape, {
      validate: options.validate ?? (mixing.validate && components.validate),
    });
    this.mixing = mixing;
    this.components = components;
  }

  /** Number of components K. */
  get numComponents(): number {
    return this.mixing.numCategories;
  }

  get support(): Constraint {
    return this.components.support;
  }

  protected override get rsampleHint(): string {
    return (
      'MixtureSameFamily has no reparameterized sampler (the component choice is discrete); draw with sample() ' +
      'and use a score-function estimator instead (ELBO-SF / REINFORCE with a baseline, VIMCO, VIMCO-★ or VRS)'
    );
  }

  get params(): { mixing: { [name: string]: PyTree }; components: { [name: string]: PyTree } } {
    return { mixing: this.mixing.params, components: this.components.params };
  }

  _withParams(p: { [name: string]: PyTree }, validate: boolean): MixtureSameFamily {
    const mixing = this.mixing._withParams(p.mixing as { [name: string]: PyTree }, validate);
    const components = this.components._withParams(p.components as { [name: string]: PyTree }, validate);
    return new MixtureSameFamily(mixing, components, { validate });
  }

  protected override _expand(batchShape: Shape): Distribution {
    return new MixtureSameFamily(
      this.mixing.expand(batchShape) as Categorical,
      this.components.expand([...batchShape, this.numComponents]),
      { validate: false },
    );
  }

  /** Mixing weights as [..., K, 1, ..., 1] (one 1 per event axis), to weight per-component values. */
  private weightsForEvents(w: Tensor): Tensor {
    return reshape(w, [...w.shape, ...this.eventShape.map(() => 1)]);
  }

  protected override _sample(key: PRNGKey, shape: Shape): Tensor {
    const er = this.eventRank;
    const sampleShape = shape.slice(0, shape.length - this.batchShape.length - er);
    const [k1, k2] = split(key);
    const idx = this.mixing.expand(this.batchShape).sample(k1, sampleShape); // sampleShape ++ B
    // sampleShape ++ B ++ [K] ++ event
    const draws = this.components.expand([...this.batchShape, this.numComponents]).sample(k2, sampleShape);
    const hot = this.weightsForEvents(oneHot(idx, this.numComponents));
    return sum(where(hot, draws, 0), -1 - er);
  }

  protected _logProb(x: Tensor): Tensor {
    const er = this.eventRank;
    const xe = expandDims(x, x.ndim - er); // lead ++ [1] ++ event: scored under every component
    const lpc = this.components.logProb(xe); // broadcast(lead, B) ++ [K]
    return logsumexp(add(lpc, this.mixing.logits), -1);
  }

  protected override _mean(): Tensor {
    const w = this.weightsForEvents(this.mixing.probs);
    return sum(mul(w, this.components.mean), -1 - this.eventRank);
  }

  protected override _variance(): Tensor {
    const er = this.eventRank;
    const w = this.weightsForEvents(this.mixing.probs);
    const mu = this.components.mean;
    const m = sum(mul(w, mu), -1 - er);
    const second = sum(mul(w, add(this.components.variance, square(mu))), -1 - er);
    return sub(second, square(m));
  }
}
