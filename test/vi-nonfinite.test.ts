/**
 * Issue 9, item 3: no silent wrong values. Every estimator refuses log weights it cannot build an
 * estimate from (NaN anywhere, +∞ anywhere, or −∞ for every draw of a data point) with a SieveError
 * naming the estimator; sample counts whose draws would exceed the memory limit are refused before
 * anything is allocated; the optimizers validate their hyper-parameters and refuse non-finite
 * gradients, naming the leaf.
 */
import { describe, expect, it } from 'vitest';
import { grad, key, Normal, SieveError, tensor, valueAndGrad, where, type Tensor } from '../src/index.js';
import {
  adam,
  elbo,
  elboScoreFunction,
  elboStl,
  iwae,
  iwaeDreg,
  iwScoreFunction,
  rejectionSample,
  rvrs,
  sgd,
  vimco,
  vimcoStar,
  vrs,
  DEFAULT_MAX_DRAW_ELEMENTS,
  type Estimator,
  type Optimizer,
  type Problem,
} from '../src/vi/index.js';
import { checkLogWeights } from '../src/vi/logweights.js';
import { gaussianProblem, replicated, scalarParams } from './helpers/vi-gaussian.js';

/** `f` throws a SieveError for operation `op` whose message matches `re`. */
function expectSieveError(f: () => unknown, op: string, re: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SieveError);
  expect((caught as SieveError).op).toBe(op);
  expect((caught as Error).message).toMatch(re);
}

/** The Gaussian model of helpers/vi-gaussian with its log joint replaced at data point `bad` by `value`. */
function spoiled(value: number, bad: (z: Tensor) => Tensor): Problem {
  return {
    logJoint: (theta, z, x) => where(bad(z), value, gaussianProblem.logJoint(theta, z, x)),
    guide: gaussianProblem.guide,
  };
}
const everywhere = (z: Tensor): Tensor => z.eq(z); // true for every finite draw
const { theta: th3, phi: ph3 } = replicated(3, 0.2, 0.8, 0.1);
// Data point 1 of 3 is spoiled; the others are fine.
const secondPoint = (z: Tensor): Tensor =>
  z
    .mul(0)
    .add(tensor([0, 1, 0]))
    .gt(0);

type Named = [string, Estimator<any>][];
const reparam: Named = [
  ['elbo', elbo],
  ['elboStl', elboStl],
  ['iwae', iwae],
  ['iwaeDreg', iwaeDreg],
];
const score: Named = [
  ['elboScoreFunction', elboScoreFunction],
  ['iwScoreFunction', iwScoreFunction],
  ['vimco', vimco],
  ['vimcoStar', vimcoStar],
];
const rejection: Named = [
  ['vrs', vrs],
  ['rvrs', rvrs],
];
const all = [...reparam, ...score, ...rejection];
const isRejection = (name: string): boolean => name === 'vrs' || name === 'rvrs';
/** The options each estimator needs besides problem and samples. */
const optionsFor = (name: string): object =>
  isRejection(name) ? { threshold: 0 } : name === 'iwScoreFunction' ? { controlVariate: 'vimco-star' } : {};
const NAN_PER_POINT = /4 of 12 log weights log p\(x, z\) − log q\(z\) are NaN \(first at sample 0, data point 1\)/;

describe('NaN log joint: a named error, never a quiet loss', () => {
  it.each(all)('%s names itself, the count of NaN log weights and the first one', (name, est) => {
    const f = () => est(key(1), th3, ph3, 1, { problem: spoiled(NaN, secondPoint), samples: 4, ...optionsFor(name) });
    expectSieveError(f, name, NAN_PER_POINT);
  });

  it('vrs and rvrs used to return loss 0: the rejection step cannot compare NaN with a uniform', () => {
    // Before the fix every proposal was rejected, every point masked, and the loss was exactly 0.
    for (const [name, est] of rejection) {
      const f = () => est(key(2), th3, ph3, 1, { problem: spoiled(NaN, everywhere), samples: 2, threshold: 0 });
      expectSieveError(f, name, /are NaN/);
    }
  });

  it('the rejection sampler on its own names itself', () => {
    const q = new Normal(tensor([0, 0]), 1);
    const f = () => rejectionSample(key(3), q, (z) => z.mul(NaN), { samples: 2, threshold: 0 });
    const re = /^rejectionSample: 4 of 4 log weights .* are NaN \(first at sample 0, data point 0\)/;
    expectSieveError(f, 'rejectionSample', re);
  });

  it('is checked on the primal values inside grad and nested grad', () => {
    const { theta, phi } = scalarParams(0.2, 0.8, 0.1);
    const problem = spoiled(NaN, everywhere);
    const loss = (p: typeof phi) => iwae(key(4), theta, p, 1, { problem, samples: 3 }).loss;
    expectSieveError(() => grad(loss)(phi), 'iwae', /3 of 3 log weights .* are NaN/);
    const inner = (m: Tensor) => grad((mm: Tensor) => loss({ m: mm, logS: phi.logS }))(m);
    expectSieveError(() => grad(inner)(phi.m), 'iwae', /are NaN/);
  });
});

describe('−∞ log weights', () => {
  it('iwae with an all −∞ log joint used to give loss NaN and gradient 0: now a named error', () => {
    const { theta, phi } = scalarParams(0.2, 0.8, 0.1);
    const problem = spoiled(-Infinity, everywhere);
    const f = () => valueAndGrad((p: typeof phi) => iwae(key(5), theta, p, 1, { problem, samples: 4 }).loss)(phi);
    const re = /^iwae: data point 0: all 4 log weights are −Infinity \(the model gives zero density to every draw/;
    expectSieveError(f, 'iwae', re);
  });

  it.each([...reparam, ...score])('%s refuses a data point whose every draw has zero model density', (name, est) => {
    const problem = spoiled(-Infinity, secondPoint);
    const f = () => est(key(6), th3, ph3, 1, { problem, samples: 3, ...optionsFor(name) });
    expectSieveError(f, name, /data point 1: all 3 log weights are −Infinity/);
  });

  it('some −∞ draws are fine for the importance-weighted bounds (they get weight 0)', () => {
    const { theta, phi } = scalarParams(0.2, 0.8, 0.1);
    const positive = spoiled(-Infinity, (z) => z.lt(0));
    const loss = (p: typeof phi) => iwae(key(7), theta, p, 1, { problem: positive, samples: 16 }).loss;
    const [value, g] = valueAndGrad(loss)(phi);
    expect(Number.isFinite(value.item())).toBe(true);
    expect(Number.isFinite(g.m.item()) && Number.isFinite(g.logS.item())).toBe(true);
  });

  it('vrs and rvrs refuse a point whose every proposal has zero model density (it could never accept)', () => {
    for (const [name, est] of rejection) {
      const problem = spoiled(-Infinity, secondPoint);
      const f = () => est(key(8), th3, ph3, 1, { problem, samples: 2, threshold: 0, maxProposals: 20 });
      expectSieveError(f, name, /data point 1: all 20 proposals have log weight −Infinity/);
    }
  });

  it('vrs and rvrs with a floor ε > 0 refuse an accepted draw of zero model density (A = −∞)', () => {
    for (const [name, est] of rejection) {
      const problem = spoiled(-Infinity, everywhere);
      const f = () => est(key(9), th3, ph3, 1, { problem, samples: 2, threshold: 0, acceptanceFloor: 0.5 });
      expectSieveError(f, name, /log weights .* −Infinity at an accepted draw/);
    }
  });
});

describe('+∞ log weights', () => {
  it.each(all)('%s refuses them', (name, est) => {
    const problem = spoiled(Infinity, secondPoint);
    const f = () => est(key(10), th3, ph3, 1, { problem, samples: 3, ...optionsFor(name) });
    expectSieveError(f, name, /3 of 9 log weights .* are \+Infinity \(first at sample 0, data point 1\)/);
  });
});

describe('checkLogWeights', () => {
  it('accepts finite and partly −∞ columns, and points at the first bad entry in row-major order', () => {
    const check = (v: number[] | number[][]) => () => checkLogWeights('t', tensor(v));
    const inf = Infinity;
    expect(
      check([
        [0, -inf],
        [-inf, 1],
      ]),
    ).not.toThrow();
    const firstNan = /^t: 2 of 6 log weights .* NaN \(first at sample 1, data point 1\)/;
    expectSieveError(
      check([
        [0, 1],
        [2, NaN],
        [NaN, 3],
      ]),
      't',
      firstNan,
    );
    expectSieveError(
      check([
        [0, -inf],
        [1, -inf],
      ]),
      't',
      /^t: data point 1: all 2 log weights are −Infinity/,
    );
    expectSieveError(check([-inf, -inf]), 't', /^t: data point 0: all 2 log weights/);
    const twoDead = /^t: 2 data points \(first: 0\): all 2 log weights are −Infinity/;
    expectSieveError(
      check([
        [-inf, -inf],
        [-inf, -inf],
      ]),
      't',
      twoDead,
    );
    // With a mask only accepted draws count, and one −∞ among them is enough.
    const lw = tensor([
      [0, -inf],
      [NaN, 1],
    ]);
    expect(() => checkLogWeights('t', lw, { accepted: [1, 0, 0, 1] })).not.toThrow();
    const accepted = /^t: 1 of 3 .* −Infinity at an accepted draw/;
    expectSieveError(() => checkLogWeights('t', lw, { accepted: [1, 1, 0, 1] }), 't', accepted);
    // eachDraw: all −∞ columns are allowed (one round of the rejection sampler), NaN is not.
    expect(() => checkLogWeights('t', tensor([-inf, -inf]), { eachDraw: true })).not.toThrow();
    expectSieveError(() => checkLogWeights('t', tensor([-inf, NaN]), { eachDraw: true }), 't', /^t: 1 of 2 .* NaN/);
  });
});

describe('sample counts beyond the memory limit are refused before allocating', () => {
  const { theta, phi } = scalarParams(0.2, 0.8, 0.1);
  it('elbo({samples: 2**31}) is refused (it used to grow to 17 GB)', () => {
    const f = () => elbo(key(11), theta, phi, 1, { problem: gaussianProblem, samples: 2 ** 31 });
    expectSieveError(
      f,
      'elbo',
      new RegExp(
        '^elbo: samples = 2147483648 would draw 2147483648 float32 values \\(8 GiB\\) of shape \\[2147483648\\], ' +
          'more than the limit of 268435456 \\(1 GiB\\); ' +
          'use fewer samples or a smaller batch, or raise options\\.maxDrawElements$',
      ),
    );
  });

  it.each(all)('%s counts samples × batch × event against the limit, and the limit can be raised', (name, est) => {
    // 3 data points: 4 samples make 12 values.
    // The rejection estimators also record up to maxProposals × batch log-acceptance values.
    const cap = isRejection(name) ? { maxProposals: 4 } : {};
    const opts = { problem: gaussianProblem, samples: 4, ...optionsFor(name), ...cap };
    const run = (maxDrawElements: number) => () => est(key(12), th3, ph3, 1, { ...opts, maxDrawElements });
    const tooMany = /samples = 4 would draw 12 float32 values .* of shape \[4,3\], more than the limit of 11/;
    expectSieveError(run(11), name, tooMany);
    expect(run(12)).not.toThrow();
    expectSieveError(run(0.5), name, /maxDrawElements must be a positive integer, got 0.5/);
  });

  it('the default limit is 2^28 values (1 GiB of float32)', () => {
    expect(DEFAULT_MAX_DRAW_ELEMENTS).toBe(2 ** 28);
  });

  it('the rejection sampler refuses a proposal cap whose record would exceed the limit', () => {
    for (const [name, est] of rejection) {
      const opts = { problem: gaussianProblem, samples: 2, threshold: 0, maxProposals: 2 ** 27 };
      const f = () => est(key(13), th3, ph3, 1, opts);
      const re = /maxProposals = 134217728 for 3 data points would record up to 402653184 log-acceptance values/;
      expectSieveError(f, name, re);
    }
  });
});

describe('optimizers', () => {
  const params = { w: tensor([1, 2]), b: { c: tensor(3) } };
  const zeroGrads = { w: tensor([0, 0]), b: { c: tensor(0) } };

  it('adam({eps: 0}) used to turn parameters into NaN on a zero gradient: eps must be > 0', () => {
    expectSieveError(() => adam({ lr: 0.1, eps: 0 }), 'adam', /^adam: eps must be a finite number > 0, got 0$/);
    const opt = adam({ lr: 0.1 });
    const [next] = opt.step(params, zeroGrads, opt.init(params));
    expect(Array.from((next as typeof params).w.dataSync())).toEqual([1, 2]);
  });

  it.each([
    ['adam eps', () => adam({ lr: 0.1, eps: -1 }), 'adam', /eps must be a finite number > 0, got -1/],
    ['adam eps NaN', () => adam({ lr: 0.1, eps: NaN }), 'adam', /eps must be a finite number > 0, got NaN/],
    ['adam eps string', () => adam({ lr: 0.1, eps: '1e-8' as unknown as number }), 'adam', /eps must be a finite/],
    ['adam b1', () => adam({ lr: 0.1, b1: 1 }), 'adam', /b1 must be a number in \[0, 1\), got 1/],
    ['adam b2', () => adam({ lr: 0.1, b2: -0.1 }), 'adam', /b2 must be a number in \[0, 1\), got -0.1/],
    ['adam b2 string', () => adam({ lr: 0.1, b2: '0.9' as unknown as number }), 'adam', /b2 must be a number/],
    ['adam lr 0', () => adam({ lr: 0 }), 'adam', /lr must be a finite number > 0 or a schedule function, got 0$/],
    ['adam lr NaN', () => adam({ lr: NaN }), 'adam', /lr must be a finite number > 0 or a schedule .*, got NaN$/],
    ['sgd lr Infinity', () => sgd({ lr: Infinity }), 'sgd', /lr must be a finite .*, got Infinity$/],
    ['sgd lr string', () => sgd({ lr: '0.1' as unknown as number }), 'sgd', /lr must be a finite .*, got 0.1$/],
    ['sgd momentum', () => sgd({ lr: 0.1, momentum: 1 }), 'sgd', /momentum must be a number in \[0, 1\), got 1/],
    ['sgd momentum NaN', () => sgd({ lr: 0.1, momentum: NaN }), 'sgd', /momentum must be .*, got NaN/],
    ['no options', () => sgd(undefined as unknown as { lr: number }), 'sgd', /options must be an object/],
  ] as const)('%s', (_, f, op, re) => expectSieveError(f, op, re));

  it('a schedule must give a finite rate >= 0 at every step', () => {
    const opt = sgd({ lr: (t) => (t === 0 ? 0.1 : NaN) });
    const [p1, s1] = opt.step(params, zeroGrads, opt.init(params));
    const re = /learning rate must be a finite non-negative number, got NaN at step 1/;
    expectSieveError(() => opt.step(p1, zeroGrads, s1), 'sgd', re);
  });

  it('refuses a non-finite gradient, naming the optimizer and the leaf by its path', () => {
    const optimizers = [
      ['adam', adam({ lr: 0.1 })],
      ['sgd', sgd({ lr: 0.1 })],
    ] as [string, Optimizer<unknown>][];
    for (const [name, opt] of optimizers) {
      const step = (g: object) => () => opt.step(params, g, opt.init(params));
      const nan = { w: tensor([0, 0]), b: { c: tensor(NaN) } };
      expectSieveError(step(nan), name, /gradient leaf b\.c has a non-finite value NaN at index 0/);
      const inf = { w: tensor([0, -Infinity]), b: { c: tensor(0) } };
      expectSieveError(step(inf), name, /gradient leaf w has a non-finite value -Infinity at index 1/);
    }
    const arr = [tensor([1]), tensor([2])];
    const opt = adam({ lr: 0.1 });
    const re = /gradient leaf \[1\] has a non-finite value Infinity at index 0/;
    expectSieveError(() => opt.step(arr, [tensor([0]), tensor([Infinity])], opt.init(arr)), 'adam', re);
  });
});
