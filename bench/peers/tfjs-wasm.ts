/**
 * TensorFlow.js on its WebAssembly backend (XNNPACK kernels), with 1 or 2 threads.
 *
 * The thread count is fixed when the backend starts, so each configuration runs in its own process.
 * 1 thread: the plain SIMD build, what a Node user gets by default. 2 threads: the threaded SIMD build
 * through the worker shim (tfjs-worker-shim.ts). Every op is eager and synchronous; tensors are not
 * garbage-collected, so every case disposes what it creates (tf.tidy, or dispose()).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import {
  ADAM,
  CHAIN_SCALE,
  CHAIN_SHIFT,
  CHAIN_X0,
  mlpShapes,
  vaeShapes,
  type CaseId,
  type Inputs,
  type Library,
  type Prepared,
  type Params,
  type Shapes,
} from './cases.js';
import { claimCpus, installWorkerShim } from './tfjs-worker-shim.js';

type Tf = typeof TF;
type Tensor = TF.Tensor;

const require = createRequire(import.meta.url);

/** Start tfjs on the wasm backend with `threads` threads (1 or 2) and return the module. */
async function startTfjs(threads: number): Promise<Tf> {
  if (threads > 1) {
    installWorkerShim();
    claimCpus(threads);
  }
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Without it tfjs prints an "install tfjs-node" banner to stdout.
  tf.env().set('IS_TEST', true);
  const packageDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(path.join(packageDir, 'dist') + '/');
  // tfjs reports no thread support in Node (tfjs#3830); the shim provides what it lacks.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
  wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  const actual = wasm.getThreadsCount();
  if (actual !== threads) throw new Error(`tfjs wasm: asked for ${threads} threads, got ${actual}`);
  return tf;
}

function variables(tf: Tf, params: Params, shapes: Shapes): Tensor[] {
  return Object.entries(shapes).map(([k, s]) => tf.tensor(params[k], s as number[]));
}

/** Read tensors into one Float32Array, then dispose them. */
function flattenAndDispose(parts: readonly Tensor[]): Float32Array {
  const arrays = parts.map((t) => t.dataSync() as Float32Array);
  parts.forEach((t) => t.dispose());
  const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

function mlpLoss(tf: Tf, x: Tensor, [W1, b1, W2, b2, W3, b3]: Tensor[]): TF.Scalar {
  const h1 = tf.tanh(tf.add(tf.matMul(x, W1), b1));
  const h2 = tf.tanh(tf.add(tf.matMul(h1, W2), b2));
  const logits = tf.add(tf.matMul(h2, W3), b3);
  return tf.div(tf.neg(tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)))), x.shape[0]) as TF.Scalar;
}

/** The same −ELBO as bench/vae.ts, parameters in vaeShapes order. */
function vaeLoss(tf: Tf, x: Tensor, eps: Tensor, [V1, e1, Vmu, emu, Vsig, esig, W1, b1, W2, b2]: Tensor[]): TF.Scalar {
  const h = tf.tanh(tf.add(tf.matMul(x, V1), e1));
  const mu = tf.add(tf.matMul(h, Vmu), emu);
  const logSigma = tf.add(tf.matMul(h, Vsig), esig);
  const z = tf.add(mu, tf.mul(tf.exp(logSigma), eps));
  const logits = tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(z, W1), b1)), W2), b2);
  const logLik = tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)));
  const elbo = tf.add(
    tf.add(tf.sub(logLik, tf.mul(tf.sum(tf.square(z)), 0.5)), tf.mul(tf.sum(tf.square(eps)), 0.5)),
    tf.sum(logSigma),
  );
  return tf.div(tf.neg(elbo), x.shape[0]) as TF.Scalar;
}

/** ELBO + Adam (the update of Sieve's `adam`, written with tf ops), with its own parameters and moments. */
class VaeTrainer {
  private params: Tensor[];
  private m: Tensor[];
  private v: Tensor[];
  private count = 0;
  private readonly valueAndGrads;

  constructor(
    private readonly tf: Tf,
    inputs: Inputs,
    private readonly x: Tensor,
    private readonly eps: Tensor,
  ) {
    this.params = variables(tf, inputs.vaeParams, vaeShapes(inputs.sizes));
    this.m = this.params.map((p) => tf.zerosLike(p));
    this.v = this.params.map((p) => tf.zerosLike(p));
    this.valueAndGrads = tf.valueAndGrads((...ps: Tensor[]) => vaeLoss(tf, this.x, this.eps, ps));
  }

  /** One step; returns the loss before it (the caller disposes it). */
  step(): Tensor {
    const { tf } = this;
    const { lr, b1, b2, eps } = ADAM;
    const t = ++this.count;
    const stepSize = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const { value, grads } = this.valueAndGrads(this.params);
    const next = tf.tidy(() => {
      const m = this.m.map((mi, i) => tf.add(tf.mul(mi, b1), tf.mul(grads[i], 1 - b1)));
      const v = this.v.map((vi, i) => tf.add(tf.mul(vi, b2), tf.mul(tf.square(grads[i]), 1 - b2)));
      const p = this.params.map((pi, i) => tf.sub(pi, tf.div(tf.mul(m[i], stepSize), tf.add(tf.sqrt(v[i]), eps))));
      return { m, v, p };
    });
    tf.dispose([...grads, ...this.m, ...this.v, ...this.params]);
    [this.m, this.v, this.params] = [next.m, next.v, next.p];
    return value;
  }

  /** The current parameters (owned by the trainer). */
  get current(): Tensor[] {
    return this.params;
  }

  dispose(): void {
    this.tf.dispose([...this.m, ...this.v, ...this.params]);
  }
}

function prepare(tf: Tf, id: CaseId, inputs: Inputs): Prepared {
  const s = inputs.sizes;
  const n = s.matmul;
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const dispose = (): void => tf.dispose(owned);
  /** The result of `call` is the checked value; in `run` it is disposed at once. */
  const simple = (call: () => Tensor): Prepared => ({
    check: async () => flattenAndDispose([call()]),
    run: () => call().dispose(),
    dispose,
  });
  const vector = (d: Float32Array): Tensor => keep(tf.tensor1d(d));
  switch (id) {
    case 'matmul NN':
    case 'matmul NT':
    case 'matmul TN': {
      const a = keep(tf.tensor2d(inputs.a, [n, n]));
      const b = keep(tf.tensor2d(inputs.b, [n, n]));
      return simple(() => tf.matMul(a, b, id === 'matmul TN', id === 'matmul NT'));
    }
    case 'mlp': {
      const params = variables(tf, inputs.mlpParams, mlpShapes(s)).map(keep);
      const x = keep(tf.tensor2d(inputs.mlpX, [s.batch, s.mlp[0]]));
      const vg = tf.valueAndGrads((...ps: Tensor[]) => mlpLoss(tf, x, ps));
      return {
        check: async () => {
          const { value, grads } = vg(params);
          return flattenAndDispose([value, ...grads]);
        },
        run: () => {
          const { value, grads } = vg(params);
          tf.dispose([value, ...grads]);
        },
        dispose,
      };
    }
    case 'vae': {
      const x = keep(tf.tensor2d(inputs.vaeX, [s.batch, s.vae.pixels]));
      const eps = keep(tf.tensor2d(inputs.vaeNoise, [s.batch, s.vae.latent]));
      const trainer = new VaeTrainer(tf, inputs, x, eps);
      return {
        check: async () => {
          const t = new VaeTrainer(tf, inputs, x, eps);
          const loss = t.step();
          const out = flattenAndDispose([loss, ...t.current.map((p) => p.clone())]);
          t.dispose();
          return out;
        },
        run: () => trainer.step().dispose(),
        dispose: () => {
          trainer.dispose();
          dispose();
        },
      };
    }
    case 'fma': {
      const [a, b, c] = [vector(inputs.fma.a), vector(inputs.fma.b), vector(inputs.fma.c)];
      return simple(() => tf.tidy(() => tf.add(tf.mul(a, b), c)));
    }
    case 'chain': {
      const x = keep(tf.scalar(CHAIN_X0));
      const chain = (t: Tensor): TF.Scalar => {
        let y = t;
        for (let i = 0; i < s.chainOps; i++) y = i % 2 === 0 ? tf.add(tf.mul(y, CHAIN_SCALE), CHAIN_SHIFT) : tf.sin(y);
        return y as TF.Scalar;
      };
      const vg = tf.valueAndGrad(chain);
      const call = (): Tensor[] =>
        tf.tidy(() => {
          const { value, grad } = vg(x);
          return [value, grad];
        });
      return {
        check: async () => flattenAndDispose(call()),
        run: () => tf.dispose(call()),
        dispose,
      };
    }
    case 'log': {
      const x = vector(inputs.positive);
      return simple(() => tf.log(x));
    }
    default: {
      const x = vector(inputs.x);
      const op = { exp: tf.exp, tanh: tf.tanh, sigmoid: tf.sigmoid, softplus: tf.softplus }[id];
      return simple(() => op(x));
    }
  }
}

export async function tfjsLibrary(threads: 1 | 2): Promise<Library> {
  const tf = await startTfjs(threads);
  return {
    name: `tfjs wasm ${threads}T`,
    description: `@tensorflow/tfjs ${tf.version.tfjs}, wasm backend, ${threads} thread${threads > 1 ? 's' : ''}`,
    prepare: (id, inputs) => prepare(tf, id, inputs),
  };
}
