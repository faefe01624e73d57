/**
 * The cases of the side-by-side benchmark, and the inputs every library receives.
 *
 * Each library (Sieve on each backend, tfjs-wasm, jax-js) implements the same `Library` interface:
 * given a case id and the shared inputs, it prepares a `Prepared` case with `check()` (the values
 * the correctness gate compares with the float64 reference) and `run()` (one timed call). The inputs
 * are Float32Arrays generated from fixed seeds, so every process that builds them gets the same bits.
 */
import { lcg } from '../harness.js';

export interface Sizes {
  /** n of the n×n matrix products. */
  matmul: number;
  batch: number;
  /** MLP layer widths: input, two tanh hidden layers, output (= input: it reconstructs x). */
  mlp: readonly [number, number, number, number];
  vae: { pixels: number; hidden: number; latent: number };
  /** Length of the elementwise inputs. */
  elements: number;
  /** Scalar ops in the autodiff chain (half `y·c1 + c2`, half `sin y`). */
  chainOps: number;
}

/** The sizes. */
export const FULL_SIZES: Sizes = {
  matmul: 512,
  batch: 100,
  mlp: [784, 200, 200, 784],
  vae: { pixels: 784, hidden: 400, latent: 20 },
  elements: 1_000_000,
  chainOps: 1000,
};

/** Small enough for a unit test: the gate runs in milliseconds, the same code paths are taken. */
export const TINY_SIZES: Sizes = {
  matmul: 24,
  batch: 5,
  mlp: [12, 7, 6, 12],
  vae: { pixels: 12, hidden: 7, latent: 3 },
  elements: 2000,
  chainOps: 40,
};

export const MATMUL_VARIANTS = ['NN', 'NT', 'TN'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];
export const UNARY_OPS = ['exp', 'log', 'tanh', 'sigmoid', 'softplus'] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export type CaseId = `matmul ${MatmulVariant}` | 'mlp' | 'vae' | UnaryOp | 'fma' | 'chain';
export const CASE_IDS: readonly CaseId[] = [
  ...MATMUL_VARIANTS.map((v) => `matmul ${v}` as const),
  'mlp',
  'vae',
  ...UNARY_OPS,
  'fma',
  'chain',
];

/** The chain's constants, as float32 (what every library actually multiplies and adds). */
export const CHAIN_SCALE = Math.fround(0.9999);
export const CHAIN_SHIFT = Math.fround(0.001);
export const CHAIN_X0 = 0.5;

/** Adam hyperparameters of the VAE step (the defaults of Sieve's `adam`). */
export const ADAM = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8 } as const;

/** Parameters as named float32 arrays, in a fixed order (the order of `check()` output). */
export type Params = Record<string, Float32Array>;
export type Shapes = Record<string, readonly number[]>;

export function mlpShapes(s: Sizes): Shapes {
  const [d0, d1, d2, d3] = s.mlp;
  return { W1: [d0, d1], b1: [d1], W2: [d1, d2], b2: [d2], W3: [d2, d3], b3: [d3] };
}

/** Encoder (V1, e1; Vmu, emu; Vsig, esig) then decoder (W1, b1; W2, b2), as in models/vae.ts. */
export function vaeShapes(s: Sizes): Shapes {
  const { pixels: D, hidden: H, latent: Z } = s.vae;
  return {
    V1: [D, H],
    e1: [H],
    Vmu: [H, Z],
    emu: [Z],
    Vsig: [H, Z],
    esig: [Z],
    W1: [Z, H],
    b1: [H],
    W2: [H, D],
    b2: [D],
  };
}

export interface Inputs {
  sizes: Sizes;
  /** n×n row-major matrices. */
  a: Float32Array;
  b: Float32Array;
  /** Input of exp, tanh, sigmoid and softplus: uniform in [−10, 10]. */
  x: Float32Array;
  /** Input of log: uniform in [0.01, 10]. */
  positive: Float32Array;
  /** a·b + c operands. */
  fma: { a: Float32Array; b: Float32Array; c: Float32Array };
  /** Binary "images", batch × input width, pixels on with probability 0.3. */
  mlpX: Float32Array;
  mlpParams: Params;
  vaeX: Float32Array;
  vaeParams: Params;
  /** Standard normal noise of the reparameterization, batch × latent: fixed, so all libraries agree. */
  vaeNoise: Float32Array;
}

function uniform(length: number, seed: number, lo: number, hi: number): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length }, () => lo + (hi - lo) * rand());
}

function bernoulli(length: number, seed: number, p: number): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length }, () => (rand() < p ? 1 : 0));
}

/** Box–Muller from the LCG: benchmark noise needs the right scale, not high-quality randomness. */
function normal(length: number, seed: number): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
}

/** Glorot-uniform weights; small nonzero biases, so that a dropped bias is caught by the gate. */
function initParams(shapes: Shapes, seed: number): Params {
  const params: Params = {};
  let s = seed;
  for (const [name, shape] of Object.entries(shapes)) {
    const limit = shape.length === 2 ? Math.sqrt(6 / (shape[0] + shape[1])) : 0.1;
    params[name] = uniform(
      shape.reduce((p, d) => p * d, 1),
      s++,
      -limit,
      limit,
    );
  }
  return params;
}

export function makeInputs(sizes: Sizes): Inputs {
  const n = sizes.matmul;
  const B = sizes.batch;
  return {
    sizes,
    a: uniform(n * n, 1, -1, 1),
    b: uniform(n * n, 2, -1, 1),
    x: uniform(sizes.elements, 3, -10, 10),
    positive: uniform(sizes.elements, 4, 0.01, 10),
    fma: {
      a: uniform(sizes.elements, 5, -1, 1),
      b: uniform(sizes.elements, 6, -1, 1),
      c: uniform(sizes.elements, 7, -1, 1),
    },
    mlpX: bernoulli(B * sizes.mlp[0], 8, 0.3),
    mlpParams: initParams(mlpShapes(sizes), 100),
    vaeX: bernoulli(B * sizes.vae.pixels, 9, 0.3),
    vaeParams: initParams(vaeShapes(sizes), 200),
    vaeNoise: normal(B * sizes.vae.latent, 10),
  };
}

/** One case, ready to run in one library. */
export interface Prepared {
  /**
   * The values the correctness gate compares with the float64 reference: the result of one call
   * (matmul, elementwise), [loss, gradients…] (MLP), [loss, parameters after one Adam step…] (VAE),
   * [value, derivative] (chain). VAE: starts from the initial parameters whenever it is called.
   */
  check(): Promise<Float32Array>;
  /** One timed call. It is complete when its result (or the promise it returns) is. */
  run(): unknown;
  /** Free what the library does not collect by itself (tfjs and jax-js tensors). */
  dispose(): void;
}

export interface Library {
  /** Column label, e.g. "tfjs wasm 2T". */
  name: string;
  /** Facts worth printing: threads, backend, version. */
  description: string;
  prepare(id: CaseId, inputs: Inputs): Prepared;
}

/** What one call of a case does, in the unit of its rate. */
export function caseWork(id: CaseId, sizes: Sizes): { work: number; unit: string; perOp?: boolean } {
  if (id.startsWith('matmul')) return { work: (2 * sizes.matmul ** 3) / 1e9, unit: 'GFLOP/s' };
  if (id === 'mlp' || id === 'vae') return { work: 1, unit: 'steps/s' };
  if (id === 'chain') return { work: sizes.chainOps, unit: 'µs/op', perOp: true };
  return { work: sizes.elements / 1e9, unit: 'Gelem/s' };
}

export function caseLabel(id: CaseId, sizes: Sizes): string {
  const n = sizes.matmul;
  const m = sizes.mlp.join('-');
  const v = sizes.vae;
  const e = sizes.elements >= 1e6 ? `${sizes.elements / 1e6}M` : String(sizes.elements);
  switch (id) {
    case 'mlp':
      return `MLP ${m} tanh, value+grad, batch ${sizes.batch}`;
    case 'vae':
      return `VAE ${v.pixels}-${v.hidden}-${v.latent} ELBO+Adam, batch ${sizes.batch}`;
    case 'fma':
      return `a·b + c, ${e}`;
    case 'chain':
      return `scalar chain ${sizes.chainOps} ops, value+grad`;
    default:
      return id.startsWith('matmul') ? `${id} ${n}×${n}` : `${id}, ${e}`;
  }
}
