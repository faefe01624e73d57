/**
 * The training driver (src/vi/train.ts) and the threshold policies it applies (src/vi/threshold.ts).
 *
 * - Keys: the driver draws what a reference loop with the documented rule draws (bit-identical).
 * - Non-finite gradients: 'throw' names the step and the leaf; 'skip' leaves the parameters and counts.
 * - Stopping (steps, time with an injected clock, user) and the order of the hooks.
 * - Policies: quantile = quantileSchedule; adaptive = adaptThreshold, moving T toward the target;
 *   'shared' and 'centred' minibatch rules; the restart rule.
 * - Types: an estimator's own diagnostics come through without casts (checked by tsc).
 */
import { describe, expect, it } from 'vitest';
import { valueAndGrad } from '../src/autodiff/transforms.js';
import { foldIn, key, split, type PRNGKey } from '../src/random/key.js';
import { scalar, tensor } from '../src/tensor/creation.js';
import { Tensor } from '../src/tensor/tensor.js';
import { elbo, elboScoreFunction } from '../src/vi/elbo.js';
import { adam, sgd } from '../src/vi/optimizers.js';
import { rvrs } from '../src/vi/rvrs.js';
import {
  adaptThreshold,
  type AdaptThresholdState,
  initialThreshold,
  initialThresholdState,
  quantileSchedule,
  thresholdAfterStep,
  thresholdForStep,
  thresholdGradient,
  type ThresholdPolicy,
} from '../src/vi/threshold.js';
import { NonFiniteGradientError, train, trainAsync, type StepRecord } from '../src/vi/train.js';
import type { EstimatorResult, RejectionDiagnostics } from '../src/vi/types.js';
import { vrs } from '../src/vi/vrs.js';
import { CAT, catBatchProblem, gaussPhi, gaussProblem } from './helpers/vi-rejection-models.js';

const stepKeys = (k: PRNGKey, t: number): PRNGKey[] => split(foldIn(k, t), 3);
const values = (t: Tensor): number[] => Array.from(t.dataSync());

describe('train: keys, updates and records', () => {
  it('draws the same keys as the reference loop: [batch, estimator, threshold] = split(foldIn(key, t), 3)', () => {
    const k = key(7);
    const phi0 = { m: tensor(0.3), logS: tensor(-0.2) };
    const seen: PRNGKey[] = [];
    const run = train({
      estimator: elbo,
      problem: gaussProblem,
      options: { samples: 3 },
      params: { theta: undefined, phi: phi0 },
      batch: (bk, t) => {
        seen.push(bk);
        return t;
      },
      optimizer: adam({ lr: 0.1 }),
      steps: 4,
      key: k,
    });
    // Reference loop, written out.
    const opt = adam({ lr: 0.1 });
    let params = { theta: undefined, phi: phi0 };
    let state = opt.init(params);
    for (let t = 0; t < 4; t++) {
      const [bk, ek] = stepKeys(k, t);
      expect(seen[t]).toEqual(bk);
      const [, g] = valueAndGrad(
        (p: typeof params) => elbo(ek, p.theta, p.phi, t, { problem: gaussProblem, samples: 3 }).loss,
      )(params);
      [params, state] = opt.step(params, g, state);
    }
    expect(values(run.state.params.phi.m)).toEqual(values(params.phi.m));
    expect(values(run.state.params.phi.logS)).toEqual(values(params.phi.logS));
    expect(run.records.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(run.state.step).toBe(4);
    expect(run.stoppedBy).toBe('steps');
  });

  it("threads elboScoreFunction's moving-average baseline (S = 1) from step to step", () => {
    const k = key(2);
    const phi0 = { m: tensor(0.3), logS: tensor(-0.2) };
    const run = train({
      estimator: elboScoreFunction,
      problem: gaussProblem,
      options: { samples: 1, baseline: 0 },
      params: { theta: undefined, phi: phi0 },
      optimizer: sgd({ lr: 0.1 }),
      steps: 3,
      key: k,
    });
    const opt = sgd({ lr: 0.1 });
    let params = { theta: undefined, phi: phi0 };
    let state = opt.init(params);
    let baseline: number | Tensor = 0;
    for (let t = 0; t < 3; t++) {
      const ek = stepKeys(k, t)[1];
      const [[, r], g] = valueAndGrad(
        (p: typeof params) => {
          const out = elboScoreFunction(ek, p.theta, p.phi, null, { problem: gaussProblem, samples: 1, baseline });
          return [out.loss, out];
        },
        0,
        { hasAux: true },
      )(params);
      [params, state] = opt.step(params, g, state);
      baseline = r.diagnostics.baseline!;
    }
    expect(values(run.state.params.phi.m)).toEqual(values(params.phi.m));
    expect(run.state.baseline).toBe(baseline);
  });

  it('resuming from a saved state continues exactly like one long run', () => {
    const config = {
      estimator: elbo,
      problem: gaussProblem,
      options: { samples: 2 },
      data: 1,
      params: { theta: undefined, phi: { m: tensor(0), logS: tensor(0) } },
      optimizer: adam({ lr: 0.05 }),
      key: key(3),
    };
    const long = train({ ...config, steps: 6 });
    const first = train({ ...config, steps: 3 });
    const rest = train({ ...config, steps: 6, resume: first.state });
    expect(values(rest.state.params.phi.m)).toEqual(values(long.state.params.phi.m));
    expect(rest.records.map((r) => r.bound)).toEqual(long.records.slice(3).map((r) => r.bound));
  });
});

/** A toy estimator: loss = Σ a · x, so the gradient for a is x (NaN when the batch says so). */
function linearEstimator(_k: PRNGKey, _theta: unknown, phi: { a: Tensor }, x: number): EstimatorResult {
  const loss = phi.a.mul(x).sum();
  return { loss, bound: -loss.item(), perDataPoint: tensor([0]), diagnostics: { samples: 1 } };
}

describe('train: non-finite gradients', () => {
  const config = (nonFinite: 'throw' | 'skip') => ({
    estimator: linearEstimator,
    problem: gaussProblem,
    options: {},
    nonFinite,
    params: { theta: {}, phi: { a: tensor([1, 2]) } },
    batch: (_k: PRNGKey, t: number) => (t === 2 ? NaN : 1),
    optimizer: sgd({ lr: 0.5 }),
    steps: 5,
    key: key(0),
  });

  it("'throw' names the step and the leaf", () => {
    let caught: unknown;
    try {
      train(config('throw'));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NonFiniteGradientError);
    const e = caught as NonFiniteGradientError;
    expect([e.step, e.leaf, e.index]).toEqual([2, 'phi.a', 0]);
    expect(e.message).toMatch(/^train: step 2: gradient leaf phi\.a has a non-finite value NaN at index 0/);
  });

  it('finds a non-finite value at any index of a longer leaf, and passes leaves of finite extremes', () => {
    // Gradient = x: eleven values, so both the four-at-a-time part of the scan and its tail are reached.
    const vectorEstimator = (_k: PRNGKey, _t: unknown, phi: { a: Tensor }, x: Tensor): EstimatorResult => {
      const loss = phi.a.mul(x).sum();
      return { loss, bound: -loss.item(), perDataPoint: tensor([0]), diagnostics: { samples: 1 } };
    };
    const run = (x: number[]) =>
      train({
        estimator: vectorEstimator,
        problem: gaussProblem,
        options: {},
        params: { theta: {}, phi: { a: tensor(new Array(11).fill(1)) } },
        data: tensor(x),
        optimizer: sgd({ lr: 1e-30 }),
        steps: 1,
        key: key(0),
      });
    const extremes = [3.4028234663852886e38, -3.4028234663852886e38, 2 ** -149, -0, 0, 1, -1, 5, 6, 7, 8];
    expect(() => run(extremes)).not.toThrow();
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (let at = 0; at < 11; at++) {
        const x = extremes.slice();
        x[at] = bad;
        let caught: unknown;
        try {
          run(x);
        } catch (e) {
          caught = e;
        }
        expect(caught, `${bad} at ${at}`).toBeInstanceOf(NonFiniteGradientError);
        expect((caught as NonFiniteGradientError).index).toBe(at);
      }
    }
  });

  it("'skip' leaves the parameters as they were and counts the step", () => {
    const run = train(config('skip'));
    expect(run.state.skipped).toBe(1);
    expect(run.records.map((r) => r.skipped)).toEqual([false, false, true, false, false]);
    // Four updates of −0.5 · 1 each, none from the NaN step.
    expect(values(run.state.params.phi.a)).toEqual([1 - 4 * 0.5, 2 - 4 * 0.5]);
  });
});

describe('train: stopping and hooks', () => {
  const base = {
    estimator: linearEstimator,
    problem: gaussProblem,
    options: {},
    data: 1,
    params: { theta: {}, phi: { a: tensor([0]) } },
    optimizer: sgd({ lr: 0.1 }),
    steps: 10,
    key: key(0),
  };

  it('stops when shouldStop says so, before the step', () => {
    let calls = 0;
    const run = train({ ...base, shouldStop: () => ++calls > 3 });
    expect(run.records.length).toBe(3);
    expect(run.stoppedBy).toBe('user');
  });

  it('stops at the time budget (an injected clock: each reading advances 100 ms)', () => {
    let clock = 0;
    const run = train({ ...base, maxSeconds: 1, now: () => (clock += 100) });
    expect(run.stoppedBy).toBe('time');
    expect(run.records.length).toBeGreaterThan(0);
    expect(run.records.length).toBeLessThan(10);
  });

  it('calls onStep, progress, evaluate in this order after each step', async () => {
    const calls: string[] = [];
    const config = {
      ...base,
      steps: 4,
      evalEvery: 2,
      onStep: (r: StepRecord) => calls.push(`onStep ${r.step}`),
      progress: (done: number, total: number) => calls.push(`progress ${done}/${total}`),
      evaluate: (_p: unknown, done: number) => calls.push(`evaluate ${done}`),
    };
    train(config);
    const expected = [
      'onStep 0',
      'progress 1/4',
      'onStep 1',
      'progress 2/4',
      'evaluate 2',
      'onStep 2',
      'progress 3/4',
      'onStep 3',
      'progress 4/4',
      'evaluate 4',
    ];
    expect(calls).toEqual(expected);
    calls.length = 0;
    await trainAsync(config);
    expect(calls).toEqual(expected);
  });
});

describe('threshold policies', () => {
  const problem = catBatchProblem(2);
  const theta = tensor(CAT.theta);

  it('quantile: the thresholds are those of quantileSchedule with the same keys and parameters', () => {
    const k = key(11);
    const policy: ThresholdPolicy = { kind: 'quantile', gamma: 0.9, samples: 20, every: 2 };
    const before: { theta: Tensor; phi: Tensor }[] = [];
    let current = { theta, phi: tensor(CAT.phi) };
    const run = train({
      estimator: vrs,
      problem,
      options: { samples: 3 },
      data: null,
      params: current,
      threshold: policy,
      optimizer: adam({ lr: 0.1 }),
      steps: 5,
      key: k,
      onStep: (_r, s) => {
        before.push(current);
        current = s.params;
      },
    });
    const schedule = quantileSchedule({ problem, gamma: 0.9, samples: 20, every: 2 });
    let state = schedule.init();
    run.records.forEach((r, t) => {
      state = schedule.update(stepKeys(k, t)[2], before[t].theta, before[t].phi, null, state);
      expect(values(r.threshold as Tensor)).toEqual(values(state.threshold as Tensor));
    });
    // Held between refreshes: step 1 uses step 0's threshold.
    expect(run.records[1].threshold).toBe(run.records[0].threshold);
  });

  it('adaptive (per point): T follows adaptThreshold from T_0 = −ELBO with the same keys', () => {
    const k = key(5);
    const policy: ThresholdPolicy = { kind: 'adaptive', target: 0.33, samples: 50, lr: 0.5, momentum: 0.5 };
    const phi0 = gaussPhi(0.7, 2 / 3, 3);
    const phis: (typeof phi0)[] = [phi0];
    const run = train({
      estimator: rvrs,
      problem: gaussProblem,
      options: { samples: 4 },
      data: null,
      params: { theta: undefined, phi: phi0 },
      threshold: policy,
      optimizer: adam({ lr: 0.01 }),
      steps: 4,
      key: k,
      onStep: (_r, s) => phis.push(s.params.phi),
    });
    let T: number | Tensor = initialThreshold(stepKeys(k, 0)[2], undefined, phi0, null, {
      problem: gaussProblem,
      samples: 50,
    });
    let state: AdaptThresholdState | undefined;
    for (const [t, r] of run.records.entries()) {
      expect(values(r.threshold as Tensor)).toEqual(values(T as Tensor));
      ({ threshold: T, state } = adaptThreshold(T, r.diagnostics.firstLogA!, {
        target: 0.33,
        lr: 0.5,
        momentum: 0.5,
        state,
      }));
      expect(phis[t]).toBeDefined();
    }
    expect(values(run.state.threshold.threshold as Tensor)).toEqual(values(T as Tensor));
  });

  it('adaptive: T falls when every acceptance is above the target and rises when every one is below', () => {
    const policy: ThresholdPolicy = { kind: 'adaptive', target: 0.33, samples: 1 };
    const state = { ...initialThresholdState(policy), threshold: 1 };
    const firstLogA = (a: number) => Tensor.fromData(new Float32Array(4).fill(Math.log(a)), [4]);
    const high = thresholdAfterStep(policy, state, { firstLogA: firstLogA(0.8) });
    const low = thresholdAfterStep(policy, state, { firstLogA: firstLogA(0.1) });
    expect(high.threshold as number).toBeLessThan(1);
    expect(low.threshold as number).toBeGreaterThan(1);
  });

  it("'shared' moves one number by the batch mean of g_T; 'centred' adds the offset to each point's −ELBO", () => {
    const firstLogA = Tensor.fromData(Float32Array.from([0.9, 0.2, 0.6, 0.4, 0.7, 0.1].map(Math.log)), [2, 3]);
    const g = thresholdGradient(firstLogA, 0.3);
    const meanG = (g[0] + g[1] + g[2]) / 3;
    const shared: ThresholdPolicy = { kind: 'adaptive', target: 0.3, samples: 1, lr: 2, minibatch: 'shared' };
    const s1 = thresholdAfterStep(shared, { ...initialThresholdState(shared), threshold: 1.5 }, { firstLogA });
    expect(s1.threshold).toBe(1.5 - 2 * meanG);

    const centred: ThresholdPolicy = { kind: 'adaptive', target: 0.3, samples: 30, lr: 2, minibatch: 'centred' };
    const c0 = initialThresholdState(centred);
    expect(c0.threshold).toBe(0);
    const c1 = thresholdAfterStep(centred, c0, { firstLogA });
    expect(c1.threshold).toBe(-2 * meanG);
    const phi = gaussPhi(0.2, 1, 3);
    const k = key(9);
    const { threshold } = thresholdForStep(centred, c1, k, 1, undefined, phi, null, gaussProblem);
    const centre = initialThreshold(k, undefined, phi, null, { problem: gaussProblem, samples: 30 });
    expect(values(threshold as Tensor)).toEqual(values(centre.add(-2 * meanG)));
  });

  it('restart: a saturated acceptance rate restarts T from −ELBO at the next step', () => {
    const policy: ThresholdPolicy = {
      kind: 'adaptive',
      target: 0.33,
      samples: 40,
      restart: { below: 0.005, above: 0.995 },
    };
    const firstLogA = Tensor.fromData(new Float32Array(4).fill(Math.log(0.999)), [4]);
    const kept = thresholdAfterStep(
      policy,
      { ...initialThresholdState(policy), threshold: 30 },
      {
        firstLogA,
        acceptanceRate: scalar(0.99),
      },
    );
    expect(kept.restartPending).toBe(false);
    const saturated = thresholdAfterStep(
      policy,
      { ...initialThresholdState(policy), threshold: 30 },
      {
        firstLogA,
        acceptanceRate: scalar(0.999),
      },
    );
    expect(saturated.restartPending).toBe(true);
    expect(saturated.adapt).toBeUndefined();
    const phi = gaussPhi(0.2, 1, 1);
    const k = key(4);
    const next = thresholdForStep(
      policy,
      saturated,
      k,
      7,
      undefined,
      { m: phi.m.reshape([]), logS: phi.logS.reshape([]) },
      null,
      gaussProblem,
    );
    const t0 = initialThreshold(k, undefined, { m: scalar(0.2), logS: scalar(0) }, null, {
      problem: gaussProblem,
      samples: 40,
    });
    expect(next.threshold).toBe(t0.item());
    expect(next.state.restarts).toBe(1);
    expect(next.state.restartPending).toBe(false);
    // Without the restart rule the state never restarts.
    const noRule = thresholdAfterStep(
      { ...policy, restart: undefined },
      { ...initialThresholdState(policy), threshold: 30 },
      {
        firstLogA,
        acceptanceRate: scalar(0.999),
      },
    );
    expect(noRule.restartPending).toBe(false);
  });

  it('refuses a bad policy with a clear error', () => {
    const bad = { kind: 'quantile', gamma: 0.9, samples: 5, every: 0 } as const;
    expect(() =>
      thresholdForStep(bad, initialThresholdState(bad), key(0), 0, theta, tensor(CAT.phi), null, problem),
    ).toThrow(/thresholdForStep: a quantile policy's every must be an integer >= 1, got 0/);
  });
});

describe('types', () => {
  it("an estimator's own diagnostics come through without casts", () => {
    const run = train({
      estimator: rvrs,
      problem: gaussProblem,
      options: { samples: 2 },
      data: null,
      params: { theta: undefined, phi: { m: scalar(0.5), logS: scalar(-0.3) } },
      threshold: { kind: 'fixed', threshold: 1 },
      optimizer: adam({ lr: 0.01 }),
      steps: 1,
      key: key(1),
    });
    const d: RejectionDiagnostics = run.records[0].diagnostics;
    const acceptance: Tensor = d.acceptanceRate;
    expect(acceptance.item()).toBeGreaterThan(0);
    const plain = train({
      estimator: elbo,
      problem: gaussProblem,
      options: { samples: 2 },
      data: null,
      params: { theta: undefined, phi: { m: scalar(0.5), logS: scalar(-0.3) } },
      optimizer: adam({ lr: 0.01 }),
      steps: 1,
      key: key(1),
    });
    // @ts-expect-error the ELBO family has no acceptance rate (tsc fails here if diagnostics were untyped)
    const none: Tensor = plain.records[0].diagnostics.acceptanceRate;
    expect(none).toBeUndefined();
    const misspelled = () =>
      train({
        estimator: elbo,
        problem: gaussProblem,
        // @ts-expect-error a misspelled estimator option is a type error
        options: { sampels: 2 },
        data: null,
        params: { theta: undefined, phi: { m: scalar(0.5), logS: scalar(-0.3) } },
        optimizer: adam({ lr: 1 }),
        steps: 1,
        key: key(1),
      });
    expect(misspelled).toThrow(/elbo: samples must be an integer >= 1, got undefined/);
  });
});
