/**
 * Optimizers as pure functions over pytrees (in the style of Optax): an optimizer is a pair
 * `init(params) -> state` and `step(params, grads, state) -> [params, state]`. Nothing is mutated;
 * the caller threads the state through the training loop. All optimizers *minimize*: pass the
 * gradient of a loss (estimators return `loss = -objective`).
 */
import { fail } from '../errors.js';
import { scalar, zerosLike } from '../tensor/creation.js';
import {
  treeFlatten,
  treeMap,
  treeStructureEqual,
  treeUnflatten,
  type PyTree,
  type TreeDef,
} from '../autodiff/tree.js';
import { getBackend } from '../tensor/backend/index.js';
import type { AdamArrays, AdamHyper } from '../tensor/backend/backend.js';
import { shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A learning rate: a constant, or a schedule giving the rate at step t (t = 0, 1, ...). */
export type LearningRate = number | ((step: number) => number);

export interface Optimizer<S> {
  init(params: PyTree): S;
  step<P extends PyTree>(params: P, grads: P, state: S): [P, S];
}

function checkOptionsObject(op: string, options: unknown): void {
  if (options === null || typeof options !== 'object') {
    fail(op, `options must be an object with at least { lr }, got ${String(options)}`);
  }
}

/** A constant rate must be finite and > 0 (a zero rate never moves); a schedule is checked at every step. */
function checkLearningRate(op: string, lr: unknown): void {
  if (typeof lr === 'function') return;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    fail(op, `lr must be a finite number > 0 or a schedule function, got ${String(lr)}`);
  }
}

function checkUnitInterval(op: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(op, `${name} must be a number in [0, 1), got ${String(v)}`);
}

/** A schedule may decay to 0 (the end of training), never below or to a non-finite rate. */
function rateAt(op: string, lr: LearningRate, step: number): number {
  const r = typeof lr === 'number' ? lr : lr(step);
  if (typeof r !== 'number' || !Number.isFinite(r) || r < 0) {
    fail(op, `learning rate must be a finite non-negative number, got ${String(r)} at step ${step}`);
  }
  return r;
}

/** The path of every leaf of a tree, in treeFlatten's order: `encoder.w`, `layers[1]`, `<root>`. */
function leafPaths(def: TreeDef, prefix = ''): string[] {
  switch (def.kind) {
    case 'leaf':
      return [prefix === '' ? '<root>' : prefix];
    case 'const':
      return [];
    case 'array':
      return def.children.flatMap((c, i) => leafPaths(c, `${prefix}[${i}]`));
    default: {
      const keys = def.keys;
      return def.children.flatMap((c, i) => leafPaths(c, prefix === '' ? keys[i] : `${prefix}.${keys[i]}`));
    }
  }
}

/**
 * Refuse a non-finite gradient before it reaches the parameters: one NaN would silently turn every
 * later step into NaN. Names the leaf by its path in the pytree.
 */
function checkFinite(op: string, grads: PyTree): void {
  const [leaves, def] = treeFlatten(grads);
  let paths: string[] | null = null;
  leaves.forEach((g, i) => {
    const d = g.dataSync();
    for (let j = 0; j < d.length; j++) {
      if (!Number.isFinite(d[j])) {
        paths ??= leafPaths(def);
        fail(
          op,
          `gradient leaf ${paths[i]} has a non-finite value ${d[j]} at index ${j}; ` +
            "check the loss (and the estimator's diagnostics) for this step",
        );
      }
    }
  });
}

export interface SgdState {
  count: number;
  velocity: PyTree;
}

/** Stochastic gradient descent, optionally with (heavy-ball) momentum: v ← μv + g; θ ← θ − lr·v. */
export function sgd(options: { lr: LearningRate; momentum?: number }): Optimizer<SgdState> {
  checkOptionsObject('sgd', options);
  checkLearningRate('sgd', options.lr);
  const momentum = options.momentum ?? 0;
  checkUnitInterval('sgd', 'momentum', momentum);
  return {
    init: (params) => ({ count: 0, velocity: treeMap((p: Tensor) => zerosLike(p), params) }),
    step(params, grads, state) {
      checkFinite('sgd', grads);
      const lr = rateAt('sgd', options.lr, state.count);
      const velocity =
        momentum === 0 ? grads : treeMap((v: Tensor, g: Tensor) => v.mul(momentum).add(g), state.velocity, grads);
      const next = treeMap((p: Tensor, v: Tensor) => p.sub(v.mul(lr)), params, velocity);
      return [next, { count: state.count + 1, velocity }];
    },
  };
}

export interface AdamState {
  count: number;
  m: PyTree;
  v: PyTree;
}

/** Adam (Kingma & Ba 2015) with bias correction. */
export function adam(options: { lr: LearningRate; b1?: number; b2?: number; eps?: number }): Optimizer<AdamState> {
  checkOptionsObject('adam', options);
  checkLearningRate('adam', options.lr);
  const b1 = options.b1 ?? 0.9;
  const b2 = options.b2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  checkUnitInterval('adam', 'b1', b1);
  checkUnitInterval('adam', 'b2', b2);
  // eps keeps m / (√v + eps) defined where the gradient has been 0 so far (m = v = 0): 0/0 = NaN.
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) {
    fail('adam', `eps must be a finite number > 0, got ${String(eps)}`);
  }
  return {
    init: (params) => ({
      count: 0,
      m: treeMap((p: Tensor) => zerosLike(p), params),
      v: treeMap((p: Tensor) => zerosLike(p), params),
    }),
    step(params, grads, state) {
      const t = state.count + 1;
      const lr = rateAt('adam', options.lr, state.count);
      // Bias-corrected step size folded into one scalar.
      const stepSize = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      // The fused kernel flags a non-finite gradient as it goes; checkFinite then says where it is.
      const fused = adamFused(params, grads, state, { b1, b2, eps, stepSize });
      if (fused !== null && !fused.gradFinite) checkFinite('adam', grads);
      if (fused !== null) return [fused.params as typeof params, { count: t, m: fused.m, v: fused.v }];
      checkFinite('adam', grads);
      const m = treeMap((mi: Tensor, g: Tensor) => mi.mul(b1).add(g.mul(1 - b1)), state.m, grads);
      const v = treeMap((vi: Tensor, g: Tensor) => vi.mul(b2).add(g.mul(g).mul(1 - b2)), state.v, grads);
      const s = scalar(stepSize);
      const next = treeMap(
        (p: Tensor, mi: Tensor, vi: Tensor) => p.sub(mi.mul(s).div(vi.sqrt().add(eps))),
        params,
        m,
        v,
      );
      return [next, { count: t, m, v }];
    },
  };
}

/**
 * The Adam step in one pass per leaf (Backend.adamUpdate), with the same float32 roundings as the
 * separate ops below it in `adam`, so the numbers are the same. Only for concrete tensors of matching
 * shapes: a traced leaf (an optimizer step inside a transform) or a broadcast gets null, and the ops.
 */
function adamFused(
  params: PyTree,
  grads: PyTree,
  state: AdamState,
  hyper: AdamHyper,
): { params: PyTree; m: PyTree; v: PyTree; gradFinite: boolean } | null {
  const [ps, def] = treeFlatten(params);
  const trees = [grads, state.m, state.v].map((t) => treeFlatten(t)[0]);
  const [gs, ms, vs] = trees;
  // A mismatched tree goes to the ops, whose treeMap reports it.
  if (![grads, state.m, state.v].every((t) => treeStructureEqual(params, t))) return null;
  const concrete = (x: Tensor, p: Tensor): boolean => !x.isTraced && shapesEqual(x.shape, p.shape);
  if (!ps.every((p, i) => !p.isTraced && concrete(gs[i], p) && concrete(ms[i], p) && concrete(vs[i], p))) return null;
  const backend = getBackend();
  const out = ps.map((p, i) =>
    backend.adamUpdate(p.dataSync(), gs[i].dataSync(), ms[i].dataSync(), vs[i].dataSync(), hyper),
  );
  const tree = (pick: (o: AdamArrays) => Float32Array): PyTree =>
    treeUnflatten(
      def,
      out.map((o, i) => Tensor.fromData(pick(o), ps[i].shape)),
    );
  return {
    params: tree((o) => o.param),
    m: tree((o) => o.m),
    v: tree((o) => o.v),
    gradFinite: out.every((o) => o.gradFinite),
  };
}

/**
 * Step-drop schedule: `lr0` multiplied by `factor` at each step listed in `drops`
 * (e.g. the RVRS paper's 1e-3 dropped ×0.1 at 300k and 600k steps).
 */
export function stepDecay(lr0: number, drops: readonly number[], factor = 0.1): (step: number) => number {
  return (step) => lr0 * factor ** drops.filter((d) => step >= d).length;
}
