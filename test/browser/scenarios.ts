/**
 * The computations the browser test runs in headless Chromium and again in Node, to show that the
 * same key gives the same numbers in both: the README quick tour, one estimator of each family, and
 * the README's example files themselves (their console output).
 *
 * Everything returned is plain JSON. Non-finite numbers and −0 are spelled as strings ('NaN',
 * 'Infinity', '-Infinity', '-0'), because JSON would turn them into null or 0 and hide a difference.
 */
import * as sieve from '../../src/index.js';
import {
  Categorical,
  Normal,
  checkGrads,
  elbo,
  exp,
  grad,
  hvp,
  initialThreshold,
  iwaeDreg,
  jvp,
  key,
  quantileThreshold,
  random,
  rvrs,
  setBackend,
  jsBackend,
  tensor,
  valueAndGrad,
  vimcoStar,
  vrs,
  type EstimatorResult,
  type Tensor,
} from '../../src/index.js';

export type BackendName = 'js' | 'wasm';
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

export interface ScenarioResults {
  /** The active backend's name while the scenarios ran, or 'unavailable' (with a reason). */
  readonly backend: string;
  readonly unavailableReason?: string;
  /** Whether the loaded WebAssembly kernels use relaxed SIMD's fused multiply-add in matrix products. */
  readonly fusedMultiplyAdd?: boolean;
  /** Named lists of numbers. */
  readonly numbers: Record<string, JsonNumber[]>;
  /** What each README example file printed with console.log. */
  readonly exampleOutput: Record<string, string[]>;
}

function toJson(x: number): JsonNumber {
  if (Object.is(x, -0)) return '-0'; // JSON.stringify(-0) is "0"
  return Number.isFinite(x) ? x : (String(x) as JsonNumber);
}

/** Flatten a tensor, number, boolean or pytree (keys sorted) into a list of numbers. */
function flatten(value: unknown): JsonNumber[] {
  if (typeof value === 'number') return [toJson(value)];
  if (typeof value === 'boolean') return [value ? 1 : 0];
  if (value instanceof sieve.Tensor) return Array.from(value.dataSync(), toJson);
  if (Array.isArray(value)) return value.flatMap(flatten);
  if (value !== null && typeof value === 'object') {
    return Object.keys(value)
      .sort()
      .flatMap((k) => flatten((value as Record<string, unknown>)[k]));
  }
  throw new Error(`cannot flatten ${String(value)}`);
}

/** The README quick tour (examples/quick-tour.ts), returning what it prints. */
function quickTour(): Record<string, unknown> {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const y = x.mul(tensor([1, 0, -1])).sum(-1);
  const f = (w: Tensor) => w.tanh().square().sum();
  const gradF = grad(f)(tensor([0.5, -1]));
  const d2 = grad(grad((t: Tensor) => t.sin()))(tensor(1));
  const hv = hvp(f, tensor([0.5, -1]), tensor([1, 0]));
  const [, tangent] = jvp((t: Tensor) => t.exp(), [tensor(0)], [tensor(1)]);
  const params = {
    w: tensor([
      [0.1, -0.2],
      [0.3, 0.4],
    ]),
    b: tensor([0, 0]),
  };
  const loss = (p: typeof params, inputs: Tensor) => inputs.matmul(p.w).add(p.b).logsumexp(-1).mean();
  const [value, grads] = valueAndGrad(loss)(
    params,
    tensor([
      [1, 2],
      [3, 4],
    ]),
  );
  const [k1, k2] = random.split(key(0));
  const noise = random.normal(k1, [3]);
  const coin = random.bernoulli(k2, 0.3, [5]);
  // checkGrads throws on a mismatch; reaching the next line is the check.
  checkGrads((t: Tensor) => t.mul(t).logsumexp(), [tensor([0.3, -0.7, 1.1])], { order: 2 });
  return { y, gradF, d2, hv, tangent, value, grads, noise, coin };
}

// The README's two models: z ~ N(0, 1), x | z ~ N(z, 1), x = 1, q = N(loc, e^logScale); and a discrete
// z ∈ {0,1,2,3} with log p(x, z) = θ_z and q = Categorical(softmax(φ)).
const gaussian = {
  logJoint: (_theta: unknown, z: Tensor, x: Tensor) => new Normal(0, 1).logProb(z).add(new Normal(z, 1).logProb(x)),
  guide: (phi: { loc: Tensor; logScale: Tensor }) => new Normal(phi.loc, exp(phi.logScale)),
};
const categorical = {
  logJoint: (theta: Tensor, z: Tensor) => theta.take(z, 0),
  guide: (logits: Tensor) => new Categorical({ logits }),
};

/** One estimator of each family: bound and gradient of the surrogate loss, fixed keys. */
function estimators(): Record<string, unknown> {
  const phi = { loc: tensor(0.2), logScale: tensor(0) };
  const x = tensor(1);
  const theta = tensor([-1, -2, -0.5, -3]);
  const logits = tensor([0, 0.5, -0.5, 1]);
  const k = key(0);
  const out: Record<string, unknown> = {};

  const pathwise = (name: string, run: (p: typeof phi) => EstimatorResult) => {
    const [[, bound], g] = valueAndGrad(
      (p: typeof phi) => {
        const r = run(p);
        return [r.loss, r.bound];
      },
      0,
      { hasAux: true },
    )(phi);
    out[name] = { bound, grad: g };
  };
  pathwise('elbo', (p) => elbo(k, {}, p, x, { problem: gaussian, samples: 8 }));
  pathwise('iwaeDreg', (p) => iwaeDreg(k, {}, p, x, { problem: gaussian, samples: 16 }));

  const [[, vimcoBound], gVimco] = valueAndGrad(
    (l: Tensor) => {
      const r = vimcoStar(k, theta, l, null, { problem: categorical, samples: 8 });
      return [r.loss, r.bound];
    },
    0,
    { hasAux: true },
  )(logits);
  out.vimcoStar = { bound: vimcoBound, grad: gVimco };

  const T = quantileThreshold(key(1), theta, logits, null, { problem: categorical, gamma: 0.9, samples: 100 });
  const [[, vrsAux], gVrs] = valueAndGrad(
    (l: Tensor) => {
      const r = vrs(k, theta, l, null, { problem: categorical, samples: 5, threshold: T });
      return [
        r.loss,
        { bound: r.bound, acceptance: r.diagnostics.acceptanceRate!, proposals: r.diagnostics.proposals! },
      ];
    },
    0,
    { hasAux: true },
  )(logits);
  out.vrs = { threshold: T, aux: vrsAux, grad: gVrs };

  const T2 = initialThreshold(key(2), {}, phi, x, { problem: gaussian, samples: 200 });
  const [[, rvrsBound], gRvrs] = valueAndGrad(
    (p: typeof phi) => {
      const r = rvrs(k, {}, p, x, { problem: gaussian, samples: 4, threshold: T2, acceptanceFloor: 1e-4 });
      return [r.loss, r.bound];
    },
    0,
    { hasAux: true },
  )(phi);
  out.rvrs = { threshold: T2, bound: rvrsBound, grad: gRvrs };
  return out;
}

/**
 * Arrays large enough to leave the JS path on the WASM backend (its thresholds are tens to hundreds
 * of elements), so the WASM run exercises its kernels: a product, transcendental functions,
 * reductions, a small network's gradient and an IWAE bound with 256 samples.
 */
function largerArrays(): Record<string, unknown> {
  const [ka, kb, kx] = random.split(key(5), 3);
  const a = random.normal(ka, [48, 40]);
  const b = random.normal(kb, [40, 33]);
  const x = random.normal(kx, [64, 48]);
  const net = (w: { a: Tensor; b: Tensor }) => x.matmul(w.a).tanh().matmul(w.b).softplus().logsumexp(-1).mean();
  const [netValue, netGrad] = valueAndGrad(net)({ a: a.mul(0.1), b: b.mul(0.1) });
  const phi = { loc: tensor(0.2), logScale: tensor(0) };
  const many = iwaeDreg(key(7), {}, phi, tensor(1), { problem: gaussian, samples: 256 });
  return {
    product: a.matmul(b),
    expSum: a.exp().sum(-1),
    sigmoid: a.sigmoid(),
    max: a.max(0),
    netValue,
    netGrad,
    iwae256: many.bound,
  };
}

/** Switch to `backend`; the reason it cannot be used, or null. */
async function selectBackend(backend: BackendName): Promise<string | null> {
  if (backend === 'js') {
    setBackend(jsBackend);
    return null;
  }
  // The WebAssembly backend is optional: use it only where this build of Sieve has it.
  const init = (sieve as Record<string, unknown>).initWasmBackend as (() => Promise<boolean>) | undefined;
  if (typeof init !== 'function') return 'this build of Sieve has no initWasmBackend';
  return (await init()) ? null : 'initWasmBackend() resolved to false (no WebAssembly SIMD)';
}

/** Import a README example with console.log captured (a module runs once per page or process). */
async function captureExample(load: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  try {
    await load();
  } finally {
    console.log = original;
  }
  return lines;
}

/** Run everything on `backend`. Call once per page or process: the example files run on first import. */
export async function runScenarios(backend: BackendName): Promise<ScenarioResults> {
  const unavailable = await selectBackend(backend);
  if (unavailable !== null) {
    return { backend: 'unavailable', unavailableReason: unavailable, numbers: {}, exampleOutput: {} };
  }
  const numbers: Record<string, JsonNumber[]> = {};
  for (const [group, values] of Object.entries({ tour: quickTour(), vi: estimators(), larger: largerArrays() })) {
    for (const [name, value] of Object.entries(values)) numbers[`${group}.${name}`] = flatten(value);
  }
  const exampleOutput = {
    'quick-tour': await captureExample(() => import('../../examples/quick-tour.js')),
    estimators: await captureExample(() => import('../../examples/estimators.js')),
  };
  const fma = (sieve as Record<string, unknown>).fusedMultiplyAdd as (() => boolean) | undefined;
  return { backend: sieve.getBackend().name, fusedMultiplyAdd: fma?.() ?? false, numbers, exampleOutput };
}
