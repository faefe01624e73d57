/**
 * Validation: every error the distributions raise, with its full message (the distribution, the
 * parameter, the first offending value and its index), and switching validation off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { grad } from '../src/autodiff/index.js';
import { tensor } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { key } from '../src/random/index.js';
import { SieveError } from '../src/errors.js';
import {
  Bernoulli,
  Beta,
  Categorical,
  Dirichlet,
  Exponential,
  Gamma,
  Independent,
  LogNormal,
  MixtureSameFamily,
  MultivariateNormal,
  Normal,
  OneHotCategorical,
  Poisson,
  Uniform,
  UnnormalizedDensity,
  getDefaultValidation,
  setDefaultValidation,
  type Distribution,
} from '../src/dist/index.js';

/** Expect `f` to throw a SieveError with exactly this message. */
function throwsExactly(f: () => unknown, message: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected to throw: ${message}`).toBeInstanceOf(SieveError);
  expect((caught as Error).message).toBe(message);
}

const NaN32 = Number.NaN;

const invalidParameters: [string, () => unknown, string][] = [
  // scalar parameters: no index
  ['Normal scale', () => new Normal(0, -1), 'Normal: scale must be > 0, got -1'],
  ['Normal scale 0', () => new Normal(0, 0), 'Normal: scale must be > 0, got 0'],
  ['Normal scale Infinity', () => new Normal(0, Infinity), 'Normal: scale must be finite, got Infinity'],
  [
    'Normal loc NaN (1-D index)',
    () => new Normal(tensor([0, NaN32]), 1),
    'Normal: loc must be finite, got NaN at index 1',
  ],
  [
    'Normal scale (n-D index)',
    () =>
      new Normal(
        0,
        tensor([
          [1, 2],
          [-0.1, 3],
        ]),
      ),
    'Normal: scale must be > 0, got -0.1 at index [1,0]',
  ],
  [
    'Normal shapes',
    () => new Normal(tensor([1, 2, 3]), tensor([1, 2])),
    'Normal: parameter shapes cannot be broadcast together: loc [3], scale [2]',
  ],
  [
    'Normal non-tensor',
    () => new Normal('a' as unknown as number, 1),
    'Normal: loc must be a Tensor or a number, got string',
  ],
  ['LogNormal scale', () => new LogNormal(0, tensor([1, -2])), 'LogNormal: scale must be > 0, got -2 at index 1'],
  ['LogNormal loc', () => new LogNormal(Infinity, 1), 'LogNormal: loc must be finite, got Infinity'],
  [
    'Uniform order',
    () => new Uniform(tensor([0, 2]), 1),
    'Uniform: low must be < high, got low 2 and high 1 at index 1',
  ],
  ['Uniform equal', () => new Uniform(1, 1), 'Uniform: low must be < high, got low 1 and high 1'],
  ['Uniform finite', () => new Uniform(-Infinity, 1), 'Uniform: low must be finite, got -Infinity'],
  [
    'Uniform shapes',
    () => new Uniform(tensor([0, 1]), tensor([2, 3, 4])),
    'Uniform: parameter shapes cannot be broadcast together: low [2], high [3]',
  ],
  ['Exponential rate', () => new Exponential(tensor([1, 0])), 'Exponential: rate must be > 0, got 0 at index 1'],
  [
    'Gamma concentration',
    () =>
      new Gamma(
        tensor([
          [1, 2],
          [3, -4],
        ]),
        1,
      ),
    'Gamma: concentration must be > 0, got -4 at index [1,1]',
  ],
  ['Gamma rate', () => new Gamma(1, -1), 'Gamma: rate must be > 0, got -1'],
  [
    'Gamma shapes',
    () => new Gamma(tensor([1, 2]), tensor([1, 2, 3])),
    'Gamma: parameter shapes cannot be broadcast together: concentration [2], rate [3]',
  ],
  ['Beta concentration1', () => new Beta(0, 1), 'Beta: concentration1 must be > 0, got 0'],
  [
    'Beta concentration0',
    () => new Beta(1, tensor([1, NaN32])),
    'Beta: concentration0 must be > 0, got NaN at index 1',
  ],
  [
    'Dirichlet concentration',
    () => new Dirichlet(tensor([1, -0.5, 2])),
    'Dirichlet: concentration must be > 0, got -0.5 at index 1',
  ],
  ['Dirichlet shape', () => new Dirichlet(2), 'Dirichlet: concentration must have shape [..., K] with K >= 1, got []'],
  ['Poisson rate', () => new Poisson(tensor([1, 0])), 'Poisson: rate must be > 0, got 0 at index 1'],
  [
    'Bernoulli probs',
    () => new Bernoulli({ probs: tensor([0, 1, 1.5]) }),
    'Bernoulli: probs must be in [0, 1], got 1.5 at index 2',
  ],
  ['Bernoulli logits', () => new Bernoulli({ logits: NaN32 }), 'Bernoulli: logits must not be NaN, got NaN'],
  [
    'Bernoulli both',
    () => new Bernoulli({ logits: 0, probs: 0.5 } as never),
    'Bernoulli: pass exactly one of logits and probs, got both',
  ],
  [
    'Bernoulli neither',
    () => new Bernoulli({} as never),
    'Bernoulli: pass exactly one of logits and probs, got neither',
  ],
  [
    'Categorical probs sum',
    () =>
      new Categorical({
        probs: tensor([
          [0.5, 0.5],
          [0.5, 0.4],
        ]),
      }),
    'Categorical: probs must sum to 1 along the last axis, got 0.9 for batch index 1',
  ],
  [
    'Categorical probs range',
    () => new Categorical({ probs: tensor([-0.5, 1.5]) }),
    'Categorical: probs must be in [0, 1], got -0.5 at index 0',
  ],
  [
    'Categorical logits +Infinity',
    () => new Categorical({ logits: tensor([0, Infinity]) }),
    'Categorical: logits must not be NaN or +Infinity, got Infinity at index 1',
  ],
  [
    'Categorical logits all -Infinity',
    () =>
      new Categorical({
        logits: tensor([
          [0, 1],
          [-Infinity, -Infinity],
        ]),
      }),
    'Categorical: logits must not all be -Infinity (no category would have positive probability) for batch index 1',
  ],
  [
    'Categorical shape',
    () => new Categorical({ logits: 3 }),
    'Categorical: logits must have shape [..., K] with K >= 1 categories, got []',
  ],
  [
    'OneHotCategorical probs',
    () => new OneHotCategorical({ probs: tensor([0.2, 0.2]) }),
    'OneHotCategorical: probs must sum to 1 along the last axis, got 0.4',
  ],
  [
    'MVN upper triangle',
    () =>
      new MultivariateNormal(
        tensor([0, 0]),
        tensor([
          [1, 0.5],
          [0, 1],
        ]),
      ),
    'MultivariateNormal: scaleTril must be lower-triangular, got 0.5 above the diagonal at index [0,1]',
  ],
  [
    'MVN diagonal',
    () =>
      new MultivariateNormal(
        tensor([0, 0]),
        tensor([
          [1, 0],
          [0.3, -1],
        ]),
      ),
    'MultivariateNormal: scaleTril must have a positive finite diagonal, got -1 at index [1,1]',
  ],
  [
    'MVN batched diagonal',
    () =>
      new MultivariateNormal(
        tensor([0, 0]),
        tensor([
          [
            [1, 0],
            [0, 1],
          ],
          [
            [0, 0],
            [0, 1],
          ],
        ]),
      ),
    'MultivariateNormal: scaleTril must have a positive finite diagonal, got 0 at index [1,0,0]',
  ],
  [
    'MVN loc',
    () =>
      new MultivariateNormal(
        tensor([0, NaN32]),
        tensor([
          [1, 0],
          [0, 1],
        ]),
      ),
    'MultivariateNormal: loc must be finite, got NaN at index 1',
  ],
  [
    'MVN dimension',
    () =>
      new MultivariateNormal(
        tensor([0, 0, 0]),
        tensor([
          [1, 0],
          [0, 1],
        ]),
      ),
    'MultivariateNormal: loc has dimension 3 but scaleTril is 2×2 (shapes [3] and [2,2])',
  ],
  [
    'MVN not square',
    () =>
      new MultivariateNormal(
        tensor([0, 0]),
        tensor([
          [1, 0, 0],
          [0, 1, 0],
        ]),
      ),
    'MultivariateNormal: scaleTril must have shape [..., d, d], got [2,3]',
  ],
  [
    'MVN batch',
    () =>
      new MultivariateNormal(
        tensor([
          [0, 0],
          [0, 0],
          [0, 0],
        ]),
        tensor([
          [
            [1, 0],
            [0, 1],
          ],
          [
            [1, 0],
            [0, 1],
          ],
        ]),
      ),
    'MultivariateNormal: batch shapes of loc [3,2] and scaleTril [2,2,2] cannot be broadcast together',
  ],
  [
    'MVN covariance symmetric',
    () =>
      MultivariateNormal.fromCovariance(
        tensor([0, 0]),
        tensor([
          [2, 1],
          [0.5, 2],
        ]),
      ),
    'MultivariateNormal: covariance must be symmetric, got 1 at index [0,1] but 0.5 at index [1,0]',
  ],
  [
    'MVN covariance PD',
    () =>
      MultivariateNormal.fromCovariance(
        tensor([0, 0]),
        tensor([
          [1, 2],
          [2, 1],
        ]),
      ),
    'MultivariateNormal: covariance is not positive definite: the leading minor of order 2 is not positive (pivot -3)',
  ],
  [
    'MVN covariance shape',
    () => MultivariateNormal.fromCovariance(tensor([0, 0]), tensor([1, 2])),
    'MultivariateNormal: covariance must have shape [..., d, d], got [2]',
  ],
];

describe('invalid parameters throw an error naming the distribution, parameter, value and index', () => {
  for (const [label, f, message] of invalidParameters) it(label, () => throwsExactly(f, message));

  it('parameters are validated inside transforms too (traced tensors)', () => {
    throwsExactly(
      () => grad((s: Tensor) => new Normal(0, s).logProb(1))(tensor(-1)),
      'Normal: scale must be > 0, got -1',
    );
  });
});

describe('validation can be switched off', () => {
  afterEach(() => {
    setDefaultValidation(true);
  });

  it('per distribution with { validate: false }', () => {
    expect(() => new Normal(0, -1, { validate: false })).not.toThrow();
    expect(() => new Gamma(-1, 1, { validate: false })).not.toThrow();
    expect(() => new Categorical({ probs: tensor([0.2, 0.2]) }, { validate: false })).not.toThrow();
    expect(
      () =>
        new MultivariateNormal(
          tensor([0, 0]),
          tensor([
            [1, 0.5],
            [0, 1],
          ]),
          { validate: false },
        ),
    ).not.toThrow();
    expect(() =>
      MultivariateNormal.fromCovariance(
        tensor([0, 0]),
        tensor([
          [2, 1],
          [0.5, 2],
        ]),
        { validate: false },
      ),
    ).not.toThrow();
    expect(new Normal(0, -1, { validate: false }).validate).toBe(false);
    // shape mismatches are still reported
    throwsExactly(
      () => new Normal(tensor([1, 2, 3]), tensor([1, 2]), { validate: false }),
      'Normal: parameter shapes cannot be broadcast together: loc [3], scale [2]',
    );
  });

  it('globally with setDefaultValidation', () => {
    expect(getDefaultValidation()).toBe(true);
    expect(setDefaultValidation(false)).toBe(true);
    expect(() => new Poisson(-1)).not.toThrow();
    expect(() => new Beta(0, 0)).not.toThrow();
    expect(() => new Poisson(-1, { validate: true })).toThrow('Poisson: rate must be > 0, got -1');
    setDefaultValidation(true);
    expect(() => new Poisson(-1)).toThrow('Poisson: rate must be > 0, got -1');
  });

  it('detach and expand do not re-validate; withParams validates like the original', () => {
    const q = new Normal(tensor([0, 1]), 1);
    expect(q.detach().validate).toBe(false);
    throwsExactly(() => q.withParams({ loc: tensor([0, 1]), scale: tensor(-1) }), 'Normal: scale must be > 0, got -1');
    const unchecked = new Normal(0, 1, { validate: false });
    expect(() => unchecked.withParams({ loc: tensor(0), scale: tensor(-1) })).not.toThrow();
  });
});

describe('usage errors', () => {
  const noRsample = (name: string) =>
    `${name}.rsample: ${name} has no reparameterized sampler (its samples are discrete, so there is no pathwise ` +
    'gradient); draw with sample() and use a score-function estimator instead (ELBO-SF / REINFORCE with a ' +
    'baseline, VIMCO, VIMCO-★ or VRS)';

  it('rsample on a family without a pathwise sampler says which estimator to use', () => {
    throwsExactly(() => new Bernoulli({ logits: 0 }).rsample(key(1)), noRsample('Bernoulli'));
    throwsExactly(() => new Poisson(2).rsample(key(1)), noRsample('Poisson'));
    throwsExactly(() => new Categorical({ logits: tensor([0, 1]) }).rsample(key(1)), noRsample('Categorical'));
    throwsExactly(
      () => new OneHotCategorical({ logits: tensor([0, 1]) }).rsampleWithNoise(key(1)),
      noRsample('OneHotCategorical').replace('.rsample:', '.rsampleWithNoise:'),
    );
    throwsExactly(() => new Poisson(2).fromNoise(tensor(1)), noRsample('Poisson').replace('.rsample:', '.fromNoise:'));
    const mix = new MixtureSameFamily(new Categorical({ logits: tensor([0, 1]) }), new Normal(tensor([0, 1]), 1));
    throwsExactly(
      () => mix.rsample(key(1)),
      'MixtureSameFamily.rsample: MixtureSameFamily has no reparameterized ' +
        'sampler (the component choice is discrete); draw with sample() and use a score-function estimator instead ' +
        '(ELBO-SF / REINFORCE with a baseline, VIMCO, VIMCO-★ or VRS)',
    );
    throwsExactly(
      () => new Poisson(tensor([1, 2])).toEvent(1).rsample(key(1)),
      'Independent.rsample: Poisson ' +
        '(inside Independent) has no reparameterized sampler; draw with sample() and use a score-function estimator ' +
        'instead (ELBO-SF / REINFORCE with a baseline, VIMCO, VIMCO-★ or VRS)',
    );
  });

  it('sampling arguments', () => {
    throwsExactly(
      () => new Normal(0, 1).sample(3 as never),
      'Normal.sample: expected a PRNGKey as the first argument, got number',
    );
    throwsExactly(
      () => new Normal(0, 1).sample(key(1), [-1]),
      'Normal.sample: invalid shape [-1]: dimensions must be non-negative integers',
    );
    throwsExactly(
      () => new Normal(0, 1).rsample(key(1), 3 as never),
      'Normal.rsampleWithNoise: sampleShape must be an array of non-negative integers, got 3',
    );
  });

  it('logProb value shapes', () => {
    throwsExactly(
      () =>
        new MultivariateNormal(
          tensor([0, 0]),
          tensor([
            [1, 0],
            [0, 1],
          ]),
        ).logProb(tensor([1, 2, 3])),
      'MultivariateNormal.logProb: value of shape [3] must end with the event shape [2]',
    );
    throwsExactly(
      () => new Normal(tensor([0, 1, 2]), 1).logProb(tensor([1, 2])),
      'Normal.logProb: value of shape [2] does not broadcast with the batch shape [3] (event shape [])',
    );
    throwsExactly(
      () => new Dirichlet(tensor([1, 2])).logProb(0.5),
      'Dirichlet.logProb: value of shape [] must end with the event shape [2]',
    );
  });

  it('noise shapes', () => {
    throwsExactly(
      () => new Normal(tensor([0, 1, 2]), 1).fromNoise(tensor([1, 2])),
      'Normal.fromNoise: noise of shape [2] must end with [3] (batch shape ++ event shape)',
    );
    throwsExactly(
      () => new Beta(tensor([1, 2, 3]), 1).fromNoise(tensor([1, 2, 3])),
      'Beta.fromNoise: noise of shape [3] must end with [3,2] (batch shape ++ event shape ++ noise axes)',
    );
  });

  it('expand, Independent and MixtureSameFamily arguments', () => {
    throwsExactly(
      () => new Normal(tensor([0, 1, 2]), 1).expand([2]),
      'Normal.expand: cannot expand batch shape [3] to [2]',
    );
    throwsExactly(
      () => new Normal(0, 1).expand([-2]),
      'Normal.expand: invalid shape [-2]: dimensions must be non-negative integers',
    );
    throwsExactly(
      () => new Normal(tensor([0, 1, 2]), 1).toEvent(2),
      'Independent: reinterpretedBatchNdims must be an integer in [0, 1] for a base of batch shape [3], got 2',
    );
    throwsExactly(() => new Independent(3 as never, 1), 'Independent: base must be a Distribution, got number');
    const comps = new Normal(tensor([0, 1]), 1);
    throwsExactly(
      () => new MixtureSameFamily(new Categorical({ logits: tensor([0, 1, 2]) }), comps),
      'MixtureSameFamily: mixing has 3 categories but components has 2 (last axis of its batch shape [2])',
    );
    throwsExactly(
      () => new MixtureSameFamily(new Bernoulli({ logits: 0 }) as never, comps),
      'MixtureSameFamily: mixing must be a Categorical, got Bernoulli',
    );
    throwsExactly(
      () => new MixtureSameFamily(new Categorical({ logits: tensor([0]) }), new Normal(0, 1)),
      'MixtureSameFamily: components must have at least one batch axis (the components), got batch shape []',
    );
    throwsExactly(
      () =>
        new MixtureSameFamily(
          new Categorical({
            logits: tensor([
              [0, 1],
              [0, 1],
              [0, 1],
            ]),
          }),
          new Normal(
            tensor([
              [0, 1],
              [2, 3],
            ]),
            1,
          ),
        ),
      "MixtureSameFamily: mixing batch shape [3] does not broadcast with the components' batch shape [2] (without " +
        'the component axis)',
    );
  });

  it('quantities without a closed form', () => {
    const mix: Distribution = new MixtureSameFamily(
      new Categorical({ logits: tensor([0, 1]) }),
      new Normal(tensor([0, 1]), 1),
    );
    throwsExactly(
      () => mix.entropy(),
      'MixtureSameFamily.entropy: not available in closed form (estimate it by ' +
        'Monte Carlo: -mean(logProb(sample(key, [n]))))',
    );
    const target = new UnnormalizedDensity((x: Tensor) => x.square().neg(), {});
    throwsExactly(() => target.variance, 'UnnormalizedDensity.variance: not available in closed form');
    throwsExactly(
      () => new UnnormalizedDensity(3 as never, {}),
      'UnnormalizedDensity: logDensity must be a function (x, params) => Tensor, got number',
    );
  });
});
