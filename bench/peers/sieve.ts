/**
 * Sieve's side of the comparison, on one backend ('js' or 'wasm', the latter on a given number of
 * threads), through the public API only: tensor methods, `valueAndGrad` and `adam`.
 */
import {
  bernoulliLogLik,
  fusedMultiplyAdd,
  initWasmBackend,
  jsBackend,
  matmulT,
  scalar,
  setBackend,
  setThreadCount,
  Tensor,
  valueAndGrad,
} from '../../src/index.js';
import { VaeTrainer, type VaeParams } from '../vae.js';
import {
  CHAIN_SCALE,
  CHAIN_SHIFT,
  CHAIN_X0,
  ADAM,
  mlpShapes,
  vaeShapes,
  type CaseId,
  type Inputs,
  type Library,
  type Params,
  type Prepared,
  type Shapes,
} from './cases.js';

export type SieveBackendName = 'js' | 'wasm';

function tensors(params: Params, shapes: Shapes): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, Tensor.fromData(params[k], s)]));
}

/** Flatten tensors into one Float32Array, in the given key order (the order the reference uses). */
function flatten(parts: readonly Tensor[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, t) => s + t.dataSync().length, 0));
  let offset = 0;
  for (const t of parts) {
    out.set(t.dataSync(), offset);
    offset += t.dataSync().length;
  }
  return out;
}

type MlpParams = Record<'W1' | 'b1' | 'W2' | 'b2' | 'W3' | 'b3', Tensor>;

/** −(1/B)·Σ Bernoulli log-likelihood of x under the MLP's logits (bench/mlp.ts, any batch size). */
function mlpLoss(p: MlpParams, x: Tensor): Tensor {
  const h1 = x.matmul(p.W1).add(p.b1).tanh();
  const h2 = h1.matmul(p.W2).add(p.b2).tanh();
  const logits = h2.matmul(p.W3).add(p.b3);
  // x·logits − softplus(logits) in one fused op (one pass forward, no cancellation for large logits).
  return bernoulliLogLik(x, logits).sum().neg().div(x.shape[0]);
}

function chain(x: Tensor, ops: number): Tensor {
  let y = x;
  for (let i = 0; i < ops; i++) y = i % 2 === 0 ? y.mul(CHAIN_SCALE).add(CHAIN_SHIFT) : y.sin();
  return y;
}

/** A case whose timed call is also the checked one. */
function simple(call: () => Tensor): Prepared {
  return { check: async () => call().dataSync(), run: call, dispose: () => {} };
}

function prepare(id: CaseId, inputs: Inputs): Prepared {
  const s = inputs.sizes;
  const n = s.matmul;
  const vector = (d: Float32Array): Tensor => Tensor.fromData(d, [d.length]);
  switch (id) {
    case 'matmul NN':
    case 'matmul NT':
    case 'matmul TN': {
      const a = Tensor.fromData(inputs.a, [n, n]);
      const b = Tensor.fromData(inputs.b, [n, n]);
      if (id === 'matmul NN') return simple(() => a.matmul(b));
      // matmulT reads the transposed operand in place, as the peers' jit does with a.T (no copy).
      if (id === 'matmul NT') return simple(() => matmulT(a, b, false, true));
      return simple(() => matmulT(a, b, true, false));
    }
    case 'mlp': {
      const shapes = mlpShapes(s);
      const params = tensors(inputs.mlpParams, shapes) as MlpParams;
      const x = Tensor.fromData(inputs.mlpX, [s.batch, s.mlp[0]]);
      const vg = valueAndGrad(mlpLoss);
      return {
        check: async () => {
          const [loss, grads] = vg(params, x) as [Tensor, MlpParams];
          return flatten([loss, ...Object.keys(shapes).map((k) => grads[k as keyof MlpParams])]);
        },
        run: () => vg(params, x),
        dispose: () => {},
      };
    }
    case 'vae': {
      const shapes = vaeShapes(s);
      const x = Tensor.fromData(inputs.vaeX, [s.batch, s.vae.pixels]);
      const eps = Tensor.fromData(inputs.vaeNoise, [s.batch, s.vae.latent]);
      const fresh = (): VaeTrainer =>
        new VaeTrainer(tensors(inputs.vaeParams, shapes) as unknown as VaeParams, x, eps, ADAM.lr);
      const trainer = fresh();
      return {
        check: async () => {
          const t = fresh();
          const loss = t.step();
          return flatten([loss, ...Object.keys(shapes).map((k) => t.params[k as keyof VaeParams])]);
        },
        run: () => trainer.step(),
        dispose: () => {},
      };
    }
    case 'fma': {
      const [a, b, c] = [vector(inputs.fma.a), vector(inputs.fma.b), vector(inputs.fma.c)];
      return simple(() => a.mul(b).add(c));
    }
    case 'chain': {
      const x = scalar(CHAIN_X0);
      const vg = valueAndGrad((t: Tensor) => chain(t, s.chainOps));
      return {
        check: async () => {
          const [v, g] = vg(x) as [Tensor, Tensor];
          return Float32Array.of(v.item(), g.item());
        },
        run: () => vg(x),
        dispose: () => {},
      };
    }
    case 'log': {
      const x = vector(inputs.positive);
      return simple(() => x.log());
    }
    default: {
      const x = vector(inputs.x);
      const op = id;
      return simple(() => x[op]());
    }
  }
}

/**
 * Sieve on the given backend, the wasm one on `threads` threads (its worker pool; the js backend has
 * none); 'wasm' throws if the WebAssembly kernels cannot load here.
 */
export async function sieveLibrary(backend: SieveBackendName, threads = 1): Promise<Library> {
  setThreadCount(threads);
  if (backend === 'wasm') {
    if (!(await initWasmBackend())) throw new Error('Sieve wasm backend: WebAssembly SIMD kernels unavailable');
    // Products with fused multiply-adds (relaxed SIMD: Node ≥ 22, Chrome, Node 20 since Sieve sets its flag) say so.
    const fma = fusedMultiplyAdd();
    const description = `Sieve, wasm backend, ${threads} threads${fma ? ', fused multiply-add (relaxed SIMD)' : ''}`;
    return { name: `Sieve (wasm ${threads}T${fma ? ', FMA' : ''})`, description, prepare };
  }
  setBackend(jsBackend);
  return { name: `Sieve (${backend})`, description: `Sieve, ${backend} backend`, prepare };
}
